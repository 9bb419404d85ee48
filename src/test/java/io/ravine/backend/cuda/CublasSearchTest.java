package io.ravine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ravine.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where {@link CublasSearch} finds cuBLAS, decided from an injected environment (variables, home, a system root that
 * is an empty temporary directory unless a test fills it, a Python runner, ldconfig's answer) and never loading
 * anything. The Python tests use a real virtual environment and the real interpreter.
 */
class CublasSearchTest {
    @TempDir
    Path tmp;
    private Path root;
    private Path home;
    private final Map<String, String> env = new HashMap<>();
    private CublasSearch.PythonRunner python = (py, e) -> List.of();
    private String property;

    @BeforeEach
    void emptyWorld() throws IOException {
        root = Files.createDirectories(tmp.resolve("root"));
        home = Files.createDirectories(tmp.resolve("home"));
        env.put("PATH", "");
    }

    private CublasSearch.Environment environment() {
        return new CublasSearch.Environment(Map.copyOf(env), property, home, root, python, List::of);
    }

    private CublasSearch.Result find() {
        return CublasSearch.find(environment());
    }

    private CublasSearch.Found found() {
        return assertInstanceOf(CublasSearch.Found.class, find());
    }

    /** A directory tree that looks like a virtual environment, with cuBLAS laid out as the pip wheel lays it out. */
    private Path venvWithWheel(String name, String layout, String lib) throws IOException {
        Path venv = tmp.resolve(name);
        Files.createDirectories(venv.resolve("bin"));
        FakeCublas.placeholder(venv.resolve("lib/python3.12/site-packages").resolve(layout).resolve(lib));
        return venv;
    }

    @Test
    void aCuda13WheelInTheActiveVirtualEnvironment() throws IOException {
        Path venv = venvWithWheel("venv", "nvidia/cu13/lib", "libcublas.so.13");
        assertInstanceOf(CublasSearch.NotFound.class, find(), "found without VIRTUAL_ENV: the test proves nothing");
        env.put("VIRTUAL_ENV", venv.toString());
        CublasSearch.Found f = found();
        assertEquals(venv.resolve("lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13"), f.library());
        assertEquals(13, f.major());
        assertEquals(null, f.setting());
    }

    @Test
    void aCuda12WheelLayoutAndCondaAndTheUserSite() throws IOException {
        Path venv = venvWithWheel("venv12", "nvidia/cublas/lib", "libcublas.so.12");
        env.put("VIRTUAL_ENV", venv.toString());
        assertEquals(12, found().major());
        env.remove("VIRTUAL_ENV");

        Path conda = tmp.resolve("conda");
        FakeCublas.placeholder(conda.resolve("lib/libcublas.so.13"));
        env.put("CONDA_PREFIX", conda.toString());
        assertEquals(conda.resolve("lib/libcublas.so.13"), found().library());
        env.remove("CONDA_PREFIX");

        Path user = home.resolve(".local/lib/python3.11/site-packages/nvidia/cu13/lib/libcublas.so.13");
        FakeCublas.placeholder(user);
        assertEquals(user, found().library());
    }

    @Test
    void theSystemsPythonAndOptCondaUnderTheRoot() throws IOException {
        Path dist = root.resolve("usr/lib/python3/dist-packages/nvidia/cu12/lib/libcublas.so.12");
        FakeCublas.placeholder(dist);
        assertEquals(dist, found().library());
        Path opt = root.resolve("opt/conda/lib/libcublas.so.13");
        FakeCublas.placeholder(opt);
        Path local = root.resolve("usr/local/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13");
        FakeCublas.placeholder(local);
        // /usr/local's Python before /usr's, both before /opt/conda.
        assertEquals(local, found().library());
    }

    @Test
    void whatThePythonOnPathReportsIsSearched() throws IOException {
        Path site = tmp.resolve("elsewhere/site-packages");
        FakeCublas.placeholder(site.resolve("nvidia/cu13/lib/libcublas.so.13"));
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path py = Files.writeString(bin.resolve("python3"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(py, PosixFilePermissions.fromString("rwxr-xr-x"));
        python = (exe, e) -> exe.equals(py) ? List.of(site) : List.of();
        assertInstanceOf(CublasSearch.NotFound.class, find(), "python3 is not on PATH yet");
        env.put("PATH", bin.toString());
        assertEquals(site.resolve("nvidia/cu13/lib/libcublas.so.13"), found().library());
    }

    @Test
    void theVirtualEnvironmentsOwnPython3FirstOnPathWithoutVirtualEnv() throws Exception {
        Optional<Path> site = FakeCublas.venv(tmp.resolve("real-venv"));
        assumeTrue(site.isPresent(), "python3 is not installed here");
        Path lib = FakeCublas.placeholder(site.get().resolve("nvidia/cu13/lib/libcublas.so.13"));
        env.putAll(System.getenv());
        env.remove("VIRTUAL_ENV");
        env.remove("LD_LIBRARY_PATH");
        env.put("PATH", tmp.resolve("real-venv/bin") + ":" + System.getenv("PATH"));
        python = CublasSearch::askPython;
        assertEquals(lib, found().library());
        // The interpreter is the only way there: the same PATH without the venv finds nothing in it.
        env.put("PATH", System.getenv("PATH"));
        CublasSearch.Result without = find();
        assertFalse(without instanceof CublasSearch.Found f && f.library().equals(lib));
    }

    @Test
    void aBrokenOrHangingPythonIsNoError() throws Exception {
        Path broken = Files.writeString(tmp.resolve("python3"), "#!/bin/sh\necho 'Traceback: no site'\nexit 1\n");
        Path lying = Files.writeString(tmp.resolve("python"), "#!/bin/sh\necho 'ravine-site:/from/a/script'\n");
        Path hanging = Files.writeString(tmp.resolve("hangs"), "#!/bin/sh\nexec sleep 60\n");
        for (Path p : List.of(broken, lying, hanging)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        assertEquals(List.of(), CublasSearch.askPython(broken, System.getenv()));
        assertEquals(List.of(Path.of("/from/a/script")), CublasSearch.askPython(lying, System.getenv()));
        assertEquals(List.of(), CublasSearch.askPython(hanging, System.getenv(), 200));
        assertEquals(List.of(), CublasSearch.askPython(tmp.resolve("absent"), System.getenv()));
    }

    @Test
    void theOrderLdLibraryPathToolkitsPythonSystemLdconfig() throws IOException {
        Path ld = tmp.resolve("ld");
        Path venv = venvWithWheel("venv", "nvidia/cu13/lib", "libcublas.so.13");
        env.put("VIRTUAL_ENV", venv.toString());
        env.put("LD_LIBRARY_PATH", ld + "::/nonexistent");
        FakeCublas.placeholder(root.resolve("usr/lib/x86_64-linux-gnu/libcublas.so.12"));
        assertEquals(13, found().major(), "a Python environment comes before the system directories");
        FakeCublas.placeholder(root.resolve("usr/local/cuda-13.0/targets/x86_64-linux/lib/libcublas.so.13"));
        assertEquals(root.resolve("usr/local/cuda-13.0/targets/x86_64-linux/lib/libcublas.so.13"), found().library(),
                "a CUDA toolkit comes before Python environments");
        FakeCublas.placeholder(ld.resolve("libcublas.so.13"));
        assertEquals(ld.resolve("libcublas.so.13"), found().library(), "LD_LIBRARY_PATH comes first");
        // Within one directory libcublas.so.12 wins: JCublas2 is built against it, no bridge needed.
        FakeCublas.placeholder(ld.resolve("libcublas.so.12"));
        assertEquals(12, found().major());

        List<Path> searched = CublasSearch.searchDirectories(environment());
        List<Path> order = List.of(ld, Path.of("/nonexistent"), root.resolve("usr/local/cuda/lib64"),
                root.resolve("usr/local/cuda-13.0/lib64"),
                venv.resolve("lib/python3.12/site-packages/nvidia/cu13/lib"),
                venv.resolve("lib/python3.12/site-packages/nvidia/cublas/lib"),
                venv.resolve("lib/python3.12/site-packages/nvidia/cu12/lib"),
                root.resolve("opt/conda/lib"), root.resolve("usr/lib/x86_64-linux-gnu"));
        int last = -1;
        for (Path p : order) {
            int at = searched.indexOf(p);
            assertTrue(at > last, p + " out of order in " + searched);
            last = at;
        }
    }

    @Test
    void ldconfigsDirectoriesComeLast() throws IOException {
        Path cache = tmp.resolve("from-ldconfig");
        FakeCublas.placeholder(cache.resolve("libcublas.so.12"));
        CublasSearch.Environment e = new CublasSearch.Environment(Map.of(), null, home, root, python,
                () -> List.of(cache));
        CublasSearch.Found f = assertInstanceOf(CublasSearch.Found.class, CublasSearch.find(e));
        assertEquals(cache.resolve("libcublas.so.12"), f.library());
        assertEquals(cache, f.searched().get(f.searched().size() - 1));
    }

    @Test
    void notFoundRecordsEveryPlaceSearched() {
        CublasSearch.NotFound n = assertInstanceOf(CublasSearch.NotFound.class, find());
        assertTrue(n.searched().contains(root.resolve("usr/local/cuda/lib64")), n.searched().toString());
        assertTrue(n.searched().contains(root.resolve("usr/lib/x86_64-linux-gnu")), n.searched().toString());
        assertEquals(n.searched(), CublasSearch.searchDirectories(environment()));
    }

    // ---- explicit settings ----

    @Test
    void ravineCublasNamesAFileOrADirectoryAndBeatsTheSearch() throws IOException {
        Path venv = venvWithWheel("venv", "nvidia/cu13/lib", "libcublas.so.13");
        env.put("VIRTUAL_ENV", venv.toString());
        Path file = FakeCublas.placeholder(tmp.resolve("mine/libcublas.so.12"));
        env.put("RAVINE_CUBLAS", file.toString());
        CublasSearch.Found f = found();
        assertEquals(file, f.library());
        assertEquals(12, f.major());
        assertEquals("RAVINE_CUBLAS=" + file, f.setting());

        Path dir = tmp.resolve("wheel-dir");
        FakeCublas.placeholder(dir.resolve("libcublas.so.13"));
        env.put("RAVINE_CUBLAS", dir.toString());
        assertEquals(dir.resolve("libcublas.so.13"), found().library());
        assertEquals(13, found().major());
    }

    @Test
    void ravineCublas13AsTheBridgeReadsItAndTheOrderOfTheSettings() throws IOException {
        Path thirteen = FakeCublas.placeholder(tmp.resolve("a/libcublas.so.13"));
        env.put("RAVINE_CUBLAS13", thirteen.toString());
        assertEquals(thirteen, found().library());
        assertEquals("RAVINE_CUBLAS13=" + thirteen, found().setting());
        env.put("RAVINE_CUBLAS13", thirteen.getParent().toString());
        assertEquals(thirteen, found().library());

        Path other = FakeCublas.placeholder(tmp.resolve("b/libcublas.so.13"));
        env.put("RAVINE_CUBLAS", other.toString());
        assertEquals(other, found().library(), "RAVINE_CUBLAS before RAVINE_CUBLAS13");
        Path third = FakeCublas.placeholder(tmp.resolve("c/libcublas.so.13"));
        property = third.toString();
        assertEquals(third, found().library(), "the system property before both");
        assertEquals("system property ravine.cublas=" + third, found().setting());
        property = "off";
        assertEquals("disabled by -Dravine.cublas=off", assertInstanceOf(CublasSearch.Disabled.class, find()).why());
    }

    @Test
    void aVersionedFileOrTheDevelopmentLinkIsRecognised() throws IOException {
        Path real = FakeCublas.placeholder(tmp.resolve("lib/libcublas.so.13.1.0.3"));
        env.put("RAVINE_CUBLAS", real.toString());
        assertEquals(13, found().major());
        Path link = Files.createSymbolicLink(tmp.resolve("lib/libcublas.so"), real.getFileName());
        env.put("RAVINE_CUBLAS", link.toString());
        assertEquals(13, found().major());
        assertEquals(link, found().library());
    }

    private String badSetting(String name, String value) {
        env.put(name, value);
        InvalidInputException e = assertThrows(InvalidInputException.class, this::find);
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aBadSettingIsOneLineNamingTheSettingTheRuleAndTheValue() throws IOException {
        String rule = "; RAVINE_CUBLAS must be a libcublas.so.12 or libcublas.so.13 file, or a directory holding one";
        assertEquals("RAVINE_CUBLAS=/nonexistent/libcublas.so.13: no such file or directory" + rule,
                badSetting("RAVINE_CUBLAS", "/nonexistent/libcublas.so.13"));
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertEquals("RAVINE_CUBLAS=" + empty + ": the directory holds no libcublas.so.12 or libcublas.so.13" + rule,
                badSetting("RAVINE_CUBLAS", empty.toString()));
        Path eleven = FakeCublas.placeholder(tmp.resolve("libcublas.so.11"));
        assertEquals("RAVINE_CUBLAS=" + eleven + ": cuBLAS 11 is not supported" + rule,
                badSetting("RAVINE_CUBLAS", eleven.toString()));
        Path other = FakeCublas.placeholder(tmp.resolve("libcudart.so.13"));
        assertEquals("RAVINE_CUBLAS=" + other + ": not a libcublas.so.N file" + rule,
                badSetting("RAVINE_CUBLAS", other.toString()));
        env.remove("RAVINE_CUBLAS");
        Path twelve = FakeCublas.placeholder(tmp.resolve("libcublas.so.12"));
        assertEquals("RAVINE_CUBLAS13=" + twelve + ": a cuBLAS 12 library, not 13; RAVINE_CUBLAS13 must be a"
                + " libcublas.so.13 file, or a directory holding one",
                badSetting("RAVINE_CUBLAS13", twelve.toString()));
        env.remove("RAVINE_CUBLAS13");
        property = "/nope";
        InvalidInputException e = assertThrows(InvalidInputException.class, this::find);
        assertEquals("system property ravine.cublas=/nope: no such file or directory; system property ravine.cublas"
                + " must be 'off', a libcublas.so.12 or libcublas.so.13 file, or a directory holding one",
                e.getMessage());
    }

    @Test
    void aBlankSettingIsUnset() {
        env.put("RAVINE_CUBLAS", " ");
        assertInstanceOf(CublasSearch.NotFound.class, find());
    }
}
