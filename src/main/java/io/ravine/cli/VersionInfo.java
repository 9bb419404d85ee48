package io.ravine.cli;

import io.ravine.backend.Devices;
import io.ravine.backend.cpu.CpuBackend;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import picocli.CommandLine;

/**
 * {@code --version} on every command: Ravine's version, commit and build date from the jar's manifest (written by
 * the build: Implementation-Version is the pom's version, Build-Commit and Build-Date the git commit and the build
 * time), then the Java, OpenBLAS and CUDA that this machine gives it.
 */
final class VersionInfo implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        List<String> lines = new ArrayList<>();
        lines.add(ravineLine(ownManifest()));
        lines.add("Java " + System.getProperty("java.runtime.version", System.getProperty("java.version")) + " ("
                + System.getProperty("java.vendor", "unknown vendor") + ", " + System.getProperty("java.home") + ")");
        lines.add(CpuBackend.openBlasDescription());
        lines.add("CUDA: " + Devices.describeCuda());
        return lines.toArray(String[]::new);
    }

    /**
     * {@code ravine 0.1.0-SNAPSHOT (commit 1a2b3c4d5e6f, built 2026-11-30T12:00:00Z)} from a manifest, or what is
     * missing where the classes do not come from Ravine's jar (an IDE, target/classes).
     */
    static String ravineLine(Optional<Manifest> manifest) {
        if (manifest.isEmpty()) {
            return "ravine (version unknown: not run from its jar)";
        }
        Attributes a = manifest.get().getMainAttributes();
        return "ravine " + known(a.getValue("Implementation-Version")) + " (commit "
                + known(a.getValue("Build-Commit")) + ", built " + known(a.getValue("Build-Date")) + ")";
    }

    /** A manifest value, or "unknown" where the build could not fill it (no git: Maven leaves ${...} as it is). */
    private static String known(String value) {
        return value == null || value.isBlank() || value.startsWith("${") ? "unknown" : value.strip();
    }

    /** The manifest of the jar this class was loaded from, if it was loaded from a jar. */
    private static Optional<Manifest> ownManifest() {
        try {
            Path where = Path.of(VersionInfo.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isRegularFile(where)) {
                return Optional.empty();
            }
            try (JarFile jar = new JarFile(where.toFile())) {
                return Optional.ofNullable(jar.getManifest());
            }
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
