package io.ravine.study;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.ravine.io.StrictJson;
import io.ravine.report.HtmlPage;
import io.ravine.report.LinePlot;
import io.ravine.report.PageHeader;
import io.ravine.report.ReportFiles;
import io.ravine.report.TickFormat;
import io.ravine.train.MetricsLog;
import io.ravine.train.TrainConfig;
import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A learning-rate sweep's {@code report.html}: the header (command, date, version, device), the best run, the runs
 * ranked by the sweep's criterion with a link to each run's own report, the final loss against the learning rate,
 * and every run's training curves overlaid in one chart per quantity (training loss on the monitoring subset; test
 * loss and accuracy where the runs measured them during training). Drawn from the runs' {@code metrics.csv} and
 * {@code summary.json}; every file is written atomically ({@link ReportFiles}), and a chart or page that cannot be
 * drawn is one warning line, never a lost sweep.
 */
final class SweepReport {
    private static final Logger LOG = LoggerFactory.getLogger(SweepReport.class);

    static final String FILE = "report.html";
    static final String FINAL_LOSS_PLOT = "final-loss-vs-lr.png";
    static final String TRAIN_LOSS_PLOT = "train-loss-curves.png";
    static final String TEST_LOSS_PLOT = "test-loss-curves.png";
    static final String TEST_ACCURACY_PLOT = "test-accuracy-curves.png";
    /** Every file the report writes into the sweep directory. */
    static final List<String> FILES = List.of(FILE, TRAIN_LOSS_PLOT, TEST_LOSS_PLOT, TEST_ACCURACY_PLOT);

    /** What the sweep knows when it writes its page. */
    record Inputs(Path dir, TrainConfig base, double[] learningRates, int restarts, String select,
            List<LearningRateSweep.Run> runs, LearningRateSweep.Run best, int total,
            List<PageHeader.Invocation> invocations) {
    }

    private SweepReport() {
    }

    /** Writes the charts and {@code report.html}; best effort (never an exception). */
    static void write(Inputs in) {
        ReportFiles.bestEffort(in.dir().resolve(FILE), () -> page(in).write(in.dir().resolve(FILE)));
    }

    /** The criterion's value of a run: its final training loss or its final test loss. */
    static double score(LearningRateSweep.Run r, String select) {
        return select.equals("train_loss") ? r.finalTrainLoss() : r.testLoss();
    }

    /**
     * The runs best first: completed runs with a finite value of the criterion by that value (lowest first), then
     * the rest (diverged, or no value) in grid order. The first is the sweep's best run where it is completed.
     */
    static List<LearningRateSweep.Run> ranking(List<LearningRateSweep.Run> runs, String select) {
        List<LearningRateSweep.Run> ranked = new ArrayList<>(runs);
        // A stable sort: equal values keep the grid's order, as the best run's choice does.
        ranked.sort(Comparator.comparingDouble(r -> rankable(r, select) ? score(r, select) : Double.POSITIVE_INFINITY));
        List<LearningRateSweep.Run> out = new ArrayList<>(ranked.stream().filter(r -> rankable(r, select)).toList());
        out.addAll(runs.stream().filter(r -> !rankable(r, select)).toList());
        return out;
    }

    static boolean rankable(LearningRateSweep.Run r, String select) {
        return r.status().equals("completed") && Double.isFinite(score(r, select));
    }

    private static String criterion(String select) {
        return select.equals("train_loss") ? "the lowest final training loss (on the monitoring subset)"
                : "the lowest final test loss";
    }

    private static HtmlPage page(Inputs in) {
        Path dir = in.dir();
        HtmlPage page = new HtmlPage("Learning-rate sweep: " + dir.toAbsolutePath().normalize().getFileName());
        PageHeader.write(page, in.invocations());
        List<LearningRateSweep.Run> runs = in.runs();
        long diverged = runs.stream().filter(r -> r.status().equals("diverged")).count();

        page.heading("Result");
        page.paragraph(String.format(Locale.ROOT, "%d learning rates × %d restart%s (seeds %d … %d): %d of %d runs"
                + " done, %d completed, %d diverged.", in.learningRates().length, in.restarts(),
                in.restarts() == 1 ? "" : "s", in.base().seed(), in.base().seed() + in.restarts() - 1, runs.size(),
                in.total(), runs.size() - diverged, diverged));
        if (runs.size() < in.total()) {
            page.paragraph("The sweep is running, or was stopped: rerun the same command to finish it (finished runs"
                    + " are kept). While the sweep runs, this page is rewritten after a run at most once a minute,"
                    + " and at its end.");
        }
        LearningRateSweep.Run best = in.best();
        if (best != null) {
            page.table(List.of("best run (--select " + in.select() + ": " + criterion(in.select()) + ")", "value"),
                    List.of(List.of("run", runLink(dir, best)),
                            List.of(PageHeader.withUnit("learning_rate"), number(best.learningRate())),
                            List.of("seed", Long.toString(best.seed())),
                            List.of(in.select(), number(score(best, in.select())))));
        } else {
            page.paragraph("No best run: " + (runs.isEmpty() ? "no run has finished yet."
                    : "every run diverged, or none has a finite " + in.select() + "; try smaller learning rates."));
        }

        page.heading("Ranking");
        page.paragraph("Best first by " + in.select() + " (--select: " + criterion(in.select()) + "); runs without a"
                + " finite value (diverged) last, in the grid's order. Each run links to its own report.");
        List<List<Object>> rows = new ArrayList<>();
        int rank = 0;
        for (LearningRateSweep.Run r : ranking(runs, in.select())) {
            boolean ranked = rankable(r, in.select());
            JsonObject summary = summary(r.runDir());
            rows.add(List.of(ranked ? Integer.toString(++rank) : "- (unranked)", runLink(dir, r),
                    number(r.learningRate()), Long.toString(r.seed()),
                    value(r.finalTrainLoss(), r, summary, "final_train_loss"),
                    value(r.testLoss(), r, summary, "test_loss"), value(r.testAccuracy(), r, summary, "test_accuracy"),
                    diverged(r, summary), Long.toString(r.steps())));
        }
        page.table(List.of("rank", "run (its report)", "learning rate (lr)", "seed", "final train loss", "test loss",
                "test accuracy", "diverged", "steps (steps)"), rows);

        page.heading("Final loss against learning rate");
        page.paragraph("Log-log: the median over restarts as a line, every run as a point, diverged runs as red"
                + " crosses at the top, the best run as a diamond.");
        image(page, dir, FINAL_LOSS_PLOT, "final loss against learning rate");

        Map<String, LinePlot> charts = curveCharts(runs);
        page.heading("Training loss curves");
        page.paragraph("Every run's loss on the monitoring subset (metrics.csv's train_loss) against the step, one"
                + " series per learning rate and seed: one colour per learning rate (blue the smallest, red the"
                + " largest), the first seed solid and the others dashed. Losses above " + (int) CUT_OFF + " times"
                + " the largest first logged loss (a diverging run's blow-up) are left out, so the other runs keep"
                + " their scale; such a run's curve ends where it leaves the chart.");
        drawn(page, dir, charts, TRAIN_LOSS_PLOT, "training loss of every run",
                "No run has logged a training loss yet.");
        page.heading("Test curves");
        if (charts.containsKey(TEST_LOSS_PLOT) || charts.containsKey(TEST_ACCURACY_PLOT)) {
            drawn(page, dir, charts, TEST_LOSS_PLOT, "test loss of every run", "No run measured a test loss.");
            drawn(page, dir, charts, TEST_ACCURACY_PLOT, "test accuracy of every run",
                    "No run measured a test accuracy (a regression has none).");
        } else {
            page.paragraph("Not measured during training (the runs evaluate the test set only at their end, shown"
                    + " in the ranking; --eval-every N measures it every N steps).");
        }

        page.heading("Settings");
        page.paragraph("Every run's settings but its learning rate and seed (each run's config.json has them all).");
        page.table(List.of("setting", "value"), settings(in));

        page.heading("Files");
        List<Object> files = new ArrayList<>();
        for (String[] f : new String[][] {{"sweep.csv", "one row per run"}, {"sweep.json", "the runs, the best run"
                + " and the settings"}, {PageHeader.FILE, "the command of every start"}}) {
            if (Files.exists(dir.resolve(f[0]))) {
                files.add(List.of(new HtmlPage.Link(f[0], f[0]), ": " + f[1]));
            }
        }
        files.add("lr-LR-seed-SEED/: one run directory per run (config.json, metrics.csv, summary.json,"
                + " checkpoints, report.html)");
        page.bullets(files);
        return page;
    }

    /** A link to the run's report, relative to the sweep's page; its name where the report is missing. */
    private static Object runLink(Path dir, LearningRateSweep.Run r) {
        String name = r.runDir().getFileName().toString();
        Path rel;
        try {
            rel = dir.toAbsolutePath().normalize().relativize(r.runDir().toAbsolutePath().normalize());
        } catch (IllegalArgumentException e) {
            return name;
        }
        if (!Files.isRegularFile(r.runDir().resolve("report.html"))) {
            return name + " (no report.html: the warning on stderr says why)";
        }
        return new HtmlPage.Link(name, rel.toString().replace('\\', '/') + "/report.html");
    }

    private static String number(double v) {
        return TickFormat.human(v, 4);
    }

    /** A run's number, or "-" and why it has none (from summary.json's reason where it gives one). */
    private static String value(double v, LearningRateSweep.Run r, JsonObject summary, String key) {
        if (Double.isFinite(v)) {
            return String.format(Locale.ROOT, "%.4f", v);
        }
        if (r.status().equals("diverged")) {
            return "- (diverged: no final evaluation)";
        }
        JsonElement status = summary == null ? null : summary.get(key + StrictJson.STATUS_SUFFIX);
        if (status != null && status.isJsonPrimitive()) {
            return "- (" + status.getAsString() + ")";
        }
        return key.equals("test_accuracy") ? "- (none: a regression has no accuracy)" : "- (not measured)";
    }

    /** "no", or "yes, at step N" with what blew up (summary.json's divergence). */
    private static String diverged(LearningRateSweep.Run r, JsonObject summary) {
        if (!r.status().equals("diverged")) {
            return "no";
        }
        JsonObject d = summary != null && summary.get("divergence") instanceof JsonObject o ? o : null;
        if (d == null || !d.has("step")) {
            return "yes";
        }
        return "yes, at step " + d.get("step").getAsString() + (d.has("quantity") ? " (" + d.get("quantity")
                .getAsString() + ")" : "");
    }

    private static JsonObject summary(Path runDir) {
        Path file = runDir.resolve("summary.json");
        try {
            return Files.exists(file) ? StudyFiles.readJson(file).getAsJsonObject() : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void image(HtmlPage page, Path dir, String file, String alt) {
        if (Files.isRegularFile(dir.resolve(file))) {
            page.image(file, alt);
        } else {
            page.paragraph("(" + file + " could not be drawn; the warning on stderr says why)");
        }
    }

    private static void drawn(HtmlPage page, Path dir, Map<String, LinePlot> charts, String file, String alt,
            String none) {
        LinePlot chart = charts.get(file);
        if (chart == null) {
            page.paragraph(none);
        } else if (chart.write(dir.resolve(file))) {
            page.image(file, alt);
        } else {
            page.paragraph("(" + file + " could not be drawn; the warning on stderr says why)");
        }
    }

    /** The settings table: the base configuration, the learning rate and seed as the grid gives them. */
    private static List<List<String>> settings(Inputs in) {
        JsonElement tree = StrictJson.settingsTree(in.base());
        List<List<String>> rows = new ArrayList<>();
        StringBuilder grid = new StringBuilder();
        for (double lr : in.learningRates()) {
            grid.append(grid.length() == 0 ? "" : ", ").append(number(lr));
        }
        rows.add(List.of(PageHeader.withUnit("learningRate"), "the grid: " + grid));
        if (!tree.isJsonObject()) {
            return rows;
        }
        for (List<String> r : PageHeader.rows(tree.getAsJsonObject())) {
            String name = r.get(0);
            if (name.startsWith("learningRate ") || name.equals("learningRate")) {
                continue;
            } else if (name.equals("seed")) {
                rows.add(List.of(name, in.base().seed() + " … " + (in.base().seed() + in.restarts() - 1) + " ("
                        + in.restarts() + " restart" + (in.restarts() == 1 ? "" : "s") + ")"));
            } else {
                rows.add(r);
            }
        }
        return rows;
    }

    /** A series' legend: its learning rate and seed. */
    static String seriesName(LearningRateSweep.Run r) {
        return "lr " + number(r.learningRate()) + ", seed " + r.seed();
    }

    /**
     * The overlay charts by file name: training loss, and test loss and accuracy where any run measured them during
     * training; one series per run (named by {@link #seriesName}), coloured by learning rate. A run whose
     * metrics.csv cannot be read has no series (a warning says why).
     */
    static Map<String, LinePlot> curveCharts(List<LearningRateSweep.Run> runs) {
        TreeSet<Double> rates = new TreeSet<>();
        runs.forEach(r -> rates.add(r.learningRate()));
        List<Double> order = new ArrayList<>(rates);
        Map<String, List<Series>> byChart = new LinkedHashMap<>();
        for (String f : List.of(TRAIN_LOSS_PLOT, TEST_LOSS_PLOT, TEST_ACCURACY_PLOT)) {
            byChart.put(f, new ArrayList<>());
        }
        Map<Double, Integer> seen = new LinkedHashMap<>();
        for (LearningRateSweep.Run r : runs) {
            List<Map<String, Double>> rows;
            try {
                rows = MetricsLog.read(r.runDir().resolve("metrics.csv"));
            } catch (RuntimeException e) {
                LOG.warn("{}: no training curve in the sweep's report ({})", r.runDir(), e.getMessage());
                continue;
            }
            int k = seen.merge(r.learningRate(), 1, Integer::sum) - 1;
            Color colour = colour(order.indexOf(r.learningRate()), order.size());
            double[] step = MetricsLog.column(rows, "step");
            add(byChart.get(TRAIN_LOSS_PLOT), r, step, MetricsLog.column(rows, "train_loss"), colour, k > 0);
            add(byChart.get(TEST_LOSS_PLOT), r, step, MetricsLog.column(rows, "test_loss"), colour, k > 0);
            add(byChart.get(TEST_ACCURACY_PLOT), r, step, MetricsLog.column(rows, "test_accuracy"), colour, k > 0);
        }
        Map<String, LinePlot> charts = new LinkedHashMap<>();
        byChart.put(TRAIN_LOSS_PLOT, cut(byChart.get(TRAIN_LOSS_PLOT)));
        byChart.put(TEST_LOSS_PLOT, cut(byChart.get(TEST_LOSS_PLOT)));
        chart(charts, TRAIN_LOSS_PLOT, "Training loss of every run (monitoring subset)", "loss", true, byChart);
        chart(charts, TEST_LOSS_PLOT, "Test loss of every run", "loss", true, byChart);
        chart(charts, TEST_ACCURACY_PLOT, "Test accuracy of every run", "accuracy", false, byChart);
        return charts;
    }

    /** @param marked markers at its points: a series cut short, whose last points may stand alone */
    private record Series(String name, double[] x, double[] y, Color colour, boolean dashed, boolean marked) {
    }

    /** A loss this many times the largest first logged loss of the runs is off the chart (a blow-up). */
    static final double CUT_OFF = 100;

    private static void add(List<Series> to, LearningRateSweep.Run r, double[] x, double[] y, Color colour,
            boolean dashed) {
        for (double v : y) {
            if (Double.isFinite(v)) {
                to.add(new Series(seriesName(r) + (r.status().equals("diverged") ? " (diverged)" : ""), x, y,
                        colour, dashed, false));
                return;
            }
        }
    }

    /** The series with every value above {@link #CUT_OFF} × the largest first finite value left out (NaN). */
    private static List<Series> cut(List<Series> series) {
        double top = 0;
        for (Series s : series) {
            for (double v : s.y()) {
                if (Double.isFinite(v)) {
                    top = Math.max(top, v);
                    break;
                }
            }
        }
        if (!(top > 0)) {
            return series;
        }
        double cap = CUT_OFF * top;
        List<Series> out = new ArrayList<>();
        for (Series s : series) {
            double[] y = s.y().clone();
            boolean cutShort = false;
            for (int i = 0; i < y.length; i++) {
                if (y[i] > cap) {
                    y[i] = Double.NaN;
                    cutShort = true;
                }
            }
            out.add(new Series(s.name(), s.x(), y, s.colour(), s.dashed(), cutShort));
        }
        return out;
    }

    /**
     * The chart of {@code file}'s series, if any: log y where the positive values span more than a decade (a
     * diverged run's blow-up next to a good run's loss), markers where the series are sparse, and a height that
     * gives every legend entry its line.
     */
    private static void chart(Map<String, LinePlot> charts, String file, String title, String yLabel,
            boolean mayLog, Map<String, List<Series>> byChart) {
        List<Series> series = byChart.get(file);
        if (series.isEmpty()) {
            return;
        }
        LinePlot plot = new LinePlot(title, "step", yLabel).size(900, Math.max(500, 140 + 22 * series.size()))
                .roundXTicks();
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        boolean nonPositive = false;
        int most = 0;
        for (Series s : series) {
            int finite = 0;
            for (double v : s.y()) {
                if (Double.isFinite(v)) {
                    finite++;
                    nonPositive |= v <= 0;
                    if (v > 0) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
            }
            most = Math.max(most, finite);
        }
        // Markers where the series are sparse (one test evaluation per epoch), and on a series cut short.
        boolean sparse = most <= 10;
        for (Series s : series) {
            plot.series(s.name(), s.x(), s.y(), s.colour(), s.dashed(), sparse || s.marked());
        }
        if (mayLog && !nonPositive && hi > 10 * lo) {
            plot.logY();
        }
        charts.put(file, plot);
    }

    /** The colour of the i-th of n learning rates (ascending): blue for the smallest through green to red. */
    static Color colour(int i, int n) {
        float t = n <= 1 ? 0f : (float) i / (n - 1);
        return Color.getHSBColor(0.66f * (1 - t), 0.85f, 0.8f);
    }
}
