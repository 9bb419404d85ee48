package io.ravine.backend;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.cpu.CpuBackend;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The optimizer guard on the CPU backends: the float32 fused path (one and two threads, so the parallel finiteness
 * pass is exercised) and the float64 reference. The CUDA kernels get the same checks in SelfTestRowsGpuTest.
 */
class GuardCheckTest {
    @AfterEach
    void oneThread() {
        CpuBackend.setBlasThreads(1);
    }

    private static Stream<DynamicTest> checks(String label, Backend backend, int threads) {
        CpuBackend.setBlasThreads(threads);
        List<GuardCheck.Check> checks = GuardCheck.run(backend, 7);
        CpuBackend.setBlasThreads(1);
        assertFalse(checks.isEmpty());
        return checks.stream().map(c -> DynamicTest.dynamicTest(label + ": " + c.name(),
                () -> assertTrue(c.pass(), c.name() + ": " + c.detail())));
    }

    @TestFactory
    Stream<DynamicTest> float32OneThread() {
        return checks("f32", CpuBackend.f32(), 1);
    }

    @TestFactory
    Stream<DynamicTest> float32TwoThreads() {
        return checks("f32 ×2", CpuBackend.f32(), 2);
    }

    @TestFactory
    Stream<DynamicTest> float64() {
        return checks("f64", CpuBackend.f64(), 1);
    }
}
