package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.backend.cpu.CpuBackend;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The flag cases of the bad-input corpus through the library API: a {@link TrainConfig} with an out-of-range or
 * non-finite value is refused by {@code build()} (or, for widths, by the {@link Trainer} that builds the model) with
 * one line naming the parameter, as the CLI names the flag.
 */
class TrainConfigValidationTest {
    static Stream<Arguments> badValues() {
        return Stream.of(
                bad("lr 0", b -> b.optLearningRate(0), "--lr"),
                bad("lr negative", b -> b.optLearningRate(-1e-3), "--lr"),
                bad("lr NaN", b -> b.optLearningRate(Double.NaN), "--lr"),
                bad("lr infinite", b -> b.optLearningRate(Double.POSITIVE_INFINITY), "--lr"),
                bad("momentum 1", b -> b.optMomentum(1), "--momentum"),
                bad("momentum NaN", b -> b.optMomentum(Double.NaN), "--momentum"),
                bad("beta2 1", b -> b.optBeta2(1), "--beta2"),
                bad("eps 0", b -> b.optEpsilon(0), "--eps"),
                bad("gamma 0", b -> b.optGamma(0), "--gamma"),
                bad("weight decay negative", b -> b.optWeightDecay(-1), "--weight-decay"),
                bad("clip norm NaN", b -> b.optClipNorm(Double.NaN), "--clip-norm"),
                bad("ema 0.5", b -> b.optEma(0.5), "--ema"),
                bad("batch size negative", b -> b.optBatchSize(-8), "--batch-size"),
                bad("steps negative", b -> b.optSteps(-3), "--epochs or --steps"),
                bad("no steps, no epochs", b -> b.optSteps(0).optEpochs(0), "--epochs or --steps"),
                bad("limit negative", b -> b.optLimit(-1), "--limit"),
                bad("device tpu", b -> b.optDevice("tpu"), "--device"),
                bad("normalize minmax", b -> b.optNormalize("minmax"), "--normalize"),
                bad("no data", b -> b.setData(" "), "--data"));
    }

    private static Arguments bad(String name, UnaryOperator<TrainConfig.Builder> change, String named) {
        return Arguments.of(name, change, named);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void buildRefusesWithOneLineNamingTheParameter(String name, UnaryOperator<TrainConfig.Builder> change,
            String named) {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> change.apply(TrainConfig.builder().setData("embedded").optSteps(1)).build());
        assertTrue(e.getMessage().contains(named), name + ": " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }

    @ParameterizedTest(name = "hidden {0}")
    @MethodSource("badWidths")
    void aZeroOrNegativeWidthIsRefusedWhenTheModelIsBuilt(String name, int[] widths) {
        TrainConfig config = TrainConfig.builder().setData("embedded").optLimit(50).optHidden(widths).optSteps(1)
                .build();
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> new Trainer(config, CpuBackend.f32()).close());
        assertTrue(e.getMessage().contains("widths must be positive"), e.getMessage());
    }

    static Stream<Arguments> badWidths() {
        return Stream.of(Arguments.of("0", new int[] {0}), Arguments.of("16,-4", new int[] {16, -4}));
    }
}
