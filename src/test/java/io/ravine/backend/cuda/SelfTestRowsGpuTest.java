package io.ravine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every CUDA op against the CPU reference ({@link SelfTest}), one dynamic test per comparison. Skipped as a whole,
 * with one message, where CUDA is unavailable ({@link RequiresCuda}). Tagged {@code selftest} as well: these are
 * {@code ravine selftest}'s own rows, so the GPU proof, which runs that command once, leaves this class out of its
 * JUnit step instead of running every comparison twice.
 */
@RequiresCuda
@Tag("selftest")
class SelfTestRowsGpuTest {
    private static List<SelfTest.Row> rows;

    @BeforeAll
    static void runSelfTest() {
        try (CudaBackend cuda = CudaBackend.open(0, false); CudaBackend tf32 = CudaBackend.open(0, true)) {
            rows = SelfTest.run(cuda, tf32, 20261124L);
            System.out.println(cuda.deviceDescription());
        }
        System.out.print(SelfTest.table(rows));
    }
    @TestFactory
    Stream<DynamicTest> everyOpMatchesTheCpu() {
        return rows.stream().map(r -> DynamicTest.dynamicTest(r.group() + ": " + r.op(), () -> assertTrue(r.pass(),
                () -> String.format("%s %s: relative error %.3e exceeds %.1e", r.group(), r.op(), r.relativeError(),
                        r.tolerance()))));
    }

    @Test
    void selfTestCoversEveryGroup() {
        List<String> groups = rows.stream().map(SelfTest.Row::group).distinct().toList();
        for (String g : List.of("elementwise", "reduce", "views", "gemm", "gemm-tiled", "activation", "columnSum",
                "batchnorm", "loss", "optimizer", "ema", "graph", "guard")) {
            assertTrue(groups.contains(g), "no rows for " + g);
        }
    }
}
