package io.ravine.backend.cuda;

import io.ravine.backend.OutOfDeviceMemoryException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ravine.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What can be checked on any build machine: the build's native outputs and the behaviour without a GPU. */
class CudaWithoutGpuTest {

    @Test
    void kernelsAreOnTheClassPathWhenNvccWasPresent() {
        assumeTrue(nvccPresent(), "nvcc is not installed here, so the build skipped the kernels");
        for (String family : Kernels.FAMILIES) {
            assertTrue(Kernels.class.getResource(Kernels.resource(family)) != null,
                    "missing " + Kernels.resource(family));
        }
        assertEquals(Optional.empty(), Kernels.missingResource());
    }

    @Test
    void bridgeHasTheSonameJCublas2Needs(@TempDir Path dir) throws Exception {
        assumeTrue(onPath("gcc") && onPath("readelf"), "gcc or readelf missing: bridge not built or not checkable");
        Path lib = extractBridge(dir);
        String dynamic = run("readelf", "-d", lib.toString());
        assertTrue(dynamic.contains("Library soname: [libcublas.so.12]"), dynamic);
        String versions = run("readelf", "-V", lib.toString());
        assertTrue(versions.contains("Name: libcublas.so.12"), versions);
    }

    @Test
    void jcublas2ResolvesAgainstTheBridgeAndCallsAreForwarded(@TempDir Path dir) throws Exception {
        assumeTrue(onPath("gcc") && onPath("unzip") && onPath("ldd"), "gcc, unzip or ldd missing");
        Path lib = extractBridge(dir);
        URL natives = CudaWithoutGpuTest.class.getResource("/lib/libJCublas2-12.6.0-linux-x86_64.so");
        assumeTrue(natives != null && natives.getProtocol().equals("jar"), "JCublas2 natives jar not on the class path");
        String jar = ((JarURLConnection) natives.openConnection()).getJarFileURL().getPath();
        String out = run("bash", Path.of("native/check/check-bridge.sh").toString(), lib.toString(), jar);
        assertTrue(out.contains("bridge OK"), out);
    }

    @Test
    void unavailableReasonIsOneClearLine() {
        Optional<String> reason = CudaBackend.unavailableReason();
        assumeTrue(reason.isPresent(), "a usable GPU is present; the no-GPU behaviour cannot be checked here");
        String r = reason.get();
        assertFalse(r.isBlank());
        assertFalse(r.contains("\n"), r);
        assertTrue(r.contains("driver") || r.contains("GPU") || r.contains("kernels"), r);
        // Probing twice is safe (the native-library failure is cached, not retried).
        assertEquals(reason, CudaBackend.unavailableReason());
    }

    @Test
    void openWithoutGpuThrowsAOneLineUserError() {
        assumeTrue(CudaBackend.unavailableReason().isPresent(), "a usable GPU is present");
        CudaUnavailableException e = assertThrows(CudaUnavailableException.class, () -> CudaBackend.open(0, false));
        assertTrue(e instanceof InvalidInputException);
        assertTrue(e.getMessage().startsWith("CUDA is not available: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void outOfMemoryMessageNamesBytesAndDeviceMemory() {
        OutOfDeviceMemoryException e = new OutOfDeviceMemoryException("GPU (cuda:0)", 3L << 30, 1L << 30, 80L << 30,
                null);
        assertTrue(e.getMessage().contains("3221225472 bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("1024.0 MiB"), e.getMessage());
        assertTrue(e instanceof InvalidInputException);
    }

    private static Path extractBridge(Path dir) throws IOException {
        try (InputStream in = CudaWithoutGpuTest.class.getResourceAsStream(CublasLoader.BRIDGE_RESOURCE)) {
            assertTrue(in != null, "the bridge " + CublasLoader.BRIDGE_RESOURCE + " is not on the class path");
            Path lib = dir.resolve("libcublas.so.12");
            Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
            return lib;
        }
    }

    static boolean nvccPresent() {
        String env = System.getenv("NVCC");
        if (env != null && Files.isExecutable(Path.of(env))) {
            return true;
        }
        return Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc")) || onPath("nvcc");
    }

    static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(":")) {
            if (Files.isExecutable(Path.of(d, exe))) {
                return true;
            }
        }
        return false;
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + out);
        return out;
    }
}
