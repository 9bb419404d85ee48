package io.ravine.backend.cuda;

import io.ravine.backend.OutOfDeviceMemoryException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.StepProgram;
import io.ravine.backend.Tensor;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CUDA backend's failure modes and what it says about itself (the per-op comparisons are
 * {@link SelfTestRowsGpuTest}). Skipped as a whole, with one message, where CUDA is unavailable
 * ({@link RequiresCuda}).
 */
@RequiresCuda
class CudaBackendGpuTest {
    private static CudaBackend cuda;

    @BeforeAll
    static void open() {
        cuda = CudaBackend.open(0, false);
    }

    @AfterAll
    static void closeBackend() {
        if (cuda != null) {
            cuda.close();
        }
    }

    @Test
    void outOfMemoryNamesTheRequestAndTheDevice() {
        long[] mem = cuda.memoryInfo();
        // 1 GiB tensors until the device is full: must end in our exception, not a raw CudaException.
        List<Tensor> held = new java.util.ArrayList<>();
        try {
            OutOfDeviceMemoryException e = assertThrows(OutOfDeviceMemoryException.class, () -> {
                for (long i = 0; i <= mem[1] / (1L << 30) + 1; i++) {
                    held.add(cuda.allocate(1 << 14, 1 << 14));
                }
            });
            assertTrue(e.getMessage().contains("requested"), e.getMessage());
            assertTrue(e.getMessage().contains("free of"), e.getMessage());
            assertEquals(-1, e.getMessage().indexOf('\n'));
        } finally {
            held.forEach(Tensor::close);
        }
    }

    @Test
    void missingDeviceIsAUserError() {
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> CudaBackend.open(999, false));
        assertTrue(e.getMessage().contains("999"), e.getMessage());
    }

    @Test
    void recordingRefusesSynchronizingCalls() {
        try (Tensor t = cuda.allocate(10, 1)) {
            assertThrows(IllegalStateException.class, () -> cuda.record(() -> cuda.sum(t)));
            assertThrows(IllegalStateException.class, () -> cuda.record(cuda::synchronize));
            assertThrows(IllegalStateException.class, () -> cuda.record(cuda::memoryInfo));
            assertThrows(IllegalStateException.class, () -> cuda.record(() -> cuda.timeMillis(() -> { }, 1)));
            // The failed capture must leave the backend usable.
            cuda.fill(t, 2);
            assertEquals(20.0, cuda.sum(t), 0.0);
            try (StepProgram p = cuda.record(() -> cuda.scale(2, t))) {
                p.replay(SelfTest.stepParams(1, false));
                p.replay(SelfTest.stepParams(2, false));
            }
            assertEquals(80.0, cuda.sum(t), 0.0);
        }
    }

    @Test
    void reportsWhichGemmItUsesWithCublassVersionAndFile() {
        CublasInfo info = cuda.cublasInfo();
        assertEquals(cuda.usesCublas(), info.inUse());
        assertTrue(cuda.deviceDescription().contains("GEMM: " + info.describe()), cuda.deviceDescription());
        if (info.inUse()) {
            assertTrue(info.version().isPresent(), info.describe());
            assertTrue(java.nio.file.Files.isRegularFile(info.library().orElseThrow()), info.describe());
        }
    }

    @Test
    void describesTheDevice() {
        String d = cuda.deviceDescription();
        assertTrue(d.contains("compute capability"), d);
        assertFalse(d.contains("\n"), d);
    }
}
