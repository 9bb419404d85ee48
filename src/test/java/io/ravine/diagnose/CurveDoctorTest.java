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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The curve doctor as a table: synthetic curves built to have exactly one problem (or none), and real short runs
 * through the Trainer whose settings cause it, each with the findings it must get, in order, and the evidence or
 * advice that matters. Two rows are the false positives: a full-batch run that oscillates (once reported as
 * "fluctuation: the mini-batch loss scatters by 31.7%") and a run that blows up (once "fluctuation: the loss trend is
 * flat (+532.2%)" beside the instability).
 */
class CurveDoctorTest {
    private static final int T = 200;

    @TempDir
    static Path runs;

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

    private static double[] curve(java.util.function.IntToDoubleFunction f) {
        double[] m = new double[T];
        for (int t = 0; t < T; t++) {
            m[t] = f.applyAsDouble(t);
        }
        return m;
    }

    /** The mini-batch loss: the curve with the scatter of a batch (relative, Gaussian). */
    private static double[] batchOf(double[] monitor, double scatter, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] b = new double[monitor.length];
        for (int t = 0; t < b.length; t++) {
            b[t] = monitor[t] * (1 + scatter * rng.nextGaussian());
        }
        return b;
    }

    /** θ wandering about a plateau: the monitoring loss with AR(1) noise of 8% around 0.5 + 2e^(−t/15). */
    private static double[] wandering() {
        SplittableRandom rng = new SplittableRandom(4);
        double[] m = new double[T];
        double ar = 0;
        for (int t = 0; t < T; t++) {
            ar = 0.5 * ar + 0.08 * Math.sqrt(1 - 0.25) * rng.nextGaussian();
            m[t] = (0.5 + 2 * Math.exp(-t / 15.0)) * (1 + ar);
        }
        return m;
    }

    private static Supplier<List<Finding>> synthetic(double[] batch, double[] monitor, RunSettings.Batching b) {
        return () -> CurveDoctor.diagnose(new CurveDoctor.Curves(steps(), batch, monitor).withBatching(b));
    }

    /** metrics rows with a row of step 0 (θ₀'s monitoring loss {@code start}) and an epoch column. */
    private static List<Map<String, Double>> rows(double start, double[] batch, double[] monitor,
            double stepsPerEpoch) {
        List<Map<String, Double>> rows = new ArrayList<>();
        rows.add(Map.of("step", 0.0, "epoch", 0.0, "train_loss", start));
        for (int t = 0; t < monitor.length; t++) {
            rows.add(Map.of("step", t + 1.0, "epoch", (t + 1.0) / stepsPerEpoch, "batch_loss", batch[t],
                    "train_loss", monitor[t]));
        }
        return rows;
    }

    /** AR(1) noise of relative size {@code size} (θ moves gradually, so its loss's scatter is correlated). */
    private static double[] wanderingNoise(double size, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] n = new double[T];
        double ar = 0;
        for (int t = 0; t < T; t++) {
            ar = 0.5 * ar + size * Math.sqrt(1 - 0.25) * rng.nextGaussian();
            n[t] = ar;
        }
        return n;
    }

    private static Consumer<List<Finding>> evidence(int index, String... fragments) {
        return f -> {
            for (String s : fragments) {
                assertTrue(f.get(index).evidence().contains(s), "evidence lacks '" + s + "': " + f.get(index));
            }
        };
    }

    private static Consumer<List<Finding>> advice(int index, String contains, String lacks) {
        return f -> {
            assertTrue(f.get(index).workaround().contains(contains), f.get(index).workaround());
            if (lacks != null) {
                assertFalse(f.get(index).workaround().contains(lacks), f.get(index).workaround());
            }
        };
    }

    private static final Consumer<List<Finding>> NOTHING_MORE = f -> { };

    static Stream<Arguments> syntheticCurves() {
        double[] cleanCurve = curve(CurveDoctorTest::clean);
        double[] straight = curve(t -> 2.3 - 1e-4 * t);
        double[] nanAt150 = cleanCurve.clone();
        nanAt150[150] = Double.NaN;
        double[] climbing = cleanCurve.clone();
        for (int t = 120; t < T; t++) {
            climbing[t] = climbing[119] * Math.pow(1.02, t - 119);
        }
        double[] alternating = curve(t -> clean(t) + 0.05 * (t % 2 == 0 ? 1 : -1) * Math.exp(-t / 100.0));
        double[] wander = wandering();
        double[] smooth = curve(t -> 0.5 + 2 * Math.exp(-t / 15.0));
        // Down to 0.02, then from step 170 up by ×1.12 per step to 0.6: far below the trainer's 100 × 2.3, and
        // below the rise rule's 0.1 × start; its late half fits a line from below zero, "+500%" of its level.
        double[] exploding = curve(t -> t < 170 ? 0.02 + 2.28 * Math.exp(-t / 10.0) : 0.02 * Math.pow(1.12, t - 169));
        // Hovering at 3 × the start with 40% scatter: never more than 100 ×, no rise from its own low.
        double[] noise40 = wanderingNoise(0.4, 9);
        double[] aboveStart = curve(t -> 6.9 * Math.exp(noise40[t]));
        // A plateau at 0.5 that climbs 30% over the late half with 1% noise: the cost increases beyond its scatter.
        SplittableRandom rng2 = new SplittableRandom(10);
        double[] creeping = curve(t -> (t < 100 ? clean(t) + 0.2 : 0.5 + 0.15 * (t - 100) / 100.0)
                * (1 + 0.01 * rng2.nextGaussian()));
        // A late trend that doubles but within a scatter of about 60%: not flat (no fluctuation), not beyond the
        // scatter (no instability).
        double[] noise60 = wanderingNoise(0.6, 11);
        double[] noisyRise = curve(t -> (0.5 + 2 * Math.exp(-t / 10.0)) * (1 + Math.max(0, t - 100) / 100.0)
                * Math.exp(noise60[t]));
        RunSettings.Batching mini = RunSettings.Batching.MINI_BATCH;
        RunSettings.Batching full = RunSettings.Batching.FULL_BATCH;
        RunSettings.Batching unknown = RunSettings.Batching.UNKNOWN;
        return Stream.of(
                Arguments.of("clean exponential approach, mini-batch", synthetic(batchOf(cleanCurve, 0.03, 1),
                        cleanCurve, mini), List.of(), NOTHING_MORE),
                Arguments.of("clean exponential approach, full batch", synthetic(cleanCurve, cleanCurve, full),
                        List.of(), NOTHING_MORE),
                Arguments.of("straight slow descent", synthetic(batchOf(straight, 0.03, 2), straight, unknown),
                        List.of(CurveDoctor.SLOW_PROGRESS), evidence(0, "2.300", "2.280")),
                Arguments.of("NaN at step 151", synthetic(nanAt150, cleanCurve, unknown),
                        List.of(CurveDoctor.INSTABILITY), evidence(0, "NaN at step 151")),
                Arguments.of("climbing 2% per step from the plateau", synthetic(climbing.clone(), climbing, unknown),
                        List.of(CurveDoctor.INSTABILITY), advice(0, "decrease α", null)),
                Arguments.of("alternating monitoring loss", synthetic(batchOf(alternating, 0.03, 3), alternating,
                        mini), List.of(CurveDoctor.OSCILLATION), evidence(0, "alternates up and down")),
                Arguments.of("θ wandering about a flat trend, mini-batch", synthetic(batchOf(wander, 0.4, 5), wander,
                        mini), List.of(CurveDoctor.FLUCTUATION), advice(0, "--ema", null)),
                Arguments.of("the same scatter in a full-batch run is the surface's own", synthetic(
                        batchOf(wander, 0.4, 5), wander, full), List.of(CurveDoctor.OSCILLATION),
                        evidence(0, "full-batch gradient descent (no gradient noise)")),
                Arguments.of("batch scatter with θ steady is sampling noise only", synthetic(batchOf(smooth, 0.4, 5),
                        smooth, mini), List.of(), NOTHING_MORE),
                Arguments.of("a late explosion below every size rule is instability, not fluctuation",
                        synthetic(exploding.clone(), exploding, mini), List.of(CurveDoctor.INSTABILITY),
                        evidence(0, "trend rises")),
                Arguments.of("a late trend doubling within its scatter is no finding", synthetic(
                        batchOf(noisyRise, 0.2, 12), noisyRise, mini), List.of(), NOTHING_MORE),
                Arguments.of("a late trend rising 30% beyond a 1% scatter is instability", synthetic(
                        batchOf(creeping, 0.1, 13), creeping, mini), List.of(CurveDoctor.INSTABILITY),
                        evidence(0, "trend rises by")),
                Arguments.of("hovering at 3 × θ₀'s loss is instability, not fluctuation",
                        (Supplier<List<Finding>>) () -> CurveDoctor.fromRows(rows(2.3, aboveStart, aboveStart, 50)),
                        List.of(CurveDoctor.INSTABILITY), evidence(0, "above its value 2.300 at θ₀")),
                Arguments.of("rows whose epoch equals the step are full batch: oscillation",
                        (Supplier<List<Finding>>) () -> CurveDoctor.fromRows(rows(2.5, batchOf(wander, 0.4, 5),
                                wander, 1)),
                        List.of(CurveDoctor.OSCILLATION), evidence(0, "full-batch")),
                Arguments.of("rows of 50 steps per epoch are mini-batch: fluctuation",
                        (Supplier<List<Finding>>) () -> CurveDoctor.fromRows(rows(2.5, batchOf(wander, 0.4, 5),
                                wander, 50)),
                        List.of(CurveDoctor.FLUCTUATION), NOTHING_MORE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("syntheticCurves")
    void syntheticCurve(String name, Supplier<List<Finding>> doctor, List<String> expected,
            Consumer<List<Finding>> check) {
        List<Finding> f = doctor.get();
        assertEquals(expected, problems(f), f.toString());
        check.accept(f);
    }

    // ---- real runs ----

    private static TrainConfig.Builder linear() {
        return TrainConfig.builder().setData("embedded").optLimit(500).optHidden().optSubset(200).optSeed(3)
                .optOptimizer(UpdateRule.SGD);
    }

    /** Trains in a fresh directory under {@link #runs}; the doctor reads its metrics.csv with the config beside. */
    private static Path train(String name, TrainConfig config, boolean expectDiverged) {
        Path dir = runs.resolve(name.replaceAll("[^A-Za-z0-9]+", "-"));
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            TrainingResult r = t.optProgressBar(false).optReport(false).optRunDirectory(dir).fit();
            assertEquals(expectDiverged, r.diverged(), name);
        }
        return dir;
    }

    static Stream<Arguments> realRuns() {
        return Stream.of(
                Arguments.of("lr 50 on least squares", linear().optLoss(LossKind.MSE).optLearningRate(50)
                        .optBatchSize(50).optSteps(100).optLogEvery(1).build(), true,
                        List.of(CurveDoctor.INSTABILITY), advice(0, "--lr 50", null)),
                Arguments.of("lr 1e-5", linear().optLearningRate(1e-5).optBatchSize(50).optSteps(200).optLogEvery(5)
                        .build(), false, List.of(CurveDoctor.SLOW_PROGRESS),
                        advice(0, "--optimizer momentum", null)),
                // All 5000 embedded examples, so a linear model cannot fit them exactly and the loss has a floor;
                // batches of 4 at α = 0.05 keep θ bouncing around it.
                Arguments.of("batches of 4 at a large constant rate", linear().optLimit(0).optLearningRate(0.05)
                        .optBatchSize(4).optSteps(3000).optLogEvery(20).build(), false,
                        List.of(CurveDoctor.FLUCTUATION), advice(0, "--schedule exp", null)),
                // Full-batch descent at α = 5: the steep directions overshoot, and the monitoring loss alternates
                // (steps ≈ 24–38) before the curvature there drops below 2/α.
                Arguments.of("full batch past the stable rate", linear().optLearningRate(5).optBatchSize(0)
                        .optSteps(100).optLogEvery(1).build(), false, List.of(CurveDoctor.OSCILLATION),
                        NOTHING_MORE),
                // The first false positive: full-batch softmax regression at α = 2 on 2000 examples, which
                // the doctor used to call "fluctuation: ... the mini-batch loss scatters by 31.7% ... decay α
                // late or average the iterates" next to the oscillation. There are no mini-batches.
                Arguments.of("full-batch oscillation is not fluctuation", linear().optLimit(2000).optLearningRate(2)
                        .optBatchSize(0).optSteps(150).optLogEvery(1).build(), false,
                        List.of(CurveDoctor.OSCILLATION), advice(0, "decrease α", "average the iterates")),
                // The second: least squares on 2000 examples, batches of 100, α warming up to 0.05 over 300
                // steps, past 2/λ_max: the loss blows up at step 92. The doctor used to add "fluctuation: the loss
                // trend is flat (+532.2%)" to the instability.
                Arguments.of("a blow-up is instability, not fluctuation", linear().optLimit(2000)
                        .optLoss(LossKind.MSE).optSchedule("warmup:300:constant").optLearningRate(0.05)
                        .optBatchSize(100).optSteps(300).optLogEvery(2).build(), true,
                        List.of(CurveDoctor.INSTABILITY), evidence(0, "more than 100 × its value")),
                Arguments.of("a well-tuned Adam run", linear().optOptimizer(UpdateRule.ADAM).optLearningRate(1e-3)
                        .optBatchSize(50).optEpochs(10).build(), false, List.of(), NOTHING_MORE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("realRuns")
    void realRun(String name, TrainConfig config, boolean diverges, List<String> expected,
            Consumer<List<Finding>> check) throws Exception {
        Path dir = train(name, config, diverges);
        List<Finding> f = CurveDoctor.fromMetrics(dir.resolve("metrics.csv"));
        assertEquals(expected, problems(f), f.toString());
        check.accept(f);
        // The metrics file alone (no config.json beside it) gives the same problems: its epoch column tells full
        // batch from mini-batch as the configuration does.
        Path alone = Files.createDirectories(dir.resolveSibling(dir.getFileName() + "-alone"));
        Files.copy(dir.resolve("metrics.csv"), alone.resolve("metrics.csv"));
        RunSettings settings = RunSettings.read(dir);
        assertEquals(settings.batching(), CurveDoctor.inferBatching(MetricsLog.read(alone.resolve("metrics.csv"))));
        assertEquals(expected, problems(CurveDoctor.fromMetrics(alone.resolve("metrics.csv"))));
    }

    @Test
    void aMonitoringLossPastTheTrainersBlowUpRuleIsInstabilityAtThatStep() {
        // metrics.csv's row of step 0 gives the starting loss; the rows after it are the curve. The loss falls,
        // then from step 121 grows by ×1.21 per step ((1 − αλ)² at αλ = 2.1) and passes 100 × 2.3 = 230.
        List<Map<String, Double>> rows = new ArrayList<>();
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
        List<Map<String, Double>> clean = new ArrayList<>();
        clean.add(Map.of("step", 0.0, "train_loss", 2.3));
        for (int t = 0; t < T; t++) {
            clean.add(Map.of("step", (double) t + 1, "batch_loss", clean(t), "train_loss", clean(t)));
        }
        assertEquals(List.of(), CurveDoctor.fromRows(clean));
    }

    @Test
    void diagnosedRowsWithAStepAboveTwiceTheOptimalOneAreAnUphillStep() {
        List<Map<String, Double>> rows = new ArrayList<>();
        for (int t = 1; t <= 20; t++) {
            Map<String, Double> r = new HashMap<>(Map.of("step", (double) t, "epoch", t / 10.0, "lr", 0.1));
            if (t % 5 == 0) {
                // ε* falls from 0.2 to 0.035: α = 0.1 is above 2ε* from the row of step 15 on.
                double eps = t == 5 ? 0.2 : t == 10 ? 0.06 : t == 15 ? 0.045 : 0.035;
                r.put("gHg", 1.0);
                r.put("optimal_step", eps);
                r.put("actual_change", t >= 15 ? 0.01 : -0.01);
            }
            rows.add(r);
        }
        List<Finding> f = CurveDoctor.fromRows(rows);
        assertEquals(List.of(CurvatureFindings.UPHILL_STEP), problems(f), f.toString());
        assertTrue(f.get(0).evidence().startsWith("at 2 of 4 diagnosed steps (first at step 15)"), f.get(0).evidence());
        assertTrue(f.get(0).evidence().contains("2ε* down to 0.07000 against α = 0.1000"), f.get(0).evidence());
        assertTrue(f.get(0).evidence().contains("positive at 2 of them"), f.get(0).evidence());
        // Adam's α is not a step along g: not compared.
        RunSettings adam = RunSettings.of(TrainConfig.builder().optOptimizer(UpdateRule.ADAM).optLearningRate(0.1)
                .build(), 1000);
        assertEquals(List.of(), problems(CurveDoctor.fromRows(rows, adam)));
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
