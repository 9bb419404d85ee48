package io.ravine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Activation;
import io.ravine.backend.StepParams;
import io.ravine.backend.Tensor;
import io.ravine.backend.Tolerances;
import io.ravine.backend.UpdateRule;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The float32 fast paths ({@link F32Kernels}, split by {@link CpuParallel}) against the float64 reference loops on
 * the same random inputs, at sizes that are not multiples of the block (2048), the column alignment or the thread
 * grain; and the same bits for every thread count.
 */
class F32FastPathTest {
    /** Shapes that cross every boundary: one row, fewer columns than a vector, more than a block, a split grain. */
    private static final int[][] SHAPES = {{1, 1}, {3, 7}, {17, 2049}, {129, 300}, {70, 1025}};

    private final CpuBackend f32 = CpuBackend.f32();
    private final CpuBackend f64 = CpuBackend.f64();

    @AfterEach
    void oneThreadAgain() {
        CpuParallel.setThreads(1);
    }

    private static float[] random(SplittableRandom rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (2 * rng.nextDouble() - 1);
        }
        return v;
    }

    private Tensor on(CpuBackend b, int rows, int cols, float[] values) {
        Tensor t = b.allocate(rows, cols);
        b.copyFromHost(values, 0, t);
        return t;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void biasActivationAndItsBackwardMatchTheFloat64Reference(Activation act) {
        SplittableRandom rng = new SplittableRandom(7);
        for (int threads : new int[] {1, 3}) {
            CpuParallel.setThreads(threads);
            for (int[] s : SHAPES) {
                int r = s[0];
                int c = s[1];
                float[] z = random(rng, r * c);
                float[] bias = random(rng, c);
                float[] dOut = random(rng, r * c);
                Tensor z32 = on(f32, r, c, z);
                Tensor z64 = on(f64, r, c, z);
                Tensor b32 = on(f32, c, 1, bias);
                Tensor b64 = on(f64, c, 1, bias);
                f32.biasActivationForward(z32, b32, act, z32);
                f64.biasActivationForward(z64, b64, act, z64);
                float[] y32 = f32.toFloatArray(z32);
                assertTrue(Tolerances.relativeError(toDouble(y32), f64.toDoubleArray(z64))
                        <= Tolerances.ELEMENTWISE_F32, act + " forward " + r + "x" + c);
                // Backward from the same (float) outputs on both sides, so only the backward is compared.
                Tensor y64 = on(f64, r, c, y32);
                Tensor d32 = on(f32, r, c, dOut);
                Tensor d64 = on(f64, r, c, dOut);
                f32.activationBackward(act, z32, d32, d32);
                f64.activationBackward(act, y64, d64, d64);
                assertTrue(Tolerances.relativeError(f32.toDoubleArray(d32), f64.toDoubleArray(d64))
                        <= Tolerances.ELEMENTWISE_F32, act + " backward " + r + "x" + c);
            }
        }
    }

    @Test
    void reluBackwardIsTheExactIndicatorEvenForTheSmallestPositiveOutput() {
        float[] y = {0f, Float.MIN_VALUE, Float.MIN_NORMAL, 1e-30f, 1f, 3e38f, Float.POSITIVE_INFINITY};
        float[] d = {5f, -2f, 3f, -4f, 0.5f, -0.25f, 7f};
        Tensor yt = on(f32, 1, y.length, y);
        Tensor dt = on(f32, 1, d.length, d);
        f32.activationBackward(Activation.RELU, yt, dt, dt);
        assertArrayEquals(new float[] {0f, -2f, 3f, -4f, 0.5f, -0.25f, 7f}, f32.toFloatArray(dt));
    }

    @Test
    void reluForwardClampsNegativesAndKeepsNaN() {
        float[] z = {-1f, -0f, 0f, 2.5f, Float.NaN};
        Tensor zt = on(f32, 1, z.length, z);
        Tensor bt = on(f32, z.length, 1, new float[z.length]);
        f32.biasActivationForward(zt, bt, Activation.RELU, zt);
        float[] y = f32.toFloatArray(zt);
        assertArrayEquals(new float[] {0f, 0f, 0f, 2.5f}, java.util.Arrays.copyOf(y, 4));
        assertTrue(Float.isNaN(y[4]), "a NaN pre-activation must stay visible to the loss");
    }

    @Test
    void columnSumMatchesTheReferenceAndDoesNotDependOnTheThreadCount() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int[] s : new int[][] {{1, 5}, {1024, 1024}, {333, 2070}, {5, 40000}}) {
            int r = s[0];
            int c = s[1];
            float[] x = random(rng, r * c);
            Tensor x32 = on(f32, r, c, x);
            Tensor x64 = on(f64, r, c, x);
            Tensor s64 = f64.allocateVector(c);
            f64.columnSum(x64, s64);
            float[] previous = null;
            for (int threads : new int[] {1, 2, 3}) {
                CpuParallel.setThreads(threads);
                Tensor s32 = f32.allocateVector(c);
                f32.columnSum(x32, s32);
                float[] got = f32.toFloatArray(s32);
                // Float accumulation over r rows: error ≈ √r·ε relative to the column's scale.
                assertTrue(Tolerances.relativeError(toDouble(got), f64.toDoubleArray(s64))
                        <= Tolerances.REDUCTION_F32, r + "x" + c);
                if (previous != null) {
                    assertArrayEquals(previous, got, "thread count changed the bits");
                }
                previous = got;
            }
        }
    }

    private static StepParams params(UpdateRule rule, double weightDecay, double clip, long t) {
        double b1 = 0.9;
        double b2 = 0.999;
        return new StepParams(0.01, 0.9, b1, b2, 1e-8, 0.1, weightDecay, clip, 1 - Math.pow(b1, t),
                1 - Math.pow(b2, t), t);
    }

    @ParameterizedTest
    // The fused rules only: L-BFGS and Newton-CG have no fused update (their vector work is axpy, dot and scale).
    @EnumSource(value = UpdateRule.class, names = {"LBFGS", "NEWTON_CG"}, mode = EnumSource.Mode.EXCLUDE)
    void everyUpdateRuleMatchesTheReferenceOverSeveralSteps(UpdateRule rule) {
        // 70 001 parameters: more than two grains, so three threads each get a block, and not a block multiple.
        int n = 70_001;
        for (double[] wdClip : new double[][] {{0, 0}, {0.01, 0}, {0, 0.5}}) {
            SplittableRandom rng = new SplittableRandom(11);
            float[] theta = random(rng, n);
            Tensor t32 = on(f32, n, 1, theta);
            Tensor t64 = on(f64, n, 1, theta);
            Tensor[] s32 = new Tensor[rule.stateCount()];
            Tensor[] s64 = new Tensor[rule.stateCount()];
            for (int i = 0; i < s32.length; i++) {
                s32[i] = f32.allocateVector(n);
                s64[i] = f64.allocateVector(n);
            }
            CpuParallel.setThreads(3);
            for (long step = 1; step <= 3; step++) {
                float[] g = random(rng, n);
                StepParams p = params(rule, wdClip[0], wdClip[1], step);
                f32.optimizerStep(rule, t32, on(f32, n, 1, g), s32, p);
                f64.optimizerStep(rule, t64, on(f64, n, 1, g), s64, p);
            }
            // Three steps: a few float roundings per element per step, well inside the training-step bound.
            double err = Tolerances.relativeError(f32.toDoubleArray(t32), f64.toDoubleArray(t64));
            assertTrue(err <= Tolerances.ELEMENTWISE_F32, rule + " wd/clip " + wdClip[0] + "/" + wdClip[1] + ": "
                    + err);
        }
    }

    @Test
    void adamGivesTheSameBitsForEveryThreadCount() {
        int n = 100_003;
        float[] previous = null;
        for (int threads : new int[] {1, 2, 3}) {
            CpuParallel.setThreads(threads);
            SplittableRandom rng = new SplittableRandom(5);
            Tensor theta = on(f32, n, 1, random(rng, n));
            Tensor[] state = {f32.allocateVector(n), f32.allocateVector(n)};
            for (long step = 1; step <= 2; step++) {
                f32.optimizerStep(UpdateRule.ADAM, theta, on(f32, n, 1, random(rng, n)), state,
                        params(UpdateRule.ADAM, 0, 0, step));
            }
            float[] got = f32.toFloatArray(theta);
            if (previous != null) {
                assertArrayEquals(previous, got);
            }
            previous = got;
        }
    }

    @Test
    void fillCopyAndSumsMatchTheReference() {
        SplittableRandom rng = new SplittableRandom(9);
        int n = 5001;
        float[] x = random(rng, n);
        Tensor a = on(f32, n, 1, x);
        Tensor b = f32.allocateVector(n);
        f32.copy(a, b);
        assertArrayEquals(x, f32.toFloatArray(b));
        double sum = 0;
        double squares = 0;
        for (float v : x) {
            sum += v;
            squares += (double) v * v;
        }
        // Same order, same double accumulator as the reference loop: the same bits.
        assertEquals(sum, f32.sum(a));
        assertEquals(squares, f32.sumOfSquares(a));
        f32.fill(b.view(1, 4099, 1), 0.25);
        float[] filled = f32.toFloatArray(b);
        assertEquals(x[0], filled[0]);
        assertEquals(0.25f, filled[1]);
        assertEquals(0.25f, filled[4099]);
        assertEquals(x[4100], filled[4100]);
    }
}
