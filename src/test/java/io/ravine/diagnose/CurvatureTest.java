package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Backend;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.nn.Model;
import org.junit.jupiter.api.Test;

/** ‖g‖, gᵀHg, ε* and the second-order model on linear regression, where all of them can be written down. */
class CurvatureTest {

    @Test
    void gHgAndTheOptimalStepMatchADirectComputation() {
        LinearRegression lr = new LinearRegression(400, 6, 3, 0.8, 21);
        double[] g = lr.gradient(lr.theta);
        double gg = LinearRegression.dot(g, g);
        double gHg = LinearRegression.dot(g, LinearRegression.multiply(lr.hessian(), g));
        try (Model m = new Model(CpuBackend.f64(), lr.mlp)) {
            m.setParameters(lr.theta);
            Curvature.AlongGradient a = Curvature.alongGradient(m, lr.dataset(), 128);
            // float64 R-operator: exact but for rounding (≈ 1e-15 relative); 1e-6 as for the differences before it.
            assertEquals(Math.sqrt(gg), a.gradientNorm(), 1e-12 * Math.sqrt(gg));
            assertEquals(gHg, a.gHg(), 1e-6 * gHg);
            assertEquals(gg / gHg, a.optimalStep(), 1e-6 * gg / gHg);
        }
    }

    @Test
    void onAQuadraticTheSecondOrderModelIsExact() {
        LinearRegression lr = new LinearRegression(400, 6, 2, 0.8, 22);
        try (Model m = new Model(CpuBackend.f64(), lr.mlp);
                HessianVectorProduct hvp = new HessianVectorProduct(m, lr.dataset(), 4096)) {
            m.setParameters(lr.theta);
            Curvature.GradientStudy s = Curvature.study(hvp, new double[] {0.05}, 11);
            assertEquals(2, s.checks().size());
            Curvature.StepCheck atOptimum = s.checks().get(0);
            assertEquals(s.along().optimalStep(), atOptimum.step());
            // At ε* the quadratic's decrease is −½ (gᵀg)² / gᵀHg.
            double gg = s.along().gradientNorm() * s.along().gradientNorm();
            assertEquals(-0.5 * gg * gg / s.along().gHg(), atOptimum.predictedChange(),
                    1e-12 * Math.abs(atOptimum.predictedChange()));
            for (Curvature.StepCheck c : s.checks()) {
                assertEquals(c.predictedChange(), c.actualChange(), 1e-6 * Math.abs(c.predictedChange()),
                        "step " + c.step());
            }
            for (int i = 0; i < s.curveSteps().length; i++) {
                assertEquals(s.curveQuadratic()[i], s.curveActual()[i], 1e-6 * Math.abs(s.loss()));
            }
            // The curve's minimum is at ε*: the middle of [0, 2ε*].
            assertEquals(2 * s.along().optimalStep(), s.curveSteps()[s.curveSteps().length - 1], 1e-15);
        }
    }

    @Test
    void thetaIsLeftBitForBitUnchanged() {
        LinearRegression lr = new LinearRegression(100, 4, 2, 0.8, 23);
        Backend b = CpuBackend.f32();
        try (Model m = new Model(b, lr.mlp)) {
            m.setParameters(lr.thetaF32());
            float[] before = m.parameters();
            Curvature.AlongGradient a = Curvature.alongGradient(m, lr.dataset(), 32);
            assertArrayEquals(before, m.parameters());
            assertTrue(a.gHg() > 0);
        }
    }
}
