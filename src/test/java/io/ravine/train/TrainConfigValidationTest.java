package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.InvalidSettingException;
import io.ravine.backend.cpu.CpuBackend;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The flag cases of the bad-input corpus through the library API: a {@link TrainConfig} with an out-of-range or
 * non-finite value is refused by {@code build()} (or, for widths, by the {@link Trainer} that builds the model) with
 * one line that starts with the setting's name (the library's vocabulary: {@code learningRate}, not {@code --lr}),
 * holds no flag, and renders with the CLI's flags through {@link InvalidSettingException#messageNaming}.
 */
class TrainConfigValidationTest {
    static Stream<Arguments> badValues() {
        return Stream.of(
                bad("lr 0", b -> b.optLearningRate(0), "learningRate must"),
                bad("lr negative", b -> b.optLearningRate(-1e-3), "learningRate must"),
                bad("lr NaN", b -> b.optLearningRate(Double.NaN), "learningRate must"),
                bad("lr infinite", b -> b.optLearningRate(Double.POSITIVE_INFINITY), "learningRate must"),
                bad("momentum 1", b -> b.optMomentum(1), "momentum must"),
                bad("momentum NaN", b -> b.optMomentum(Double.NaN), "momentum must"),
                bad("beta2 1", b -> b.optBeta2(1), "beta2 must"),
                bad("eps 0", b -> b.optEpsilon(0), "eps must"),
                bad("gamma 0", b -> b.optGamma(0), "gamma must"),
                bad("weight decay negative", b -> b.optWeightDecay(-1), "weightDecay must"),
                bad("clip norm NaN", b -> b.optClipNorm(Double.NaN), "clipNorm must"),
                bad("ema 0.5", b -> b.optEma(0.5), "emaTimescale (the timescale τ) must"),
                bad("batch size negative", b -> b.optBatchSize(-8), "batchSize must"),
                bad("steps negative", b -> b.optSteps(-3), "epochs or steps must"),
                bad("no steps, no epochs", b -> b.optSteps(0).optEpochs(0), "epochs or steps must"),
                bad("limit negative", b -> b.optLimit(-1), "limit must"),
                bad("device tpu", b -> b.optDevice("tpu"), "device must"),
                bad("normalize minmax", b -> b.optNormalize("minmax"), "normalize must"),
                bad("no data", b -> b.setData(" "), "data must"));
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
        assertTrue(e.getMessage().startsWith(named), name + ": " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        assertFalse(e.getMessage().contains("--"), name + ": a library message names no flag: " + e.getMessage());
        InvalidSettingException s = assertInstanceOf(InvalidSettingException.class, e);
        String flags = s.messageNaming(setting -> "--" + setting);
        assertTrue(flags.startsWith("--" + s.settings().get(0)), flags);
        assertEquals(e.getMessage().length() + 2 * s.settings().size(), flags.length(), "only the names change");
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
