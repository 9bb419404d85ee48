package io.ravine.backend.cuda;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jcuda.jcublas.JCublas2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, once per JVM and before JCublas2's native library is touched, where cuBLAS comes from. A failed native
 * load cannot be retried in the same JVM, so instead of trying JCublas2 and catching the error this probes the
 * dynamic linker's search places for the library files first:
 * <ol>
 *   <li>{@code libcublas.so.12} found: load it by full path (so JCublas2's dependency resolves even where the
 *       directory is not on the linker path), then JCublas2;</li>
 *   <li>else {@code libcublas.so.13} found (CUDA 13 hosts): load it, then extract Ravine's bridge (a
 *       {@code libcublas.so.12} that forwards to it, see {@code native/cublas_bridge.c}) from the jar into the
 *       {@link NativeDirectory} and load that, then JCublas2 (also extracted there), whose dependency the linker now
 *       satisfies by soname with the bridge;</li>
 *   <li>else no cuBLAS: the backend uses its tiled GEMM kernel.</li>
 * </ol>
 * System property {@code ravine.cublas=off} forces the third case (to test or bench the fallback).
 */
final class CublasLoader {
    private static final Logger LOG = LoggerFactory.getLogger(CublasLoader.class);
    static final String BRIDGE_RESOURCE = "/io/ravine/native/linux-x86_64/libcublas.so.12";

    enum Source { SYSTEM_CUBLAS_12, BRIDGE_TO_CUBLAS_13, NONE }

    /** Where cuBLAS comes from and, for logs and {@code deviceDescription()}, a phrase saying so. */
    record Choice(Source source, String description) {
        boolean available() {
            return source != Source.NONE;
        }
    }

    private static Choice choice;

    private CublasLoader() {
    }

    static synchronized Choice load() {
        if (choice == null) {
            choice = decideAndLoad();
            if (choice.available()) {
                LOG.info("cuBLAS: {}", choice.description());
            } else {
                LOG.info("cuBLAS not found: using Ravine's tiled GEMM kernel ({})", choice.description());
            }
        }
        return choice;
    }

    private static Choice decideAndLoad() {
        if ("off".equalsIgnoreCase(System.getProperty("ravine.cublas", ""))) {
            return new Choice(Source.NONE, "disabled by -Dravine.cublas=off");
        }
        List<Path> dirs = searchDirectories();
        Optional<Path> v12 = find("libcublas.so.12", dirs);
        Optional<Path> v13 = find("libcublas.so.13", dirs);
        try {
            if (v12.isPresent()) {
                System.load(v12.get().toString());
                initJCublas();
                return new Choice(Source.SYSTEM_CUBLAS_12, "libcublas.so.12 from " + v12.get());
            }
            if (v13.isPresent()) {
                Path bridge = extractBridge();
                System.load(v13.get().toString());
                System.load(bridge.toString());
                initJCublas();
                return new Choice(Source.BRIDGE_TO_CUBLAS_13,
                        "Ravine's cuBLAS 12->13 bridge forwarding to " + v13.get());
            }
        } catch (IOException | LinkageError | CudaUnavailableException e) {
            // LinkageError covers UnsatisfiedLinkError from System.load and JCublas2's own loader.
            return new Choice(Source.NONE, "cuBLAS found but could not be loaded: " + oneLine(e));
        }
        return new Choice(Source.NONE, "neither libcublas.so.12 nor libcublas.so.13 in " + dirs.size()
                + " searched directories");
    }

    private static void initJCublas() {
        // JCublas2's native is extracted into this JVM's private directory, never a shared /tmp (NativeDirectory).
        NativeDirectory.initialize(JCublas2.class);
        JCublas2.setExceptionsEnabled(true);
    }

    private static Path extractBridge() throws IOException {
        try (InputStream in = CublasLoader.class.getResourceAsStream(BRIDGE_RESOURCE)) {
            if (in == null) {
                throw new IOException("the cuBLAS bridge " + BRIDGE_RESOURCE + " is not in this jar (gcc was absent"
                        + " at build time)");
            }
            // Named libcublas.so.12 (its soname anyway) in this JVM's private native directory, removed on exit.
            Path lib = NativeDirectory.require().resolve("libcublas.so.12");
            Files.copy(in, lib);
            return lib;
        }
    }

    /** The dynamic linker's search places, in its order: LD_LIBRARY_PATH, the CUDA toolkits, the system, ld.so.cache. */
    static List<Path> searchDirectories() {
        Set<Path> dirs = new LinkedHashSet<>();
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(":")) {
                if (!d.isBlank()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        try (Stream<Path> local = Files.list(Path.of("/usr/local"))) {
            local.filter(p -> p.getFileName().toString().startsWith("cuda")).sorted().forEach(p -> {
                dirs.add(p.resolve("lib64"));
                dirs.add(p.resolve("targets/x86_64-linux/lib"));
            });
        } catch (IOException | RuntimeException e) {
            // No /usr/local or unreadable: nothing to add.
        }
        // PyTorch's pip wheels bring cuBLAS along (nvidia/cublas/lib for CUDA 12, nvidia/cu13/lib for CUDA 13); a GPU
        // host with PyTorch but no toolkit still has one of them there.
        for (String root : new String[] {"/usr/local/lib", "/usr/lib", "/opt/conda/lib"}) {
            try (Stream<Path> pythons = Files.list(Path.of(root))) {
                pythons.filter(p -> p.getFileName().toString().startsWith("python3")).sorted().forEach(py -> {
                    for (String packages : new String[] {"dist-packages", "site-packages"}) {
                        dirs.add(py.resolve(packages).resolve("nvidia/cublas/lib"));
                        dirs.add(py.resolve(packages).resolve("nvidia/cu13/lib"));
                    }
                });
            } catch (IOException | RuntimeException e) {
                // No such directory: nothing to add.
            }
        }
        dirs.add(Path.of("/usr/lib/x86_64-linux-gnu"));
        dirs.add(Path.of("/lib/x86_64-linux-gnu"));
        dirs.add(Path.of("/usr/lib64"));
        dirs.addAll(ldconfigDirectories());
        return new ArrayList<>(dirs);
    }

    private static Optional<Path> find(String name, List<Path> dirs) {
        return dirs.stream().map(d -> d.resolve(name)).filter(Files::isReadable).findFirst();
    }

    /** Directories of cuBLAS entries in {@code ldconfig -p} ("libcublas.so.13 (libc6,x86-64) => /path/lib"). */
    private static List<Path> ldconfigDirectories() {
        List<Path> out = new ArrayList<>();
        for (String exe : new String[] {"/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"}) {
            try {
                Process p = new ProcessBuilder(exe, "-p").redirectErrorStream(true).start();
                try (BufferedReader r = new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        int arrow = line.indexOf("=> ");
                        if (line.contains("libcublas.so.") && arrow >= 0) {
                            Path parent = Path.of(line.substring(arrow + 3).trim()).getParent();
                            if (parent != null) {
                                out.add(parent);
                            }
                        }
                    }
                }
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroy();
                }
                return out;
            } catch (IOException e) {
                // This ldconfig does not exist; try the next.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return out;
            }
        }
        return out;
    }

    static String oneLine(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        m = m.strip();
        int nl = m.indexOf('\n');
        if (nl >= 0) {
            m = m.substring(0, nl).strip();
        }
        return m.length() > 240 ? m.substring(0, 240) + "..." : m;
    }
}
