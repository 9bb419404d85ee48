package io.ravine.cli;

import io.ravine.BuildInfo;
import io.ravine.backend.Devices;
import io.ravine.backend.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
        return manifest.isEmpty() ? "ravine (" + BuildInfo.describe(manifest) + ")"
                : "ravine " + BuildInfo.describe(manifest);
    }

    private static Optional<Manifest> ownManifest() {
        return BuildInfo.ownManifest();
    }
}
