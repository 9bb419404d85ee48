package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import io.ravine.backend.Tolerances;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.nn.Model;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** H·v by central differences of gradients against the Hessian of a quadratic written down by hand. */
class HessianVectorProductTest {
    /**
     * float64 on an exact quadratic: the central difference has no truncation error, only rounding of
     * ε_mach·‖∇J‖/(ε‖v‖) ≈ √ε_mach ≈ 1.5e-8 relative; 1e-6 leaves margin, a wrong factor or index is order 1.
     */
    private static final double F64_HVP = 1e-6;
    /**
     * float32: rounding θ ± εv and the float32 gradient give ≈ √ε_mach ≈ 3.5e-4 relative (see
     * HessianVectorProduct); 3e-3 leaves margin for the float32 reductions over N rows.
     */
    private static final double F32_HVP = 3e-3;

    @Test
    void productOnAQuadraticEqualsTheHessianTimesTheVector() {
        LinearRegression lr = new LinearRegression(300, 6, 3, 0.8, 5);
        double[][] h = lr.hessian();
        double[] v = randomVector(lr.theta.length, 9);
        double[] expected = LinearRegression.multiply(h, v);
        assertTrue(Tolerances.relativeError(product(CpuBackend.f64(), lr, v, 4096), expected) < F64_HVP);
        assertTrue(Tolerances.relativeError(product(CpuBackend.f32(), lr, v, 4096), expected) < F32_HVP);
    }

    @Test
    void chunkedGradientEqualsTheWholeSubsetGradient() {
        LinearRegression lr = new LinearRegression(301, 5, 2, 0.9, 6);
        double[] direct = lr.gradient(lr.theta);
        Backend b = CpuBackend.f64();
        for (int capacity : new int[] {1000, 64, 7}) {
            try (Model m = new Model(b, lr.mlp);
                    HessianVectorProduct hvp = new HessianVectorProduct(m, lr.dataset(), capacity);
                    Tensor g = b.allocateVector(lr.theta.length)) {
                m.setParameters(lr.theta);
                hvp.lossAndGradient(g);
                assertTrue(Tolerances.relativeError(b.toDoubleArray(g), direct) < 1e-12,
                        "capacity " + capacity);
            }
        }
    }

    @Test
    void thetaComesBackBitForBit() {
        LinearRegression lr = new LinearRegression(200, 6, 3, 0.8, 7);
        Backend b = CpuBackend.f32();
        try (Model m = new Model(b, lr.mlp);
                HessianVectorProduct hvp = new HessianVectorProduct(m, lr.dataset(), 64);
                Tensor v = b.allocateVector(lr.theta.length);
                Tensor out = b.allocateVector(lr.theta.length)) {
            m.setParameters(lr.thetaF32());
            float[] before = m.parameters();
            b.copyFromHost(randomVector(lr.theta.length, 3), 0, v);
            hvp.apply(v, out);
            hvp.lossAt(v, 0.37);
            assertArrayEquals(before, m.parameters());
            assertEquals(2, hvp.gradientPasses());
        }
    }

    private static double[] product(Backend b, LinearRegression lr, double[] v, int capacity) {
        try (Model m = new Model(b, lr.mlp);
                HessianVectorProduct hvp = new HessianVectorProduct(m, lr.dataset(), capacity);
                Tensor vt = b.allocateVector(v.length);
                Tensor out = b.allocateVector(v.length)) {
            m.setParameters(lr.theta);
            b.copyFromHost(v, 0, vt);
            hvp.apply(vt, out);
            return b.toDoubleArray(out);
        }
    }

    static double[] randomVector(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rng.nextGaussian();
        }
        return v;
    }
}
