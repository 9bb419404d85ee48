package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.Dataset;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Goodfellow's directional curvature, gᵀHg = Σ λᵢ‖g‖²cos²∠(vᵢ, g), from the diagnosis against an exact
 * eigendecomposition of a small network's Hessian (hyper-dual Hessian and gradient, Jacobi eigenvectors).
 */
class DirectionalCurvatureTest {
    private static final int N = 9;
    private static final Mlp MLP = new Mlp(3, new int[] {4}, 3, Activation.TANH, LossKind.SOFTMAX_CE);

    private final float[] x = new float[N * 3];
    private final float[] t;
    private final double[] theta = new double[MLP.parameterCount()];

    DirectionalCurvatureTest() {
        SplittableRandom rng = new SplittableRandom(77);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        t = HyperDual.targets(LossKind.SOFTMAX_CE, N, 3, rng);
        for (int i = 0; i < theta.length; i++) {
            theta[i] = (float) (0.9 * rng.nextGaussian());
        }
    }

    private Diagnosis.Report diagnose(int steps, int topK) {
        Dataset data = new Dataset("tiny", N, 3, x, 1, t, 3);
        try (Model m = new Model(CpuBackend.f32(), MLP)) {
            m.setParameters(theta);
            return Diagnosis.run(m, data, Diagnosis.Options.defaults().withSubsetSize(N)
                    .withLanczosStopping(steps, steps, 0).withLanczos(steps, topK));
        }
    }

    private double[] gradient() {
        int p = theta.length;
        double[] g = new double[p];
        for (int i = 0; i < p; i++) {
            HyperDual[] th = new HyperDual[p];
            for (int m = 0; m < p; m++) {
                th[m] = new HyperDual(theta[m], m == i ? 1 : 0, 0, 0);
            }
            g[i] = HyperDual.loss(MLP, th, x, t, N).b();
        }
        return g;
    }

    @Test
    void overTheWholeSpectrumTheDirectionsExplainAllOfGHg() {
        int p = theta.length;
        Diagnosis.Report r = diagnose(p, p);
        assertEquals(Diagnosis.Precision.F64, r.precision());
        DirectionalCurvature d = r.directional();
        assertEquals(p, d.eigenvalues().length);
        double scale = r.hessian().accuracy().normEstimate() * d.gradientNormSquared();
        // Every direction: Σ cos² = 1 and Σ λᵢ‖g‖²cos²ᵢ = gᵀHg, to float64 rounding (≈ P·u relative to ‖H‖‖g‖²).
        assertEquals(1.0, 1 - d.outsideMass(), 1e-12);
        assertEquals(d.gHg(), d.explained(), 1e-12 * scale);
        assertEquals(0.0, d.remainder(), 1e-12 * scale);
        double shares = 0;
        for (double s : d.shares()) {
            shares += s;
        }
        assertEquals(1.0, shares, 1e-12 * scale / Math.abs(d.gHg()));
    }

    @Test
    void topDirectionsMatchTheExactEigenvectorsAndTheRestIsTheRemainder() {
        int p = theta.length;
        double[][] h = HyperDual.hessian(MLP, theta, x, t, N);
        double[][] vectors = new double[p][p];
        double[] lambda = JacobiEigen.decompose(h, vectors);
        double[] g = gradient();
        double gg = LinearRegression.dot(g, g);
        double gHg = LinearRegression.dot(g, LinearRegression.multiply(h, g));
        int k = 3;
        // A full-length run: the top Ritz pairs are eigenpairs to rounding.
        Diagnosis.Report r = diagnose(p, k);
        DirectionalCurvature d = r.directional();
        assertEquals(gg, d.gradientNormSquared(), 1e-12 * gg);
        assertEquals(gHg, d.gHg(), 1e-10 * Math.abs(lambda[0]) * gg);
        double exactRest = 0;
        for (int i = 0; i < p; i++) {
            double c = LinearRegression.dot(vectors[i], g);
            double cos2 = c * c / gg;
            if (i < k) {
                assertEquals(lambda[i], d.eigenvalues()[i], 1e-10 * Math.abs(lambda[0]), "λ " + i);
                assertEquals(cos2, d.cosineSquared()[i], 1e-9, "cos² " + i);
            } else {
                exactRest += lambda[i] * gg * cos2;
            }
        }
        assertTrue(d.cosineSquared()[0] + d.cosineSquared()[1] + d.cosineSquared()[2] < 0.999,
                "g is not inside the top three directions, so the remainder is not trivially 0");
        // The diagnosis's remainder is what the other directions contribute, computed from the exact eigenvectors.
        assertEquals(exactRest, d.remainder(), 1e-10 * Math.abs(lambda[0]) * gg);
        assertEquals(gHg, d.explained() + exactRest, 1e-10 * Math.abs(lambda[0]) * gg);
    }
}
