package io.ravine.study;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.ravine.io.StrictJson;
import io.ravine.report.HtmlPage;
import io.ravine.report.LinePlot;
import io.ravine.report.PageHeader;
import io.ravine.report.ReportFiles;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Writes a batch-size study's {@code study.json}, its plots under {@code plots/} and {@code report.html}. */
final class StudyReport {
    /** The advisor's table: one row per device and batch size ({@link TimeToTargetReport#CSV_COLUMNS}). */
    static final String TIME_TO_TARGET_FILE = "time-to-target.csv";

    private StudyReport() {
    }

    /**
     * A number for a JSON tree, non-finite ones included: {@link StrictJson#toJson} writes those as null with a
     * "not finite" status where the writer gives no better reason ({@link StrictJson#number}).
     */
    static JsonElement num(double v) {
        return new JsonPrimitive(v);
    }

    static void write(StudyFiles files, BatchSizeStudyConfig config, BatchSizeStudyResult r,
            List<PageHeader.Invocation> invocations) {
        files.writeString("study.json", StrictJson.toJson(json(config, r)));
        if (r.timeToTarget() != null) {
            files.writeString(TIME_TO_TARGET_FILE, TimeToTargetReport.csv(r.timeToTarget()));
        } else {
            // A rerun with another selection (one part only) has no advice: an older one would not match study.json.
            files.delete(TIME_TO_TARGET_FILE);
            files.delete(TimeToTargetReport.PLOT);
        }
        // The charts and the page after study.json, and never a reason to lose it.
        ReportFiles.bestEffort(files.dir().resolve("report.html"), () -> page(files, config, r, invocations));
    }

    private static void page(StudyFiles files, BatchSizeStudyConfig config, BatchSizeStudyResult r,
            List<PageHeader.Invocation> invocations) {
        HtmlPage page = new HtmlPage("Batch-size study");
        // The header and the sections around the parts' (settings, training runs, files): a table of contents always.
        PageHeader.write(page, invocations);
        page.heading("Settings");
        page.paragraph("Architecture: " + config.inputs() + "-" + join(config.hidden()) + "-" + config.classes()
                + " " + config.activation().name().toLowerCase(Locale.ROOT)
                + (config.batchNorm() ? ", batch normalization in every hidden layer" : "") + ", optimizer "
                + config.optimizer().cliName() + ". Trials in study.csv, everything below in study.json.");
        if (!r.hardware().isEmpty()) {
            hardware(files, r, page);
        }
        if (!r.stepsToTarget().isEmpty()) {
            steps(files, config, r, page);
        }
        if (!r.noise().isEmpty()) {
            noise(files, config, r, page);
        }
        if (r.timeToTarget() != null) {
            TimeToTargetReport.section(files, r, page);
        }
        StudyPageSections.trainingRuns(page, files.dir(), r.rows());
        StudyPageSections.files(page, files.dir());
        page.write(files.dir().resolve("report.html"));
    }

    private static String join(int[] w) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            s.append(i == 0 ? "" : "-").append(w[i]);
        }
        return s.toString();
    }

    private static String fmt(double v) {
        return fmt(v, "not a finite number");
    }

    /** 4 significant digits without the trailing zeros of %.4g ("256", not "256.0"); else "- (why)", never blank. */
    private static String fmt(double v, String why) {
        return Double.isFinite(v) ? io.ravine.report.TickFormat.human(v, 4) : "- (" + why + ")";
    }

    private static JsonObject json(BatchSizeStudyConfig config, BatchSizeStudyResult r) {
        JsonObject root = new JsonObject();
        root.add("config", StrictJson.settingsTree(config));
        JsonObject hw = new JsonObject();
        for (BatchSizeStudyResult.DeviceCurve c : r.hardware().values()) {
            JsonObject d = new JsonObject();
            if (r.deviceDescriptions().containsKey(c.device())) {
                d.addProperty("description", r.deviceDescriptions().get(c.device()));
            }
            if (c.saturation() != null) {
                d.add("saturation_batch_size", num(c.saturation().batchSize()));
                d.addProperty("saturation_position", c.saturation().position().jsonName());
                StrictJson.number(d, "flat_seconds_per_update", c.saturation().flatSeconds(),
                        "undefined: no measured batch size lies on the flat part of the curve");
                StrictJson.number(d, "seconds_per_example", c.saturation().secondsPerExample(),
                        "undefined: no measured batch size lies on the linear part of the curve");
            }
            JsonArray pts = new JsonArray();
            for (TrialRow t : c.points()) {
                JsonObject p = new JsonObject();
                p.addProperty("batch_size", t.batchSize());
                p.add("seconds_per_update", num(t.secondsPerUpdate()));
                p.add("seconds_q1", num(t.secondsQ1()));
                p.add("seconds_q3", num(t.secondsQ3()));
                p.add("seconds_min", num(t.secondsMin()));
                p.add("seconds_max", num(t.secondsMax()));
                p.add("samples_per_second", num(t.samplesPerSecond()));
                p.addProperty("repeats", t.repeats());
                pts.add(p);
            }
            d.add("points", pts);
            hw.add(c.device(), d);
        }
        root.add("hardware", hw);
        if (!r.stepsToTarget().isEmpty()) {
            JsonObject st = new JsonObject();
            st.addProperty("target_metric", config.targetMetric());
            st.addProperty("target_loss", config.targetLoss());
            st.addProperty("max_steps", config.maxSteps());
            JsonArray pts = new JsonArray();
            for (BatchSizeStudyResult.StepsPoint p : r.stepsToTarget()) {
                JsonObject o = new JsonObject();
                o.addProperty("batch_size", p.batchSize());
                o.addProperty("status", p.status());
                String notReached = p.status().equals("diverged")
                        ? "not measured: the run diverged at every learning rate of the grid"
                        : "not measured: no learning rate of the grid reached the target within max_steps";
                if (p.steps() < 0) {
                    StrictJson.missing(o, "steps", notReached);
                    StrictJson.missing(o, "examples", notReached);
                } else {
                    o.addProperty("steps", p.steps());
                    o.addProperty("examples", p.examples());
                }
                StrictJson.number(o, "learning_rate", p.learningRate(), p.steps() < 0 ? notReached : null);
                o.addProperty("learning_rate_at_grid_edge", p.learningRateAtGridEdge());
                o.addProperty("region", p.region());
                pts.add(o);
            }
            st.add("points", pts);
            if (r.regions() != null) {
                StrictJson.number(st, "perfect_scaling_until", r.regions().perfectScalingUntil(),
                        "none: no measured batch size is in the perfect-scaling region");
                StrictJson.number(st, "maximal_parallelism_from", r.regions().maximalParallelismFrom(),
                        "none: no measured batch size is in the maximal-parallelism region");
            }
            if (r.critical() != null) {
                String noFit = "undefined: the fit of steps against batch size gives no positive S_min and B_crit";
                StrictJson.number(st, "critical_batch_size", r.critical().criticalBatchSize(), noFit);
                StrictJson.number(st, "min_steps", r.critical().minSteps(), noFit);
                StrictJson.number(st, "min_examples", r.critical().minExamples(), noFit);
            }
            root.add("steps_to_target", st);
        }
        if (!r.noise().isEmpty()) {
            JsonObject ns = new JsonObject();
            ns.addProperty("train_batch_size", config.noiseBatch());
            ns.addProperty("small_batch", config.noiseSmall());
            ns.addProperty("big_batch", config.noiseBig());
            ns.addProperty("moving_average_beta", config.noiseDecay());
            NoiseSample last = r.noise().get(r.noise().size() - 1);
            ns.add("final_b_simple", num(last.estimate().simpleNoiseScale()));
            if (r.critical() == null) {
                StrictJson.missing(ns, "critical_batch_size_measured",
                        "not measured: the steps-to-target part gave no critical batch size to compare with");
            } else {
                StrictJson.number(ns, "critical_batch_size_measured", r.critical().criticalBatchSize(),
                        "undefined: the fit of steps against batch size gives no positive S_min and B_crit");
            }
            JsonArray series = new JsonArray();
            for (NoiseSample n : r.noise()) {
                JsonObject o = new JsonObject();
                o.addProperty("step", n.step());
                o.add("grad_norm_sq", num(n.estimate().gradNormSquared()));
                o.add("trace", num(n.estimate().trace()));
                o.add("avg_grad_norm_sq", num(n.estimate().averageGradNormSquared()));
                o.add("avg_trace", num(n.estimate().averageTrace()));
                o.add("b_simple", num(n.estimate().simpleNoiseScale()));
                series.add(o);
            }
            ns.add("series", series);
            root.add("noise_scale", ns);
        }
        if (r.timeToTarget() != null) {
            root.add("time_to_target", TimeToTargetReport.json(config, r.timeToTarget()));
        }
        return root;
    }

    private static void hardware(StudyFiles files, BatchSizeStudyResult r, HtmlPage page) {
        LinePlot time = new LinePlot("Time per update", "batch size", "seconds per update (median)").logX().logY()
                .markers();
        LinePlot rate = new LinePlot("Throughput", "batch size", "samples per second").logX().logY().markers();
        List<List<String>> table = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (BatchSizeStudyResult.DeviceCurve c : r.hardware().values()) {
            double[] b = c.points().stream().mapToDouble(TrialRow::batchSize).toArray();
            time.series(c.device(), b, c.points().stream().mapToDouble(TrialRow::secondsPerUpdate).toArray());
            rate.series(c.device(), b, c.points().stream().mapToDouble(TrialRow::samplesPerSecond).toArray());
            if (c.saturation() != null) {
                String mark = c.device() + ": saturation point B* = " + fmt(c.saturation().batchSize());
                time.verticalLine(c.saturation().batchSize(), mark);
                rate.verticalLine(c.saturation().batchSize(), mark);
                notes.add(c.device() + ": saturation point B* = " + fmt(c.saturation().batchSize()) + " ("
                        + c.saturation().position().jsonName().replace('_', ' ') + "; flat cost "
                        + seconds(c.saturation().flatSeconds(), "no measured batch size lies on the flat part of"
                        + " the curve") + ", then " + seconds(c.saturation().secondsPerExample(), "no measured batch"
                        + " size lies on the linear part of the curve") + " per example)");
            }
            for (TrialRow t : c.points()) {
                table.add(List.of(c.device(), Integer.toString(t.batchSize()), fmt(t.secondsPerUpdate()),
                        fmt(t.secondsQ1()) + " – " + fmt(t.secondsQ3()), fmt(t.samplesPerSecond()),
                        Integer.toString(t.repeats())));
            }
        }
        time.write(files.dir().resolve("plots/time-per-update.png"));
        rate.write(files.dir().resolve("plots/samples-per-second.png"));
        page.heading("Hardware saturation").bullets(notes)
                .image("plots/time-per-update.png", "time per update").image("plots/samples-per-second.png",
                        "samples per second")
                .table(List.of("device", "batch size", "s/update (median)", "IQR", "samples/s", "repeats"), table);
    }

    /** "0.01 s", or "an undefined time (why)". */
    private static String seconds(double v, String why) {
        return Double.isFinite(v) ? fmt(v) + " s" : "an undefined time (" + why + ")";
    }

    private static void steps(StudyFiles files, BatchSizeStudyConfig config, BatchSizeStudyResult r,
            HtmlPage page) {
        List<BatchSizeStudyResult.StepsPoint> reached = r.stepsToTarget().stream()
                .filter(p -> p.status().equals("reached")).toList();
        LinePlot plot = new LinePlot("Steps to " + config.targetMetric() + " ≤ " + config.targetLoss(),
                "batch size", "steps to target").logX().logY().markers();
        if (!reached.isEmpty()) {
            for (ScalingRegions.Region region : ScalingRegions.Region.values()) {
                // Each region its own coloured series; the regions share their boundary points so the line is
                // unbroken.
                List<double[]> pts = new ArrayList<>();
                for (int i = 0; i < reached.size(); i++) {
                    boolean in = reached.get(i).region().equals(region.label())
                            || (i + 1 < reached.size() && reached.get(i + 1).region().equals(region.label()));
                    if (in) {
                        pts.add(new double[] {reached.get(i).batchSize(), reached.get(i).steps()});
                    }
                }
                if (!pts.isEmpty() && reached.stream().anyMatch(p -> p.region().equals(region.label()))) {
                    plot.series(region.label(), pts.stream().mapToDouble(p -> p[0]).toArray(),
                            pts.stream().mapToDouble(p -> p[1]).toArray());
                }
            }
            if (reached.stream().allMatch(p -> p.region().isEmpty())) {
                plot.series("steps", reached.stream().mapToDouble(p -> p.batchSize()).toArray(),
                        reached.stream().mapToDouble(p -> p.steps()).toArray());
            }
            BatchSizeStudyResult.StepsPoint first = reached.get(0);
            double[] bs = reached.stream().mapToDouble(p -> p.batchSize()).toArray();
            double[] ideal = new double[bs.length];
            for (int i = 0; i < bs.length; i++) {
                ideal[i] = first.steps() * first.batchSize() / bs[i];
            }
            plot.series("perfect scaling from the smallest batch", bs, ideal);
            if (r.regions() != null) {
                plot.verticalLine(r.regions().perfectScalingUntil(), "perfect scaling until B = "
                        + fmt(r.regions().perfectScalingUntil()));
                plot.verticalLine(r.regions().maximalParallelismFrom(), "maximal parallelism from B = "
                        + fmt(r.regions().maximalParallelismFrom()));
            }
        }
        plot.write(files.dir().resolve("plots/steps-to-target.png"));
        List<List<String>> table = new ArrayList<>();
        for (BatchSizeStudyResult.StepsPoint p : r.stepsToTarget()) {
            String none = p.status().equals("diverged") ? "diverged at every learning rate"
                    : "no learning rate reached the target";
            table.add(List.of(Integer.toString(p.batchSize()), p.status(), p.steps() < 0 ? "- (" + none + ")"
                    : Long.toString(p.steps()), p.examples() < 0 ? "- (" + none + ")" : Long.toString(p.examples()),
                    fmt(p.learningRate(), none) + (p.learningRateAtGridEdge() ? " (grid edge)" : ""),
                    p.region().isEmpty() ? "- (" + (p.steps() < 0 ? none : "fewer than 2 batch sizes reached the target: no slope to classify") + ")"
                            : p.region()));
        }
        List<String> notes = new ArrayList<>();
        if (r.regions() != null) {
            notes.add("perfect scaling up to B = " + fmt(r.regions().perfectScalingUntil(), "none: no measured batch"
                    + " size is in the perfect-scaling region") + "; maximal parallelism from B = "
                    + fmt(r.regions().maximalParallelismFrom(), "none: no measured batch size is in the"
                    + " maximal-parallelism region") + "; local exponent ≥ " + ScalingRegions.PERFECT_EXPONENT
                    + " is perfect, ≤ " + ScalingRegions.FLAT_EXPONENT + " flat");
        }
        if (r.critical() != null) {
            String noFit = "undefined: the fit gives no positive S_min and B_crit";
            notes.add("critical batch size B_crit = " + fmt(r.critical().criticalBatchSize(), noFit) + " from the fit S = S_min(1 + B_crit/B),"
                    + " S_min = " + fmt(r.critical().minSteps(), noFit));
        }
        page.heading("Steps to target").bullets(notes).image("plots/steps-to-target.png", "steps to target")
                .table(List.of("batch size", "status", "steps", "examples", "best lr", "region"), table);
    }

    private static void noise(StudyFiles files, BatchSizeStudyConfig config, BatchSizeStudyResult r,
            HtmlPage page) {
        double[] steps = r.noise().stream().mapToDouble(NoiseSample::step).toArray();
        double[] b = r.noise().stream().mapToDouble(n -> n.estimate().simpleNoiseScale()).toArray();
        LinePlot plot = new LinePlot("Gradient noise scale B_simple = tr(Σ)/|G|²", "step", "B_simple").logY()
                .series("B_simple (moving averages)", steps, b);
        if (r.critical() != null && Double.isFinite(r.critical().criticalBatchSize())) {
            double[] flat = new double[steps.length];
            java.util.Arrays.fill(flat, r.critical().criticalBatchSize());
            plot.series("measured B_crit (steps to target)", steps, flat);
        }
        plot.write(files.dir().resolve("plots/noise-scale.png"));
        NoiseSample last = r.noise().get(r.noise().size() - 1);
        page.heading("Gradient noise scale").paragraph("Training at batch " + config.noiseBatch() + ", estimates from"
                + " B_small = " + config.noiseSmall() + " and B_big = " + config.noiseBig() + " every "
                + config.noiseEvery() + " steps, moving averages with β = " + config.noiseDecay() + ". Final B_simple = "
                + fmt(last.estimate().simpleNoiseScale(), "not finite: the moving averages of |G|² and tr(Σ) give no ratio")
                + (r.critical() == null ? "" : "; measured critical batch size " + fmt(r.critical()
                        .criticalBatchSize(), "undefined: the fit gives no positive S_min and B_crit")) + ".")
                .image("plots/noise-scale.png", "noise scale");
    }
}
