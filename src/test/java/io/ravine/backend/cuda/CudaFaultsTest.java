package io.ravine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import jcuda.CudaException;
import org.junit.jupiter.api.Test;

/** The GPU-fault messages: one line each, naming the device, the error and what to do. Runs without a GPU. */
class CudaFaultsTest {
    private static void assertOneLine(String m) {
        assertFalse(m.contains("\n"), m);
    }

    @Test
    void aGpuTheJarHasNoCodeForGetsTheExactRebuildCommand() {
        String m = CudaFaults.kernelLoadFailure("optimizers", CudaFaults.DEFAULT_KERNEL_TARGETS,
                "CUDA_ERROR_NO_BINARY_FOR_GPU", "NVIDIA A10", 8, 6, 13000);
        assertOneLine(m);
        for (String part : new String[] {"optimizers.fatbin", "SASS for sm_80 and sm_90, PTX for compute_90",
            "NVIDIA A10", "compute capability 8.6", "driver CUDA 13.0", "CUDA_ERROR_NO_BINARY_FOR_GPU",
            "NVCC_ARCH=86 mvn -DskipTests package", "--device cpu"}) {
            assertTrue(m.contains(part), "'" + m + "' should mention " + part);
        }
    }

    @Test
    void aGpuNvcc13CannotBuildForIsToldSoInsteadOfARebuild() {
        String m = CudaFaults.kernelLoadFailure("optimizers", CudaFaults.DEFAULT_KERNEL_TARGETS,
                "CUDA_ERROR_NO_BINARY_FOR_GPU", "Tesla V100-SXM2-16GB", 7, 0, 12040);
        assertOneLine(m);
        for (String part : new String[] {"optimizers.fatbin", "sm_80", "Tesla V100", "compute capability 7.0",
            "driver CUDA 12.4", "CUDA_ERROR_NO_BINARY_FOR_GPU", "7.5 and newer", "--device cpu"}) {
            assertTrue(m.contains(part), "'" + m + "' should mention " + part);
        }
        assertFalse(m.contains("NVCC_ARCH"), m);
    }

    @Test
    void ptxNewerThanTheDriverAsksForANewerDriver() {
        String m = CudaFaults.kernelLoadFailure("loss", CudaFaults.DEFAULT_KERNEL_TARGETS,
                "CUDA_ERROR_UNSUPPORTED_PTX_VERSION", "NVIDIA H100", 9, 0, 12020);
        assertOneLine(m);
        assertTrue(m.contains("update the NVIDIA driver"), m);
        assertTrue(m.contains("driver CUDA 12.2"), m);
    }

    @Test
    void anErrorThatKillsTheContextSaysSoAndPointsAtResume() {
        RuntimeException wrapped = new UncheckedIOException("during a step",
                new java.io.IOException(new CudaException("CUDA_ERROR_ILLEGAL_ADDRESS")));
        String m = CudaFaults.describe(wrapped).orElseThrow();
        assertOneLine(m);
        assertTrue(m.startsWith("CUDA error: CUDA_ERROR_ILLEGAL_ADDRESS"), m);
        assertTrue(m.contains("--resume"), m);
    }

    @Test
    void anOrdinaryCudaErrorIsDescribedWithoutTheContextWarning() {
        String m = CudaFaults.describe(new CudaException("CUBLAS_STATUS_NOT_SUPPORTED")).orElseThrow();
        assertTrue(m.contains("CUBLAS_STATUS_NOT_SUPPORTED"), m);
        assertFalse(m.contains("no longer usable"), m);
    }

    @Test
    void somethingElseIsNotACudaFault() {
        assertTrue(CudaFaults.describe(new IllegalStateException("x")).isEmpty());
    }
}
