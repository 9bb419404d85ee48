package io.ravine.bench;

import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import io.ravine.backend.cuda.CudaBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The floors of one training step (ReLU MLP, softmax cross-entropy, Adam), as METHOD-style lower bounds: the time
 * the step's matrix products take on their own through the backend's GEMM (cuBLAS on CUDA), plus every other byte
 * the step must move through device memory at the measured device-to-device copy bandwidth, plus the batch's bytes
 * at the measured host-to-device rate. A step cannot run much faster than their sum; step time over the sum says how
 * much is left to launches, gaps and kernels that move more bytes than they must.
 *
 * <p>The shapes are exactly those {@link io.ravine.nn.Model#computeGradient} issues: per layer k (in → out), the
 * forward product [B, in]·[out, in]ᵀ, the weight gradient δᵀ·a [out, B]·[B, in], and for k &gt; 0 the input
 * gradient δ·W [B, out]·[out, in].
 *
 * @param gemms the step's matrix products
 * @param deviceBytes bytes every other kernel of the step must read and write at least once: bias+activation
 *     forward (read z and the bias, write the output), the loss (read scores and labels, write losses and ∂ℓ/∂out),
 *     activation backward (read outputs and δ, write δ), bias-gradient column sums (read δ, write the sums), the
 *     guard's read of the gradient and Adam (read θ, g, m, v; write θ, m, v)
 * @param hostToDeviceBytes the batch: inputs and class indices, 4 bytes each
 */
public record StepFloors(List<Gemm> gemms, long deviceBytes, long hostToDeviceBytes) {

    /** One product C[M, N] = op(A)·op(B) with op(A) [M, K], as {@link Backend#gemm} takes it. */
    public record Gemm(String role, boolean transA, boolean transB, int m, int n, int k) {
        public double flops() {
            return 2.0 * m * n * k;
        }
    }

    /**
     * What was measured for a step's floors on one backend.
     *
     * @param gemmMs per product, milliseconds (same order as {@link StepFloors#gemms()})
     * @param copyGBps device-to-device copy bandwidth, bytes read plus written per second / 1e9
     * @param hostToDeviceGBps host-to-device rate of {@link Backend#copyFromHost} for a batch-sized array
     */
    public record Measured(StepFloors floors, double[] gemmMs, double copyGBps, double hostToDeviceGBps) {
        public double gemmFloorMs() {
            return Arrays.stream(gemmMs).sum();
        }

        public double deviceBytesMs() {
            return floors.deviceBytes() / (copyGBps * 1e6);
        }

        public double hostToDeviceMs() {
            return floors.hostToDeviceBytes() / (hostToDeviceGBps * 1e6);
        }

        public double floorMs() {
            return gemmFloorMs() + deviceBytesMs() + hostToDeviceMs();
        }

        /** The GEMMs' rate over their summed time, GFLOP/s. */
        public double gemmGflops() {
            return floors.gemms().stream().mapToDouble(Gemm::flops).sum() / (gemmFloorMs() * 1e6);
        }

        /** "GEMM a ms (r GFLOP/s) + bytes b ms + H2D c ms = f ms" for a log line. */
        public String describe() {
            return String.format(Locale.ROOT, "GEMM %.3f ms (%.0f GFLOP/s) + %.1f MB at %.0f GB/s %.3f ms + H2D %.2f MB"
                    + " at %.1f GB/s %.3f ms = %.3f ms", gemmFloorMs(), gemmGflops(), floors.deviceBytes() / 1e6,
                    copyGBps, deviceBytesMs(), floors.hostToDeviceBytes() / 1e6, hostToDeviceGBps, hostToDeviceMs(),
                    floorMs());
        }
    }

    /** The floors of one step of {@code c} (widths w₀…w_L, batch B), by counting. */
    public static StepFloors of(BenchCase c) {
        int[] w = c.widths();
        long b = c.batchSize();
        int layers = w.length - 1;
        List<Gemm> gemms = new ArrayList<>();
        long bytes = 0;
        long params = 0;
        for (int k = 0; k < layers; k++) {
            int in = w[k];
            int out = w[k + 1];
            params += (long) out * in + out;
            gemms.add(new Gemm("forward " + (k + 1), false, true, (int) b, out, in));
            bytes += 4 * (2 * b * out + out); // bias + activation: read z and bias, write the output
            gemms.add(new Gemm("weight gradient " + (k + 1), true, false, out, in, (int) b));
            bytes += 4 * (b * out + out); // column sums: read δ, write the bias gradient
            if (k > 0) {
                gemms.add(new Gemm("input gradient " + (k + 1), false, false, (int) b, in, out));
                bytes += 4 * 3 * b * in; // activation backward: read the layer's output and δ, write δ
            }
        }
        int classes = w[layers];
        bytes += 4 * (2 * b * classes + 2 * b); // loss: read scores and labels, write ∂ℓ/∂out and the losses
        bytes += 4 * params + 28 * params; // the guard's Σ∇², then Adam: θ, g, m, v in; θ, m, v out
        long h2d = 4 * b * w[0] + 4 * b;
        return new StepFloors(List.copyOf(gemms), bytes, h2d);
    }

    /**
     * Measures the floors on {@code backend}: each product timed alone on fresh random operands, the copy bandwidth
     * over two buffers of {@code copyElements} floats, and the host-to-device rate for the batch's input array.
     */
    public Measured measure(Backend backend, int copyElements, int reps) {
        SplittableRandom rng = new SplittableRandom(7);
        double[] ms = new double[gemms.size()];
        for (int i = 0; i < ms.length; i++) {
            Gemm g = gemms.get(i);
            int aRows = g.transA() ? g.k() : g.m();
            int aCols = g.transA() ? g.m() : g.k();
            int bRows = g.transB() ? g.n() : g.k();
            int bCols = g.transB() ? g.k() : g.n();
            try (Tensor a = random(backend, aRows, aCols, rng); Tensor bt = random(backend, bRows, bCols, rng);
                    Tensor c = random(backend, g.m(), g.n(), rng)) {
                Runnable product = () -> backend.gemm(g.transA(), g.transB(), 1.0, a, bt, 0.0, c);
                product.run(); // warm-up: handle set-up, kernel selection
                ms[i] = millis(backend, product, reps);
            }
        }
        double copyGBps;
        try (Tensor src = random(backend, copyElements, 1, rng); Tensor dst = backend.allocate(copyElements, 1)) {
            Runnable copy = backend instanceof CudaBackend cuda ? () -> cuda.driverCopy(src, dst)
                    : () -> backend.copy(src, dst);
            copy.run();
            copyGBps = 8.0 * copyElements / (millis(backend, copy, reps) * 1e6);
        }
        double h2dGBps;
        int batchFloats = (int) (hostToDeviceBytes / 4);
        float[] host = new float[batchFloats];
        for (int i = 0; i < host.length; i++) {
            host[i] = (float) rng.nextDouble(-1, 1);
        }
        try (Tensor dst = backend.allocate(batchFloats, 1)) {
            backend.copyFromHost(host, 0, dst);
            // Host transfers are timed on the wall clock: the host's part (filling pinned memory) counts.
            backend.synchronize();
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                backend.copyFromHost(host, 0, dst);
            }
            backend.synchronize();
            h2dGBps = 4.0 * batchFloats * reps / (System.nanoTime() - t0);
        }
        return new Measured(this, ms, copyGBps, h2dGBps);
    }

    /** Milliseconds per run of {@code body}: CUDA events on a CUDA backend, the wall clock elsewhere. */
    static double millis(Backend backend, Runnable body, int reps) {
        if (backend instanceof CudaBackend cuda) {
            return cuda.timeMillis(body, reps);
        }
        backend.synchronize();
        long t0 = System.nanoTime();
        for (int r = 0; r < reps; r++) {
            body.run();
        }
        backend.synchronize();
        return (System.nanoTime() - t0) / 1e6 / reps;
    }

    private static Tensor random(Backend backend, int rows, int cols, SplittableRandom rng) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextDouble(-1, 1);
        }
        Tensor t = backend.allocate(rows, cols);
        backend.copyFromHost(v, 0, t);
        return t;
    }
}
