package io.ravine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import io.ravine.backend.cpu.CpuBackend;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Newton-CG and L-BFGS on problems whose answer is known (optax's alias_test in spirit): a quadratic, Rosenbrock's
 * valley, and Newton-CG's refusal of a step that does not lower the loss. Float64 CPU backend.
 */
class SecondOrderKnownAnswersTest {
    private static final int N = 12;

    /**
     * J(θ) = ½θᵀAθ − bᵀθ with A SPD, eigenvalues 1 … 10 in a random basis (κ = 10: CG's n-step termination holds
     * in float64 to 1e-10 of the residual; at κ = 100 rounding costs it two more iterations); the minimum is A⁻¹b.
     */
    static final class Quadratic implements Objective, CurvatureOperator {
        final Backend backend;
        final double[][] a = new double[N][N];
        final double[] b = new double[N];
        final Tensor matrix;
        final Tensor bt;
        final Tensor theta;
        int evaluations;

        Quadratic(Backend backend, long seed) {
            this.backend = backend;
            SplittableRandom rng = new SplittableRandom(seed);
            double[][] q = new double[N][N];
            for (int i = 0; i < N; i++) {
                for (int j = 0; j < N; j++) {
                    q[i][j] = rng.nextGaussian();
                }
            }
            // Gram-Schmidt: an orthonormal basis Q, then A = Q diag(λ) Qᵀ.
            for (int i = 0; i < N; i++) {
                for (int j = 0; j < i; j++) {
                    double d = 0;
                    for (int k = 0; k < N; k++) {
                        d += q[i][k] * q[j][k];
                    }
                    for (int k = 0; k < N; k++) {
                        q[i][k] -= d * q[j][k];
                    }
                }
                double norm = 0;
                for (int k = 0; k < N; k++) {
                    norm += q[i][k] * q[i][k];
                }
                for (int k = 0; k < N; k++) {
                    q[i][k] /= Math.sqrt(norm);
                }
            }
            double[] flat = new double[N * N];
            for (int i = 0; i < N; i++) {
                double lambda = Math.pow(10, (double) i / (N - 1));
                for (int r = 0; r < N; r++) {
                    for (int c = 0; c < N; c++) {
                        a[r][c] += lambda * q[i][r] * q[i][c];
                    }
                }
                b[i] = rng.nextGaussian();
            }
            for (int r = 0; r < N; r++) {
                for (int c = 0; c < N; c++) {
                    flat[r * N + c] = a[r][c];
                }
            }
            matrix = backend.allocate(N, N);
            backend.copyFromHost(flat, 0, matrix);
            bt = backend.allocateVector(N);
            backend.copyFromHost(b, 0, bt);
            theta = backend.allocateVector(N);
        }

        @Override
        public void apply(Tensor v, Tensor out) {
            backend.gemm(false, false, 1.0, matrix, v, 0.0, out);
        }

        @Override
        public double lossAndGradient(Tensor grad) {
            evaluations++;
            apply(theta, grad);
            double quad = 0.5 * backend.dot(theta, grad);
            backend.axpy(-1.0, bt, grad);
            return quad - backend.dot(bt, theta);
        }

        double[] solution() {
            double[][] m = new double[N][N + 1];
            for (int i = 0; i < N; i++) {
                System.arraycopy(a[i], 0, m[i], 0, N);
                m[i][N] = b[i];
            }
            for (int c = 0; c < N; c++) {
                for (int r = c + 1; r < N; r++) {
                    double f = m[r][c] / m[c][c];
                    for (int k = c; k <= N; k++) {
                        m[r][k] -= f * m[c][k];
                    }
                }
            }
            double[] x = new double[N];
            for (int r = N - 1; r >= 0; r--) {
                double s = m[r][N];
                for (int k = r + 1; k < N; k++) {
                    s -= m[r][k] * x[k];
                }
                x[r] = s / m[r][r];
            }
            return x;
        }
    }

    private static double distance(double[] x, double[] y) {
        double s = 0;
        double n = 0;
        for (int i = 0; i < x.length; i++) {
            s += (x[i] - y[i]) * (x[i] - y[i]);
            n += y[i] * y[i];
        }
        return Math.sqrt(s / n);
    }

    @Test
    void newtonCgSolvesAQuadraticInOneStepWithCgInAtMostNIterations() {
        try (Backend backend = CpuBackend.f64()) {
            Quadratic q = new Quadratic(backend, 3);
            Optimizer opt = Optimizer.newtonCg().optDamping(1e-12).optCgMaxIter(1000).build();
            try (NewtonCg cg = new NewtonCg(backend, N, opt)) {
                ClosureStep s = cg.step(q.theta, q, q);
                assertNull(s.refused());
                NewtonCg.Info info = cg.lastStep();
                assertTrue(info.accepted());
                assertTrue(info.cgIterations() <= N, "CG took " + info.cgIterations() + " iterations for n = " + N);
                // Exact solve of an exact quadratic model: ρ = 1, and λ shrinks (ρ > 3/4).
                assertEquals(1.0, info.rho(), 1e-9);
                assertTrue(cg.damping() < 1e-12);
                assertTrue(distance(backend.toDoubleArray(q.theta), q.solution()) < 1e-9);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Lbfgs.LineSearch.class)
    void lbfgsSolvesAQuadraticWithinNIterations(Lbfgs.LineSearch search) {
        try (Backend backend = CpuBackend.f64()) {
            Quadratic q = new Quadratic(backend, 5);
            // With exact line searches L-BFGS is CG and ends in n iterations; torch's strong-Wolfe search is not
            // exact (it keeps t = 1 once |gᵀd| shrank by c₂ = 0.9), and torch 1.13 itself is 5% from the minimum
            // after n = 12 iterations of this problem. So: one step of 5n iterations, and the minimum to 1e-6 (a
            // line search on J resolves θ only to √ε_mach ≈ 1e-8 relative: J is flat to rounding closer in).
            int iterations = 5 * N;
            Optimizer opt = Optimizer.lbfgs().optLineSearch(search).optMaxIter(iterations).optMaxEval(1000)
                    .optToleranceGrad(1e-12).optToleranceChange(0).build();
            try (Lbfgs lbfgs = new Lbfgs(backend, N, opt)) {
                assertNull(lbfgs.step(q.theta, q).refused());
                assertTrue(lbfgs.iterations() <= iterations);
                assertTrue(distance(backend.toDoubleArray(q.theta), q.solution()) < 1e-6,
                        "distance " + distance(backend.toDoubleArray(q.theta), q.solution()));
            }
        }
    }

    /** Rosenbrock f = (1 − x)² + 100(y − x²)² = r₁² + r₂², r = (1 − x, 10(y − x²)); minimum (1, 1), start (−1.2, 1). */
    static final class Rosenbrock implements Objective, CurvatureOperator {
        final Backend backend;
        final Tensor theta;
        final boolean gaussNewton;

        Rosenbrock(Backend backend, boolean gaussNewton) {
            this.backend = backend;
            this.gaussNewton = gaussNewton;
            theta = backend.allocateVector(2);
            backend.copyFromHost(new double[] {-1.2, 1.0}, 0, theta);
        }

        @Override
        public double lossAndGradient(Tensor grad) {
            double[] t = backend.toDoubleArray(theta);
            double x = t[0];
            double y = t[1];
            backend.copyFromHost(new double[] {-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)}, 0, grad);
            return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
        }

        @Override
        public void apply(Tensor v, Tensor out) {
            double[] t = backend.toDoubleArray(theta);
            double[] w = backend.toDoubleArray(v);
            double x = t[0];
            double y = t[1];
            double hxx;
            double hxy;
            double hyy;
            if (gaussNewton) {
                // G = 2JᵀJ, J = [[−1, 0], [−20x, 10]].
                hxx = 2 * (1 + 400 * x * x);
                hxy = -400 * x;
                hyy = 200;
            } else {
                hxx = 2 - 400 * (y - x * x) + 800 * x * x;
                hxy = -400 * x;
                hyy = 200;
            }
            backend.copyFromHost(new double[] {hxx * w[0] + hxy * w[1], hxy * w[0] + hyy * w[1]}, 0, out);
        }
    }

    @ParameterizedTest
    @EnumSource(NewtonCg.Curvature.class)
    void newtonCgReachesTheBottomOfRosenbrocksValley(NewtonCg.Curvature curvature) {
        try (Backend backend = CpuBackend.f64()) {
            Rosenbrock f = new Rosenbrock(backend, curvature == NewtonCg.Curvature.GAUSS_NEWTON);
            Optimizer opt = Optimizer.newtonCg().optCurvature(curvature).optDamping(1e-3).build();
            try (NewtonCg cg = new NewtonCg(backend, 2, opt)) {
                for (int i = 0; i < 200; i++) {
                    assertNull(cg.step(f.theta, f, f).refused());
                }
            }
            assertArrayEquals(new double[] {1, 1}, backend.toDoubleArray(f.theta), 1e-6);
        }
    }

    @ParameterizedTest
    @EnumSource(Lbfgs.LineSearch.class)
    void lbfgsReachesTheBottomOfRosenbrocksValley(Lbfgs.LineSearch search) {
        try (Backend backend = CpuBackend.f64()) {
            Rosenbrock f = new Rosenbrock(backend, false);
            // The fixed step needs a smaller lr on this valley (torch's own Rosenbrock test uses 1e-1 … 1 with
            // strong Wolfe); tolerance_grad 0 so the step runs its iterations.
            Optimizer opt = Optimizer.lbfgs().optLineSearch(search)
                    .optLearningRate(search == Lbfgs.LineSearch.NONE ? 0.1 : 1.0).optMaxIter(200).optMaxEval(400)
                    .optToleranceGrad(0).optToleranceChange(0).build();
            try (Lbfgs lbfgs = new Lbfgs(backend, 2, opt)) {
                for (int i = 0; i < 10; i++) {
                    assertNull(lbfgs.step(f.theta, f).refused());
                }
            }
            assertArrayEquals(new double[] {1, 1}, backend.toDoubleArray(f.theta), 1e-6);
        }
    }

    @Test
    void aStepThatDoesNotLowerTheLossIsRefusedLeavingThetaBitIdenticalAndRaisingTheDamping() {
        try (Backend backend = CpuBackend.f64()) {
            Quadratic q = new Quadratic(backend, 7);
            backend.copyFromHost(new double[] {0.3, -1.1, 0.7, 2.0, 0.1, -0.4, 0.9, 1.3, -0.2, 0.6, -1.7, 0.05}, 0,
                    q.theta);
            double[] before = backend.toDoubleArray(q.theta);
            // A curvature operator that lies (−A: the model predicts a decrease along +g, uphill): CG stops at the
            // first direction (non-positive curvature) with x = 0... so flip the sign on the damping side instead:
            // the operator returns A/1000, CG's step is 1000 times too long and overshoots the quadratic.
            CurvatureOperator tooFlat = (v, out) -> {
                q.apply(v, out);
                backend.scale(1e-3, out);
            };
            Optimizer opt = Optimizer.newtonCg().optDamping(1e-6).build();
            try (NewtonCg cg = new NewtonCg(backend, N, opt)) {
                assertNull(cg.step(q.theta, q, tooFlat).refused());
                NewtonCg.Info info = cg.lastStep();
                assertFalse(info.accepted());
                assertTrue(info.rho() < 0, "rho " + info.rho());
                assertEquals(1.5e-6, cg.damping(), 1e-18);
                double[] after = backend.toDoubleArray(q.theta);
                for (int i = 0; i < N; i++) {
                    assertEquals(Double.doubleToRawLongBits(before[i]), Double.doubleToRawLongBits(after[i]));
                }
            }
        }
    }
}
