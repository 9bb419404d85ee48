package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.Devices;
import io.ravine.data.Dataset;
import io.ravine.diagnose.Curvature;
import io.ravine.nn.Model;
import io.ravine.report.ReportFiles;
import io.ravine.report.RunReport;
import io.ravine.train.CurvatureProbe;
import io.ravine.train.Divergence;
import io.ravine.train.RunDirectories;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import io.ravine.train.TrainingResult;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ravine train}: trains an MLP and writes a run directory. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a multilayer perceptron; writes config.json, metrics.csv, checkpoints and summary.json.")
public final class TrainCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(TrainCommand.class);
    /** How long a signal waits for the step in progress and its checkpoint before the JVM exits anyway. */
    private static final long SIGNAL_GRACE_SECONDS = 60;
    /** Exit status of a run ended by a signal (as a shell reports SIGTERM: 128 + 15). */
    static final int EXIT_INTERRUPTED = 143;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    TrainingFlags flags = new TrainingFlags();

    @Option(names = "--run-dir", description = "where the run is written (default runs/train-DATE-TIME)")
    Path runDir;

    @Option(names = "--resume", description = "continue a run: RUN_DIR (from its latest checkpoint) or"
            + " RUN_DIR/checkpoints/NAME.safetensors (from that one)")
    Path resume;

    @Option(names = "--progress", description = "auto (default: only on a terminal), on, off")
    String progress = "auto";

    @Override
    public Integer call() {
        TrainConfig config;
        Path dir;
        RunDirectories.ResumePoint resumePoint = null;
        if (resume != null) {
            if (runDir != null) {
                throw new InvalidInputException("--run-dir and --resume do not go together (a resumed run continues"
                        + " in its own directory)");
            }
            resumePoint = RunDirectories.resumePoint(resume);
            TrainConfig saved = RunDirectories.readConfig(resumePoint.runDir());
            TrainConfig.Builder b = saved.toBuilder();
            // Only the length of the run and the device may change on resume; the rest defines the run.
            if (matched("--epochs")) {
                b.optEpochs(flags.epochs).optSteps(0);
            }
            if (matched("--steps")) {
                b.optSteps(flags.steps);
            }
            if (matched("--device")) {
                b.optDevice(flags.device);
            }
            config = b.build();
            dir = resumePoint.runDir();
        } else {
            config = buildConfig();
            dir = runDir != null ? runDir : Path.of("runs", "train-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        // Before loading data or allocating: a run that cannot write its directory should say so first.
        RunDirectoryCheck.requireWritable(dir, resume != null ? "--resume" : "--run-dir");
        try (Backend backend = Devices.open(config.device(), config.tf32(), config.threads());
                Trainer trainer = new Trainer(config, backend)) {
            trainer.optRunDirectory(dir).optCurvatureProbe(TrainCommand::curvature);
            if (!progress.equals("auto")) {
                trainer.optProgressBar(progress.equals("on"));
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
                if (resumePoint != null && resumePoint.checkpoint() != null) {
                    r = trainer.resumeFrom(resumePoint.checkpoint());
                } else {
                    if (resumePoint != null) {
                        // Killed before its first checkpoint: nothing to lose, and the same seed gives the same run.
                        LOG.warn("{} has no checkpoint yet (the run stopped before its first one): starting it"
                                + " again from step 0", dir);
                    }
                    r = trainer.fit();
                }
                if (r.interrupted()) {
                    System.err.println("ravine: interrupted after step " + r.steps() + "; checkpoint "
                            + r.lastGoodCheckpoint() + " written; continue with: ravine train --resume " + dir);
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
            if (r.diverged()) {
                writeReport(dir);
                // The curve doctor's form: problem: evidence; workaround.
                System.err.println("ravine: instability: " + r.divergence().evidence() + "; "
                        + Divergence.WORKAROUND + " (last good checkpoint: "
                        + (r.lastGoodCheckpoint() == null ? "none" : r.lastGoodCheckpoint()) + ")");
                return Main.EXIT_FAILED;
            }
            System.out.printf(Locale.ROOT, "test accuracy %.4f, test loss %.4f, train loss %.4f, %d steps,"
                    + " %.0f samples/s on %s%n", r.testAccuracy(), r.testLoss(), r.finalTrainLoss(), r.steps(),
                    r.samplesPerSecond(), r.device());
            if (!Double.isNaN(r.emaTestLoss())) {
                System.out.printf(Locale.ROOT, "iterate average: test accuracy %.4f, test loss %.4f%n",
                        r.emaTestAccuracy(), r.emaTestLoss());
            }
            writeReport(dir);
            System.out.println("run directory: " + dir + " (report.html)");
            return 0;
        }
    }

    /** report.html and its charts: after the results are on disk, and never a reason to lose the run. */
    private static void writeReport(Path dir) {
        ReportFiles.bestEffort(dir.resolve("report.html"), () -> RunReport.write(dir));
    }

    private static CurvatureProbe.Measurement curvature(Model model, Dataset subset, int capacity) {
        Curvature.AlongGradient c = Curvature.alongGradient(model, subset, capacity);
        return new CurvatureProbe.Measurement(c.gradientNorm(), c.gHg(), c.optimalStep());
    }

    private boolean matched(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    TrainConfig buildConfig() {
        if (!progress.equals("auto") && !progress.equals("on") && !progress.equals("off")) {
            throw new InvalidInputException("--progress must be auto, on or off");
        }
        return flags.builder().build();
    }
}
