package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.Devices;
import io.ravine.study.LearningRateSweep;
import io.ravine.train.TrainConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ravine sweep}: hyper-parameter sweeps; {@code sweep lr} for now. */
@Command(name = "sweep", mixinStandardHelpOptions = true, description = "Hyper-parameter sweeps.",
        subcommands = {SweepCommand.LearningRate.class})
public final class SweepCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing sweep (try: ravine sweep lr)");
    }

    /**
     * {@code ravine sweep lr}: a learning-rate grid with random restarts. The training flags are {@code ravine train}'s
     * ({@link TrainingFlags}), with the same names, meanings and defaults; {@code --lr} is the grid's list.
     */
    @Command(name = "lr", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Learning-rate grid search with random restarts; each run is a full run directory."
                    + " Rerunning skips finished runs.")
    public static final class LearningRate implements Callable<Integer>, GroupedHelp {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        /** sweep lr --help's sections: the sweep's own flags, then train's sections (the training flags). */
        static final Map<String, List<String>> HELP_SECTIONS = sections();

        private static Map<String, List<String>> sections() {
            Map<String, List<String>> m = new LinkedHashMap<>();
            m.put("Sweep", List.of("--lr", "--restarts", "--select", "--run-dir", "--overwrite", "--progress"));
            // train's sections; its own flags (--resume, --checkpoint, --histogram-every) are not sweep lr's and are
            // left out when the help is drawn, as are the ones placed above.
            m.putAll(TrainCommand.HELP_SECTIONS);
            return Collections.unmodifiableMap(m);
        }

        @Override
        public Map<String, List<String>> helpSections() {
            return HELP_SECTIONS;
        }

        /** The grid (the field keeps its old name, lrs, for the run logic; the flag is --lr). */
        @Option(names = "--lr", paramLabel = "LIST", description = "learning rates of the grid, a comma list"
                + " (default 1,0.3,0.1,0.03,0.01,0.003,0.001,3e-4,1e-4)")
        String lrs;

        @Option(names = "--restarts", description = "seeds per learning rate: --seed, --seed+1, … (default 1)")
        int restarts = 1;

        @Option(names = "--select", description = "what the best run minimises: train_loss (default) or test_loss")
        String select = "train_loss";

        /** The sweep directory (the field keeps its old name, out; the flag is --run-dir). */
        @Option(names = "--run-dir", paramLabel = "DIR", description = "the sweep's directory: one run directory per"
                + " learning rate and seed, sweep.csv and sweep.json (default sweeps/lr)")
        Path out = Path.of("sweeps", "lr");

        @Option(names = "--overwrite", description = "replace --run-dir whole (without it, a rerun resumes this sweep,"
                + " and files that are not its runs, or runs of other settings, are refused)")
        boolean overwrite;

        @CommandLine.Mixin
        TrainingFlags flags = new TrainingFlags();

        @CommandLine.Mixin
        ProgressFlag progress = new ProgressFlag();

        /**
         * The runs' shared configuration from the flags; each run replaces the learning rate and the seed.
         *
         * @return the base configuration
         */
        public TrainConfig baseConfig() {
            progress.check();
            return flags.builder().build();
        }

        static double[] parseRates(String spec) {
            try {
                return Arrays.stream(spec.split(",")).map(String::trim).mapToDouble(Double::parseDouble).toArray();
            } catch (NumberFormatException e) {
                throw new InvalidInputException("--lr '" + spec + "': expected numbers, e.g. 0.1,0.03,0.01");
            }
        }

        /** The sweep directory as the printed results name it; null for --run-dir's path. */
        private String shownAs;

        /**
         * Names the sweep directory {@code location} in the printed results and {@link LearningRateSweep#optLocation
         * in its files}, instead of --run-dir's path: the Spark module writes a directory on a Hadoop filesystem
         * through a local copy, whose path is not where the results are.
         *
         * @param location the directory's URI, without a trailing slash
         */
        public void showDirectoryAs(String location) {
            this.shownAs = location;
        }

        /**
         * The sweep the flags describe, checked (flags, and that the sweep directory can be written) but not run. A
         * runner of its trials elsewhere (the Spark module) builds it from the same flags.
         *
         * @param base {@link #baseConfig()}
         * @return the sweep
         */
        public LearningRateSweep sweep(TrainConfig base) {
            double[] rates = lrs == null ? LearningRateSweep.DEFAULT_LEARNING_RATES : parseRates(lrs);
            LearningRateSweep sweep = new LearningRateSweep(base, rates, restarts, out,
                    select.toLowerCase(Locale.ROOT)).optOverwrite(overwrite).optCommandLine(Main.words(spec))
                    .optLocation(shownAs);
            progress.choice().ifPresent(sweep::optProgressBar);
            OutputCheck.requireWritable("--run-dir", out, "sweep.csv", "sweep.json");
            return sweep;
        }

        @Override
        public Integer call() {
            TrainConfig base = baseConfig();
            LearningRateSweep sweep = sweep(base);
            LearningRateSweep.Result r;
            try (Backend backend = Devices.open(base.device(), base.tf32(), base.threads())) {
                r = sweep.run(backend);
            }
            return report(r);
        }

        /**
         * Prints the runs and the best one on stdout.
         *
         * @param r the sweep's result
         * @return the exit status: 0, or {@link Main#EXIT_FAILED} when every run diverged
         */
        public int report(LearningRateSweep.Result r) {
            System.out.printf(Locale.ROOT, "%-10s %6s %-10s %12s %10s %9s%n", "lr", "seed", "status", "train_loss",
                    "test_loss", "test_acc");
            for (LearningRateSweep.Run run : r.runs()) {
                System.out.printf(Locale.ROOT, "%-10.4g %6d %-10s %12.4f %10.4f %9.4f%n", run.learningRate(),
                        run.seed(), run.status(), run.finalTrainLoss(), run.testLoss(), run.testAccuracy());
            }
            if (r.best() == null) {
                System.out.println("every run diverged: try smaller learning rates");
                return Main.EXIT_FAILED;
            }
            System.out.printf(Locale.ROOT, "best: %s (lr %.4g, seed %d, %s %.4f); sweep directory: %s; report: %s%n",
                    shownAs == null ? r.best().runDir() : shownAs + "/" + r.best().runDir().getFileName(),
                    r.best().learningRate(), r.best().seed(), select,
                    select.equals("train_loss") ? r.best().finalTrainLoss() : r.best().testLoss(),
                    shownAs == null ? out : shownAs, shownAs == null ? out.resolve("report.html")
                    : shownAs + "/report.html");
            return 0;
        }
    }
}
