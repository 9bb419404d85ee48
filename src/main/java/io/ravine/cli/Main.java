package io.ravine.cli;

import io.ravine.InvalidInputException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code java -jar ravine.jar}. */
@Command(name = "ravine", mixinStandardHelpOptions = true, version = "ravine 0.1.0",
        description = "Neural-network trainer and optimization lab for the JVM (CPU and CUDA).",
        subcommands = {TrainCommand.class, GradcheckCommand.class, DiagnoseCommand.class, SelftestCommand.class, LandscapeCommand.class,
                ToyCommand.class, StudyCommand.class, SweepCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit status for bad input (flags, files, data). */
    public static final int EXIT_BAD_INPUT = 2;
    /** Exit status for a run stopped by a NaN/Inf loss, or a failed check. */
    public static final int EXIT_FAILED = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try: ravine train)");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns the exit status (tests call this instead of main). */
    public static int execute(String... args) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        CommandLine cli = new CommandLine(new Main());
        cli.setParameterExceptionHandler((ex, a) -> {
            System.err.println("ravine: " + ex.getMessage());
            return EXIT_BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            Throwable cause = ex;
            while (!(cause instanceof InvalidInputException) && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof InvalidInputException bad) {
                System.err.println("ravine: " + bad.getMessage());
                if (verbose) {
                    ex.printStackTrace();
                }
                return EXIT_BAD_INPUT;
            }
            if (ex instanceof java.io.UncheckedIOException || ex instanceof java.io.IOException) {
                System.err.println("ravine: " + ex.getMessage() + (ex.getCause() != null
                        ? ": " + ex.getCause().getMessage() : ""));
                if (verbose) {
                    ex.printStackTrace();
                }
                return EXIT_BAD_INPUT;
            }
            throw ex;
        });
        return cli.execute(args);
    }
}
