package io.ravine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Backend;
import io.ravine.backend.DType;
import io.ravine.backend.StepParams;
import io.ravine.backend.Tensor;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One and two updates of every rule from θ₀ = [1, −2] with g₁ = [0.5, 0.25] and g₂ = [−1, 0.5], the expected values
 * written out by hand from the formulas in {@link UpdateRule}.
 */
class OptimizerStepTest {
    private static final double[] THETA0 = {1, -2};
    private static final double[] G1 = {0.5, 0.25};
    private static final double[] G2 = {-1, 0.5};

    record Case(String name, Optimizer opt, double[] g1, double[] after1, double[] g2, double[] after2) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> cases() {
        // Adam, α = 0.1, β₁ = 0.9, β₂ = 0.999: m₁ = 0.1 g₁ = [0.05, 0.025], v₁ = 0.001 g₁² = [2.5e-4, 6.25e-5],
        // c₁ = 0.1, c₂ = 0.001, so m̂ = g₁, v̂ = g₁² and the first step is −α g/(|g| + ε).
        // m₂ = 0.9 m₁ + 0.1 g₂ = [−0.055, 0.0725]; v₂ = 0.999 v₁ + 0.001 g₂² = [0.00124975, 0.0003124375];
        // c₁ = 1 − 0.81 = 0.19, c₂ = 1 − 0.998001 = 0.001999.
        double adam1x = 1 - (0.1 / 0.1) * 0.05 / (Math.sqrt(2.5e-4 / 0.001) + 1e-8);
        double adam1y = -2 - (0.1 / 0.1) * 0.025 / (Math.sqrt(6.25e-5 / 0.001) + 1e-8);
        double adam2dx = -(0.1 / 0.19) * -0.055 / (Math.sqrt(0.00124975 / 0.001999) + 1e-8);
        double adam2dy = -(0.1 / 0.19) * 0.0725 / (Math.sqrt(0.0003124375 / 0.001999) + 1e-8);
        // AdamW, λ = 0.1: θ ← θ(1 − αλ) = 0.99 θ before each Adam step; the moments see the raw gradient.
        double adamw1x = 0.99 * 1 + (adam1x - 1);
        double adamw1y = 0.99 * -2 + (adam1y + 2);
        // Adam with coupled L2, λ = 0.1: g₁' = g₁ + λθ₀ = [0.6, 0.05], so step 1 moves by −α·sign(g₁'). Step 2 uses
        // g₂' = g₂ + λθ₁; that arithmetic is the plain-Adam one above with other numbers, so only step 1 is pinned.
        double adamL2x = 1 - 0.1 * 0.6 / (0.6 + 1e-8);
        double adamL2y = -2 - 0.1 * 0.05 / (0.05 + 1e-8);
        // RMSprop, α = 0.01, γ = 0.1: s₁ = 0.1 g₁² = [0.025, 0.00625], √s₁ = |g₁|/√10;
        // s₂ = 0.9 s₁ + 0.1 g₂² = [0.1225, 0.030625], √s₂ = [0.35, 0.175].
        double rms1x = 1 - 0.01 * 0.5 / (Math.sqrt(0.025) + 1e-8);
        double rms1y = -2 - 0.01 * 0.25 / (Math.sqrt(0.00625) + 1e-8);
        double rms2x = rms1x - 0.01 * -1 / (0.35 + 1e-8);
        double rms2y = rms1y - 0.01 * 0.5 / (0.175 + 1e-8);
        // Clipping at c = 0.25 with ‖g₁‖ = √0.3125 ≈ 0.559 and ‖g₂‖ = √1.25 ≈ 1.118: s = c/(‖g‖ + 1e-6).
        double s1 = 0.25 / (Math.sqrt(0.3125) + 1e-6);
        double s2 = 0.25 / (Math.sqrt(1.25) + 1e-6);
        return List.of(
                // SGD, α = 0.1: θ₁ = θ₀ − 0.1 g₁ = [0.95, −2.025]; θ₂ = θ₁ − 0.1 g₂ = [1.05, −2.075].
                new Case("sgd", Optimizer.sgd().optLearningRate(0.1).build(),
                        G1, new double[] {0.95, -2.025}, G2, new double[] {1.05, -2.075}),
                // SGD with coupled L2, λ = 0.1: g₁' = g₁ + 0.1θ₀ = [0.6, 0.05] → θ₁ = [0.94, −2.005];
                // g₂' = g₂ + 0.1θ₁ = [−0.906, 0.2995] → θ₂ = [1.0306, −2.03495].
                new Case("sgd+wd", Optimizer.sgd().optLearningRate(0.1).optWeightDecay(0.1).build(),
                        G1, new double[] {0.94, -2.005}, G2, new double[] {1.0306, -2.03495}),
                // SGD clipped at 0.25: θ ← θ − 0.1 s g.
                new Case("sgd+clip", Optimizer.sgd().optLearningRate(0.1).optClipGradNorm(0.25).build(),
                        G1, new double[] {1 - 0.1 * s1 * 0.5, -2 - 0.1 * s1 * 0.25},
                        G2, new double[] {1 - 0.1 * s1 * 0.5 + 0.1 * s2, -2 - 0.1 * s1 * 0.25 - 0.1 * s2 * 0.5}),
                // A threshold above both norms changes nothing.
                new Case("sgd+loose-clip", Optimizer.sgd().optLearningRate(0.1).optClipGradNorm(10).build(),
                        G1, new double[] {0.95, -2.025}, G2, new double[] {1.05, -2.075}),
                // Clipping scales the raw gradient only; the L2 term λθ is added after:
                // g₁' = s₁g₁ + 0.1θ₀, θ₁ = θ₀ − 0.1 g₁'.
                new Case("sgd+clip+wd",
                        Optimizer.sgd().optLearningRate(0.1).optClipGradNorm(0.25).optWeightDecay(0.1).build(),
                        G1, new double[] {1 - 0.1 * (s1 * 0.5 + 0.1), -2 - 0.1 * (s1 * 0.25 - 0.2)}, null, null),
                // Momentum, α = 0.1, μ = 0.9: p₁ = −0.1 g₁ = [−0.05, −0.025], θ₁ = [0.95, −2.025];
                // p₂ = 0.9 p₁ − 0.1 g₂ = [0.055, −0.0725], θ₂ = [1.005, −2.0975].
                new Case("momentum", Optimizer.momentum().optLearningRate(0.1).build(),
                        G1, new double[] {0.95, -2.025}, G2, new double[] {1.005, -2.0975}),
                // Nesterov, same velocity: θ₁ = θ₀ + 0.9 p₁ − 0.1 g₁ = [1 − 0.045 − 0.05, −2 − 0.0225 − 0.025];
                // θ₂ = θ₁ + 0.9 p₂ − 0.1 g₂ = [0.905 + 0.0495 + 0.1, −2.0475 − 0.06525 − 0.05].
                new Case("nesterov", Optimizer.nesterov().optLearningRate(0.1).build(),
                        G1, new double[] {0.905, -2.0475}, G2, new double[] {1.0545, -2.16275}),
                // Momentum with coupled L2, λ = 0.1: g₁' = [0.6, 0.05], p₁ = [−0.06, −0.005], θ₁ = [0.94, −2.005].
                new Case("momentum+wd", Optimizer.momentum().optLearningRate(0.1).optWeightDecay(0.1).build(),
                        G1, new double[] {0.94, -2.005}, null, null),
                new Case("rmsprop", Optimizer.rmsprop().optLearningRate(0.01).optGamma(0.1).build(),
                        G1, new double[] {rms1x, rms1y}, G2, new double[] {rms2x, rms2y}),
                new Case("adam", Optimizer.adam().optLearningRate(0.1).build(),
                        G1, new double[] {adam1x, adam1y}, G2,
                        new double[] {adam1x + adam2dx, adam1y + adam2dy}),
                new Case("adam+l2", Optimizer.adam().optLearningRate(0.1).optWeightDecay(0.1).build(),
                        G1, new double[] {adamL2x, adamL2y}, null, null),
                new Case("adamw", Optimizer.adamW().optLearningRate(0.1).optWeightDecay(0.1).build(),
                        G1, new double[] {adamw1x, adamw1y}, G2,
                        new double[] {0.99 * adamw1x + adam2dx, 0.99 * adamw1y + adam2dy}),
                // AdamW with λ = 0 is Adam.
                new Case("adamw-no-decay", Optimizer.adamW().optLearningRate(0.1).optWeightDecay(0).build(),
                        G1, new double[] {adam1x, adam1y}, G2,
                        new double[] {adam1x + adam2dx, adam1y + adam2dy}));
    }

    static Stream<Arguments> casesOnBackends() {
        return cases().stream().flatMap(c -> Stream.of(Arguments.of(c, DType.F64), Arguments.of(c, DType.F32)));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("casesOnBackends")
    void oneAndTwoSteps(Case c, DType dtype) {
        Backend b = dtype == DType.F64 ? CpuBackend.f64() : CpuBackend.f32();
        // f64 is exact up to the order of a handful of operations; f32 holds values near 2 to a few ulps.
        double tol = dtype == DType.F64 ? 1e-12 : 1e-6;
        try (Tensor theta = vector(b, THETA0); Tensor grad = b.allocateVector(2);
                OptimizerState s = c.opt.init(b, 2)) {
            b.copyFromHost(c.g1, 0, grad);
            c.opt.step(b, theta, grad, s);
            assertArrayEquals(c.after1, b.toDoubleArray(theta), tol, "after step 1");
            assertEquals(1, s.step());
            if (c.g2 != null) {
                b.copyFromHost(c.g2, 0, grad);
                c.opt.step(b, theta, grad, s);
                assertArrayEquals(c.after2, b.toDoubleArray(theta), tol, "after step 2");
                assertEquals(2, s.step());
            }
        }
    }

    @Test
    void momentumIsExactlyTheVelocityRecurrence() {
        Backend b = CpuBackend.f64();
        double lr = 0.05;
        double mu = 0.8;
        Optimizer opt = Optimizer.momentum().optLearningRate(lr).optMomentum(mu).build();
        double[] theta = {0.3, -1.7, 2.5};
        double[] p = new double[3];
        try (Tensor th = vector(b, theta); Tensor g = b.allocateVector(3); OptimizerState s = opt.init(b, 3)) {
            for (int k = 0; k < 25; k++) {
                double[] grad = {Math.sin(k), Math.cos(3 * k) - 0.5, 0.1 * k - 1};
                b.copyFromHost(grad, 0, g);
                opt.step(b, th, g, s);
                for (int i = 0; i < 3; i++) {
                    p[i] = mu * p[i] - lr * grad[i];
                    theta[i] = theta[i] + p[i];
                }
                // Same operations in the same order in double: bit-for-bit equal.
                assertArrayEquals(theta, b.toDoubleArray(th), 0.0, "θ at step " + (k + 1));
                assertArrayEquals(p, b.toDoubleArray(s.tensor("velocity")), 0.0, "p at step " + (k + 1));
            }
        }
    }

    @Test
    void adamFirstStepMovesEachCoordinateByLearningRateTimesSign() {
        // m̂₁ = g and v̂₁ = g², so the first step is −α g/(|g| + ε) ≈ −α sign(g) whatever the scale of g. Checked in
        // float32, the training precision, where the bias corrections must not lose it.
        Backend b = CpuBackend.f32();
        double lr = 0.01;
        Optimizer opt = Optimizer.adam().optLearningRate(lr).build();
        double[] g = {1e-3, -5, 100, -0.2, 3e4};
        double[] theta0 = {0, 1, -1, 10, 0.5};
        try (Tensor th = vector(b, theta0); Tensor gr = vector(b, g); OptimizerState s = opt.init(b, g.length)) {
            opt.step(b, th, gr, s);
            double[] after = b.toDoubleArray(th);
            for (int i = 0; i < g.length; i++) {
                // ε/|g| ≤ 1e-5 relative for the smallest |g|, plus float32 rounding of θ.
                assertEquals(-lr * Math.signum(g[i]), after[i] - theta0[i], lr * 2e-4, "coordinate " + i);
            }
        }
    }

    @Test
    void stateVectorsHoldTheRulesQuantities() {
        Backend b = CpuBackend.f64();
        Optimizer opt = Optimizer.adam().optLearningRate(0.1).build();
        try (Tensor th = vector(b, THETA0); Tensor g = vector(b, G1); OptimizerState s = opt.init(b, 2)) {
            assertEquals(List.of("exp_avg", "exp_avg_sq"), s.names());
            assertArrayEquals(new double[2], b.toDoubleArray(s.tensor("exp_avg")), 0.0, "starts at zero");
            opt.step(b, th, g, s);
            // m₁ = (1 − β₁) g₁, v₁ = (1 − β₂) g₁².
            assertArrayEquals(new double[] {0.05, 0.025}, s.snapshotDoubles().get("exp_avg"), 1e-15);
            assertArrayEquals(new double[] {2.5e-4, 6.25e-5}, s.snapshotDoubles().get("exp_avg_sq"), 1e-15);
        }
    }

    @Test
    void paramsCarryTheScheduleAndBiasCorrections() {
        Optimizer adam = Optimizer.adam().optLearningRate(0.1).optBeta1(0.5).optBeta2(0.75).build();
        StepParams p1 = adam.paramsFor(1);
        StepParams p3 = adam.paramsFor(3);
        assertEquals(0.5, p1.biasCorrection1(), 0.0);
        assertEquals(0.25, p1.biasCorrection2(), 0.0);
        assertEquals(1 - 0.125, p3.biasCorrection1(), 0.0);
        assertEquals(1 - 0.421875, p3.biasCorrection2(), 0.0);
        assertEquals(0.1, p3.lr(), 0.0);

        StepParams sgd = Optimizer.sgd().build().paramsFor(7);
        assertEquals(1.0, sgd.biasCorrection1(), 0.0);
        assertEquals(1.0, sgd.biasCorrection2(), 0.0);

        // Update t uses tracker value t − 1 (the number of completed updates).
        Optimizer scheduled = Optimizer.sgd().optLearningRateTracker(Schedules.parse("step:2:0.5", 0.4)).build();
        assertEquals(0.4, scheduled.learningRate(1), 1e-7);
        assertEquals(0.4, scheduled.learningRate(2), 1e-7);
        assertEquals(0.2, scheduled.learningRate(3), 1e-7);
        assertEquals(0.2, scheduled.paramsFor(4).lr(), 1e-7);
        assertThrows(IllegalArgumentException.class, () -> scheduled.paramsFor(0));
    }

    @Test
    void stepAppliesTheScheduleByCompletedUpdates() {
        Backend b = CpuBackend.f64();
        // α = 1 for the first update, then 0: θ moves once and stays.
        Optimizer opt = Optimizer.sgd().optLearningRateTracker(Schedules.stepDecay(1, 1, 1e-300)).build();
        try (Tensor th = vector(b, new double[] {0}); Tensor g = vector(b, new double[] {1});
                OptimizerState s = opt.init(b, 1)) {
            opt.step(b, th, g, s);
            assertEquals(-1, b.toDoubleArray(th)[0], 0.0);
            opt.step(b, th, g, s);
            assertEquals(-1, b.toDoubleArray(th)[0], 0.0);
        }
    }

    @Test
    void rejectsStateOfAnotherRuleOrSize() {
        Backend b = CpuBackend.f64();
        Optimizer adam = Optimizer.adam().build();
        Optimizer momentum = Optimizer.momentum().build();
        try (Tensor th = b.allocateVector(2); Tensor g = b.allocateVector(2); OptimizerState s = momentum.init(b, 2);
                OptimizerState small = adam.init(b, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> adam.step(b, th, g, s));
            assertTrue(e.getMessage().contains("momentum"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> adam.step(b, th, g, small));
            assertEquals(0, small.step(), "a rejected step does not count");
        }
    }

    static Tensor vector(Backend b, double[] values) {
        Tensor t = b.allocateVector(values.length);
        b.copyFromHost(values, 0, t);
        return t;
    }
}
