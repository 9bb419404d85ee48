package io.ravine.spark;

import io.ravine.cli.Main;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point for {@code spark-submit}: {@code sweep lr} and {@code study batch-size} (its steps and noise parts)
 * with the local commands' flags and output files, each trial a Spark task.
 *
 * <pre>
 * spark-submit --class io.ravine.spark.SparkMain --master spark://host:7077 ravine-spark.jar \
 *     sweep lr --hidden 64 --steps 300 --restarts 2 --device cpu --threads 1 --run-dir file:///shared/sweeps/lr
 * </pre>
 *
 * <p>The subcommands take the local commands' option classes as mixins ({@link io.ravine.cli.SweepCommand.LearningRate},
 * {@link io.ravine.cli.StudyCommand.BatchSize}), so every flag, default and check is theirs; the output directory may
 * also be given as a Hadoop filesystem URI such as {@code hdfs:///user/alice/sweeps/lr} ({@link RunDirUri}).
 */
@Command(name = "ravine-spark", mixinStandardHelpOptions = true,
        description = "Ravine's sweep lr and study batch-size on Apache Spark: each trial a Spark task.",
        subcommands = {SparkMain.Sweep.class, SparkMain.Study.class, CommandLine.HelpCommand.class})
public final class SparkMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The output directories this command line gave as URIs, and the local directories that stand for them. */
    final RunDirUri.Mirrors mirrors = new RunDirUri.Mirrors();

    @CommandLine.Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "print stack traces of errors")
    boolean verbose;

    @CommandLine.Option(names = {"-q", "--quiet"}, scope = CommandLine.ScopeType.INHERIT,
            description = "print only results and errors")
    boolean quiet;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing command (try: sweep lr, or study batch-size)");
    }

    /** {@code sweep}: only {@code sweep lr}. */
    @Command(name = "sweep", description = "Hyper-parameter sweeps on Spark.", subcommands = {SparkSweep.class})
    static final class Sweep implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing sweep (try: sweep lr)");
        }
    }

    /** {@code study}: only {@code study batch-size}. */
    @Command(name = "study", description = "Studies on Spark.", subcommands = {SparkStudy.class})
    static final class Study implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "missing study (try: study batch-size)");
        }
    }

    /**
     * The spark-submit entry point.
     *
     * @param args the command and its flags
     */
    public static void main(String[] args) {
        Main.prepareProcess();
        int status = execute(args);
        System.exit(status);
    }

    /**
     * Runs a command with the CLI's error handling (one line and status 2 for bad input) and returns the exit
     * status. Creates a SparkContext from the configuration spark-submit gives (after the flags and the output
     * directory are checked) and stops it at the end.
     *
     * @param args the command and its flags
     * @return the exit status
     */
    public static int execute(String... args) {
        SparkMain main = new SparkMain();
        try {
            return Main.execute(commandLine(main, Path.of("").toAbsolutePath().toString()), args);
        } finally {
            main.mirrors.delete();
        }
    }

    /**
     * Runs a command on an existing SparkContext, which stays running (tests, notebooks, an application that
     * submits several sweeps).
     *
     * @param sc the context
     * @param args the command and its flags
     * @return the exit status
     */
    public static int execute(org.apache.spark.SparkContext sc, String... args) {
        SparkDriver.GIVEN.set(sc);
        try {
            return execute(args);
        } finally {
            SparkDriver.GIVEN.remove();
        }
    }

    /**
     * A command line for {@code main} whose {@code Path} options resolve relative paths against {@code cwd} (the
     * driver's working directory, also on the executors) and stand a local directory in for a URI ({@link
     * RunDirUri}).
     */
    static CommandLine commandLine(SparkMain main, String cwd) {
        CommandLine cli = new CommandLine(main);
        cli.registerConverter(Path.class, s -> RunDirUri.toPath(s, cwd, main.mirrors));
        return cli;
    }

    /**
     * The {@code --run-dir} of the (sub)command {@code spec} where it was given as a URI, else null. Only
     * {@code --run-dir} may be one: another option whose value was a URI is one line.
     */
    static RunDirUri.Mirror runDir(CommandLine.Model.CommandSpec spec) {
        RunDirUri.Mirrors mirrors = ((SparkMain) spec.root().userObject()).mirrors;
        Path runDir = spec.findOption("--run-dir").getValue();
        for (RunDirUri.Mirror m : mirrors.all()) {
            if (!m.local().equals(runDir)) {
                String option = spec.options().stream().filter(o -> m.local().equals(o.getValue()))
                        .map(CommandLine.Model.OptionSpec::longestName).findFirst().orElse("an option");
                throw new io.ravine.InvalidInputException(option + " " + m.remote() + ": only --run-dir may be a"
                        + " Hadoop filesystem URI; give a path that the driver and every executor see");
            }
        }
        return mirrors.of(runDir);
    }

    /** Deletes the local directories that stood for the URIs of the command line of {@code spec}. */
    static void deleteMirrors(CommandLine.Model.CommandSpec spec) {
        ((SparkMain) spec.root().userObject()).mirrors.delete();
    }

    /**
     * The subcommand object that {@code args} select, parsed as the driver parsed them (in a task: the same command
     * rebuilt from the same arguments).
     */
    static <T> T parse(String[] args, String cwd, Class<T> type) {
        CommandLine.ParseResult parsed = commandLine(new SparkMain(), cwd).parseArgs(args);
        while (parsed.hasSubcommand()) {
            parsed = parsed.subcommand();
        }
        return type.cast(parsed.commandSpec().userObject());
    }
}
