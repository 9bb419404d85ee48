package io.ravine.cli;

import io.ravine.InvalidInputException;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * {@code --progress auto|on|off}, the same on every command with a progress line (train, study, sweep). auto: on where
 * stderr is a terminal (the library's default); off also under {@code --quiet} unless {@code on} is given.
 */
final class ProgressFlag {
    @Option(names = "--progress", paramLabel = "auto|on|off", description = "a progress line on stderr: auto"
            + " (default: where stderr is a terminal, not under --quiet), on or off")
    String progress = "auto";

    /** Checks the value; call before any work. */
    void check() {
        if (!progress.equals("auto") && !progress.equals("on") && !progress.equals("off")) {
            throw new InvalidInputException("--progress must be auto, on or off, not '" + progress + "'");
        }
    }

    /** On or off where decided here; empty for auto on a command without --quiet (the library decides). */
    Optional<Boolean> choice() {
        check();
        return progress.equals("auto") ? (Main.quiet() ? Optional.of(false) : Optional.empty())
                : Optional.of(progress.equals("on"));
    }
}
