package io.ravine.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.ravine.io.StrictJson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/** The batch-size advisor on synthetic curves whose answers are known in closed form. */
class TimeToTargetTest {
    private static final int[] HW = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192};
    private static final int[] TRAINED = {16, 32, 64, 128, 256, 512, 1024};
    private static final double A = 6.4e-3; // flat cost, s
    private static final double B = 1e-4; // cost per example, s: B* = A/B = 64
    private static final double S_MIN = 1000;
    private static final double B_CRIT = 256;

    /** A device's curve: median t(B), quartiles 0.9·t and 1.1·t, and the given saturation point. */
    static BatchSizeStudyResult.DeviceCurve curve(String device, int[] sizes, DoubleUnaryOperator t,
            SaturationPoint.Fit fit) {
        List<TrialRow> pts = new ArrayList<>();
        for (int b : sizes) {
            double m = t.applyAsDouble(b);
            pts.add(TrialRow.hardware("hardware/" + device + "/b=" + b, device,
                    new UpdateTiming(b, m, 0.9 * m, 1.1 * m, 0.8 * m, 1.2 * m, 10), 1.0));
        }
        return new BatchSizeStudyResult.DeviceCurve(device, pts, fit);
    }

    private static SaturationPoint.Fit knee() {
        return new SaturationPoint.Fit(A / B, A, B, SaturationPoint.Position.WITHIN_RANGE);
    }

    /** McCandlish's S(B) = S_min(1 + B_crit/B) at the trained sizes (whole steps: the values are integers here). */
    static List<BatchSizeStudyResult.StepsPoint> mcCandlish(int[] sizes, double sMin, double bCrit) {
        List<BatchSizeStudyResult.StepsPoint> out = new ArrayList<>();
        for (int b : sizes) {
            long s = Math.round(sMin * (1 + bCrit / b));
            out.add(new BatchSizeStudyResult.StepsPoint(b, "reached", s, s * b, 1e-3, false, ""));
        }
        return out;
    }

    private static TimeToTarget.Advice advise(Map<String, BatchSizeStudyResult.DeviceCurve> hw,
            List<BatchSizeStudyResult.StepsPoint> steps, TimeToTarget.Prediction prediction) {
        return TimeToTarget.advise("train_loss ≤ 0.3", hw, steps,
                new ScalingRegions.CriticalBatch(B_CRIT, S_MIN, S_MIN * B_CRIT), prediction, "no prediction", "cpu",
                Map.of(), List.of());
    }

    private static Map<String, BatchSizeStudyResult.DeviceCurve> one(BatchSizeStudyResult.DeviceCurve c) {
        Map<String, BatchSizeStudyResult.DeviceCurve> m = new LinkedHashMap<>();
        m.put(c.device(), c);
        return m;
    }

    @Test
    void aSmoothCostTimesMcCandlishsStepsIsFastestAtTheGeometricMeanOfBStarAndBCrit() {
        // time(B) = S_min(1 + B_crit/B)(a + b·B) has its minimum at √(a·B_crit/b) = √(B*·B_crit) = √(64·256) = 128:
        // 1000·3·(6.4 + 12.8) ms = 57.6 s; B* = 64 and B_crit = 256 both give 1000·5·12.8 ms = 64 s = 10/9 of it.
        TimeToTarget.Prediction exact = new TimeToTarget.Prediction(B_CRIT, "test", S_MIN, "test");
        TimeToTarget.Advice a = advise(one(curve("cpu", HW, b -> A + B * b, knee())), mcCandlish(TRAINED, S_MIN,
                B_CRIT), exact);
        TimeToTarget.DeviceAdvice d = a.devices().get("cpu");
        assertEquals(128, d.recommendedBatchSize());
        assertEquals(57.6, d.recommendedSeconds(), 1e-9);
        assertEquals(0.9 * 57.6, d.recommendedQ1Seconds(), 1e-9);
        assertEquals(1.1 * 57.6, d.recommendedQ3Seconds(), 1e-9);
        assertEquals(64, d.atSaturation().batchSize());
        assertEquals(10.0 / 9, d.atSaturation().ratio(), 1e-12);
        assertEquals(256, d.atCritical().batchSize());
        assertEquals(10.0 / 9, d.atCritical().ratio(), 1e-12);
        // The exact model predicts the measured times where both exist, and the same best batch over every timed B.
        for (TimeToTarget.Row r : d.rows()) {
            if (r.trained()) {
                assertEquals(r.timeToTargetSeconds(), r.predictedTimeSeconds(), 1e-9 * r.timeToTargetSeconds());
            }
        }
        assertEquals(HW.length, d.rows().size(), "the trained sizes, then the timed ones not trained");
        assertEquals(128, d.predictedBestBatchSize());
        assertTrue(d.explanation().startsWith("cpu: B = 128 reaches the target soonest (57.6 s; B* = 64, B_crit ="
                + " 256): from B = 64"), d.explanation());
        assertTrue(d.explanation().contains("but on to B = 256"), d.explanation());
    }

    @Test
    void theLecturesCartoonCostIsFastestAtTheSaturationPoint() {
        // t = max(a, b·B): below B* the time is S_min·a·(1 + B_crit/B), falling; above, S_min·b·(B + B_crit), rising.
        TimeToTarget.Advice a = advise(one(curve("cpu", HW, b -> Math.max(A, B * b), knee())), mcCandlish(TRAINED,
                S_MIN, B_CRIT), null);
        TimeToTarget.DeviceAdvice d = a.devices().get("cpu");
        assertEquals(64, d.recommendedBatchSize());
        assertEquals(S_MIN * 5 * A, d.recommendedSeconds(), 1e-9);
        assertEquals(1.0, d.atSaturation().ratio(), 1e-12);
        // At B_crit: 1000·2·25.6 ms = 51.2 s against 32 s.
        assertEquals(51.2 / 32, d.atCritical().ratio(), 1e-12);
        assertTrue(d.explanation().contains("hardware not saturated, below B*")
                && d.explanation().contains("hardware saturated: cost linear in B, above B*"), d.explanation());
        // Without a prediction the rows are the trained sizes only, and the file says why there is none.
        assertEquals(TRAINED.length, d.rows().size());
        assertEquals(-1, d.predictedBestBatchSize());
        assertEquals("no prediction", a.noPrediction());
    }

    @Test
    void interpolationIsLogLogAndExactOnPowerLaws() {
        double[] xs = {1, 2, 4, 8, 16, 32};
        double[] ys = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            ys[i] = 3 * Math.pow(xs[i], 0.7);
        }
        for (double x : new double[] {1, 1.5, 3, 5.5, 10, 31.9, 32}) {
            assertEquals(3 * Math.pow(x, 0.7), TimeToTarget.interpolateLogLog(xs, ys, x), 1e-12 * Math.pow(x, 0.7));
        }
        // The lectures' cartoon t = max(1, B/4) (flat, then linear) is exact piece by piece: 6/4 at 6, 1 at 3.
        double[] flatThenLinear = {1, 1, 1, 2, 4, 8};
        assertEquals(1.0, TimeToTarget.interpolateLogLog(xs, flatThenLinear, 3), 1e-12);
        assertEquals(1.5, TimeToTarget.interpolateLogLog(xs, flatThenLinear, 6), 1e-12);
        assertTrue(Double.isNaN(TimeToTarget.interpolateLogLog(xs, ys, 0.5)), "no extrapolation below");
        assertTrue(Double.isNaN(TimeToTarget.interpolateLogLog(xs, ys, 33)), "no extrapolation above");
    }

    @Test
    void untimedTrainedSizesAreInterpolatedAndSaidSoAndSizesOutsideTheTimedRangeAreNotGuessed() {
        // Timed at powers of 2 up to 2048 on t = c·√B; trained at 24, 48, 96 (between timed sizes) and 3000 (beyond).
        int[] hw = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048};
        int[] trained = {24, 48, 96, 3000};
        TimeToTarget.Advice a = advise(one(curve("cpu", hw, b -> 1e-3 * Math.sqrt(b), knee())), mcCandlish(trained,
                S_MIN, B_CRIT), null);
        TimeToTarget.DeviceAdvice d = a.devices().get("cpu");
        for (TimeToTarget.Row r : d.rows()) {
            if (r.batchSize() == 3000) {
                assertEquals(TimeToTarget.HardwareSource.OUTSIDE_TIMED_RANGE, r.hardware());
                assertTrue(Double.isNaN(r.secondsPerUpdate()) && Double.isNaN(r.timeToTargetSeconds()));
            } else {
                assertEquals(TimeToTarget.HardwareSource.INTERPOLATED, r.hardware());
                assertEquals(1e-3 * Math.sqrt(r.batchSize()), r.secondsPerUpdate(), 1e-15);
                assertEquals(0.9e-3 * Math.sqrt(r.batchSize()), r.secondsQ1(), 1e-15);
                assertEquals(r.steps() * r.secondsPerUpdate(), r.timeToTargetSeconds(), 1e-12);
            }
        }
        assertTrue(a.notes().stream().anyMatch(n -> n.contains("24, 48, 96 were not timed")
                && n.contains("interpolated on the log-log hardware curve")), a.notes().toString());
    }

    @Test
    void mcCandlishsFitRecoversItsParametersWithAndWithoutNoise() {
        double[] bs = {8, 16, 32, 64, 128, 256, 512, 1024};
        double[] exact = new double[bs.length];
        for (int i = 0; i < bs.length; i++) {
            exact[i] = S_MIN * (1 + B_CRIT / bs[i]);
        }
        ScalingRegions.CriticalBatch fit = ScalingRegions.criticalBatchSize(bs, exact);
        assertEquals(B_CRIT, fit.criticalBatchSize(), 1e-9);
        assertEquals(S_MIN, fit.minSteps(), 1e-9);
        assertEquals(S_MIN, TimeToTarget.fitMinSteps(bs, exact, B_CRIT), 1e-9);

        // 5% multiplicative noise on every step count (a check interval's worth at these counts), 400 noisy curves.
        // The means recover the parameters (the weights 1/S² bias S_min low by about σ² = 0.25%, well inside 1%; the
        // standard error of the mean B_crit is about 0.3%), and no single fit is far off (the worst of 400 was about
        // 20% in a replica of this test).
        Random rng = new Random(18);
        double sumCrit = 0;
        double sumMin = 0;
        double sumMinFixed = 0;
        double worstCrit = 0;
        int n = 400;
        for (int k = 0; k < n; k++) {
            double[] noisy = new double[bs.length];
            for (int i = 0; i < bs.length; i++) {
                noisy[i] = exact[i] * Math.exp(0.05 * rng.nextGaussian());
            }
            ScalingRegions.CriticalBatch f = ScalingRegions.criticalBatchSize(bs, noisy);
            sumCrit += f.criticalBatchSize();
            sumMin += f.minSteps();
            sumMinFixed += TimeToTarget.fitMinSteps(bs, noisy, B_CRIT);
            worstCrit = Math.max(worstCrit, Math.abs(f.criticalBatchSize() / B_CRIT - 1));
        }
        assertEquals(B_CRIT, sumCrit / n, 0.02 * B_CRIT);
        assertEquals(S_MIN, sumMin / n, 0.01 * S_MIN);
        assertEquals(S_MIN, sumMinFixed / n, 0.01 * S_MIN);
        assertTrue(worstCrit < 0.3, "worst B_crit error " + worstCrit);
    }

    @Test
    void thePredictionTakesBNoiseFromTheNoisePartAndSMinFromItsOwnRun() {
        GradientNoiseScale.Estimate e = new GradientNoiseScale.Estimate(1, 200, 1, 200, 200);
        List<NoiseSample> noise = List.of(new NoiseSample(150, 2, 1, e));
        TrialRow run = TrialRow.training("noise/b=64", "noise", "cpu", 64, 1e-3, "reached", 150, 0.29, 200, 3.0);
        TimeToTarget.Prediction p = TimeToTarget.prediction(noise, run, mcCandlish(TRAINED, S_MIN, B_CRIT), null);
        assertEquals(200, p.noiseScale());
        assertEquals(150 / (1 + 200 / 64.0), p.minSteps(), 1e-12);
        assertEquals(150, p.steps(64), 1e-9);
        // A noise run that missed the target: S_min fitted to the steps part with B_noise fixed.
        TrialRow missed = TrialRow.training("noise/b=64", "noise", "cpu", 64, 1e-3, "not_reached", 2000, 0.4, 200,
                3.0);
        TimeToTarget.Prediction q = TimeToTarget.prediction(noise, missed, mcCandlish(TRAINED, S_MIN, 200), null);
        assertEquals(S_MIN, q.minSteps(), 0.5);
        assertTrue(q.minStepsSource().contains("B_noise fixed"), q.minStepsSource());
        // No noise part: McCandlish's fit to the steps part stands in, and says so.
        TimeToTarget.Prediction r = TimeToTarget.prediction(List.of(), null, List.of(),
                new ScalingRegions.CriticalBatch(300, 40, 12000));
        assertEquals(300, r.noiseScale());
        assertTrue(r.noiseScaleSource().contains("stands in"), r.noiseScaleSource());
        assertNull(TimeToTarget.prediction(List.of(), null, List.of(), null));
    }

    @Test
    void aDeviceTenTimesFasterReachesTheTargetTenTimesAsFast() {
        Map<String, BatchSizeStudyResult.DeviceCurve> hw = new LinkedHashMap<>();
        hw.put("cpu", curve("cpu", HW, b -> A + B * b, knee()));
        hw.put("cuda", curve("cuda", HW, b -> (A + B * b) / 10, knee()));
        TimeToTarget.Advice a = advise(hw, mcCandlish(TRAINED, S_MIN, B_CRIT), null);
        assertEquals("cpu", a.referenceDevice());
        assertEquals(10, a.speedUp().get("cuda"), 1e-9);
        assertTrue(a.summary().stream().anyMatch(l -> l.equals("cuda reaches the target 10× as fast as cpu (each at"
                + " its recommended batch size)")), a.summary().toString());
    }

    @Test
    void aBatchSizeThatNeverReachedTheTargetIsExplainedInStrictJson() {
        List<BatchSizeStudyResult.StepsPoint> steps = new ArrayList<>(mcCandlish(new int[] {16, 32, 64}, S_MIN,
                B_CRIT));
        steps.add(new BatchSizeStudyResult.StepsPoint(8, "not_reached", -1, -1, Double.NaN, false, ""));
        steps.add(new BatchSizeStudyResult.StepsPoint(4, "diverged", -1, -1, Double.NaN, false, ""));
        BatchSizeStudyConfig config = BatchSizeStudyConfig.builder().optTargetLoss(0.3).optMaxSteps(500).build();
        TimeToTarget.Advice a = TimeToTarget.advise("train_loss ≤ 0.3", one(curve("cpu", HW, b -> A + B * b,
                knee())), steps, new ScalingRegions.CriticalBatch(Double.NaN, Double.NaN, Double.NaN), null,
                "no prediction: the noise part did not run", "cpu", Map.of(16, 2.5), List.of());
        String text = StrictJson.toJson(TimeToTargetReport.json(config, a));
        assertFalse(text.contains("NaN") || text.contains("Infinity"), text);
        JsonElement tree = StrictJson.parseStrict(text);
        assertEquals(List.of(), StrictJson.unexplainedNulls(tree));
        JsonObject cpu = tree.getAsJsonObject().getAsJsonObject("devices").getAsJsonObject("cpu");
        assertEquals(64, cpu.get("recommended_batch_size").getAsInt());
        JsonObject b8 = cpu.getAsJsonArray("points").get(1).getAsJsonObject();
        assertEquals(8, b8.get("batch_size").getAsInt());
        assertTrue(b8.get("time_to_target_seconds").isJsonNull());
        assertEquals("not measured: no learning rate of the grid reached train_loss ≤ 0.3 within max_steps = 500",
                b8.get("time_to_target_seconds_status").getAsString());
        JsonObject b4 = cpu.getAsJsonArray("points").get(0).getAsJsonObject();
        assertTrue(b4.get("time_to_target_seconds_status").getAsString().contains("diverged"));
        assertTrue(cpu.get("critical_batch_size").isJsonNull());
        assertTrue(tree.getAsJsonObject().get("prediction").isJsonNull());
        // The CSV leaves the missing values empty, never NaN.
        String csv = TimeToTargetReport.csv(a);
        assertFalse(csv.contains("NaN"), csv);
        assertTrue(csv.lines().anyMatch(l -> l.startsWith("cpu,8,not_reached,,,measured,")), csv);
    }
}
