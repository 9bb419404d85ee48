package io.ravine.study;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.data.DataSources;
import io.ravine.data.TrainTest;
import io.ravine.io.AtomicFiles;
import io.ravine.io.DirectoryLock;
import io.ravine.io.OutputDirectories;
import io.ravine.io.StrictJson;
import io.ravine.report.LinePlot;
import io.ravine.report.ReportFiles;
import io.ravine.train.ResumeCheck;
import io.ravine.train.RunDirectories;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import io.ravine.train.TrainingResult;
import java.awt.Color;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A learning-rate grid search with random restarts (the lectures' remedies for a badly chosen α and for bad local
 * optima): for each learning rate and each of K seeds, a full training run into its own run directory, in sequence
 * on one backend, each with its own {@code report.html} as {@code ravine train} writes it. Then {@code sweep.csv},
 * {@code sweep.json}, {@code final-loss-vs-lr.png} (median line over restarts, every run as a point) and the sweep's
 * {@code report.html} ({@link SweepReport}: header, the runs ranked by the criterion with links to their reports,
 * every run's curves overlaid), with the best run named; while the sweep runs, the page is also rewritten after a
 * run at most once a minute. Runs that diverge are kept and reported as diverged.
 * A rerun reuses each run directory that already holds a finished run of the same configuration (it has a
 * {@code summary.json}), resumes a run that a kill interrupted from its latest checkpoint (train with
 * {@code --checkpoint-every} to have one), and runs the rest.
 */
public final class LearningRateSweep {
    private static final Logger LOG = LoggerFactory.getLogger(LearningRateSweep.class);

    /** The lectures' grid, factors of about 3: 1, 0.3, 0.1, …, 1e-4. */
    public static final double[] DEFAULT_LEARNING_RATES = {1, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 3e-4, 1e-4};

    private final TrainConfig base;
    private final double[] learningRates;
    private final int restarts;
    private final Path dir;
    private final String select;
    private String location;
    private boolean progressBar = io.ravine.io.Terminal.stderrIsTerminal();
    private boolean overwrite;
    private List<String> commandLine;
    private List<io.ravine.report.PageHeader.Invocation> invocations = List.of();
    /** When the page was last written while the sweep ran ({@link System#nanoTime}). */
    private long pageWritten;
    /** The shortest time between two writes of the page while the sweep runs. */
    private static final long PAGE_INTERVAL_NANOS = 60_000_000_000L;
    private TrainTest data;

    /**
     * One run of the sweep.
     *
     * @param status {@code completed} or {@code diverged}
     */
    public record Run(double learningRate, long seed, Path runDir, String status, double finalTrainLoss,
            double testLoss, double testAccuracy, long steps) {
    }

    /** All runs, in order, and the best completed one (null when every run diverged). */
    public record Result(List<Run> runs, Run best, List<Run> ranNow) {
    }

    /**
     * @param base the training configuration; its learning rate and seed are replaced per run
     * @param learningRates the grid
     * @param restarts seeds per learning rate: base seed, base seed + 1, …
     * @param select {@code train_loss} or {@code test_loss}: what "best" minimises
     */
    /** Most seeds per learning rate (a sanity bound: each is a whole training run per learning rate). */
    public static final int MAX_RESTARTS = 1000;

    public LearningRateSweep(TrainConfig base, double[] learningRates, int restarts, Path dir, String select) {
        if (learningRates.length == 0) {
            throw new InvalidInputException("--lr must list at least one learning rate");
        }
        for (double lr : learningRates) {
            if (!(lr > 0) || !Double.isFinite(lr)) {
                throw new InvalidInputException("--lr must be positive numbers, got " + lr);
            }
        }
        if (restarts < 1 || restarts > MAX_RESTARTS) {
            throw new InvalidInputException("--restarts must be between 1 and " + MAX_RESTARTS + " (each is a"
                    + " training run per learning rate), got " + restarts);
        }
        java.util.Map<String, Double> names = new java.util.HashMap<>();
        for (double lr : learningRates) {
            Double other = names.putIfAbsent(BatchSizeStudy.lrKey(lr), lr);
            if (other != null) {
                throw new InvalidInputException("--lr lists " + (other == lr ? lr + " twice" : other + " and " + lr
                        + ", which share the run directory lr-" + BatchSizeStudy.lrKey(lr) + "-… (4 significant"
                        + " digits)"));
            }
        }
        if (!select.equals("train_loss") && !select.equals("test_loss")) {
            throw new InvalidInputException("--select must be train_loss or test_loss, not '" + select + "'");
        }
        if (base.learningRateTracker() != null) {
            // A tracker is a whole schedule of rates: a grid of rates has nothing to set in it.
            throw new io.ravine.InvalidSettingException("learningRateTracker", " is set: a sweep gives each run a"
                    + " learning rate of its grid, with a schedule spec (schedule) if any, not a Tracker");
        }
        this.base = base;
        this.learningRates = learningRates.clone();
        this.restarts = restarts;
        this.dir = dir;
        this.select = select;
    }

    /** Shows a progress line over the runs on stderr (default: where stderr is a terminal). */
    public LearningRateSweep optProgressBar(boolean on) {
        progressBar = on;
        return this;
    }

    /**
     * Lets {@link #run} replace the sweep directory whole (moved aside, removed once the new one is created) where
     * it holds files that are not this sweep's or runs of other settings; without it those are refused. A directory
     * holding this sweep's runs is resumed either way, unless this is on: then every run starts again.
     */
    public LearningRateSweep optOverwrite(boolean on) {
        this.overwrite = on;
        return this;
    }

    /**
     * The command line that started the sweep: recorded with the date, Ravine's version and the device in the sweep
     * directory's {@code invocations.json} (one entry per start or resume) for its report's header, and given to
     * every run ({@code run.json}, its report's header). Without it the sweep and its runs say "library".
     *
     * @param args the words of the command line as the shell passed them ({@code ravine sweep lr ...})
     * @return this sweep
     */
    public LearningRateSweep optCommandLine(List<String> args) {
        this.commandLine = args == null ? null : List.copyOf(args);
        return this;
    }

    /**
     * Where the sweep directory is, as sweep.csv and sweep.json name its runs ({@code run_dir}): by default the
     * directory's path. A driver that writes the sweep through a local copy of a directory elsewhere (Ravine on Spark
     * with a Hadoop filesystem URI) gives that directory's URI, so that the files name where the runs are.
     *
     * @param location the sweep directory's path or URI, without a trailing slash; null for the path
     * @return this sweep
     */
    public LearningRateSweep optLocation(String location) {
        this.location = location;
        return this;
    }

    /** A run's directory as the sweep's files name it: its path, or under {@link #optLocation}. */
    private String location(Run r) {
        return location == null ? r.runDir().toString() : location + "/" + r.runDir().getFileName();
    }

    /** What a sweep directory may hold besides its runs: its results and the temporaries of killed writes. */
    private static final java.util.Set<String> OWN_FILES = ownFiles();

    private static java.util.Set<String> ownFiles() {
        java.util.Set<String> own = new java.util.HashSet<>(List.of("sweep.csv", "sweep.json",
                SweepReport.FINAL_LOSS_PLOT, io.ravine.report.PageHeader.FILE));
        own.addAll(SweepReport.FILES);
        return java.util.Set.copyOf(own);
    }
    private static final java.util.regex.Pattern RUN_NAME = java.util.regex.Pattern.compile("lr-.+-seed--?\\d+/");

    static String runName(double lr, long seed) {
        return "lr-" + BatchSizeStudy.lrKey(lr) + "-seed-" + seed;
    }

    /**
     * One run of the grid, planned: what {@link #runTrial} runs and {@link #finished} looks for. The same sweep
     * always plans the same trials in the same order (learning rates as given, then seeds), so a trial's index in
     * {@link #plan()} names it in another process of the same sweep (a cluster's task).
     *
     * @param learningRate the run's learning rate
     * @param seed the run's seed
     * @param runDir the run directory, {@code lr-<lr>-seed-<seed>} inside the sweep directory
     * @param config the run's configuration: the base with this learning rate and seed
     */
    public record Trial(double learningRate, long seed, Path runDir, TrainConfig config) {
    }

    /**
     * The grid's runs in the order they run and are reported: each learning rate with its seeds.
     *
     * @return every run of the grid, finished or not
     */
    public List<Trial> plan() {
        List<Trial> plan = new ArrayList<>();
        for (double lr : learningRates) {
            for (int k = 0; k < restarts; k++) {
                long seed = base.seed() + k;
                plan.add(new Trial(lr, seed, dir.resolve(runName(lr, seed)),
                        base.toBuilder().optLearningRate(lr).optSeed(seed).build()));
            }
        }
        return plan;
    }

    /**
     * Runs the sweep in its directory, locked while this runs: every run of the grid not finished there yet. Before
     * anything is written, the directory is checked: files that are not the sweep's, or a run of the grid with
     * other settings, are refused (naming them) unless {@link #optOverwrite}.
     *
     * @param backend the backend every run trains on
     * @return the runs and the best one
     */
    public Result run(Backend backend) {
        DirectoryLock lock = open();
        try {
            recordStart(backend.deviceDescription());
            pageWritten = System.nanoTime();
            List<Run> runs = new ArrayList<>();
            List<Run> ranNow = new ArrayList<>();
            List<Trial> plan = plan();
            try (TrialProgress progress = new TrialProgress("run", plan.size(), 0, progressBar)) {
                for (Trial t : plan) {
                    Run done = finished(t);
                    if (done == null) {
                        done = runTrial(t, backend, data());
                        ranNow.add(done);
                        runs.add(done);
                        // The page while the sweep runs, so a long sweep shows how far it got (and a killed one too);
                        // at most once a minute, so a sweep of short runs does not spend its time drawing it.
                        if (runs.size() < plan.size() && System.nanoTime() - pageWritten > PAGE_INTERVAL_NANOS) {
                            writePage(runs, best(runs));
                            pageWritten = System.nanoTime();
                        }
                    } else {
                        reportOfFinishedRun(t.runDir());
                        runs.add(done);
                    }
                    progress.advance(t.runDir().getFileName().toString());
                }
            }
            return gather(runs, ranNow);
        } finally {
            lock.close();
        }
    }

    /**
     * Appends this start to the sweep's {@code invocations.json} (the page's header: command line, date, version,
     * device). {@link #run} calls it after {@link #open}; a driver that runs the trials elsewhere calls it there too.
     *
     * @param device the device description the runs train on
     */
    public void recordStart(String device) {
        invocations = io.ravine.report.PageHeader.append(dir, io.ravine.report.PageHeader.now(commandLine, device));
    }

    /** A run finished by a version that wrote no report for sweep runs: the sweep's page links one. */
    static void reportOfFinishedRun(Path runDir) {
        if (!Files.exists(runDir.resolve("report.html"))) {
            ReportFiles.bestEffort(runDir.resolve("report.html"), () -> io.ravine.report.RunReport.write(runDir));
        }
    }

    /**
     * Checks the sweep directory and takes it for this sweep: files that are not the sweep's, or a run of the grid
     * with other settings, are refused (naming them) unless {@link #optOverwrite}, and the data are loaded where a
     * run is still to do (a bad data set fails here), all before anything is written; then the directory is
     * replaced ({@link #optOverwrite}) or created, and locked. {@link #run} calls this first; a driver that runs the
     * trials elsewhere ({@link #runTrial} in other processes) calls it, then {@link #gather}, then closes the lock.
     *
     * @return the sweep directory's lock, held until closed
     */
    public DirectoryLock open() {
        // Validate, then write: the directory's contents (files that are not the sweep's, a run of the grid with
        // other settings) are checked and the data loaded before anything is written, so a sweep that cannot run
        // stops before it has created, replaced or locked anything.
        boolean needData = overwrite;
        if (!overwrite && !OutputDirectories.isEmpty(dir) && Files.isDirectory(dir)) {
            requireOwnContents();
        }
        if (!overwrite) {
            for (Trial t : plan()) {
                needData |= finished(t) == null;
            }
        }
        if (needData) {
            data();
        }
        OutputDirectories.Replacement old = null;
        DirectoryLock lock;
        try {
            if (overwrite) {
                old = OutputDirectories.replace(dir);
            }
            Files.createDirectories(dir);
            lock = DirectoryLock.acquire(dir);
        } catch (IOException | RuntimeException e) {
            if (old != null) {
                old.restore();
            }
            throw e instanceof IOException io ? new UncheckedIOException("cannot write the sweep directory " + dir,
                    io) : (RuntimeException) e;
        }
        if (old != null) {
            old.discard();
        }
        return lock;
    }

    /**
     * The sweep's data, loaded on first use (once per sweep object).
     *
     * @return the training and test data of every run
     */
    public TrainTest data() {
        if (data == null) {
            data = DataSources.load(base.data(), base.testData(), base.loss(), base.limit());
        }
        return data;
    }

    /** Refuses a sweep directory that holds anything but this sweep's results and runs of its settings. */
    private void requireOwnContents() {
        List<String> foreign = OutputDirectories.contents(dir).stream().filter(n -> !OWN_FILES.contains(n)
                && !RUN_NAME.matcher(n).matches() && !AtomicFiles.isTemporaryName(n)).toList();
        if (!foreign.isEmpty()) {
            throw new InvalidInputException("--run-dir " + dir + ": holds files that are not a learning-rate"
                    + " sweep's (" + OutputDirectories.describe(foreign) + "): choose another --run-dir, or replace it"
                    + " with --overwrite");
        }
        for (double lr : learningRates) {
            for (int k = 0; k < restarts; k++) {
                long seed = base.seed() + k;
                Path runDir = dir.resolve(runName(lr, seed));
                if (Files.exists(runDir.resolve("config.json"))) {
                    TrainConfig config = base.toBuilder().optLearningRate(lr).optSeed(seed).build();
                    TrainConfig saved = RunDirectories.readConfig(runDir);
                    if (!saved.equals(config)) {
                        throw new InvalidInputException(runDir + " holds a run with other settings ("
                                + differences(saved, config) + "): rerun with the same settings, choose another"
                                + " --run-dir, or replace it with --overwrite");
                    }
                }
            }
        }
    }

    /** {@code hidden [8] (saved) vs [16] (given), …} over every setting. */
    private static String differences(TrainConfig saved, TrainConfig given) {
        java.util.Map<String, Object> a = ResumeCheck.settings(saved);
        java.util.Map<String, Object> b = ResumeCheck.settings(given);
        List<String> out = new ArrayList<>();
        for (String key : a.keySet()) {
            if (!java.util.Objects.deepEquals(a.get(key), b.get(key))) {
                out.add(key + " " + show(a.get(key)) + " (saved) vs " + show(b.get(key)) + " (given)");
            }
        }
        return String.join(", ", out);
    }

    private static String show(Object v) {
        return v instanceof int[] w ? java.util.Arrays.toString(w) : String.valueOf(v);
    }

    /**
     * Runs one trial of the grid into its run directory: resumes it from its latest checkpoint where an earlier
     * attempt was interrupted (a killed process, a failed cluster task), starts it again where that attempt stopped
     * before its first checkpoint, and trains it from the start otherwise. Call it only for a trial that {@link
     * #finished} says is not finished. The run directory is locked while it trains.
     *
     * @param t the trial, from {@link #plan()}
     * @param backend the backend it trains on
     * @param data the sweep's data ({@link #data()})
     * @param listeners further listeners of the run (none for a sweep's own runs)
     * @return the finished run
     */
    public Run runTrial(Trial t, Backend backend, TrainTest data, io.ravine.train.TrainingListener... listeners) {
        Path runDir = t.runDir();
        Path resumeFrom = interrupted(runDir, t.config());
        Run done;
        try (Trainer trainer = new Trainer(t.config(), backend, data)) {
            // Each run writes its own report.html, as a train run does; the sweep's page links them.
            trainer.optRunDirectory(runDir).optProgressBar(false).optCommandLine(commandLine);
            for (io.ravine.train.TrainingListener l : listeners) {
                trainer.optListener(l);
            }
            // A run killed before its first checkpoint has a config.json: resume() starts it again.
            TrainingResult r = resumeFrom != null ? trainer.resumeFrom(resumeFrom)
                    : Files.exists(runDir.resolve("config.json")) ? trainer.resume() : trainer.fit();
            done = new Run(t.learningRate(), t.seed(), runDir, r.diverged() ? "diverged" : "completed",
                    r.finalTrainLoss(), r.testLoss(), r.testAccuracy(), r.steps());
        }
        LOG.info("lr {} seed {}: {}, train loss {}, test loss {}", t.learningRate(), t.seed(), done.status(),
                done.finalTrainLoss(), done.testLoss());
        return done;
    }

    /**
     * Picks the best run and writes {@code sweep.csv}, {@code sweep.json}, the chart and the page into the (locked)
     * sweep directory.
     *
     * @param runs every run of the grid, in the order of {@link #plan()}
     * @param ranNow the runs trained by this invocation (the rest were found finished)
     * @return the result
     */
    public Result gather(List<Run> runs, List<Run> ranNow) {
        Run best = best(runs);
        write(runs, best);
        return new Result(List.copyOf(runs), best, List.copyOf(ranNow));
    }

    /** The completed run with the lowest finite criterion, the first in grid order among equals; null if none. */
    private Run best(List<Run> runs) {
        return runs.stream().filter(r -> r.status().equals("completed") && Double.isFinite(score(r)))
                .min(Comparator.comparingDouble(this::score)).orElse(null);
    }

    private SweepReport.Inputs reportInputs(List<Run> runs, Run best) {
        return new SweepReport.Inputs(dir, base, learningRates, restarts, select, List.copyOf(runs), best,
                learningRates.length * restarts, invocations);
    }

    private double score(Run r) {
        return score(r, select);
    }

    private static double score(Run r, String select) {
        return select.equals("train_loss") ? r.finalTrainLoss() : r.testLoss();
    }

    /**
     * The trial's run when its run directory already holds it finished (a {@code summary.json}) with this
     * configuration, read from that directory; null when it is still to run. A run directory of another
     * configuration is refused.
     *
     * @param t the trial, from {@link #plan()}
     * @return the finished run, or null
     */
    public Run finished(Trial t) {
        return finished(t.runDir(), t.config(), t.learningRate(), t.seed());
    }

    /** The run already in {@code runDir} when it finished with this configuration; null to (re)run it. */
    private static Run finished(Path runDir, TrainConfig config, double lr, long seed) {
        Path summary = runDir.resolve("summary.json");
        if (!Files.exists(summary)) {
            return null;
        }
        if (!RunDirectories.readConfig(runDir).equals(config)) {
            throw new InvalidInputException(runDir + " holds a run with another configuration; use another --run-dir");
        }
        JsonObject s = StudyFiles.readJson(summary).getAsJsonObject();
        return new Run(lr, seed, runDir, s.get("status").getAsString(), number(s, "final_train_loss"),
                number(s, "test_loss"), number(s, "test_accuracy"), s.get("steps").getAsLong());
    }

    /**
     * The latest checkpoint of a run that a killed sweep left unfinished in {@code runDir} (a config and no summary),
     * to resume from; null to start the run afresh (no such run, or it had not reached a checkpoint).
     */
    private static Path interrupted(Path runDir, TrainConfig config) {
        if (!Files.exists(runDir.resolve("config.json"))) {
            return null;
        }
        if (!RunDirectories.readConfig(runDir).equals(config)) {
            throw new InvalidInputException(runDir + " holds a run with another configuration; use another --run-dir");
        }
        List<Path> checkpoints = RunDirectories.checkpoints(runDir);
        if (checkpoints.isEmpty()) {
            return null;
        }
        Path latest = checkpoints.get(checkpoints.size() - 1);
        LOG.info("{}: an interrupted run; resuming it from {}", runDir, latest.getFileName());
        return latest;
    }

    private static double number(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsDouble() : Double.NaN;
    }

    private void write(List<Run> runs, Run best) {
        try {
            Files.createDirectories(dir);
            StringWriter csv = new StringWriter();
            try (CSVPrinter p = new CSVPrinter(csv, CSVFormat.DEFAULT.builder().setHeader("learning_rate", "seed",
                    "run_dir", "status", "final_train_loss", "test_loss", "test_accuracy", "steps")
                    .setRecordSeparator("\n").build())) {
                for (Run r : runs) {
                    p.printRecord(r.learningRate(), r.seed(), location(r), r.status(),
                            cell(r.finalTrainLoss()), cell(r.testLoss()), cell(r.testAccuracy()), r.steps());
                }
            }
            AtomicFiles.writeString(dir.resolve("sweep.csv"), csv.toString());
            JsonObject root = new JsonObject();
            root.addProperty("select", select);
            root.addProperty("restarts", restarts);
            JsonArray arr = new JsonArray();
            for (Run r : runs) {
                arr.add(json(r));
            }
            root.add("runs", arr);
            if (best == null) {
                StrictJson.missing(root, "best", "none: every run diverged (or none has a finite " + select + ")");
            } else {
                root.add("best", json(best));
            }
            root.add("train_config", StrictJson.settingsTree(base));
            AtomicFiles.writeString(dir.resolve("sweep.json"), StrictJson.toJson(root));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the sweep summary in " + dir, e);
        }
        // The charts and the page after sweep.csv and sweep.json, and never a reason to lose them.
        writePage(runs, best);
    }

    /** The final-loss chart and the sweep's report.html, of the runs so far (best effort: warnings, no exception). */
    private void writePage(List<Run> runs, Run best) {
        Path png = dir.resolve(SweepReport.FINAL_LOSS_PLOT);
        ReportFiles.bestEffort(png, () -> finalLossPlot(learningRates, select, runs, best).write(png));
        SweepReport.write(reportInputs(runs, best));
    }

    private static String cell(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    private JsonObject json(Run r) {
        JsonObject o = new JsonObject();
        o.addProperty("learning_rate", r.learningRate());
        o.addProperty("seed", r.seed());
        o.addProperty("run_dir", location(r));
        o.addProperty("status", r.status());
        // A diverged run has no final evaluation; a completed one without accuracy is a regression.
        String diverged = r.status().equals("diverged") ? "not measured: the run diverged (its summary.json says"
                + " where and why), so it has no final evaluation" : null;
        StrictJson.number(o, "final_train_loss", r.finalTrainLoss(), diverged);
        StrictJson.number(o, "test_loss", r.testLoss(), diverged);
        StrictJson.number(o, "test_accuracy", r.testAccuracy(), diverged != null ? diverged
                : "undefined: the targets are real numbers (a regression), so there is no accuracy");
        o.addProperty("steps", r.steps());
        return o;
    }

    /**
     * Final loss against learning rate, log-log: the median over restarts as a line, every run as a point, and
     * diverged runs as crosses at the top of the chart (their loss is not a number, but they are results).
     *
     * @param learningRates the grid
     * @param select what "best" minimises: {@code train_loss} or {@code test_loss}
     */
    static LinePlot finalLossPlot(double[] learningRates, String select, List<Run> runs, Run best) {
        String label = select.equals("train_loss") ? "final training loss" : "final test loss";
        List<Double> medX = new ArrayList<>();
        List<Double> medY = new ArrayList<>();
        List<Double> ptX = new ArrayList<>();
        List<Double> ptY = new ArrayList<>();
        List<Double> divX = new ArrayList<>();
        double top = 0;
        for (double lr : learningRates) {
            List<Double> ys = new ArrayList<>();
            for (Run r : runs) {
                if (r.learningRate() == lr) {
                    double y = score(r, select);
                    if (r.status().equals("completed") && Double.isFinite(y) && y > 0) {
                        ys.add(y);
                        ptX.add(lr);
                        ptY.add(y);
                        top = Math.max(top, y);
                    } else {
                        divX.add(lr);
                    }
                }
            }
            if (!ys.isEmpty()) {
                ys.sort(null);
                int n = ys.size();
                medX.add(lr);
                medY.add(n % 2 == 1 ? ys.get(n / 2) : 0.5 * (ys.get(n / 2 - 1) + ys.get(n / 2)));
            }
        }
        LinePlot plot = new LinePlot(label + " against learning rate" + (medX.isEmpty() ? ": every run diverged"
                : best == null ? "" : " (best: " + best.runDir().getFileName() + ")"), "learning rate", label)
                .logX().logY();
        if (medX.isEmpty()) {
            return plot;
        }
        sortByX(medX, medY);
        plot.series("median over restarts", array(medX), array(medY), new Color(31, 119, 180), false, false)
                .points("runs", array(ptX), array(ptY), new Color(31, 119, 180), LinePlot.Shape.CIRCLE);
        if (!divX.isEmpty()) {
            double[] divY = new double[divX.size()];
            java.util.Arrays.fill(divY, 2 * top);
            plot.points("diverged", array(divX), divY, Color.RED, LinePlot.Shape.CROSS);
        }
        if (best != null) {
            plot.points("best", new double[] {best.learningRate()}, new double[] {score(best, select)},
                    Color.GREEN.darker(), LinePlot.Shape.DIAMOND);
        }
        return plot;
    }

    private static double[] array(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void sortByX(List<Double> x, List<Double> y) {
        Integer[] idx = new Integer[x.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, Comparator.comparingDouble(x::get));
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (int i : idx) {
            xs.add(x.get(i));
            ys.add(y.get(i));
        }
        x.clear();
        x.addAll(xs);
        y.clear();
        y.addAll(ys);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "sweep of %d learning rates × %d restarts", learningRates.length, restarts);
    }
}
