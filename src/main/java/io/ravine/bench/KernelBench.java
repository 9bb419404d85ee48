package io.ravine.bench;

import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.Devices;
import io.ravine.backend.LossKind;
import io.ravine.backend.StepParams;
import io.ravine.backend.Tensor;
import io.ravine.backend.Tolerances;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.backend.cuda.CudaBackend;
import io.ravine.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;

/**
 * Times each of Ravine's kernel families on one backend against the bandwidth ceiling of that device, in three
 * Markdown tables:
 * <ol>
 *   <li>the fused Adam step over {@code parameters} parameters (100M by default) as GB/s next to a device-to-device
 *       copy of the same run (the ceiling), at several launch block sizes on CUDA;</li>
 *   <li>every kernel family (elementwise, reductions, column sums, bias+activation, activation backward, loss, each
 *       optimizer) as GB/s and as a share of the copy bandwidth, counting the bytes each must move at least;</li>
 *   <li>GEMM GFLOP/s: the matrix products of a 784-1024-1024-10 training step at B = 8192 and a 4096³ product,
 *       through the backend's GEMM (cuBLAS on CUDA), with TF32 and Ravine's tiled kernel alongside on CUDA.</li>
 * </ol>
 * Every timed operation is first run on small fresh random inputs on this backend and on the CPU float32 reference
 * and compared (‖a−b‖/‖b‖ within the operation's tolerance): a fast wrong kernel is not a result. Timed inputs are
 * random too, never zeros. Timing: CUDA events on CUDA, the wall clock on the CPU ({@link StepFloors#millis}).
 *
 * <p>Usage: {@code java -cp ravine.jar io.ravine.bench.KernelBench [--device cuda|cpu] [--parameters N]
 * [--out FILE]}.
 */
public final class KernelBench {
    private static final int[] CUDA_BLOCKS = {128, 256, 512, 1024};
    private static final int REPS = 20;

    private final Backend backend;
    private final CudaBackend cuda;
    private final int parameters;
    private final int familyElements;
    private final SplittableRandom rng = new SplittableRandom(20261130);
    private final StringBuilder out = new StringBuilder();
    private double copyGBps;

    /**
     * @param parameters length of the Adam vectors (θ, g, m, v)
     * @param familyElements elements of the vectors and matrices the kernel families are timed on
     */
    public KernelBench(Backend backend, int parameters, int familyElements) {
        if (parameters < 1024 || familyElements < 1 << 14) {
            throw new InvalidInputException("kernel bench sizes too small: parameters " + parameters + ", family "
                    + familyElements + " elements");
        }
        this.backend = backend;
        this.cuda = backend instanceof CudaBackend c ? c : null;
        this.parameters = parameters;
        this.familyElements = familyElements;
    }

    public static void main(String[] args) {
        String device = "cuda";
        int parameters = 100_000_000;
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--device" -> device = require(a, v);
                case "--parameters" -> parameters = parsePositive(a, require(a, v));
                case "--out" -> file = Path.of(require(a, v));
                default -> fail("unknown argument '" + a + "' (KernelBench takes --device, --parameters, --out)");
            }
            i++;
        }
        if (!device.equals("cpu") && !device.equals("cuda")) {
            fail("--device must be cpu or cuda, not '" + device + "'");
        }
        String text;
        try (Backend b = Devices.open(device, false, 0)) {
            text = new KernelBench(b, parameters, device.equals("cuda") ? 1 << 26 : 1 << 22).run();
        } catch (InvalidInputException e) {
            fail(e.getMessage());
            return;
        }
        System.out.print(text);
        if (file != null) {
            try {
                AtomicFiles.writeString(file, text);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file, e);
            }
        }
    }

    private static String require(String flag, String value) {
        if (value == null) {
            fail(flag + " needs a value");
        }
        return value;
    }

    private static int parsePositive(String flag, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        fail(flag + " must be a positive integer, not '" + value + "'");
        return 0;
    }

    private static void fail(String message) {
        System.err.println("ravine: " + message);
        System.exit(2);
    }

    /** Validates, then times everything; returns the report (also what {@link #main} prints). */
    public String run() {
        line("# KernelBench on %s", backend.deviceDescription());
        line("");
        validate();
        adamAgainstCopy();
        families();
        gemms();
        return out.toString();
    }

    // ---- validation ----

    /** One comparison with the CPU float32 reference per timed operation, on small awkward sizes. */
    private void validate() {
        CpuBackend cpu = CpuBackend.f32();
        int rows = 67;
        int cols = 131;
        int n = rows * cols;
        List<String> failed = new ArrayList<>();
        int[] checks = {0};
        BiConsumer<String, Double> check = (name, err) -> {
            checks[0]++;
            if (!(err <= tolerance(name))) {
                failed.add(String.format(Locale.ROOT, "%s %.2e", name, err));
            }
        };
        float[] x = values(n, -1, 1);
        float[] y = values(n, -1, 1);
        float[] bias = values(cols, -0.5, 0.5);
        float[] labels = new float[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = rng.nextInt(cols);
        }
        float[] state1 = values(n, 0.1, 1);
        float[] state2 = values(n, 0.1, 1);
        for (Op op : Op.values()) {
            float[][] results = new float[2][];
            Backend[] both = {backend, cpu};
            for (int side = 0; side < 2; side++) {
                Backend b = both[side];
                try (Tensor tx = upload(b, rows, cols, x); Tensor ty = upload(b, rows, cols, y);
                        Tensor tb = upload(b, 1, cols, bias); Tensor tl = upload(b, rows, 1, labels);
                        Tensor s1 = upload(b, rows, cols, state1); Tensor s2 = upload(b, rows, cols, state2);
                        Tensor small = b.allocate(rows, 1)) {
                    results[side] = op.apply(b, tx, ty, tb, tl, new Tensor[] {s1, s2}, small);
                }
            }
            check.accept(op.label, Tolerances.relativeError(results[0], results[1]));
        }
        line("Validated %d operations against the CPU float32 reference on %d×%d random inputs: %s", checks[0],
                rows, cols, failed.isEmpty() ? "all within tolerance" : "FAILED " + failed);
        line("");
        if (!failed.isEmpty()) {
            throw new IllegalStateException("kernels disagree with the CPU (" + failed + "); not timing them");
        }
    }

    private static double tolerance(String op) {
        return op.startsWith("sum") || op.startsWith("column") || op.startsWith("gemm")
                ? Tolerances.REDUCTION_F32 : Tolerances.ELEMENTWISE_F32;
    }

    // ---- 1. Adam against the copy ceiling ----

    private void adamAgainstCopy() {
        int n = parameters;
        line("## Fused Adam over %,d parameters against a device-to-device copy", n);
        line("");
        line("| operation | block | ms | GB/s | share of copy |");
        line("|---|---:|---:|---:|---:|");
        try (Tensor theta = random(n, 1, -1, 1); Tensor grad = random(n, 1, -0.01, 0.01);
                Tensor m = random(n, 1, -0.001, 0.001); Tensor v = random(n, 1, 1e-6, 1e-4)) {
            Runnable copy = cuda != null ? () -> cuda.driverCopy(grad, m) : () -> backend.copy(grad, m);
            copy.run();
            double copyMs = StepFloors.millis(backend, copy, REPS);
            copyGBps = 8.0 * n / (copyMs * 1e6);
            line("| %s (ceiling: %d bytes read + written per element) | – | %.3f | %.1f | 100%% |",
                    cuda != null ? "cuMemcpyDtoDAsync" : "copy", 8, copyMs, copyGBps);
            // Adam: read θ, g, m, v and write θ, m, v (28 bytes), plus the guard's read of g (4 bytes).
            Tensor[] state = {m, v};
            StepParams p = adamParams();
            for (int block : blocks()) {
                setBlock(block);
                backend.optimizerStep(UpdateRule.ADAM, theta, grad, state, p);
                double ms = StepFloors.millis(backend, () -> backend.optimizerStep(UpdateRule.ADAM, theta, grad,
                        state, p), REPS);
                double gbps = 32.0 * n / (ms * 1e6);
                line("| optimizerStep adam (32 B/param: guard 4 + update 28) | %s | %.3f | %.1f | %.0f%% |",
                        block == 0 ? "–" : Integer.toString(block), ms, gbps, 100 * gbps / copyGBps);
            }
            setBlock(256);
        }
        line("");
    }

    // ---- 2. kernel families ----

    private void families() {
        int n = familyElements;
        int cols = 1024;
        int rows = n / cols;
        line("## Kernel families (%,d-element vectors, %d×%d matrices), as a share of copy bandwidth (%.1f GB/s)",
                n, rows, cols, copyGBps);
        line("");
        line("| family | operation | bytes/element | block | ms | GB/s | share of copy |");
        line("|---|---|---:|---:|---:|---:|---:|");
        try (Tensor x = random(n, 1, -1, 1); Tensor y = random(n, 1, -1, 1); Tensor z = random(rows, cols, -1, 1);
                Tensor out = random(rows, cols, -1, 1); Tensor bias = random(1, cols, -0.1, 0.1);
                Tensor sums = random(1, cols, -1, 1); Tensor logits = random(rows, 10, -3, 3);
                Tensor labels = labels(rows, 10); Tensor loss = random(rows, 1, 0, 1);
                Tensor dOut = random(rows, 10, -1, 1); Tensor narrow = random(rows * 100, 10, -1, 1);
                Tensor narrowSums = random(1, 10, -1, 1); Tensor m = random(n, 1, -0.001, 0.001);
                Tensor v = random(n, 1, 1e-6, 1e-4); Tensor dz = random(rows, cols, -1, 1)) {
            StepParams p = adamParams();
            List<Object[]> ops = List.of(
                    new Object[] {"elementwise", "fill", 4.0, n, (Runnable) () -> backend.fill(y, 0.25)},
                    new Object[] {"elementwise", "copy", 8.0, n, (Runnable) () -> backend.copy(x, y)},
                    new Object[] {"elementwise", "scale", 8.0, n, (Runnable) () -> backend.scale(1.0000001, y)},
                    new Object[] {"elementwise", "axpy", 12.0, n, (Runnable) () -> backend.axpy(1e-7, x, y)},
                    new Object[] {"elementwise", "ema", 12.0, n, (Runnable) () -> backend.emaUpdate(y, x, 0.999)},
                    new Object[] {"reduce", "sumOfSquares (result to host)", 4.0, n,
                            (Runnable) () -> backend.sumOfSquares(x)},
                    new Object[] {"reduce", "columnSum " + rows + "×" + cols, 4.0, n,
                            (Runnable) () -> backend.columnSum(z, sums)},
                    new Object[] {"reduce", "columnSum " + rows * 100 + "×10", 4.0, rows * 1000,
                            (Runnable) () -> backend.columnSum(narrow, narrowSums)},
                    new Object[] {"activations", "bias+relu forward", 8.0, n,
                            (Runnable) () -> backend.biasActivationForward(z, bias, Activation.RELU, out)},
                    new Object[] {"activations", "bias+tanh forward", 8.0, n,
                            (Runnable) () -> backend.biasActivationForward(z, bias, Activation.TANH, out)},
                    new Object[] {"activations", "relu backward", 12.0, n,
                            (Runnable) () -> backend.activationBackward(Activation.RELU, out, z, dz)},
                    new Object[] {"loss", "softmax CE forward+backward, " + rows + "×10", 8.8, rows * 10,
                            (Runnable) () -> backend.lossForwardBackward(LossKind.SOFTMAX_CE, logits, labels, loss,
                                    dOut, 1.0 / rows)},
                    new Object[] {"optimizers", "sgd (guard 4 + 12)", 16.0, n,
                            (Runnable) () -> backend.optimizerStep(UpdateRule.SGD, x, y, new Tensor[0], p)},
                    new Object[] {"optimizers", "momentum (guard 4 + 20)", 24.0, n,
                            (Runnable) () -> backend.optimizerStep(UpdateRule.MOMENTUM, x, y, new Tensor[] {m}, p)},
                    new Object[] {"optimizers", "rmsprop (guard 4 + 20)", 24.0, n,
                            (Runnable) () -> backend.optimizerStep(UpdateRule.RMSPROP, x, y, new Tensor[] {v}, p)},
                    new Object[] {"optimizers", "adam (guard 4 + 28)", 32.0, n,
                            (Runnable) () -> backend.optimizerStep(UpdateRule.ADAM, x, y, new Tensor[] {m, v}, p)});
            for (Object[] op : ops) {
                Runnable body = (Runnable) op[4];
                double best = Double.POSITIVE_INFINITY;
                int bestBlock = 0;
                for (int block : blocks()) {
                    setBlock(block);
                    body.run();
                    double ms = StepFloors.millis(backend, body, REPS);
                    if (ms < best) {
                        best = ms;
                        bestBlock = block;
                    }
                }
                setBlock(256);
                double bytes = (double) op[2] * (int) op[3];
                double gbps = bytes / (best * 1e6);
                line("| %s | %s | %.1f | %s | %.4f | %.1f | %.0f%% |", op[0], op[1], (double) op[2],
                        bestBlock == 0 ? "–" : Integer.toString(bestBlock), best, gbps, 100 * gbps / copyGBps);
            }
        }
        line("");
    }

    // ---- 3. GEMM ----

    private void gemms() {
        line("## GEMM (%s)", cuda != null ? (cuda.usesCublas() ? "cuBLAS" : "Ravine's tiled kernel: cuBLAS not in use")
                : "OpenBLAS");
        line("");
        line("| product | M×N×K | ms | GFLOP/s |%s", cuda != null ? " TF32 ms | TF32 GFLOP/s | tiled kernel GFLOP/s |"
                : "");
        line("|---|---|---:|---:|%s", cuda != null ? "---:|---:|---:|" : "");
        List<StepFloors.Gemm> products = new ArrayList<>(StepFloors.of(BenchCase.parse(
                cuda != null ? "784-1024-1024-10:8192" : "784-1024-1024-10:1024")).gemms());
        int s = cuda != null ? 4096 : 1024;
        products.add(new StepFloors.Gemm("square", false, false, s, s, s));
        CudaBackend tf32 = null;
        try {
            if (cuda != null && cuda.usesCublas()) {
                tf32 = CudaBackend.open(0, true);
            }
            for (StepFloors.Gemm g : products) {
                double ms = time(backend, g, false);
                StringBuilder extra = new StringBuilder();
                if (cuda != null) {
                    if (tf32 != null) {
                        double t = time(tf32, g, false);
                        extra.append(String.format(Locale.ROOT, " %.3f | %.0f |", t, g.flops() / (t * 1e6)));
                    } else {
                        extra.append(" – | – |");
                    }
                    double tiled = time(cuda, g, true);
                    extra.append(String.format(Locale.ROOT, " %.0f |", g.flops() / (tiled * 1e6)));
                }
                line("| %s | %d×%d×%d%s | %.3f | %.0f |%s", g.role(), g.m(), g.n(), g.k(),
                        (g.transA() ? " (Aᵀ)" : "") + (g.transB() ? " (Bᵀ)" : ""), ms, g.flops() / (ms * 1e6),
                        extra);
            }
        } finally {
            if (tf32 != null) {
                tf32.close();
            }
        }
        line("");
    }

    private double time(Backend b, StepFloors.Gemm g, boolean tiled) {
        int aRows = g.transA() ? g.k() : g.m();
        int aCols = g.transA() ? g.m() : g.k();
        int bRows = g.transB() ? g.n() : g.k();
        int bCols = g.transB() ? g.k() : g.n();
        try (Tensor a = random(b, aRows, aCols, -1, 1); Tensor bt = random(b, bRows, bCols, -1, 1);
                Tensor c = random(b, g.m(), g.n(), -1, 1)) {
            Runnable product = tiled && b instanceof CudaBackend cb
                    ? () -> cb.tiledGemm(g.transA(), g.transB(), 1.0, a, bt, 0.0, c)
                    : () -> b.gemm(g.transA(), g.transB(), 1.0, a, bt, 0.0, c);
            product.run();
            return StepFloors.millis(b, product, tiled ? 3 : 10);
        }
    }

    // ---- the operations validated against the CPU ----

    /** Each timed operation as a function of (x, y, bias, labels, positive state, small) → its output on the host. */
    private enum Op {
        FILL("fill"), COPY("copy"), SCALE("scale"), AXPY("axpy"), EMA("ema"), SUM_OF_SQUARES("sumOfSquares"),
        COLUMN_SUM("columnSum"), BIAS_RELU("bias+relu forward"), BIAS_TANH("bias+tanh forward"),
        RELU_BACKWARD("relu backward"), SOFTMAX_CE("softmax CE"), SGD("sgd"), MOMENTUM("momentum"),
        RMSPROP("rmsprop"), ADAM("adam"), GEMM("gemm NT");

        final String label;

        Op(String label) {
            this.label = label;
        }

        float[] apply(Backend b, Tensor x, Tensor y, Tensor bias, Tensor labels, Tensor[] state, Tensor small) {
            StepParams p = adamParams();
            switch (this) {
                case FILL -> b.fill(y, 0.37);
                case COPY -> b.copy(x, y);
                case SCALE -> b.scale(1.7, y);
                case AXPY -> b.axpy(0.3, x, y);
                case EMA -> b.emaUpdate(y, x, 0.9);
                case SUM_OF_SQUARES -> {
                    return new float[] {(float) b.sumOfSquares(x)};
                }
                case COLUMN_SUM -> {
                    b.columnSum(x, bias);
                    return b.toFloatArray(bias);
                }
                case BIAS_RELU -> b.biasActivationForward(x, bias, Activation.RELU, y);
                case BIAS_TANH -> b.biasActivationForward(x, bias, Activation.TANH, y);
                case RELU_BACKWARD -> {
                    b.biasActivationForward(x, bias, Activation.RELU, x);
                    b.activationBackward(Activation.RELU, x, y, y);
                }
                case SOFTMAX_CE -> {
                    b.lossForwardBackward(LossKind.SOFTMAX_CE, x, labels, small, y, 1.0 / x.rows());
                    float[] d = b.toFloatArray(y);
                    float[] l = b.toFloatArray(small);
                    float[] both = java.util.Arrays.copyOf(d, d.length + l.length);
                    System.arraycopy(l, 0, both, d.length, l.length);
                    return both;
                }
                case SGD -> b.optimizerStep(UpdateRule.SGD, y, x, new Tensor[0], p);
                case MOMENTUM -> b.optimizerStep(UpdateRule.MOMENTUM, y, x, new Tensor[] {state[0]}, p);
                case RMSPROP -> b.optimizerStep(UpdateRule.RMSPROP, y, x, new Tensor[] {state[0]}, p);
                case ADAM -> b.optimizerStep(UpdateRule.ADAM, y, x, state, p);
                case GEMM -> {
                    try (Tensor c = b.allocate(x.rows(), y.rows())) {
                        b.gemm(false, true, 1.0, x, y, 0.0, c);
                        return b.toFloatArray(c);
                    }
                }
            }
            return b.toFloatArray(y);
        }
    }

    // ---- helpers ----

    static StepParams adamParams() {
        // lr, μ, β₁, β₂, ε, γ, λ, clip, 1−β₁ᵗ, 1−β₂ᵗ, t (as the fused kernels read them).
        return new StepParams(1e-3, 0.9, 0.9, 0.999, 1e-8, 0.1, 0.0, 0.0, 1 - 0.9, 1 - 0.999, 1);
    }

    private int[] blocks() {
        return cuda != null ? CUDA_BLOCKS : new int[] {0};
    }

    private void setBlock(int block) {
        if (cuda != null && block > 0) {
            cuda.setLaunchBlockSize(block);
        }
    }

    private float[] values(int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rng.nextDouble(lo, hi);
        }
        return v;
    }

    private Tensor random(int rows, int cols, double lo, double hi) {
        return random(backend, rows, cols, lo, hi);
    }

    private Tensor random(Backend b, int rows, int cols, double lo, double hi) {
        return upload(b, rows, cols, values(rows * cols, lo, hi));
    }

    private Tensor labels(int rows, int classes) {
        float[] l = new float[rows];
        for (int i = 0; i < rows; i++) {
            l[i] = rng.nextInt(classes);
        }
        return upload(backend, rows, 1, l);
    }

    private static Tensor upload(Backend b, int rows, int cols, float[] v) {
        Tensor t = b.allocate(rows, cols);
        b.copyFromHost(v, 0, t);
        return t;
    }

    private void line(String format, Object... args) {
        out.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
