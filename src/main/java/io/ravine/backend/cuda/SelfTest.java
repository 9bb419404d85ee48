package io.ravine.backend.cuda;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.GuardCheck;
import io.ravine.backend.LossKind;
import io.ravine.backend.StepParams;
import io.ravine.backend.StepProgram;
import io.ravine.backend.Tensor;
import io.ravine.backend.Tolerances;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Runs every {@link Backend} operation on CUDA and on {@link CpuBackend#f32()} with the same fresh random inputs and
 * compares them, ‖cuda − cpu‖ / ‖cpu‖ against {@link Tolerances}. Sizes are awkward on purpose (1, 37, 1000, 4097 rows;
 * GEMM 131×77×259 in all four transpose combinations) so edge blocks and tiles are exercised, and pure outputs are
 * filled with NaN before each CUDA launch so an element a kernel forgets to write shows up. Used by the GPU tests and by
 * {@code ravine selftest --device cuda}.
 */
public final class SelfTest {
    /** One comparison: which op (group and case), the relative error, the bound it must meet, and the verdict. */
    public record Row(String group, String op, double relativeError, double tolerance, boolean pass) {
        static Row of(String group, String op, double err, double tol) {
            // NaN fails: a poisoned element that survived, or a kernel that produced NaN.
            return new Row(group, op, err, tol, err <= tol);
        }
    }

    private static final int[] ROWS = {1, 37, 1000, 4097};
    private static final int OPTIMIZER_STEPS = 10;

    private final CudaBackend cuda;
    private final CudaBackend cudaTf32;
    private final CpuBackend cpu = CpuBackend.f32();
    private final Random random;
    private final List<Row> rows = new ArrayList<>();

    private SelfTest(CudaBackend cuda, CudaBackend cudaTf32, long seed) {
        this.cuda = cuda;
        this.cudaTf32 = cudaTf32;
        this.random = new Random(seed);
    }

    /** Opens device {@code deviceOrdinal} (once plain, once with TF32), runs every comparison and closes both. */
    public static List<Row> run(int deviceOrdinal, long seed) {
        try (CudaBackend plain = CudaBackend.open(deviceOrdinal, false);
                CudaBackend tf32 = CudaBackend.open(deviceOrdinal, true)) {
            return run(plain, tf32, seed);
        }
    }

    /** Runs every comparison on backends the caller owns ({@code tf32} may be null to skip the TF32 row). */
    public static List<Row> run(CudaBackend plain, CudaBackend tf32, long seed) {
        SelfTest t = new SelfTest(plain, tf32, seed);
        t.elementwise();
        t.reductions();
        t.views();
        t.gemms();
        t.activations();
        t.columnSums();
        t.batchNorm();
        t.losses();
        t.optimizers();
        t.ema();
        t.graph();
        t.guard();
        return List.copyOf(t.rows);
    }

    /**
     * {@code java -cp ravine.jar io.ravine.backend.cuda.SelfTest [device]}: prints the table; exit status 0 when every
     * comparison passes, 1 when one fails, 2 when CUDA is unavailable (the reason on stderr). The CLI's
     * {@code ravine selftest --device cuda} does the same through {@link #run(int, long)}.
     */
    public static void main(String[] args) {
        int device = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        java.util.Optional<String> reason = CudaBackend.unavailableReason();
        if (reason.isPresent()) {
            System.err.println("CUDA is not available: " + reason.get());
            System.exit(2);
        }
        List<Row> rows = new ArrayList<>();
        try (CudaBackend b = CudaBackend.open(device, false)) {
            System.out.println(b.deviceDescription());
            rows.add(gemmInUse(b.cublasInfo(), false));
        }
        rows.addAll(run(device, System.nanoTime()));
        print(rows, System.out);
        System.exit(rows.stream().allMatch(Row::pass) ? 0 : 1);
    }

    /**
     * The row saying which GEMM the backend uses: cuBLAS with its version and file, or Ravine's tiled kernel and why.
     * With {@code requireCublas} the row fails (error 1, tolerance 0) where the GEMM is not cuBLAS, so a proof run
     * cannot pass while timing or checking the wrong GEMM.
     */
    public static Row gemmInUse(CublasInfo info, boolean requireCublas) {
        boolean pass = info.inUse() || !requireCublas;
        String op = info.describe() + (pass ? "" : "; cuBLAS was required");
        return new Row("gemm-in-use", op, pass ? 0.0 : 1.0, 0.0, pass);
    }

    /** The rows as an aligned text table, failures marked. */
    public static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-14s %-44s %12s %10s  %s%n", "group", "op", "rel. error", "tolerance", "result"));
        for (Row r : rows) {
            sb.append(String.format("%-14s %-44s %12.3e %10.1e  %s%n", r.group(), r.op(), r.relativeError(),
                    r.tolerance(), r.pass() ? "ok" : "FAIL"));
        }
        long failed = rows.stream().filter(r -> !r.pass()).count();
        sb.append(failed == 0 ? "all " + rows.size() + " comparisons passed" : failed + " of " + rows.size()
                + " comparisons FAILED").append(System.lineSeparator());
        return sb.toString();
    }

    /**
     * Prints {@link #table} of the rows.
     *
     * @param rows the comparisons
     * @param out where to print
     */
    public static void print(List<Row> rows, PrintStream out) {
        out.print(table(rows));
    }

    // ---- pairs of tensors with the same contents on both backends ----

    /** A tensor on each backend; closing closes the CUDA one (CPU buffers are garbage-collected). */
    private final class Pair implements AutoCloseable {
        final Tensor gpu;
        final Tensor ref;

        Pair(int r, int c) {
            gpu = cuda.allocate(r, c);
            ref = cpu.allocate(r, c);
        }

        Pair random(double scale) {
            float[] v = new float[gpu.length()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (scale * random.nextGaussian());
            }
            return set(v);
        }

        Pair set(float[] v) {
            cuda.copyFromHost(v, 0, gpu);
            cpu.copyFromHost(v, 0, ref);
            return this;
        }

        /** Fills the CUDA side with NaN: an element the kernel does not write then fails the comparison. */
        Pair poison() {
            cuda.fill(gpu, Double.NaN);
            return this;
        }

        double error() {
            return Tolerances.relativeError(cuda.toFloatArray(gpu), cpu.toFloatArray(ref));
        }

        @Override
        public void close() {
            gpu.close();
        }
    }

    private Pair pair(int r, int c) {
        return new Pair(r, c);
    }

    private void add(String group, String op, double err, double tol) {
        rows.add(Row.of(group, op, err, tol));
    }

    private static double scalarError(double gpu, double ref) {
        return Math.abs(gpu - ref) / Math.max(Math.abs(ref), Double.MIN_NORMAL);
    }

    // ---- the comparisons ----

    private void elementwise() {
        for (int n : ROWS) {
            try (Pair x = pair(n, 1).poison(); Pair y = pair(n, 1).random(1); Pair z = pair(n, 1).random(1)) {
                cuda.fill(x.gpu, 0.37);
                cpu.fill(x.ref, 0.37);
                add("elementwise", "fill n=" + n, x.error(), Tolerances.ELEMENTWISE_F32);
                x.poison();
                cuda.copy(y.gpu, x.gpu);
                cpu.copy(y.ref, x.ref);
                add("elementwise", "copy n=" + n, x.error(), Tolerances.ELEMENTWISE_F32);
                cuda.axpy(-0.75, y.gpu, z.gpu);
                cpu.axpy(-0.75, y.ref, z.ref);
                add("elementwise", "axpy n=" + n, z.error(), Tolerances.ELEMENTWISE_F32);
                cuda.scale(1.3, z.gpu);
                cpu.scale(1.3, z.ref);
                add("elementwise", "scale n=" + n, z.error(), Tolerances.ELEMENTWISE_F32);
            }
        }
    }

    private void reductions() {
        for (int n : new int[] {1, 37, 1000, 4097, 1_000_003}) {
            try (Pair x = pair(n, 1).random(1); Pair y = pair(n, 1).random(1)) {
                // A non-zero mean keeps the reference sum away from 0, where a relative error means nothing.
                cuda.fill(y.gpu, 0.5);
                cpu.fill(y.ref, 0.5);
                cuda.axpy(1, x.gpu, y.gpu);
                cpu.axpy(1, x.ref, y.ref);
                add("reduce", "dot n=" + n, scalarError(cuda.dot(x.gpu, y.gpu), cpu.dot(x.ref, y.ref)),
                        Tolerances.REDUCTION_F32);
                add("reduce", "sumOfSquares n=" + n, scalarError(cuda.sumOfSquares(x.gpu), cpu.sumOfSquares(x.ref)),
                        Tolerances.REDUCTION_F32);
                add("reduce", "sum n=" + n, scalarError(cuda.sum(y.gpu), cpu.sum(y.ref)), Tolerances.REDUCTION_F32);
                add("reduce", "sumOfAbs n=" + n, scalarError(cuda.sumOfAbs(x.gpu), cpu.sumOfAbs(x.ref)),
                        Tolerances.REDUCTION_F32);
                // A max of float32 values is one of them, exactly representable: no rounding to allow for.
                add("reduce", "maxAbs n=" + n, scalarError(cuda.maxAbs(x.gpu), cpu.maxAbs(x.ref)), 0.0);
                double first = cuda.sum(y.gpu);
                double second = cuda.sum(y.gpu);
                // Determinism: fixed grid and order, so the same input gives the same bits (tolerance 0).
                add("reduce", "sum repeatable bit-for-bit n=" + n, Math.abs(first - second), 0.0);
            }
        }
    }

    /** Ops on views at odd element offsets: device pointers with byte offsets in kernels and reductions. */
    private void views() {
        try (Pair whole = pair(1003, 1).random(1)) {
            Tensor gx = whole.gpu.view(3, 500, 1);
            Tensor gy = whole.gpu.view(503, 500, 1);
            Tensor cx = whole.ref.view(3, 500, 1);
            Tensor cy = whole.ref.view(503, 500, 1);
            cuda.axpy(0.5, gx, gy);
            cpu.axpy(0.5, cx, cy);
            add("views", "axpy on views at offsets 3 and 503", whole.error(), Tolerances.ELEMENTWISE_F32);
            add("views", "dot on views at offsets 3 and 503", scalarError(cuda.dot(gx, gy), cpu.dot(cx, cy)),
                    Tolerances.REDUCTION_F32);
        }
    }

    private void gemms() {
        int m = 131;
        int n = 77;
        int k = 259;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                String name = (ta ? "T" : "N") + (tb ? "T" : "N") + " " + m + "x" + n + "x" + k;
                gemmCase("gemm", name, cuda, false, ta, tb, m, n, k, 0.0, Tolerances.REDUCTION_F32);
                gemmCase("gemm", name + " beta=0.5", cuda, false, ta, tb, m, n, k, 0.5, Tolerances.REDUCTION_F32);
                gemmCase("gemm-tiled", name, cuda, true, ta, tb, m, n, k, 0.0, Tolerances.REDUCTION_F32);
                gemmCase("gemm-tiled", name + " beta=0.5", cuda, true, ta, tb, m, n, k, 0.5,
                        Tolerances.REDUCTION_F32);
            }
        }
        gemmCase("gemm", "NN 1x1x1", cuda, false, false, false, 1, 1, 1, 0.0, Tolerances.REDUCTION_F32);
        gemmCase("gemm", "NT 4097x10x37", cuda, false, false, true, 4097, 10, 37, 0.0, Tolerances.REDUCTION_F32);
        gemmCase("gemm-tiled", "NN 1x1x1", cuda, true, false, false, 1, 1, 1, 0.0, Tolerances.REDUCTION_F32);
        gemmCase("gemm-tiled", "TN 37x1000x4097", cuda, true, true, false, 37, 1000, 4097, 0.0,
                Tolerances.REDUCTION_F32);
        // 65,626 tile rows: more than gridDim.y's 65535, so block rows loop (the old grid could not launch this).
        gemmCase("gemm-tiled", "NT 4200001x3x5 (M > 65535 tiles)", cuda, true, false, true, 4_200_001, 3, 5, 0.0,
                Tolerances.REDUCTION_F32);
        if (cudaTf32 != null && cudaTf32.usesCublas()) {
            tf32Band();
        }
    }

    /**
     * TF32 proven used: a tensor-core-friendly 1024×1024×1024 product of fresh Gaussian inputs (every mantissa bit
     * set), against float64 on 128 of its rows, must land inside the TF32 band (GEMM_TF32_MIN, GEMM_TF32] with TF32
     * on, and within REDUCTION_F32 with TF32 off, in one row: a TF32 backend that silently computes in float32 fails
     * it (its error would be ≈ 5e-7, under the band), and so does a plain backend that uses TF32.
     */
    private void tf32Band() {
        int size = 1024;
        int sampleEvery = 8;
        float[] av = gaussian(size * size);
        float[] bv = gaussian(size * size);
        double[] ref = new double[size / sampleEvery * size];
        double[] row = new double[size];
        for (int s = 0; s < size / sampleEvery; s++) {
            java.util.Arrays.fill(row, 0);
            int i = s * sampleEvery;
            for (int p = 0; p < size; p++) {
                double a = av[i * size + p];
                int bRow = p * size;
                for (int j = 0; j < size; j++) {
                    row[j] += a * bv[bRow + j];
                }
            }
            System.arraycopy(row, 0, ref, s * size, size);
        }
        double tf32Error = sampledProductError(cudaTf32, av, bv, size, sampleEvery, ref);
        double fp32Error = sampledProductError(cuda, av, bv, size, sampleEvery, ref);
        boolean inBand = tf32Error > Tolerances.GEMM_TF32_MIN && tf32Error <= Tolerances.GEMM_TF32
                && fp32Error <= Tolerances.REDUCTION_F32;
        rows.add(new Row("gemm-tf32", "NN 1024^3 TF32 in (1e-5, 1e-3] and FP32 <= 1e-5", tf32Error,
                Tolerances.GEMM_TF32, inBand));
        add("gemm-tf32", "NN 1024^3 with TF32 off (FP32) vs float64", fp32Error, Tolerances.REDUCTION_F32);
    }

    /** ‖C − ref‖/‖ref‖ over every {@code sampleEvery}-th row of C = A·B computed on {@code on} (C poisoned first). */
    private double sampledProductError(CudaBackend on, float[] av, float[] bv, int size, int sampleEvery,
            double[] ref) {
        try (Tensor a = on.allocate(size, size); Tensor b = on.allocate(size, size);
                Tensor c = on.allocate(size, size)) {
            on.copyFromHost(av, 0, a);
            on.copyFromHost(bv, 0, b);
            on.fill(c, Double.NaN);
            on.gemm(false, false, 1.0, a, b, 0.0, c);
            float[] cv = on.toFloatArray(c);
            double[] sampled = new double[ref.length];
            for (int s = 0; s < ref.length / size; s++) {
                for (int j = 0; j < size; j++) {
                    sampled[s * size + j] = cv[s * sampleEvery * size + j];
                }
            }
            return Tolerances.relativeError(sampled, ref);
        }
    }

    private void gemmCase(String group, String name, CudaBackend on, boolean tiled, boolean ta, boolean tb, int m,
            int n, int k, double beta, double tol) {
        float[] av = gaussian(m * k);
        float[] bv = gaussian(k * n);
        float[] cv = gaussian(m * n);
        try (Tensor a = on.allocate(ta ? k : m, ta ? m : k); Tensor b = on.allocate(tb ? n : k, tb ? k : n);
                Tensor c = on.allocate(m, n)) {
            Tensor ar = cpu.allocate(ta ? k : m, ta ? m : k);
            Tensor br = cpu.allocate(tb ? n : k, tb ? k : n);
            Tensor cr = cpu.allocate(m, n);
            on.copyFromHost(av, 0, a);
            on.copyFromHost(bv, 0, b);
            cpu.copyFromHost(av, 0, ar);
            cpu.copyFromHost(bv, 0, br);
            cpu.copyFromHost(cv, 0, cr);
            if (beta == 0) {
                on.fill(c, Double.NaN);  // beta = 0 must not read C
            } else {
                on.copyFromHost(cv, 0, c);
            }
            if (tiled) {
                on.tiledGemm(ta, tb, 0.7, a, b, beta, c);
            } else {
                on.gemm(ta, tb, 0.7, a, b, beta, c);
            }
            cpu.gemm(ta, tb, 0.7, ar, br, beta, cr);
            add(group, name, Tolerances.relativeError(on.toFloatArray(c), cpu.toFloatArray(cr)), tol);
        }
    }

    private void activations() {
        int[][] shapes = {{1, 1}, {37, 13}, {1000, 10}, {4097, 33}};
        for (Activation act : Activation.values()) {
            for (int[] s : shapes) {
                String shape = s[0] + "x" + s[1];
                try (Pair z = pair(s[0], s[1]).random(2); Pair b = pair(1, s[1]).random(1);
                        Pair out = pair(s[0], s[1]).poison(); Pair dOut = pair(s[0], s[1]).random(1);
                        Pair dz = pair(s[0], s[1]).poison()) {
                    cuda.biasActivationForward(z.gpu, b.gpu, act, out.gpu);
                    cpu.biasActivationForward(z.ref, b.ref, act, out.ref);
                    add("activation", act + " forward " + shape, out.error(), Tolerances.ELEMENTWISE_F32);
                    cuda.activationBackward(act, out.gpu, dOut.gpu, dz.gpu);
                    cpu.activationBackward(act, out.ref, dOut.ref, dz.ref);
                    add("activation", act + " backward " + shape, dz.error(), Tolerances.ELEMENTWISE_F32);
                    // In place, as layers use it: out = z, dz = dOut.
                    cuda.biasActivationForward(z.gpu, b.gpu, act, z.gpu);
                    cpu.biasActivationForward(z.ref, b.ref, act, z.ref);
                    cuda.activationBackward(act, z.gpu, dOut.gpu, dOut.gpu);
                    cpu.activationBackward(act, z.ref, dOut.ref, dOut.ref);
                    add("activation", act + " in place " + shape, dOut.error(), Tolerances.ELEMENTWISE_F32);
                }
            }
            nonFinite(act);
        }
    }

    /** Poison for outputs that may legitimately hold NaN: a finite value no activation or derivative produces here. */
    private static final float NOT_WRITTEN = -3.25e33f;

    /**
     * NaN and ±Inf through {@code act} as the CPU twins (F32Kernels) treat them, so the guard sees a diverging run on
     * both backends. Forward: z with NaN, ±Inf, ±0, ±3e38 (whose sums with the bias overflow), a subnormal, and bias
     * columns of +Inf and −Inf; NaN and infinity positions must be the CPU's and the finite values within
     * ELEMENTWISE_F32 (logistic and tanh are float on CUDA, double on the CPU). Backward: the same y on both sides
     * (the CPU's forward output plus NaN, ±Inf, −0, a subnormal and negative y) and dOut with NaN, ±Inf, ±0: the
     * kernel repeats the CPU's float expression, so the results must be the same values exactly (tolerance 0).
     */
    private void nonFinite(Activation act) {
        int r = 37;
        int c = 13;
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 3e38f, -3e38f,
            Float.MIN_VALUE, -Float.MIN_VALUE, 1f, -1f};
        float[] z = gaussian(r * c);
        float[] bias = gaussian(c);
        float[] dOut = gaussian(r * c);
        for (int i = 0; i < z.length; i += 3) {
            z[i] = specials[(i / 3) % specials.length];
        }
        for (int i = 1; i < dOut.length; i += 4) {
            dOut[i] = specials[(i / 4) % 5];  // NaN, +Inf, -Inf, 0, -0
        }
        bias[5] = Float.POSITIVE_INFINITY;
        bias[7] = Float.NEGATIVE_INFINITY;
        bias[9] = 3e38f;
        try (Pair zp = pair(r, c); Pair bp = pair(1, c); Pair out = pair(r, c); Pair y = pair(r, c);
                Pair d = pair(r, c); Pair dz = pair(r, c)) {
            zp.set(z);
            bp.set(bias);
            cuda.fill(out.gpu, NOT_WRITTEN);
            cuda.biasActivationForward(zp.gpu, bp.gpu, act, out.gpu);
            cpu.biasActivationForward(zp.ref, bp.ref, act, out.ref);
            add("activation", act + " forward NaN/Inf " + r + "x" + c,
                    nonFiniteAwareError(cuda.toFloatArray(out.gpu), cpu.toFloatArray(out.ref)),
                    Tolerances.ELEMENTWISE_F32);
            float[] yv = cpu.toFloatArray(out.ref);
            for (int i = 2; i < yv.length; i += 5) {
                yv[i] = specials[(i / 5) % specials.length];
            }
            y.set(yv);
            d.set(dOut);
            cuda.fill(dz.gpu, NOT_WRITTEN);
            cuda.activationBackward(act, y.gpu, d.gpu, dz.gpu);
            cpu.activationBackward(act, y.ref, d.ref, dz.ref);
            add("activation", act + " backward NaN/Inf " + r + "x" + c + " exact",
                    nonFiniteAwareError(cuda.toFloatArray(dz.gpu), cpu.toFloatArray(dz.ref)), 0.0);
        }
    }

    /**
     * +Inf when a NaN or an infinity of one side is not the same on the other (position, and sign for infinities),
     * else ‖a − b‖/‖b‖ over the finite entries (0 when they are equal as values: +0 and −0 count as equal).
     */
    static double nonFiniteAwareError(float[] a, float[] b) {
        int finite = 0;
        for (int i = 0; i < a.length; i++) {
            boolean an = Float.isNaN(a[i]);
            if (an != Float.isNaN(b[i])) {
                return Double.POSITIVE_INFINITY;
            }
            if (!an && (Float.isInfinite(a[i]) || Float.isInfinite(b[i]))) {
                if (a[i] != b[i]) {
                    return Double.POSITIVE_INFINITY;
                }
            } else if (!an) {
                finite++;
            }
        }
        float[] fa = new float[finite];
        float[] fb = new float[finite];
        for (int i = 0, j = 0; i < a.length; i++) {
            if (Float.isFinite(a[i]) && Float.isFinite(b[i])) {
                fa[j] = a[i];
                fb[j++] = b[i];
            }
        }
        return Tolerances.relativeError(fa, fb);
    }

    /**
     * Column sums at awkward sizes (one row, one column, exactly and one off a power of two, wider than one block of
     * 32 columns by one, and the B = 8192 shapes whose grid splits rows), outputs poisoned: against the CPU twin
     * (float sums in row order) within REDUCTION_F32, and against float64 sums of the same floats within
     * ELEMENTWISE_F32 (CUDA adds in double and rounds once). Inputs have mean 0.5 so no column sum sits near 0, where
     * the CPU's float rounding would be a large relative error. Then the determinism rows.
     */
    private void columnSums() {
        int[][] shapes = {{0, 10}, {37, 13}, {1000, 10}, {4097, 33}, {64, 1000}};
        List<int[]> all = new ArrayList<>(List.of(shapes));
        for (int r : new int[] {1, 8191, 8192}) {
            for (int c : new int[] {1, 10, 33, 1024, 1025}) {
                all.add(new int[] {r, c});
            }
        }
        for (int[] s : all) {
            int r = s[0];
            int c = s[1];
            float[] v = gaussian(r * c);
            double[] exact = new double[c];
            for (int i = 0; i < v.length; i++) {
                v[i] += 0.5f;
                exact[i % c] += v[i];
            }
            float[] rounded = new float[c];
            for (int j = 0; j < c; j++) {
                rounded[j] = (float) exact[j];
            }
            try (Pair x = pair(r, c).set(v); Pair sums = pair(1, c).poison()) {
                cuda.columnSum(x.gpu, sums.gpu);
                cpu.columnSum(x.ref, sums.ref);
                add("columnSum", r + "x" + c, sums.error(), Tolerances.REDUCTION_F32);
                add("columnSum", r + "x" + c + " vs float64", Tolerances.relativeError(cuda.toFloatArray(sums.gpu),
                        rounded), Tolerances.ELEMENTWISE_F32);
            }
        }
        for (int[] s : new int[][] {{8192, 10}, {8191, 1025}}) {
            columnSumRepeatable(s[0], s[1]);
        }
    }

    /**
     * Determinism: two launches give the same bits, and so does a launch after the 1-D block size changed (the
     * column-sum grid depends on the shape only). Error = number of differing elements; tolerance 0.
     */
    private void columnSumRepeatable(int r, int c) {
        try (Pair x = pair(r, c).random(1); Pair sums = pair(1, c).poison()) {
            cuda.columnSum(x.gpu, sums.gpu);
            float[] first = cuda.toFloatArray(sums.gpu);
            sums.poison();
            cuda.columnSum(x.gpu, sums.gpu);
            float[] second = cuda.toFloatArray(sums.gpu);
            sums.poison();
            cuda.setLaunchBlockSize(64);
            try {
                cuda.columnSum(x.gpu, sums.gpu);
            } finally {
                cuda.setLaunchBlockSize(CudaBackend.DEFAULT_BLOCK);
            }
            float[] third = cuda.toFloatArray(sums.gpu);
            int differ = 0;
            for (int j = 0; j < c; j++) {
                int bits = Float.floatToRawIntBits(first[j]);
                if (bits != Float.floatToRawIntBits(second[j]) || bits != Float.floatToRawIntBits(third[j])) {
                    differ++;
                }
            }
            add("columnSum", "repeatable bit-for-bit " + r + "x" + c + " (x3, block 64)", differ, 0.0);
        }
    }

    /**
     * Batch norm (batchnorm.cu) against the CPU twin, CUDA outputs poisoned first, for every activation at shapes from
     * two rows (the least training mode allows) to B = 8192, with column counts around the 32-column block:
     * <ul>
     *   <li>training forward: the batch mean and 1/σ (double sums on both sides, rounded once: ELEMENTWISE_F32), the
     *       running mean and variance after PyTorch's update (the same: ELEMENTWISE_F32), and the output
     *       φ(γ(z − μ)/σ + β), float arithmetic on CUDA against double on the CPU (a few roundings:
     *       ELEMENTWISE_F32);</li>
     *   <li>evaluation forward with the running statistics (elementwise: ELEMENTWISE_F32);</li>
     *   <li>backward: dγ, dβ (column sums in double: REDUCTION_F32) and dz = γr(dy − mean dy − x̂ mean(dy x̂)), which
     *       subtracts two per-column means from dy (cancellation) and uses the float-rounded dγ, dβ on CUDA:
     *       REDUCTION_F32. At least 3 rows: with 2, dz is 0 in exact arithmetic and a relative error means nothing;</li>
     *   <li>the forward and backward recorded as a CUDA graph and replayed give the same bits as direct launches, and
     *       so does a second run (error = differing elements, tolerance 0).</li>
     * </ul>
     */
    private void batchNorm() {
        int[][] shapes = {{2, 1}, {3, 33}, {37, 13}, {128, 256}, {1000, 65}, {8192, 10}};
        for (int[] s : shapes) {
            int r = s[0];
            int c = s[1];
            for (Activation act : Activation.values()) {
                String shape = r + "x" + c + " " + act.name().toLowerCase(java.util.Locale.ROOT);
                float[] zv = gaussian(r * c);
                for (int i = 0; i < zv.length; i++) {
                    zv[i] = 2f * zv[i] + 0.7f; // off-centre and wider than N(0, 1), as a layer's z is
                }
                try (Pair z = pair(r, c).set(zv); Pair gamma = pair(c, 1).random(1); Pair beta = pair(c, 1).random(1);
                        Pair out = pair(r, c).poison(); Pair mean = pair(c, 1).poison();
                        Pair invStd = pair(c, 1).poison(); Pair rm = pair(c, 1).random(0.1);
                        Pair rv = pair(c, 1).set(ones(c)); Pair dy = pair(r, c).random(1);
                        Pair dz = pair(r, c).poison(); Pair dg = pair(c, 1).poison(); Pair db = pair(c, 1).poison()) {
                    cuda.batchNormTrainingForward(z.gpu, gamma.gpu, beta.gpu, 1e-5, act, out.gpu, mean.gpu,
                            invStd.gpu, rm.gpu, rv.gpu, 0.1);
                    cpu.batchNormTrainingForward(z.ref, gamma.ref, beta.ref, 1e-5, act, out.ref, mean.ref,
                            invStd.ref, rm.ref, rv.ref, 0.1);
                    add("batchnorm", "train forward " + shape, out.error(), Tolerances.ELEMENTWISE_F32);
                    add("batchnorm", "batch mean, 1/σ " + shape, Math.max(mean.error(), invStd.error()),
                            Tolerances.ELEMENTWISE_F32);
                    add("batchnorm", "running mean, var " + shape, Math.max(rm.error(), rv.error()),
                            Tolerances.ELEMENTWISE_F32);
                    out.poison();
                    cuda.batchNormEvaluationForward(z.gpu, gamma.gpu, beta.gpu, rm.gpu, rv.gpu, 1e-5, act, out.gpu);
                    cpu.batchNormEvaluationForward(z.ref, gamma.ref, beta.ref, rm.ref, rv.ref, 1e-5, act, out.ref);
                    add("batchnorm", "eval forward " + shape, out.error(), Tolerances.ELEMENTWISE_F32);
                    if (r >= 3 && act == Activation.RELU) {
                        cuda.batchNormBackward(z.gpu, gamma.gpu, mean.gpu, invStd.gpu, dy.gpu, dz.gpu, dg.gpu, db.gpu);
                        cpu.batchNormBackward(z.ref, gamma.ref, mean.ref, invStd.ref, dy.ref, dz.ref, dg.ref, db.ref);
                        add("batchnorm", "backward dz " + r + "x" + c, dz.error(), Tolerances.REDUCTION_F32);
                        add("batchnorm", "backward dγ, dβ " + r + "x" + c, Math.max(dg.error(), db.error()),
                                Tolerances.REDUCTION_F32);
                    }
                }
            }
        }
        batchNormGraph(1000, 65);
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    /** The BN forward (with the running update) and backward, direct and as a replayed graph: the same bits. */
    private void batchNormGraph(int r, int c) {
        try (Pair z = pair(r, c).random(1); Pair gamma = pair(c, 1).random(1); Pair beta = pair(c, 1).random(1);
                Pair out = pair(r, c); Pair mean = pair(c, 1); Pair invStd = pair(c, 1); Pair rm = pair(c, 1);
                Pair rv = pair(c, 1).set(ones(c)); Pair dy = pair(r, c).random(1); Pair dz = pair(r, c);
                Pair dg = pair(c, 1); Pair db = pair(c, 1)) {
            Runnable body = () -> {
                cuda.batchNormTrainingForward(z.gpu, gamma.gpu, beta.gpu, 1e-5, Activation.TANH, out.gpu, mean.gpu,
                        invStd.gpu, rm.gpu, rv.gpu, 0.1);
                cuda.batchNormBackward(z.gpu, gamma.gpu, mean.gpu, invStd.gpu, dy.gpu, dz.gpu, dg.gpu, db.gpu);
            };
            Pair[] results = {out, mean, invStd, rm, rv, dz, dg, db};
            float[][] direct = new float[3][];
            for (int run = 0; run < 2; run++) {
                cuda.copyFromHost(ones(c), 0, rv.gpu);
                cuda.fill(rm.gpu, 0.0);
                for (Pair p : results) {
                    if (p != rm && p != rv) {
                        p.poison();
                    }
                }
                body.run();
                body.run();
                direct[run] = concat(results);
            }
            cuda.copyFromHost(ones(c), 0, rv.gpu);
            cuda.fill(rm.gpu, 0.0);
            for (Pair p : results) {
                if (p != rm && p != rv) {
                    p.poison();
                }
            }
            try (io.ravine.backend.StepProgram program = cuda.record(body)) {
                program.replay(new io.ravine.backend.StepParams(0.1, 0, 0.9, 0.999, 1e-8, 0.1, 0, 0, 1, 1, 1));
                program.replay(new io.ravine.backend.StepParams(0.1, 0, 0.9, 0.999, 1e-8, 0.1, 0, 0, 1, 1, 2));
            }
            direct[2] = concat(results);
            add("batchnorm", "repeatable bit-for-bit " + r + "x" + c + " (x2)", differing(direct[0], direct[1]), 0.0);
            add("batchnorm", "graph replay = direct, bit-for-bit " + r + "x" + c, differing(direct[0], direct[2]),
                    0.0);
        }
    }

    private float[] concat(Pair[] ps) {
        int n = 0;
        for (Pair p : ps) {
            n += p.gpu.length();
        }
        float[] all = new float[n];
        int at = 0;
        for (Pair p : ps) {
            cuda.copyToHost(p.gpu, all, at);
            at += p.gpu.length();
        }
        return all;
    }

    private static int differing(float[] a, float[] b) {
        int d = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                d++;
            }
        }
        return d;
    }

    private void losses() {
        int[][] shapes = {{1, 1}, {37, 10}, {1000, 37}, {4097, 100}};
        for (LossKind kind : LossKind.values()) {
            for (int[] s : shapes) {
                int r = s[0];
                int c = kind == LossKind.SOFTMAX_CE ? Math.max(2, s[1]) : s[1];
                String shape = r + "x" + c;
                float[] t = new float[kind.classIndexTarget() ? r : r * c];
                for (int i = 0; i < t.length; i++) {
                    t[i] = switch (kind) {
                        case SOFTMAX_CE -> random.nextInt(c);
                        case LOGISTIC_CE -> random.nextFloat();
                        case MSE -> (float) random.nextGaussian();
                    };
                }
                try (Pair z = pair(r, c).random(3); Pair target = pair(r, kind.classIndexTarget() ? 1 : c);
                        Pair loss = pair(r, 1).poison(); Pair grad = pair(r, c).poison()) {
                    target.set(t);
                    double scale = 1.0 / r;
                    cuda.lossForwardBackward(kind, z.gpu, target.gpu, loss.gpu, grad.gpu, scale);
                    cpu.lossForwardBackward(kind, z.ref, target.ref, loss.ref, grad.ref, scale);
                    add("loss", kind.cliName() + " loss " + shape, loss.error(), Tolerances.REDUCTION_F32);
                    add("loss", kind.cliName() + " gradient " + shape, grad.error(), Tolerances.ELEMENTWISE_F32);
                    loss.poison();
                    cuda.lossForwardBackward(kind, z.gpu, target.gpu, loss.gpu, null, scale);
                    cpu.lossForwardBackward(kind, z.ref, target.ref, loss.ref, null, scale);
                    add("loss", kind.cliName() + " loss only " + shape, loss.error(), Tolerances.REDUCTION_F32);
                }
            }
        }
    }

    /** The hyper-parameters of step t (1-based) of the optimizer comparisons. */
    static StepParams stepParams(int t, boolean decayAndClip) {
        double b1 = 0.9;
        double b2 = 0.999;
        // A decaying rate, so the values in the device block really change from step to step.
        double lr = 0.01 / Math.sqrt(t);
        return new StepParams(lr, 0.9, b1, b2, 1e-8, 0.1, decayAndClip ? 0.01 : 0.0, decayAndClip ? 1.0 : 0.0,
                1 - Math.pow(b1, t), 1 - Math.pow(b2, t), t);
    }

    /** A refusal latched by an earlier group (a NaN it produced on purpose) must not silence these updates. */
    private void freshGuards() {
        cuda.clearRefusedUpdate();
        cpu.clearRefusedUpdate();
    }

    private void optimizers() {
        freshGuards();
        int n = 100_003;
        for (UpdateRule rule : UpdateRule.values()) {
            if (rule.closureBased()) {
                continue; // no fused kernel; their vector work is axpy/dot/scale and the reductions checked above
            }
            for (boolean decayAndClip : new boolean[] {false, true}) {
                Pair theta = pair(n, 1).random(1);
                Pair grad = pair(n, 1);
                Pair[] state = new Pair[rule.stateCount()];
                Tensor[] gs = new Tensor[state.length];
                Tensor[] cs = new Tensor[state.length];
                for (int i = 0; i < state.length; i++) {
                    state[i] = pair(n, 1);
                    gs[i] = state[i].gpu;
                    cs[i] = state[i].ref;
                }
                try {
                    for (int t = 1; t <= OPTIMIZER_STEPS; t++) {
                        grad.random(1);
                        StepParams p = stepParams(t, decayAndClip);
                        cuda.optimizerStep(rule, theta.gpu, grad.gpu, gs, p);
                        cpu.optimizerStep(rule, theta.ref, grad.ref, cs, p);
                    }
                    String name = rule.cliName() + (decayAndClip ? " +decay +clip" : "") + ", " + OPTIMIZER_STEPS
                            + " steps, n=" + n;
                    add("optimizer", name, theta.error(), Tolerances.TRAINING_STEPS_F32);
                } finally {
                    theta.close();
                    grad.close();
                    for (Pair s : state) {
                        s.close();
                    }
                }
            }
        }
    }

    private void ema() {
        freshGuards();
        for (int n : ROWS) {
            try (Pair avg = pair(n, 1).random(1); Pair theta = pair(n, 1).random(1)) {
                cuda.emaUpdate(avg.gpu, theta.gpu, 0.99);
                cpu.emaUpdate(avg.ref, theta.ref, 0.99);
                add("ema", "decay 0.99 n=" + n, avg.error(), Tolerances.ELEMENTWISE_F32);
            }
        }
    }

    /** One training step of a 37-64-10 tanh/softmax net, as a layer stack would issue it. */
    private static final class Net {
        static final int IN = 37;
        static final int HIDDEN = 64;
        static final int OUT = 10;
        static final int BATCH = 100;
        // θ layout with an odd start for W1 so the GEMMs see offset device pointers: [pad 3 | W1 | b1 | W2 | b2].
        static final int W1 = 3;
        static final int B1 = W1 + IN * HIDDEN;
        static final int W2 = B1 + HIDDEN;
        static final int B2 = W2 + HIDDEN * OUT;
        static final int SIZE = B2 + OUT;

        final Tensor theta;
        final Tensor grad;
        final Tensor[] state;
        final Tensor x;
        final Tensor y;
        final Tensor h;
        final Tensor z;
        final Tensor loss;
        final Tensor dz;
        final Tensor dh;

        Net(Backend be, UpdateRule rule) {
            theta = be.allocate(SIZE, 1);
            grad = be.allocate(SIZE, 1);
            state = new Tensor[rule.stateCount()];
            for (int i = 0; i < state.length; i++) {
                state[i] = be.allocate(SIZE, 1);
            }
            x = be.allocate(BATCH, IN);
            y = be.allocate(BATCH, 1);
            h = be.allocate(BATCH, HIDDEN);
            z = be.allocate(BATCH, OUT);
            loss = be.allocate(BATCH, 1);
            dz = be.allocate(BATCH, OUT);
            dh = be.allocate(BATCH, HIDDEN);
        }

        void step(Backend be, UpdateRule rule, StepParams p) {
            Tensor w1 = theta.view(W1, IN, HIDDEN);
            Tensor b1 = theta.view(B1, 1, HIDDEN);
            Tensor w2 = theta.view(W2, HIDDEN, OUT);
            Tensor b2 = theta.view(B2, 1, OUT);
            be.gemm(false, false, 1, x, w1, 0, h);
            be.biasActivationForward(h, b1, Activation.TANH, h);
            be.gemm(false, false, 1, h, w2, 0, z);
            be.biasActivationForward(z, b2, Activation.IDENTITY, z);
            be.lossForwardBackward(LossKind.SOFTMAX_CE, z, y, loss, dz, 1.0 / BATCH);
            be.gemm(true, false, 1, h, dz, 0, grad.view(W2, HIDDEN, OUT));
            be.columnSum(dz, grad.view(B2, 1, OUT));
            be.gemm(false, true, 1, dz, w2, 0, dh);
            be.activationBackward(Activation.TANH, h, dh, dh);
            be.gemm(true, false, 1, x, dh, 0, grad.view(W1, IN, HIDDEN));
            be.columnSum(dh, grad.view(B1, 1, HIDDEN));
            be.optimizerStep(rule, theta, grad, state, p);
        }

        void close() {
            for (Tensor t : new Tensor[] {theta, grad, x, y, h, z, loss, dz, dh}) {
                t.close();
            }
            for (Tensor t : state) {
                t.close();
            }
        }
    }

    /**
     * A whole step recorded as a CUDA graph and replayed with changing StepParams equals the same ops issued directly
     * on CUDA (same kernels, same order: tolerance ELEMENTWISE_F32, in practice 0) and stays within
     * TRAINING_STEPS_F32 of the CPU.
     */
    /**
     * The optimizer guard's contract ({@link GuardCheck}) on the fused kernels: a row per property, with 0 in the error
     * column where the kernels behave (a refused update leaves every bit of θ and the state) and 1 where they do not.
     */
    private void guard() {
        for (GuardCheck.Check c : GuardCheck.run(cuda, random.nextLong())) {
            rows.add(new Row("guard", c.name(), c.pass() ? 0.0 : 1.0, 0.0, c.pass()));
        }
    }

    private void graph() {
        freshGuards();
        int steps = 5;
        UpdateRule rule = UpdateRule.ADAMW;
        float[] theta0 = gaussian(Net.SIZE);
        for (int i = 0; i < theta0.length; i++) {
            theta0[i] *= 0.1f;
        }
        float[] x = gaussian(Net.BATCH * Net.IN);
        float[] y = new float[Net.BATCH];
        for (int i = 0; i < y.length; i++) {
            y[i] = random.nextInt(Net.OUT);
        }
        Net replayed = new Net(cuda, rule);
        Net direct = new Net(cuda, rule);
        Net reference = new Net(cpu, rule);
        try {
            for (Net net : new Net[] {replayed, direct}) {
                cuda.copyFromHost(theta0, 0, net.theta);
                cuda.copyFromHost(x, 0, net.x);
                cuda.copyFromHost(y, 0, net.y);
            }
            cpu.copyFromHost(theta0, 0, reference.theta);
            cpu.copyFromHost(x, 0, reference.x);
            cpu.copyFromHost(y, 0, reference.y);
            // Recorded with clipping on, so the gradient-norm reduction is in the graph.
            try (StepProgram program = cuda.record(() -> replayed.step(cuda, rule, stepParams(1, true)))) {
                for (int t = 1; t <= steps; t++) {
                    StepParams p = stepParams(t, true);
                    program.replay(p);
                    direct.step(cuda, rule, p);
                    reference.step(cpu, rule, p);
                }
            }
            float[] g = cuda.toFloatArray(replayed.theta);
            add("graph", "AdamW MLP step replayed x" + steps + " vs direct",
                    Tolerances.relativeError(g, cuda.toFloatArray(direct.theta)), Tolerances.ELEMENTWISE_F32);
            add("graph", "AdamW MLP step replayed x" + steps + " vs cpu",
                    Tolerances.relativeError(g, cpu.toFloatArray(reference.theta)), Tolerances.TRAINING_STEPS_F32);
        } finally {
            replayed.close();
            direct.close();
        }
    }

    private float[] gaussian(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }
}
