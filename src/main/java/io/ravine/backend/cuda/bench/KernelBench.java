package io.ravine.backend.cuda.bench;

import io.ravine.backend.StepParams;
import io.ravine.backend.Tensor;
import io.ravine.backend.Tolerances;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.backend.cuda.CudaBackend;
import io.ravine.backend.cuda.SelfTest;
import io.ravine.backend.LossKind;
import io.ravine.backend.Activation;
import java.util.Random;

/**
 * Times Ravine's kernels on the GPU: the fused Adam update over 100M parameters as GB/s (28 bytes per parameter:
 * read θ, g, m, v and write θ, m, v in float32) next to a device-to-device copy of the same run (the bandwidth
 * ceiling), then each kernel family over several block sizes. Every kernel is validated against the CPU first.
 * Usage: {@code java -cp ravine.jar io.ravine.backend.cuda.bench.KernelBench [parameters=100000000] [device=0]}.
 */
public final class KernelBench {
    private static final int[] BLOCKS = {128, 256, 512, 1024};
    private static final int REPS = 20;

    private KernelBench() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000_000;
        int device = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        try (CudaBackend cuda = CudaBackend.open(device, false)) {
            System.out.println(cuda.deviceDescription());
            validateFamilies(cuda);
            validateAdam(cuda);
            double copyGbs = benchAdam(cuda, n);
            benchFamilies(cuda, copyGbs);
        }
    }

    private static StepParams adamParams() {
        return new StepParams(1e-3, 0.9, 0.9, 0.999, 1e-8, 0.1, 0.0, 0.0, 1 - 0.9, 1 - 0.999, 1);
    }

    /**
     * Every kernel family against the CPU at awkward sizes (the selftest's comparisons), before anything is timed: a
     * fast wrong kernel is not a result.
     */
    private static void validateFamilies(CudaBackend cuda) {
        java.util.List<SelfTest.Row> rows = SelfTest.run(cuda, null, System.nanoTime());
        long failed = rows.stream().filter(r -> !r.pass()).count();
        System.out.printf("validate %d comparisons of every kernel family against the CPU: %s%n", rows.size(),
                failed == 0 ? "all pass" : failed + " FAIL");
        if (failed > 0) {
            SelfTest.print(rows, System.out);
            throw new IllegalStateException("kernels disagree with the CPU; not timing them");
        }
    }

    /** Adam on 1M parameters, one step on both backends, before anything is timed. */
    private static void validateAdam(CudaBackend cuda) {
        int n = 1_000_003;
        CpuBackend cpu = CpuBackend.f32();
        Random r = new Random(1);
        float[] theta = new float[n];
        float[] grad = new float[n];
        for (int i = 0; i < n; i++) {
            theta[i] = (float) r.nextGaussian();
            grad[i] = (float) r.nextGaussian();
        }
        try (Tensor t = cuda.allocate(n, 1); Tensor g = cuda.allocate(n, 1); Tensor m = cuda.allocate(n, 1);
                Tensor v = cuda.allocate(n, 1)) {
            Tensor tc = cpu.allocate(n, 1);
            Tensor gc = cpu.allocate(n, 1);
            Tensor[] sc = {cpu.allocate(n, 1), cpu.allocate(n, 1)};
            cuda.copyFromHost(theta, 0, t);
            cuda.copyFromHost(grad, 0, g);
            cpu.copyFromHost(theta, 0, tc);
            cpu.copyFromHost(grad, 0, gc);
            cuda.optimizerStep(UpdateRule.ADAM, t, g, new Tensor[] {m, v}, adamParams());
            cpu.optimizerStep(UpdateRule.ADAM, tc, gc, sc, adamParams());
            double err = Tolerances.relativeError(cuda.toFloatArray(t), cpu.toFloatArray(tc));
            System.out.printf("validate adam n=%d: relative error %.3e (tolerance %.0e)%n", n, err,
                    Tolerances.ELEMENTWISE_F32);
            if (!(err <= Tolerances.ELEMENTWISE_F32)) {
                throw new IllegalStateException("fused Adam does not match the CPU; not timing it");
            }
        }
    }

    /** Returns the device-to-device copy bandwidth in GB/s, the ceiling the other kernels are compared with. */
    private static double benchAdam(CudaBackend cuda, int n) {
        System.out.printf("%n== fused Adam vs device copy, n = %,d parameters%n", n);
        try (Tensor t = cuda.allocate(n, 1); Tensor g = cuda.allocate(n, 1); Tensor m = cuda.allocate(n, 1);
                Tensor v = cuda.allocate(n, 1)) {
            Tensor[] state = {m, v};
            cuda.fill(t, 0.5);
            cuda.fill(g, 0.01);
            StepParams p = adamParams();
            // Copy: reads n floats and writes n floats.
            cuda.driverCopy(g, m);
            double copyMs = cuda.timeMillis(() -> cuda.driverCopy(g, m), REPS);
            double copyGbs = 8.0 * n / (copyMs * 1e6);
            System.out.printf("cuMemcpyDtoD          %8.3f ms  %7.1f GB/s%n", copyMs, copyGbs);
            for (int b : BLOCKS) {
                cuda.setLaunchBlockSize(b);
                cuda.optimizerStep(UpdateRule.ADAM, t, g, state, p);  // warm-up
                double ms = cuda.timeMillis(() -> cuda.optimizerStep(UpdateRule.ADAM, t, g, state, p), REPS);
                double gbs = 28.0 * n / (ms * 1e6);
                System.out.printf("adam block %-4d       %8.3f ms  %7.1f GB/s  (%.0f%% of copy)%n", b, ms, gbs,
                        100 * gbs / copyGbs);
            }
            cuda.setLaunchBlockSize(256);
            return copyGbs;
        }
    }

    /** One representative op per kernel family over the block sizes; bytes counted as the kernel must move them. */
    private static void benchFamilies(CudaBackend cuda, double copyGbs) {
        int n = 1 << 24;
        int rows = 4096;
        int cols = 1024;
        System.out.printf("%n== kernel families (n = %,d; matrices %dx%d)%n", n, rows, cols);
        try (Tensor x = cuda.allocate(n, 1); Tensor y = cuda.allocate(n, 1); Tensor z = cuda.allocate(rows, cols);
                Tensor bias = cuda.allocate(1, cols); Tensor sums = cuda.allocate(1, cols);
                Tensor logits = cuda.allocate(rows, 10); Tensor labels = cuda.allocate(rows, 1);
                Tensor loss = cuda.allocate(rows, 1); Tensor dOut = cuda.allocate(rows, 10)) {
            cuda.fill(x, 1);
            for (int b : BLOCKS) {
                cuda.setLaunchBlockSize(b);
                report("axpy", b, cuda.timeMillis(() -> cuda.axpy(0.5, x, y), REPS), 12.0 * n, copyGbs);
                report("sumOfSquares (2-pass)", b, cuda.timeMillis(() -> cuda.sumOfSquares(x), 5), 4.0 * n,
                        copyGbs);
                report("bias+relu forward", b, cuda.timeMillis(
                        () -> cuda.biasActivationForward(z, bias, Activation.RELU, z), REPS), 8.0 * rows * cols,
                        copyGbs);
                report("columnSum", b, cuda.timeMillis(() -> cuda.columnSum(z, sums), REPS), 4.0 * rows * cols,
                        copyGbs);
                report("softmax CE fwd+bwd", b, cuda.timeMillis(() -> cuda.lossForwardBackward(LossKind.SOFTMAX_CE,
                        logits, labels, loss, dOut, 1.0 / rows), REPS), 4.0 * rows * 21, copyGbs);
            }
            cuda.setLaunchBlockSize(256);
        }
        int s = 1024;
        try (Tensor a = cuda.allocate(s, s); Tensor b = cuda.allocate(s, s); Tensor c = cuda.allocate(s, s)) {
            cuda.fill(a, 0.01);
            cuda.fill(b, 0.02);
            double flops = 2.0 * s * s * s;
            double tiled = cuda.timeMillis(() -> cuda.tiledGemm(false, false, 1, a, b, 0, c), 10);
            System.out.printf("sgemm tiled %d^3     %8.3f ms  %7.1f GFLOP/s%n", s, tiled, flops / (tiled * 1e6));
            if (cuda.usesCublas()) {
                double cublas = cuda.timeMillis(() -> cuda.gemm(false, false, 1, a, b, 0, c), 10);
                System.out.printf("sgemm cuBLAS %d^3    %8.3f ms  %7.1f GFLOP/s%n", s, cublas, flops / (cublas * 1e6));
            }
        }
    }

    private static void report(String op, int block, double ms, double bytes, double copyGbs) {
        double gbs = bytes / (ms * 1e6);
        System.out.printf("%-22s block %-4d %8.3f ms  %7.1f GB/s  (%.0f%% of copy)%n", op, block, ms, gbs,
                100 * gbs / copyGbs);
    }
}
