package io.ravine.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs the CLI in-process and captures what it prints (used by the CLI tests of every package). */
public final class CliTestSupport {
    public record Result(int status, String out, String err) {
        /** The lines the CLI itself wrote as errors (log lines are timestamped, so they do not start this way). */
        public java.util.List<String> errorLines() {
            return err.lines().filter(l -> l.startsWith("ravine:")).toList();
        }
    }

    private CliTestSupport() {
    }

    public static Result run(String... args) {
        return run(() -> new CommandLine(new Main()), args);
    }

    public static Result run(CommandLine cli, String... args) {
        return run(() -> cli, args);
    }

    /**
     * Runs {@code cli} through Main's error handling (a stand-in command, say) and captures what it prints, with
     * Ravine's loggers at INFO as a user's run has them (the test configuration is WARN; the captured lines never
     * reach Maven's output).
     */
    private static synchronized Result run(java.util.function.Supplier<CommandLine> command, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ch.qos.logback.classic.Logger ravine = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                "io.ravine");
        ch.qos.logback.classic.Level oldLevel = ravine.getLevel();
        ravine.setLevel(ch.qos.logback.classic.Level.INFO);
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            // Made once the streams are captured: picocli prints --version and --help to the System.out of the
            // moment the CommandLine was made, not to its setOut writer.
            int status = Main.execute(command.get(), args);
            return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            ravine.setLevel(oldLevel);
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** A copy of the tree {@code from} (hidden files included) at {@code to}; returns {@code to}. */
    public static java.nio.file.Path copyTree(java.nio.file.Path from, java.nio.file.Path to) throws java.io.IOException {
        try (java.util.stream.Stream<java.nio.file.Path> all = java.nio.file.Files.walk(from)) {
            for (java.nio.file.Path p : all.toList()) {
                java.nio.file.Path t = to.resolve(from.relativize(p).toString());
                if (java.nio.file.Files.isDirectory(p)) {
                    java.nio.file.Files.createDirectories(t);
                } else {
                    java.nio.file.Files.copy(p, t);
                }
            }
        }
        return to;
    }
}
