package io.ravine.backend.cpu;

import io.ravine.backend.Activation;
import io.ravine.backend.StepParams;
import io.ravine.backend.UpdateRule;

/**
 * The float32 training paths of {@link CpuBackend}. The reference loops read and write one element at a time
 * through {@link CpuTensor#get}/{@link CpuTensor#set} in double; here each block of a direct buffer is copied into a
 * small heap array (a bulk copy), computed in float in a plain indexed loop that the JIT turns into vector
 * instructions, and copied back. Float arithmetic is what PyTorch and the CUDA kernels do; against the double
 * reference it differs by a few roundings per element ({@code Tolerances.ELEMENTWISE_F32}), and it is the same bits
 * on every run and for every thread count (each element is computed by one fixed expression, see
 * {@link CpuParallel}).
 */
final class F32Kernels {
    /** Column blocks of a column sum start on multiples of this. */
    private static final int ALIGN_COLS = 16;
    /** Elements per block: four blocks of 2048 floats (32 KiB) stay in a core's L1/L2 cache. */
    static final int BLOCK = 2048;
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[4][BLOCK]);
    private static final ThreadLocal<int[]> INT_SCRATCH = ThreadLocal.withInitial(() -> new int[BLOCK]);
    /** The exponent field of an IEEE-754 float; all ones means NaN or ±Inf. */
    private static final int EXPONENT_BITS = 0x7f800000;
    private static final int EXPONENT_LOW_BIT = 0x00800000;

    private F32Kernels() {
    }

    /** out[i, j] ← φ(z[i, j] + bias[j]), rows split across threads. */
    static void biasActivationForward(CpuTensor.F32 z, CpuTensor.F32 bias, Activation act, CpuTensor.F32 out) {
        int rows = z.rows();
        int cols = z.cols();
        int rowGrain = Math.max(1, CpuParallel.DEFAULT_GRAIN / Math.max(1, cols));
        CpuParallel.forRange(rows, rowGrain, (r0, r1) -> {
            float[][] sc = SCRATCH.get();
            float[] s = sc[0];
            float[] b = sc[1];
            for (int i = r0; i < r1; i++) {
                for (int j0 = 0; j0 < cols; j0 += BLOCK) {
                    int len = Math.min(BLOCK, cols - j0);
                    int base = i * cols + j0;
                    // Re-read per row: a bias block is at most 8 KiB and stays in L1; no per-call allocation.
                    bias.buf.get(bias.offset + j0, b, 0, len);
                    z.buf.get(z.offset + base, s, 0, len);
                    switch (act) {
                        case RELU -> {
                            // Math.max, not a branch: the JIT vectorizes it, and a branch on random signs
                            // mispredicts half the time (4 ns an element measured). max(NaN, 0) is NaN, as in
                            // PyTorch, so a diverging run still shows up in the loss.
                            for (int j = 0; j < len; j++) {
                                s[j] = Math.max(s[j] + b[j], 0f);
                            }
                        }
                        case IDENTITY -> {
                            for (int j = 0; j < len; j++) {
                                s[j] += b[j];
                            }
                        }
                        default -> {
                            for (int j = 0; j < len; j++) {
                                s[j] = (float) act.apply((double) s[j] + b[j]);
                            }
                        }
                    }
                    out.buf.put(out.offset + base, s, 0, len);
                }
            }
        });
    }

    /** dz ← dOut ⊙ φ'(out). */
    static void activationBackward(Activation act, CpuTensor.F32 out, CpuTensor.F32 dOut, CpuTensor.F32 dz) {
        CpuParallel.forRange(out.length(), CpuParallel.DEFAULT_GRAIN, (from, to) -> {
            float[][] sc = SCRATCH.get();
            float[] y = sc[0];
            float[] d = sc[1];
            for (int i0 = from; i0 < to; i0 += BLOCK) {
                int len = Math.min(BLOCK, to - i0);
                out.buf.get(out.offset + i0, y, 0, len);
                dOut.buf.get(dOut.offset + i0, d, 0, len);
                switch (act) {
                    case RELU -> {
                        // φ' = [y > 0] without a branch (see the forward pass): for y ≥ 0, y·2¹⁰⁰·2⁴⁹ ≥ 1 for every
                        // positive float (the smallest is 2⁻¹⁴⁹; the products are exact or overflow to ∞) and 0 for
                        // y = 0, so min(·, 1) is exactly the indicator, and d·1, d·0 are what the reference gives.
                        for (int j = 0; j < len; j++) {
                            d[j] = d[j] * Math.min(y[j] * 0x1p100f * 0x1p49f, 1f);
                        }
                    }
                    case IDENTITY -> {
                        // φ' = 1: dz = dOut.
                    }
                    case TANH -> {
                        for (int j = 0; j < len; j++) {
                            d[j] = d[j] * (1f - y[j] * y[j]);
                        }
                    }
                    case LOGISTIC -> {
                        for (int j = 0; j < len; j++) {
                            d[j] = d[j] * (y[j] * (1f - y[j]));
                        }
                    }
                }
                dz.buf.put(dz.offset + i0, d, 0, len);
            }
        });
    }

    /**
     * sums[j] ← Σ_i x[i, j] in float, rows added in order 0, 1, …, n−1 for every column (as a BLAS GEMV with a ones
     * vector would, and as PyTorch does); columns split across threads.
     */
    static void columnSum(CpuTensor.F32 x, CpuTensor.F32 sums) {
        int rows = x.rows();
        int cols = x.cols();
        int colGrain = Math.max(ALIGN_COLS, CpuParallel.DEFAULT_GRAIN / Math.max(1, rows));
        CpuParallel.forRange(cols, colGrain, (c0, c1) -> {
            float[][] sc = SCRATCH.get();
            float[] acc = sc[0];
            float[] row = sc[1];
            for (int j0 = c0; j0 < c1; j0 += BLOCK) {
                int len = Math.min(BLOCK, c1 - j0);
                java.util.Arrays.fill(acc, 0, len, 0f);
                for (int i = 0; i < rows; i++) {
                    x.buf.get(x.offset + i * cols + j0, row, 0, len);
                    for (int j = 0; j < len; j++) {
                        acc[j] += row[j];
                    }
                }
                sums.buf.put(sums.offset + j0, acc, 0, len);
            }
        });
    }

    /** The fused update of {@link UpdateRule} in float; {@code scale} is the clipping factor already computed. */
    static void optimizerStep(UpdateRule rule, CpuTensor.F32 th, CpuTensor.F32 g, CpuTensor.F32[] state,
            StepParams p, double scale) {
        float lr = (float) p.lr();
        float wd = (float) p.weightDecay();
        float coupledWd = rule == UpdateRule.ADAMW ? 0f : wd;
        float s = (float) scale;
        switch (rule) {
            case SGD -> forBlocks(th, g, null, null, (t, gr, a, b, len) -> {
                for (int i = 0; i < len; i++) {
                    float gi = s * gr[i] + coupledWd * t[i];
                    t[i] = t[i] - lr * gi;
                }
            });
            case MOMENTUM, NESTEROV -> {
                float mu = (float) p.momentum();
                boolean nesterov = rule == UpdateRule.NESTEROV;
                forBlocks(th, g, state[0], null, (t, gr, v, b, len) -> {
                    for (int i = 0; i < len; i++) {
                        float ti = t[i];
                        float gi = s * gr[i] + coupledWd * ti;
                        float pi = mu * v[i] - lr * gi;
                        v[i] = pi;
                        t[i] = nesterov ? ti + mu * pi - lr * gi : ti + pi;
                    }
                });
            }
            case RMSPROP -> {
                float gamma = (float) p.gamma();
                float eps = (float) p.eps();
                forBlocks(th, g, state[0], null, (t, gr, sq, b, len) -> {
                    for (int i = 0; i < len; i++) {
                        float ti = t[i];
                        float gi = s * gr[i] + coupledWd * ti;
                        float si = (1f - gamma) * sq[i] + gamma * gi * gi;
                        sq[i] = si;
                        t[i] = ti - lr * gi / ((float) Math.sqrt(si) + eps);
                    }
                });
            }
            case ADAM, ADAMW -> {
                float b1 = (float) p.beta1();
                float b2 = (float) p.beta2();
                float oneMinusB1 = (float) (1 - p.beta1());
                float oneMinusB2 = (float) (1 - p.beta2());
                float stepSize = (float) (p.lr() / p.biasCorrection1());
                float sqrtBc2 = (float) Math.sqrt(p.biasCorrection2());
                float eps = (float) p.eps();
                float decoupled = rule == UpdateRule.ADAMW ? (float) (1 - p.lr() * p.weightDecay()) : 1f;
                forBlocks(th, g, state[0], state[1], (t, gr, m, v, len) -> {
                    for (int i = 0; i < len; i++) {
                        float t0 = t[i];
                        float gi = s * gr[i] + coupledWd * t0;
                        float mi = b1 * m[i] + oneMinusB1 * gi;
                        float vi = b2 * v[i] + oneMinusB2 * gi * gi;
                        m[i] = mi;
                        v[i] = vi;
                        t[i] = t0 * decoupled - stepSize * mi / ((float) Math.sqrt(vi) / sqrtBc2 + eps);
                    }
                });
            }
        }
    }

    /** One block of an update: θ, ∇ and up to two state vectors, each {@code len} long, updated in place. */
    @FunctionalInterface
    private interface BlockUpdate {
        void apply(float[] theta, float[] grad, float[] s0, float[] s1, int len);
    }

    /** Copies θ, ∇ and the state blocks in, runs {@code body}, copies θ and the state back; blocks across threads. */
    private static void forBlocks(CpuTensor.F32 th, CpuTensor.F32 g, CpuTensor.F32 s0, CpuTensor.F32 s1,
            BlockUpdate body) {
        CpuParallel.forRange(th.length(), CpuParallel.DEFAULT_GRAIN, (from, to) -> {
            float[][] sc = SCRATCH.get();
            for (int i0 = from; i0 < to; i0 += BLOCK) {
                int len = Math.min(BLOCK, to - i0);
                th.buf.get(th.offset + i0, sc[0], 0, len);
                g.buf.get(g.offset + i0, sc[1], 0, len);
                if (s0 != null) {
                    s0.buf.get(s0.offset + i0, sc[2], 0, len);
                }
                if (s1 != null) {
                    s1.buf.get(s1.offset + i0, sc[3], 0, len);
                }
                body.apply(sc[0], sc[1], sc[2], sc[3], len);
                th.buf.put(th.offset + i0, sc[0], 0, len);
                if (s0 != null) {
                    s0.buf.put(s0.offset + i0, sc[2], 0, len);
                }
                if (s1 != null) {
                    s1.buf.put(s1.offset + i0, sc[3], 0, len);
                }
            }
        });
    }

    /** x ← v. */
    static void fill(CpuTensor.F32 x, float v) {
        float[] s = SCRATCH.get()[0];
        java.util.Arrays.fill(s, v);
        int n = x.length();
        for (int i0 = 0; i0 < n; i0 += BLOCK) {
            x.buf.put(x.offset + i0, s, 0, Math.min(BLOCK, n - i0));
        }
    }

    /** dst ← src, one bulk copy. */
    static void copy(CpuTensor.F32 src, CpuTensor.F32 dst) {
        dst.buf.put(dst.offset, src.buf, src.offset, src.length());
    }

    /** Σ x and Σ x² accumulated in double in index order (the reference's order, so the same bits). */
    static double sum(CpuTensor.F32 x, boolean squares) {
        float[] s = SCRATCH.get()[0];
        double acc = 0;
        int n = x.length();
        for (int i0 = 0; i0 < n; i0 += BLOCK) {
            int len = Math.min(BLOCK, n - i0);
            x.buf.get(x.offset + i0, s, 0, len);
            if (squares) {
                for (int j = 0; j < len; j++) {
                    double v = s[j];
                    acc += v * v;
                }
            } else {
                for (int j = 0; j < len; j++) {
                    acc += s[j];
                }
            }
        }
        return acc;
    }

    /**
     * True when every element of {@code x} is finite. A float is NaN or ±Inf exactly when its exponent bits are all
     * ones; adding one unit of the exponent's lowest bit to the exponent field then carries into the sign bit, and
     * only then. So the test is an OR over elements of (bits &amp; 0x7f800000) + 0x00800000, negative if any element is
     * not finite: an int OR-reduction that the JIT turns into vector instructions (a float formulation such as
     * Σ(v − v) stays scalar, since float sums are not reassociated), at about the cost of reading the gradient once.
     */
    static boolean allFinite(CpuTensor.F32 x) {
        java.util.concurrent.atomic.AtomicBoolean bad = new java.util.concurrent.atomic.AtomicBoolean();
        CpuParallel.forRange(x.length(), CpuParallel.DEFAULT_GRAIN, (from, to) -> {
            int[] s = INT_SCRATCH.get();
            for (int i0 = from; i0 < to && !bad.get(); i0 += BLOCK) {
                int len = Math.min(BLOCK, to - i0);
                x.bits.get(x.offset + i0, s, 0, len);
                int carried = 0;
                for (int j = 0; j < len; j++) {
                    carried |= (s[j] & EXPONENT_BITS) + EXPONENT_LOW_BIT;
                }
                if (carried < 0) {
                    bad.set(true);
                }
            }
        });
        return !bad.get();
    }
}
