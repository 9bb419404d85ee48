package io.ravine.backend.cuda;

import java.util.Locale;
import java.util.Optional;
import jcuda.CudaException;

/**
 * One-line explanations of what can go wrong with a GPU, for the messages of {@link CudaUnavailableException} and
 * the CLI: which CUDA error it is, what it means on this machine, and what to do. Pure functions of the error name
 * and the device facts, so they are tested on machines without a GPU.
 */
public final class CudaFaults {
    /** What kernels/build.sh builds by default: SASS for these GPUs, PTX that newer ones JIT-compile. */
    static final String DEFAULT_KERNEL_TARGETS = "SASS for sm_80 and sm_90, PTX for compute_90";
    /** The oldest compute capability nvcc 13 builds for (sm_75, Turing), as major·10 + minor. */
    static final int OLDEST_BUILDABLE = 75;

    private CudaFaults() {
    }

    /**
     * Why {@code cuModuleLoadData} refused the fatbin of {@code family} on this device, and what to do: for a GPU the
     * jar has no code for, the exact command that rebuilds the kernels for it ({@code NVCC_ARCH=86 mvn -DskipTests
     * package}), where nvcc 13 can build for it at all.
     *
     * @param targets what the fatbin holds ({@link FatbinTargets#describe(byte[])})
     * @param error the CUDA error, as JCuda names it (e.g. {@code CUDA_ERROR_NO_BINARY_FOR_GPU})
     * @param driverVersion cuDriverGetVersion's value (major·1000 + minor·10)
     */
    static String kernelLoadFailure(String family, String targets, String error, String device, int ccMajor,
            int ccMinor, int driverVersion) {
        String where = String.format(Locale.ROOT, "%s (compute capability %d.%d, driver CUDA %d.%d)", device, ccMajor,
                ccMinor, driverVersion / 1000, driverVersion % 1000 / 10);
        String head = "the CUDA kernels in this jar (" + family + ".fatbin: " + targets + ") cannot run on "
                + where + ": " + error;
        if (error.contains("NO_BINARY_FOR_GPU")) {
            int cc = ccMajor * 10 + ccMinor;
            if (cc < OLDEST_BUILDABLE) {
                return head + "; CUDA 13's nvcc builds for compute capability 7.5 and newer only, so this GPU cannot"
                        + " run Ravine's kernels: use --device cpu";
            }
            return head + "; rebuild the kernels for this GPU with NVCC_ARCH=" + cc + " mvn -DskipTests package"
                    + " (kernels/build.sh) or use --device cpu";
        }
        if (error.contains("UNSUPPORTED_PTX_VERSION") || error.contains("INVALID_PTX")
                || error.contains("INVALID_IMAGE") || error.contains("JIT_COMPILER_NOT_FOUND")) {
            return head + "; the driver is older than the CUDA 13 toolkit that built the kernels: update the NVIDIA"
                    + " driver (580 or newer) or use --device cpu";
        }
        return head + "; use --device cpu";
    }

    /**
     * A one-line description of a CUDA failure anywhere in {@code t}'s cause chain, or empty when it is not one.
     * Errors after which the CUDA context is unusable (an illegal address, a failed launch, an ECC error, a lost
     * device) say so: the process must end; the run's last checkpoint is intact (it was written atomically).
     */
    public static Optional<String> describe(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CudaException e) {
                String m = CublasLoader.oneLine(e);
                boolean sticky = m.contains("ILLEGAL_ADDRESS") || m.contains("LAUNCH_FAILED")
                        || m.contains("ECC_UNCORRECTABLE") || m.contains("HARDWARE_STACK_ERROR")
                        || m.contains("ILLEGAL_INSTRUCTION") || m.contains("MISALIGNED_ADDRESS")
                        || m.contains("DEVICE_UNAVAILABLE") || m.contains("LAUNCH_TIMEOUT");
                return Optional.of("CUDA error: " + m + (sticky
                        ? " (the GPU context is no longer usable; the run directory keeps its last checkpoint:"
                                + " resume with train --resume --run-dir DIR)"
                        : ""));
            }
        }
        return Optional.empty();
    }
}
