package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.Devices;
import io.ravine.diagnose.Curvature;
import io.ravine.io.OutputDirectories;
import io.ravine.train.Divergence;
import io.ravine.train.ResumeCheck;
import io.ravine.train.RunDirectories;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import io.ravine.train.TrainingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ravine train}: trains an MLP and writes a run directory. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a multilayer perceptron; writes config.json, metrics.csv, checkpoints and summary.json.")
public final class TrainCommand implements Callable<Integer>, GroupedHelp {
    /** train --help's sections. */
    static final Map<String, List<String>> HELP_SECTIONS = GroupedHelp.sections(
            "Data", List.of("--data", "--test-data", "--limit", "--normalize", "--subset"),
            "Model", List.of("--hidden", "--activation", "--batch-norm", "--loss", "--init", "--bias-init"),
            "Optimizer", List.of("--optimizer", "--lr", "--momentum", "--beta1", "--beta2", "--eps", "--gamma",
                    "--weight-decay", "--clip-norm", "--ema"),
            "Second-order optimizers (lbfgs, newton-cg)", List.of("--max-iter", "--max-eval", "--tolerance-grad",
                    "--tolerance-change", "--history-size", "--line-search", "--curvature", "--damping",
                    "--cg-max-iter", "--curvature-batch"),
            "Schedule", List.of("--schedule", "--batch-size", "--epochs", "--steps", "--seed"),
            "Run directory & checkpoints", List.of("--run-dir", "--resume", "--checkpoint", "--overwrite",
                    "--save-initial", "--checkpoint-every"),
            "Diagnostics", List.of("--log-every", "--eval-every", "--diagnose-every", "--histogram-every",
                    "--progress"),
            "Device", List.of("--device", "--threads", "--cuda-graph", "--tf32"));

    @Override
    public Map<String, List<String>> helpSections() {
        return HELP_SECTIONS;
    }

    /** How long a signal waits for the step in progress and its checkpoint before the JVM exits anyway. */
    private static final long SIGNAL_GRACE_SECONDS = 60;
    /** Exit status of a run ended by a signal (as a shell reports SIGTERM: 128 + 15). */
    static final int EXIT_INTERRUPTED = 143;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    TrainingFlags flags = new TrainingFlags();

    @CommandLine.Mixin
    LearningRateFlag learningRate = new LearningRateFlag();

    @Option(names = "--run-dir", paramLabel = "DIR", description = "where the run is written (default"
            + " runs/train-DATE-TIME); with --resume, the run to continue")
    Path runDir;

    @Option(names = "--resume", description = "continue the run in --run-dir from its latest checkpoint (or the one"
            + " --checkpoint names), bit-identically on the CPU")
    boolean resume;

    @Option(names = "--checkpoint", paramLabel = "NAME", description = "with --resume: the checkpoint to continue"
            + " from, a name in RUN_DIR/checkpoints (final, step-00000100, …; default the latest)")
    String checkpoint;

    @CommandLine.Mixin
    ProgressFlag progress = new ProgressFlag();

    @Option(names = "--histogram-every", paramLabel = "N", description = "every N steps, each layer's weights,"
            + " biases and gradients (statistics and histograms) and its update-to-parameter ratio, into layers.csv,"
            + " TensorBoard and the report (default: at every logging step; 0 = none); not part of the run's"
            + " configuration, so it may change on resume")
    Integer histogramEvery;

    @Option(names = "--overwrite", description = "replace a --run-dir that already holds files, whole: the old"
            + " directory is moved aside and removed once the new run has started")
    boolean overwrite;

    @Override
    public Integer call() {
        TrainConfig config;
        Path dir;
        RunDirectories.ResumePoint resumePoint = null;
        TrainConfig saved = null;
        if (checkpoint != null && !resume) {
            throw new InvalidInputException("--checkpoint " + checkpoint + " names the checkpoint a resumed run"
                    + " continues from: give it with --resume --run-dir DIR");
        }
        if (resume) {
            if (runDir == null) {
                throw new InvalidInputException("--resume continues the run in --run-dir: give --run-dir DIR (the"
                        + " run to continue)");
            }
            if (overwrite) {
                throw new InvalidInputException("--overwrite and --resume do not go together (--resume continues the"
                        + " run in its directory; --overwrite replaces a run with a new one)");
            }
            // --run-dir is read as a run first (a file there is "not a directory", not taken for a checkpoint).
            RunDirectories.readConfig(runDir);
            resumePoint = RunDirectories.resumePoint(checkpoint == null ? runDir : namedCheckpoint(runDir,
                    checkpoint));
            dir = resumePoint.runDir();
            saved = RunDirectories.readConfig(dir);
            if (saved.learningRateTracker() != null) {
                throw new InvalidInputException("--run-dir " + runDir + ": the run was trained from Java with the"
                        + " learning-rate Tracker '" + saved.learningRateTracker() + "', which the CLI cannot rebuild;"
                        + " resume it from Java with the same Tracker (TrainConfig.Builder.optLearningRateTracker,"
                        + " then Trainer.resume())");
            }
            TrainConfig given = buildConfig();
            // Only the flags given are compared: a flag left at its default says nothing about the run.
            Set<String> named = TrainingFlags.givenSettings(spec.commandLine().getParseResult());
            List<ResumeCheck.Difference> changed = ResumeCheck.differences(saved, given, named);
            if (!changed.isEmpty()) {
                throw new InvalidInputException("--run-dir " + runDir + ": the run was trained with other settings: "
                        + TrainingFlags.describe(changed) + "; on resume only " + TrainingFlags.flagsThatMayChange()
                        + ", --progress and --histogram-every may change (start a new run in another --run-dir to"
                        + " change the others)");
            }
            config = ResumeCheck.withChanges(saved, given, named);
        } else {
            config = buildConfig();
            dir = runDir;
            if (runDir != null && Files.isDirectory(runDir) && !overwrite && !OutputDirectories.isEmpty(runDir)) {
                throw new InvalidInputException("--run-dir " + runDir + ": already holds files ("
                        + OutputDirectories.describe(OutputDirectories.contents(runDir)) + "); a run directory"
                        + " belongs to one run: continue that run with --resume --run-dir " + runDir + ", or replace it"
                        + " with --overwrite");
            }
        }
        // The automatic name (runs/train-DATE-TIME, or -2, -3, … when taken) is created when the run starts.
        Path automatic = Path.of("runs", "train-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        // Before loading data or allocating: a run that cannot write its directory should say so first.
        String flag = "--run-dir";
        Path parent = dir == null ? null : dir.toAbsolutePath().normalize().getParent();
        if (overwrite && parent != null && Files.isDirectory(dir)) {
            // Replacing renames the directory and creates it again: both happen in its parent.
            RunDirectoryCheck.requireWritable(parent, flag);
        }
        RunDirectoryCheck.requireWritable(dir != null ? dir : automatic, flag);
        try (Backend backend = Devices.open(config.device(), config.tf32(), config.threads());
                Trainer trainer = new Trainer(config, backend)) {
            if (resumePoint != null) {
                ResumeCheck.Progress progress = ResumeCheck.progress(dir);
                // A checkpoint past the end of its own run is damaged or another run's, not steps done.
                ResumeCheck.requireWithinRun(progress, ResumeCheck.lengthInSteps(saved, trainer.stepsPerEpoch()));
                if (progress.doneSteps() > trainer.totalSteps()) {
                    throw shorterThanDone(dir, progress.doneSteps(), trainer.totalSteps());
                }
                Optional<TrainingResult> done = ResumeCheck.finished(dir, progress, trainer.totalSteps(),
                        resumePoint.checkpoint());
                if (done.isPresent()) {
                    // A retried job, say: the run is there, whole; nothing is written.
                    print(done.get());
                    System.out.println("run directory: " + dir + " (complete: nothing to do; a larger --steps or"
                            + " --epochs extends it)");
                    return 0;
                }
            } else if (dir == null) {
                dir = OutputDirectories.createFresh(automatic.getParent(), automatic.getFileName().toString());
            }
            trainer.optRunDirectory(dir).optOverwrite(overwrite).optCurvatureProbe(Curvature::probe);
            // The words as given, for run.json and the report's header (the root's: the subcommand's name included).
            List<String> words = new java.util.ArrayList<>(List.of("ravine"));
            words.addAll(spec.root().commandLine().getParseResult().originalArgs());
            trainer.optCommandLine(words);
            progress.choice().ifPresent(trainer::optProgressBar);
            if (histogramEvery != null) {
                trainer.optHistogramEvery(histogramEvery);
            }
            TrainingResult r;
            // SIGTERM (a scheduler's preemption, kill) and Ctrl-C: the JVM runs this hook while the training thread
            // goes on; the trainer ends after the step in progress and writes a checkpoint of it, and the hook
            // holds the JVM open until that is on disk. SIGKILL cannot be caught; the periodic checkpoints and
            // atomic writes cover it.
            CountDownLatch written = new CountDownLatch(1);
            Thread onSignal = new Thread(() -> {
                trainer.requestInterrupt();
                try {
                    written.await(SIGNAL_GRACE_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "ravine-interrupt");
            Runtime.getRuntime().addShutdownHook(onSignal);
            try {
                if (resumePoint == null) {
                    r = trainer.fit();
                } else if (resumePoint.checkpoint() != null) {
                    r = trainer.resumeFrom(resumePoint.checkpoint());
                } else {
                    r = trainer.resume(); // killed before its first checkpoint: starts it again from step 0
                }
                if (r.interrupted()) {
                    System.err.println("ravine: interrupted after step " + r.steps() + "; checkpoint "
                            + r.lastGoodCheckpoint() + " written; continue with: ravine train --resume --run-dir "
                            + dir);
                    return EXIT_INTERRUPTED;
                }
            } finally {
                written.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(onSignal);
                } catch (IllegalStateException shuttingDown) {
                    // The JVM is already shutting down (the hook is running): nothing to remove.
                }
            }
            // report.html is the trainer's (HtmlRunReporter), written once the run's results are on disk.
            if (r.diverged()) {
                // The curve doctor's form: problem: evidence; workaround.
                System.err.println("ravine: instability: " + r.divergence().evidence() + "; "
                        + Divergence.WORKAROUND + " (last good checkpoint: "
                        + (r.lastGoodCheckpoint() == null ? "none" : r.lastGoodCheckpoint()) + ")");
                return Main.EXIT_FAILED;
            }
            print(r);
            System.out.println("run directory: " + dir + " (report.html)");
            return 0;
        }
    }

    private static void print(TrainingResult r) {
        // Training accuracy (on the monitoring subset) beside the training loss, as the report shows them.
        String trainAccuracy = Double.isFinite(r.finalTrainAccuracy())
                ? String.format(Locale.ROOT, " (accuracy %.4f)", r.finalTrainAccuracy()) : "";
        System.out.printf(Locale.ROOT, "test accuracy %.4f, test loss %.4f, train loss %.4f%s, %d steps,"
                + " %.0f samples/s on %s%n", r.testAccuracy(), r.testLoss(), r.finalTrainLoss(), trainAccuracy,
                r.steps(), r.samplesPerSecond(), r.device());
        if (!Double.isNaN(r.emaTestLoss())) {
            System.out.printf(Locale.ROOT, "iterate average: test accuracy %.4f, test loss %.4f%n",
                    r.emaTestAccuracy(), r.emaTestLoss());
        }
    }

    /** The one line for a resume whose --steps or --epochs would end the run before the steps it has done. */
    private InvalidInputException shorterThanDone(Path dir, long done, long total) {
        String length = matched("--steps") ? "--steps " + flags.steps
                : matched("--epochs") ? "--epochs " + flags.epochs + " (" + total + " steps)"
                : "--run-dir " + runDir + " (" + total + " steps in its config.json)";
        return new InvalidInputException(length + ": the run in " + dir + " has already done " + done + " steps;"
                + " resuming cannot shorten a run (give --steps " + done + " or more, or start a new run in"
                + " another --run-dir)");
    }

    private boolean matched(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    TrainConfig buildConfig() {
        progress.check();
        if (histogramEvery != null && histogramEvery < 0) {
            throw new InvalidInputException("--histogram-every must be ≥ 0 (0 = no histograms), got "
                    + histogramEvery);
        }
        TrainConfig.Builder b = flags.builder();
        if (learningRate.lr != null) {
            b.optLearningRate(learningRate.lr);
        }
        return b.build();
    }

    /**
     * {@code --checkpoint NAME} of a resume: the file RUN_DIR/checkpoints/NAME(.safetensors).
     */
    private static Path namedCheckpoint(Path runDir, String name) {
        try {
            return DiagnoseCommand.resolveCheckpoint(runDir, name);
        } catch (InvalidInputException e) {
            throw new InvalidInputException("--checkpoint " + name + ": " + e.getMessage(), e);
        }
    }
}
