package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.Devices;
import io.ravine.backend.UpdateRule;
import io.ravine.nn.Mlp;
import io.ravine.study.BatchSizeStudy;
import io.ravine.study.BatchSizeStudyConfig;
import io.ravine.study.BatchSizeStudyResult;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ravine study}: studies that run many updates or trainings; {@code study batch-size} for now. */
@Command(name = "study", mixinStandardHelpOptions = true, description = "Studies over many trials.",
        subcommands = {StudyCommand.BatchSize.class})
public final class StudyCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing study (try: ravine study batch-size)");
    }

    /** {@code ravine study batch-size}. */
    @Command(name = "batch-size", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Hardware saturation per device, steps to a target loss against batch size (learning rate"
                    + " tuned per batch size) and the gradient noise scale. Rerunning the same command skips"
                    + " finished trials.")
    public static final class BatchSize implements Callable<Integer>, GroupedHelp {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        /** study batch-size --help's sections, by part. */
        static final Map<String, List<String>> HELP_SECTIONS = GroupedHelp.sections(
                "Study", List.of("--run-dir", "--overwrite", "--parts", "--progress"),
                "Model", List.of("--hidden", "--activation", "--batch-norm", "--optimizer", "--seed"),
                "Hardware part (time per update against batch size)", List.of("--device", "--threads", "--tf32",
                        "--max-batch", "--batch-sizes", "--inputs", "--classes", "--warmup-steps", "--warmup-seconds",
                        "--timed-steps", "--seconds-per-size"),
                "Training runs (steps and noise parts)", List.of("--data", "--limit", "--subset", "--max-steps"),
                "Steps part (steps to a target loss against batch size)", List.of("--step-batch-sizes",
                        "--target-loss", "--target-metric", "--lr", "--lr-grid", "--check-every"),
                "Noise part (gradient noise scale)", List.of("--noise-batch", "--noise-small", "--noise-big",
                        "--noise-every", "--noise-decay"));

        @Override
        public Map<String, List<String>> helpSections() {
            return HELP_SECTIONS;
        }

        /** The study directory (the field keeps its old name, out; the flag is --run-dir). */
        @Option(names = "--run-dir", paramLabel = "DIR", description = "the study's directory: study-config.json,"
                + " study.csv, the charts and report (default studies/batch-size)")
        Path out = Path.of("studies", "batch-size");

        @Option(names = "--overwrite", description = "replace --run-dir whole (without it, a rerun resumes this study,"
                + " and another study's settings or files that are not a study's are refused)")
        boolean overwrite;

        @Option(names = "--parts", description = "hardware,steps,noise (default all three)")
        String parts = "hardware,steps,noise";

        @Option(names = "--device", paramLabel = "LIST", description = "auto (default: cpu, plus cuda where a driver"
                + " and a GPU are found) or a comma list of cpu and cuda: the devices the hardware part times; the"
                + " first that opens also runs the steps and noise parts, and one that cannot be opened is skipped")
        String devices = "auto";

        @Option(names = "--max-batch", description = "hardware batch sizes 1, 2, 4, … up to this (default 8192)")
        int maxBatch = 8192;

        @Option(names = "--batch-sizes", description = "hardware batch sizes, e.g. 1,3,10,30 (overrides --max-batch)")
        String batchSizes;

        @Option(names = "--inputs", description = "features of the synthetic timing inputs (default 784)")
        int inputs = 784;

        @Option(names = "--hidden", description = "hidden widths (default 1024,1024)")
        String hidden = "1024,1024";

        @Option(names = "--classes", description = "classes of the synthetic timing inputs (default 10)")
        int classes = 10;

        @Option(names = "--activation", description = "relu (default), tanh, logistic, identity")
        String activation = "relu";

        @Option(names = "--batch-norm", description = "batch normalization in every hidden layer, before the"
                + " activation, in every part (as train --batch-norm; hardware batch sizes then start at 2)")
        boolean batchNorm;

        @Option(names = "--optimizer", description = "sgd, momentum, nesterov, rmsprop, adam (default), adamw;"
                + " newton-cg for the steps and noise parts (with --lr 1); not lbfgs, a full-batch method")
        String optimizer = "adam";

        @Option(names = "--warmup-steps", paramLabel = "N", description = "untimed updates per batch size before"
                + " timing (default 3)")
        int warmup = 3;

        @Option(names = "--warmup-seconds", description = "minimum warm-up time per batch size (default 0.5)")
        double warmupSeconds = 0.5;

        @Option(names = "--timed-steps", paramLabel = "N", description = "timed updates per batch size, at most"
                + " (default 10)")
        int repeats = 10;

        @Option(names = "--seconds-per-size", description = "stop timing a batch size after this many seconds of"
                + " timed updates, once 3 are done (default 1; 0 = all --timed-steps)")
        double secondsPerSize = 1.0;

        @Option(names = "--threads", description = "CPU threads for matrix products and elementwise loops; any count gives the same bits (default: all cores)")
        int threads;

        @Option(names = "--tf32", description = "allow TF32 tensor-core matrix products on CUDA")
        boolean tf32;

        @Option(names = "--seed", description = "seed of θ₀, the batch order, the --subset examples and the"
                + " noise-scale draws (default 1)")
        long seed = 1;

        @Option(names = "--data", description = "training data of the steps and noise parts (default embedded)")
        String data = "embedded";

        @Option(names = "--limit", description = "use only the first N training examples")
        int limit;

        @Option(names = "--step-batch-sizes", description = "batch sizes of the steps part"
                + " (default 16,32,64,128,256,512,1024)")
        String stepBatchSizes = "16,32,64,128,256,512,1024";

        @Option(names = "--target-loss", description = "loss to reach (default 0.5)")
        double targetLoss = 0.5;

        @Option(names = "--target-metric", description = "train_loss (on the --subset examples;"
                + " default) or test_loss")
        String targetMetric = BatchSizeStudyConfig.TRAIN_LOSS;

        @Option(names = "--max-steps", description = "cap of each training run, of the steps part and of the noise"
                + " part (default 2000)")
        long maxSteps = 2000;

        @Option(names = "--lr", description = "learning rate: the centre of the grid tried at every batch size of the"
                + " steps part (the same at each), and the noise part's (default 1e-3)")
        double lr = 1e-3;

        @Option(names = "--lr-grid", description = "learning rates each side of --lr, by factors of 3 (default 1:"
                + " lr/3, lr, 3·lr)")
        int lrGrid = 1;

        @Option(names = "--check-every", description = "steps between target checks (default 10)")
        int checkEvery = 10;

        @Option(names = "--subset", paramLabel = "N", description = "training examples the training loss"
                + " (--target-metric train_loss) is measured on: a fixed subset drawn with --seed (default 1000)")
        int subset = 1000;

        @Option(names = "--noise-batch", description = "training batch of the noise-scale run (default 128)")
        int noiseBatch = 128;

        @Option(names = "--noise-small", description = "B_small of the noise-scale estimator (default 32)")
        int noiseSmall = 32;

        @Option(names = "--noise-big", description = "B_big of the noise-scale estimator (default 512)")
        int noiseBig = 512;

        @Option(names = "--noise-every", description = "steps between noise-scale estimates (default 20)")
        int noiseEvery = 20;

        @Option(names = "--noise-decay", description = "β of the estimator's moving averages (default 0.9)")
        double noiseDecay = 0.9;

        @CommandLine.Mixin
        ProgressFlag progress = new ProgressFlag();

        /**
         * The study's configuration from the flags.
         *
         * @return the configuration
         */
        public BatchSizeStudyConfig buildConfig() {
            progress.check();
            // auto becomes the devices found only once every other setting has been checked (a bad flag is one
            // line, with no device probe before it): the study is validated on the CPU alone first.
            boolean auto = devices.trim().equalsIgnoreCase("auto");
            BatchSizeStudyConfig.Builder b = BatchSizeStudyConfig.builder()
                    .optParts(BatchSizeStudyConfig.parseNames(parts))
                    .optDevices(auto ? List.of("cpu") : devices())
                    .optBatchSizes(batchSizes != null ? BatchSizeStudyConfig.parseSizes(batchSizes, "--batch-sizes")
                            : BatchSizeStudyConfig.powersOfTwo(batchNorm ? 2 : 1, maxBatch))
                    .optBatchNorm(batchNorm)
                    .optInputs(inputs).optHidden(TrainingFlags.parseHidden(hidden)).optClasses(classes)
                    .optActivation(parse("--activation", () -> Activation.parse(activation)))
                    .optOptimizer(parse("--optimizer", () -> UpdateRule.parse(optimizer)))
                    .optWarmup(warmup).optWarmupSeconds(warmupSeconds).optRepeats(repeats)
                    .optSecondsPerSize(secondsPerSize).optThreads(threads).optTf32(tf32).optSeed(seed)
                    .optData(data).optLimit(limit)
                    .optStepBatchSizes(BatchSizeStudyConfig.parseSizes(stepBatchSizes, "--step-batch-sizes"))
                    .optTargetLoss(targetLoss).optTargetMetric(targetMetric.toLowerCase(Locale.ROOT))
                    .optMaxSteps(maxSteps).optLearningRate(lr).optLrGrid(lrGrid).optCheckEvery(checkEvery)
                    .optSubset(subset).optNoiseBatch(noiseBatch).optNoiseSmall(noiseSmall)
                    .optNoiseBig(noiseBig).optNoiseEvery(noiseEvery).optNoiseDecay(noiseDecay);
            BatchSizeStudyConfig checked = b.build();
            return auto ? b.optDevices(devices()).build() : checked;
        }

        /**
         * The devices of --device: the list given, or for {@code auto} the CPU, then CUDA where a usable GPU is found
         * (the CPU first, so the steps and noise parts run where they ran before auto, on every machine alike).
         */
        private List<String> devices() {
            List<String> names = BatchSizeStudyConfig.parseNames(devices);
            if (!names.contains("auto")) {
                return names;
            }
            if (names.size() > 1) {
                throw new InvalidInputException("--device auto stands for the whole list (cpu, plus cuda where a GPU is"
                        + " found): give it alone, or list the devices, not '" + devices + "'");
            }
            return Devices.resolve("auto").equals("cuda") ? List.of("cpu", "cuda") : List.of("cpu");
        }

        /** The study directory as the printed results name it; null for --run-dir's path. */
        private String shownAs;

        /**
         * Names the study directory {@code location} in the printed results instead of --run-dir's path: the Spark
         * module writes a directory on a Hadoop filesystem through a local copy, whose path is not where the
         * results are.
         *
         * @param location the directory's URI, without a trailing slash
         */
        public void showDirectoryAs(String location) {
            this.shownAs = location;
        }

        /**
         * The study the flags describe, checked (flags, and that the study directory can be written) but not run. A
         * runner of its trials elsewhere (the Spark module) builds it from the same flags.
         *
         * @param config {@link #buildConfig()}
         * @return the study
         */
        public BatchSizeStudy study(BatchSizeStudyConfig config) {
            OutputCheck.requireWritable("--run-dir", out, "study-config.json", "study.csv", "noise-scale.csv",
                    "study.json");
            BatchSizeStudy study = new BatchSizeStudy(config, out).optOverwrite(overwrite)
                    .optCommandLine(Main.words(spec));
            progress.choice().ifPresent(study::optProgressBar);
            return study;
        }

        @Override
        public Integer call() {
            long start = System.nanoTime();
            BatchSizeStudyResult r = study(buildConfig()).run();
            return report(r, start);
        }

        /**
         * Prints the study's findings on stdout.
         *
         * @param r the study's result
         * @param start {@link System#nanoTime()} when the study started
         * @return the exit status, 0
         */
        public int report(BatchSizeStudyResult r, long start) {
            for (BatchSizeStudyResult.DeviceCurve c : r.hardware().values()) {
                if (c.saturation() != null) {
                    System.out.printf(Locale.ROOT, "%s: saturation point B* = %s (%s), best %.0f samples/s%n",
                            c.device(), io.ravine.report.TickFormat.human(c.saturation().batchSize(), 4),
                            c.saturation().position().jsonName().replace('_', ' '),
                            c.points().stream().mapToDouble(t -> t.samplesPerSecond()).max().orElse(Double.NaN));
                }
            }
            for (BatchSizeStudyResult.StepsPoint p : r.stepsToTarget()) {
                System.out.printf(Locale.ROOT, "batch %d: %s%s%n", p.batchSize(), p.status(),
                        p.status().equals("reached") ? String.format(Locale.ROOT, " in %d steps (lr %.3g) %s",
                                p.steps(), p.learningRate(), p.region()) : "");
            }
            if (!r.noise().isEmpty()) {
                System.out.printf(Locale.ROOT, "gradient noise scale B_simple = %.1f at step %d%s%n",
                        r.noise().get(r.noise().size() - 1).estimate().simpleNoiseScale(),
                        r.noise().get(r.noise().size() - 1).step(), r.critical() == null ? ""
                                : String.format(Locale.ROOT, "; measured critical batch size %.1f",
                                        r.critical().criticalBatchSize()));
            }
            if (r.timeToTarget() != null) {
                r.timeToTarget().summary().forEach(System.out::println);
            }
            System.out.printf(Locale.ROOT, "%d trials run, %d already done, %.1f s; study directory: %s%n",
                    r.ranTrials().size(), r.rows().size() - r.ranTrials().size(), (System.nanoTime() - start) / 1e9,
                    shownAs == null ? out : shownAs);
            return 0;
        }
    }

    /** A value parsed by a library (which names the value); the message then also names the flag. */
    static <T> T parse(String flag, java.util.function.Supplier<T> f) {
        try {
            return f.get();
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(flag + ": " + e.getMessage(), e);
        }
    }
}
