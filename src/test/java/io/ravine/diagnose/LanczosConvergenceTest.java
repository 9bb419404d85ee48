package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import io.ravine.backend.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Lanczos residuals against the true errors on matrices whose spectrum and eigenvectors are known (diagonal, so the
 * eigenvectors are the unit vectors): the reported residual |β_k s_k| is the residual ‖Ay − θy‖ of the Ritz vector
 * computed explicitly, it bounds the distance to the nearest eigenvalue, and convergence by residual stops where it
 * says.
 */
class LanczosConvergenceTest {
    /** 150 eigenvalues: a bulk in [0.5, 3], outliers 20, 12, 8 at the top and 0.05, 0.01 at the bottom. */
    static double[] spectrum() {
        double[] d = new double[150];
        for (int i = 0; i < 145; i++) {
            d[i] = 0.5 + 2.5 * i / 144.0;
        }
        d[145] = 20;
        d[146] = 12;
        d[147] = 8;
        d[148] = 0.05;
        d[149] = 0.01;
        return d;
    }

    @Test
    void reportedResidualsAreTheRitzVectorsResidualsAndBoundTheTrueErrors() {
        double[] diag = spectrum();
        Backend b = CpuBackend.f64();
        int p = diag.length;
        for (int steps : new int[] {8, 20, 40}) {
            // Projecting every unit vector gives the Ritz vectors themselves: y_i[m] = y_iᵀ e_m.
            List<Tensor> units = new ArrayList<>();
            for (int m = 0; m < p; m++) {
                Tensor e = b.allocateVector(p);
                double[] v = new double[p];
                v[m] = 1;
                b.copyFromHost(v, 0, e);
                units.add(e);
            }
            Lanczos.Result r = Lanczos.run(new LanczosTest.DiagonalOperator(b, diag), Lanczos.Stopping.fixed(steps), 5,
                    units);
            for (int i = 0; i < r.steps(); i++) {
                double theta = r.ritzValues()[i];
                double residual2 = 0;
                double norm2 = 0;
                for (int m = 0; m < p; m++) {
                    double y = r.projections()[m][i];
                    residual2 += (diag[m] - theta) * (diag[m] - theta) * y * y;
                    norm2 += y * y;
                }
                assertEquals(1.0, norm2, 1e-10, "Ritz vectors are unit vectors");
                // |β_k s_k| against ‖Ay − θy‖: the same number up to rounding (relative to ‖A‖ = 20).
                assertEquals(Math.sqrt(residual2), r.residuals()[i], 1e-10 * 20, steps + " steps, Ritz " + i);
                double nearest = Double.POSITIVE_INFINITY;
                for (double lambda : diag) {
                    nearest = Math.min(nearest, Math.abs(lambda - theta));
                }
                assertTrue(nearest <= r.residuals()[i] + 1e-12 * 20, steps + " steps, Ritz " + i + ": error "
                        + nearest + " > residual " + r.residuals()[i]);
            }
            units.forEach(Tensor::close);
            // The top outlier: its error is far below its residual (r²/gap with gap 8), and both shrink with steps.
            double error = 20 - r.ritzValues()[0];
            assertTrue(error >= -1e-12 && error <= r.residuals()[0] * r.residuals()[0] / 7.9 + 1e-12,
                    steps + " steps: error " + error + ", residual " + r.residuals()[0]);
        }
    }

    @Test
    void convergenceByResidualStopsOnceBothEndsMeetTheTolerance() {
        double[] diag = spectrum();
        LanczosTest.DiagonalOperator op = new LanczosTest.DiagonalOperator(CpuBackend.f64(), diag);
        double tolerance = 1e-8;
        Lanczos.Result r = Lanczos.run(op, new Lanczos.Stopping(5, 150, tolerance), 5);
        assertTrue(r.converged());
        assertTrue(r.steps() > 5 && r.steps() < 150, "stopped by residual at " + r.steps());
        int last = r.steps() - 1;
        assertTrue(r.residuals()[0] <= tolerance * 20 && r.residuals()[last] <= tolerance * 20);
        // The residuals bound the true errors of both ends.
        assertEquals(20, r.ritzValues()[0], r.residuals()[0] + 1e-12);
        assertEquals(0.01, r.ritzValues()[last], r.residuals()[last] + 1e-12);
        // One step fewer and it had not converged: the stop is where the residuals say, not later.
        Lanczos.Result before = Lanczos.run(op, Lanczos.Stopping.fixed(r.steps() - 1), 5);
        int lb = before.steps() - 1;
        assertTrue(before.residuals()[0] > tolerance * 20 || before.residuals()[lb] > tolerance * 20);
        // Under a cap below that, the run stops at the cap and says it has not converged.
        Lanczos.Result capped = Lanczos.run(op, new Lanczos.Stopping(5, r.steps() - 2, tolerance), 5);
        assertEquals(r.steps() - 2, capped.steps());
        assertFalse(capped.converged());
    }

    @Test
    void anExhaustedKrylovSpaceAfterTheMinimumIsConvergence() {
        // Three distinct eigenvalues, four times each: one start vector's Krylov space has three dimensions.
        double[] diag = {4, 4, 4, 4, 2, 2, 2, 2, 1, 1, 1, 1};
        Lanczos.Result r = Lanczos.run(new LanczosTest.DiagonalOperator(CpuBackend.f64(), diag),
                new Lanczos.Stopping(2, 12, 1e-14), 3);
        assertEquals(3, r.steps());
        assertEquals(0, r.restarts());
        assertTrue(r.converged());
        assertEquals(4, r.ritzValues()[0], 1e-12);
        assertEquals(2, r.ritzValues()[1], 1e-12);
        assertEquals(1, r.ritzValues()[2], 1e-12);
        for (double res : r.residuals()) {
            assertTrue(res < 1e-12, "exact: residual " + res);
        }
    }
}
