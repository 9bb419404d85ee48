package io.ravine.backend.cuda;

import io.ravine.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import jcuda.CudaException;
import jcuda.jcublas.JCublas2;
import jcuda.libraryPropertyType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads cuBLAS where {@link CublasSearch} found it, once per JVM and before JCublas2's native library is touched (a
 * failed native load cannot be retried in the same JVM):
 * <ol>
 *   <li>{@code libcublas.so.12}: load it by full path (so JCublas2's dependency resolves by soname even where the
 *       directory is not on the linker path), then JCublas2;</li>
 *   <li>{@code libcublas.so.13} (CUDA 13 hosts): load it, then extract Ravine's bridge (a {@code libcublas.so.12} that
 *       forwards to it, see {@code native/cublas_bridge.c}) into the {@link NativeDirectory} and load that, then
 *       JCublas2, whose dependency the linker now satisfies by soname with the bridge;</li>
 *   <li>nothing found, or found but not loadable: the backend uses its tiled GEMM kernel, and one WARN line says so,
 *       how many places were searched and how to point at cuBLAS ({@code RAVINE_CUBLAS}).</li>
 * </ol>
 * {@code libcublasLt.so.N} next to the library is loaded first: pip wheels do not all carry an {@code $ORIGIN} runpath.
 * JCublas2's own native is extracted into the {@link NativeDirectory}. An explicit setting ({@code ravine.cublas},
 * {@code RAVINE_CUBLAS}, {@code RAVINE_CUBLAS13}) that names nothing usable, or a library that does not load, is an
 * {@link InvalidInputException}, thrown by every call. System property {@code ravine.cublas=off} forces the tiled
 * kernel (to test or bench it).
 */
final class CublasLoader {
    private static final Logger LOG = LoggerFactory.getLogger(CublasLoader.class);
    static final String BRIDGE_RESOURCE = "/io/ravine/native/linux-x86_64/libcublas.so.12";
    static final String POINT_AT_IT = CublasSearch.ENV + "=/path/to/libcublas.so.13";
    static final String PLACES = "LD_LIBRARY_PATH, CUDA toolkits, Python environments, system library directories,"
            + " ldconfig";

    /** cuBLAS 12 loaded as it is, cuBLAS 13 behind the bridge, none (not found or not loadable), or switched off. */
    enum Source { SYSTEM_CUBLAS_12, BRIDGE_TO_CUBLAS_13, NONE, DISABLED }

    /** Where cuBLAS comes from, and what {@link CudaBackend#cublasInfo()} reports about it. */
    record Choice(Source source, CublasInfo info) {
        boolean available() {
            return source == Source.SYSTEM_CUBLAS_12 || source == Source.BRIDGE_TO_CUBLAS_13;
        }

        String description() {
            return info.describe();
        }
    }

    private static Choice choice;
    private static String settingError;

    private CublasLoader() {
    }

    static synchronized Choice load() {
        if (settingError != null) {
            throw new InvalidInputException(settingError);
        }
        if (choice == null) {
            try {
                choice = act(CublasSearch.find(CublasSearch.Environment.current()));
            } catch (InvalidInputException e) {
                settingError = e.getMessage();
                throw e;
            }
            log(choice);
        }
        return choice;
    }

    private static void log(Choice c) {
        if (LOG.isDebugEnabled() && !c.info().searched().isEmpty()) {
            LOG.debug("cuBLAS searched, in order: {}", c.info().searched());
        }
        if (c.available() || c.source() == Source.DISABLED) {
            LOG.info("GEMM: {}", c.description());
        } else {
            LOG.warn(notInUseWarning(c.info()));
        }
    }

    /**
     * The one WARN line of a CUDA run that ends up on the tiled kernel without being asked to: "cuBLAS not found in N
     * places (LD_LIBRARY_PATH, ...): GEMM runs on Ravine's slower tiled kernel; set RAVINE_CUBLAS=... to use cuBLAS".
     */
    static String notInUseWarning(CublasInfo info) {
        String why = info.reason().orElse("cuBLAS not in use");
        if (why.startsWith("cuBLAS not found")) {
            why += " (" + PLACES + ")";
        }
        return why + ": GEMM runs on Ravine's slower tiled kernel; set " + POINT_AT_IT + " to use cuBLAS";
    }

    /** Loads what the search found. */
    static Choice act(CublasSearch.Result result) {
        if (result instanceof CublasSearch.Disabled d) {
            return new Choice(Source.DISABLED, new CublasInfo(false, Optional.empty(), Optional.empty(), false,
                    Optional.empty(), Optional.of(d.why()), List.of()));
        }
        if (result instanceof CublasSearch.NotFound n) {
            return none("cuBLAS not found in " + n.searched().size() + " places", n.searched(), Optional.empty());
        }
        CublasSearch.Found f = (CublasSearch.Found) result;
        Path library = f.library().toAbsolutePath();
        Path real = realPath(library);
        boolean bridged = f.major() == 13;
        try {
            Path lt = library.resolveSibling("libcublasLt.so." + f.major());
            if (Files.isRegularFile(lt)) {
                System.load(lt.toString());
            }
            System.load(library.toString());
            if (bridged) {
                System.load(extractBridge().toString());
            }
            NativeDirectory.initialize(JCublas2.class);
            JCublas2.setExceptionsEnabled(true);
        } catch (IOException | LinkageError | CudaUnavailableException e) {
            // LinkageError covers UnsatisfiedLinkError from System.load and from JCublas2's own loader.
            String why = real + " could not be loaded: " + NativeDirectory.loadFailure(e);
            if (f.setting() != null) {
                throw new InvalidInputException(f.setting() + ": " + why);
            }
            return none("cuBLAS at " + why, f.searched(), Optional.of(real));
        }
        CublasInfo info = new CublasInfo(true, version(), Optional.of(real), bridged, Optional.ofNullable(f.setting()),
                Optional.empty(), f.searched());
        return new Choice(bridged ? Source.BRIDGE_TO_CUBLAS_13 : Source.SYSTEM_CUBLAS_12, info);
    }

    private static Choice none(String reason, List<Path> searched, Optional<Path> library) {
        return new Choice(Source.NONE, new CublasInfo(false, Optional.empty(), library, false, Optional.empty(),
                Optional.of(reason), searched));
    }

    /** cuBLAS's own version, MAJOR.MINOR.PATCH (cublasGetProperty needs no handle or context); empty if unreadable. */
    private static Optional<String> version() {
        try {
            int[] v = {0};
            StringBuilder sb = new StringBuilder();
            for (int p : new int[] {libraryPropertyType.MAJOR_VERSION, libraryPropertyType.MINOR_VERSION,
                    libraryPropertyType.PATCH_LEVEL}) {
                JCublas2.cublasGetProperty(p, v);
                sb.append(sb.length() == 0 ? "" : ".").append(v[0]);
            }
            return Optional.of(sb.toString());
        } catch (CudaException | LinkageError e) {
            return Optional.empty();
        }
    }

    private static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p;
        }
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
