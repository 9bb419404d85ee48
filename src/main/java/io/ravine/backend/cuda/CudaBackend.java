package io.ravine.backend.cuda;

import io.ravine.backend.OutOfDeviceMemoryException;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.DType;
import io.ravine.backend.LossKind;
import io.ravine.backend.OperandShapes;
import io.ravine.backend.RefusedUpdate;
import io.ravine.backend.StepParams;
import io.ravine.backend.StepProgram;
import io.ravine.backend.Tensor;
import io.ravine.backend.UpdateRule;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Optional;
import java.util.Set;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasMath;
import jcuda.jcublas.cublasOperation;
import jcuda.runtime.cudaStream_t;

/**
 * The {@link Backend} on one NVIDIA GPU, through the JCuda driver API. Everything is issued in order on one stream of
 * the device's primary context (shared with the CUDA runtime, so cuBLAS works on the same context and stream).
 * Elementwise ops, reductions, losses and optimizer updates are Ravine's kernels; GEMM is cuBLAS (TF32 off unless
 * asked for) or, without cuBLAS, Ravine's tiled kernel. Every driver and cuBLAS call throws on failure (JCuda's
 * exceptions are enabled before the first call), including every kernel launch.
 *
 * <p>Uploads go through a ring of pinned staging slots ({@link StagingRing}) with asynchronous copies, so the host
 * enqueues step t + 1 while the device runs step t; downloads through a pinned buffer; scalar results (dot, sums) come
 * back with one 8-byte copy and a stream synchronization. {@link #record} captures a CUDA graph; see its javadoc.
 */
public final class CudaBackend implements Backend {
    /** Default threads per block for 1-D launches: a multiple of the warp, enough warps per SM to hide latency. */
    static final int DEFAULT_BLOCK = 256;
    /** The reduction grid is min(ceil(n / 256), this): it depends on n alone, so sums are reproducible anywhere. */
    static final int REDUCE_MAX_BLOCKS = 1024;
    private static final int REDUCE_BLOCK = 256;
    /** Pinned buffer for downloads (device to host), which wait for their copy anyway. */
    private static final int DOWNLOAD_BYTES = 8 << 20;
    /**
     * The upload ring ({@link StagingRing}): 8 slots, each with its own event; a training step takes 2 (x and y), so
     * up to 4 steps can be queued behind the one the device runs before an upload waits. Slots start at 1 MiB and
     * grow on demand to 32 MiB (x of a B = 8192 Fashion-MNIST batch is 25.7 MB); larger uploads go in 32 MiB chunks.
     */
    static final int STAGING_SLOTS = 8;
    static final int STAGING_SLOT_INITIAL = 1 << 20;
    static final int STAGING_SLOT_MAX = 32 << 20;
    /** The step-parameter block's own ring: one 72-byte slot per step, 8 steps. */
    static final int PARAMS_SLOTS = 8;
    /** cuBLAS workspace handed over explicitly: graph capture must not let cuBLAS allocate (NVIDIA recommends 32 MiB on Hopper). */
    private static final long CUBLAS_WORKSPACE_BYTES = 32L << 20;
    /** The step-parameter block: 16 floats, then the step number as a u64 at byte 64 (StepParamsBlock). */
    private static final int PARAMS_FLOATS = 16;
    private static final int PARAMS_BYTES = 72;
    /** The guard's device state (GuardState in common.cuh): Σ∇² (double), loss flag, cause and step (u32, u32, u64). */
    private static final int GUARD_BYTES = 24;
    private static final int GUARD_CAUSE_OFFSET = 12;
    private static final int GUARD_STEP_OFFSET = 16;

    private static Optional<String> unavailable;

    private final int ordinal;
    private final boolean tf32;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final CUstream stream = new CUstream();
    private final String deviceName;
    private final int ccMajor;
    private final int ccMinor;
    private final int smCount;
    private final long totalMemory;
    private final int driverVersion;
    private final Kernels kernels;
    private final CublasLoader.Choice cublasChoice;
    private final cublasHandle cublas;
    private final CUdeviceptr cublasWorkspace;
    private final ThreadLocal<Boolean> contextBound = ThreadLocal.withInitial(() -> false);
    private final Set<CudaTensor> liveTensors = Collections.newSetFromMap(new IdentityHashMap<>());

    // Pinned host memory: the upload rings (bulk data, step-parameter blocks), the download buffer and one scalar.
    private final StagingRing<Pointer, CUevent, CUdeviceptr> uploads;
    private final StagingRing<Pointer, CUevent, CUdeviceptr> paramUploads;
    private final Pointer downloadHost = new Pointer();
    private final FloatBuffer downloadBuffer;
    private final Pointer scalarHost = new Pointer();
    private final ByteBuffer scalarHostView;

    // Device scratch: the step-parameter block the optimizer kernels read, reduction partials and results.
    private final CUdeviceptr paramsDevice = new CUdeviceptr();
    private final CUdeviceptr reducePartials = new CUdeviceptr();
    private final CUdeviceptr reduceResult = new CUdeviceptr();
    /** Column-sum partials (LaunchGeometry.COLSUM_PARTIALS doubles, 256 KiB), allocated once. */
    private final CUdeviceptr columnPartials = new CUdeviceptr();
    /** GuardState: the gradient's Σ∇² (clipping norm), the pending non-finite loss and the refused update. */
    private final CUdeviceptr guard = new CUdeviceptr();

    private long tensorBytes;
    private int block = DEFAULT_BLOCK;
    private final CaptureState capture = new CaptureState();
    private boolean closed;

    private CudaBackend(int ordinal, boolean tf32) {
        this.ordinal = ordinal;
        this.tf32 = tf32;
        int[] count = {0};
        cuDeviceGetCount(count);
        if (ordinal < 0 || ordinal >= count[0]) {
            throw new CudaUnavailableException("no CUDA device " + ordinal + " (this machine has " + count[0] + ")");
        }
        cuDeviceGet(device, ordinal);
        // The primary context is the one the CUDA runtime (and so cuBLAS) uses: sharing it lets cuBLAS run on our
        // stream and read our allocations.
        cuDevicePrimaryCtxRetain(context, device);
        try {
            cuCtxSetCurrent(context);
            contextBound.set(true);
            byte[] name = new byte[256];
            cuDeviceGetName(name, name.length, device);
            deviceName = cString(name);
            ccMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
            ccMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
            smCount = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
            long[] total = {0};
            cuDeviceTotalMem(total, device);
            totalMemory = total[0];
            int[] version = {0};
            cuDriverGetVersion(version);
            driverVersion = version[0];
            // Non-blocking: no implicit synchronization with the legacy default stream, which graph capture forbids.
            cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
            kernels = new Kernels(deviceName, ccMajor, ccMinor, driverVersion);

            DriverStream ops = new DriverStream(stream);
            uploads = new StagingRing<>(ops, STAGING_SLOTS, STAGING_SLOT_INITIAL, STAGING_SLOT_MAX);
            paramUploads = new StagingRing<>(ops, PARAMS_SLOTS, PARAMS_BYTES, PARAMS_BYTES);
            cuMemHostAlloc(downloadHost, DOWNLOAD_BYTES, 0);
            downloadBuffer = downloadHost.getByteBuffer(0, DOWNLOAD_BYTES).order(ByteOrder.nativeOrder())
                    .asFloatBuffer();
            cuMemHostAlloc(scalarHost, Double.BYTES, 0);
            scalarHostView = scalarHost.getByteBuffer(0, Double.BYTES).order(ByteOrder.nativeOrder());
            deviceAlloc(paramsDevice, PARAMS_BYTES);
            deviceAlloc(reducePartials, (long) REDUCE_MAX_BLOCKS * Double.BYTES);
            deviceAlloc(reduceResult, Double.BYTES);
            deviceAlloc(columnPartials, (long) LaunchGeometry.COLSUM_PARTIALS * Double.BYTES);
            deviceAlloc(guard, GUARD_BYTES);
            cuMemsetD8Async(guard, (byte) 0, GUARD_BYTES, stream);

            cublasChoice = CublasLoader.load();
            if (cublasChoice.available()) {
                cublas = new cublasHandle();
                JCublas2.cublasCreate(cublas);
                JCublas2.cublasSetStream(cublas, new cudaStream_t(stream));
                cublasWorkspace = new CUdeviceptr();
                deviceAlloc(cublasWorkspace, CUBLAS_WORKSPACE_BYTES);
                JCublas2.cublasSetWorkspace(cublas, cublasWorkspace, CUBLAS_WORKSPACE_BYTES);
                // Default math is full float32; TF32 tensor cores only when the user opted in (10-bit mantissa).
                JCublas2.cublasSetMathMode(cublas,
                        tf32 ? cublasMath.CUBLAS_TF32_TENSOR_OP_MATH : cublasMath.CUBLAS_DEFAULT_MATH);
            } else {
                cublas = null;
                cublasWorkspace = null;
            }
        } catch (RuntimeException | Error e) {
            // The context reference is dropped again: when it was the last, the driver destroys the context and
            // everything allocated in it, so nothing leaks from a failed open.
            try {
                cuDevicePrimaryCtxRelease(device);
            } catch (RuntimeException | LinkageError suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Opens device {@code deviceOrdinal}. With {@code tf32}, cuBLAS may use TF32 tensor cores for GEMM (about 1e-3
     * relative error instead of 1e-6); the tiled fallback kernel is always full float32.
     *
     * @throws CudaUnavailableException where CUDA cannot be used here; the message says why in one line
     */
    public static CudaBackend open(int deviceOrdinal, boolean tf32) {
        Optional<String> reason = unavailableReason();
        if (reason.isPresent()) {
            throw new CudaUnavailableException("CUDA is not available: " + reason.get());
        }
        try {
            return new CudaBackend(deviceOrdinal, tf32);
        } catch (CudaException e) {
            // A context that cannot be created (the GPU is in exclusive mode and busy, or lost), pinned memory
            // that cannot be had, a cuBLAS handle that fails: one line, and --device auto falls back to the CPU.
            throw new CudaUnavailableException("cannot open CUDA device " + deviceOrdinal + ": "
                    + CublasLoader.oneLine(e), e);
        }
    }

    /**
     * Why CUDA cannot be used in this JVM, in one line, or empty where it can: no directory to extract native
     * libraries into ({@link NativeDirectory}), no NVIDIA driver (JCuda's native library cannot load libcuda.so.1),
     * cuInit failing, no GPU, or kernels missing from the jar. Probes once and never lets a native-library failure
     * escape. This class needs JCuda on the class path (an optional dependency of the library) to load at all:
     * {@link io.ravine.backend.Devices#cudaUnavailableReason()} is the probe that also answers without it.
     */
    public static synchronized Optional<String> unavailableReason() {
        if (unavailable == null) {
            unavailable = probe();
        }
        return unavailable;
    }

    private static Optional<String> probe() {
        // JCuda extracts its natives into this JVM's private directory, never a shared /tmp (see NativeDirectory).
        Optional<String> noNativeDirectory = NativeDirectory.problem();
        if (noNativeDirectory.isPresent()) {
            return noNativeDirectory;
        }
        try {
            NativeDirectory.initialize(JCudaDriver.class);
            JCudaDriver.setExceptionsEnabled(true);
            cuInit(0);
            int[] count = {0};
            cuDeviceGetCount(count);
            if (count[0] == 0) {
                return Optional.of("no CUDA GPU found (the NVIDIA driver reports 0 devices)");
            }
        } catch (LinkageError e) {
            // UnsatisfiedLinkError (JCuda's driver library needs libcuda.so.1) or a failed class initialization.
            return Optional.of(NativeDirectory.driverLoadFailure(e));
        } catch (CudaException e) {
            String m = CublasLoader.oneLine(e);
            if (m.contains("CUDA_ERROR_NO_DEVICE")) {
                return Optional.of("no CUDA GPU found (cuInit: CUDA_ERROR_NO_DEVICE)");
            }
            return Optional.of("the CUDA driver could not be initialised: " + m);
        } catch (RuntimeException e) {
            return Optional.of("the CUDA driver could not be initialised: " + CublasLoader.oneLine(e));
        }
        return Kernels.missingResource().map(r -> "CUDA kernels were not built into this jar (missing " + r
                + "; nvcc was absent at build time)");
    }

    // ---- device facts ----

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String deviceDescription() {
        return String.format("%s (cuda:%d, compute capability %d.%d, %d SMs, %.1f GiB, driver %d.%d, %s, TF32 %s)",
                deviceName, ordinal, ccMajor, ccMinor, smCount, totalMemory / (1024.0 * 1024.0 * 1024.0),
                driverVersion / 1000, (driverVersion % 1000) / 10,
                "GEMM: " + cublasChoice.description(), tf32 ? "on" : "off");
    }

    /** Which GEMM this backend uses: cuBLAS's version and file, or the tiled kernel and why. */
    public CublasInfo cublasInfo() {
        return cublasChoice.info();
    }

    @Override
    public DType dtype() {
        return DType.F32;
    }

    /** True where GEMM runs on cuBLAS rather than the tiled kernel. */
    public boolean usesCublas() {
        return cublas != null;
    }

    /**
     * Whether matrix products may use TF32 tensor cores.
     *
     * @return whether TF32 is on
     */
    public boolean tf32() {
        return tf32;
    }

    /** Threads per block for the 1-D launches (KernelBench varies it); a multiple of 32 in [32, 1024]. */
    public void setLaunchBlockSize(int threads) {
        if (threads < 32 || threads > 1024 || threads % 32 != 0) {
            throw new IllegalArgumentException("block size " + threads + " is not a multiple of 32 in [32, 1024]");
        }
        block = threads;
    }

    // ---- memory ----

    @Override
    public Tensor allocate(int rows, int cols) {
        checkOpen();
        notRecording("allocate");
        long bytes = (long) rows * cols * Float.BYTES;
        CUdeviceptr p = new CUdeviceptr();
        // cuMemAlloc rejects 0 bytes; an empty tensor still gets a valid (never read) address.
        deviceAlloc(p, Math.max(bytes, Float.BYTES));
        cuMemsetD32Async(p, 0, Math.max(1, (long) rows * cols), stream);
        CudaTensor t = new CudaTensor(this, p, 0, rows, cols, true);
        liveTensors.add(t);
        tensorBytes += Math.max(bytes, Float.BYTES);
        return t;
    }

    private void deviceAlloc(CUdeviceptr p, long bytes) {
        bind();
        try {
            cuMemAlloc(p, bytes);
        } catch (CudaException e) {
            if (String.valueOf(e.getMessage()).contains("CUDA_ERROR_OUT_OF_MEMORY")) {
                long[] free = {0};
                long[] total = {0};
                cuMemGetInfo(free, total);
                throw new OutOfDeviceMemoryException(deviceName + " (cuda:" + ordinal + ")", bytes, free[0],
                        total[0], e);
            }
            throw e;
        }
    }

    void free(CudaTensor t) {
        if (closed || !liveTensors.contains(t)) {
            return;
        }
        notRecording("freeing a tensor");
        liveTensors.remove(t);
        tensorBytes -= Math.max((long) t.rows() * t.cols() * Float.BYTES, Float.BYTES);
        bind();
        // cuMemFree waits for work that may still use the memory, so freeing is safe without a stream sync.
        cuMemFree(t.base());
    }

    /** Bytes held by this backend's live tensors (θ, gradients, state, workspaces), as allocated. */
    public long tensorBytes() {
        return tensorBytes;
    }

    /** Free and total device memory in bytes, as the driver reports it now. */
    public long[] memoryInfo() {
        checkOpen();
        notRecording("memoryInfo");
        bind();
        long[] free = {0};
        long[] total = {0};
        cuMemGetInfo(free, total);
        return new long[] {free[0], total[0]};
    }

    private CudaTensor own(Tensor t) {
        if (!(t instanceof CudaTensor c) || c.backend() != this) {
            throw new IllegalArgumentException(t + " does not belong to this CUDA backend");
        }
        return c;
    }

    // ---- host transfers ----

    @Override
    public void copyFromHost(float[] src, int srcOffset, Tensor dst) {
        upload(dst, src.length, srcOffset, (slot, done, bytes) ->
                slot.asFloatBuffer().put(0, src, srcOffset + (int) (done / Float.BYTES), bytes / Float.BYTES));
    }

    /**
     * The batch is gathered straight into the staging slot (pinned memory the copy engine reads), so it crosses host
     * memory once; batches of {@value #PARALLEL_GATHER_FLOATS} floats or more are gathered by several threads (at
     * B = 8192 a Fashion-MNIST batch is 25.7 MB, several milliseconds for one core, against 2–3 ms of device work).
     */
    @Override
    public void copyRowsFromHost(io.ravine.backend.HostRows rows, Tensor dst) {
        CudaTensor d = own(dst);
        rows.requireLength(d.length());
        beginHostTransfer("copyRowsFromHost");
        uploads.upload(d.pointer(), (long) d.length() * Float.BYTES, (slot, done, bytes) -> {
            FloatBuffer f = slot.asFloatBuffer();
            long start = done / Float.BYTES;
            int n = bytes / Float.BYTES;
            int parts = (int) Math.min(GATHER_THREADS, n / (PARALLEL_GATHER_FLOATS / 4));
            if (parts <= 1) {
                rows.copyRange(start, n, f, 0);
                return;
            }
            // Absolute puts into disjoint ranges of one buffer: no shared state between the parts.
            java.util.stream.IntStream.range(0, parts).parallel().forEach(part -> {
                int from = (int) ((long) n * part / parts);
                int to = (int) ((long) n * (part + 1) / parts);
                rows.copyRange(start + from, to - from, f, from);
            });
        });
    }

    /** Batches below this many floats (4 MiB) are gathered by the calling thread alone. */
    static final int PARALLEL_GATHER_FLOATS = 1 << 20;
    /** At most this many threads gather one batch: past it, host memory bandwidth, not threads, is the limit. */
    private static final int GATHER_THREADS = Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));

    @Override
    public void copyFromHost(double[] src, int srcOffset, Tensor dst) {
        upload(dst, src.length, srcOffset, (slot, done, bytes) -> {
            FloatBuffer f = slot.asFloatBuffer();
            int from = srcOffset + (int) (done / Float.BYTES);
            for (int i = 0, n = bytes / Float.BYTES; i < n; i++) {
                f.put(i, (float) src[from + i]);
            }
        });
    }

    @Override
    public void copyToHost(Tensor src, float[] dst, int dstOffset) {
        download(src, dst.length, dstOffset, (done, len) -> downloadBuffer.get(0, dst, dstOffset + done, len));
    }

    @Override
    public void copyToHost(Tensor src, double[] dst, int dstOffset) {
        download(src, dst.length, dstOffset, (done, len) -> {
            for (int i = 0; i < len; i++) {
                dst[dstOffset + done + i] = downloadBuffer.get(i);
            }
        });
    }

    /** Moves one download chunk from the pinned buffer to a host array: elements [done, done + len). */
    @FunctionalInterface
    private interface DownloadChunk {
        void move(int done, int len);
    }

    /**
     * Host → device through the staging ring: returns once the copy is enqueued, and waits only when the ring's
     * oldest slot is still in flight (the host is a whole ring ahead of the device).
     */
    private void upload(Tensor dst, int hostLength, int hostOffset, StagingRing.Fill fill) {
        CudaTensor d = own(dst);
        int n = d.length();
        java.util.Objects.checkFromIndexSize(hostOffset, n, hostLength);
        beginHostTransfer("copyFromHost");
        uploads.upload(d.pointer(), (long) n * Float.BYTES, fill);
    }

    /** Device → host through the pinned download buffer; each chunk waits for its copy. */
    private void download(Tensor src, int hostLength, int hostOffset, DownloadChunk drain) {
        CudaTensor s = own(src);
        int n = s.length();
        java.util.Objects.checkFromIndexSize(hostOffset, n, hostLength);
        beginHostTransfer("copyToHost");
        int chunk = DOWNLOAD_BYTES / Float.BYTES;
        for (int done = 0; done < n; done += chunk) {
            int len = Math.min(chunk, n - done);
            cuMemcpyDtoHAsync(downloadHost, s.pointer(done), (long) len * Float.BYTES, stream);
            cuStreamSynchronize(stream);
            drain.move(done, len);
        }
    }

    /**
     * Uploads (data and step-parameter blocks) that found their staging slot still in flight and waited: the host was
     * a whole ring ahead of the device. Zero while the device keeps up (KernelBench and benchmarks may print it).
     */
    public long stagingWaits() {
        return uploads.blockingWaits() + paramUploads.blockingWaits();
    }

    private void beginHostTransfer(String op) {
        checkOpen();
        bind();
        notRecording(op);
    }

    // ---- elementwise and BLAS-1 ----

    @Override
    public void fill(Tensor x, double value) {
        CudaTensor t = own(x);
        launch1d(kernels.fill, t.length(), t.pointer(), (float) value, t.length());
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        Tensor.requireSameLength(src, dst);
        CudaTensor s = own(src);
        CudaTensor d = own(dst);
        launch1d(kernels.copy, s.length(), s.pointer(), d.pointer(), s.length());
    }

    @Override
    public void axpy(double alpha, Tensor x, Tensor y) {
        Tensor.requireSameLength(x, y);
        CudaTensor a = own(x);
        CudaTensor b = own(y);
        launch1d(kernels.axpy, a.length(), (float) alpha, a.pointer(), b.pointer(), a.length());
    }

    @Override
    public void scale(double alpha, Tensor x) {
        CudaTensor t = own(x);
        launch1d(kernels.scale, t.length(), (float) alpha, t.pointer(), t.length());
    }

    @Override
    public double dot(Tensor x, Tensor y) {
        Tensor.requireSameLength(x, y);
        return reduceToHost(own(x), own(y), 2, "dot");
    }

    @Override
    public double sumOfSquares(Tensor x) {
        CudaTensor t = own(x);
        return reduceToHost(t, t, 1, "sumOfSquares");
    }

    @Override
    public double sum(Tensor x) {
        CudaTensor t = own(x);
        return reduceToHost(t, t, 0, "sum");
    }

    @Override
    public double sumOfAbs(Tensor x) {
        return absReduceToHost(own(x), 0, "sumOfAbs");
    }

    @Override
    public double maxAbs(Tensor x) {
        return absReduceToHost(own(x), 1, "maxAbs");
    }

    /** ‖x‖₁ (mode 0) or ‖x‖∞ (mode 1) in the two deterministic passes of reduce.cu's abs kernels. */
    private double absReduceToHost(CudaTensor x, int mode, String op) {
        beginHostTransfer(op);
        int n = x.length();
        if (n == 0) {
            return 0.0;
        }
        int blocks = reduceBlocks(n);
        launch(kernels.reduceAbsPartial, blocks, 1, REDUCE_BLOCK, 1, 0, x.pointer(), n, mode, reducePartials);
        launch(kernels.reduceAbsFinal, 1, 1, 1024, 1, 0, reducePartials, blocks, mode, reduceResult);
        cuMemcpyDtoHAsync(scalarHost, reduceResult, Double.BYTES, stream);
        cuStreamSynchronize(stream);
        return scalarHostView.getDouble(0);
    }

    private double reduceToHost(CudaTensor x, CudaTensor y, int mode, String op) {
        beginHostTransfer(op);
        if (x.length() == 0) {
            return 0.0;
        }
        reduceOnDevice(x, y, mode, reduceResult);
        cuMemcpyDtoHAsync(scalarHost, reduceResult, Double.BYTES, stream);
        cuStreamSynchronize(stream);
        return scalarHostView.getDouble(0);
    }

    /** Two-pass deterministic reduction into the device double at {@code out}; stays on the device. */
    private void reduceOnDevice(CudaTensor x, CudaTensor y, int mode, CUdeviceptr out) {
        int n = x.length();
        int blocks = reduceBlocks(n);
        launch(kernels.reducePartial, blocks, 1, REDUCE_BLOCK, 1, 0,
                x.pointer(), y.pointer(), n, mode, reducePartials);
        launch(kernels.reduceFinal, 1, 1, 1024, 1, 0, reducePartials, blocks, out);
    }

    static int reduceBlocks(int n) {
        return (int) Math.max(1, Math.min(REDUCE_MAX_BLOCKS, ((long) n + REDUCE_BLOCK - 1) / REDUCE_BLOCK));
    }

    // ---- layers ----

    @Override
    public void gemm(boolean transA, boolean transB, double alpha, Tensor a, Tensor b, double beta, Tensor c) {
        if (cublas == null) {
            tiledGemm(transA, transB, alpha, a, b, beta, c);
            return;
        }
        OperandShapes.Gemm s = OperandShapes.gemm(transA, transB, a, b, c);
        if (s.m() == 0 || s.n() == 0) {
            return;
        }
        CudaTensor ca = own(a);
        CudaTensor cb = own(b);
        CudaTensor cc = own(c);
        bind();
        // cuBLAS is column-major; a row-major X is the column-major Xᵀ. So compute Cᵀ = op(B)ᵀ op(A)ᵀ: swap the
        // operands and M/N, keep each operand's own transpose flag and its row-major row width as leading dimension.
        JCublas2.cublasSgemm(cublas,
                transB ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N,
                transA ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N,
                s.n(), s.m(), s.k(),
                Pointer.to(new float[] {(float) alpha}), cb.pointer(), Math.max(1, b.cols()),
                ca.pointer(), Math.max(1, a.cols()),
                Pointer.to(new float[] {(float) beta}), cc.pointer(), Math.max(1, c.cols()));
    }

    /** The same product on Ravine's tiled SGEMM kernel (the fallback without cuBLAS; public for selftest and bench). */
    public void tiledGemm(boolean transA, boolean transB, double alpha, Tensor a, Tensor b, double beta, Tensor c) {
        OperandShapes.Gemm s = OperandShapes.gemm(transA, transB, a, b, c);
        if (s.m() == 0 || s.n() == 0) {
            return;
        }
        CudaTensor ca = own(a);
        CudaTensor cb = own(b);
        CudaTensor cc = own(c);
        // 64x64 output tile per 16x16-thread block (gemm.cu); blocks loop over tile rows beyond gridDim.y's 65535.
        LaunchGeometry.Grid grid = LaunchGeometry.tiledGemm(s.m(), s.n());
        launch(kernels.sgemmTiled, grid.x(), grid.y(), 16, 16, 0,
                transA ? 1 : 0, transB ? 1 : 0, s.m(), s.n(), s.k(), (float) alpha,
                ca.pointer(), Math.max(1, a.cols()), cb.pointer(), Math.max(1, b.cols()), (float) beta,
                cc.pointer(), Math.max(1, c.cols()));
    }

    @Override
    public void biasActivationForward(Tensor z, Tensor bias, Activation act, Tensor out) {
        OperandShapes.biasActivation(z, bias, out);
        CudaTensor cz = own(z);
        CudaTensor cb = own(bias);
        CudaTensor co = own(out);
        launch1d(kernels.biasActForward, z.length(), cz.pointer(), cb.pointer(), co.pointer(), z.rows(), z.cols(),
                act.ordinal());
    }

    @Override
    public void activationBackward(Activation act, Tensor out, Tensor dOut, Tensor dz) {
        Tensor.requireSameLength(out, dOut);
        Tensor.requireSameLength(out, dz);
        CudaTensor co = own(out);
        CudaTensor cd = own(dOut);
        CudaTensor cz = own(dz);
        launch1d(kernels.actBackward, out.length(), co.pointer(), cd.pointer(), cz.pointer(), out.length(),
                act.ordinal());
    }

    /**
     * Two deterministic passes (reduce.cu): row splits of 32-column blocks write double partials into a preallocated
     * scratch buffer (so this is legal inside {@link #record}), and a second kernel adds them in split order. The
     * plan ({@link LaunchGeometry#columnSum}) depends on rows and cols only: the same bits on every run and GPU.
     */
    @Override
    public void columnSum(Tensor x, Tensor sums) {
        OperandShapes.columnSum(x, sums);
        if (x.cols() == 0) {
            return;
        }
        CudaTensor cx = own(x);
        CudaTensor cs = own(sums);
        int cols = x.cols();
        LaunchGeometry.ColumnSumPlan plan = LaunchGeometry.columnSum(x.rows(), cols);
        boolean twoPass = plan.splits() > 1;
        if (plan.partials(cols) > LaunchGeometry.COLSUM_PARTIALS) {
            throw new IllegalStateException("column-sum plan " + plan + " exceeds its scratch buffer");
        }
        Pointer partials = twoPass ? columnPartials : new CUdeviceptr();  // null: one split writes the sums
        launch(kernels.columnSum, plan.columnBlocks(), plan.splits(), LaunchGeometry.COLSUM_COLS,
                LaunchGeometry.COLSUM_LANES, 0, cx.pointer(), partials, cs.pointer(), x.rows(), cols,
                plan.rowsPerSplit());
        if (twoPass) {
            launch(kernels.columnSumFinal, (int) Math.min(((long) cols + DEFAULT_BLOCK - 1) / DEFAULT_BLOCK,
                    maxGrid()), 1, DEFAULT_BLOCK, 1, 0, columnPartials, plan.splits(), cs.pointer(), cols);
        }
    }

    /** Columns per block of the BN reductions and row lanes (BN_COLS, BN_LANES in batchnorm.cu). */
    static final int BN_COLS = 32;
    static final int BN_LANES = 16;

    /**
     * Two launches (batchnorm.cu): the per-column statistics, one block per 32 columns with a fixed lane order (and
     * the running update), then the fused normalize + affine + activation over every element. Nothing is allocated
     * and nothing comes back, so it is legal inside {@link #record}.
     */
    @Override
    public void batchNormTrainingForward(Tensor z, Tensor gamma, Tensor beta, double eps, Activation act, Tensor out,
            Tensor saveMean, Tensor saveInvStd, Tensor runningMean, Tensor runningVar, double momentum) {
        OperandShapes.batchNorm(true, z, new Tensor[] {out}, new Tensor[] {gamma, beta, saveMean, saveInvStd,
                runningMean, runningVar});
        if ((runningMean == null) != (runningVar == null)) {
            throw new IllegalArgumentException("running mean and variance are updated together");
        }
        if (z.cols() == 0) {
            return;
        }
        CudaTensor cz = own(z);
        CudaTensor sm = own(saveMean);
        CudaTensor sr = own(saveInvStd);
        Pointer rm = runningMean == null ? new CUdeviceptr() : own(runningMean).pointer();
        Pointer rv = runningVar == null ? new CUdeviceptr() : own(runningVar).pointer();
        launch(kernels.bnStats, LaunchGeometry.ceilDiv(z.cols(), BN_COLS), 1, BN_COLS, BN_LANES, 0, cz.pointer(),
                z.rows(), z.cols(), (float) eps, (float) momentum, sm.pointer(), sr.pointer(), rm, rv);
        launch1d(kernels.bnApply, z.length(), cz.pointer(), own(gamma).pointer(), own(beta).pointer(), sm.pointer(),
                sr.pointer(), (float) eps, 0, own(out).pointer(), z.rows(), z.cols(), act.ordinal());
    }

    @Override
    public void batchNormEvaluationForward(Tensor z, Tensor gamma, Tensor beta, Tensor runningMean,
            Tensor runningVar, double eps, Activation act, Tensor out) {
        OperandShapes.batchNorm(false, z, new Tensor[] {out}, new Tensor[] {gamma, beta, runningMean, runningVar});
        if (z.cols() == 0) {
            return;
        }
        launch1d(kernels.bnApply, z.length(), own(z).pointer(), own(gamma).pointer(), own(beta).pointer(),
                own(runningMean).pointer(), own(runningVar).pointer(), (float) eps, 1, own(out).pointer(), z.rows(),
                z.cols(), act.ordinal());
    }

    @Override
    public void batchNormBackward(Tensor z, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dy, Tensor dz,
            Tensor dGamma, Tensor dBeta) {
        OperandShapes.batchNorm(true, z, new Tensor[] {dy, dz}, new Tensor[] {gamma, saveMean, saveInvStd, dGamma,
                dBeta});
        if (z.cols() == 0) {
            return;
        }
        CudaTensor cz = own(z);
        CudaTensor sm = own(saveMean);
        CudaTensor sr = own(saveInvStd);
        CudaTensor dg = own(dGamma);
        CudaTensor db = own(dBeta);
        launch(kernels.bnBackwardReduce, LaunchGeometry.ceilDiv(z.cols(), BN_COLS), 1, BN_COLS, BN_LANES, 0,
                cz.pointer(), own(dy).pointer(), z.rows(), z.cols(), sm.pointer(), sr.pointer(), dg.pointer(),
                db.pointer());
        launch1d(kernels.bnBackwardApply, z.length(), cz.pointer(), own(dy).pointer(), own(gamma).pointer(),
                sm.pointer(), sr.pointer(), dg.pointer(), db.pointer(), own(dz).pointer(), z.rows(), z.cols());
    }

    @Override
    public void lossForwardBackward(LossKind loss, Tensor out, Tensor target, Tensor lossPerRow, Tensor dOut,
            double gradScale) {
        OperandShapes.loss(loss, out, target, lossPerRow, dOut);
        int rows = out.rows();
        int cols = out.cols();
        if (rows == 0) {
            return;
        }
        CudaTensor z = own(out);
        CudaTensor t = own(target);
        CudaTensor l = own(lossPerRow);
        // A null device pointer tells the kernel to skip the gradient.
        Pointer d = dOut == null ? new CUdeviceptr() : own(dOut).pointer();
        int warpsPerBlock = block / 32;
        int grid = (int) Math.min(((long) rows + warpsPerBlock - 1) / warpsPerBlock, maxGrid());
        launch(kernels.lossForwardBackward, grid, 1, block, 1, 0, z.pointer(), t.pointer(), l.pointer(), d, rows,
                cols, loss.ordinal(), (float) gradScale, guard);
    }

    // ---- optimizers ----

    /**
     * Three launches: the gradient's sum-of-squares partials, the guard (one block: Σ∇² into device memory, and the
     * refusal of a non-finite step, see {@link Backend#optimizerStep}), and the fused update over θ, which reads the
     * clipping norm and the refusal from device memory. The scalars come from the device-side parameter block:
     * outside {@link #record} this writes {@code p} into it first (asynchronously, through pinned memory); inside,
     * the block is left to each {@link StepProgram#replay}. The guard's read of the gradient costs 4 bytes per
     * parameter next to Adam's 28.
     */
    @Override
    public void optimizerStep(UpdateRule rule, Tensor theta, Tensor grad, Tensor[] state, StepParams p) {
        OperandShapes.optimizerStep(rule, theta, grad, state);
        CudaTensor th = own(theta);
        CudaTensor g = own(grad);
        int n = th.length();
        if (n == 0) {
            return;
        }
        bind();
        if (!capture.recording()) {
            writeParams(p);
        }
        int blocks = reduceBlocks(n);
        launch(kernels.reducePartial, blocks, 1, REDUCE_BLOCK, 1, 0, g.pointer(), g.pointer(), n, 1, reducePartials);
        launch(kernels.guard, 1, 1, 1024, 1, 0, reducePartials, blocks, guard, paramsDevice);
        switch (rule) {
            case SGD -> launch1d(kernels.sgdStep, n, th.pointer(), g.pointer(), paramsDevice, guard, n);
            case MOMENTUM, NESTEROV -> launch1d(kernels.momentumStep, n, th.pointer(), g.pointer(),
                    own(state[0]).pointer(), paramsDevice, guard, n, rule == UpdateRule.NESTEROV ? 1 : 0);
            case RMSPROP -> launch1d(kernels.rmspropStep, n, th.pointer(), g.pointer(), own(state[0]).pointer(),
                    paramsDevice, guard, n);
            case ADAM, ADAMW -> launch1d(kernels.adamStep, n, th.pointer(), g.pointer(), own(state[0]).pointer(),
                    own(state[1]).pointer(), paramsDevice, guard, n, rule == UpdateRule.ADAMW ? 1 : 0);
        }
    }

    /**
     * Copies {@code p} to the device block (layout: StepParamsBlock in optimizers.cu) through its own staging ring:
     * the copy is queued behind the work already enqueued (the previous step's graph reads the block before it
     * changes), and the host waits only when 8 blocks are still in flight.
     */
    private void writeParams(StepParams p) {
        float[] v = {
            (float) p.lr(), (float) p.momentum(), (float) p.beta1(), (float) p.beta2(), (float) p.eps(),
            (float) p.gamma(), (float) p.weightDecay(), (float) p.clipNorm(),
            (float) p.biasCorrection1(), (float) p.biasCorrection2(),
            // Derived in double here, once per step, instead of in every thread.
            (float) (p.lr() / p.biasCorrection1()), (float) Math.sqrt(p.biasCorrection2()),
            (float) (1 - p.lr() * p.weightDecay()),
            (float) (1 - p.beta1()), (float) (1 - p.beta2()), (float) (1 - p.gamma())
        };
        paramUploads.upload(paramsDevice, PARAMS_BYTES, (slot, done, bytes) -> {
            for (int i = 0; i < PARAMS_FLOATS; i++) {
                slot.putFloat(i * Float.BYTES, v[i]);
            }
            slot.putLong(PARAMS_FLOATS * Float.BYTES, p.step());
        });
    }

    @Override
    public void emaUpdate(Tensor avg, Tensor theta, double decay) {
        Tensor.requireSameLength(avg, theta);
        CudaTensor a = own(avg);
        CudaTensor t = own(theta);
        launch1d(kernels.ema, a.length(), a.pointer(), t.pointer(), (float) decay, (float) (1 - decay), a.length(),
                guard);
    }

    @Override
    public RefusedUpdate refusedUpdate() {
        checkOpen();
        notRecording("refusedUpdate");
        bind();
        // Rare (at logging steps): a synchronous copy into pageable memory is simpler than the pinned scalar.
        byte[] raw = new byte[GUARD_BYTES];
        cuStreamSynchronize(stream);
        cuMemcpyDtoH(Pointer.to(raw), guard, GUARD_BYTES);
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
        long step = b.getLong(GUARD_STEP_OFFSET);
        return step == 0 ? null : new RefusedUpdate(step, RefusedUpdate.Cause.ofCode(b.getInt(GUARD_CAUSE_OFFSET)));
    }

    @Override
    public void clearRefusedUpdate() {
        checkOpen();
        notRecording("clearRefusedUpdate");
        bind();
        cuMemsetD8Async(guard, (byte) 0, GUARD_BYTES, stream);
    }

    // ---- graphs ----

    /**
     * Captures what {@code body} issues on this backend's stream into a CUDA graph and instantiates it. Inside the
     * body: no allocation, no freeing, no host transfer and no scalar result (they would synchronize, which capture
     * forbids; each throws IllegalStateException). The tensors the body uses must stay open while the program lives.
     * Kernel arguments other than the step parameters (alpha of axpy, EMA decay, GEMM scalars) are frozen at capture.
     */
    @Override
    public StepProgram record(Runnable body) {
        checkOpen();
        notRecording("record");
        bind();
        CUgraph graph = new CUgraph();
        // Recording is set only once the capture began (a failed begin leaves the backend usable) and cleared
        // however the capture ends (CaptureState). Thread-local mode: another thread's unrelated CUDA calls do not
        // invalidate this capture.
        capture.capture(
                () -> cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                body,
                () -> cuStreamEndCapture(stream, graph),
                () -> {
                    try {
                        cuStreamEndCapture(stream, graph);
                        cuGraphDestroy(graph);
                    } catch (CudaException ignored) {
                        // The capture is already invalid; the body's exception is the one to report.
                    }
                });
        CUgraphExec exec = new CUgraphExec();
        try {
            cuGraphInstantiate(exec, graph, 0);
        } finally {
            cuGraphDestroy(graph);
        }
        return new CudaStepProgram(exec);
    }

    private final class CudaStepProgram implements StepProgram {
        private final CUgraphExec exec;
        private boolean programClosed;

        CudaStepProgram(CUgraphExec exec) {
            this.exec = exec;
        }

        @Override
        public void replay(StepParams params) {
            if (programClosed) {
                throw new IllegalStateException("this step program is closed");
            }
            checkOpen();
            bind();
            // Outside the graph: the new scalars land in the device block before the graph's kernels read it.
            writeParams(params);
            cuGraphLaunch(exec, stream);
        }

        @Override
        public void close() {
            if (!programClosed && !closed) {
                bind();
                cuGraphExecDestroy(exec);
            }
            programClosed = true;
        }
    }

    // ---- launching ----

    private int maxGrid() {
        // Enough blocks to fill every SM many times over; the grid-stride loops cover the rest.
        return Math.max(1, smCount) * 32;
    }

    /** A 1-D launch over n elements with this backend's block size (nothing to do for n = 0). */
    private void launch1d(CUfunction f, long n, Object... args) {
        if (n == 0) {
            return;
        }
        int grid = (int) Math.min((n + block - 1) / block, maxGrid());
        launch(f, grid, 1, block, 1, 0, args);
    }

    /**
     * cuLaunchKernel with arguments given as CUdeviceptr/Pointer, Integer, Float or Double (JCuda checks the result
     * and throws). Pointers are passed with their byte offset, so tensor views work.
     */
    private void launch(CUfunction f, int gridX, int gridY, int blockX, int blockY, int sharedBytes, Object... args) {
        checkOpen();
        bind();
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof Pointer p) {
                params[i] = Pointer.to(p);
            } else if (a instanceof Integer v) {
                params[i] = Pointer.to(new int[] {v});
            } else if (a instanceof Float v) {
                params[i] = Pointer.to(new float[] {v});
            } else if (a instanceof Double v) {
                params[i] = Pointer.to(new double[] {v});
            } else {
                throw new IllegalArgumentException("unsupported kernel argument " + a);
            }
        }
        cuLaunchKernel(f, gridX, gridY, 1, blockX, blockY, 1, sharedBytes, stream, Pointer.to(params), null);
    }

    @Override
    public void synchronize() {
        checkOpen();
        notRecording("synchronize");
        bind();
        cuStreamSynchronize(stream);
    }

    /**
     * Milliseconds per run of {@code body} over {@code reps} runs, timed with CUDA events on this backend's stream
     * (KernelBench; the body must only issue asynchronous work).
     */
    public double timeMillis(Runnable body, int reps) {
        checkOpen();
        notRecording("timeMillis");
        bind();
        CUevent start = new CUevent();
        CUevent stop = new CUevent();
        cuEventCreate(start, CUevent_flags.CU_EVENT_DEFAULT);
        cuEventCreate(stop, CUevent_flags.CU_EVENT_DEFAULT);
        try {
            cuEventRecord(start, stream);
            for (int i = 0; i < reps; i++) {
                body.run();
            }
            cuEventRecord(stop, stream);
            cuEventSynchronize(stop);
            float[] ms = {0};
            cuEventElapsedTime(ms, start, stop);
            return ms[0] / reps;
        } finally {
            cuEventDestroy(start);
            cuEventDestroy(stop);
        }
    }

    /** dst ← src with the driver's device-to-device copy (cuMemcpyDtoDAsync): KernelBench's bandwidth baseline. */
    public void driverCopy(Tensor src, Tensor dst) {
        Tensor.requireSameLength(src, dst);
        checkOpen();
        bind();
        cuMemcpyDtoDAsync(own(dst).pointer(), own(src).pointer(), (long) src.length() * Float.BYTES, stream);
    }

    // ---- lifecycle ----

    /** Makes the primary context current on the calling thread (once per thread). */
    private void bind() {
        if (!contextBound.get()) {
            cuCtxSetCurrent(context);
            contextBound.set(true);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this CUDA backend is closed");
        }
    }

    private void notRecording(String op) {
        capture.requireNotRecording(op);
    }

    private int attribute(int attr) {
        int[] v = {0};
        cuDeviceGetAttribute(v, attr, device);
        return v[0];
    }

    private static String cString(byte[] bytes) {
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        bind();
        cuStreamSynchronize(stream);
        for (CudaTensor t : liveTensors) {
            t.markClosed();
            cuMemFree(t.base());
        }
        liveTensors.clear();
        if (cublas != null) {
            JCublas2.cublasDestroy(cublas);
            cuMemFree(cublasWorkspace);
        }
        cuMemFree(paramsDevice);
        cuMemFree(reducePartials);
        cuMemFree(reduceResult);
        cuMemFree(columnPartials);
        cuMemFree(guard);
        uploads.close();
        paramUploads.close();
        cuMemFreeHost(downloadHost);
        cuMemFreeHost(scalarHost);
        kernels.close();
        cuStreamDestroy(stream);
        closed = true;
        cuDevicePrimaryCtxRelease(device);
    }
}
