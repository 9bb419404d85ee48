package io.ravine.study;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a batch-size study found, computed from the rows of {@code study.csv} (so a resumed study and a straight one
 * give the same analysis).
 *
 * @param ranTrials keys of the trials run by this call (finished ones were skipped)
 * @param rows every finished trial, in plan order
 * @param hardware per device: its timings by batch size and the fitted saturation point
 * @param stepsToTarget per batch size of the steps part: the best learning rate's result
 * @param regions the scaling regions of the batch sizes that reached the target (null with fewer than 2)
 * @param critical McCandlish's B_crit fitted to steps-to-target (null with fewer than 2 points)
 * @param noise the noise-scale series (empty when the part did not run)
 * @param deviceDescriptions descriptions of the devices opened by this call
 * @param timeToTarget the batch-size advisor: time to target against batch size per device and the batch size to
 *     use ({@link TimeToTarget}); null unless both the hardware and the steps part have results
 */
public record BatchSizeStudyResult(List<String> ranTrials, List<TrialRow> rows, Map<String, DeviceCurve> hardware,
        List<StepsPoint> stepsToTarget, ScalingRegions.Classification regions,
        ScalingRegions.CriticalBatch critical, List<NoiseSample> noise, Map<String, String> deviceDescriptions,
        TimeToTarget.Advice timeToTarget) {

    /** The hardware curve of one device. */
    public record DeviceCurve(String device, List<TrialRow> points, SaturationPoint.Fit saturation) {
    }

    /**
     * The steps part at one batch size, with the learning rate that reached the target in the fewest steps.
     *
     * @param status {@code reached}, or {@code not_reached} / {@code diverged} when no learning rate reached it
     *     (diverged only when every one diverged)
     * @param learningRateAtGridEdge the best rate is the smallest or largest tried: the grid should be widened
     */
    public record StepsPoint(int batchSize, String status, long steps, long examples, double learningRate,
            boolean learningRateAtGridEdge, String region) {
    }

    /**
     * The analysis of the finished trials of {@code plan}; {@code notes} go into the advisor's notes (a mismatch of
     * the parts' models, found by the study, which knows the data).
     */
    static BatchSizeStudyResult analyse(BatchSizeStudyConfig config, List<BatchSizeStudy.Trial> plan,
            StudyFiles files, List<String> ran, Map<String, String> descriptions, List<String> notes) {
        List<TrialRow> rows = new ArrayList<>();
        for (BatchSizeStudy.Trial t : plan) {
            if (files.finished(t.key())) {
                rows.add(files.row(t.key()));
            }
        }
        Map<String, DeviceCurve> hardware = new LinkedHashMap<>();
        for (String device : config.devices()) {
            List<TrialRow> pts = rows.stream().filter(r -> r.kind().equals(BatchSizeStudyConfig.HARDWARE)
                    && r.device().equals(device)).toList();
            if (pts.isEmpty()) {
                continue;
            }
            SaturationPoint.Fit fit = pts.size() >= 3 ? SaturationPoint.fit(
                    pts.stream().mapToDouble(TrialRow::batchSize).toArray(),
                    pts.stream().mapToDouble(TrialRow::secondsPerUpdate).toArray()) : null;
            hardware.put(device, new DeviceCurve(device, pts, fit));
        }
        List<StepsPoint> steps = new ArrayList<>();
        Map<Integer, Double> trainingWall = new LinkedHashMap<>();
        String trainingDevice = null;
        double[] lrs = config.learningRates();
        for (int b : config.stepBatchSizes()) {
            List<TrialRow> trials = rows.stream().filter(r -> r.kind().equals(BatchSizeStudyConfig.STEPS)
                    && r.batchSize() == b).toList();
            if (trials.isEmpty()) {
                continue;
            }
            TrialRow best = null;
            for (TrialRow r : trials) {
                // Fewest steps wins; on a tie the smaller learning rate (further from instability).
                if (r.status().equals("reached") && (best == null || r.steps() < best.steps()
                        || (r.steps() == best.steps() && r.learningRate() < best.learningRate()))) {
                    best = r;
                }
            }
            if (best == null) {
                boolean allDiverged = trials.stream().allMatch(r -> r.status().equals("diverged"));
                steps.add(new StepsPoint(b, allDiverged ? "diverged" : "not_reached", -1, -1, Double.NaN, false,
                        ""));
            } else {
                boolean edge = lrs.length > 1 && (BatchSizeStudy.lrKey(best.learningRate())
                        .equals(BatchSizeStudy.lrKey(lrs[0]))
                        || BatchSizeStudy.lrKey(best.learningRate()).equals(BatchSizeStudy.lrKey(lrs[lrs.length - 1])));
                steps.add(new StepsPoint(b, "reached", best.steps(), best.examples(), best.learningRate(), edge, ""));
                trainingWall.put(b, best.wallSeconds());
                trainingDevice = best.device();
            }
        }
        List<StepsPoint> reached = steps.stream().filter(p -> p.status().equals("reached")).toList();
        ScalingRegions.Classification regions = null;
        ScalingRegions.CriticalBatch critical = null;
        if (reached.size() >= 2) {
            double[] bs = reached.stream().mapToDouble(StepsPoint::batchSize).toArray();
            double[] ss = reached.stream().mapToDouble(StepsPoint::steps).toArray();
            regions = ScalingRegions.classify(bs, ss);
            critical = ScalingRegions.criticalBatchSize(bs, ss);
            List<StepsPoint> labelled = new ArrayList<>();
            int k = 0;
            for (StepsPoint p : steps) {
                labelled.add(p.status().equals("reached") ? new StepsPoint(p.batchSize(), p.status(), p.steps(),
                        p.examples(), p.learningRate(), p.learningRateAtGridEdge(), regions.regions()[k++].label())
                        : p);
            }
            steps = labelled;
        }
        List<NoiseSample> noise = config.runs(BatchSizeStudyConfig.NOISE) ? files.readNoise() : List.of();
        TimeToTarget.Advice advice = null;
        if (!hardware.isEmpty() && !steps.isEmpty()) {
            TrialRow noiseRun = rows.stream().filter(r -> r.kind().equals(BatchSizeStudyConfig.NOISE)).findFirst()
                    .orElse(null);
            TimeToTarget.Prediction prediction = TimeToTarget.prediction(noise, noiseRun, steps, critical);
            List<String> all = new ArrayList<>(notes);
            if (trainingDevice != null) {
                all.add("one steps curve serves every device: steps to target do not depend on the device (the steps"
                        + " part trained on " + trainingDevice + ")");
            }
            advice = TimeToTarget.advise(config.targetMetric() + " ≤ " + io.ravine.report.TickFormat.human(
                    config.targetLoss(), 4), hardware, steps, critical, prediction,
                    TimeToTarget.noPrediction(noise, steps), trainingDevice, trainingWall, all);
        }
        return new BatchSizeStudyResult(List.copyOf(ran), List.copyOf(rows), hardware, List.copyOf(steps), regions,
                critical, noise, descriptions, advice);
    }
}
