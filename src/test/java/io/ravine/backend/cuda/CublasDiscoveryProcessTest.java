package io.ravine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cuBLAS found and really loaded in a fresh JVM (loading happens once per JVM): a fake {@code libcublas.so.13} built
 * with gcc from {@code native/check/fake_cublas13.c}, installed as the CUDA 13 pip wheel installs it, then Ravine's
 * bridge and JCublas2's real native on top of it, and cuBLAS's version read back through all three. No GPU needed.
 */
class CublasDiscoveryProcessTest {
    @TempDir
    Path tmp;
    private final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void requirements() {
        assumeTrue(CudaWithoutGpuTest.onPath("gcc"), "gcc missing: no fake libcublas.so.13 can be built");
        assumeTrue(CublasLoader.class.getResource(CublasLoader.BRIDGE_RESOURCE) != null,
                "the cuBLAS bridge was not built (gcc was absent at build time)");
        for (String v : List.of("VIRTUAL_ENV", "CONDA_PREFIX", "LD_LIBRARY_PATH", "RAVINE_CUBLAS", "RAVINE_CUBLAS13",
                "CUDA_HOME", "CUDA_PATH", "PYENV_ROOT", NativeDirectory.ENV)) {
            env.put(v, null);
        }
        env.put("RAVINE_LOG_LEVEL", "WARN");
    }

    private ChildJvm.Result load() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        return ChildJvm.run(env, List.of("-Duser.home=" + home), CublasLoadMain.class);
    }

    @Test
    void theCuda13WheelInAVirtualEnvironmentWhosePython3IsFirstOnPath() throws Exception {
        Optional<Path> site = FakeCublas.venv(tmp.resolve("venv"));
        assumeTrue(site.isPresent(), "python3 is not installed here");
        Path lib = FakeCublas.build(site.get().resolve("nvidia/cu13/lib/libcublas.so.13"), 1);
        env.put("PATH", tmp.resolve("venv/bin") + ":" + System.getenv("PATH"));
        ChildJvm.Result r = load();
        String all = r.out() + r.err();
        assertEquals(0, r.status(), all);
        assertTrue(r.out().contains("source: BRIDGE_TO_CUBLAS_13"), all);
        assertTrue(r.out().contains("version: 13.0.1"), all);
        assertTrue(r.out().contains("library: " + lib.toRealPath()), all);
        assertTrue(r.out().contains("describe: cuBLAS 13.0.1 (" + lib.toRealPath() + ", through Ravine's 12->13"
                + " bridge)"), all);
        assertTrue(r.out().contains("jcublas2 extracted privately: true"), all);
        assertTrue(r.out().contains("bridge extracted privately: true"), all);
        assertFalse(r.err().contains("WARN"), all);
    }

    @Test
    void ravineCublasWinsAndTheBridgeCallsTheCopyThatWasLoadedNotRavineCublas13s() throws Exception {
        Path chosen = FakeCublas.build(tmp.resolve("chosen/libcublas.so.13"), 7);
        Path other = FakeCublas.build(tmp.resolve("other/libcublas.so.13"), 1);
        env.put("RAVINE_CUBLAS", chosen.getParent().toString());
        env.put("RAVINE_CUBLAS13", other.toString());
        ChildJvm.Result r = load();
        String all = r.out() + r.err();
        assertEquals(0, r.status(), all);
        assertTrue(r.out().contains("library: " + chosen.toRealPath()), all);
        // Read through the bridge: 13.0.1 would mean it had opened RAVINE_CUBLAS13's copy instead.
        assertTrue(r.out().contains("version: 13.0.7"), all);
        assertTrue(r.out().contains(", set by RAVINE_CUBLAS=" + chosen.getParent() + ")"), all);
    }

    @Test
    void withoutCublasOneWarningLineVisibleByDefault() throws Exception {
        env.put("RAVINE_LOG_LEVEL", null);  // the default level
        env.put("PATH", "/usr/bin:/bin");
        ChildJvm.Result r = load();
        assumeTrue(r.out().contains("source: NONE"), "this machine has a cuBLAS of its own: " + r.out());
        List<String> warnings = r.err().lines().filter(l -> l.contains(" WARN ")).toList();
        assertEquals(1, warnings.size(), r.err());
        String w = warnings.get(0);
        assertTrue(w.matches(".*WARN +CublasLoader - cuBLAS not found in \\d+ places \\(LD_LIBRARY_PATH, CUDA toolkits,"
                + " Python environments, system library directories, ldconfig\\): GEMM runs on Ravine's slower tiled"
                + " kernel; set RAVINE_CUBLAS=/path/to/libcublas.so.13 to use cuBLAS"), w);
    }

    @Test
    void aBadRavineCublasIsOneLine() throws Exception {
        Path garbage = Files.writeString(Files.createDirectories(tmp.resolve("bad")).resolve("libcublas.so.13"),
                "not a library, but long enough for the dynamic linker to read a whole ELF header from it\n".repeat(2));
        env.put("RAVINE_CUBLAS", garbage.toString());
        ChildJvm.Result r = load();
        assertEquals(2, r.status(), r.out() + r.err());
        assertEquals("error: RAVINE_CUBLAS=" + garbage + ": " + garbage.toRealPath() + " could not be loaded: invalid"
                + " ELF header\n", r.out());
    }
}
