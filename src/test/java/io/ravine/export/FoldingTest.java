package io.ravine.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fold of the z-score normalization into the first layer, checked in float64: the folded layer on raw x against
 * the original layer on normalized x̂ = (x − μ)/σ, both evaluated in double, so only the fold's own error is
 * measured (not a float32 GEMM's).
 */
class FoldingTest {
    /** float32's unit roundoff: a correctly rounded float has relative error at most 2⁻²⁴. */
    private static final double U = 0x1p-24;

    private record Layer(int out, int in, float[] w, float[] b, float[] mean, float[] std) {
    }

    /** A random layer whose features have |μ|/σ up to {@code ratio}, and raw inputs drawn around μ with spread σ. */
    private static Layer layer(SplittableRandom rng, int out, int in, double ratio) {
        float[] w = new float[out * in];
        float[] b = new float[out];
        float[] mean = new float[in];
        float[] std = new float[in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < out; i++) {
            b[i] = (float) rng.nextGaussian();
        }
        for (int j = 0; j < in; j++) {
            std[j] = (float) Math.pow(10, -2 + 4 * rng.nextDouble());
            mean[j] = (float) ((2 * rng.nextDouble() - 1) * ratio * std[j]);
        }
        return new Layer(out, in, w, b, mean, std);
    }

    private static float[] input(SplittableRandom rng, Layer l) {
        float[] x = new float[l.in];
        for (int j = 0; j < l.in; j++) {
            x[j] = (float) (l.mean[j] + l.std[j] * rng.nextGaussian());
        }
        return x;
    }

    /** W x̂ + b with x̂ = (x − μ)/σ, in double: the layer as Ravine trained it. */
    private static double original(Layer l, float[] x, int i) {
        double z = l.b[i];
        for (int j = 0; j < l.in; j++) {
            z += (double) l.w[i * l.in + j] * (((double) x[j] - l.mean[j]) / l.std[j]);
        }
        return z;
    }

    /** The scale float32 rounding of this output is relative to: Σ|W x̂| + |b|. */
    private static double magnitude(Layer l, float[] x, int i) {
        double s = Math.abs(l.b[i]);
        for (int j = 0; j < l.in; j++) {
            s += Math.abs((double) l.w[i * l.in + j] * (((double) x[j] - l.mean[j]) / l.std[j]));
        }
        return s;
    }

    @Test
    void theExactFoldIsTheSameLayerOnRawInputs() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int trial = 0; trial < 20; trial++) {
            Layer l = layer(rng, 7, 30, 10);
            Folding.ExactLayer f = Folding.foldExact(l.w, l.b, l.out, l.in, l.mean, l.std);
            float[] x = input(rng, l);
            for (int i = 0; i < l.out; i++) {
                double folded = f.bias()[i];
                for (int j = 0; j < l.in; j++) {
                    folded += f.weight()[i * l.in + j] * x[j];
                }
                // Algebra only: double arithmetic (2⁻⁵³ ≈ 1.1e-16 per operation, a few dozen operations, amplified
                // by |μ|/σ ≤ 10 where W'x and W'μ cancel) stays far below 1e-12 of the terms' magnitude.
                double err = Math.abs(folded - original(l, x, i)) / magnitude(l, x, i);
                assertTrue(err < 1e-12, "trial " + trial + " row " + i + ": " + err);
            }
        }
    }

    @Test
    void theFloat32FoldIsWithinItsBoundAndOneMillionthForModerateMeans() {
        SplittableRandom rng = new SplittableRandom(2);
        double worst = 0;
        for (int trial = 0; trial < 50; trial++) {
            Layer l = layer(rng, 16, 64, 10);
            Folding.Layer f = Folding.fold(l.w, l.b, l.out, l.in, l.mean, l.std);
            for (int sample = 0; sample < 5; sample++) {
                float[] x = input(rng, l);
                for (int i = 0; i < l.out; i++) {
                    double err = Math.abs(evaluate(f, l, x, i) - original(l, x, i));
                    assertTrue(err <= bound(f, l, x, i), "trial " + trial + " row " + i + ": error " + err
                            + " above the bound " + bound(f, l, x, i));
                    worst = Math.max(worst, err / magnitude(l, x, i));
                }
            }
        }
        // |μ|/σ ≤ 10: the bound's |b'| ≤ |b| + Σ|W'μ| is at most ~10 times the terms' magnitude, so about 10·u =
        // 6e-7 relative at worst; 1e-6 is the brief's tolerance for the fold.
        assertTrue(worst <= 1e-6, "worst relative error " + worst);
    }

    @Test
    void largeMeansNextToSmallStandardDeviationsStayWithinTheBound() {
        // |μ|/σ up to 1000 (a year, mean 2000, std 2): W'x and b' ≈ −W'μ cancel, so the relative error grows with
        // the ratio (docs/export.md); it must still be what the class comment promises.
        SplittableRandom rng = new SplittableRandom(3);
        for (int trial = 0; trial < 50; trial++) {
            Layer l = layer(rng, 8, 32, 1000);
            Folding.Layer f = Folding.fold(l.w, l.b, l.out, l.in, l.mean, l.std);
            float[] x = input(rng, l);
            for (int i = 0; i < l.out; i++) {
                double err = Math.abs(evaluate(f, l, x, i) - original(l, x, i));
                assertTrue(err <= bound(f, l, x, i), "trial " + trial + " row " + i + ": " + err);
            }
        }
    }

    /** W'x + b' of the float32 fold, evaluated in double. */
    private static double evaluate(Folding.Layer f, Layer l, float[] x, int i) {
        double z = f.bias()[i];
        for (int j = 0; j < l.in; j++) {
            z += (double) f.weight()[i * l.in + j] * x[j];
        }
        return z;
    }

    /**
     * Folding's bound, u·(Σ|W'||x − μ| + |b'|), with 1e-9 of the magnitude added for the double arithmetic on
     * both sides (each a few dozen operations at 2⁻⁵³, times |μ|/σ ≤ 1000).
     */
    private static double bound(Folding.Layer f, Layer l, float[] x, int i) {
        double s = Math.abs(f.bias()[i]);
        double big = Math.abs(f.bias()[i]);
        for (int j = 0; j < l.in; j++) {
            s += Math.abs((double) f.weight()[i * l.in + j]) * Math.abs((double) x[j] - l.mean[j]);
            big += Math.abs((double) f.weight()[i * l.in + j] * x[j]);
        }
        return U * (1 + 4 * U) * s + 1e-12 * big;
    }

    @Test
    void theIdentityNormalizationLeavesTheLayerBitForBit() {
        SplittableRandom rng = new SplittableRandom(4);
        Layer l = layer(rng, 5, 9, 1);
        float[] zeros = new float[l.in];
        float[] ones = new float[l.in];
        java.util.Arrays.fill(ones, 1f);
        Folding.Layer f = Folding.fold(l.w, l.b, l.out, l.in, zeros, ones);
        assertArrayEquals(l.w, f.weight());
        assertArrayEquals(l.b, f.bias());
    }

    @Test
    void aFoldThatOverflowsFloat32IsRefusedNamingTheEntry() {
        float[] w = {1f, 3e38f};
        ArithmeticException e = assertThrows(ArithmeticException.class,
                () -> Folding.fold(w, new float[] {0f}, 1, 2, new float[2], new float[] {1f, 1e-6f}));
        assertTrue(e.getMessage().contains("weight [0, 1]") && e.getMessage().contains("overflows float32"),
                e.getMessage());
    }
}
