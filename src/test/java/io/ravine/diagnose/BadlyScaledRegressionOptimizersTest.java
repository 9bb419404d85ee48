package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.Dataset;
import io.ravine.data.TrainTest;
import io.ravine.optim.Lbfgs;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.math.BigDecimal;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The lectures' badly-scaled regression ({@link LectureExamples#badlyScaled}: x₁ ≈ 200 ± 100, x₂ ≈ 0.0025, MSE, κ
 * of the Hessian ≈ 2e11), trained through {@link Trainer} on a float64 CPU backend, full batch, inputs left
 * unnormalized: gradient descent at its largest stable rate stalls, Newton-CG and L-BFGS reach the least-squares
 * optimum in a few steps (the lectures' "second-order methods fix ill-conditioning", seeds 000–002).
 *
 * <p>Float64 because float32 cannot state the answer: the optimum's flat direction (mostly w₂) is fixed by a
 * gradient of order λ_min·|w₂*| ≈ 2.5e-7 · 400 = 1e-4, while float32 rounding of the mean gradient's terms
 * (|x₁·r| ≈ 60) is ≈ 6e-8 · 60 ≈ 4e-6, so a float32 optimizer can only place w₂ to within ≈ 4e-6 / λ_min ≈ 16,
 * several per cent of w₂*. In float64 the same error is ≈ 1e-14 / 2.5e-7 ≈ 4e-8 (1e-10 of w₂*).
 *
 * <p>The oracle is the normal equations C θ* = (1/N) Σ x̃ t solved exactly: the sums of the float32 data are exact in
 * {@link BigDecimal}, and the 3 × 3 solve runs with 50 digits. (Solved in float64 they would be good only to
 * κ·ε ≈ 2e-5, the size of the tolerances below.)
 */
class BadlyScaledRegressionOptimizersTest {
    private static final int N = 1000;
    private static LinearRegression lr;
    private static double[] optimum;
    private static double optimalLoss;
    private static double lambdaMax;

    @BeforeAll
    static void oracle() {
        lr = LectureExamples.badlyScaled(N, 3);
        double[] e = JacobiEigen.eigenvalues(lr.hessian());
        lambdaMax = Math.max(e[0], e[e.length - 1]);
        assertTrue(IllConditioningTest.exactKappa(lr) > 1e11, "the lectures' example is ill-conditioned");
        optimum = normalEquations(lr);
        optimalLoss = lossAt(optimum);
    }

    /** θ* = (w₁, w₂, b) from the normal equations with exact sums and a 50-digit solve (the benchmark's oracle). */
    static double[] normalEquations(LinearRegression lr) {
        return io.ravine.bench.SecondOrderBench.normalEquations(lr.x, lr.t, lr.n);
    }

    /** J(θ) = (1/N) Σ ½(w·x + b − t)², summed in float64 from the float32 data (θ in Ravine's layout w₁, w₂, b). */
    static double lossAt(double[] th) {
        double s = 0;
        for (int r = 0; r < lr.n; r++) {
            double res = th[0] * lr.x[2 * r] + th[1] * lr.x[2 * r + 1] + th[2] - lr.t[r];
            s += 0.5 * res * res;
        }
        return s / lr.n;
    }

    private static double relativeDistance(double[] th) {
        double s = 0;
        double n = 0;
        for (int i = 0; i < th.length; i++) {
            s += (th[i] - optimum[i]) * (th[i] - optimum[i]);
            n += optimum[i] * optimum[i];
        }
        return Math.sqrt(s / n);
    }

    private static TrainConfig.Builder regression(UpdateRule rule, long steps) {
        return TrainConfig.builder().setData("badly-scaled regression").optHidden().optActivation(Activation.IDENTITY)
                .optLoss(LossKind.MSE).optNormalize("none").optInit("zeros").optBatchSize(0).optSteps(steps)
                .optSubset(N).optOptimizer(rule);
    }

    /** θ after training {@code config} from θ = 0 on the data, float64 CPU. */
    private static double[] train(TrainConfig config) {
        Dataset d = lr.dataset();
        try (Backend backend = CpuBackend.f64(); Trainer t = new Trainer(config, backend, new TrainTest(d, d))) {
            assertNull(t.optProgressBar(false).fit().divergence(), config.optimizer() + " diverged");
            double[] th = new double[3];
            double[] out = backend.toDoubleArray(t.model().theta());
            System.arraycopy(out, 0, th, 0, 3);
            return th;
        }
    }

    @Test
    void gradientDescentAtItsLargestStableRateStalls() {
        // Stable below 2/λ_max; at 1.9/λ_max the stiff direction (x₁'s) settles within ~200 steps (|1 − 1.9| = 0.9
        // per step), and the flat ones move by at most 1.9·λ/λ_max of their distance per step: over 2000 steps
        // 2000·1.9/κ ≈ 2e-8 along w₂, and ≈ 2% along the bias's direction (λ ≈ 0.2 against λ_max ≈ 5e4).
        double alpha = 1.9 / lambdaMax;
        double[] early = train(regression(UpdateRule.SGD, 200).optLearningRate(alpha).build());
        double[] late = train(regression(UpdateRule.SGD, 2000).optLearningRate(alpha).build());
        double excessEarly = lossAt(early) - optimalLoss;
        double excessLate = lossAt(late) - optimalLoss;
        assertTrue(excessLate > 0.9 * excessEarly, "GD kept moving: excess loss " + excessEarly + " after 200"
                + " steps, " + excessLate + " after 2000");
        assertTrue(excessLate > 10 * optimalLoss, "GD's excess loss " + excessLate + " against J* " + optimalLoss);
        assertTrue(relativeDistance(late) > 0.5, "GD's θ " + java.util.Arrays.toString(late) + " against θ* "
                + java.util.Arrays.toString(optimum));
    }

    @Test
    void newtonCgReachesTheLeastSquaresOptimumInAFewSteps() {
        // Gauss-Newton of a linear model under MSE is the Hessian C itself, so an undamped step solves it. λ₀ must be
        // far below λ_min ≈ 2.5e-7 for the step to reach along w₂: with the default λ₀ = 1 the step along w₂ is
        // shrunk by λ_min/(λ_min + λ) and Levenberg-Marquardt's ×2/3 per step needs ~40 steps to get λ there. CG in
        // float64 on κ = 2e11 needs more than its 3 exact-arithmetic iterations, hence a cap of 50.
        double[] th = train(regression(UpdateRule.NEWTON_CG, 3).optDamping(1e-12).optCgMaxIter(50).build());
        assertAtTheOptimum("newton-cg", th);
    }

    @Test
    void lbfgsReachesTheLeastSquaresOptimumInAFewSteps() {
        // torch's defaults but the strong-Wolfe search: a fixed step of min(1, 1/‖g‖₁) along −g then lr = 1 is no
        // step length for κ = 2e11. Tolerances 0 so each step runs its 20 iterations; 3 steps.
        double[] th = train(regression(UpdateRule.LBFGS, 3).optLineSearch(Lbfgs.LineSearch.STRONG_WOLFE)
                .optToleranceGrad(0).optToleranceChange(0).build());
        assertAtTheOptimum("lbfgs", th);
    }

    /**
     * θ within 1e-8 of θ* (relative, the whole vector: float64's gradient rounding fixes w₂ only to ≈ 1e-10 of w₂*,
     * and 100× that is left for the solvers' own stopping; measured 2026-11-30: Newton-CG 6e-19, L-BFGS 7e-14), and
     * the excess loss below 1e-12 of J* (J is summed in float64 to ≈ 1e-16 relative; GD's excess is 19 J*).
     */
    private static void assertAtTheOptimum(String what, double[] th) {
        double dist = relativeDistance(th);
        double excess = lossAt(th) - optimalLoss;
        assertTrue(dist < 1e-8, what + ": θ " + java.util.Arrays.toString(th) + " is " + dist + " from θ* "
                + java.util.Arrays.toString(optimum));
        assertTrue(excess < 1e-12 * optimalLoss, what + ": excess loss " + excess + " over J* " + optimalLoss);
    }
}
