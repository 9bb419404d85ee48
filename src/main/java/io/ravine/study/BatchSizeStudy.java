package io.ravine.study;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.Devices;
import io.ravine.backend.LossKind;
import io.ravine.data.DataSources;
import io.ravine.data.TrainTest;
import io.ravine.nn.Mlp;
import io.ravine.optim.Optimizer;
import io.ravine.report.ReportFiles;
import io.ravine.report.RunReport;
import io.ravine.backend.UpdateRule;
import io.ravine.train.MemoryBudget;
import io.ravine.train.MetricsEvent;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import io.ravine.train.TrainingResult;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a batch-size study (see {@link BatchSizeStudyConfig}) trial by trial into a study directory, skipping trials
 * already finished there, then writes {@code study.json}, the plots and {@code report.html}. Each training trial (the
 * steps and noise parts) is a run directory {@code runs/TRIAL/} with its own {@code report.html}, as
 * {@code ravine train} writes them; a hardware trial times updates on synthetic inputs and trains nothing, so it has
 * none.
 *
 * <pre>{@code
 * BatchSizeStudyConfig config = BatchSizeStudyConfig.builder().optParts(List.of("hardware")).build();
 * BatchSizeStudyResult result = new BatchSizeStudy(config, Path.of("studies/bs")).run();
 * }</pre>
 */
public final class BatchSizeStudy {
    private static final Logger LOG = LoggerFactory.getLogger(BatchSizeStudy.class);
    private static final long NOISE_SEED_SALT = 0x6e6f697365L; // "noise": draws independent of the batch order

    private final BatchSizeStudyConfig config;
    private final Path dir;
    private Function<String, Backend> deviceOpener;
    private boolean progressBar = io.ravine.io.Terminal.stderrIsTerminal();
    private boolean overwrite;
    private TrainTest data;
    private List<String> commandLine;

    /** One unit of work, finished or not; its key is its row's {@code trial}. */
    record Trial(String key, String kind, String device, int batchSize, double learningRate) {
    }

    public BatchSizeStudy(BatchSizeStudyConfig config, Path dir) {
        this.config = config;
        this.dir = dir;
        this.deviceOpener = d -> Devices.open(d, config.tf32(), config.threads());
    }

    /** How a device name becomes a backend (tests inject failing or fake devices). */
    public BatchSizeStudy optDeviceOpener(Function<String, Backend> opener) {
        this.deviceOpener = opener;
        return this;
    }

    /** Shows a progress line over trials on stderr (default: where stderr is a terminal). */
    public BatchSizeStudy optProgressBar(boolean on) {
        this.progressBar = on;
        return this;
    }

    /**
     * Lets {@link #run()} replace a study directory whole (moved aside, removed once the new study-config.json is
     * written) where it holds another study's settings or files that are not a study's; without it those are refused.
     * A directory holding this study is resumed either way, unless this is on: then its trials run again.
     */
    public BatchSizeStudy optOverwrite(boolean on) {
        this.overwrite = on;
        return this;
    }

    /**
     * The command line that started the study: recorded with the date, Ravine's version and the devices in the study
     * directory's {@code invocations.json} for its report's header, and given to every training trial's run
     * ({@code run.json}). Without it the study and its runs say "library".
     *
     * @param args the words of the command line as the shell passed them ({@code ravine study batch-size ...})
     * @return this study
     */
    public BatchSizeStudy optCommandLine(List<String> args) {
        this.commandLine = args == null ? null : List.copyOf(args);
        return this;
    }

    /**
     * The name of a training trial's run directory under the study's {@code runs/}: its key with '-' for '/'.
     *
     * @param trialKey the trial's key ({@link #trialKeys()})
     * @return the directory's name
     */
    public static String runName(String trialKey) {
        return trialKey.replace('/', '-');
    }

    /** Trial keys of {@code lr}, stable across runs: four significant digits. */
    static String lrKey(double lr) {
        return new java.math.BigDecimal(String.format(Locale.ROOT, "%.4g", lr)).stripTrailingZeros()
                .toPlainString();
    }

    /** Every trial of the configured parts, in the order they run (and the rows are kept). */
    List<Trial> plan() {
        List<Trial> plan = new ArrayList<>();
        if (config.runs(BatchSizeStudyConfig.HARDWARE)) {
            for (String device : config.devices()) {
                for (int b : config.batchSizes()) {
                    plan.add(new Trial("hardware/" + device + "/b=" + b, BatchSizeStudyConfig.HARDWARE, device, b,
                            Double.NaN));
                }
            }
        }
        if (config.runs(BatchSizeStudyConfig.STEPS)) {
            for (int b : config.stepBatchSizes()) {
                for (double lr : config.learningRates()) {
                    plan.add(new Trial("steps/b=" + b + "/lr=" + lrKey(lr), BatchSizeStudyConfig.STEPS, null, b, lr));
                }
            }
        }
        if (config.runs(BatchSizeStudyConfig.NOISE)) {
            plan.add(new Trial("noise/b=" + config.noiseBatch(), BatchSizeStudyConfig.NOISE, null,
                    config.noiseBatch(), config.learningRate()));
        }
        return plan;
    }

    /**
     * The keys of every trial of the configured parts, in the order they run and their rows are kept. The same
     * configuration always plans the same keys in the same order, so a key names a trial in another process of the
     * same study (a cluster's task).
     *
     * @return the trial keys, e.g. {@code steps/b=64/lr=0.001}
     */
    public List<String> trialKeys() {
        return plan().stream().map(Trial::key).toList();
    }

    /**
     * What one trial of a training part ({@code steps} or {@code noise}) produced: its row of {@code study.csv}, or
     * none where the trial was skipped (a batch larger than the training set), and a noise trial's series.
     *
     * @param row the trial's row, or null when it was skipped
     * @param noise the noise-scale series (empty for a steps trial)
     */
    public record TrialOutcome(TrialRow row, List<NoiseSample> noise) {
        /**
         * The outcome as text, to hand to another process: CSV, the row's columns and cells, then the series'
         * columns and rows. Every number is written in its shortest exact form, so {@link #parse} gives back
         * the same doubles.
         *
         * @return the text
         */
        public String toText() {
            StringWriter out = new StringWriter();
            try (CSVPrinter p = new CSVPrinter(out, CSVFormat.DEFAULT.builder().setRecordSeparator("\n").build())) {
                p.printRecord(TrialRow.COLUMNS);
                if (row != null) {
                    p.printRecord(row.cells());
                }
                p.printRecord(NoiseSample.COLUMNS);
                for (NoiseSample n : noise) {
                    p.printRecord(n.cells());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toString();
        }

        /**
         * Reads what {@link #toText} wrote.
         *
         * @param text the text
         * @return the outcome
         */
        public static TrialOutcome parse(String text) {
            List<CSVRecord> records;
            try (CSVParser p = CSVParser.parse(text, CSVFormat.DEFAULT)) {
                records = p.getRecords();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            int noiseHeader = records.get(1).get(0).equals(NoiseSample.COLUMNS.get(0)) ? 1 : 2;
            TrialRow row = noiseHeader == 1 ? null : TrialRow.parse(cell(records.get(0), records.get(1)));
            List<NoiseSample> noise = new ArrayList<>();
            for (int i = noiseHeader + 1; i < records.size(); i++) {
                noise.add(NoiseSample.parse(cell(records.get(noiseHeader), records.get(i))));
            }
            return new TrialOutcome(row, List.copyOf(noise));
        }

        private static Function<String, String> cell(CSVRecord header, CSVRecord values) {
            return name -> {
                for (int i = 0; i < header.size(); i++) {
                    if (header.get(i).equals(name)) {
                        return values.get(i);
                    }
                }
                throw new IllegalArgumentException("no column " + name);
            };
        }
    }

    /**
     * A study directory opened for this study and locked until {@link #close()}: which trials it holds finished,
     * and where each new one is recorded. {@link #run()} works through one; a driver that runs the training
     * trials elsewhere ({@link #runTrainingTrial} in other processes) opens one, records what they return, and
     * finishes it.
     */
    public final class Session implements AutoCloseable {
        private final StudyFiles files;
        private final List<String> ran = new ArrayList<>();

        private Session(StudyFiles files) {
            this.files = files;
        }

        /**
         * Whether the directory already holds the trial finished.
         *
         * @param key a trial key of {@link #trialKeys()}
         * @return true when its row is there
         */
        public boolean finished(String key) {
            return files.finished(key);
        }

        /**
         * Records a trial's outcome: its noise series (first, so a row always has its series on disk), then its
         * row, rewriting {@code study.csv} atomically. A skipped trial (no row) records nothing.
         *
         * @param outcome what the trial produced
         */
        public void record(TrialOutcome outcome) {
            if (outcome.row() == null) {
                return;
            }
            if (outcome.row().kind().equals(BatchSizeStudyConfig.NOISE)) {
                files.writeNoise(outcome.noise());
            }
            files.append(outcome.row());
            ran.add(outcome.row().trial());
        }

        /**
         * Puts the rows in plan order, analyses them and writes {@code study.json}, the plots and the report.
         *
         * @param descriptions descriptions of the devices opened, by device name (those of timed devices appear in
         *     the report)
         * @return the study's result
         */
        public BatchSizeStudyResult finish(Map<String, String> descriptions) {
            return finish(descriptions, null);
        }

        /**
         * As {@link #finish(Map)}, for a driver whose trials ran elsewhere (the Spark module): the report header's
         * device is {@code where} (the cluster and what each task trained on) instead of the devices opened here.
         *
         * @param descriptions descriptions of the devices opened here, by device name
         * @param where where the trials ran, for the page's header (null: the devices opened here)
         * @return the study's result
         */
        public BatchSizeStudyResult finish(Map<String, String> descriptions, String where) {
            List<Trial> plan = plan();
            files.reorder(plan.stream().map(Trial::key).toList());
            BatchSizeStudyResult result = BatchSizeStudyResult.analyse(config, plan, files, ran, descriptions,
                    modelNotes());
            StudyReport.write(files, config, result, invocation(descriptions, where));
            return result;
        }

        /** Releases the study directory's lock. */
        @Override
        public void close() {
            files.close();
        }
    }

    /**
     * Checks the inputs (the training parts' data, the models' memory), then opens the study directory: a
     * directory holding another study's settings or files that are not a study's is refused, unless {@link
     * #optOverwrite}; then it is locked until the session is closed.
     *
     * @return the open study directory
     */
    public Session open() {
        // The inputs before the study directory: the training parts' data, and every model each part will build.
        checkInputs();
        return new Session(StudyFiles.open(dir, config, overwrite));
    }

    /**
     * Runs the trials not yet finished in the study directory, which is locked while this runs.
     *
     * @return the study's result
     */
    public BatchSizeStudyResult run() {
        try (Session session = open()) {
            return run(session);
        }
    }

    private BatchSizeStudyResult run(Session session) {
        List<Trial> plan = plan();
        Map<String, Backend> opened = new LinkedHashMap<>();
        Map<String, String> descriptions = new LinkedHashMap<>();
        List<String> unavailable = new ArrayList<>();
        long done = plan.stream().filter(t -> session.finished(t.key())).count();
        if (done > 0) {
            LOG.info("{} of {} trials already finished in {}; running the rest", done, plan.size(), dir);
        }
        try (TrialProgress progress = new TrialProgress("trial", plan.size(), done, progressBar)) {
            for (Trial t : plan) {
                if (session.finished(t.key())) {
                    continue;
                }
                String device = t.device() != null ? t.device() : trainingDevice(opened, unavailable);
                Backend backend = device == null ? null : open(device, opened, unavailable, descriptions);
                if (backend == null) {
                    if (opened.isEmpty() && unavailable.containsAll(config.devices())) {
                        throw new InvalidInputException("none of the devices of --device (" + String.join(", ",
                                config.devices()) + ") could be opened");
                    }
                    continue; // the device was reported once, when it failed to open
                }
                session.record(t.kind().equals(BatchSizeStudyConfig.HARDWARE)
                        ? new TrialOutcome(hardwareTrial(t, backend), List.of())
                        : trainingTrial(t, backend, device));
                progress.advance(t.key());
            }
        } finally {
            opened.values().forEach(Backend::close);
        }
        return session.finish(descriptions);
    }

    /**
     * Runs one trial of a training part ({@code steps} or {@code noise}) on {@code backend}, exactly as {@link
     * #run()} runs it; nothing is written (the caller records the outcome in its {@link Session}). The same trial
     * gives the same outcome on the CPU bit for bit, whatever the process and the thread count, except its
     * {@code wall_seconds}.
     *
     * @param key a trial key of {@link #trialKeys()} of the steps or noise part
     * @param backend the backend to train on
     * @param device the device name recorded in the trial's row
     * @return the outcome
     */
    public TrialOutcome runTrainingTrial(String key, Backend backend, String device) {
        Trial t = plan().stream().filter(p -> p.key().equals(key)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no trial " + key + " in this study"));
        if (t.kind().equals(BatchSizeStudyConfig.HARDWARE)) {
            throw new IllegalArgumentException(key + " is a hardware trial: it times its own device, in run()");
        }
        return trainingTrial(t, backend, device);
    }

    /**
     * Appends this start to invocations.json, its device {@code where} when given (trials run elsewhere), else the
     * descriptions of the devices it opened (none where every trial was already done: then the last start's), and
     * returns every start.
     */
    private List<io.ravine.report.PageHeader.Invocation> invocation(Map<String, String> descriptions, String where) {
        String device;
        if (where != null) {
            device = where;
        } else if (!descriptions.isEmpty()) {
            List<String> each = new ArrayList<>();
            descriptions.forEach((name, d) -> each.add(d.startsWith(name) ? d : name + ": " + d));
            device = String.join("; ", each);
        } else {
            List<io.ravine.report.PageHeader.Invocation> before = io.ravine.report.PageHeader.read(dir);
            device = before.isEmpty() || before.get(before.size() - 1).device() == null
                    ? "none opened: every trial was already done"
                    : before.get(before.size() - 1).device() + " (an earlier start's: this one had no trial to run)";
        }
        return io.ravine.report.PageHeader.append(dir, io.ravine.report.PageHeader.now(commandLine, device));
    }

    /**
     * Loads the training parts' data (a bad --data fails here, before a hardware trial has run or a file is written)
     * and checks that the largest model and batch of each part fit ({@link MemoryBudget}).
     */
    private void checkInputs() {
        boolean cpu = config.devices().contains("cpu");
        UpdateRule rule = config.optimizer();
        if (config.runs(BatchSizeStudyConfig.HARDWARE)) {
            int most = java.util.Arrays.stream(config.batchSizes()).max().orElse(1);
            MemoryBudget.check(new Mlp(config.inputs(), config.hidden(), config.classes(), config.activation(),
                    LossKind.SOFTMAX_CE, config.batchNorm()), rule, false, 4, cpu, "--batch-sizes (or --max-batch)", most, false, most);
        }
        if (config.runs(BatchSizeStudyConfig.STEPS) || config.runs(BatchSizeStudyConfig.NOISE)) {
            TrainTest d = data();
            int trainN = Math.min(d.train().n(), config.limit() == 0 ? Integer.MAX_VALUE : config.limit());
            int most = 1;
            if (config.runs(BatchSizeStudyConfig.STEPS)) {
                most = java.util.Arrays.stream(config.stepBatchSizes()).filter(b -> b <= trainN).max().orElse(1);
            }
            if (config.runs(BatchSizeStudyConfig.NOISE)) {
                most = Math.max(most, Math.min(trainN, Math.max(config.noiseBatch(), config.noiseBig())));
            }
            int eval = Math.max(most, Math.min(1024, Math.max(trainN, d.test().n())));
            MemoryBudget.check(new Mlp(d.train().featureDim(), config.hidden(), Math.max(2, d.train().numClasses()),
                    config.activation(), LossKind.SOFTMAX_CE, config.batchNorm()), rule, false, 4, cpu,
                    "--step-batch-sizes (or --noise-batch/--noise-big)", most, false, eval);
            if (config.batchNorm()) {
                checkNoBatchOfOne(trainN);
            }
        }
    }

    /**
     * With batch normalization, a training run whose last batch of an epoch holds one example fails (the trainer
     * refuses it, as PyTorch does); found before any trial runs rather than in the middle of the study.
     */
    private void checkNoBatchOfOne(int trainN) {
        List<Integer> sizes = new ArrayList<>();
        if (config.runs(BatchSizeStudyConfig.STEPS)) {
            java.util.Arrays.stream(config.stepBatchSizes()).forEach(sizes::add);
        }
        if (config.runs(BatchSizeStudyConfig.NOISE)) {
            sizes.add(config.noiseBatch());
        }
        for (int b : sizes) {
            if (b <= trainN && trainN % b == 1) {
                throw new InvalidInputException("--batch-norm needs at least 2 examples in every batch, but " + trainN
                        + " training examples in batches of " + b + " leave a batch of 1; choose other batch sizes"
                        + " (--step-batch-sizes, --noise-batch) or another --limit");
            }
        }
    }

    /**
     * The time-to-target advisor multiplies the hardware part's seconds per update by the steps part's steps: that
     * holds only when both parts ran the same network. They share the hidden widths; the hardware part's inputs and
     * classes are settings, the steps part's come from the data, so a mismatch is said next to the advice.
     */
    private List<String> modelNotes() {
        if (!config.runs(BatchSizeStudyConfig.HARDWARE) || !config.runs(BatchSizeStudyConfig.STEPS)) {
            return List.of();
        }
        TrainTest d = data();
        int classes = Math.max(2, d.train().numClasses());
        if (d.train().featureDim() == config.inputs() && classes == config.classes()) {
            return List.of();
        }
        return List.of("the hardware part timed a " + config.inputs() + "-…-" + config.classes() + " network but the"
                + " steps part trained a " + d.train().featureDim() + "-…-" + classes + " one on " + config.data()
                + ": the times to target mix two networks (set the inputs and classes to the data's)");
    }

    /** The first configured device that opens runs the training parts. */
    private String trainingDevice(Map<String, Backend> opened, List<String> unavailable) {
        for (String d : config.devices()) {
            if (opened.containsKey(d)) {
                return d;
            }
            if (!unavailable.contains(d)) {
                return d;
            }
        }
        return null;
    }

    private Backend open(String device, Map<String, Backend> opened, List<String> unavailable,
            Map<String, String> descriptions) {
        if (opened.containsKey(device)) {
            return opened.get(device);
        }
        if (unavailable.contains(device)) {
            return null;
        }
        try {
            Backend b = deviceOpener.apply(device);
            opened.put(device, b);
            descriptions.put(device, b.deviceDescription());
            return b;
        } catch (RuntimeException e) {
            unavailable.add(device);
            LOG.warn("skipping device {}: {}", device, e.getMessage());
            return null;
        }
    }

    private TrialRow hardwareTrial(Trial t, Backend backend) {
        Mlp mlp = new Mlp(config.inputs(), config.hidden(), config.classes(), config.activation(),
                LossKind.SOFTMAX_CE, config.batchNorm());
        Optimizer optimizer = Optimizer.builder(config.optimizer()).build();
        UpdateTimer timer = new UpdateTimer(backend, mlp, optimizer, config.warmup(), config.warmupSeconds(),
                config.repeats(), config.secondsPerSize(), config.seed());
        long start = System.nanoTime();
        UpdateTiming timing = timer.time(t.batchSize());
        LOG.info("{}: {} s per update (median of {}), {} samples/s", t.key(),
                String.format(Locale.ROOT, "%.3g", timing.median()), timing.repeats(),
                String.format(Locale.ROOT, "%.0f", timing.samplesPerSecond()));
        return TrialRow.hardware(t.key(), t.device(), timing, (System.nanoTime() - start) / 1e9);
    }

    /**
     * The training parts' data ({@code --data}, up to {@code --limit} examples), loaded on first use (once per study
     * object).
     *
     * @return the data every training trial reads
     */
    public TrainTest data() {
        if (data == null) {
            data = DataSources.load(config.data(), null, LossKind.SOFTMAX_CE, config.limit());
        }
        return data;
    }

    /**
     * Gives the study its training parts' data, already loaded by another study object of the same {@code --data}
     * and {@code --limit} ({@link #data()}): a process that runs many trials of one study, each with a study object
     * of its own (a Spark executor's tasks), loads them once. Trials only read their data.
     *
     * @param loaded the data, as {@link #data()} of a study of the same data settings returned them
     * @return this study
     */
    public BatchSizeStudy optData(TrainTest loaded) {
        this.data = java.util.Objects.requireNonNull(loaded, "loaded");
        return this;
    }

    private TrialOutcome trainingTrial(Trial t, Backend backend, String device) {
        boolean noise = t.kind().equals(BatchSizeStudyConfig.NOISE);
        int trainN = Math.min(data().train().n(), config.limit() == 0 ? Integer.MAX_VALUE : config.limit());
        if (t.batchSize() > trainN) {
            LOG.warn("{}: batch size {} exceeds the {} training examples; skipped", t.key(), t.batchSize(), trainN);
            return new TrialOutcome(null, List.of());
        }
        boolean testTarget = config.targetMetric().equals(BatchSizeStudyConfig.TEST_LOSS);
        int every = noise ? config.noiseEvery() : config.checkEvery();
        int never = (int) Math.min(config.maxSteps(), Integer.MAX_VALUE);
        TrainConfig tc = TrainConfig.builder().setData(config.data()).optHidden(config.hidden())
                .optActivation(config.activation()).optBatchNorm(config.batchNorm()).optLoss(LossKind.SOFTMAX_CE)
                .optOptimizer(config.optimizer()).optLearningRate(t.learningRate()).optBatchSize(t.batchSize()).optEpochs(0)
                .optSteps(config.maxSteps()).optLimit(config.limit()).optSeed(config.seed()).optDevice(device)
                .optThreads(config.threads()).optTf32(config.tf32()).optLogEvery(every)
                .optEvalEvery(testTarget ? every : never).optSubset(config.subset()).build();
        Path runDir = dir.resolve("runs").resolve(runName(t.key()));
        long start = System.nanoTime();
        long[] reachedAt = {-1};
        double[] lastLoss = {Double.NaN};
        List<NoiseSample> series = new ArrayList<>();
        TrialRow row;
        try (Trainer trainer = new Trainer(tc, backend, data())) {
            // A run directory as train's: a trial that a kill interrupted left one, and runs again from the start.
            // Its report is written after the trial's time is taken.
            trainer.optProgressBar(false).optRunDirectory(runDir).optOverwrite(true).optReport(false)
                    .optCommandLine(commandLine);
            if (noise) {
                GradientNormProbe probe = new GradientNormProbe(trainer.model(), trainer.trainingData(),
                        config.seed() ^ NOISE_SEED_SALT);
                GradientNoiseScale estimator = new GradientNoiseScale(config.noiseSmall(), config.noiseBig(),
                        config.noiseDecay());
                trainer.optListener(e -> {
                    double small = probe.squaredNorm(config.noiseSmall());
                    double big = probe.squaredNorm(config.noiseBig());
                    series.add(new NoiseSample(e.step(), small, big, estimator.update(small, big)));
                });
            }
            trainer.optListener(e -> {
                double loss = targetLoss(e, testTarget);
                if (!Double.isNaN(loss)) {
                    lastLoss[0] = loss;
                }
                if (loss <= config.targetLoss() && reachedAt[0] < 0) {
                    reachedAt[0] = e.step();
                    trainer.requestStop();
                }
            });
            TrainingResult r = trainer.fit();
            String status = reachedAt[0] >= 0 ? "reached" : r.diverged() ? "diverged" : "not_reached";
            long steps = reachedAt[0] >= 0 ? reachedAt[0] : r.steps();
            double noiseScale = series.isEmpty() ? Double.NaN
                    : series.get(series.size() - 1).estimate().simpleNoiseScale();
            LOG.info("{}: {} after {} steps (loss {})", t.key(), status, steps,
                    String.format(Locale.ROOT, "%.4f", lastLoss[0]));
            row = TrialRow.training(t.key(), t.kind(), device, t.batchSize(), t.learningRate(), status, steps,
                    lastLoss[0], noiseScale, (System.nanoTime() - start) / 1e9);
        }
        ReportFiles.bestEffort(runDir.resolve("report.html"), () -> RunReport.write(runDir));
        return new TrialOutcome(row, List.copyOf(series));
    }

    private static double targetLoss(MetricsEvent e, boolean testTarget) {
        if (testTarget) {
            return e.test() == null ? Double.NaN : e.test().loss();
        }
        return e.trainLoss();
    }

}
