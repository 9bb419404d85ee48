package io.ravine.backend.cuda;

import io.ravine.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link CublasDiscoveryProcessTest}: finds and loads cuBLAS as {@link CudaBackend} does (no GPU
 * needed: nothing here creates a context) and prints what {@link CudaBackend#cublasInfo()} would report.
 */
public final class CublasLoadMain {
    private CublasLoadMain() {
    }

    public static void main(String[] args) {
        try {
            CublasLoader.Choice c = CublasLoader.load();
            CublasInfo info = c.info();
            System.out.println("source: " + c.source());
            System.out.println("describe: " + info.describe());
            System.out.println("version: " + info.version().orElse("none"));
            System.out.println("library: " + info.library().map(Path::toString).orElse("none"));
            Path dir = NativeDirectory.get().orElseThrow();
            System.out.println("jcublas2 extracted privately: "
                    + Files.isRegularFile(dir.resolve("libJCublas2-12.6.0-linux-x86_64.so")));
            System.out.println("bridge extracted privately: " + Files.isRegularFile(dir.resolve("libcublas.so.12")));
        } catch (InvalidInputException e) {
            System.out.println("error: " + e.getMessage());
            System.exit(2);
        }
    }
}
