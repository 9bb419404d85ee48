package io.ravine.backend.cpu;

import io.ravine.backend.Activation;

/**
 * The CPU's batch-normalization ops ({@link CpuBackend#batchNormTrainingForward}, {@code ...EvaluationForward},
 * {@code ...Backward}), for float32 and float64 tensors alike: the reference, and the float32 training path.
 *
 * <p><b>Parallel over feature columns, the same bits for every thread count.</b> BN's reductions run down the columns
 * of a row-major [B, N] matrix, so the columns are split into contiguous blocks ({@link CpuParallel}, boundaries on
 * multiples of 16 columns, a 64-byte line of floats); a block's columns are computed by one thread, and every
 * column's sums add its rows in the order 0, 1, …, B−1 in double, whatever the partition. A thread walks its columns
 * in blocks of up to 256, row by row, copying each row's segment into a small heap array (one bulk copy; float32
 * widened exactly to double), so the loops run on plain arrays that the JIT vectorizes, and the activation is chosen
 * once per segment rather than called per element. (Holding a whole block of rows in a cache instead was slower:
 * for a large batch its blocks are narrow, and short row segments cost more to copy than the passes they save.)
 *
 * <p>The arithmetic, per column j (z the pre-normalization values, B rows), all in double and rounded once on output:
 * μ = (Σ_i z_ij)/B; σ² = (Σ_i (z_ij − μ)²)/B (two passes: no cancellation when |μ| ≫ σ); r = 1/√(σ² + ε);
 * out_ij = φ((z_ij − μ)·γ_j r + β_j); running mean and variance (1 − m)·old + m·μ and (1 − m)·old + m·σ²·B/(B − 1).
 * Backward from dy: x̂ = (z − μ)r, Σdy and Σdy·x̂ per column (= ∂β, ∂γ), then
 * dz = γr(dy − Σdy/B − x̂·Σdy·x̂/B).
 */
final class BatchNormKernels {
    /** Columns of a block walked together: their accumulators (a few KiB of doubles) stay in L1. */
    private static final int BLOCK_COLS = 256;
    /** Block boundaries between threads fall on multiples of this many columns (16 floats: a cache line). */
    private static final int ALIGN_COLS = 16;
    /**
     * Elements per thread below which a split does not pay: BN reads its input two or three times and does a few
     * double operations per element, several times the work per element of an elementwise op.
     */
    private static final int GRAIN = 4096;
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private BatchNormKernels() {
    }

    /** Per thread: one row segment as floats (the bulk copy) and two as doubles. */
    private static final class Scratch {
        final float[] f = new float[BLOCK_COLS];
        final double[] a = new double[BLOCK_COLS];
        final double[] b = new double[BLOCK_COLS];
    }

    /** Row i's columns [c0, c0 + w) as doubles (float32 widened exactly). */
    private static void load(CpuTensor t, int i, int c0, int w, Scratch s, double[] dst) {
        int at = t.offset + i * t.cols() + c0;
        if (t instanceof CpuTensor.F32 f) {
            float[] src = s.f;
            f.buf.get(at, src, 0, w);
            for (int j = 0; j < w; j++) {
                dst[j] = src[j];
            }
        } else {
            ((CpuTensor.F64) t).buf.get(at, dst, 0, w);
        }
    }

    /** Row i's columns [c0, c0 + w) ← src, each value rounded once to the tensor's type. */
    private static void store(CpuTensor t, int i, int c0, int w, Scratch s, double[] src) {
        int at = t.offset + i * t.cols() + c0;
        if (t instanceof CpuTensor.F32 f) {
            float[] dst = s.f;
            for (int j = 0; j < w; j++) {
                dst[j] = (float) src[j];
            }
            f.buf.put(at, dst, 0, w);
        } else {
            ((CpuTensor.F64) t).buf.put(at, src, 0, w);
        }
    }

    /** A vector's elements [c0, c0 + w) as doubles (a fresh array: per block, not per row). */
    private static double[] read(CpuTensor v, int c0, int w) {
        double[] out = new double[w];
        for (int j = 0; j < w; j++) {
            out[j] = v.get(c0 + j);
        }
        return out;
    }

    private static void write(CpuTensor v, int c0, int w, double[] values) {
        for (int j = 0; j < w; j++) {
            v.set(c0 + j, values[j]);
        }
    }

    /** A loop body over one column block [c0, c0 + w) of a [rows, cols] matrix. */
    @FunctionalInterface
    private interface Block {
        void run(int c0, int w, Scratch s);
    }

    /** The columns split across threads, each thread's columns walked in blocks of {@link #BLOCK_COLS}. */
    private static void forColumnBlocks(int rows, int cols, Block body) {
        int grain = Math.max(ALIGN_COLS, GRAIN / Math.max(1, rows));
        CpuParallel.forRange(cols, grain, ALIGN_COLS, (from, to) -> {
            Scratch s = SCRATCH.get();
            for (int c0 = from; c0 < to; c0 += BLOCK_COLS) {
                body.run(c0, Math.min(BLOCK_COLS, to - c0), s);
            }
        });
    }

    static void trainingForward(CpuTensor z, CpuTensor gamma, CpuTensor beta, double eps, Activation act,
            CpuTensor out, CpuTensor saveMean, CpuTensor saveInvStd, CpuTensor runningMean, CpuTensor runningVar,
            double momentum) {
        int rows = z.rows();
        forColumnBlocks(rows, z.cols(), (c0, w, s) -> {
            double[] row = s.a;
            double[] mean = new double[w];
            double[] var = new double[w];
            for (int i = 0; i < rows; i++) {
                load(z, i, c0, w, s, row);
                for (int j = 0; j < w; j++) {
                    mean[j] += row[j];
                }
            }
            for (int j = 0; j < w; j++) {
                mean[j] /= rows;
            }
            // Two passes (the centred sum of squares), not Σz² − Bμ²: no cancellation when |μ| ≫ σ (raw inputs).
            for (int i = 0; i < rows; i++) {
                load(z, i, c0, w, s, row);
                for (int j = 0; j < w; j++) {
                    double d = row[j] - mean[j];
                    var[j] += d * d;
                }
            }
            double[] g = read(gamma, c0, w);
            double[] r = new double[w];
            double[] scale = new double[w];
            for (int j = 0; j < w; j++) {
                r[j] = 1.0 / Math.sqrt(var[j] / rows + eps);
                scale[j] = g[j] * r[j];
            }
            write(saveMean, c0, w, mean);
            write(saveInvStd, c0, w, r);
            if (runningMean != null) {
                double[] rm = read(runningMean, c0, w);
                double[] rv = read(runningVar, c0, w);
                for (int j = 0; j < w; j++) {
                    rm[j] = (1 - momentum) * rm[j] + momentum * mean[j];
                    rv[j] = (1 - momentum) * rv[j] + momentum * (var[j] / (rows - 1));
                }
                write(runningMean, c0, w, rm);
                write(runningVar, c0, w, rv);
            }
            normalize(z, mean, scale, read(beta, c0, w), act, out, rows, c0, w, s);
        });
    }

    static void evaluationForward(CpuTensor z, CpuTensor gamma, CpuTensor beta, CpuTensor runningMean,
            CpuTensor runningVar, double eps, Activation act, CpuTensor out) {
        int rows = z.rows();
        forColumnBlocks(rows, z.cols(), (c0, w, s) -> {
            double[] mean = read(runningMean, c0, w);
            double[] rv = read(runningVar, c0, w);
            double[] g = read(gamma, c0, w);
            double[] scale = new double[w];
            for (int j = 0; j < w; j++) {
                scale[j] = g[j] / Math.sqrt(rv[j] + eps);
            }
            normalize(z, mean, scale, read(beta, c0, w), act, out, rows, c0, w, s);
        });
    }

    /** out[i, j] ← φ((z[i, j] − mean_j)·scale_j + shift_j) over the block's columns, in double, rounded once. */
    private static void normalize(CpuTensor z, double[] mean, double[] scale, double[] shift, Activation act,
            CpuTensor out, int rows, int c0, int w, Scratch s) {
        double[] v = s.a;
        for (int i = 0; i < rows; i++) {
            load(z, i, c0, w, s, v);
            for (int j = 0; j < w; j++) {
                v[j] = (v[j] - mean[j]) * scale[j] + shift[j];
            }
            switch (act) {
                case RELU -> {
                    for (int j = 0; j < w; j++) {
                        v[j] = Math.max(v[j], 0.0); // Activation.RELU.apply: NaN stays NaN
                    }
                }
                case IDENTITY -> {
                }
                default -> {
                    for (int j = 0; j < w; j++) {
                        v[j] = act.apply(v[j]);
                    }
                }
            }
            store(out, i, c0, w, s, v);
        }
    }

    static void backward(CpuTensor z, CpuTensor gamma, CpuTensor saveMean, CpuTensor saveInvStd, CpuTensor dy,
            CpuTensor dz, CpuTensor dGamma, CpuTensor dBeta) {
        int rows = z.rows();
        forColumnBlocks(rows, z.cols(), (c0, w, s) -> {
            double[] zr = s.a;
            double[] d = s.b;
            double[] mean = read(saveMean, c0, w);
            double[] r = read(saveInvStd, c0, w);
            double[] g = read(gamma, c0, w);
            double[] sumDy = new double[w];
            double[] sumDyXhat = new double[w];
            for (int i = 0; i < rows; i++) {
                load(z, i, c0, w, s, zr);
                load(dy, i, c0, w, s, d);
                for (int j = 0; j < w; j++) {
                    double xhat = (zr[j] - mean[j]) * r[j];
                    sumDy[j] += d[j];
                    sumDyXhat[j] += d[j] * xhat;
                }
            }
            write(dGamma, c0, w, sumDyXhat);
            write(dBeta, c0, w, sumDy);
            double[] k = new double[w];
            for (int j = 0; j < w; j++) {
                k[j] = g[j] * r[j];
                sumDy[j] /= rows;
                sumDyXhat[j] /= rows;
            }
            // dz may be dy itself (the model backpropagates in place): each row is read before it is written, after
            // the first pass over these columns is complete. x̂ is recomputed by the same expression: the same bits.
            for (int i = 0; i < rows; i++) {
                load(z, i, c0, w, s, zr);
                load(dy, i, c0, w, s, d);
                for (int j = 0; j < w; j++) {
                    double xhat = (zr[j] - mean[j]) * r[j];
                    d[j] = k[j] * (d[j] - sumDy[j] - xhat * sumDyXhat[j]);
                }
                store(dz, i, c0, w, s, d);
            }
        });
    }
}
