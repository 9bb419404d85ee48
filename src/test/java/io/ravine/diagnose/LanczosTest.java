package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Backend;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.nn.Model;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Lanczos Ritz values against a dense Jacobi eigen-solve of the same Hessian. */
class LanczosTest {

    @Test
    void fullLengthRunFindsEveryEigenvalueWithItsMultiplicity() {
        // P = 3·(5+1) = 18 with each eigenvalue of C three times: the Krylov space of one start vector has only 6
        // dimensions. After 6 steps the residual is rounding noise (float64 R-operator: ≈ 1e-15 relative), the
        // Krylov space is exhausted, and the run restarts from a fresh vector, so the other copies are found too.
        LinearRegression lr = new LinearRegression(400, 5, 3, 0.7, 11);
        double[] expected = JacobiEigen.eigenvalues(lr.hessian());
        Lanczos.Result r = run(CpuBackend.f64(), lr, lr.theta.length, 3);
        assertEquals(expected.length, r.ritzValues().length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], r.ritzValues()[i], 1e-7 * expected[0], "eigenvalue " + i);
        }
    }

    @Test
    void anExactlyExhaustedKrylovSpaceRestarts() {
        double[] diag = {5, 5, 5, 2, 2, 2, 1, 1, 1, 0.5, 0.5, 0.5};
        Lanczos.Result r = Lanczos.run(new DiagonalOperator(CpuBackend.f64(), diag), diag.length, 1);
        assertEquals(2, r.restarts(), "one start vector spans 4 dimensions; 12 need two restarts");
        for (int i = 0; i < diag.length; i++) {
            assertEquals(diag[i], r.ritzValues()[i], 1e-12);
        }
    }

    @Test
    void aNonFiniteProductStopsTheRunWithItsReasonInsteadOfThrowing() {
        // The first product NaN (a θ that blew up): no step completes, no Ritz value, and the reason.
        Lanczos.Result none = Lanczos.run(new BreakingOperator(CpuBackend.f64(), 0, Double.NaN), 6, 1);
        assertEquals(0, none.steps());
        assertEquals(0, none.ritzValues().length);
        assertTrue(none.failure().startsWith("the Hessian-vector product was not finite at Lanczos step 0"),
                none.failure());
        HessianSpectrum h = HessianSpectrum.from(none, java.util.List.of(), 3, true);
        assertTrue(Double.isNaN(h.maxEigenvalue()) && Double.isNaN(h.minEigenvalue()) && h.density() == null);
        assertEquals(none.failure(), h.failure());
        // Infinite from step 3 on: the three completed steps' Ritz values are kept, and they are those of a clean
        // three-step run (the same start vector), inside the operator's spectrum.
        double[] diag = {4, 3, 2, 1, 0.5, 0.25};
        Lanczos.Result part = Lanczos.run(new BreakingOperator(CpuBackend.f64(), 3, Double.POSITIVE_INFINITY,
                diag), 6, 1);
        Lanczos.Result clean = Lanczos.run(new DiagonalOperator(CpuBackend.f64(), diag), 3, 1);
        assertEquals(3, part.steps());
        assertTrue(part.failure().contains("Lanczos step 3"), part.failure());
        assertArrayEquals(clean.ritzValues(), part.ritzValues());
        assertEquals(null, clean.failure());
    }

    @Test
    void twentyStepsFindTheTopEigenvaluesAndBoundTheSmallest() {
        // d = 40, one output: P = 41 distinct eigenvalues spread geometrically, 20 steps.
        LinearRegression lr = new LinearRegression(500, 40, 1, 0.85, 12);
        double[] exact = JacobiEigen.eigenvalues(lr.hessian());
        Lanczos.Result r = run(CpuBackend.f64(), lr, 20, 4);
        HessianSpectrum s = HessianSpectrum.from(r, java.util.List.of(), 5, false);
        for (int i = 0; i < 5; i++) {
            assertEquals(exact[i], s.topEigenvalues()[i], 1e-6 * exact[0], "top " + i);
            assertTrue(s.topResiduals()[i] < 1e-4 * exact[0], "residual " + i + ": " + s.topResiduals()[i]);
        }
        // Ritz values lie in [λ_min, λ_max]: the smallest is an upper bound on λ_min (this spectrum crowds towards
        // 0 at the bottom, where 20 steps do not resolve single eigenvalues).
        double exactKappa = exact[0] / exact[exact.length - 1];
        assertTrue(s.minEigenvalue() >= exact[exact.length - 1] - 1e-9 * exact[0]);
        // Unconverged at the bottom: κ is not given as a number, only the lower bound interlacing guarantees.
        assertEquals(null, s.conditionNumber(), s.accuracy().toString());
        assertTrue(s.accuracy().conditionNumberStatus().startsWith("not resolved: lambda_min not converged"),
                s.accuracy().conditionNumberStatus());
        assertTrue(s.accuracy().minEigenvalueResidual() > s.minEigenvalue());
        assertEquals(exact[0] / s.minEigenvalue(), s.accuracy().conditionNumberLowerBound(), 1e-6 * exactKappa);
        assertTrue(s.accuracy().conditionNumberLowerBound() <= exactKappa);
        assertEquals(2 / s.topEigenvalues()[0], s.maxStableLearningRate(), 1e-12);
    }

    @Test
    void isolatedBottomEigenvalueConvergesInTwentySteps() {
        // 60 eigenvalues evenly in [1, 4] plus isolated ones at 9 and −2: both ends converge fast.
        double[] diag = new double[62];
        for (int i = 0; i < 60; i++) {
            diag[i] = 1 + 3.0 * i / 59;
        }
        diag[60] = 9;
        diag[61] = -2;
        Lanczos.Result r = Lanczos.run(new DiagonalOperator(CpuBackend.f64(), diag), 20, 8);
        HessianSpectrum s = HessianSpectrum.from(r, java.util.List.of(), 3, false);
        assertEquals(9, s.maxEigenvalue(), 1e-8);
        assertEquals(-2, s.minEigenvalue(), 1e-8);
        assertTrue(s.saddle());
    }

    @Test
    void float32ModelGivesTheTopEigenvaluesToFiniteDifferenceAccuracy() {
        LinearRegression lr = new LinearRegression(500, 12, 1, 0.8, 13);
        double[] exact = JacobiEigen.eigenvalues(lr.hessian());
        Lanczos.Result r = run(CpuBackend.f32(), lr, 10, 5);
        // √ε_mach(float32) ≈ 3.5e-4 relative to ‖H‖ per product; 3e-3 leaves margin.
        for (int i = 0; i < 3; i++) {
            assertEquals(exact[i], r.ritzValues()[i], 3e-3 * exact[0], "top " + i);
        }
    }

    @Test
    void negativeCurvatureIsFlaggedAndTheConditionNumberIsUndefined() {
        double[] diag = {5, 2, 1, 0.5, -0.5, -0.01};
        Lanczos.Result r = Lanczos.run(new DiagonalOperator(CpuBackend.f64(), diag), diag.length, 1);
        HessianSpectrum s = HessianSpectrum.from(r, java.util.List.of(), 3, true);
        assertEquals(5, s.topEigenvalues()[0], 1e-12);
        assertEquals(-0.5, s.minEigenvalue(), 1e-12);
        assertTrue(s.saddle());
        // −0.01 is below −1e-3·5 too; both are negative curvature.
        assertEquals(2, s.negativeEigenvalues().length);
        assertEquals(-0.5, s.negativeEigenvalues()[0], 1e-12);
        assertEquals(null, s.conditionNumber());
        assertEquals(0.4, s.maxStableLearningRate(), 1e-12);
    }

    @Test
    void densityIntegratesToOneAndPeaksAtTheEigenvalues() {
        double[] diag = new double[60];
        for (int i = 0; i < diag.length; i++) {
            diag[i] = i < 30 ? 1.0 : 10.0; // two clusters of equal mass
        }
        SymmetricOperator op = new DiagonalOperator(CpuBackend.f64(), diag);
        java.util.List<Lanczos.Result> probes = new java.util.ArrayList<>();
        for (int p = 0; p < 8; p++) {
            probes.add(Lanczos.run(op, 10, 100 + p));
        }
        SpectralDensity d = SpectralDensity.estimate(probes);
        double integral = 0;
        double massBelow5 = 0;
        for (int i = 1; i < d.grid().length; i++) {
            double area = 0.5 * (d.density()[i] + d.density()[i - 1]) * (d.grid()[i] - d.grid()[i - 1]);
            integral += area;
            if (d.grid()[i] < 5) {
                massBelow5 += area;
            }
        }
        assertEquals(1.0, integral, 1e-3);
        // Each probe's weight on a cluster is a χ² fraction around 1/2; eight probes keep the mean within 0.2.
        assertEquals(0.5, massBelow5, 0.2);
        int peak = 0;
        for (int i = 0; i < d.grid().length; i++) {
            if (d.density()[i] > d.density()[peak]) {
                peak = i;
            }
        }
        double at = d.grid()[peak];
        assertTrue(Math.abs(at - 1) < 3 * d.sigma() || Math.abs(at - 10) < 3 * d.sigma(), "peak at " + at);
    }

    @Test
    void tridiagonalEigenAgreesWithJacobi() {
        SplittableRandom rng = new SplittableRandom(3);
        int n = 12;
        double[] diag = new double[n];
        double[] off = new double[n - 1];
        double[][] dense = new double[n][n];
        for (int i = 0; i < n; i++) {
            diag[i] = rng.nextGaussian();
            dense[i][i] = diag[i];
            if (i + 1 < n) {
                off[i] = rng.nextGaussian();
                dense[i][i + 1] = off[i];
                dense[i + 1][i] = off[i];
            }
        }
        TridiagonalEigen e = TridiagonalEigen.of(diag, off);
        double[] expected = JacobiEigen.eigenvalues(dense);
        for (int j = 0; j < n; j++) {
            assertEquals(expected[j], e.values()[j], 1e-12);
            double[] v = e.vector(j);
            double[] tv = LinearRegression.multiply(dense, v);
            for (int i = 0; i < n; i++) {
                assertEquals(e.values()[j] * v[i], tv[i], 1e-12);
            }
        }
    }

    private static Lanczos.Result run(Backend b, LinearRegression lr, int steps, long seed) {
        try (Model m = new Model(b, lr.mlp); HessianVectorProduct hvp = new HessianVectorProduct(m, lr.dataset(), 128)) {
            m.setParameters(lr.theta);
            return Lanczos.run(hvp, steps, seed);
        }
    }

    /** diag(values) as an operator (host round trip; tests only). */
    /** A diagonal operator (all ones by default) whose products from the {@code from}-th on hold {@code bad}. */
    static final class BreakingOperator implements SymmetricOperator {
        private final DiagonalOperator inner;
        private final int from;
        private final double bad;
        private int calls;

        BreakingOperator(Backend backend, int from, double bad, double... diag) {
            this.inner = new DiagonalOperator(backend, diag.length > 0 ? diag : new double[] {1, 1, 1, 1, 1, 1});
            this.from = from;
            this.bad = bad;
        }

        @Override
        public Backend backend() {
            return inner.backend();
        }

        @Override
        public int dimension() {
            return inner.dimension();
        }

        @Override
        public void apply(io.ravine.backend.Tensor v, io.ravine.backend.Tensor out) {
            inner.apply(v, out);
            if (calls++ >= from) {
                double[] x = backend().toDoubleArray(out);
                x[x.length / 2] = bad;
                backend().copyFromHost(x, 0, out);
            }
        }
    }

    static final class DiagonalOperator implements SymmetricOperator {
        private final Backend backend;
        private final double[] values;

        DiagonalOperator(Backend backend, double[] values) {
            this.backend = backend;
            this.values = values;
        }

        @Override
        public Backend backend() {
            return backend;
        }

        @Override
        public int dimension() {
            return values.length;
        }

        @Override
        public void apply(io.ravine.backend.Tensor v, io.ravine.backend.Tensor out) {
            double[] x = backend.toDoubleArray(v);
            for (int i = 0; i < x.length; i++) {
                x[i] *= values[i];
            }
            backend.copyFromHost(x, 0, out);
        }
    }
}
