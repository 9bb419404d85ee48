package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.backend.LossKind;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.train.MetricsLog;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import io.ravine.train.TrainingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each label on a synthetic curve built to have exactly that problem, none on a clean exponential approach to a
 * plateau, and each on a real short run through the Trainer whose learning rate causes it.
 */
class CurveDoctorTest {
    private static final int T = 200;

    private static List<String> problems(List<Finding> findings) {
        return findings.stream().map(Finding::problem).toList();
    }

    private static double[] steps() {
        double[] s = new double[T];
        for (int t = 0; t < T; t++) {
            s[t] = t + 1;
        }
        return s;
    }

    /** 0.3 + 2e^(−t/30): the shape of a well-tuned run. */
    private static double clean(int t) {
        return 0.3 + 2 * Math.exp(-t / 30.0);
    }

    /** The mini-batch loss: the curve with the scatter of a batch of ~100 examples (3%). */
    private static double[] batchOf(double[] monitor, double scatter, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] b = new double[monitor.length];
        for (int t = 0; t < b.length; t++) {
            b[t] = monitor[t] * (1 + scatter * rng.nextGaussian());
        }
        return b;
    }

    @Test
    void cleanExponentialDecayToAPlateauHasNoFinding() {
        double[] m = new double[T];
        for (int t = 0; t < T; t++) {
            m[t] = clean(t);
        }
        List<Finding> f = CurveDoctor.diagnose(new CurveDoctor.Curves(steps(), batchOf(m, 0.03, 1), m));
        assertEquals(List.of(), f);
    }

    @Test
    void straightSlowDescentIsSlowProgress() {
        double[] m = new double[T];
        for (int t = 0; t < T; t++) {
            m[t] = 2.3 - 1e-4 * t;
        }
        List<Finding> f = CurveDoctor.diagnose(new CurveDoctor.Curves(steps(), batchOf(m, 0.03, 2), m));
        assertEquals(List.of(CurveDoctor.SLOW_PROGRESS), problems(f));
        assertTrue(f.get(0).workaround().contains("increase α"));
        assertTrue(f.get(0).evidence().contains("2.300") && f.get(0).evidence().contains("2.280"),
                f.get(0).evidence());
    }

    @Test
    void nanLossAndARisingLossAreInstability() {
        double[] m = new double[T];
        double[] b = new double[T];
        for (int t = 0; t < T; t++) {
            m[t] = clean(t);
            b[t] = m[t];
        }
        double[] nan = b.clone();
        nan[150] = Double.NaN;
        List<Finding> f = CurveDoctor.diagnose(new CurveDoctor.Curves(steps(), nan, m));
        assertEquals(List.of(CurveDoctor.INSTABILITY), problems(f));
        assertTrue(f.get(0).evidence().contains("NaN at step 151"), f.get(0).evidence());
        // A finite blow-up: from the plateau the loss climbs by 2% per step.
        double[] rising = m.clone();
        for (int t = 120; t < T; t++) {
            rising[t] = rising[119] * Math.pow(1.02, t - 119);
        }
        f = CurveDoctor.diagnose(new CurveDoctor.Curves(steps(), rising.clone(), rising));
        assertEquals(List.of(CurveDoctor.INSTABILITY), problems(f));
        assertTrue(f.get(0).workaround().contains("decrease α"));
    }

    @Test
    void aMonitoringLossPastTheTrainersBlowUpRuleIsInstabilityAtThatStep() {
        // metrics.csv's row of step 0 gives the starting loss; the rows after it are the curve. The loss falls,
        // then from step 121 grows by ×1.21 per step ((1 − αλ)² at αλ = 2.1) and passes 100 × 2.3 = 230.
        List<Map<String, Double>> rows = new java.util.ArrayList<>();
        rows.add(Map.of("step", 0.0, "train_loss", 2.3));
        int crossed = -1;
        for (int t = 0; t < T; t++) {
            double v = t <= 120 ? clean(t) : clean(120) * Math.pow(1.21, t - 120);
            rows.add(Map.of("step", (double) t + 1, "batch_loss", v, "train_loss", v));
            if (crossed < 0 && v > 100 * 2.3) {
                crossed = t + 1;
            }
        }
        List<Finding> f = CurveDoctor.fromRows(rows);
        assertEquals(List.of(CurveDoctor.INSTABILITY), problems(f), f.toString());
        assertTrue(f.get(0).evidence().startsWith("the monitoring loss rose to "), f.get(0).evidence());
        assertTrue(f.get(0).evidence().contains(" at step " + crossed + ", more than 100 × its value 2.300 at step 0"),
                f.get(0).evidence());
        // Without the row of step 0 the same curve has no reference for the rule: only the late rise is seen.
        List<Finding> noStart = CurveDoctor.fromRows(rows.subList(1, rows.size()));
        assertEquals(List.of(CurveDoctor.INSTABILITY), problems(noStart));
        assertTrue(noStart.get(0).evidence().startsWith("the monitoring loss rose from a low"),
                noStart.get(0).evidence());
        // The row of step 0 is a reference, not a point of the curve: a clean run with it has no finding.
        List<Map<String, Double>> clean = new java.util.ArrayList<>();
        clean.add(Map.of("step", 0.0, "train_loss", 2.3));
        for (int t = 0; t < T; t++) {
            clean.add(Map.of("step", (double) t + 1, "batch_loss", clean(t), "train_loss", clean(t)));
        }
        assertEquals(List.of(), CurveDoctor.fromRows(clean));
    }

    @Test
    void alternatingMonitoringLossIsOscillation() {
        double[] m = new double[T];
        for (int t = 0; t < T; t++) {
            m[t] = clean(t) + 0.05 * (t % 2 == 0 ? 1 : -1) * Math.exp(-t / 100.0);
        }
        List<Finding> f = CurveDoctor.diagnose(new CurveDoctor.Curves(steps(), batchOf(m, 0.03, 3), m));
        assertEquals(List.of(CurveDoctor.OSCILLATION), problems(f));
        assertTrue(f.get(0).workaround().contains("momentum"));
    }

    @Test
    void scatterAroundAFlatTrendIsFluctuation() {
        SplittableRandom rng = new SplittableRandom(4);
        double[] m = new double[T];
        double ar = 0;
        for (int t = 0; t < T; t++) {
            // θ wanders: the monitoring loss gets AR(1) noise of 8% around its trend.
            ar = 0.5 * ar + 0.08 * Math.sqrt(1 - 0.25) * rng.nextGaussian();
            m[t] = (0.5 + 2 * Math.exp(-t / 15.0)) * (1 + ar);
        }
        List<Finding> f = CurveDoctor.diagnose(new CurveDoctor.Curves(steps(), batchOf(m, 0.4, 5), m));
        assertEquals(List.of(CurveDoctor.FLUCTUATION), problems(f));
        assertTrue(f.get(0).workaround().contains("--ema"));
        // The same batch scatter with a steady θ (monitoring loss smooth) is only batch sampling noise.
        double[] smooth = new double[T];
        for (int t = 0; t < T; t++) {
            smooth[t] = 0.5 + 2 * Math.exp(-t / 15.0);
        }
        assertEquals(List.of(), CurveDoctor.diagnose(new CurveDoctor.Curves(steps(), batchOf(smooth, 0.4, 5),
                smooth)));
    }

    // ---- real runs ----

    private static TrainConfig.Builder linear() {
        return TrainConfig.builder().setData("embedded").optLimit(500).optHidden().optMonitorSize(200).optSeed(3)
                .optOptimizer(UpdateRule.SGD);
    }

    private static List<Finding> train(Path dir, TrainConfig config, boolean expectDiverged) {
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            TrainingResult r = t.optProgressBar(false).optRunDirectory(dir).fit();
            assertEquals(expectDiverged, r.diverged());
        }
        return CurveDoctor.fromMetrics(dir.resolve("metrics.csv"));
    }

    @Test
    void learningRateFarTooLargeIsInstability(@TempDir Path tmp) {
        List<Finding> f = train(tmp, linear().optLoss(LossKind.MSE).optLearningRate(50).optBatchSize(50)
                .optSteps(100).optLogEvery(1).build(), true);
        assertEquals(List.of(CurveDoctor.INSTABILITY), problems(f));
        // The Trainer stopped at the blow-up (or a non-finite loss) and still wrote its rows: step 0's (θ₀) and
        // the logged steps up to the one that stopped it.
        List<Map<String, Double>> rows = MetricsLog.read(tmp.resolve("metrics.csv"));
        assertTrue(rows.size() >= 2 && rows.size() < 100, rows.size() + " rows");
        assertTrue(Double.isFinite(rows.get(1).get("batch_loss")));
    }

    @Test
    void learningRateFarTooSmallIsSlowProgress(@TempDir Path tmp) {
        List<Finding> f = train(tmp, linear().optLearningRate(1e-5).optBatchSize(50).optSteps(200).optLogEvery(5)
                .build(), false);
        assertEquals(List.of(CurveDoctor.SLOW_PROGRESS), problems(f));
    }

    @Test
    void smallBatchWithLargeConstantRateIsFluctuation(@TempDir Path tmp) {
        // All 5000 embedded examples, so a linear model cannot fit them exactly and the loss has a floor; batches
        // of 4 at α = 0.05 (about 100 times what such batches tolerate) keep θ bouncing around it.
        List<Finding> f = train(tmp, linear().optLimit(0).optLearningRate(0.05).optBatchSize(4).optSteps(3000)
                .optLogEvery(20).build(), false);
        assertEquals(List.of(CurveDoctor.FLUCTUATION), problems(f));
    }

    @Test
    void fullBatchDescentPastTheStableRateOscillates(@TempDir Path tmp) {
        // Full-batch gradient descent at α = 5 on softmax regression: the steep directions overshoot, and the
        // monitoring loss alternates up and down (steps ≈ 24–38) before the curvature there drops below 2/α.
        List<Finding> f = train(tmp, linear().optLearningRate(5).optBatchSize(0).optSteps(100).optLogEvery(1)
                .build(), false);
        assertTrue(problems(f).contains(CurveDoctor.OSCILLATION), f.toString());
        assertFalse(problems(f).contains(CurveDoctor.SLOW_PROGRESS), f.toString());
    }

    @Test
    void wellTunedAdamRunHasNoFinding(@TempDir Path tmp) {
        List<Finding> f = train(tmp, linear().optOptimizer(UpdateRule.ADAM).optLearningRate(1e-3).optBatchSize(50)
                .optEpochs(10).build(), false);
        assertEquals(List.of(), f);
    }

    @Test
    void missingOrMalformedMetricsAreOneLineErrors(@TempDir Path tmp) throws Exception {
        assertThrows(InvalidInputException.class, () -> CurveDoctor.fromMetrics(tmp.resolve("none.csv")));
        Path bad = tmp.resolve("metrics.csv");
        Files.writeString(bad, "step,batch_loss,train_loss\n1,abc,2\n");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> CurveDoctor.fromMetrics(bad));
        assertTrue(e.getMessage().contains("metrics.csv"), e.getMessage());
    }
}
