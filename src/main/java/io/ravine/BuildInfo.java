package io.ravine;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Ravine's version, commit and build date from the manifest of the jar its classes were loaded from (written by the
 * build: Implementation-Version is the pom's version, Build-Commit and Build-Date the git commit and the build time).
 * {@code ravine --version} prints it, and a run records it (run.json) for its report's header.
 */
public final class BuildInfo {
    private BuildInfo() {
    }

    /**
     * {@code 0.1.0-SNAPSHOT (commit 1a2b3c4d5e6f, built 2026-11-30T12:00:00Z)}, or what is missing where the classes
     * do not come from Ravine's jar (an IDE, target/classes, a test).
     *
     * @return the version, commit and build date
     */
    public static String describe() {
        return describe(ownManifest());
    }

    /**
     * As {@link #describe()}, of a given manifest.
     *
     * @param manifest the manifest (empty: not run from a jar)
     * @return the version, commit and build date
     */
    public static String describe(Optional<Manifest> manifest) {
        if (manifest.isEmpty()) {
            return "version unknown: not run from its jar";
        }
        Attributes a = manifest.get().getMainAttributes();
        return known(a.getValue("Implementation-Version")) + " (commit " + known(a.getValue("Build-Commit"))
                + ", built " + known(a.getValue("Build-Date")) + ")";
    }

    /** A manifest value, or "unknown" where the build could not fill it (no git: Maven leaves ${...} as it is). */
    private static String known(String value) {
        return value == null || value.isBlank() || value.startsWith("${") ? "unknown" : value.strip();
    }

    /**
     * The manifest of the jar this class was loaded from.
     *
     * @return the manifest, or empty where the classes were not loaded from a jar
     */
    public static Optional<Manifest> ownManifest() {
        try {
            Path where = Path.of(BuildInfo.class.getProtectionDomain().getCodeSource().getLocation().toURI());
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
