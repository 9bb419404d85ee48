package io.ravine.backend.cuda;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Which GEMM a {@link CudaBackend} uses and why: cuBLAS (its own version, the file it was loaded from with symlinks
 * resolved, whether through Ravine's 12-&gt;13 bridge, and the setting that named it) or Ravine's tiled kernel (and the
 * reason: not found, switched off, or found but not loadable).
 *
 * @param inUse GEMM runs on cuBLAS
 * @param version cuBLAS's own version ({@code cublasGetProperty}), e.g. {@code 13.1.0}; empty if it could not be read
 *     or cuBLAS is not in use
 * @param library the real file cuBLAS was loaded from (or the one that failed to load)
 * @param bridged loaded through Ravine's bridge ({@code libcublas.so.13} behind a {@code libcublas.so.12} soname)
 * @param setting the explicit setting that named the library ({@code RAVINE_CUBLAS}, ...), empty if it was searched for
 * @param reason why cuBLAS is not in use; empty where it is
 * @param searched every directory searched, in order (empty where an explicit setting decided)
 */
public record CublasInfo(boolean inUse, Optional<String> version, Optional<Path> library, boolean bridged,
        Optional<String> setting, Optional<String> reason, List<Path> searched) {

    /** Keeps a copy of the searched paths. */
    public CublasInfo {
        searched = List.copyOf(searched);
    }

    /**
     * One phrase: "cuBLAS 13.1.0 (/path/libcublas.so.13.1.0.3, through Ravine's 12->13 bridge)" or "Ravine's tiled
     * GEMM kernel (cuBLAS not found in N places)".
     */
    public String describe() {
        if (!inUse) {
            return "Ravine's tiled GEMM kernel (" + reason.orElse("cuBLAS not in use") + ")";
        }
        StringBuilder sb = new StringBuilder("cuBLAS ").append(version.orElse("of unknown version"));
        sb.append(" (").append(library.map(Path::toString).orElse("?"));
        if (bridged) {
            sb.append(", through Ravine's 12->13 bridge");
        }
        setting.ifPresent(s -> sb.append(", set by ").append(s));
        return sb.append(")").toString();
    }
}
