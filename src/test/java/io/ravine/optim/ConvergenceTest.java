package io.ravine.optim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import io.ravine.backend.cpu.CpuBackend;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every rule reaches the minimum of two classic surfaces within a per-rule step budget (optax's style of test):
 * an ill-conditioned quadratic, where plain gradient descent is limited by the largest curvature, and Rosenbrock's
 * banana valley. Learning rates and budgets were tuned so each run finishes with room to spare; a regression in the
 * update (a wrong sign, a missing bias correction) fails to converge or diverges.
 */
class ConvergenceTest {

    /** f(x, y) = ½(x² + 100 y²): curvatures 1 and 100, condition number 100, minimum at 0. */
    static double[] quadraticGrad(double[] t) {
        return new double[] {t[0], 100 * t[1]};
    }

    /** f(x, y) = (1 − x)² + 100 (y − x²)², minimum f(1, 1) = 0. */
    static double[] rosenbrockGrad(double[] t) {
        double x = t[0];
        double y = t[1];
        return new double[] {-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)};
    }

    record Run(String name, Optimizer opt, int budget, double tol) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Run> quadraticRuns() {
        return List.of(
                // Stability needs α < 2/100; the slow direction then contracts by 1 − α per step, ≈ 720 steps to 1e-6.
                new Run("sgd", Optimizer.sgd().optLearningRate(0.019).build(), 1_000, 1e-6),
                new Run("momentum", Optimizer.momentum().optLearningRate(0.01).optMomentum(0.8).build(), 600, 1e-6),
                new Run("nesterov", Optimizer.nesterov().optLearningRate(0.01).optMomentum(0.8).build(), 600, 1e-6),
                new Run("rmsprop", Optimizer.rmsprop().optLearningRate(0.01).build(), 600, 1e-6),
                new Run("adam", Optimizer.adam().optLearningRate(0.05).build(), 600, 1e-6),
                new Run("adamw", Optimizer.adamW().optLearningRate(0.05).optWeightDecay(1e-3).build(), 600, 1e-6));
    }

    static List<Run> rosenbrockRuns() {
        // The valley floor is flat and the walls steep (curvature ≈ 1000 at the minimum), so α stays small for the
        // non-adaptive rules; the adaptive ones run at a high α and decay it late (Grosse's advice) to settle.
        return List.of(
                new Run("sgd", Optimizer.sgd().optLearningRate(1.5e-3).build(), 25_000, 1e-4),
                new Run("momentum", Optimizer.momentum().optLearningRate(1e-3).optMomentum(0.9).build(), 5_000,
                        1e-4),
                new Run("nesterov", Optimizer.nesterov().optLearningRate(1e-3).optMomentum(0.9).build(), 5_000,
                        1e-4),
                new Run("rmsprop", Optimizer.rmsprop().optLearningRateTracker(Schedules.lateExponential(1e-3, 5_000,
                        1_000)).build(), 20_000, 1e-4),
                new Run("adam", Optimizer.adam().optLearningRateTracker(Schedules.lateExponential(0.02, 3_000,
                        3_000)).build(), 8_000, 1e-4),
                new Run("adamw", Optimizer.adamW().optWeightDecay(0).optLearningRateTracker(
                        Schedules.lateExponential(0.02, 3_000, 3_000)).build(), 8_000, 1e-4));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("quadraticRuns")
    void illConditionedQuadratic(Run run) {
        assertConverges(run, ConvergenceTest::quadraticGrad, new double[] {1, 1}, new double[] {0, 0});
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rosenbrockRuns")
    void rosenbrock(Run run) {
        assertConverges(run, ConvergenceTest::rosenbrockGrad, new double[] {-1.2, 1}, new double[] {1, 1});
    }

    private static void assertConverges(Run run, UnaryOperator<double[]> gradient, double[] start, double[] min) {
        Backend b = CpuBackend.f64();
        double[] theta = start.clone();
        int reached = -1;
        try (Tensor th = OptimizerStepTest.vector(b, start); Tensor g = b.allocateVector(2);
                OptimizerState s = run.opt.init(b, 2)) {
            for (int k = 1; k <= run.budget; k++) {
                b.copyFromHost(gradient.apply(theta), 0, g);
                run.opt.step(b, th, g, s);
                b.copyToHost(th, theta, 0);
                if (Math.hypot(theta[0] - min[0], theta[1] - min[1]) < run.tol) {
                    reached = k;
                    break;
                }
            }
        }
        assertTrue(reached > 0, run.name + " ended at " + Arrays.toString(theta) + " after " + run.budget
                + " steps, not within " + run.tol + " of " + Arrays.toString(min));
    }
}
