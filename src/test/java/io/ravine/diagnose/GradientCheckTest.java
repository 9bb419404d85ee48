package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.backend.Tolerances;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.nn.Mlp;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import java.util.stream.Stream;

/** Every activation and every loss, in a linear model and a two-hidden-layer network, against finite differences. */
class GradientCheckTest {

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (LossKind loss : LossKind.values()) {
            for (Activation act : Activation.values()) {
                b.add(Arguments.of(loss, act, new int[] {5, 4}));
            }
            b.add(Arguments.of(loss, Activation.IDENTITY, new int[0]));
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} {1} hidden={2}")
    @MethodSource("cases")
    void backpropMatchesCentralDifferences(LossKind loss, Activation act, int[] hidden) {
        int in = 6;
        int classes = 3;
        int n = 7;
        Mlp mlp = new Mlp(in, hidden, classes, act, loss);
        SplittableRandom rng = new SplittableRandom(42 + loss.ordinal() * 10L + act.ordinal());
        double[] theta = new double[mlp.parameterCount()];
        for (int i = 0; i < theta.length; i++) {
            // Non-zero biases and weights of order 1 keep units off ReLU kinks and out of tanh/logistic flat ends.
            theta[i] = rng.nextGaussian() * 0.7;
        }
        float[] x = new float[n * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        int targetCols = loss.classIndexTarget() ? 1 : classes;
        float[] y = new float[n * targetCols];
        for (int i = 0; i < y.length; i++) {
            y[i] = switch (loss) {
                case SOFTMAX_CE -> rng.nextInt(classes);
                case LOGISTIC_CE -> (float) rng.nextDouble(); // soft targets exercise the general formula
                case MSE -> (float) rng.nextGaussian();
            };
        }
        List<GradientCheck.TensorResult> results =
                GradientCheck.run(CpuBackend.f64(), mlp, theta, x, y, n, Tolerances.GRADCHECK_STEP);
        for (GradientCheck.TensorResult r : results) {
            assertTrue(r.passes(Tolerances.GRADCHECK_F64), r.name() + " relative error " + r.relativeError());
        }
    }

    @org.junit.jupiter.api.Test
    void detectsAWrongGradient() {
        // The check must be able to fail: compare against a deliberately shifted θ for the finite differences.
        Mlp mlp = new Mlp(3, new int[] {4}, 2, Activation.TANH, LossKind.MSE);
        SplittableRandom rng = new SplittableRandom(7);
        double[] theta = rng.doubles(mlp.parameterCount(), -1, 1).toArray();
        float[] x = {0.5f, -1f, 2f, 1f, 0.3f, -0.7f};
        float[] y = {1f, -1f, 0.5f, 0.2f};
        CpuBackend cpu = CpuBackend.f64();
        // A step far too large breaks the finite-difference approximation of a curved (tanh) network.
        List<GradientCheck.TensorResult> results = GradientCheck.run(cpu, mlp, theta, x, y, 2, 0.5);
        assertTrue(results.stream().anyMatch(r -> !r.passes(Tolerances.GRADCHECK_F64)));
    }
}
