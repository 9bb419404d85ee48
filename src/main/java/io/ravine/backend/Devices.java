package io.ravine.backend;

import io.ravine.InvalidInputException;
import io.ravine.backend.cpu.CpuBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens the backend a {@code --device} flag names: {@code cpu}, {@code cuda}, or {@code auto}. */
public final class Devices {
    private static final Logger LOG = LoggerFactory.getLogger(Devices.class);

    private Devices() {
    }

    /**
     * @param device auto, cpu or cuda
     * @param tf32 allow TF32 tensor-core matrix products (CUDA only)
     * @param threads CPU BLAS threads, 0 = all cores
     */
    public static Backend open(String device, boolean tf32, int threads) {
        CpuBackend.setBlasThreads(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
        return switch (device) {
            case "cpu" -> CpuBackend.f32();
            case "cuda" -> openCuda(tf32);
            case "auto" -> {
                java.util.Optional<String> why = cudaUnavailableReason();
                if (why.isEmpty()) {
                    yield openCuda(tf32);
                }
                LOG.info("using the CPU: {}", why.get());
                yield CpuBackend.f32();
            }
            default -> throw new InvalidInputException("--device must be auto, cpu or cuda, not '" + device + "'");
        };
    }

    /** Why CUDA cannot be used here, or empty when it can. */
    public static java.util.Optional<String> cudaUnavailableReason() {
        return io.ravine.backend.cuda.CudaBackend.unavailableReason();
    }

    private static Backend openCuda(boolean tf32) {
        return io.ravine.backend.cuda.CudaBackend.open(0, tf32);
    }
}
