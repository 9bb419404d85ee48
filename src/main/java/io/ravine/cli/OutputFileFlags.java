package io.ravine.cli;

import io.ravine.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --out FILE} and {@code --overwrite} of the commands that write one file from a model ({@code predict},
 * {@code export}): the file is checked before anything is computed: not one of the inputs, absent unless
 * {@code --overwrite}, and in a directory that accepts files. {@code bench}, whose {@code --out} is optional, declares
 * its own two flags with the same meaning and the same {@link #check(Path, boolean, Path...)}.
 */
final class OutputFileFlags {
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "the file to write")
    Path out;

    @Option(names = "--overwrite", description = "replace --out if it exists")
    boolean overwrite;

    /** Throws one line naming {@code --out} unless the file may be written; {@code inputs} are the files read. */
    void check(Path... inputs) {
        check(out, overwrite, inputs);
    }

    /** As {@link #check(Path...)} for the file {@code out} of a command's {@code --out} and its --overwrite. */
    static void check(Path out, boolean overwrite, Path... inputs) {
        for (Path input : inputs) {
            if (sameFile(out, input)) {
                throw new InvalidInputException("--out " + out + " is the input " + input + "; write to another file");
            }
        }
        if (!overwrite && Files.exists(out, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(out)) {
            throw new InvalidInputException("--out " + out + " already exists: replace it with --overwrite, or choose"
                    + " another file");
        }
        OutputCheck.requireWritableFile("--out", out);
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            if (Files.exists(a) && Files.exists(b)) {
                return Files.isSameFile(a, b);
            }
        } catch (IOException e) {
            // Unreadable: fall through to comparing the paths.
        }
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }
}
