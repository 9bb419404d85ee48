package io.ravine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ravine.backend.cuda.CudaBackend;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code selftest --require-cublas}: the flag's own errors. Its row is tested in CublasLoaderTest. */
class SelftestCommandTest {
    @Test
    void requireCublasOnTheCpuIsBadInput() {
        CliTestSupport.Result r = CliTestSupport.run("selftest", "--device", "cpu", "--require-cublas");
        assertEquals(Main.EXIT_BAD_INPUT, r.status(), r.err());
        assertEquals(List.of("ravine: --require-cublas applies to --device cuda only, not 'cpu'"), r.errorLines());
    }

    @Test
    void requireCublasWithoutAGpuIsTheOneUnavailableLine() {
        assumeTrue(CudaBackend.unavailableReason().isPresent(), "a usable GPU is present");
        CliTestSupport.Result r = CliTestSupport.run("selftest", "--device", "cuda", "--require-cublas");
        assertEquals(Main.EXIT_BAD_INPUT, r.status(), r.err());
        assertEquals(1, r.errorLines().size(), r.err());
        assertTrue(r.errorLines().get(0).startsWith("ravine: --device cuda: "), r.err());
    }
}
