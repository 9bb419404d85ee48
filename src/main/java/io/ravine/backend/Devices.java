package io.ravine.backend;

import io.ravine.InvalidInputException;
import io.ravine.InvalidSettingException;
import io.ravine.backend.cpu.CpuBackend;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens the backend a {@code --device} flag names: {@code cpu}, {@code cuda}, or {@code auto}. */
public final class Devices {
    private static final Logger LOG = LoggerFactory.getLogger(Devices.class);

    /**
     * Most CPU threads a command may ask for. Fixed rather than a multiple of this machine's cores so that a run's
     * config.json stays valid on any machine it is resumed on; above the largest CPUs' thread counts (768 on two
     * 192-core sockets), and far below what would exhaust the JVM's threads (each worker has its own stack). Asking for
     * more threads than there are cores is allowed (with a warning): it only shares the cores.
     */
    public static final int MAX_THREADS = 1024;

    private Devices() {
    }

    /**
     * Refuses a thread count outside 0 (all cores) … {@value #MAX_THREADS}, naming {@code setting}.
     *
     * @param setting the setting's name ({@code threads}; rendered as a flag by the CLI)
     * @param threads the count given
     * @throws io.ravine.InvalidSettingException outside the range
     */
    public static void checkThreads(String setting, int threads) {
        if (threads < 0 || threads > MAX_THREADS) {
            throw new InvalidSettingException(setting, " must be between 0 (all cores) and " + MAX_THREADS + ", got "
                    + threads);
        }
    }

    /**
     * Opens the backend a device names, after setting the process's CPU thread count (the matrix products' tiles and
     * the elementwise loops, also on CUDA, where the host gathers batches; the count changes no bit on the CPU).
     * {@code auto} is CUDA where a usable GPU is found, else the CPU with one log line saying why. A
     * {@link io.ravine.train.Trainer} built without a backend calls this with its configuration's {@code device},
     * {@code tf32} and {@code threads}.
     *
     * @param device auto, cpu or cuda
     * @param tf32 allow TF32 tensor-core matrix products (CUDA only)
     * @param threads CPU threads, 0 = all cores
     * @return the backend; the caller closes it
     * @throws io.ravine.InvalidInputException if the device is unknown, or {@code cuda} cannot be used (one line
     *     saying why)
     */
    public static Backend open(String device, boolean tf32, int threads) {
        return open(device, tf32, threads, Devices::cudaUnavailableReason, Devices::openCuda);
    }

    /**
     * {@link #open(String, boolean, int)} with the CUDA probe and opener given (tests stand in for a GPU's faults).
     * {@code auto} uses the CPU, with one log line saying why, both where the probe finds no usable GPU and where
     * opening the GPU fails after the probe (kernels the device cannot run, a busy exclusive-mode GPU, no memory for
     * the backend's buffers); {@code cuda} reports either as one line.
     */
    static Backend open(String device, boolean tf32, int threads, Supplier<Optional<String>> cudaProbe,
            Function<Boolean, Backend> cudaOpener) {
        checkThreads("threads", threads);
        int cores = Runtime.getRuntime().availableProcessors();
        if (threads > cores) {
            LOG.warn("{} CPU threads asked for on {} cores: the threads share the cores, which is slower, not faster",
                    threads, cores);
        }
        CpuBackend.setBlasThreads(threads > 0 ? threads : cores);
        return switch (device) {
            case "cpu" -> CpuBackend.f32();
            case "cuda" -> cudaOpener.apply(tf32);
            case "auto" -> {
                Optional<String> why = cudaProbe.get();
                if (why.isPresent()) {
                    logUsingTheCpu(why.get());
                    yield CpuBackend.f32();
                }
                try {
                    yield cudaOpener.apply(tf32);
                } catch (InvalidInputException e) {
                    // CudaUnavailableException and OutOfDeviceMemoryException: the GPU is there but unusable.
                    LOG.warn("using the CPU: the GPU could not be opened: {}", e.getMessage());
                    yield CpuBackend.f32();
                }
            }
            default -> throw new InvalidSettingException("device", " must be auto, cpu or cuda, not '" + device + "'");
        };
    }

    /**
     * The device {@code device} stands for here, without opening it: {@code cpu} and {@code cuda} as they are;
     * {@code auto} is {@code cuda} where the probe finds a usable GPU, else {@code cpu} with the one log line
     * {@link #open(String, boolean, int)} writes. For commands that need the name before they open anything (a
     * benchmark's defaults, a study's device list).
     *
     * @param device auto, cpu or cuda
     * @return cpu or cuda
     * @throws InvalidSettingException if the device is none of the three
     */
    public static String resolve(String device) {
        return switch (device) {
            case "cpu", "cuda" -> device;
            case "auto" -> {
                Optional<String> why = cudaUnavailableReason();
                why.ifPresent(Devices::logUsingTheCpu);
                yield why.isPresent() ? "cpu" : "cuda";
            }
            default -> throw new InvalidSettingException("device", " must be auto, cpu or cuda, not '" + device + "'");
        };
    }

    /**
     * The one line of {@code auto} on the CPU: "no NVIDIA driver: using the CPU" on a CPU-only machine (the dynamic
     * loader's words are for --device cuda's error and the debug log, not every CPU run), else the reason.
     */
    private static void logUsingTheCpu(String reason) {
        if (reason.startsWith("no NVIDIA driver")) {
            LOG.info("no NVIDIA driver: using the CPU");
            LOG.debug("why: {}", reason);
        } else {
            LOG.info("using the CPU: {}", reason);
        }
    }

    /**
     * Why CUDA cannot be used here, or empty when it can. Safe without JCuda on the class path (an optional
     * dependency of the library): then the reason names the artifacts to add. Call this rather than {@code
     * CudaBackend.unavailableReason()}, which cannot even be loaded without JCuda.
     *
     * @return the reason, one line
     */
    public static Optional<String> cudaUnavailableReason() {
        Optional<String> missing = cudaClassesMissing();
        return missing.isPresent() ? missing : io.ravine.backend.cuda.CudaBackend.unavailableReason();
    }

    /**
     * What this machine offers CUDA, for {@code ravine --version}: the driver's version and GPU count and where
     * cuBLAS was found, or why CUDA cannot be used. Creates no context and loads no cuBLAS.
     *
     * @return one line
     */
    public static String describeCuda() {
        Optional<String> missing = cudaClassesMissing();
        return missing.isPresent() ? missing.get() : io.ravine.backend.cuda.CudaInventory.describe();
    }

    /**
     * A one-line description of a GPU failure in {@code t} or its causes (a CUDA or cuBLAS error during a run), or
     * empty when it is something else. Errors that leave the GPU context unusable say so.
     *
     * @param t a failure during a run
     * @return the description, or empty
     */
    public static Optional<String> describeDeviceFailure(Throwable t) {
        if (cudaClassesMissing().isPresent()) {
            return Optional.empty(); // without JCuda nothing can have failed on a GPU
        }
        return io.ravine.backend.cuda.CudaFaults.describe(t);
    }

    /**
     * Opens CUDA device {@code ordinal}, after setting the process's CPU thread count as {@link #open} does; never
     * the CPU instead (a cluster task that was assigned a GPU must train on it or fail).
     *
     * @param ordinal the CUDA device ordinal (as the driver numbers the devices this process sees)
     * @param tf32 allow TF32 tensor-core matrix products
     * @param threads CPU threads, 0 = all cores
     * @return the backend; the caller closes it
     * @throws io.ravine.InvalidInputException if the device cannot be used (one line saying why)
     */
    public static Backend openCuda(int ordinal, boolean tf32, int threads) {
        checkThreads("threads", threads);
        Optional<String> missing = cudaClassesMissing();
        if (missing.isPresent()) {
            throw new io.ravine.backend.cuda.CudaUnavailableException(missing.get());
        }
        CpuBackend.setBlasThreads(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
        return io.ravine.backend.cuda.CudaBackend.open(ordinal, tf32);
    }

    private static Backend openCuda(Boolean tf32) {
        Optional<String> missing = cudaClassesMissing();
        if (missing.isPresent()) {
            throw new io.ravine.backend.cuda.CudaUnavailableException(missing.get());
        }
        return io.ravine.backend.cuda.CudaBackend.open(0, tf32);
    }

    /** The JCuda version Ravine is built and tested with (the pom's jcuda.version; DevicesTest checks they agree). */
    static final String JCUDA_VERSION = "12.6.0";

    /**
     * "CUDA support is not on the class path: add …" when JCuda's driver or cuBLAS classes are missing, or empty.
     * Looked up by name, without initializing anything, before any class of {@code io.ravine.backend.cuda} that
     * names JCuda is loaded (loading one without JCuda fails with NoClassDefFoundError).
     */
    static Optional<String> cudaClassesMissing() {
        return cudaClassesMissing(Devices.class.getClassLoader());
    }

    static Optional<String> cudaClassesMissing(ClassLoader loader) {
        java.util.List<String> missing = new java.util.ArrayList<>();
        if (!loadable("jcuda.driver.JCudaDriver", loader)) {
            missing.add("org.jcuda:jcuda");
        }
        if (!loadable("jcuda.jcublas.JCublas2", loader)) {
            missing.add("org.jcuda:jcublas");
        }
        if (missing.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("CUDA support is not on the class path: add " + String.join(" and ", missing) + " "
                + JCUDA_VERSION);
    }

    private static boolean loadable(String className, ClassLoader loader) {
        try {
            Class.forName(className, false, loader);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
