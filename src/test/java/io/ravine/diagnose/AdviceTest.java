package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Activation;
import io.ravine.backend.UpdateRule;
import io.ravine.train.TrainConfig;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The advice function as a table: (problem, the run's settings) → what the advice must say and what it must not say
 * again because the run already does it.
 */
class AdviceTest {
    private static final int N = 5000;

    /** A run: the defaults (Adam at 1e-3, zscore, He for ReLU, batch 128 of 5000) changed by {@code f}. */
    private static RunSettings run(UnaryOperator<TrainConfig.Builder> f) {
        return RunSettings.of(f.apply(TrainConfig.builder()).build(), N);
    }

    private static Arguments row(String problem, String what, RunSettings run, List<String> says, List<String> not) {
        return Arguments.of(problem + ": " + what, problem, run, says, not);
    }

    static Stream<Arguments> table() {
        RunSettings sgd = run(b -> b.optOptimizer(UpdateRule.SGD));
        RunSettings adamNormalized = run(b -> b.optOptimizer(UpdateRule.ADAM).optLearningRate(1e-3));
        RunSettings rawSgd = run(b -> b.optOptimizer(UpdateRule.SGD).optNormalize("none"));
        RunSettings momentum = run(b -> b.optOptimizer(UpdateRule.MOMENTUM).optMomentum(0.9).optLearningRate(0.1));
        RunSettings decayedAveraged = run(b -> b.optSchedule("exp:1000:200").optEma(100).optBatchSize(50));
        RunSettings zerosFullBatch = run(b -> b.optOptimizer(UpdateRule.SGD).optInit("zeros")
                .optActivation(Activation.TANH).optBatchSize(0));
        return Stream.of(
                row("ill_conditioning", "unknown run: the lectures' list", null,
                        List.of("normalize inputs; momentum; Adam; second-order optimization (--optimizer"
                                + " newton-cg or lbfgs)"), List.of()),
                row("ill_conditioning", "raw inputs, SGD", rawSgd,
                        List.of("--normalize zscore", "--optimizer momentum", "--optimizer adam", "second-order",
                                "--optimizer newton-cg", "--optimizer lbfgs"),
                        List.of()),
                row("ill_conditioning", "newton-cg already: no rule named again", run(b -> b
                        .optOptimizer(UpdateRule.NEWTON_CG)), List.of("last resort already", "--cg-max-iter"),
                        List.of("--optimizer")),
                row("ill_conditioning", "normalized, Adam: nothing of the list again", adamNormalized,
                        List.of("inputs are normalized and Adam", "second-order", "--optimizer newton-cg",
                                "--optimizer lbfgs"),
                        List.of("--normalize", "--optimizer adam", "--optimizer momentum")),
                row("ill_conditioning", "normalized, momentum: only Adam is new", momentum,
                        List.of("--optimizer adam"), List.of("--normalize", "--optimizer momentum")),
                row("fluctuation", "constant α, no average, mini-batches", sgd,
                        List.of("--schedule exp:T0:TAU", "--ema τ", "--batch-size 128 now"), List.of("already")),
                row("fluctuation", "α decays and the iterates are averaged already", decayedAveraged,
                        List.of("α already decays (--schedule exp:1000:200)", "averaged already (--ema 100)",
                                "--batch-size 50"),
                        List.of("--schedule exp:T0:TAU", "--ema τ")),
                row("oscillation", "SGD: momentum is new", sgd,
                        List.of("decrease α (the learning rate, --lr 0.01", "0.00333", "--optimizer momentum"),
                        List.of()),
                row("oscillation", "momentum already", momentum, List.of("--lr 0.1"), List.of("momentum")),
                row("slow_progress", "SGD at a constant rate", sgd,
                        List.of("increase α", "0.03", "--optimizer momentum"), List.of("decay")),
                row("slow_progress", "Adam with a cosine schedule", run(b -> b.optOptimizer(UpdateRule.ADAM)
                        .optSchedule("cosine:1000")), List.of("increase α", "start the decay later"),
                        List.of("momentum")),
                row("instability", "clipped gradients", run(b -> b.optClipNorm(1)),
                        List.of("decrease α", "--clip-norm 1"), List.of()),
                row("dead_units", "He scale, biases at 0", sgd, List.of("--bias-init 0.1"), List.of("--init")),
                row("dead_units", "a fixed small scale, biases at 0.1", run(b -> b.optInit("normal:0.01")
                        .optBiasInit(0.1)), List.of("--init auto", "normal:0.01"), List.of("--bias-init")),
                row("dead_units", "both remedies in place", run(b -> b.optBiasInit(0.1)),
                        List.of("remedies are in place", "decrease α"), List.of("--init auto", "--bias-init 0.1")),
                row("saturated_units", "tanh, Xavier, normalized: only ReLU is new",
                        run(b -> b.optActivation(Activation.TANH)), List.of("--activation relu"),
                        List.of("--init", "--normalize")),
                row("saturated_units", "logistic on raw inputs at scale 1", run(b -> b
                        .optActivation(Activation.LOGISTIC).optNormalize("none").optInit("normal:1")),
                        List.of("--init auto", "--normalize zscore", "--activation relu"), List.of()),
                row("symmetry", "a zero start", zerosFullBatch, List.of("initialize W randomly (--init auto"),
                        List.of()),
                row("symmetry", "a random start", sgd, List.of("starts random already", "--seed"),
                        List.of("--init auto")),
                row("saddle_point", "zero start, full batch, SGD", zerosFullBatch,
                        List.of("--init auto", "keep a first-order method", "attracted", "--batch-size 128",
                                "--optimizer momentum", "positive semi-definite", "not attracted the way exact Newton"
                                + " is"),
                        List.of("second-order optimization", "use Newton")),
                row("saddle_point", "random start, mini-batch Adam", adamNormalized,
                        List.of("keep a first-order method"), List.of("--init", "--batch-size", "--optimizer")),
                row("negative_curvature", "informational", adamNormalized, List.of("nothing to change"),
                        List.of("--", "second-order optimization")),
                row("unstable_learning_rate", "SGD: momentum raises the bound", sgd,
                        List.of("decrease α", "below the stability bound", "2(1 + μ)/λ_max"), List.of()),
                row("unstable_learning_rate", "momentum already", momentum, List.of("--lr 0.1"),
                        List.of("add momentum")),
                row("uphill_step", "a constant rate", sgd, List.of("2ε*", "--schedule"), List.of()),
                row("uphill_step", "a decaying rate", decayedAveraged, List.of("2ε*"), List.of("--schedule")),
                row("non_finite", "names the rate to lower", momentum,
                        List.of("--checkpoint NAME", "--lr 0.1"), List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void advice(String name, String problem, RunSettings run, List<String> says, List<String> not) {
        String a = Advice.forProblem(problem, run);
        for (String s : says) {
            assertTrue(a.contains(s), "'" + s + "' missing from: " + a);
        }
        for (String s : not) {
            assertFalse(a.contains(s), "'" + s + "' should not be in: " + a);
        }
    }

    /** Every problem, for runs that already use a remedy: the advice never asks for that remedy again. */
    @Test
    void whatARunAlreadyUsesIsNeverAdvisedAgain() {
        List<String> problems = List.of(CurveDoctor.SLOW_PROGRESS, CurveDoctor.INSTABILITY, CurveDoctor.OSCILLATION,
                CurveDoctor.FLUCTUATION, MeasurementFindings.DEAD_UNITS, MeasurementFindings.SATURATED_UNITS,
                MeasurementFindings.SYMMETRY, MeasurementFindings.ILL_CONDITIONING, MeasurementFindings.NON_FINITE,
                CurvatureFindings.SADDLE_POINT, CurvatureFindings.NEGATIVE_CURVATURE,
                CurvatureFindings.UNSTABLE_LEARNING_RATE, CurvatureFindings.UPHILL_STEP);
        record Uses(RunSettings run, String advised) {
        }
        List<Uses> runs = List.of(
                new Uses(run(b -> b.optOptimizer(UpdateRule.ADAM)), "--optimizer adam"),
                new Uses(run(b -> b.optOptimizer(UpdateRule.MOMENTUM)), "--optimizer momentum"),
                new Uses(run(b -> b.optNormalize("zscore")), "--normalize zscore"),
                new Uses(run(b -> b.optEma(50)), "--ema τ"),
                new Uses(run(b -> b.optSchedule("exp:100:10")), "--schedule exp:T0:TAU"),
                new Uses(run(b -> b.optBiasInit(0.1)), "--bias-init 0.1"),
                new Uses(run(b -> b.optActivation(Activation.RELU)), "--activation relu"),
                new Uses(run(b -> b.optInit("he")), "--init auto"),
                new Uses(run(b -> b.optBatchSize(64)), "mini-batches (--batch-size 128)"));
        for (String p : problems) {
            for (Uses u : runs) {
                String a = Advice.forProblem(p, u.run());
                assertFalse(a.isBlank(), p);
                assertFalse(a.contains(u.advised()), p + " for a run that has " + u.advised() + ": " + a);
            }
        }
    }

    @Test
    void anUnknownProblemHasNoAdvice() {
        assertThrows(IllegalArgumentException.class, () -> Advice.forProblem("hiccups", null));
    }

    @Test
    void batchingComesFromTheBatchSizeAgainstTheTrainingSet() {
        assertEquals(RunSettings.Batching.FULL_BATCH, run(b -> b.optBatchSize(0)).batching());
        assertEquals(RunSettings.Batching.FULL_BATCH, run(b -> b.optBatchSize(N)).batching());
        assertEquals(RunSettings.Batching.FULL_BATCH, run(b -> b.optBatchSize(2 * N)).batching());
        assertEquals(RunSettings.Batching.MINI_BATCH, run(b -> b.optBatchSize(N - 1)).batching());
        assertEquals(RunSettings.Batching.UNKNOWN, RunSettings.of(TrainConfig.builder().build(), 0).batching());
    }
}
