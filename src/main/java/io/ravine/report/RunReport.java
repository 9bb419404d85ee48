package io.ravine.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.InvalidInputException;
import io.ravine.io.StrictJson;
import io.ravine.train.MetricsLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run directory's {@code report.html}, (re)generated from what the directory holds: the summary
 * ({@code summary.json}), the configuration ({@code config.json}), training curves drawn from {@code metrics.csv}
 * into {@code plots/}, the layers' weights, gradients and update ratios ({@code layers.csv}, {@link LayerSections}),
 * and the diagnosis ({@code diagnosis.json} and its plots) when there is one. Each part is optional: a missing or
 * unreadable file becomes a line in the report saying so, never a failure, so the trainer can call this at the end of
 * every run. Cost: reading the files and drawing at most six charts from metrics.csv and 1 + 2 × layers from
 * layers.csv.
 */
public final class RunReport {
    private static final Logger LOG = LoggerFactory.getLogger(RunReport.class);

    /** Chart files (in plots/) drawn from metrics.csv. */
    public static final String LOSS_PLOT = "loss.png";
    public static final String ACCURACY_PLOT = "accuracy.png";
    public static final String GRADIENT_NORM_PLOT = "grad-norm.png";
    public static final String LEARNING_RATE_PLOT = "learning-rate.png";
    public static final String CURVATURE_PLOT = "curvature-along-gradient.png";
    /** The two terms of the second-order model of a step −αg and the measured decrease (--diagnose-every). */
    public static final String STEP_TERMS_PLOT = "step-second-order-terms.png";

    private static final int MARKER_POINTS = 30;

    /** Diagnosis charts the report links when present (written by {@code ravine diagnose}). */
    private static final List<String> DIAGNOSIS_PLOTS = List.of("hessian-eigenvalues.png", "hessian-density.png",
            "second-order.png", "directional-curvature.png");
    /** Written by {@code ravine diagnose --all-checkpoints}. */
    private static final String CHECKPOINTS_CSV = "diagnosis-checkpoints.csv";
    private static final String CHECKPOINTS_PLOT = "diagnosis-checkpoints.png";

    private RunReport() {
    }

    /**
     * Writes {@code runDir/report.html} (and the training-curve charts in {@code runDir/plots/}); returns the
     * report's path. A chart or the page that cannot be drawn or written is one warning line ({@link ReportFiles}),
     * not an exception.
     *
     * @throws InvalidInputException if {@code runDir} is not a directory
     */
    public static Path write(Path runDir) {
        if (!Files.isDirectory(runDir)) {
            throw new InvalidInputException("run directory " + runDir + " does not exist");
        }
        Path plots = runDir.resolve("plots");
        HtmlPage page = new HtmlPage("Run report: " + runDir.toAbsolutePath().normalize().getFileName());
        try {
            RunHeader.write(page, runDir);
        } catch (RuntimeException e) {
            LOG.warn("report header: {}", e.toString());
            page.header("header", "unavailable: " + e.getMessage());
        }
        section(page, "Summary", () -> summary(page, runDir, runDir.resolve("summary.json")));
        section(page, "Configuration", () -> configuration(page, runDir.resolve("config.json")));
        section(page, "Checkpoints", () -> RunHeader.checkpoints(page, runDir));
        section(page, "Training curves", () -> curves(page, runDir.resolve("metrics.csv"), plots,
                ShortBatches.of(runDir.resolve("config.json"))));
        section(page, "Layers", () -> LayerSections.write(page, runDir, plots));
        section(page, "Diagnosis", () -> diagnosis(page, runDir.resolve("diagnosis.json"), plots));
        if (Files.exists(runDir.resolve(CHECKPOINTS_CSV))) {
            section(page, "Hessian across checkpoints", () -> DiagnosisSections.checkpoints(page,
                    runDir.resolve(CHECKPOINTS_CSV), plots, CHECKPOINTS_PLOT));
        }
        section(page, "Loss landscape", () -> landscape(page, runDir.resolve("landscape")));
        Path out = runDir.resolve("report.html");
        page.write(out);
        return out;
    }

    private interface Part {
        void render() throws IOException;
    }

    private static void section(HtmlPage page, String title, Part part) {
        page.heading(title);
        try {
            part.render();
        } catch (IOException | RuntimeException e) {
            LOG.warn("report section '{}': {}", title, e.toString());
            page.paragraph("(" + title.toLowerCase(Locale.ROOT) + " unavailable: " + e.getMessage() + ")");
        }
    }

    private static void summary(HtmlPage page, Path runDir, Path file) throws IOException {
        if (!Files.exists(file)) {
            page.paragraph("No summary.json (the run has not finished).");
            return;
        }
        List<List<Object>> rows = new ArrayList<>();
        for (List<String> r : rows(readJson(file))) {
            Object value = r.get(1);
            if (r.get(0).equals("last_good_checkpoint")) {
                value = RunHeader.checkpointLink(runDir, r.get(1)).orElse(r.get(1));
            }
            rows.add(List.of(RunHeader.withUnit(r.get(0)), value));
        }
        page.table(List.of("quantity", "value"), rows);
    }

    private static void configuration(HtmlPage page, Path file) throws IOException {
        if (!Files.exists(file)) {
            page.paragraph("No config.json.");
            return;
        }
        JsonObject root = readJson(file);
        JsonObject config = object(root, "config");
        if (config != null) {
            page.paragraph("The settings as given (config.json's config: enough to repeat the run; '-' is unset).");
            page.table(List.of("setting", "value"), labelled(rows(config)));
        }
        JsonObject resolved = object(root, "resolved");
        if (resolved != null) {
            page.paragraph("What they resolved to (config.json's resolved).");
            page.table(List.of("setting", "value"), labelled(rows(resolved)));
        }
    }

    /** Rows with each name given its unit ({@link RunHeader#withUnit}). */
    private static List<List<String>> labelled(List<List<String>> rows) {
        List<List<String>> out = new ArrayList<>();
        for (List<String> r : rows) {
            out.add(List.of(RunHeader.withUnit(r.get(0)), r.get(1)));
        }
        return out;
    }

    private static void curves(HtmlPage page, Path metrics, Path plots, ShortBatches shortBatches) {
        if (!Files.exists(metrics)) {
            page.paragraph("No metrics.csv.");
            return;
        }
        List<Map<String, Double>> rows = MetricsLog.read(metrics);
        if (rows.isEmpty()) {
            page.paragraph("metrics.csv has no rows yet.");
            return;
        }
        for (Map.Entry<String, LinePlot> c : curveCharts(rows, shortBatches).entrySet()) {
            if (c.getValue().write(plots.resolve(c.getKey()))) {
                page.image("plots/" + c.getKey(), c.getKey());
            } else {
                page.paragraph("(" + c.getKey() + " could not be drawn; the warning on stderr says why)");
            }
        }
    }

    /**
     * The training-curve charts of metrics rows, by file name in plots/, in the report's order; a chart whose
     * columns hold no finite value is left out.
     */
    static Map<String, LinePlot> curveCharts(List<Map<String, Double>> rows) {
        return curveCharts(rows, ShortBatches.NONE);
    }

    /**
     * Where each epoch ends on a short mini-batch (n not a multiple of B): its last step's batch has n mod B examples,
     * whose gradient norm is larger by the sampling noise of fewer examples (‖g_B‖² ≈ ‖g‖² + tr Σ / B). Read from
     * config.json's resolved batch_size, steps_per_epoch and train_examples; NONE where unknown or not short.
     */
    record ShortBatches(int stepsPerEpoch, int rows) {
        static final ShortBatches NONE = new ShortBatches(0, 0);

        static ShortBatches of(Path config) {
            try {
                JsonObject r = Files.exists(config) ? object(readJson(config), "resolved") : null;
                if (r == null || !r.has("batch_size") || !r.has("steps_per_epoch") || !r.has("train_examples")) {
                    return NONE;
                }
                long b = r.get("batch_size").getAsLong();
                long n = r.get("train_examples").getAsLong();
                int spe = r.get("steps_per_epoch").getAsInt();
                return b > 0 && n % b != 0 && spe > 1 ? new ShortBatches(spe, (int) (n % b)) : NONE;
            } catch (IOException | RuntimeException e) {
                return NONE;
            }
        }

        boolean isShort(double step) {
            return stepsPerEpoch > 0 && step > 0 && Math.rint(step) % stepsPerEpoch == 0;
        }
    }

    /**
     * The charts of {@link #curveCharts(List)}, the mini-batch gradient norm of each epoch's short last batch drawn as
     * its own series (so its spikes say what they are) where {@code shortBatches} says there is one.
     */
    static Map<String, LinePlot> curveCharts(List<Map<String, Double>> rows, ShortBatches shortBatches) {
        double[] step = MetricsLog.column(rows, "step");
        derive(rows);
        if (shortBatches.stepsPerEpoch() > 0) {
            for (Map<String, Double> r : rows) {
                Double g = r.get("grad_norm");
                if (g != null && shortBatches.isShort(r.getOrDefault("step", Double.NaN))) {
                    r.put(SHORT_BATCH_GRADIENT_NORM, g);
                    r.put("grad_norm", Double.NaN);
                }
            }
        }
        String shortName = "an epoch's last batch (" + shortBatches.rows() + " examples)";
        Map<String, LinePlot> charts = new java.util.LinkedHashMap<>();
        chart(charts, LOSS_PLOT, new LinePlot("Loss", "step", "loss"), step, rows,
                "batch_loss", "mini-batch", "train_loss", "monitoring subset", "test_loss", "test",
                "ema_test_loss", "test (iterate average)");
        // Training accuracy (the monitoring subset, every logging step) beside the test's: the gap is overfitting.
        chart(charts, ACCURACY_PLOT, new LinePlot("Accuracy", "step", "accuracy"), step, rows,
                "train_accuracy", "monitoring subset (training)", "test_accuracy", "test", "ema_test_accuracy",
                "test (iterate average)");
        // The mini-batch norm never approaches zero (it carries the batch's sampling noise); the monitoring subset's,
        // logged by --diagnose-every, is the one the DL book's test (§8.2.2) reads: does it shrink toward 0?
        chart(charts, GRADIENT_NORM_PLOT, new LinePlot("Gradient norm", "step", "||g||"), step, rows,
                "grad_norm", "mini-batch", SHORT_BATCH_GRADIENT_NORM, shortName, SUBSET_GRADIENT_NORM,
                "monitoring subset, sqrt(g'g)");
        chart(charts, LEARNING_RATE_PLOT, new LinePlot("Learning rate", "step", "lr"), step, rows, "lr", "lr");
        chart(charts, CURVATURE_PLOT, new LinePlot("Curvature along the gradient", "step", "value"),
                step, rows, "gHg", "g'Hg", "optimal_step", "optimal step g'g/g'Hg", "lr", "lr");
        // Goodfellow et al. §8.2.1: the step −αg is predicted to go uphill where ½α²gᵀHg exceeds αgᵀg.
        chart(charts, STEP_TERMS_PLOT, new LinePlot("A step -alpha g on the monitoring subset", "step",
                "decrease of the loss"), step, rows, FIRST_ORDER_TERM, "alpha g'g", CURVATURE_TERM,
                "alpha^2 g'Hg / 2", MEASURED_DECREASE, "measured J(theta) - J(theta - alpha g)");
        return charts;
    }

    /** Series derived from metrics.csv's columns (added to each row under these names). */
    private static final String SUBSET_GRADIENT_NORM = "(subset gradient norm)";
    private static final String SHORT_BATCH_GRADIENT_NORM = "(short batch gradient norm)";
    private static final String FIRST_ORDER_TERM = "(alpha g'g)";
    private static final String CURVATURE_TERM = "(alpha^2 g'Hg / 2)";
    private static final String MEASURED_DECREASE = "(measured decrease)";

    /**
     * From a row of --diagnose-every: √gᵀg, and the Goodfellow et al. §8.2.1 terms of the predicted change
     * ½α²gᵀHg − αgᵀg with the row's α, beside the measured decrease −{@code actual_change}. NaN elsewhere.
     */
    private static void derive(List<Map<String, Double>> rows) {
        for (Map<String, Double> r : rows) {
            double gg = r.getOrDefault("gg", Double.NaN);
            double ghg = r.getOrDefault("gHg", Double.NaN);
            double lr = r.getOrDefault("lr", Double.NaN);
            double actual = r.getOrDefault("actual_change", Double.NaN);
            r.put(SUBSET_GRADIENT_NORM, gg >= 0 ? Math.sqrt(gg) : Double.NaN);
            boolean checked = Double.isFinite(r.getOrDefault("predicted_change", Double.NaN));
            r.put(FIRST_ORDER_TERM, checked ? lr * gg : Double.NaN);
            r.put(CURVATURE_TERM, checked ? 0.5 * lr * lr * ghg : Double.NaN);
            r.put(MEASURED_DECREASE, checked ? -actual : Double.NaN);
        }
    }

    /**
     * Adds the chart of the named columns (pairs of column, legend) to {@code charts} if any has a finite value. The
     * y axis is logarithmic where the positive values span more than a decade (a log axis within one decade gets no
     * labels), except accuracy's; sparse series (at most {@link #MARKER_POINTS} points, e.g. one test evaluation
     * per epoch) get markers, so a single point still shows.
     */
    private static void chart(Map<String, LinePlot> charts, String file, LinePlot chart, double[] step,
            List<Map<String, Double>> rows, String... columnsAndNames) {
        boolean any = false;
        int fewest = Integer.MAX_VALUE;
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        boolean nonPositive = false;
        for (int i = 0; i < columnsAndNames.length; i += 2) {
            double[] y = MetricsLog.column(rows, columnsAndNames[i]);
            // "lr" only accompanies the curvature chart when that chart has curvature data.
            boolean companion = file.equals(CURVATURE_PLOT) && columnsAndNames[i].equals("lr");
            int finite = finiteCount(y);
            if (finite > 0) {
                any |= !companion;
                fewest = Math.min(fewest, finite);
                chart.series(columnsAndNames[i + 1], step, y);
                for (double v : y) {
                    if (Double.isFinite(v)) {
                        nonPositive |= v <= 0;
                        if (v > 0) {
                            lo = Math.min(lo, v);
                            hi = Math.max(hi, v);
                        }
                    }
                }
            }
        }
        if (!any) {
            return;
        }
        // Accuracy stays linear: a fraction in [0, 1] (θ₀'s near 1/K) reads as differences, not ratios.
        if (!nonPositive && hi > 10 * lo && !file.equals(ACCURACY_PLOT)) {
            chart.logY();
        }
        if (fewest <= MARKER_POINTS) {
            chart.markers();
        }
        charts.put(file, chart);
    }

    private static void diagnosis(HtmlPage page, Path file, Path plots) throws IOException {
        if (!Files.exists(file)) {
            page.paragraph("No diagnosis.json (run: ravine diagnose --run-dir DIR).");
            return;
        }
        JsonObject d = readJson(file);
        List<List<String>> rows = new ArrayList<>();
        for (String key : List.of("checkpoint", "step", "subset_size", "loss", "gradient_norm", "gHg",
                "optimal_step", "learning_rate")) {
            if (d.has(key)) {
                rows.add(List.of(key, value(d, key)));
            }
        }
        JsonObject h = object(d, "hessian");
        if (h != null) {
            for (String key : List.of("precision", "max_eigenvalue", "max_eigenvalue_error_bound", "min_eigenvalue",
                    "min_ritz_value", "min_eigenvalue_error_bound", "condition_number", "condition_number_lower_bound",
                    "condition_number_upper_bound", "max_stable_lr", "saddle", "negative_count", "resolvable_floor",
                    "lanczos_steps", "converged", "hvp", "failure")) {
                if (h.has(key)) {
                    // diagnosis.json's "saddle" says only that there is negative curvature; whether θ is near a saddle
                    // point is the doctor's finding below, which also needs the gradient.
                    rows.add(List.of(key.equals("saddle") ? "hessian.negative_curvature (diagnosis.json: saddle)"
                            : "hessian." + key, value(h, key)));
                }
            }
        }
        JsonObject so = object(d, "second_order");
        if (so != null && so.get("checks") instanceof JsonArray checks) {
            for (JsonElement c : checks) {
                JsonObject o = c.getAsJsonObject();
                rows.add(List.of("second order at " + text(o.get("label")) + " " + text(o.get("step")),
                        "predicted " + text(o.get("predicted_change")) + ", actual " + text(o.get("actual_change"))));
            }
        }
        if (d.get("units") instanceof JsonArray units) {
            for (JsonElement u : units) {
                JsonObject o = u.getAsJsonObject();
                rows.add(List.of("layer " + text(o.get("layer")) + " (" + text(o.get("activation")) + ")",
                        "dead " + value(o, "dead_fraction") + ", saturated " + value(o, "saturated_fraction")));
            }
        }
        JsonObject sym = object(d, "symmetry");
        if (sym != null) {
            rows.add(List.of("duplicate unit pairs", text(sym.get("duplicate_unit_pairs"))));
        }
        page.table(List.of("measurement", "value"), rows);
        JsonObject doctor = object(d, "doctor");
        if (doctor != null && doctor.get("findings") instanceof JsonArray findings) {
            page.subheading("Findings");
            List<String> items = new ArrayList<>();
            for (JsonElement f : findings) {
                JsonObject o = f.getAsJsonObject();
                items.add(text(o.get("problem")) + ": " + text(o.get("evidence")) + " Workaround: "
                        + text(o.get("workaround")) + ".");
            }
            if (items.isEmpty()) {
                page.paragraph("No problems found.");
            } else {
                page.bullets(items);
            }
        }
        DiagnosisSections.directional(page, object(d, "directional_curvature"));
        List<String> images = new ArrayList<>();
        if (Files.isDirectory(plots)) {
            try (var files = Files.list(plots)) {
                files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("activations-layer-"))
                        .sorted().forEach(images::add);
            }
        }
        images.addAll(DIAGNOSIS_PLOTS);
        for (String name : images) {
            if (Files.exists(plots.resolve(name))) {
                page.image("plots/" + name, name);
            }
        }
    }

    /** The pictures {@code ravine landscape} draws into RUN_DIR/landscape/, in the order the report shows them. */
    private static final List<String> LANDSCAPE_PLOTS = List.of("line.png", "plane.png", "surface.png",
            "random-walk.png");

    /** The landscape's numbers (landscape.json) and its pictures, linked from landscape/. */
    private static void landscape(HtmlPage page, Path dir) throws IOException {
        Path file = dir.resolve("landscape.json");
        if (!Files.exists(file)) {
            page.paragraph("No landscape (run: ravine landscape --run-dir DIR).");
            return;
        }
        JsonObject d = readJson(file);
        List<List<String>> rows = new ArrayList<>();
        JsonObject line = object(d, "line");
        if (line != null) {
            for (String key : List.of("initial_train_loss", "final_train_loss", "min_alpha", "min_train_loss",
                    "monotone_from_initial_to_final", "convex_looking")) {
                if (line.has(key)) {
                    rows.add(List.of("line." + key, value(line, key)));
                }
            }
        }
        JsonObject plane = object(d, "plane");
        if (plane != null) {
            for (String key : List.of("kind", "explained_variance", "residual_share", "path_share_in_plane")) {
                if (plane.has(key)) {
                    rows.add(List.of("plane." + key, value(plane, key)));
                }
            }
        }
        JsonObject walk = object(d, "random_walk");
        if (walk != null) {
            for (String key : List.of("seed", "path_length", "path_net_displacement", "walk_net_displacement",
                    "walk_share_in_plane", "walk_final_train_loss")) {
                if (walk.has(key)) {
                    rows.add(List.of("random_walk." + key, value(walk, key)));
                }
            }
        }
        page.table(List.of("measurement", "value"), rows);
        for (String name : LANDSCAPE_PLOTS) {
            if (Files.exists(dir.resolve(name))) {
                page.image("landscape/" + name, name);
            }
        }
    }

    static JsonObject readJson(Path file) throws IOException {
        JsonElement e = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
        if (!e.isJsonObject()) {
            throw new IOException(file.getFileName() + " is not a JSON object");
        }
        return e.getAsJsonObject();
    }

    static JsonObject object(JsonObject parent, String key) {
        JsonElement e = parent.get(key);
        return e != null && e.isJsonObject() ? e.getAsJsonObject() : null;
    }

    /**
     * One row per member; a null shows its reason from the {@code _status} member beside it (StrictJson's
     * convention), which then gets no row of its own.
     */
    static List<List<String>> rows(JsonObject o) {
        List<List<String>> rows = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            String key = e.getKey();
            if (key.endsWith(StrictJson.STATUS_SUFFIX)
                    && o.has(key.substring(0, key.length() - StrictJson.STATUS_SUFFIX.length()))) {
                continue;
            }
            rows.add(List.of(key, value(o, key)));
        }
        return rows;
    }

    /** A member's text: its value, or for a null "-" and the reason its {@code _status} member gives. */
    static String value(JsonObject o, String key) {
        JsonElement v = o.get(key);
        JsonElement status = o.get(key + StrictJson.STATUS_SUFFIX);
        if ((v == null || v.isJsonNull()) && status != null && status.isJsonPrimitive()) {
            return "- (" + status.getAsString() + ")";
        }
        return text(v);
    }

    static String text(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "-";
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            double v = e.getAsDouble();
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v)
                    : String.format(Locale.ROOT, "%.4g", v);
        }
        if (e.isJsonPrimitive()) {
            return e.getAsString();
        }
        return e.toString();
    }


    private static int finiteCount(double[] v) {
        int n = 0;
        for (double x : v) {
            if (Double.isFinite(x)) {
                n++;
            }
        }
        return n;
    }
}
