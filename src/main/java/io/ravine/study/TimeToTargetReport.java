package io.ravine.study;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.ravine.io.StrictJson;
import io.ravine.report.HtmlPage;
import io.ravine.report.LinePlot;
import java.awt.Color;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * The batch-size advisor's part of a study's outputs ({@link TimeToTarget}): {@code time_to_target} in study.json,
 * {@code time-to-target.csv}, {@code plots/time-to-target.png} and its section of report.html.
 */
final class TimeToTargetReport {
    static final String PLOT = "plots/time-to-target.png";

    /** The columns of time-to-target.csv: one row per device and batch size. */
    static final List<String> CSV_COLUMNS = List.of("device", "batch_size", "steps_status", "steps", "learning_rate",
            "hardware", "seconds_per_update", "seconds_q1", "seconds_q3", "time_to_target_seconds",
            "time_q1_seconds", "time_q3_seconds", "predicted_steps", "predicted_time_to_target_seconds",
            "training_wall_seconds", "recommended");

    /** Device colours of the chart: its measured curve, its prediction (dashed) and its recommendation. */
    private static final Color[] COLOURS = {new Color(31, 119, 180), new Color(44, 160, 44), new Color(255, 127, 14),
        new Color(148, 103, 189), new Color(140, 86, 75)};

    /** The recommendations' diamonds: red, a colour no device curve has (the legend names the device). */
    private static final Color RECOMMENDED = new Color(214, 39, 40);

    private TimeToTargetReport() {
    }

    static String csv(TimeToTarget.Advice a) {
        StringWriter out = new StringWriter();
        try (CSVPrinter printer = new CSVPrinter(out, CSVFormat.DEFAULT.builder()
                .setHeader(CSV_COLUMNS.toArray(String[]::new)).setRecordSeparator("\n").build())) {
            for (TimeToTarget.DeviceAdvice d : a.devices().values()) {
                for (TimeToTarget.Row r : d.rows()) {
                    printer.printRecord(r.device(), r.batchSize(), r.stepsStatus(), r.steps() < 0 ? "" : r.steps(),
                            num(r.learningRate()), r.hardware().jsonName(), num(r.secondsPerUpdate()),
                            num(r.secondsQ1()), num(r.secondsQ3()), num(r.timeToTargetSeconds()),
                            num(r.timeQ1Seconds()), num(r.timeQ3Seconds()), num(r.predictedSteps()),
                            num(r.predictedTimeSeconds()), num(r.trainingWallSeconds()),
                            r.batchSize() == d.recommendedBatchSize());
                }
            }
            printer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot format " + StudyReport.TIME_TO_TARGET_FILE, e);
        }
        return out.toString();
    }

    private static String num(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "";
    }

    /** Why a row has no time to target, for study.json's status members. */
    private static String whyNoTime(TimeToTarget.Row r, BatchSizeStudyConfig config) {
        return switch (r.stepsStatus()) {
            case "not_reached" -> "not measured: no learning rate of the grid reached " + config.targetMetric()
                    + " ≤ " + config.targetLoss() + " within max_steps = " + config.maxSteps();
            case "diverged" -> "not measured: the run diverged at every learning rate of the grid";
            case TimeToTarget.NOT_TRAINED -> "not measured: the steps part did not train this batch size (the"
                    + " prediction covers it)";
            default -> "not measured: batch size " + r.batchSize() + " lies outside the timed batch sizes (timings"
                    + " are interpolated, not extrapolated)";
        };
    }

    static JsonObject json(BatchSizeStudyConfig config, TimeToTarget.Advice a) {
        JsonObject o = new JsonObject();
        o.addProperty("definition", "time_to_target_seconds = steps to target (steps part, best learning rate per"
                + " batch size) × median seconds per update (hardware part) on each device; the q1/q3 times use the"
                + " hardware quartiles. It counts the timed updates only (gradient and optimizer step on a loaded"
                + " batch); training_wall_seconds, the wall time of the steps part's trial, also counts batch"
                + " assembly, the target checks' evaluations and start-up");
        o.addProperty("target", a.target());
        JsonArray notes = new JsonArray();
        a.notes().forEach(notes::add);
        o.add("notes", notes);
        if (a.prediction() == null) {
            StrictJson.missing(o, "prediction", a.noPrediction());
        } else {
            TimeToTarget.Prediction p = a.prediction();
            JsonObject pj = new JsonObject();
            pj.addProperty("model", "steps(B) = min_steps · (1 + b_noise / B) (McCandlish et al. 2018), times the"
                    + " hardware curve");
            pj.addProperty("b_noise", p.noiseScale());
            pj.addProperty("b_noise_source", p.noiseScaleSource());
            pj.addProperty("min_steps", p.minSteps());
            pj.addProperty("min_steps_source", p.minStepsSource());
            o.add("prediction", pj);
        }
        JsonObject devices = new JsonObject();
        for (TimeToTarget.DeviceAdvice d : a.devices().values()) {
            JsonObject dj = new JsonObject();
            if (d.recommendedBatchSize() < 0) {
                StrictJson.missing(dj, "recommended_batch_size", d.noRecommendation());
                StrictJson.missing(dj, "time_to_target_seconds", d.noRecommendation());
            } else {
                dj.addProperty("recommended_batch_size", d.recommendedBatchSize());
                dj.addProperty("time_to_target_seconds", d.recommendedSeconds());
                StrictJson.number(dj, "time_q1_seconds", d.recommendedQ1Seconds(), null);
                StrictJson.number(dj, "time_q3_seconds", d.recommendedQ3Seconds(), null);
                dj.addProperty("explanation", d.explanation());
            }
            alternative(dj, "saturation", d.atSaturation());
            alternative(dj, "critical", d.atCritical());
            if (d.predictedBestBatchSize() < 0) {
                String why = a.noPrediction() != null ? a.noPrediction() : "no predicted time within the timed range";
                StrictJson.missing(dj, "predicted_best_batch_size", why);
                StrictJson.missing(dj, "predicted_best_time_seconds", why);
            } else {
                dj.addProperty("predicted_best_batch_size", d.predictedBestBatchSize());
                dj.addProperty("predicted_best_time_seconds", d.predictedBestSeconds());
            }
            JsonArray pts = new JsonArray();
            for (TimeToTarget.Row r : d.rows()) {
                JsonObject pj = new JsonObject();
                pj.addProperty("batch_size", r.batchSize());
                pj.addProperty("steps_status", r.stepsStatus());
                String noTime = whyNoTime(r, config);
                if (r.steps() < 0) {
                    StrictJson.missing(pj, "steps", noTime);
                    StrictJson.missing(pj, "learning_rate", noTime);
                } else {
                    pj.addProperty("steps", r.steps());
                    pj.addProperty("learning_rate", r.learningRate());
                }
                pj.addProperty("hardware", r.hardware().jsonName());
                String noTiming = "not timed: batch size " + r.batchSize() + " lies outside the timed batch sizes"
                        + " (timings are interpolated, not extrapolated)";
                StrictJson.number(pj, "seconds_per_update", r.secondsPerUpdate(), noTiming);
                StrictJson.number(pj, "seconds_q1", r.secondsQ1(), noTiming);
                StrictJson.number(pj, "seconds_q3", r.secondsQ3(), noTiming);
                StrictJson.number(pj, "time_to_target_seconds", r.timeToTargetSeconds(), noTime);
                StrictJson.number(pj, "time_q1_seconds", r.timeQ1Seconds(), noTime);
                StrictJson.number(pj, "time_q3_seconds", r.timeQ3Seconds(), noTime);
                String noPrediction = a.prediction() == null ? a.noPrediction() : noTiming;
                StrictJson.number(pj, "predicted_steps", r.predictedSteps(), a.noPrediction());
                StrictJson.number(pj, "predicted_time_to_target_seconds", r.predictedTimeSeconds(), noPrediction);
                StrictJson.number(pj, "training_wall_seconds", r.trainingWallSeconds(), !r.trained()
                        ? "not measured: the steps part did not train this batch size" : r.steps() >= 0
                                ? "not measured on this device: the steps part trained on another"
                                : "no training trial reached the target at this batch size");
                pj.addProperty("recommended", r.batchSize() == d.recommendedBatchSize());
                pts.add(pj);
            }
            dj.add("points", pts);
            devices.add(d.device(), dj);
        }
        o.add("devices", devices);
        List<String> notTimed = new ArrayList<>(config.devices());
        notTimed.removeAll(a.devices().keySet());
        if (!notTimed.isEmpty()) {
            JsonObject nt = new JsonObject();
            for (String d : notTimed) {
                nt.addProperty(d, "no hardware timings in this study directory: the device could not be opened (the"
                        + " log says why), so it has no time to target");
            }
            o.add("devices_not_timed", nt);
        }
        if (a.referenceDevice() == null) {
            StrictJson.missing(o, "speed_up", "no device has a recommended batch size");
        } else if (a.speedUp().isEmpty()) {
            StrictJson.missing(o, "speed_up", "one device only (" + a.referenceDevice() + "): nothing to compare");
        } else {
            JsonObject su = new JsonObject();
            su.addProperty("definition", "time to target of reference_device at its recommended batch size over that"
                    + " of each device at its own");
            su.addProperty("reference_device", a.referenceDevice());
            for (Map.Entry<String, Double> e : a.speedUp().entrySet()) {
                su.addProperty(e.getKey(), e.getValue());
            }
            o.add("speed_up", su);
        }
        return o;
    }

    private static void alternative(JsonObject dj, String name, TimeToTarget.Alternative alt) {
        String bName = name.equals("saturation") ? "saturation_batch_size" : "critical_batch_size";
        StrictJson.number(dj, bName, alt.batchSize(), alt.reason());
        StrictJson.number(dj, "time_at_" + name + "_seconds", alt.seconds(), alt.reason());
        StrictJson.number(dj, "slowdown_at_" + name, alt.ratio(), alt.reason());
    }

    static void section(StudyFiles files, BatchSizeStudyResult r, HtmlPage page) {
        TimeToTarget.Advice a = r.timeToTarget();
        LinePlot plot = new LinePlot("Time to " + a.target() + " against batch size", "batch size",
                "seconds to target (steps × s/update)").logX().logY().markers();
        int k = 0;
        List<String> bullets = new ArrayList<>();
        for (TimeToTarget.DeviceAdvice d : a.devices().values()) {
            Color c = COLOURS[k++ % COLOURS.length];
            List<TimeToTarget.Row> measured = d.rows().stream()
                    .filter(x -> Double.isFinite(x.timeToTargetSeconds())).toList();
            plot.series(d.device() + ": measured", measured.stream().mapToDouble(x -> x.batchSize()).toArray(),
                    measured.stream().mapToDouble(TimeToTarget.Row::timeToTargetSeconds).toArray(), c, false, true);
            if (a.prediction() != null) {
                List<TimeToTarget.Row> predicted = d.rows().stream()
                        .filter(x -> Double.isFinite(x.predictedTimeSeconds())).toList();
                plot.series(d.device() + ": predicted from the noise scale", predicted.stream()
                        .mapToDouble(x -> x.batchSize()).toArray(), predicted.stream()
                        .mapToDouble(TimeToTarget.Row::predictedTimeSeconds).toArray(), c, true, false);
            }
            if (d.recommendedBatchSize() > 0) {
                bullets.add(a.recommendation(d));
                bullets.add(d.explanation());
            } else {
                bullets.add(d.device() + ": no recommended batch size: " + d.noRecommendation());
            }
        }
        // One device: its recommendation in red; several: each in its device's colour, so the legend tells them apart.
        int j = 0;
        for (TimeToTarget.DeviceAdvice d : a.devices().values()) {
            Color c = a.devices().size() == 1 ? RECOMMENDED : COLOURS[j % COLOURS.length];
            j++;
            if (d.recommendedBatchSize() > 0) {
                plot.point(d.device() + ": recommended B = " + d.recommendedBatchSize() + " ("
                        + TimeToTarget.fmt(d.recommendedSeconds()) + " s)", d.recommendedBatchSize(),
                        d.recommendedSeconds(), c);
            }
        }
        if (r.critical() != null && Double.isFinite(r.critical().criticalBatchSize())) {
            plot.verticalLine(r.critical().criticalBatchSize(), "B_crit = "
                    + TimeToTarget.fmt(r.critical().criticalBatchSize()));
        }
        plot.write(files.dir().resolve(PLOT));
        for (Map.Entry<String, Double> e : a.speedUp().entrySet()) {
            bullets.add(e.getKey() + " reaches the target " + TimeToTarget.fmt(e.getValue()) + "× as fast as "
                    + a.referenceDevice() + ", each at its recommended batch size");
        }
        List<List<String>> table = new ArrayList<>();
        for (TimeToTarget.DeviceAdvice d : a.devices().values()) {
            for (TimeToTarget.Row x : d.rows()) {
                table.add(List.of(d.device(), x.batchSize() + (x.batchSize() == d.recommendedBatchSize() ? " ◀" : ""),
                        x.steps() < 0 ? x.stepsStatus().replace('_', ' ') : Long.toString(x.steps()),
                        TimeToTarget.fmt(x.secondsPerUpdate()) + (x.hardware() == TimeToTarget.HardwareSource.MEASURED
                                ? "" : " (" + x.hardware().jsonName().replace('_', ' ') + ")"),
                        Double.isFinite(x.timeToTargetSeconds()) ? TimeToTarget.fmt(x.timeToTargetSeconds()) + " ("
                                + TimeToTarget.fmt(x.timeQ1Seconds()) + "–" + TimeToTarget.fmt(x.timeQ3Seconds())
                                + ")" : "- (" + (x.steps() < 0 ? x.stepsStatus().equals("not_trained") ? "not trained at this batch size"
                                        : "the target was " + x.stepsStatus().replace('_', ' ')
                                        : "no update time: batch size outside the timed range") + ")",
                        TimeToTarget.fmt(x.predictedSteps()), TimeToTarget.fmt(x.predictedTimeSeconds()),
                        TimeToTarget.fmt(x.trainingWallSeconds())));
            }
        }
        String why = "Time to target = steps to target (the steps part, learning rate tuned per batch size) × the"
                + " median seconds per update (the hardware part), per device. Below the saturation point B* an"
                + " update costs about the same at any batch size (the hardware is not saturated), and below the"
                + " critical batch size B_crit doubling the batch nearly halves the steps (perfect scaling: the"
                + " gradient noise is large); above both, the cost of an update grows linearly with B while the steps"
                + " no longer fall in proportion (diminishing returns). So the time falls while growing the batch buys"
                + " more in steps than it costs per update, and the best batch lies where that stops: at B* for the"
                + " lectures' cartoon (flat, then linear) with McCandlish's S(B) = S_min(1 + B_crit/B), at √(B*·B_crit)"
                + " for a smooth cost a + b·B. The dashed curves predict the time from the noise scale alone"
                + (a.prediction() == null ? " (not available: " + a.noPrediction() + ")" : ": S(B) = "
                        + TimeToTarget.fmt(a.prediction().minSteps()) + "·(1 + " + TimeToTarget.fmt(
                                a.prediction().noiseScale()) + "/B), B_noise from " + a.prediction().noiseScaleSource()
                        + ", S_min from " + a.prediction().minStepsSource())
                + ". The times count the timed updates only; the last column is the wall time of the steps part's"
                + " own trial, which also counts batch assembly, the target checks' evaluations and start-up.";
        List<String> all = new ArrayList<>(bullets);
        all.addAll(a.notes());
        page.heading("Time to target").paragraph(why).bullets(all).image(PLOT, "time to target against batch size")
                .table(List.of("device", "batch size", "steps", "s/update (median)", "time to target, s (IQR)",
                        "predicted steps", "predicted time, s", "training trial wall, s"), table);
    }

}
