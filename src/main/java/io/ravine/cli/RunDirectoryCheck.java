package io.ravine.cli;

import io.ravine.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks, before a run loads data or allocates anything, that its run directory can be written: the path is a
 * directory or can become one, and a file can be created where the directory is or will be. Nothing is left
 * behind: a fresh run that is then rejected for another reason has no directory.
 */
final class RunDirectoryCheck {
    private RunDirectoryCheck() {
    }

    /** Throws an {@link InvalidInputException} naming {@code flag}, the path and the problem. */
    static void requireWritable(Path dir, String flag) {
        Path abs = dir.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new InvalidInputException(flag + " " + dir + ": no existing parent directory");
        }
        if (!Files.isDirectory(existing)) {
            throw new InvalidInputException(flag + " " + dir + ": " + (existing.equals(abs)
                    ? "exists and is not a directory" : existing + " is a file, not a directory"));
        }
        // Files.isWritable asks access(2), which says yes to root everywhere (even in /proc); creating a file is the
        // only test that holds for every user and file system.
        try {
            Path probe = Files.createTempFile(existing, ".ravine-write-test-", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new InvalidInputException(flag + " " + dir + ": cannot create files in " + existing + " ("
                    + Main.describe(e) + ")", e);
        }
    }
}
