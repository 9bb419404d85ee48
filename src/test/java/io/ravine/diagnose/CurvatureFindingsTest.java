package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.Tensor;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.Dataset;
import io.ravine.data.TrainTest;
import io.ravine.optim.Optimizer;
import io.ravine.optim.OptimizerState;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Saddle point against negative curvature, and the learning rate against the stability bound and 2ε*, each on a
 * problem whose answer is known: a linear regression whose Hessian is diag(λ_max, 1, 1) by construction, the
 * lectures' zero start of a tanh network (a saddle), a standard start far from any critical point, and the bounds
 * against Ravine's own update rules iterated on a quadratic.
 */
class CurvatureFindingsTest {
    /** 2/λ_max of {@link #knownCurvature}: the run at lr 0.1 had 2/λ_max = 0.0798. */
    static final double BOUND = 0.0798;

    /**
     * Least squares, J = (1/N) Σ ½(w·x + b − t)², on N = 400 examples whose two features are ±a and ±1 in a balanced
     * design (every sign pattern equally often): mean zero, uncorrelated, so the Hessian (1/N) Σ x̃x̃ᵀ with x̃ = (x, 1)
     * is exactly diag(a², 1, 1), λ_max = a² = 2/0.0798.
     */
    static TrainTest knownCurvature() {
        double a = Math.sqrt(2 / BOUND);
        int n = 400;
        float[][] x = new float[n][];
        float[][] t = new float[n][];
        for (int i = 0; i < n; i++) {
            float x1 = (float) (i % 2 == 0 ? a : -a);
            float x2 = (i / 2) % 2 == 0 ? 1f : -1f;
            x[i] = new float[] {x1, x2};
            t[i] = new float[] {(float) (0.3 * x1 - x2 + 0.5 + 0.1 * Math.sin(i))};
        }
        Dataset d = Dataset.ofTargets(x, t);
        return new TrainTest(d, d);
    }

    static TrainConfig.Builder regression(double lr) {
        return TrainConfig.builder().setData("known-curvature").optHidden().optLoss(LossKind.MSE)
                .optNormalize("none").optOptimizer(UpdateRule.SGD).optLearningRate(lr).optBatchSize(0).optSteps(4)
                .optLogEvery(1).optSeed(2);
    }

    /** Trains {@code config} on {@code data}, then diagnoses the final θ as {@code ravine diagnose} does. */
    static List<Finding> trainAndDiagnose(TrainConfig config, TrainTest data) {
        try (Trainer t = new Trainer(config, CpuBackend.f32(), data)) {
            Diagnosis.Options o = Diagnosis.Options.defaults().withSubsetSize(1000).withLanczos(30, 5);
            double g0 = CurvatureFindings.referenceGradientNorm(t.model(), config, t.trainingData(), o);
            t.optProgressBar(false).fit();
            double lr = t.optimizer().learningRate(t.totalSteps() + 1);
            Diagnosis.Report r = Diagnosis.run(t.model(), t.trainingData(), o.withLearningRate(lr));
            return MeasurementFindings.from(r, new CurvatureFindings.Context(
                    RunSettings.of(config, t.trainingData().n()), lr, g0));
        }
    }

    private static List<String> problems(List<Finding> f) {
        return f.stream().map(Finding::problem).toList();
    }

    private static Finding find(List<Finding> f, String problem) {
        return f.stream().filter(x -> x.problem().equals(problem)).findFirst().orElseThrow(
                () -> new AssertionError("no " + problem + " in " + f));
    }

    @Test
    void aRateAboveTwoOverLambdaMaxIsFlaggedAndOneBelowIsNot() {
        List<Finding> above = trainAndDiagnose(regression(0.1).build(), knownCurvature());
        Finding unstable = find(above, CurvatureFindings.UNSTABLE_LEARNING_RATE);
        assertTrue(unstable.evidence().startsWith("α = 0.1000 is above the stable bound 2/λ_max = 0.07980"),
                unstable.evidence());
        assertTrue(unstable.evidence().contains("αλ = 2.506"), unstable.evidence());
        assertTrue(unstable.evidence().contains("'set α < 2/λmax to prevent instability'"), unstable.evidence());
        assertTrue(unstable.workaround().contains("add momentum"), unstable.workaround());
        // g lines up with λ_max's direction as that error grows, so gᵀHg/gᵀg > 20 and α > 2ε*: uphill, measured.
        Finding uphill = find(above, CurvatureFindings.UPHILL_STEP);
        assertTrue(uphill.evidence().contains("measured +"), uphill.evidence());

        List<Finding> below = trainAndDiagnose(regression(0.07).build(), knownCurvature());
        assertFalse(problems(below).contains(CurvatureFindings.UNSTABLE_LEARNING_RATE), below.toString());
        // 2ε* ≥ 2/λ_max = 0.0798 > 0.07: never uphill below the bound.
        assertFalse(problems(below).contains(CurvatureFindings.UPHILL_STEP), below.toString());
    }

    /** The same problem through the CLI: train with --diagnose-every, then diagnose. */
    @ParameterizedTest(name = "lr {0}")
    @CsvSource({"0.1, true", "0.07, false"})
    void theCliFlagsARateAboveTheBoundFromDiagnoseAndFromTheRows(double lr, boolean flagged,
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        StringBuilder csv = new StringBuilder("x1,x2,t\n");
        Dataset d = knownCurvature().train();
        for (int i = 0; i < d.n(); i++) {
            csv.append(d.features()[2 * i]).append(',').append(d.features()[2 * i + 1]).append(',')
                    .append(d.targets()[i]).append('\n');
        }
        java.nio.file.Path data = java.nio.file.Files.writeString(tmp.resolve("train.csv"), csv);
        String run = tmp.resolve("run").toString();
        io.ravine.cli.CliTestSupport.Result t = io.ravine.cli.CliTestSupport.run("train", "--data", data.toString(),
                "--test-data", data.toString(), "--loss", "mse", "--normalize", "none", "--hidden", "none",
                "--optimizer", "sgd", "--lr", Double.toString(lr), "--batch-size", "full", "--steps", "4",
                "--log-every", "1", "--diagnose-every", "1", "--device", "cpu", "--progress", "off", "--run-dir", run);
        assertEquals(0, t.status(), t.err());
        io.ravine.cli.CliTestSupport.Result r = io.ravine.cli.CliTestSupport.run("diagnose", "--run-dir", run,
                "--device", "cpu");
        assertEquals(0, r.status(), r.err());
        assertEquals(flagged, r.out().contains("unstable_learning_rate: α = " + (flagged ? "0.1000" : "")
                + (flagged ? " is above the stable bound 2/λ_max = 0.07980" : "")), r.out());
        // From the rows (the curve doctor: "at N of 4 diagnosed steps …") and from the diagnosis ("α = … is above
        // 2ε*"): two uphill_step lines above the bound, none below it.
        long uphill = r.out().lines().filter(l -> l.contains("uphill_step:")).count();
        assertEquals(flagged ? 2 : 0, uphill, r.out());
        if (flagged) {
            assertTrue(r.out().contains("uphill_step: at 4 of 4 diagnosed steps (first at step 1)"), r.out());
        }
    }

    @Test
    void momentumRaisesTheBoundByOnePlusMu() {
        // With heavy ball at μ = 0.5 the bound is 2 × 1.5/λ_max = 0.1197: lr 0.1 is inside it.
        TrainConfig heavy = regression(0.1).optOptimizer(UpdateRule.MOMENTUM).optMomentum(0.5).build();
        List<Finding> f = trainAndDiagnose(heavy, knownCurvature());
        assertFalse(problems(f).contains(CurvatureFindings.UNSTABLE_LEARNING_RATE), f.toString());
        // At μ = 0.1 it is 0.0878: lr 0.1 is above, and the evidence names the momentum bound.
        TrainConfig light = regression(0.1).optOptimizer(UpdateRule.MOMENTUM).optMomentum(0.1).build();
        Finding u = find(trainAndDiagnose(light, knownCurvature()), CurvatureFindings.UNSTABLE_LEARNING_RATE);
        assertTrue(u.evidence().contains("2(1 + μ)/λ_max with μ = 0.1000 = 0.08778"), u.evidence());
        assertFalse(u.workaround().contains("add momentum"), u.workaround());
    }

    @Test
    void adamsRateIsNotComparedWithTheBounds() {
        TrainConfig adam = regression(0.1).optOptimizer(UpdateRule.ADAM).build();
        List<Finding> f = trainAndDiagnose(adam, knownCurvature());
        assertFalse(problems(f).contains(CurvatureFindings.UNSTABLE_LEARNING_RATE), f.toString());
        assertFalse(problems(f).contains(CurvatureFindings.UPHILL_STEP), f.toString());
    }

    /**
     * Each rule iterated by Ravine's own optimizer on J = ½λθ² (one parameter, λ = 10, weight decay 0.5 so the
     * effective curvature is 10.5): 3% inside {@link CurvatureFindings#stableBound} |θ| shrinks, 3% outside it grows.
     */
    @ParameterizedTest(name = "{0} μ = {1}")
    @CsvSource({"SGD, 0", "MOMENTUM, 0.5", "MOMENTUM, 0.9", "NESTEROV, 0.5", "NESTEROV, 0.9"})
    void theBoundsAreWhereRavinesUpdateRulesTurnUnstable(UpdateRule rule, double mu) {
        double lambda = 10;
        double wd = 0.5;
        double bound = CurvatureFindings.stableBound(rule, mu, wd, lambda);
        assertTrue(finalDistance(rule, mu, wd, lambda, 0.97 * bound) < 1e-3, "inside the bound");
        assertTrue(finalDistance(rule, mu, wd, lambda, 1.03 * bound) > 10, "outside the bound");
    }

    private static double finalDistance(UpdateRule rule, double mu, double wd, double lambda, double lr) {
        try (Backend b = CpuBackend.f64(); Tensor theta = b.allocateVector(1); Tensor grad = b.allocateVector(1)) {
            Optimizer opt = Optimizer.builder(rule).optLearningRate(lr).optMomentum(mu).optWeightDecay(wd).build();
            try (OptimizerState state = opt.init(b, 1)) {
                b.copyFromHost(new double[] {1}, 0, theta);
                for (int t = 0; t < 3000; t++) {
                    double th = b.toDoubleArray(theta)[0];
                    b.copyFromHost(new double[] {lambda * th}, 0, grad);
                    opt.step(b, theta, grad, state);
                }
                return Math.abs(b.toDoubleArray(theta)[0]);
            }
        }
    }

    @Test
    void theLecturesZeroStartIsASaddlePointAndTheAdviceKeepsAFirstOrderMethod() {
        // All weights 0 with tanh: every hidden unit alike, and the only gradient is the output biases', which full-
        // batch descent fits: ‖g‖ → 0 with the Hessian's cross terms between the layers indefinite.
        TrainConfig zero = TrainConfig.builder().setData("embedded").optLimit(1000).optHidden(16)
                .optActivation(Activation.TANH).optInit("zeros").optOptimizer(UpdateRule.SGD).optLearningRate(0.5)
                .optBatchSize(0).optSteps(300).optLogEvery(50).optSeed(1).build();
        List<Finding> f;
        try (Trainer t = new Trainer(zero, CpuBackend.f32())) {
            f = trainAndDiagnose(zero, new TrainTest(t.trainingData(), t.testData()));
        }
        Finding saddle = find(f, CurvatureFindings.SADDLE_POINT);
        assertFalse(problems(f).contains(CurvatureFindings.NEGATIVE_CURVATURE));
        assertTrue(saddle.evidence().contains("a saddle point"), saddle.evidence());
        assertTrue(saddle.workaround().contains("--init auto"), saddle.workaround());
        assertTrue(saddle.workaround().contains("--batch-size"), "a full-batch run: " + saddle.workaround());
        assertFalse(saddle.workaround().contains("second-order optimization"), saddle.workaround());
        assertTrue(problems(f).contains(MeasurementFindings.SYMMETRY), f.toString());
    }

    @Test
    void negativeCurvatureAtAStandardStartIsNotASaddlePoint() {
        // The example: 784-64-10 ReLU at θ₀ has λ_min < 0 with ‖g‖ ≈ 4.8, far from a critical point.
        TrainConfig config = TrainConfig.builder().setData("embedded").optHidden(64).optSeed(1).build();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            Diagnosis.Options o = Diagnosis.Options.defaults().withLanczos(30, 5);
            double g0 = CurvatureFindings.referenceGradientNorm(t.model(), config, t.trainingData(), o);
            Diagnosis.Report r = Diagnosis.run(t.model(), t.trainingData(), o.withLearningRate(1e-3));
            assertTrue(r.hessian().saddle(), "this θ₀ has negative curvature");
            assertEquals(g0, r.gradient().along().gradientNorm(), 1e-12 * g0, "‖g₀‖ is ‖g(θ₀)‖ for --init auto");
            List<Finding> f = MeasurementFindings.from(r, new CurvatureFindings.Context(
                    RunSettings.of(config, t.trainingData().n()), 1e-3, g0));
            Finding neg = find(f, CurvatureFindings.NEGATIVE_CURVATURE);
            assertFalse(problems(f).contains(CurvatureFindings.SADDLE_POINT));
            assertTrue(neg.evidence().contains("is still 100% of ‖g₀‖"), neg.evidence());
            assertFalse(neg.workaround().contains("second-order optimization"), neg.workaround());
            assertFalse(problems(f).contains(MeasurementFindings.ILL_CONDITIONING),
                    "negative curvature is not ill-conditioning: " + f);
            // Without ‖g₀‖ nearness is not judged, and nothing is called a saddle point.
            Finding unknown = find(MeasurementFindings.from(r), CurvatureFindings.NEGATIVE_CURVATURE);
            assertTrue(unknown.evidence().contains("not judged"), unknown.evidence());
        }
    }
}
