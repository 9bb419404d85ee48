package io.ravine.backend.cpu;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.DType;
import io.ravine.backend.LossKind;
import io.ravine.backend.OperandShapes;
import io.ravine.backend.RefusedUpdate;
import io.ravine.backend.StepParams;
import io.ravine.backend.Tensor;
import io.ravine.backend.UpdateRule;
import java.util.Optional;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The reference backend. Elementwise loops are written once against {@link CpuTensor#get}/{@link CpuTensor#set}
 * and accumulate in double: that is the float64 backend, and the reference every faster path is tested against.
 * The float32 backend runs the training step's hot operations (bias + activation, activation backward, column sums,
 * the optimizer update, fill/copy/sums) through {@link F32Kernels}: bulk copies into small heap blocks, float
 * arithmetic the JIT vectorizes, split over {@link #setBlasThreads} threads by a fixed partition. Matrix products
 * go to OpenBLAS, cut into tiles of the output that depend on the product's shape alone ({@code GemmPartition}),
 * each tile one single-threaded OpenBLAS call, the tiles spread over the same threads. Every element is computed by
 * one fixed expression or reduction order whatever the thread count, so the same inputs give the same bits for
 * every thread count (not only for a given one: OpenBLAS left to its own threads splits a product's sums by the
 * count it is given, which is why it is kept at one).
 */
public final class CpuBackend implements Backend {
    private final DType dtype;
    /** The guard of {@link #optimizerStep}: the refused update, and a non-finite loss seen since the last update. */
    private RefusedUpdate refused;
    private boolean pendingNonFiniteLoss;

    /** The OpenBLAS presets version Ravine is built and tested with (the pom's openblas.version; tested to agree). */
    static final String OPENBLAS_VERSION = "0.3.23-1.5.9";
    /** Why OpenBLAS cannot be loaded, after the first probe; empty when it can. */
    private static Optional<String> unavailable;

    private CpuBackend(DType dtype) {
        requireOpenBlas();
        this.dtype = dtype;
    }

    /**
     * Why the CPU backend cannot run in this JVM, in one line naming the artifact to add, or empty where it can. The
     * library depends on OpenBLAS's linux-x86_64 natives (org.bytedeco:openblas:VERSION:linux-x86_64, runtime
     * scope); a project that excluded them, or runs on another platform, gets this line instead of an
     * UnsatisfiedLinkError. Probes once.
     *
     * @return the reason, one line, or empty
     */
    public static synchronized Optional<String> unavailableReason() {
        if (unavailable == null) {
            unavailable = probeOpenBlas();
        }
        return unavailable;
    }

    private static Optional<String> probeOpenBlas() {
        try {
            Loader.load(openblas_nolapack.class);
            // One OpenBLAS thread, always: gemm runs its tiles on Ravine's own threads (GemmPartition).
            openblas_nolapack.blas_set_num_threads(1);
            return Optional.empty();
        } catch (LinkageError e) {
            String platform = Loader.getPlatform();
            String cause = String.valueOf(e.getMessage()).replaceAll("(in java\\.library\\.path):.*", "$1")
                    .replaceAll("\\s+", " ");
            return Optional.of("OpenBLAS's native library for " + platform + " could not be loaded ("
                    + e.getClass().getSimpleName() + ": " + (cause.length() > 200 ? cause.substring(0, 197) + "..."
                    : cause) + "): add org.bytedeco:openblas:" + OPENBLAS_VERSION + ":" + platform
                    + " to the class path");
        }
    }

    /**
     * The OpenBLAS this backend uses, for {@code ravine --version}: {@code OpenBLAS 0.3.23 (org.bytedeco:openblas
     * 0.3.23-1.5.9)}, or why its natives cannot be loaded.
     *
     * @return one line
     */
    public static String openBlasDescription() {
        String version = openblas_nolapack.OPENBLAS_VERSION.strip() + " (org.bytedeco:openblas " + OPENBLAS_VERSION
                + ")";
        return unavailableReason().map(why -> version + ": " + why).orElse(version);
    }

    private static void requireOpenBlas() {
        Optional<String> why = unavailableReason();
        if (why.isPresent()) {
            throw new io.ravine.InvalidInputException("the CPU backend cannot run: " + why.get());
        }
    }

    /**
     * The float32 training backend.
     *
     * @return a new backend (cheap: the natives load once)
     */
    public static CpuBackend f32() {
        return new CpuBackend(DType.F32);
    }

    /**
     * The float64 backend for finite-difference gradient checks.
     *
     * @return a new backend
     */
    public static CpuBackend f64() {
        return new CpuBackend(DType.F64);
    }

    /**
     * Sets how many threads this backend computes with, for the whole process: the matrix products' tiles and the
     * elementwise loops. OpenBLAS itself stays at one thread per call. The count changes the speed, never the bits.
     *
     * @param threads the count, ≥ 1
     */
    public static void setBlasThreads(int threads) {
        requireOpenBlas();
        openblas_nolapack.blas_set_num_threads(1);
        CpuParallel.setThreads(threads);
    }

    /**
     * The number of threads OpenBLAS uses inside one call: 1, whatever {@link #setBlasThreads} was given, since the
     * backend runs its own threads over fixed tiles of each product (the process's: OpenBLAS keeps one count).
     *
     * @return OpenBLAS's thread count, 1 unless something else in the process changed it
     */
    public static int blasThreads() {
        requireOpenBlas();
        return openblas_nolapack.blas_get_num_threads();
    }

    /**
     * The threads this backend computes with: the matrix products' tiles and the elementwise loops share one count,
     * set by {@link #setBlasThreads} (and {@link io.ravine.backend.Devices#open}) for the whole process.
     *
     * @return the thread count
     */
    public int threads() {
        return CpuParallel.threads();
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String deviceDescription() {
        return "cpu (" + Runtime.getRuntime().availableProcessors() + " cores, " + CpuParallel.threads()
                + " threads, " + dtype + ")";
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public Tensor allocate(int rows, int cols) {
        return dtype == DType.F32 ? CpuTensor.F32.allocate(this, rows, cols) : CpuTensor.F64.allocate(this, rows, cols);
    }

    static void checkView(Tensor t, int off, int r, int c) {
        if (off < 0 || r < 0 || c < 0 || (long) off + (long) r * c > t.length()) {
            throw new IllegalArgumentException("view at " + off + " of [" + r + ", " + c + "] exceeds " + t);
        }
    }

    private CpuTensor own(Tensor t) {
        if (!(t instanceof CpuTensor c) || c.backend != this) {
            throw new IllegalArgumentException(t + " does not belong to this CPU backend");
        }
        return c;
    }


    // ---- host transfers ----

    @Override
    public void copyFromHost(float[] src, int srcOffset, Tensor dst) {
        CpuTensor d = own(dst);
        int n = d.length();
        if (d instanceof CpuTensor.F32 f) {
            f.buf.put(f.offset, src, srcOffset, n);
        } else {
            for (int i = 0; i < n; i++) {
                d.set(i, src[srcOffset + i]);
            }
        }
    }

    /** Gathers the batch straight into the tensor's buffer (float32), or element by element (float64). */
    @Override
    public void copyRowsFromHost(io.ravine.backend.HostRows rows, Tensor dst) {
        CpuTensor d = own(dst);
        rows.requireLength(d.length());
        if (d instanceof CpuTensor.F32 f) {
            rows.copyRange(0, d.length(), f.buf, f.offset);
        } else {
            copyFromHost(rows.toArray(), 0, dst);
        }
    }

    @Override
    public void copyFromHost(double[] src, int srcOffset, Tensor dst) {
        CpuTensor d = own(dst);
        int n = d.length();
        if (d instanceof CpuTensor.F64 f) {
            f.buf.put(f.offset, src, srcOffset, n);
        } else {
            for (int i = 0; i < n; i++) {
                d.set(i, src[srcOffset + i]);
            }
        }
    }

    @Override
    public void copyToHost(Tensor src, float[] dst, int dstOffset) {
        CpuTensor s = own(src);
        int n = s.length();
        if (s instanceof CpuTensor.F32 f) {
            f.buf.get(f.offset, dst, dstOffset, n);
        } else {
            for (int i = 0; i < n; i++) {
                dst[dstOffset + i] = (float) s.get(i);
            }
        }
    }

    @Override
    public void copyToHost(Tensor src, double[] dst, int dstOffset) {
        CpuTensor s = own(src);
        int n = s.length();
        if (s instanceof CpuTensor.F64 f) {
            f.buf.get(f.offset, dst, dstOffset, n);
        } else {
            for (int i = 0; i < n; i++) {
                dst[dstOffset + i] = s.get(i);
            }
        }
    }

    // ---- elementwise and BLAS-1 ----

    @Override
    public void fill(Tensor x, double value) {
        CpuTensor t = own(x);
        if (t instanceof CpuTensor.F32 f) {
            F32Kernels.fill(f, (float) value);
            return;
        }
        for (int i = 0, n = t.length(); i < n; i++) {
            t.set(i, value);
        }
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        Tensor.requireSameLength(src, dst);
        CpuTensor s = own(src);
        CpuTensor d = own(dst);
        if (s instanceof CpuTensor.F32 fs && d instanceof CpuTensor.F32 fd) {
            F32Kernels.copy(fs, fd);
            return;
        }
        for (int i = 0, n = s.length(); i < n; i++) {
            d.set(i, s.get(i));
        }
    }

    @Override
    public void axpy(double alpha, Tensor x, Tensor y) {
        Tensor.requireSameLength(x, y);
        CpuTensor a = own(x);
        CpuTensor b = own(y);
        for (int i = 0, n = a.length(); i < n; i++) {
            b.set(i, b.get(i) + alpha * a.get(i));
        }
    }

    @Override
    public void scale(double alpha, Tensor x) {
        CpuTensor t = own(x);
        for (int i = 0, n = t.length(); i < n; i++) {
            t.set(i, alpha * t.get(i));
        }
    }

    @Override
    public double dot(Tensor x, Tensor y) {
        Tensor.requireSameLength(x, y);
        CpuTensor a = own(x);
        CpuTensor b = own(y);
        double s = 0;
        for (int i = 0, n = a.length(); i < n; i++) {
            s += a.get(i) * b.get(i);
        }
        return s;
    }

    @Override
    public double sumOfSquares(Tensor x) {
        CpuTensor t = own(x);
        if (t instanceof CpuTensor.F32 f) {
            return F32Kernels.sum(f, true);
        }
        double s = 0;
        for (int i = 0, n = t.length(); i < n; i++) {
            double v = t.get(i);
            s += v * v;
        }
        return s;
    }

    @Override
    public double sum(Tensor x) {
        CpuTensor t = own(x);
        if (t instanceof CpuTensor.F32 f) {
            return F32Kernels.sum(f, false);
        }
        double s = 0;
        for (int i = 0, n = t.length(); i < n; i++) {
            s += t.get(i);
        }
        return s;
    }

    @Override
    public double sumOfAbs(Tensor x) {
        // One sequential pass in double: the same bits for any thread count (L-BFGS's step length depends on it).
        CpuTensor t = own(x);
        double s = 0;
        for (int i = 0, n = t.length(); i < n; i++) {
            s += Math.abs(t.get(i));
        }
        return s;
    }

    @Override
    public double maxAbs(Tensor x) {
        CpuTensor t = own(x);
        double m = 0;
        for (int i = 0, n = t.length(); i < n; i++) {
            double a = Math.abs(t.get(i));
            if (Double.isNaN(a)) {
                return Double.NaN;
            }
            m = Math.max(m, a);
        }
        return m;
    }

    // ---- layers ----

    @Override
    public void gemm(boolean transA, boolean transB, double alpha, Tensor a, Tensor b, double beta, Tensor c) {
        OperandShapes.Gemm s = OperandShapes.gemm(transA, transB, a, b, c);
        int m = s.m();
        int n = s.n();
        int k = s.k();
        if (m == 0 || n == 0) {
            return;
        }
        int ta = transA ? CblasTrans : CblasNoTrans;
        int tb = transB ? CblasTrans : CblasNoTrans;
        // Row-major leading dimension is the stored row width; max(1, …) keeps BLAS happy on empty inner dims.
        int lda = Math.max(1, a.cols());
        int ldb = Math.max(1, b.cols());
        int ldc = Math.max(1, c.cols());
        CpuTensor ca = own(a);
        CpuTensor cb = own(b);
        CpuTensor cc = own(c);
        // Tiles of C fixed by the shape alone, one single-threaded OpenBLAS call each (GemmPartition): the same bits
        // for every thread count. Tile (i, j) is C's rows [r0, r0 + h) and columns [c0, c0 + w): op(A)'s rows
        // [r0, r0 + h) (stored rows, or stored columns when A is transposed) times op(B)'s columns [c0, c0 + w).
        GemmPartition part = GemmPartition.of(m, n, k);
        CpuParallel.forEachTask(part.tiles(), tile -> {
            int r0 = tile / part.colTiles * part.tileRows;
            int c0 = tile % part.colTiles * part.tileCols;
            int h = Math.min(part.tileRows, m - r0);
            int w = Math.min(part.tileCols, n - c0);
            int aAt = transA ? r0 : r0 * lda;
            int bAt = transB ? c0 * ldb : c0;
            int cAt = r0 * ldc + c0;
            if (dtype == DType.F32) {
                openblas_nolapack.cblas_sgemm(CblasRowMajor, ta, tb, h, w, k, (float) alpha,
                        ((CpuTensor.F32) ca).positioned(aAt), lda, ((CpuTensor.F32) cb).positioned(bAt), ldb,
                        (float) beta, ((CpuTensor.F32) cc).positioned(cAt), ldc);
            } else {
                openblas_nolapack.cblas_dgemm(CblasRowMajor, ta, tb, h, w, k, alpha,
                        ((CpuTensor.F64) ca).positioned(aAt), lda, ((CpuTensor.F64) cb).positioned(bAt), ldb, beta,
                        ((CpuTensor.F64) cc).positioned(cAt), ldc);
            }
        });
    }

    @Override
    public void biasActivationForward(Tensor z, Tensor bias, Activation act, Tensor out) {
        OperandShapes.biasActivation(z, bias, out);
        CpuTensor cz = own(z);
        CpuTensor cb = own(bias);
        CpuTensor co = own(out);
        if (cz instanceof CpuTensor.F32 fz && cb instanceof CpuTensor.F32 fb && co instanceof CpuTensor.F32 fo) {
            F32Kernels.biasActivationForward(fz, fb, act, fo);
            return;
        }
        int rows = z.rows();
        int cols = z.cols();
        for (int i = 0; i < rows; i++) {
            int base = i * cols;
            for (int j = 0; j < cols; j++) {
                co.set(base + j, act.apply(cz.get(base + j) + cb.get(j)));
            }
        }
    }

    @Override
    public void activationBackward(Activation act, Tensor out, Tensor dOut, Tensor dz) {
        Tensor.requireSameLength(out, dOut);
        Tensor.requireSameLength(out, dz);
        CpuTensor co = own(out);
        CpuTensor cd = own(dOut);
        CpuTensor cz = own(dz);
        if (co instanceof CpuTensor.F32 fo && cd instanceof CpuTensor.F32 fd && cz instanceof CpuTensor.F32 fz) {
            F32Kernels.activationBackward(act, fo, fd, fz);
            return;
        }
        for (int i = 0, n = co.length(); i < n; i++) {
            cz.set(i, cd.get(i) * act.derivativeFromOutput(co.get(i)));
        }
    }

    @Override
    public void columnSum(Tensor x, Tensor sums) {
        OperandShapes.columnSum(x, sums);
        CpuTensor cx = own(x);
        CpuTensor cs = own(sums);
        if (cx instanceof CpuTensor.F32 fx && cs instanceof CpuTensor.F32 fs) {
            F32Kernels.columnSum(fx, fs);
            return;
        }
        int rows = x.rows();
        int cols = x.cols();
        double[] acc = new double[cols];
        for (int i = 0; i < rows; i++) {
            int base = i * cols;
            for (int j = 0; j < cols; j++) {
                acc[j] += cx.get(base + j);
            }
        }
        for (int j = 0; j < cols; j++) {
            cs.set(j, acc[j]);
        }
    }

    /** {@link BatchNormKernels}: columns split across threads, each column's rows summed in order, in double. */
    @Override
    public void batchNormTrainingForward(Tensor z, Tensor gamma, Tensor beta, double eps, Activation act, Tensor out,
            Tensor saveMean, Tensor saveInvStd, Tensor runningMean, Tensor runningVar, double momentum) {
        OperandShapes.batchNorm(true, z, new Tensor[] {out}, new Tensor[] {gamma, beta, saveMean, saveInvStd,
                runningMean, runningVar});
        if ((runningMean == null) != (runningVar == null)) {
            throw new IllegalArgumentException("running mean and variance are updated together");
        }
        BatchNormKernels.trainingForward(own(z), own(gamma), own(beta), eps, act, own(out), own(saveMean),
                own(saveInvStd), runningMean == null ? null : own(runningMean),
                runningVar == null ? null : own(runningVar), momentum);
    }

    @Override
    public void batchNormEvaluationForward(Tensor z, Tensor gamma, Tensor beta, Tensor runningMean,
            Tensor runningVar, double eps, Activation act, Tensor out) {
        OperandShapes.batchNorm(false, z, new Tensor[] {out}, new Tensor[] {gamma, beta, runningMean, runningVar});
        BatchNormKernels.evaluationForward(own(z), own(gamma), own(beta), own(runningMean), own(runningVar), eps, act,
                own(out));
    }

    @Override
    public void batchNormBackward(Tensor z, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dy, Tensor dz,
            Tensor dGamma, Tensor dBeta) {
        OperandShapes.batchNorm(true, z, new Tensor[] {dy, dz}, new Tensor[] {gamma, saveMean, saveInvStd, dGamma,
                dBeta});
        BatchNormKernels.backward(own(z), own(gamma), own(saveMean), own(saveInvStd), own(dy), own(dz), own(dGamma),
                own(dBeta));
    }

    @Override
    public void lossForwardBackward(LossKind loss, Tensor out, Tensor target, Tensor lossPerRow, Tensor dOut,
            double gradScale) {
        OperandShapes.loss(loss, out, target, lossPerRow, dOut);
        int rows = out.rows();
        int cols = out.cols();
        CpuTensor z = own(out);
        CpuTensor t = own(target);
        CpuTensor l = own(lossPerRow);
        CpuTensor d = dOut == null ? null : own(dOut);
        for (int i = 0; i < rows; i++) {
            int base = i * cols;
            double rowLoss = 0;
            switch (loss) {
                case SOFTMAX_CE -> {
                    int label = (int) t.get(i);
                    if (label < 0 || label >= cols) {
                        throw new IllegalArgumentException("label " + label + " out of range [0, " + cols + ")");
                    }
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < cols; j++) {
                        max = Math.max(max, z.get(base + j));
                    }
                    double sumExp = 0;
                    for (int j = 0; j < cols; j++) {
                        sumExp += Math.exp(z.get(base + j) - max);
                    }
                    double logSumExp = max + Math.log(sumExp);
                    rowLoss = logSumExp - z.get(base + label);
                    if (d != null) {
                        for (int j = 0; j < cols; j++) {
                            double p = Math.exp(z.get(base + j) - logSumExp);
                            d.set(base + j, gradScale * (p - (j == label ? 1.0 : 0.0)));
                        }
                    }
                }
                case LOGISTIC_CE -> {
                    for (int j = 0; j < cols; j++) {
                        double zj = z.get(base + j);
                        double tj = t.get(base + j);
                        // log(1 + e^z) computed without overflow: max(z, 0) + log1p(e^{−|z|}).
                        rowLoss += Math.max(zj, 0) + Math.log1p(Math.exp(-Math.abs(zj))) - tj * zj;
                        if (d != null) {
                            d.set(base + j, gradScale * (Activation.LOGISTIC.apply(zj) - tj));
                        }
                    }
                }
                case MSE -> {
                    for (int j = 0; j < cols; j++) {
                        double r = z.get(base + j) - t.get(base + j);
                        rowLoss += 0.5 * r * r;
                        if (d != null) {
                            d.set(base + j, gradScale * r);
                        }
                    }
                }
            }
            l.set(i, rowLoss);
            // Only a loss whose gradient feeds an update concerns the guard; evaluations may see what they see.
            if (d != null && !Double.isFinite(l.get(i))) {
                pendingNonFiniteLoss = true;
            }
        }
    }

    // ---- optimizers ----

    @Override
    public void optimizerStep(UpdateRule rule, Tensor theta, Tensor grad, Tensor[] state, StepParams p) {
        OperandShapes.optimizerStep(rule, theta, grad, state);
        CpuTensor th = own(theta);
        CpuTensor g = own(grad);
        int n = th.length();
        if (refused != null) {
            return;
        }
        // The guard (see Backend#optimizerStep) reads Σ∇², which clipping needs anyway; a float32 step without
        // clipping asks only whether every element is finite, a cheaper pass.
        boolean finitenessOnly = p.clipNorm() <= 0 && g instanceof CpuTensor.F32;
        double sumSq = finitenessOnly ? 0.0 : sumOfSquares(grad);
        boolean gradFinite = finitenessOnly ? F32Kernels.allFinite((CpuTensor.F32) g) : Double.isFinite(sumSq);
        if (pendingNonFiniteLoss || !gradFinite) {
            refused = new RefusedUpdate(p.step(), pendingNonFiniteLoss ? RefusedUpdate.Cause.LOSS
                    : RefusedUpdate.Cause.GRADIENT);
            return;
        }
        double scale = p.clipScale(sumSq);
        double lr = p.lr();
        double wd = p.weightDecay();
        double coupledWd = rule == UpdateRule.ADAMW ? 0.0 : wd;
        if (dtype == DType.F32) {
            CpuTensor.F32[] fs = new CpuTensor.F32[state.length];
            for (int i = 0; i < state.length; i++) {
                fs[i] = (CpuTensor.F32) own(state[i]);
            }
            F32Kernels.optimizerStep(rule, (CpuTensor.F32) th, (CpuTensor.F32) g, fs, p, scale);
            return;
        }
        switch (rule) {
            case SGD -> {
                for (int i = 0; i < n; i++) {
                    double t = th.get(i);
                    double gi = scale * g.get(i) + coupledWd * t;
                    th.set(i, t - lr * gi);
                }
            }
            case MOMENTUM, NESTEROV -> {
                CpuTensor v = own(state[0]);
                double mu = p.momentum();
                boolean nesterov = rule == UpdateRule.NESTEROV;
                for (int i = 0; i < n; i++) {
                    double t = th.get(i);
                    double gi = scale * g.get(i) + coupledWd * t;
                    double pi = mu * v.get(i) - lr * gi;
                    v.set(i, pi);
                    th.set(i, nesterov ? t + mu * pi - lr * gi : t + pi);
                }
            }
            case RMSPROP -> {
                CpuTensor s = own(state[0]);
                double gamma = p.gamma();
                double eps = p.eps();
                for (int i = 0; i < n; i++) {
                    double t = th.get(i);
                    double gi = scale * g.get(i) + coupledWd * t;
                    double si = (1 - gamma) * s.get(i) + gamma * gi * gi;
                    s.set(i, si);
                    th.set(i, t - lr * gi / (Math.sqrt(si) + eps));
                }
            }
            case ADAM, ADAMW -> {
                CpuTensor m = own(state[0]);
                CpuTensor v = own(state[1]);
                double b1 = p.beta1();
                double b2 = p.beta2();
                double stepSize = lr / p.biasCorrection1();
                double sqrtBc2 = Math.sqrt(p.biasCorrection2());
                double eps = p.eps();
                double decoupled = rule == UpdateRule.ADAMW ? 1 - lr * wd : 1.0;
                for (int i = 0; i < n; i++) {
                    double t = th.get(i) * decoupled;
                    double gi = scale * g.get(i) + coupledWd * th.get(i);
                    double mi = b1 * m.get(i) + (1 - b1) * gi;
                    double vi = b2 * v.get(i) + (1 - b2) * gi * gi;
                    m.set(i, mi);
                    v.set(i, vi);
                    th.set(i, t - stepSize * mi / (Math.sqrt(vi) / sqrtBc2 + eps));
                }
            }
        }
    }

    @Override
    public RefusedUpdate refusedUpdate() {
        return refused;
    }

    @Override
    public void clearRefusedUpdate() {
        refused = null;
        pendingNonFiniteLoss = false;
    }

    @Override
    public boolean completesOnReturn() {
        return true;
    }

    @Override
    public void emaUpdate(Tensor avg, Tensor theta, double decay) {
        Tensor.requireSameLength(avg, theta);
        if (refused != null) {
            return;
        }
        CpuTensor a = own(avg);
        CpuTensor t = own(theta);
        for (int i = 0, n = a.length(); i < n; i++) {
            a.set(i, decay * a.get(i) + (1 - decay) * t.get(i));
        }
    }

    @Override
    public void synchronize() {
        // CPU operations complete before they return.
    }

    @Override
    public void close() {
        // Direct buffers are released by the garbage collector once their tensors are unreachable.
    }
}
