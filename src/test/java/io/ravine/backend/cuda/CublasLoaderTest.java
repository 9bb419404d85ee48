package io.ravine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What the loader reports where cuBLAS is not used, the describe() phrases, and the selftest row built from them. No
 * native library is loaded here (the real loads are in {@link CublasDiscoveryProcessTest}).
 */
class CublasLoaderTest {
    private static final List<Path> THREE = List.of(Path.of("/a"), Path.of("/b"), Path.of("/c"));

    @Test
    void notFoundIsTheTiledKernelWithOneWarningLineSayingHowToPointAtCublas() {
        CublasLoader.Choice c = CublasLoader.act(new CublasSearch.NotFound(THREE));
        assertFalse(c.available());
        assertEquals(Optional.of("cuBLAS not found in 3 places"), c.info().reason());
        assertEquals(THREE, c.info().searched());
        assertEquals("Ravine's tiled GEMM kernel (cuBLAS not found in 3 places)", c.description());
        assertEquals("cuBLAS not found in 3 places (LD_LIBRARY_PATH, CUDA toolkits, Python environments, system library"
                + " directories, ldconfig): GEMM runs on Ravine's slower tiled kernel; set"
                + " RAVINE_CUBLAS=/path/to/libcublas.so.13 to use cuBLAS", CublasLoader.notInUseWarning(c.info()));
    }

    @Test
    void switchedOffSaysSo() {
        CublasLoader.Choice c = CublasLoader.act(new CublasSearch.Disabled("disabled by -Dravine.cublas=off"));
        assertFalse(c.available());
        assertEquals(CublasLoader.Source.DISABLED, c.source());
        assertEquals("Ravine's tiled GEMM kernel (disabled by -Dravine.cublas=off)", c.description());
    }

    @Test
    void cublasInUseNamesItsVersionItsFileTheBridgeAndTheSetting() {
        CublasInfo bridged = new CublasInfo(true, Optional.of("13.1.0"),
                Optional.of(Path.of("/v/libcublas.so.13.1.0.3")), true, Optional.of("RAVINE_CUBLAS=/v"),
                Optional.empty(), List.of());
        assertEquals("cuBLAS 13.1.0 (/v/libcublas.so.13.1.0.3, through Ravine's 12->13 bridge, set by"
                + " RAVINE_CUBLAS=/v)", bridged.describe());
        CublasInfo system = new CublasInfo(true, Optional.empty(), Optional.of(Path.of("/usr/lib/libcublas.so.12.6")),
                false, Optional.empty(), Optional.empty(), THREE);
        assertEquals("cuBLAS of unknown version (/usr/lib/libcublas.so.12.6)", system.describe());
    }

    @Test
    void theSelftestRowSaysWhichGemmAndFailsOnlyWhereCublasWasRequiredAndIsMissing() {
        CublasInfo tiled = CublasLoader.act(new CublasSearch.NotFound(THREE)).info();
        CublasInfo cublas = new CublasInfo(true, Optional.of("13.0.2"), Optional.of(Path.of("/w/libcublas.so.13")),
                true, Optional.empty(), Optional.empty(), List.of());

        SelfTest.Row told = SelfTest.gemmInUse(tiled, false);
        assertTrue(told.pass());
        assertEquals("gemm-in-use", told.group());
        assertEquals("Ravine's tiled GEMM kernel (cuBLAS not found in 3 places)", told.op());

        SelfTest.Row required = SelfTest.gemmInUse(tiled, true);
        assertFalse(required.pass());
        assertEquals("Ravine's tiled GEMM kernel (cuBLAS not found in 3 places); cuBLAS was required", required.op());
        assertTrue(SelfTest.table(List.of(required)).contains("1 of 1 comparisons FAILED"));

        assertTrue(SelfTest.gemmInUse(cublas, true).pass());
        assertEquals("cuBLAS 13.0.2 (/w/libcublas.so.13, through Ravine's 12->13 bridge)",
                SelfTest.gemmInUse(cublas, true).op());
    }
}
