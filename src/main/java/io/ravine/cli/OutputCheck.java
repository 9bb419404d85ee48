package io.ravine.cli;

import io.ravine.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Checks, before a command computes anything expensive, that the files it will write can be written: their directory
 * exists or can be created and accepts a new file ({@link RunDirectoryCheck}'s probe, which holds for root too, where
 * {@code access(2)} says yes to everything, even in {@code /proc}), and each target is absent or a regular file (an
 * atomic write renames over it, which a directory refuses). Nothing is left behind: a directory that does not exist
 * yet is probed in its nearest existing ancestor, not created.
 */
final class OutputCheck {
    private OutputCheck() {
    }

    /**
     * Throws an {@link InvalidInputException} naming {@code what} (the flag, or the flag and path whose directory it
     * is), the path and the problem, unless {@code dir} is, or can become, a directory that accepts new files and each
     * of {@code files} (names inside {@code dir}) is absent or a regular file.
     */
    static void requireWritable(String what, Path dir, String... files) {
        requireDirectory(what + " " + dir, dir);
        for (String name : files) {
            requireReplaceable(what + " " + dir, dir.resolve(name));
        }
    }

    /** As {@link #requireWritable} for one file path given by {@code flag}: its directory, and the file itself. */
    static void requireWritableFile(String flag, Path file) {
        Path abs = file.toAbsolutePath().normalize();
        if (abs.getParent() == null || abs.getFileName() == null) {
            throw new InvalidInputException(flag + " " + file + ": not a file name");
        }
        requireDirectory(flag + " " + file, abs.getParent());
        requireReplaceable(flag + " " + file, abs);
    }

    /** {@link RunDirectoryCheck}'s probe, with {@code what} naming the path the user gave. */
    private static void requireDirectory(String what, Path dir) {
        try {
            RunDirectoryCheck.requireWritable(dir, "");
        } catch (InvalidInputException e) {
            // Its message is " DIR: problem" (flag "" and DIR); the user gave `what`.
            String m = e.getMessage();
            String prefix = " " + dir;
            throw new InvalidInputException(what + (m.startsWith(prefix) ? m.substring(prefix.length()) : ": " + m.trim()),
                    e.getCause());
        }
    }

    private static void requireReplaceable(String what, Path file) {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                && !Files.isSymbolicLink(file)) {
            throw new InvalidInputException(what + ": cannot write " + file + ": it is "
                    + (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS) ? "a directory" : "not a regular file")
                    + " (move it away, or choose another place)");
        }
    }
}
