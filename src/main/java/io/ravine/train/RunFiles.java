package io.ravine.train;

import com.google.gson.Gson;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import io.ravine.io.AtomicFiles;
import io.ravine.io.StrictJson;
import io.ravine.nn.Model;
import io.ravine.optim.IterateAverage;
import io.ravine.optim.OptimizerState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run directory: {@code config.json}, {@code metrics.csv}, {@code layers.csv}, {@code summary.json},
 * {@code checkpoints/}, {@code tensorboard/}. Every file but {@code metrics.csv}, {@code layers.csv} and the
 * TensorBoard event files is written atomically (temp file + rename), so a killed run never leaves a half-written
 * one; {@code metrics.csv} and {@code layers.csv} are appended whole rows at a time (see {@link MetricsLog},
 * {@link LayerLog}), an event file whole records at a time ({@link TensorBoardLog}).
 *
 * <p><b>Layer statistics.</b> Every {@code histogramEvery} steps, at the run's last step, and for θ₀ at step 0 of a
 * fresh run, it reads θ, the step's gradient and θ before the step's update back to the host once and computes
 * each tensor's statistics ({@link LayerStats}) for both layers.csv and the TensorBoard histograms. On CUDA that is
 * a wait for the device at those steps only; nothing is written to the device, so the run's θ is the same, bit for
 * bit, with or without them. The time spent here is left out of the run's training time (samples/s), as
 * evaluations are.
 */
final class RunFiles implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunFiles.class);
    static final Gson GSON = StrictJson.gson();

    private final Path dir;
    private final MetricsLog metrics;
    private final TensorBoardLog events;
    private final LayerLog layers;
    private final Trainer trainer;
    /** Layer statistics every N steps (0: none), and at this last step. */
    private final int histogramEvery;
    private final long lastStep;
    /** θ before the update of the coming observed step (for its update ratios), else null. */
    private float[] before;
    /** Steps observed and the time spent on them (copies, statistics, writes), for the closing log line. */
    private int observedSteps;
    private long observeNanos;

    private RunFiles(Path dir, MetricsLog metrics, TensorBoardLog events, LayerLog layers, Trainer trainer) {
        this.dir = dir;
        this.metrics = metrics;
        this.events = events;
        this.layers = layers;
        this.trainer = trainer;
        this.histogramEvery = trainer.histogramInterval();
        this.lastStep = trainer.totalSteps();
    }

    /** Subdirectories a run writes files into (besides the run directory itself). */
    private static final List<String> SUBDIRECTORIES = List.of("checkpoints", "plots", TensorBoardLog.DIRECTORY);

    static RunFiles open(Path dir, TrainConfig config, Trainer trainer, long startStep) {
        try {
            deleteLeftovers(dir);
            if (startStep == 0) {
                // A run from step 0 writes config.json before anything else, so a directory a kill left with any
                // file of a run in it holds its config.json too, and --resume takes it up.
                AtomicFiles.writeString(dir.resolve("config.json"), configJson(config, trainer));
            }
            Files.createDirectories(dir.resolve("checkpoints"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the run directory " + dir, e);
        }
        // On resume the logs first, damaged ones refused before anything is written: a resume that refuses one then
        // leaves config.json as it was.
        TensorBoardLog.Plan eventsPlan = TensorBoardLog.plan(dir, startStep);
        LayerLog.Plan layersPlan = LayerLog.plan(dir.resolve(LayerLog.FILE), startStep);
        Path csv = dir.resolve("metrics.csv");
        MetricsLog log = startStep == 0 ? MetricsLog.create(csv) : MetricsLog.resume(csv, startStep);
        TensorBoardLog events = null;
        LayerLog layers = null;
        try {
            events = TensorBoardLog.open(eventsPlan);
            layers = LayerLog.open(layersPlan);
            if (startStep != 0) {
                AtomicFiles.writeString(dir.resolve("config.json"), configJson(config, trainer));
            }
        } catch (IOException | RuntimeException e) {
            log.close();
            if (events != null) {
                events.close();
            }
            if (layers != null) {
                layers.close();
            }
            throw e instanceof IOException io ? new UncheckedIOException("cannot write the run directory " + dir,
                    io) : (RuntimeException) e;
        }
        writeRunRecord(dir, trainer, startStep);
        RunFiles files = new RunFiles(dir, log, events, layers, trainer);
        if (startStep == 0 && files.histogramEvery > 0) {
            // θ₀'s values (no gradient, no update yet).
            long start = System.nanoTime();
            files.observe(0, trainer.model().parameters(), null, null);
            files.observeNanos += System.nanoTime() - start;
        }
        return files;
    }

    /** The run's record of how it was started: one entry per start and resume (see {@link #runRecord}). */
    static final String RUN_RECORD = "run.json";

    /**
     * Appends this start (or resume) to {@code run.json}. Best effort: the file only feeds the report's header, so
     * one that cannot be read or written is a warning, never a lost run.
     */
    private static void writeRunRecord(Path dir, Trainer trainer, long startStep) {
        Path file = dir.resolve(RUN_RECORD);
        try {
            JsonObject old = null;
            if (startStep != 0 && Files.exists(file)) {
                try {
                    com.google.gson.JsonElement e = com.google.gson.JsonParser.parseString(Files.readString(file,
                            java.nio.charset.StandardCharsets.UTF_8));
                    old = e.isJsonObject() ? e.getAsJsonObject() : null;
                } catch (RuntimeException e) {
                    LOG.warn("{}: unreadable ({}); it is started again with this resume", file, e.getMessage());
                }
            }
            AtomicFiles.writeString(file, runRecord(old, trainer.commandLine(), java.time.Instant.now(), startStep,
                    io.ravine.BuildInfo.describe(), trainer.backend().deviceDescription()));
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot write {}: {} (the report's header will lack the command line)", file, e.toString());
        }
    }

    /**
     * run.json: {@code {"format":1,"invocations":[{"command":[...],"started":ISO-8601,"start_step":N,"ravine":
     * VERSION,"device":DEVICE}, ...]}}, {@code old}'s invocations then this one. The command is the words as the
     * shell passed them; for the library API (no command line) it is null with {@code command_status} "library".
     * config.json is not the place: it holds the run's maths, compared on resume, and the command may differ there.
     */
    static String runRecord(JsonObject old, List<String> command, java.time.Instant started, long startStep,
            String version, String device) {
        JsonObject root = new JsonObject();
        root.addProperty("format", 1);
        com.google.gson.JsonArray invocations = new com.google.gson.JsonArray();
        if (old != null && old.get("invocations") instanceof com.google.gson.JsonArray before) {
            invocations.addAll(before);
        }
        JsonObject now = new JsonObject();
        if (command != null) {
            com.google.gson.JsonArray words = new com.google.gson.JsonArray();
            command.forEach(words::add);
            now.add("command", words);
        } else {
            StrictJson.missing(now, "command", "library (the Java API: no command line)");
        }
        now.addProperty("started", started.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        now.addProperty("start_step", startStep);
        now.addProperty("ravine", version);
        now.addProperty("device", device);
        invocations.add(now);
        root.add("invocations", invocations);
        return StrictJson.toJson(root);
    }

    /**
     * Removes the temporaries of atomic writes that a killed run left behind (see {@link AtomicFiles}); this run now
     * owns the directory, so no write of another is in flight.
     */
    private static void deleteLeftovers(Path dir) throws IOException {
        int n = AtomicFiles.deleteLeftovers(dir);
        for (String sub : SUBDIRECTORIES) {
            n += AtomicFiles.deleteLeftovers(dir.resolve(sub));
        }
        if (n > 0) {
            LOG.info("{}: removed {} temporary file(s) left by an interrupted run", dir, n);
        }
    }

    /** The config as given (enough to repeat the run) plus the values it resolved to, for the reader. */
    static String configJson(TrainConfig config, Trainer trainer) {
        JsonObject root = new JsonObject();
        // Every key, unset optional ones as null, so that a key missing from the file is an error, not a default.
        root.addProperty("format", ConfigFile.FORMAT);
        JsonObject settings = config.settingsTree();
        for (String key : ConfigFile.NULLABLE) {
            if (!settings.has(key)) {
                settings.add(key, JsonNull.INSTANCE);
            }
        }
        root.add("config", settings);
        JsonObject resolved = new JsonObject();
        resolved.addProperty("architecture", trainer.mlp().describe());
        resolved.addProperty("parameters", trainer.mlp().parameterCount());
        resolved.addProperty("learning_rate", config.resolvedLearningRate());
        resolved.addProperty("weight_decay", config.resolvedWeightDecay());
        resolved.addProperty("init", config.resolvedInit());
        resolved.addProperty("batch_size", trainer.batchSize());
        resolved.addProperty("steps_per_epoch", trainer.stepsPerEpoch());
        resolved.addProperty("total_steps", trainer.totalSteps());
        resolved.addProperty("train_examples", trainer.trainingData().n());
        resolved.addProperty("test_examples", trainer.testData().n());
        resolved.addProperty("optimizer", trainer.optimizer().toString());
        resolved.addProperty("device", trainer.backend().deviceDescription());
        root.add("resolved", resolved);
        return StrictJson.toJson(root);
    }

    /**
     * A row of metrics.csv, and the same values as TensorBoard scalars. {@code train} is the monitoring subset's
     * loss and accuracy (null: not measured; its accuracy NaN for a regression).
     */
    void appendMetrics(long step, double epoch, double lr, double batchLoss, Evaluation train, Evaluation test,
            Evaluation emaTest, double gradNorm, CurvatureProbe.Measurement curvature, double passes,
            double wallSeconds) {
        double[] values = {lr, batchLoss, train == null ? Double.NaN : train.loss(),
                train == null ? Double.NaN : train.accuracy(),
                test == null ? Double.NaN : test.loss(), test == null ? Double.NaN : test.accuracy(),
                emaTest == null ? Double.NaN : emaTest.loss(), emaTest == null ? Double.NaN : emaTest.accuracy(),
                gradNorm, curvature == null ? Double.NaN : curvature.gHg(),
                curvature == null ? Double.NaN : curvature.optimalStep(),
                curvature == null ? Double.NaN : curvature.gg(),
                curvature == null ? Double.NaN : curvature.predictedChange(),
                curvature == null ? Double.NaN : curvature.actualChange(), passes, wallSeconds};
        metrics.append(step, epoch, values);
        Map<String, Double> row = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            row.put(MetricsLog.COLUMNS.get(i + 2), values[i]);
        }
        events.scalars(step, row);
    }

    /** The training throughput so far, at a logging step (TensorBoard only: metrics.csv has no such column). */
    void appendThroughput(long step, double samplesPerSecond) {
        events.throughput(step, samplesPerSecond);
    }

    /** Whether {@code step} gets layer statistics: every {@code histogramEvery} steps and the run's last. */
    private boolean observed(long step) {
        return histogramEvery > 0 && (step % histogramEvery == 0 || step == lastStep);
    }

    /**
     * Before the update that makes step {@code t}: keeps θ where t is observed (for its update ratios).
     *
     * @return the nanoseconds this took after the device had finished its queued work (observing, not training:
     *     the trainer leaves them out of the training time, as it does evaluations)
     */
    long beforeUpdate(long t, Model model) {
        if (!observed(t)) {
            before = null;
            return 0;
        }
        model.backend().synchronize(); // the queued steps are training time
        long start = System.nanoTime();
        before = model.parameters();
        long took = System.nanoTime() - start;
        observeNanos += took;
        return took;
    }

    /**
     * After the update of {@code step}, before anything else uses the gradient buffer: at an observed step, the
     * layer statistics into layers.csv and TensorBoard.
     *
     * @return the nanoseconds this took, as {@link #beforeUpdate}
     */
    long afterUpdate(long step, Model model) {
        if (!observed(step)) {
            return 0;
        }
        model.backend().synchronize();
        long start = System.nanoTime();
        observe(step, model.parameters(), model.backend().toFloatArray(model.gradient()), before);
        before = null;
        long took = System.nanoTime() - start;
        observeNanos += took;
        return took;
    }

    private void observe(long step, float[] theta, float[] gradient, float[] previous) {
        List<LayerStats.TensorStats> stats = LayerStats.of(trainer.mlp(), theta, gradient, previous);
        layers.append(step, stats);
        events.histograms(step, stats);
        observedSteps++;
    }

    /** Saves θ, optimizer state and iterate average as {@code checkpoints/NAME.safetensors}; returns its path. */
    String saveCheckpoint(String name, long step, Model model, OptimizerState state, IterateAverage ema) {
        // The rows up to this step reach the disk before the checkpoint that a resumed run would start from.
        force();
        return checkpoint(name, step, model, state, ema);
    }

    /** Puts the rows written so far (metrics, layer statistics, events) on disk. */
    void force() {
        metrics.force();
        layers.force();
        events.force();
    }

    private String checkpoint(String name, long step, Model model, OptimizerState state, IterateAverage ema) {
        Path file = dir.resolve("checkpoints").resolve(name + ".safetensors");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("seed", Long.toString(trainer.config().seed()));
        if (!Double.isNaN(trainer.passes())) {
            meta.put(Checkpoint.PASSES, Double.toString(trainer.passes()));
        }
        Checkpoint.save(file, model, state, ema, step, trainer.normalizer(), trainer.trainingData().numClasses(),
                meta);
        return file.toString();
    }

    void writeSummary(TrainingResult r) {
        try {
            AtomicFiles.writeString(dir.resolve("summary.json"), summaryJson(r, trainer.iterateAverage() != null,
                    trainer.testData().numClasses() > 0));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write summary.json", e);
        }
    }

    /**
     * summary.json: strict JSON, every number that was not measured (or is not finite) null with the reason in its
     * {@code _status} member ({@link StrictJson}).
     *
     * @param averaged whether iterate averaging was on (its two fields are written only then)
     * @param classes whether the test targets are classes (else accuracy is undefined: a regression)
     */
    static String summaryJson(TrainingResult r, boolean averaged, boolean classes) {
        JsonObject s = new JsonObject();
        s.addProperty("status", r.diverged() ? "diverged" : r.interrupted() ? "interrupted" : "completed");
        // Why the final evaluation's numbers are missing, where they are.
        String noFinal = r.diverged() ? String.format(Locale.ROOT, "not measured: the run diverged at step %d"
                + " (see divergence), so it has no final evaluation", r.divergence().step())
                : r.interrupted() ? String.format(Locale.ROOT, "not measured: the run was interrupted after step %d,"
                + " before its final evaluation", r.steps()) : null;
        String noTrainLoss = r.interrupted() && !r.diverged() ? String.format(Locale.ROOT, "not measured: the run"
                + " was interrupted after step %d, before its first logged step", r.steps()) : noFinal;
        String noAccuracy = classes ? noFinal
                : "undefined: the targets are real numbers (a regression), so there is no accuracy";
        StrictJson.number(s, "final_train_loss", r.finalTrainLoss(), noTrainLoss);
        // The monitoring subset's accuracy where its loss is (metrics.csv's last train_accuracy).
        StrictJson.number(s, "final_train_accuracy", r.finalTrainAccuracy(), classes && noTrainLoss == null ? null
                : classes ? noTrainLoss : "undefined: the targets are real numbers (a regression), so there is no"
                + " accuracy");
        StrictJson.number(s, "test_loss", r.testLoss(), noFinal);
        StrictJson.number(s, "test_accuracy", r.testAccuracy(), classes && noFinal == null ? null : noAccuracy);
        if (averaged) {
            StrictJson.number(s, "ema_test_loss", r.emaTestLoss(), noFinal);
            StrictJson.number(s, "ema_test_accuracy", r.emaTestAccuracy(),
                    classes && noFinal == null ? null : noAccuracy);
        }
        StrictJson.number(s, "samples_per_second", r.samplesPerSecond(), r.trainSeconds() > 0 ? null
                : "not measured: no training step was timed (the run did no steps)");
        StrictJson.number(s, "train_seconds", r.trainSeconds(), null);
        s.addProperty("steps", r.steps());
        StrictJson.number(s, "epochs", r.epochs(), null);
        s.addProperty("device", r.device());
        if (r.lastGoodCheckpoint() != null) {
            s.addProperty("last_good_checkpoint", r.lastGoodCheckpoint());
        } else {
            StrictJson.missing(s, "last_good_checkpoint", "none: no checkpoint was written before the run stopped"
                    + " (--checkpoint-every N keeps some)");
        }
        if (r.divergence() != null) {
            Divergence dv = r.divergence();
            JsonObject d = new JsonObject();
            d.addProperty("step", dv.step());
            d.addProperty("quantity", dv.quantity());
            if (dv.blowUp()) {
                StrictJson.number(d, "monitoring_loss", dv.value(), null);
                StrictJson.number(d, "starting_monitoring_loss", dv.startValue(), null);
                d.addProperty("blow_up_factor", Divergence.BLOW_UP_FACTOR);
            }
            d.addProperty("evidence", dv.evidence());
            d.addProperty("workaround", Divergence.WORKAROUND);
            s.add("divergence", d);
        }
        return StrictJson.toJson(s);
    }

    @Override
    public void close() {
        if (observedSteps > 0) {
            LOG.info("{}: layer statistics at {} step(s) in {} ms (left out of the training time)", LayerLog.FILE,
                    observedSteps, String.format(Locale.ROOT, "%.1f", observeNanos / 1e6));
        }
        try {
            metrics.close();
        } finally {
            try {
                layers.close();
            } finally {
                events.close();
            }
        }
    }
}
