package io.ravine.backend.cuda;

import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;

import io.ravine.InvalidInputException;
import java.util.Optional;
import jcuda.CudaException;

/**
 * What {@code ravine --version} says about CUDA: the driver and GPUs found and where cuBLAS would be loaded from,
 * without opening a device, creating a context or loading cuBLAS (nothing a look should print or leave behind).
 */
public final class CudaInventory {
    private CudaInventory() {
    }

    /**
     * One line: {@code driver 13.0, 1 GPU; cuBLAS 13 found at /path/libcublas.so.13}, or why CUDA cannot be used
     * ({@code no NVIDIA driver}, no GPU, kernels not built).
     *
     * @return the line
     */
    public static String describe() {
        Optional<String> why = CudaBackend.unavailableReason();
        if (why.isPresent()) {
            return shortReason(why.get());
        }
        StringBuilder sb = new StringBuilder();
        try {
            int[] version = {0};
            cuDriverGetVersion(version);
            int[] count = {0};
            cuDeviceGetCount(count);
            sb.append("driver ").append(version[0] / 1000).append('.').append((version[0] % 1000) / 10).append(", ")
                    .append(count[0]).append(count[0] == 1 ? " GPU" : " GPUs");
        } catch (CudaException | LinkageError e) {
            sb.append("driver found, not readable (").append(CublasLoader.oneLine(e)).append(')');
        }
        sb.append("; ");
        try {
            CublasSearch.Result r = CublasSearch.find(CublasSearch.Environment.current());
            if (r instanceof CublasSearch.Found f) {
                sb.append("cuBLAS ").append(f.major()).append(" found at ").append(f.library());
            } else if (r instanceof CublasSearch.Disabled d) {
                sb.append("cuBLAS ").append(d.why());
            } else {
                sb.append("cuBLAS not found in ").append(r.searched().size()).append(" places (set ")
                        .append(CublasLoader.POINT_AT_IT).append(')');
            }
        } catch (InvalidInputException e) {
            sb.append("cuBLAS: ").append(e.getMessage());
        }
        return sb.toString();
    }

    /** "no NVIDIA driver" without the dynamic loader's words (those are for --device cuda's error line). */
    private static String shortReason(String reason) {
        return reason.startsWith("no NVIDIA driver") ? "no NVIDIA driver" : reason;
    }
}
