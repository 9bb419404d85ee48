package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.InvalidSettingException;
import io.ravine.backend.Devices;
import io.ravine.report.ReportFiles;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code java -jar ravine.jar}. */
@Command(name = "ravine", mixinStandardHelpOptions = true, versionProvider = VersionInfo.class,
        description = "Neural-network trainer and optimization lab for the JVM (CPU and CUDA).",
        subcommands = {TrainCommand.class, GradcheckCommand.class, DiagnoseCommand.class, SelftestCommand.class, LandscapeCommand.class,
                ToyCommand.class, StudyCommand.class, SweepCommand.class, BenchCommand.class, ExportCommand.class,
                PredictCommand.class, EvaluateCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit status for bad input (flags, files, data). */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit status for a run stopped by a NaN/Inf loss or gradient, a failed check, a GPU error or a bug. */
    public static final int EXIT_FAILED = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Declared once and inherited by every subcommand; {@link #execute} reads it from the arguments. */
    @CommandLine.Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "print stack traces of errors")
    boolean verbose;

    /** Declared once and inherited: only results (stdout) and errors; no log lines below ERROR, no progress line. */
    @CommandLine.Option(names = {"-q", "--quiet"}, scope = CommandLine.ScopeType.INHERIT,
            description = "print only results and errors (no progress line, no log lines below ERROR)")
    boolean quiet;

    /** Whether the command running now was given {@code --quiet} (read by {@link ProgressFlag}). */
    private static volatile boolean quietRun;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try: ravine train)");
    }

    public static void main(String[] args) {
        prepareProcess();
        System.exit(execute(args));
    }

    /** What a process running Ravine's commands sets first (this CLI's main, the Spark module's entry point). */
    public static void prepareProcess() {
        // Charts are drawn into images, never onto a screen: headless AWT needs no X11 libraries or display, even
        // where DISPLAY is set (an ssh -X session on a GPU host).
        System.setProperty("java.awt.headless", "true");
        // μ, β, ε, ‖g‖ and θ are part of Ravine's messages and help: UTF-8 whatever the locale (Java 17 would encode
        // them as '?' under LANG=C). stdout stays buffered until a line ends, as System.out is.
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
    }

    /** Runs the CLI and returns the exit status (tests call this instead of main). */
    public static int execute(String... args) {
        return execute(new CommandLine(new Main()), args);
    }

    /**
     * Runs {@code cli} with Ravine's error handling: bad input is one line and status 2, a failure one line and
     * status 3 (tests give it a command of their own that fails on purpose; the Spark module its own root command
     * around the same subcommands). The root command should declare {@code --verbose} and {@code --quiet}, as
     * {@link Main} does.
     */
    public static int execute(CommandLine cli, String... args) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        boolean quiet = java.util.Arrays.asList(args).contains("--quiet") || java.util.Arrays.asList(args).contains("-q");
        ReportFiles.configure(verbose);
        // picocli's help and messages through the streams of this moment (UTF-8 in main; a test's captured ones).
        cli.setOut(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true));
        cli.setErr(new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true));
        everyCommand(cli, c -> {
            c.getCommandSpec().versionProvider(new VersionInfo());
            if (c.getCommand() instanceof GroupedHelp g) {
                GroupedHelp.install(c, g.helpSections());
            }
        });
        cli.setParameterExceptionHandler((ex, a) -> {
            // A typo is the cause even where picocli reports something else first ("--run-dri x": a missing
            // --run-dir): the first unmatched argument is named, with the nearest name.
            List<String> unmatched = ex.getCommandLine().getUnmatchedArguments();
            String message = ex instanceof CommandLine.UnmatchedArgumentException u ? Suggestions.unmatched(u, a)
                    : !unmatched.isEmpty() ? Suggestions.unmatched(new CommandLine.UnmatchedArgumentException(
                            ex.getCommandLine(), unmatched), a) : ex.getMessage();
            System.err.println("ravine: " + oneLine(message));
            if (verbose) {
                ex.printStackTrace();
            }
            return EXIT_BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            Throwable cause = ex;
            while (!(cause instanceof InvalidInputException) && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof InvalidInputException bad) {
                return badInput(inFlags(bad), ex, verbose);
            }
            if (ex instanceof UncheckedIOException || ex instanceof IOException) {
                // "cannot write the run directory X" plus why, in words (an exception's message is often the path).
                Throwable io = ex instanceof UncheckedIOException u ? u.getCause() : ex;
                String what = ex instanceof UncheckedIOException ? ex.getMessage() + ": " : "";
                return badInput(what + describe(io), ex, verbose);
            }
            // A GPU that failed during the run (the run directory keeps its last checkpoint, written atomically), or
            // a bug: one line either way, the trace with --verbose.
            String failure = Devices.describeDeviceFailure(ex).orElseGet(() -> "internal error: "
                    + ex.getClass().getName() + (ex.getMessage() != null ? ": " + ex.getMessage() : "")
                    + " (run with --verbose for the stack trace)");
            System.err.println("ravine: " + oneLine(failure));
            if (verbose) {
                ex.printStackTrace();
            }
            return EXIT_FAILED;
        });
        quietRun = quiet;
        LogLevels quieted = quiet ? LogLevels.errorsOnly() : LogLevels.unchanged();
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // Thrown where an array is refused, before it exists; its would-be contents are garbage, so the JVM can
            // still print and exit. Sizes are checked earlier where they are known; this is the net under them.
            return badInput("out of memory (" + e.getMessage() + "): the model, the batch or the data is too large"
                    + " for this JVM's heap; try a smaller --hidden or --batch-size, or raise the heap (-Xmx)", e,
                    verbose);
        } finally {
            cli.getOut().flush();
            cli.getErr().flush();
            quieted.restore();
            quietRun = false;
        }
    }

    /**
     * The command line as given, {@code ravine} then the root's words (the subcommands' names included), for the
     * header of the page a command writes (run.json, invocations.json).
     */
    static List<String> words(CommandLine.Model.CommandSpec spec) {
        List<String> words = new java.util.ArrayList<>(List.of("ravine"));
        words.addAll(spec.root().commandLine().getParseResult().originalArgs());
        return words;
    }

    /** Whether the command running now was given {@code --quiet}. */
    static boolean quiet() {
        return quietRun;
    }

    private static void everyCommand(CommandLine cli, java.util.function.Consumer<CommandLine> action) {
        action.accept(cli);
        for (CommandLine sub : cli.getSubcommands().values()) {
            everyCommand(sub, action);
        }
    }

    /**
     * The message of {@code bad} as the CLI says it: a library message about settings names each setting by its flag
     * ({@code learningRate} → {@code --lr}, through {@link TrainingFlags}' one table); any other message as it is.
     */
    static String inFlags(InvalidInputException bad) {
        return bad instanceof InvalidSettingException s ? s.messageNaming(TrainingFlags::flagOf) : bad.getMessage();
    }

    private static int badInput(String message, Throwable trace, boolean verbose) {
        System.err.println("ravine: " + oneLine(message));
        if (verbose) {
            trace.printStackTrace();
        }
        return EXIT_BAD_INPUT;
    }

    /**
     * An I/O failure in words: the file and the reason. Java's {@link FileSystemException}s carry the path as their
     * message ("/a/b") and the reason only in their type or {@link FileSystemException#getReason()}.
     */
    static String describe(Throwable e) {
        if (e instanceof FileSystemException fs) {
            String reason = fs.getReason();
            if (reason == null) {
                reason = fs instanceof AccessDeniedException ? "permission denied"
                        : fs instanceof NoSuchFileException ? "no such file or directory"
                        : fs instanceof FileAlreadyExistsException ? "already exists"
                        : fs instanceof NotDirectoryException ? "not a directory"
                        : fs instanceof DirectoryNotEmptyException ? "directory not empty"
                        : e.getClass().getSimpleName();
            }
            String file = fs.getFile() != null ? fs.getFile() : "";
            return file + (fs.getOtherFile() != null ? " -> " + fs.getOtherFile() : "") + ": " + reason;
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }
}
