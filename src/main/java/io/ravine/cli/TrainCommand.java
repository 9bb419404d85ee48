package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.Devices;
import io.ravine.data.Dataset;
import io.ravine.diagnose.Curvature;
import io.ravine.nn.Model;
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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ravine train}: trains an MLP and writes a run directory. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a multilayer perceptron; writes config.json, metrics.csv, checkpoints and summary.json.")
public final class TrainCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    TrainingFlags flags = new TrainingFlags();

    @Option(names = "--run-dir", description = "where the run is written (default runs/train-DATE-TIME)")
    Path runDir;

    @Option(names = "--resume", description = "continue the run in RUN_DIR from its latest checkpoint")
    Path resume;

    @Option(names = "--progress", description = "auto (default: only on a terminal), on, off")
    String progress = "auto";

    @Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() {
        TrainConfig config;
        Path dir;
        if (resume != null) {
            TrainConfig saved = RunDirectories.readConfig(resume);
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
            dir = resume;
        } else {
            config = buildConfig();
            dir = runDir != null ? runDir : Path.of("runs", "train-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        try (Backend backend = Devices.open(config.device(), config.tf32(), config.threads());
                Trainer trainer = new Trainer(config, backend)) {
            trainer.optRunDirectory(dir).optCurvatureProbe(TrainCommand::curvature);
            if (!progress.equals("auto")) {
                trainer.optProgressBar(progress.equals("on"));
            }
            TrainingResult r = resume != null ? trainer.resumeFrom(RunDirectories.latestCheckpoint(resume))
                    : trainer.fit();
            if (r.diverged()) {
                RunReport.write(dir);
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
            RunReport.write(dir);
            System.out.println("run directory: " + dir + " (report.html)");
            return 0;
        }
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
