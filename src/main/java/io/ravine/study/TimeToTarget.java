package io.ravine.study;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The batch-size advisor: wall time to reach the target on each device, {@code steps(B) × seconds per update(B)},
 * and the batch size that minimises it.
 *
 * <p>The two factors are the study's two halves. The steps part gives steps to target against B with the learning
 * rate tuned per B (Shallue et al. 2018); the hardware part gives the median seconds of one update against B on each
 * device. Where a trained batch size was not timed, its cost is interpolated on the log-log hardware curve between
 * the two timed batch sizes around it ({@link #interpolateLogLog}: exact on a power law t = c·B^p, so on both the flat
 * and the linear part of the lectures' cartoon); outside the timed range it is not extrapolated. The spread of a time
 * to target is the hardware quartiles times the same step count (the step count's own resolution, the check
 * interval, is not in it).
 *
 * <p>Why a minimum exists, in the lectures' terms: below the saturation point B* an update costs about the same
 * whatever the batch (the hardware is not saturated), so a larger batch that cuts the steps cuts the time; above
 * B* the cost grows linearly with B, and above the critical batch size B_crit the steps stop falling in proportion
 * (diminishing returns, then maximal parallelism: the gradient is no longer noisy enough for a bigger batch to
 * help). With McCandlish et al.'s S(B) = S_min(1 + B_crit/B) and the cartoon's cost max(a, b·B) the time is
 * S_min·a·(1 + B_crit/B) below B* (falling) and S_min·b·(B + B_crit) above it (rising), so the best batch is B*;
 * with a smooth cost a + b·B it is √(B*·B_crit), between the two.
 *
 * <p>The prediction ({@link Prediction}): McCandlish's S(B) ≈ S_min(1 + B_noise/B) with B_noise the gradient noise
 * scale measured by the noise part, S_min from that same run's steps to target, times the hardware curve. It needs
 * no steps part, so it is also given at timed batch sizes that were not trained, and where both exist it stands
 * next to the measured time as a check of the model.
 */
public final class TimeToTarget {
    private TimeToTarget() {
    }

    /** Where a row's seconds per update come from. */
    public enum HardwareSource {
        /** timed at this batch size */
        MEASURED,
        /** interpolated on the log-log hardware curve between the timed batch sizes around it */
        INTERPOLATED,
        /** outside the timed range: not extrapolated */
        OUTSIDE_TIMED_RANGE;

        /**
         * The name written to study.json and time-to-target.csv.
         *
         * @return the lower-case name with underscores
         */
        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * McCandlish et al.'s steps model S(B) = S_min(1 + B_noise/B), the basis of the predicted times.
     *
     * @param noiseScale B_noise
     * @param noiseScaleSource where B_noise comes from, in words
     * @param minSteps S_min
     * @param minStepsSource where S_min comes from, in words
     */
    public record Prediction(double noiseScale, String noiseScaleSource, double minSteps, String minStepsSource) {
        /**
         * Predicted steps to target.
         *
         * @param batchSize B
         * @return S_min(1 + B_noise/B)
         */
        public double steps(double batchSize) {
            return minSteps * (1 + noiseScale / batchSize);
        }
    }

    /**
     * One batch size on one device.
     *
     * @param device the device timed
     * @param batchSize B
     * @param stepsStatus {@code reached}, {@code not_reached} or {@code diverged} (steps part), or {@code not_trained}
     *     for a timed batch size that the steps part did not train (prediction only)
     * @param steps steps to target at the best learning rate (−1 when not reached or not trained)
     * @param learningRate that learning rate (NaN when none)
     * @param hardware where the seconds per update come from
     * @param secondsPerUpdate median seconds of one update (NaN outside the timed range)
     * @param secondsQ1 first quartile of the seconds per update
     * @param secondsQ3 third quartile
     * @param timeToTargetSeconds steps × median seconds per update (NaN when either is missing)
     * @param timeQ1Seconds steps × first quartile
     * @param timeQ3Seconds steps × third quartile
     * @param predictedSteps S_min(1 + B_noise/B) (NaN without a prediction)
     * @param predictedTimeSeconds predicted steps × median seconds per update
     * @param trainingWallSeconds wall time of the steps part's best trial at this B, on the device it ran on (NaN on
     *     the other devices): it also counts batch assembly, the target checks' evaluations and start-up
     */
    public record Row(String device, int batchSize, String stepsStatus, long steps, double learningRate,
            HardwareSource hardware, double secondsPerUpdate, double secondsQ1, double secondsQ3,
            double timeToTargetSeconds, double timeQ1Seconds, double timeQ3Seconds, double predictedSteps,
            double predictedTimeSeconds, double trainingWallSeconds) {
        /**
         * Whether the steps part trained this batch size.
         *
         * @return false for a row that only the prediction fills
         */
        public boolean trained() {
            return !stepsStatus.equals(NOT_TRAINED);
        }
    }

    /**
     * A time to target at a batch size that need not have been trained (B*, B_crit): steps and seconds per update
     * each interpolated on their log-log curve.
     *
     * @param batchSize the batch size asked about
     * @param seconds the time to target there (NaN when it cannot be given)
     * @param ratio {@code seconds} / the recommended batch size's time: how many times slower (NaN likewise)
     * @param reason why {@code seconds} is NaN (null when it is not)
     */
    public record Alternative(double batchSize, double seconds, double ratio, String reason) {
    }

    /**
     * The advice for one device.
     *
     * @param device the device
     * @param rows every batch size of the steps part, then the timed batch sizes not trained, ascending
     * @param recommendedBatchSize the trained batch size with the least time to target (−1 when none reached the
     *     target within the timed range)
     * @param recommendedSeconds its time to target (NaN when there is none)
     * @param recommendedQ1Seconds its time at the hardware's first quartile
     * @param recommendedQ3Seconds at the third quartile
     * @param noRecommendation why there is no recommendation (null when there is one)
     * @param atSaturation the time at this device's saturation point B*
     * @param atCritical the time at the critical batch size B_crit
     * @param predictedBestBatchSize the batch size, trained or only timed, with the least predicted time (−1 when
     *     there is no prediction)
     * @param predictedBestSeconds its predicted time
     * @param explanation one sentence: why the recommended batch size wins, in the lectures' terms
     */
    public record DeviceAdvice(String device, List<Row> rows, int recommendedBatchSize, double recommendedSeconds,
            double recommendedQ1Seconds, double recommendedQ3Seconds, String noRecommendation,
            Alternative atSaturation, Alternative atCritical, int predictedBestBatchSize, double predictedBestSeconds,
            String explanation) {
    }

    /**
     * The advice for every device timed.
     *
     * @param target the target, in words ({@code train_loss ≤ 0.3})
     * @param prediction McCandlish's model behind the predicted times (null when the noise part gave no noise scale
     *     and the steps part no critical batch size)
     * @param noPrediction why there is no prediction (null when there is one)
     * @param devices per device timed, in the study's device order
     * @param referenceDevice the device the speed-ups compare with (the first with a recommendation; null if none)
     * @param speedUp per other device with a recommendation: the reference device's time to target at its
     *     recommended batch size over this device's at its own
     * @param notes what the reader of the numbers should know (interpolated timings, a model mismatch)
     */
    public record Advice(String target, Prediction prediction, String noPrediction, Map<String, DeviceAdvice> devices,
            String referenceDevice, Map<String, Double> speedUp, List<String> notes) {

        /**
         * The lines a terminal prints: per device the recommendation, the cost of B* and B_crit, and the sentence
         * explaining it; then the speed-ups and the prediction's best batch sizes.
         *
         * @return the lines, without line terminators
         */
        public List<String> summary() {
            List<String> out = new ArrayList<>();
            for (DeviceAdvice d : devices.values()) {
                if (d.recommendedBatchSize() < 0) {
                    out.add(d.device() + ": no recommended batch size: " + d.noRecommendation());
                    continue;
                }
                out.add(recommendation(d));
                out.add("  " + d.explanation());
            }
            for (Map.Entry<String, Double> e : speedUp.entrySet()) {
                out.add(String.format(Locale.ROOT, "%s reaches the target %s× as fast as %s (each at its recommended"
                        + " batch size)", e.getKey(), fmt(e.getValue()), referenceDevice));
            }
            if (prediction != null) {
                List<String> best = new ArrayList<>();
                for (DeviceAdvice d : devices.values()) {
                    if (d.predictedBestBatchSize() > 0) {
                        best.add(d.device() + " B = " + d.predictedBestBatchSize() + " (" + fmt(d.predictedBestSeconds())
                                + " s)");
                    }
                }
                out.add(String.format(Locale.ROOT, "predicted from the noise scale (S = %s·(1 + %s/B)): best %s",
                        fmt(prediction.minSteps()), fmt(prediction.noiseScale()), best.isEmpty() ? "none"
                                : String.join(", ", best)));
            }
            return out;
        }

        /**
         * One device's recommendation in one line: the batch size, its time to target with the hardware quartiles'
         * spread, and how many times as long B* and B_crit would take.
         *
         * @param d the device's advice, with a recommendation
         * @return the line
         */
        public String recommendation(DeviceAdvice d) {
            return String.format(Locale.ROOT, "%s: recommended batch size %d: %s s to %s (IQR %s–%s s)%s%s",
                    d.device(), d.recommendedBatchSize(), fmt(d.recommendedSeconds()), target,
                    fmt(d.recommendedQ1Seconds()), fmt(d.recommendedQ3Seconds()),
                    alternative("; B* = ", d.atSaturation()), alternative("; B_crit = ", d.atCritical()));
        }

        private static String alternative(String label, Alternative a) {
            if (a == null || !Double.isFinite(a.batchSize())) {
                return "";
            }
            // The reason names the batch size itself ("B* = 15.1 lies outside …"): said once.
            return Double.isFinite(a.ratio()) ? label + fmt(a.batchSize()) + " would take " + fmt(a.ratio())
                    + "× as long" : label.substring(0, label.indexOf("B")) + a.reason();
        }
    }

    static final String NOT_TRAINED = "not_trained";

    /**
     * {@code y} at {@code x} on the piecewise-linear interpolation of (log x, log y): exact at the given points and
     * on any power law y = c·x^p between them.
     *
     * @param xs the abscissae, ascending, positive
     * @param ys the ordinates, positive
     * @param x where to interpolate
     * @return the interpolated value, or NaN where {@code x} lies outside [xs[0], xs[n−1]] or no two points bracket
     *     it
     */
    public static double interpolateLogLog(double[] xs, double[] ys, double x) {
        if (xs.length != ys.length) {
            throw new IllegalArgumentException(xs.length + " abscissae, " + ys.length + " ordinates");
        }
        for (int i = 0; i < xs.length; i++) {
            if (xs[i] == x) {
                return ys[i];
            }
        }
        for (int i = 0; i + 1 < xs.length; i++) {
            if (xs[i] < x && x < xs[i + 1]) {
                double f = Math.log(x / xs[i]) / Math.log(xs[i + 1] / xs[i]);
                return Math.exp(Math.log(ys[i]) + f * Math.log(ys[i + 1] / ys[i]));
            }
        }
        return Double.NaN;
    }

    /**
     * S_min of S(B) = S_min(1 + B_noise/B) with B_noise given: least squares with relative residuals (weights
     * 1/S², as {@link ScalingRegions#criticalBatchSize}), S_min = Σ(u/S) / Σ(u²/S²) with u = 1 + B_noise/B.
     *
     * @param batchSizes the batch sizes
     * @param steps steps to target at each (positive)
     * @param noiseScale B_noise
     * @return S_min (NaN with no points)
     */
    public static double fitMinSteps(double[] batchSizes, double[] steps, double noiseScale) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < batchSizes.length; i++) {
            double u = 1 + noiseScale / batchSizes[i];
            num += u / steps[i];
            den += u * u / (steps[i] * steps[i]);
        }
        return den > 0 ? num / den : Double.NaN;
    }

    /**
     * The prediction's basis from what the study measured: B_noise is the noise part's last B_simple (the noise
     * scale at the end of its run, at the target when the run reached it); S_min comes from that run's own steps to
     * target (S_min = S/(1 + B_noise/B)), so the prediction uses no result of the steps part. When the noise run did
     * not reach the target, S_min is fitted to the steps part with B_noise fixed; without a noise scale, McCandlish's
     * two-parameter fit to the steps part (B_crit as B_noise) is the basis.
     *
     * @param noise the noise-scale series (empty when the part did not run)
     * @param noiseRun the noise trial's row (null when it did not run)
     * @param steps the steps part's points
     * @param critical the fit of S_min and B_crit to the steps part (null with fewer than two points)
     * @return the basis, or null when nothing gives one
     */
    public static Prediction prediction(List<NoiseSample> noise, TrialRow noiseRun,
            List<BatchSizeStudyResult.StepsPoint> steps, ScalingRegions.CriticalBatch critical) {
        double bNoise = noise.isEmpty() ? Double.NaN : noise.get(noise.size() - 1).estimate().simpleNoiseScale();
        if (bNoise > 0 && Double.isFinite(bNoise)) {
            NoiseSample last = noise.get(noise.size() - 1);
            String source = "the noise part's B_simple at step " + last.step() + " of its run at B = "
                    + (noiseRun == null ? "?" : noiseRun.batchSize());
            if (noiseRun != null && noiseRun.status().equals("reached") && noiseRun.steps() > 0) {
                double sMin = noiseRun.steps() / (1 + bNoise / noiseRun.batchSize());
                return new Prediction(bNoise, source, sMin, "the noise run's own steps to target: "
                        + noiseRun.steps() + " steps at B = " + noiseRun.batchSize() + ", lr "
                        + fmt(noiseRun.learningRate()) + ", S_min = S/(1 + B_noise/B)");
            }
            List<BatchSizeStudyResult.StepsPoint> reached = steps.stream().filter(p -> p.steps() > 0).toList();
            if (!reached.isEmpty()) {
                double sMin = fitMinSteps(reached.stream().mapToDouble(p -> p.batchSize()).toArray(),
                        reached.stream().mapToDouble(p -> p.steps()).toArray(), bNoise);
                return new Prediction(bNoise, source, sMin, "fitted to the steps part's " + reached.size()
                        + " step counts with B_noise fixed (the noise run did not reach the target)");
            }
            return null;
        }
        if (critical != null && Double.isFinite(critical.criticalBatchSize())) {
            return new Prediction(critical.criticalBatchSize(), "no noise scale measured: B_crit of McCandlish's fit"
                    + " to the steps part stands in for B_noise", critical.minSteps(), "the same fit");
        }
        return null;
    }

    /** Why {@link #prediction} gave none, for the file. */
    static String noPrediction(List<NoiseSample> noise, List<BatchSizeStudyResult.StepsPoint> steps) {
        if (noise.isEmpty()) {
            return "no prediction: the noise part did not run and the steps part gave no critical batch size";
        }
        return "no prediction: the noise part gave no positive noise scale and the steps part no critical batch size"
                + (steps.stream().anyMatch(p -> p.steps() > 0) ? "" : " (no batch size reached the target)");
    }

    /**
     * Combines the hardware curves and the steps curve.
     *
     * @param target the target, in words
     * @param hardware per device its timed points and saturation point, in the study's device order
     * @param steps per trained batch size its steps to target (any order)
     * @param critical McCandlish's fit to the steps part (null when there is none)
     * @param prediction the prediction's basis (null: no predicted times)
     * @param noPrediction why there is no prediction (used when {@code prediction} is null)
     * @param trainingDevice the device the steps part ran on (null when unknown)
     * @param trainingWall wall seconds of the best trial per trained batch size, on {@code trainingDevice}
     * @param notes notes to carry (a model mismatch between the parts)
     * @return the advice per device
     */
    public static Advice advise(String target, Map<String, BatchSizeStudyResult.DeviceCurve> hardware,
            List<BatchSizeStudyResult.StepsPoint> steps, ScalingRegions.CriticalBatch critical, Prediction prediction,
            String noPrediction, String trainingDevice, Map<Integer, Double> trainingWall, List<String> notes) {
        List<BatchSizeStudyResult.StepsPoint> sorted = new ArrayList<>(steps);
        sorted.sort((a, b) -> Integer.compare(a.batchSize(), b.batchSize()));
        List<BatchSizeStudyResult.StepsPoint> reached = sorted.stream().filter(p -> p.steps() > 0).toList();
        double[] rb = reached.stream().mapToDouble(p -> p.batchSize()).toArray();
        double[] rs = reached.stream().mapToDouble(p -> p.steps()).toArray();
        double bCrit = critical == null ? Double.NaN : critical.criticalBatchSize();
        Map<String, DeviceAdvice> devices = new LinkedHashMap<>();
        TreeSet<Integer> interpolated = new TreeSet<>();
        for (BatchSizeStudyResult.DeviceCurve curve : hardware.values()) {
            List<TrialRow> pts = new ArrayList<>(curve.points());
            pts.sort((a, b) -> Integer.compare(a.batchSize(), b.batchSize()));
            double[] hb = pts.stream().mapToDouble(TrialRow::batchSize).toArray();
            double[] med = pts.stream().mapToDouble(TrialRow::secondsPerUpdate).toArray();
            double[] q1 = pts.stream().mapToDouble(TrialRow::secondsQ1).toArray();
            double[] q3 = pts.stream().mapToDouble(TrialRow::secondsQ3).toArray();
            List<Row> rows = new ArrayList<>();
            TreeSet<Integer> trainedSizes = new TreeSet<>();
            for (BatchSizeStudyResult.StepsPoint p : sorted) {
                trainedSizes.add(p.batchSize());
                HardwareSource src = source(hb, p.batchSize());
                if (src == HardwareSource.INTERPOLATED) {
                    interpolated.add(p.batchSize());
                }
                double m = interpolateLogLog(hb, med, p.batchSize());
                double lo = interpolateLogLog(hb, q1, p.batchSize());
                double hi = interpolateLogLog(hb, q3, p.batchSize());
                boolean ok = p.steps() > 0;
                double ps = prediction == null ? Double.NaN : prediction.steps(p.batchSize());
                double wall = curve.device().equals(trainingDevice) && trainingWall.containsKey(p.batchSize())
                        ? trainingWall.get(p.batchSize()) : Double.NaN;
                rows.add(new Row(curve.device(), p.batchSize(), p.status(), ok ? p.steps() : -1,
                        ok ? p.learningRate() : Double.NaN, src, m, lo, hi, ok ? p.steps() * m : Double.NaN,
                        ok ? p.steps() * lo : Double.NaN, ok ? p.steps() * hi : Double.NaN, ps, ps * m, wall));
            }
            if (prediction != null) {
                for (int i = 0; i < hb.length; i++) {
                    int b = (int) hb[i];
                    if (!trainedSizes.contains(b)) {
                        double ps = prediction.steps(b);
                        rows.add(new Row(curve.device(), b, NOT_TRAINED, -1, Double.NaN, HardwareSource.MEASURED,
                                med[i], q1[i], q3[i], Double.NaN, Double.NaN, Double.NaN, ps, ps * med[i],
                                Double.NaN));
                    }
                }
            }
            rows.sort((a, b) -> Integer.compare(a.batchSize(), b.batchSize()));
            devices.put(curve.device(), device(curve, rows, rb, rs, hb, med, bCrit, prediction != null));
        }
        List<String> allNotes = new ArrayList<>(notes);
        if (!interpolated.isEmpty()) {
            allNotes.add("the steps part's batch sizes " + join(interpolated) + " were not timed: their seconds per"
                    + " update are interpolated on the log-log hardware curve between the timed batch sizes around"
                    + " them (exact where the curve is a power law between them)");
        }
        String reference = null;
        Map<String, Double> speedUp = new LinkedHashMap<>();
        for (DeviceAdvice d : devices.values()) {
            if (d.recommendedBatchSize() < 0) {
                continue;
            }
            if (reference == null) {
                reference = d.device();
            } else {
                speedUp.put(d.device(), devices.get(reference).recommendedSeconds() / d.recommendedSeconds());
            }
        }
        return new Advice(target, prediction, prediction == null ? noPrediction : null, devices, reference,
                speedUp, List.copyOf(allNotes));
    }

    private static HardwareSource source(double[] hb, int b) {
        for (double x : hb) {
            if (x == b) {
                return HardwareSource.MEASURED;
            }
        }
        return hb.length >= 2 && b > hb[0] && b < hb[hb.length - 1] ? HardwareSource.INTERPOLATED
                : HardwareSource.OUTSIDE_TIMED_RANGE;
    }

    private static DeviceAdvice device(BatchSizeStudyResult.DeviceCurve curve, List<Row> rows, double[] rb,
            double[] rs, double[] hb, double[] med, double bCrit, boolean predicted) {
        List<Row> measured = rows.stream().filter(r -> Double.isFinite(r.timeToTargetSeconds())).toList();
        Row best = null;
        for (Row r : measured) {
            if (best == null || r.timeToTargetSeconds() < best.timeToTargetSeconds()) {
                best = r; // ascending B: on a tie the smaller batch size stays
            }
        }
        Row predictedBest = null;
        if (predicted) {
            for (Row r : rows) {
                if (Double.isFinite(r.predictedTimeSeconds()) && (predictedBest == null
                        || r.predictedTimeSeconds() < predictedBest.predictedTimeSeconds())) {
                    predictedBest = r;
                }
            }
        }
        int pb = predictedBest == null ? -1 : predictedBest.batchSize();
        double pt = predictedBest == null ? Double.NaN : predictedBest.predictedTimeSeconds();
        double bStar = curve.saturation() == null ? Double.NaN : curve.saturation().batchSize();
        if (best == null) {
            String why = rs.length == 0 ? "no batch size of the steps part reached the target"
                    : "no batch size that reached the target lies within the timed range " + fmt(hb[0]) + "–"
                            + fmt(hb[hb.length - 1]);
            return new DeviceAdvice(curve.device(), List.copyOf(rows), -1, Double.NaN, Double.NaN, Double.NaN, why,
                    new Alternative(bStar, Double.NaN, Double.NaN, why), new Alternative(bCrit, Double.NaN,
                            Double.NaN, why), pb, pt, "");
        }
        Alternative atStar = curve.saturation() == null
                ? new Alternative(Double.NaN, Double.NaN, Double.NaN, "no saturation point: fewer than 3 batch sizes"
                        + " timed")
                : alternative(bStar, "B*", best, rb, rs, hb, med);
        Alternative atCrit = Double.isFinite(bCrit) ? alternative(bCrit, "B_crit", best, rb, rs, hb, med)
                : new Alternative(Double.NaN, Double.NaN, Double.NaN, "no critical batch size: McCandlish's fit to"
                        + " the steps part gave none");
        return new DeviceAdvice(curve.device(), List.copyOf(rows), best.batchSize(), best.timeToTargetSeconds(),
                best.timeQ1Seconds(), best.timeQ3Seconds(), null, atStar, atCrit, pb, pt,
                explain(curve.device(), measured, measured.indexOf(best), bStar, bCrit));
    }

    private static Alternative alternative(double b, String name, Row best, double[] rb, double[] rs, double[] hb,
            double[] med) {
        double s = interpolateLogLog(rb, rs, b);
        double t = interpolateLogLog(hb, med, b);
        if (!Double.isFinite(s)) {
            return new Alternative(b, Double.NaN, Double.NaN, name + " = " + fmt(b) + " lies outside the batch sizes"
                    + " that reached the target (" + fmt(rb[0]) + "–" + fmt(rb[rb.length - 1]) + ")");
        }
        if (!Double.isFinite(t)) {
            return new Alternative(b, Double.NaN, Double.NaN, name + " = " + fmt(b) + " lies outside the timed batch"
                    + " sizes (" + fmt(hb[0]) + "–" + fmt(hb[hb.length - 1]) + ")");
        }
        return new Alternative(b, s * t, s * t / best.timeToTargetSeconds(), null);
    }

    /**
     * One sentence on why {@code measured[k]} wins: what its neighbours trade, steps against cost per update, each
     * side named in the lectures' terms.
     */
    static String explain(String device, List<Row> measured, int k, double bStar, double bCrit) {
        Row r = measured.get(k);
        List<String> bounds = new ArrayList<>();
        if (Double.isFinite(bStar)) {
            bounds.add("B* = " + fmt(bStar));
        }
        if (Double.isFinite(bCrit)) {
            bounds.add("B_crit = " + fmt(bCrit));
        }
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%s: B = %d reaches the target soonest (%s s%s)",
                device, r.batchSize(), fmt(r.timeToTargetSeconds()), bounds.isEmpty() ? ""
                        : "; " + String.join(", ", bounds)));
        List<String> clauses = new ArrayList<>();
        if (k > 0) {
            Row p = measured.get(k - 1);
            clauses.add(String.format(Locale.ROOT, "from B = %d the steps fall %s× (%s) while an update costs %s× as"
                    + " much (%s)", p.batchSize(), fmt(p.steps() / (double) r.steps()), stepsTerm(p, r, bCrit),
                    fmt(r.secondsPerUpdate() / p.secondsPerUpdate()), hardwareTerm(p, r, bStar)));
        }
        if (k + 1 < measured.size()) {
            Row n = measured.get(k + 1);
            clauses.add(String.format(Locale.ROOT, "%s to B = %d the steps fall %s× (%s) while an update costs %s×"
                    + " as much (%s)", k > 0 ? "but on" : "from it", n.batchSize(),
                    fmt(r.steps() / (double) n.steps()), stepsTerm(r, n, bCrit),
                    fmt(n.secondsPerUpdate() / r.secondsPerUpdate()), hardwareTerm(r, n, bStar)));
        }
        if (clauses.isEmpty()) {
            s.append(", the only batch size measured");
        } else {
            s.append(": ").append(String.join(", ", clauses));
        }
        if (measured.size() > 1 && k == measured.size() - 1) {
            s.append("; it is the largest batch size measured, so a larger one may be faster still");
        } else if (measured.size() > 1 && k == 0) {
            s.append("; it is the smallest batch size measured, so a smaller one may be faster still");
        }
        return s.append('.').toString();
    }

    /**
     * The segment from {@code a} to {@code b} of the steps curve in the lectures' terms (Grosse &amp; Ba, "SGD: batch
     * size"; Shallue et al.'s regions, {@link ScalingRegions}).
     */
    private static String stepsTerm(Row a, Row b, double bCrit) {
        double e = Math.log(a.steps() / (double) b.steps()) / Math.log(b.batchSize() / (double) a.batchSize());
        if (e >= ScalingRegions.PERFECT_EXPONENT) {
            return "perfect scaling: large gradient noise" + (b.batchSize() <= bCrit ? ", below B_crit" : "");
        }
        if (e > ScalingRegions.FLAT_EXPONENT) {
            return "diminishing returns" + (a.batchSize() >= bCrit ? ", above B_crit" : "");
        }
        return "maximal parallelism: SGD already approximates the batch gradient";
    }

    /** The segment of the hardware curve in the lectures' terms (the cost is flat, then linear in B). */
    private static String hardwareTerm(Row a, Row b, double bStar) {
        double e = Math.log(b.secondsPerUpdate() / a.secondsPerUpdate()) / Math.log(b.batchSize()
                / (double) a.batchSize());
        if (e <= ScalingRegions.FLAT_EXPONENT) {
            return "hardware not saturated" + (b.batchSize() <= bStar ? ", below B*" : "");
        }
        if (e >= ScalingRegions.PERFECT_EXPONENT) {
            return "hardware saturated: cost linear in B" + (a.batchSize() >= bStar ? ", above B*" : "");
        }
        return "hardware saturating";
    }

    private static String join(TreeSet<Integer> sizes) {
        return String.join(", ", sizes.stream().map(String::valueOf).toList());
    }

    static String fmt(double v) {
        return Double.isFinite(v) ? io.ravine.report.TickFormat.human(v, 3) : "–";
    }
}
