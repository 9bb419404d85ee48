package io.ravine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.UpdateRule;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OptimizerBuilderTest {

    @Test
    void defaults() {
        for (Optimizer o : new Optimizer[] {Optimizer.sgd().build(), Optimizer.momentum().build(),
            Optimizer.nesterov().build(), Optimizer.rmsprop().build()}) {
            assertEquals(0.01, o.baseLearningRate(), 0.0, o.toString());
            assertEquals(0.0, o.weightDecay(), 0.0, o.toString());
        }
        Optimizer adam = Optimizer.adam().build();
        assertEquals(UpdateRule.ADAM, adam.rule());
        assertEquals(1e-3, adam.baseLearningRate(), 0.0);
        assertEquals(0.9, adam.beta1(), 0.0);
        assertEquals(0.999, adam.beta2(), 0.0);
        assertEquals(1e-8, adam.epsilon(), 0.0);
        assertEquals(0.0, adam.weightDecay(), 0.0);
        assertEquals(0.0, adam.clipGradNorm(), 0.0);
        assertTrue(adam.learningRateTracker().isEmpty());
        Optimizer adamW = Optimizer.adamW().build();
        assertEquals(1e-3, adamW.baseLearningRate(), 0.0);
        assertEquals(0.01, adamW.weightDecay(), 0.0, "PyTorch's AdamW default");
        assertEquals(0.9, Optimizer.momentum().build().momentumCoefficient(), 0.0);
        assertEquals(0.01, Optimizer.rmsprop().build().gamma(), 0.0);
        assertEquals(UpdateRule.NESTEROV, Optimizer.builder(UpdateRule.NESTEROV).build().rule());
    }

    @Test
    void lastOfRateAndTrackerWins() {
        Optimizer scheduled = Optimizer.sgd().optLearningRate(0.5)
                .optLearningRateTracker(Schedules.parse("step:1:0.5", 0.2)).build();
        assertEquals(0.1, scheduled.learningRate(2), 1e-8);
        Optimizer constant = Optimizer.sgd().optLearningRateTracker(Schedules.parse("step:1:0.5", 0.2))
                .optLearningRate(0.5).build();
        assertEquals(0.5, constant.learningRate(2), 0.0);
        assertTrue(constant.learningRateTracker().isEmpty());
    }

    static Stream<Arguments> invalid() {
        return Stream.<Arguments>of(
                Arguments.of("learning rate", (Consumer<Optimizer.Builder>) b -> b.optLearningRate(-0.1)),
                Arguments.of("learning rate", (Consumer<Optimizer.Builder>) b -> b.optLearningRate(Double.NaN)),
                Arguments.of("momentum", (Consumer<Optimizer.Builder>) b -> b.optMomentum(1.0)),
                Arguments.of("momentum", (Consumer<Optimizer.Builder>) b -> b.optMomentum(-0.1)),
                Arguments.of("beta1", (Consumer<Optimizer.Builder>) b -> b.optBeta1(1.0)),
                Arguments.of("beta2", (Consumer<Optimizer.Builder>) b -> b.optBeta2(-0.5)),
                Arguments.of("beta2", (Consumer<Optimizer.Builder>) b -> b.optBeta2(Double.NaN)),
                Arguments.of("epsilon", (Consumer<Optimizer.Builder>) b -> b.optEpsilon(0)),
                Arguments.of("epsilon", (Consumer<Optimizer.Builder>) b -> b.optEpsilon(Double.POSITIVE_INFINITY)),
                Arguments.of("gamma", (Consumer<Optimizer.Builder>) b -> b.optGamma(0)),
                Arguments.of("gamma", (Consumer<Optimizer.Builder>) b -> b.optGamma(1.5)),
                Arguments.of("weight decay", (Consumer<Optimizer.Builder>) b -> b.optWeightDecay(-1e-4)),
                Arguments.of("clip-grad-norm", (Consumer<Optimizer.Builder>) b -> b.optClipGradNorm(-1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void rejectsBadValuesWithAClearMessage(String what, Consumer<Optimizer.Builder> set) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> set.accept(Optimizer.adam()));
        assertTrue(e.getMessage().contains(what), e.getMessage());
        assertTrue(e.getMessage().startsWith("adam: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void toStringNamesTheRuleAndSchedule() {
        assertEquals("adamw(lr=warmup:10:constant, beta1=0.9, beta2=0.999, eps=1.0E-8, weight_decay=0.01)",
                Optimizer.adamW().optLearningRateTracker(Schedules.parse("warmup:10:constant", 1e-3)).build()
                        .toString());
        assertEquals("sgd(lr=0.1, clip_grad_norm=1.0)",
                Optimizer.sgd().optLearningRate(0.1).optClipGradNorm(1).build().toString());
    }
}
