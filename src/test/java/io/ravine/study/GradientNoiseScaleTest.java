package io.ravine.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.Dataset;
import io.ravine.nn.Initializer;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GradientNoiseScaleTest {
    private static final int N = 30;
    private static final int SMALL = 2;
    private static final int BIG = 8;
    private static final int DRAWS = 20_000;

    /** A small classification problem: 30 random examples, 4 features, 3 classes, a 4-5-3 tanh MLP, float64. */
    private static Dataset toyData() {
        SplittableRandom rng = new SplittableRandom(5);
        float[] x = new float[N * 4];
        float[] y = new float[N];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (2 * rng.nextDouble() - 1);
        }
        for (int i = 0; i < N; i++) {
            y[i] = rng.nextInt(3);
        }
        return new Dataset("toy", N, 4, x, 1, y, 3);
    }

    @Test
    void estimatesAverageToTheExactGradientNormAndTraceFromPerExampleGradients() {
        Dataset data = toyData();
        Mlp mlp = new Mlp(4, new int[] {5}, 3, Activation.TANH, LossKind.SOFTMAX_CE);
        try (Backend backend = CpuBackend.f64(); Model model = new Model(backend, mlp)) {
            model.setParameters(mlp.initialParameters(Initializer.xavier(), 0.1, 9));
            // Exact: G = mean of the n per-example gradients, tr(Σ) = mean |g_i − G|² (population covariance,
            // which is what draws with replacement sample from).
            int p = mlp.parameterCount();
            double[][] g = new double[N][];
            Model.Workspace one = model.workspace(1);
            for (int i = 0; i < N; i++) {
                one.load(java.util.Arrays.copyOfRange(data.features(), i * 4, i * 4 + 4),
                        new float[] {data.targets()[i]}, 1);
                model.computeGradient(one, 1);
                g[i] = backend.toDoubleArray(model.gradient());
            }
            double[] mean = new double[p];
            for (double[] gi : g) {
                for (int j = 0; j < p; j++) {
                    mean[j] += gi[j] / N;
                }
            }
            double exactGradSq = 0;
            for (double m : mean) {
                exactGradSq += m * m;
            }
            double exactTrace = 0;
            for (double[] gi : g) {
                for (int j = 0; j < p; j++) {
                    exactTrace += (gi[j] - mean[j]) * (gi[j] - mean[j]) / N;
                }
            }

            GradientNormProbe probe = new GradientNormProbe(model, data, 17);
            double[] gradSq = new double[DRAWS];
            double[] trace = new double[DRAWS];
            double[] naive = new double[DRAWS];
            for (int k = 0; k < DRAWS; k++) {
                double small = probe.squaredNorm(SMALL);
                double big = probe.squaredNorm(BIG);
                gradSq[k] = GradientNoiseScale.gradNormSquared(small, SMALL, big, BIG);
                trace[k] = GradientNoiseScale.trace(small, SMALL, big, BIG);
                naive[k] = big;
            }
            // The draws are independent, so the mean of DRAWS estimates has standard error sd/√DRAWS; an unbiased
            // estimator lands within 4 standard errors of the truth except with probability ~6e-5 (and the seed is
            // fixed, so the test is deterministic).
            assertWithin(exactGradSq, gradSq, 4);
            assertWithin(exactTrace, trace, 4);
            // The test can see a bias of the size that matters: |G_big|² alone overestimates |G|² by tr(Σ)/B_big,
            // which is many standard errors here.
            double naiveBias = mean(naive) - exactGradSq;
            assertEquals(exactTrace / BIG, naiveBias, 4 * standardError(naive));
            assertTrue(naiveBias > 8 * standardError(gradSq), "the naive estimator's bias must be detectable");
        }
    }

    private static void assertWithin(double exact, double[] estimates, double errors) {
        double se = standardError(estimates);
        double m = mean(estimates);
        assertTrue(Math.abs(m - exact) < errors * se, "mean of estimates " + m + ", exact " + exact + ", SE " + se);
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static double standardError(double[] v) {
        double m = mean(v);
        double ss = 0;
        for (double x : v) {
            ss += (x - m) * (x - m);
        }
        return Math.sqrt(ss / (v.length - 1) / v.length);
    }

    @Test
    void movingAveragesOfExactExpectationsGiveTheExactNoiseScale() {
        // Feed E|G_B|² = |G|² + tr(Σ)/B exactly: every estimate is exact, so B_simple = tr(Σ)/|G|² from the first
        // update on (the bias correction makes the first average equal its one value).
        double gradSq = 0.5;
        double tr = 40;
        GradientNoiseScale ns = new GradientNoiseScale(16, 256, 0.9);
        for (int i = 0; i < 5; i++) {
            GradientNoiseScale.Estimate e = ns.update(gradSq + tr / 16, gradSq + tr / 256);
            assertEquals(gradSq, e.averageGradNormSquared(), 1e-12);
            assertEquals(tr, e.averageTrace(), 1e-9);
            assertEquals(80, e.simpleNoiseScale(), 1e-9);
        }
    }
}
