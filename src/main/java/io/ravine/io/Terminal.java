package io.ravine.io;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether the process's standard error is a terminal, and how wide it is. A progress line belongs on a terminal only:
 * in a log file or a pipe every redraw would be kept. {@code System.console() != null} answers another question (stdin
 * and stdout are terminals, in Java 17; from Java 22 a console exists even when both are redirected), so stderr's file
 * descriptor is looked up in {@code /proc/self/fd/2} (Linux), and elsewhere the console stands in.
 */
public final class Terminal {
    /** The width assumed where {@code COLUMNS} does not say (a JVM cannot ask the terminal without native code). */
    public static final int DEFAULT_COLUMNS = 80;

    private Terminal() {
    }

    /**
     * Whether standard error is a terminal ({@code /dev/pts/N}, {@code /dev/ttyN}) and {@code TERM} is not "dumb".
     *
     * @return true on an interactive terminal
     */
    public static boolean stderrIsTerminal() {
        if ("dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        Path fd = Path.of("/proc/self/fd/2");
        try {
            if (Files.isSymbolicLink(fd)) {
                return isTerminalDevice(Files.readSymbolicLink(fd).toString());
            }
        } catch (java.io.IOException | RuntimeException e) {
            // fall through: no /proc (not Linux)
        }
        return System.console() != null;
    }

    /** Whether a device path names a terminal. */
    static boolean isTerminalDevice(String target) {
        return target.startsWith("/dev/pts/") || target.matches("/dev/tty[A-Za-z]*\\d*") || target.equals("/dev/console");
    }

    /**
     * The terminal's width: {@code COLUMNS} where the shell exports it, else {@value #DEFAULT_COLUMNS}.
     *
     * @return columns, at least 20
     */
    public static int columns() {
        String c = System.getenv("COLUMNS");
        try {
            return c == null ? DEFAULT_COLUMNS : Math.max(20, Integer.parseInt(c.strip()));
        } catch (NumberFormatException e) {
            return DEFAULT_COLUMNS;
        }
    }
}
