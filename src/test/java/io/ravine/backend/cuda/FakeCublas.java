package io.ravine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** Fake cuBLAS libraries and Python virtual environments laid out as pip wheels install cuBLAS, for discovery tests. */
final class FakeCublas {
    private FakeCublas() {
    }

    /**
     * A real {@code libcublas.so.13} stand-in ({@code native/check/fake_cublas13.c}, soname libcublas.so.13) that
     * reports version 13.0.{@code patch}; needs gcc.
     */
    static Path build(Path file, int patch) throws IOException, InterruptedException {
        Files.createDirectories(file.getParent());
        ChildJvm.Result r = ChildJvm.exec(Map.of(), List.of("gcc", "-shared", "-fPIC", "-DFAKE_PATCH=" + patch,
                "-Wl,-soname,libcublas.so.13", "-o", file.toString(),
                Path.of("native/check/fake_cublas13.c").toAbsolutePath().toString()));
        assertEquals(0, r.status(), r.err());
        return file;
    }

    /** An empty file with the library's name: enough for the search, which never loads anything. */
    static Path placeholder(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, "not loaded by the search");
    }

    /**
     * A Python virtual environment at {@code dir}: {@code python3 -m venv --without-pip} where that works, else the
     * same tree by hand (pyvenv.cfg, bin/python3 linked to the system interpreter, lib/python3.N/site-packages),
     * which Python also treats as a virtual environment. Returns its site-packages; empty without python3.
     */
    static Optional<Path> venv(Path dir) throws IOException, InterruptedException {
        Optional<Path> python = CublasSearch.onPath("python3", System.getenv("PATH"));
        if (python.isEmpty()) {
            return Optional.empty();
        }
        ChildJvm.Result made = ChildJvm.exec(Map.of(), List.of(python.get().toString(), "-m", "venv", "--without-pip",
                dir.toString()));
        if (made.status() != 0) {
            ChildJvm.Result info = ChildJvm.exec(Map.of(), List.of(python.get().toString(), "-c",
                    "import sys, os; v = sys.version_info; print(v[0], v[1], os.path.realpath(sys.executable))"));
            String[] f = info.out().strip().split(" ", 3);
            Path real = Path.of(f[2]);
            Files.createDirectories(dir.resolve("bin"));
            Files.writeString(dir.resolve("pyvenv.cfg"), "home = " + real.getParent()
                    + "\ninclude-system-site-packages = false\nversion = " + f[0] + "." + f[1] + "\n");
            Files.createSymbolicLink(dir.resolve("bin/python3"), real);
            Files.createDirectories(dir.resolve("lib/python" + f[0] + "." + f[1] + "/site-packages"));
        }
        try (Stream<Path> libs = Files.list(dir.resolve("lib"))) {
            return libs.filter(p -> p.getFileName().toString().startsWith("python3")).findFirst()
                    .map(p -> p.resolve("site-packages"));
        }
    }
}
