package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.nn.Mlp;
import org.junit.jupiter.api.Test;

/** The passes weights are the matrix products' multiply-adds over a gradient's, counted by hand here. */
class PassesTest {

    @Test
    void oneWideLayerOnWideInputs() {
        // m₀ = 784·256 = 200704, m₁ = 256·10 = 2560. Forward m₀ + m₁; gradient 2(m₀ + m₁) + m₁; Gv: R-forward
        // m₀ + 2m₁, backward m₀ + 2m₁.
        Passes w = Passes.of(new Mlp(784, new int[] {256}, 10, Activation.RELU, LossKind.SOFTMAX_CE));
        assertEquals(203264.0 / 409088, w.loss(), 1e-15);
        assertEquals(411648.0 / 409088, w.gaussNewtonProduct(), 1e-15);
        assertEquals(w.loss(), w.expansion());
    }

    @Test
    void manyEqualLayersApproachAThirdAndFourThirds() {
        int[] hidden = new int[50];
        java.util.Arrays.fill(hidden, 100);
        Passes w = Passes.of(new Mlp(100, hidden, 100, Activation.TANH, LossKind.MSE));
        // 51 layers of m: forward 51m, gradient 152m, Gv (m + 100m) + (51m + 50m) = 202m.
        assertEquals(51.0 / 152, w.loss(), 1e-15);
        assertEquals(202.0 / 152, w.gaussNewtonProduct(), 1e-15);
    }

    @Test
    void linearRegressionIsHalfAndOne() {
        Passes w = Passes.of(new Mlp(2, new int[0], 1, Activation.IDENTITY, LossKind.MSE));
        assertEquals(0.5, w.loss());
        assertEquals(1.0, w.gaussNewtonProduct());
    }
}
