package io.ravine.study;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.report.ChartLegibility;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch-size study's charts (time-per-update.png, samples-per-second.png, steps-to-target.png, noise-scale.png)
 * and the learning-rate sweep's final-loss-vs-lr.png, drawn by their producers from realistic results with their
 * awkward ranges and checked as painted by {@link ChartLegibility} (the rules are listed there; the other charts are
 * in {@code io.ravine.report.EveryChartIsLegibleTest}).
 */
class StudyChartsLegibleTest {

    private static TrialRow timed(String device, int b, double seconds) {
        return TrialRow.hardware("hardware/" + device + "/b=" + b, device, new UpdateTiming(b, seconds, 0.97 * seconds,
                1.04 * seconds, 0.95 * seconds, 1.2 * seconds, 20), 0.5);
    }

    /** Two devices over batch sizes 32..1024: the GPU flat within a decade, the CPU rising; both saturate. */
    private static Map<String, BatchSizeStudyResult.DeviceCurve> hardware() {
        Map<String, BatchSizeStudyResult.DeviceCurve> hw = new LinkedHashMap<>();
        List<TrialRow> cpu = new ArrayList<>();
        List<TrialRow> gpu = new ArrayList<>();
        for (int b = 32; b <= 1024; b *= 2) {
            cpu.add(timed("cpu", b, 0.0021 + 2.7e-5 * b));
            gpu.add(timed("cuda", b, 0.00037660000001 + 1e-7 * Math.max(0, b - 256)));
        }
        hw.put("cpu", new BatchSizeStudyResult.DeviceCurve("cpu", cpu, new SaturationPoint.Fit(77.7777777, 0.0021,
                2.7e-5, SaturationPoint.Position.WITHIN_RANGE)));
        hw.put("cuda", new BatchSizeStudyResult.DeviceCurve("cuda", gpu, new SaturationPoint.Fit(256, 3.766e-4,
                1e-7, SaturationPoint.Position.WITHIN_RANGE)));
        return hw;
    }

    /** Steps to the target at batch sizes 16..1024 (S = 400 (1 + 250/B)), regions, B_crit; a noise series. */
    private static BatchSizeStudyResult result(boolean withRegions) {
        List<BatchSizeStudyResult.StepsPoint> steps = new ArrayList<>();
        List<Double> bs = new ArrayList<>();
        List<Double> ss = new ArrayList<>();
        String[] region = {"perfect scaling", "perfect scaling", "diminishing returns", "diminishing returns",
            "diminishing returns", "maximal parallelism", "maximal parallelism"};
        int k = 0;
        for (int b = 16; b <= 1024; b *= 2, k++) {
            long s = Math.round(400 * (1 + 250.0 / b));
            steps.add(new BatchSizeStudyResult.StepsPoint(b, "reached", s, s * b, 0.1, k == 0,
                    withRegions ? region[k] : ""));
            bs.add((double) b);
            ss.add((double) s);
        }
        steps.add(new BatchSizeStudyResult.StepsPoint(2048, "not_reached", -1, -1, 0.3, true, ""));
        ScalingRegions.Classification regions = withRegions ? ScalingRegions.classify(
                bs.stream().mapToDouble(Double::doubleValue).toArray(),
                ss.stream().mapToDouble(Double::doubleValue).toArray()) : null;
        List<NoiseSample> noise = new ArrayList<>();
        for (int t = 0; t <= 1000; t += 50) {
            double bSimple = 180 + 60.0000001 * t / 1000;
            noise.add(new NoiseSample(t, 2.1, 1.9, new GradientNoiseScale.Estimate(1.9, 300, 1.85, 333, bSimple)));
        }
        ScalingRegions.CriticalBatch critical = new ScalingRegions.CriticalBatch(250.00000001, 400, 100_000);
        // The advisor's time to target from the same curves, so its chart is checked with the others.
        TimeToTarget.Advice advice = TimeToTarget.advise("train_loss ≤ 0.3", hardware(), steps, critical,
                new TimeToTarget.Prediction(240, "a test value", 380, "a test value"), null, "cpu", Map.of(),
                List.of());
        return new BatchSizeStudyResult(List.of(), List.of(), hardware(), steps, regions, critical, noise, Map.of(),
                advice);
    }

    @Test
    void theStudysChartsAreLegible(@TempDir Path dir) throws Exception {
        BatchSizeStudyConfig config = BatchSizeStudyConfig.builder().build();
        List<ChartLegibility.Picture> pictures = ChartLegibility.capture(() -> {
            try (StudyFiles files = StudyFiles.open(dir, config, false)) {
                StudyReport.write(files, config, result(true), List.of());
            }
        });
        ChartLegibility.assertLegible(pictures, List.of("time-per-update.png", "samples-per-second.png",
                "steps-to-target.png", "noise-scale.png", "time-to-target.png"));
        // Steps to target is ticked at its batch sizes, each labelled exactly (128, not 130).
        for (ChartLegibility.Picture p : pictures) {
            if (p.file().getFileName().toString().equals("steps-to-target.png")) {
                for (String label : p.ticks("x")) {
                    int b = Integer.parseInt(label);
                    assertTrue(b >= 16 && b <= 1024 && Integer.bitCount(b) == 1, p + ": " + label);
                }
            }
        }
    }

    @Test
    void theStudysChartsWithoutRegionsAreLegible(@TempDir Path dir) throws Exception {
        BatchSizeStudyConfig config = BatchSizeStudyConfig.builder().build();
        List<ChartLegibility.Picture> pictures = ChartLegibility.capture(() -> {
            try (StudyFiles files = StudyFiles.open(dir, config, false)) {
                StudyReport.write(files, config, result(false), List.of());
            }
        });
        ChartLegibility.assertLegible(pictures, List.of("time-per-update.png", "samples-per-second.png",
                "steps-to-target.png", "noise-scale.png", "time-to-target.png"));
    }

    private static LearningRateSweep.Run run(double lr, long seed, String status, double loss) {
        return new LearningRateSweep.Run(lr, seed, Path.of("sweep", "lr-" + lr + "-seed-" + seed), status, loss,
                1.02 * loss, 0.8, 100);
    }

    @Test
    void theSweepsChartIsLegible(@TempDir Path dir) throws Exception {
        // The lectures' grid over 4 decades; the losses within one (0.37660000001 … 2.3); two diverged runs.
        double[] lrs = {1, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 3e-4, 1e-4};
        List<LearningRateSweep.Run> runs = new ArrayList<>();
        for (double lr : lrs) {
            for (long seed = 1; seed <= 3; seed++) {
                boolean diverged = lr >= 0.3;
                double loss = 0.37660000001 + 0.3 * Math.abs(Math.log10(lr / 0.03)) + 0.01 * seed;
                runs.add(run(lr, seed, diverged ? "diverged" : "completed", diverged ? Double.NaN : loss));
            }
        }
        LearningRateSweep.Run best = runs.stream().filter(r -> r.learningRate() == 0.03).findFirst().orElseThrow();
        ChartLegibility.assertLegible(ChartLegibility.capture(() -> LearningRateSweep.finalLossPlot(lrs, "train_loss",
                runs, best).write(dir.resolve("final-loss-vs-lr.png"))), List.of("final-loss-vs-lr.png"));
        // A narrow grid (three rates within a decade), one seed, losses within 1%.
        double[] narrow = {0.05, 0.1, 0.2};
        List<LearningRateSweep.Run> few = List.of(run(0.05, 1, "completed", 0.41), run(0.1, 1, "completed", 0.4066),
                run(0.2, 1, "completed", 0.4080000001));
        ChartLegibility.assertLegible(ChartLegibility.capture(() -> LearningRateSweep.finalLossPlot(narrow,
                "test_loss", few, few.get(1)).write(dir.resolve("final-loss-vs-lr.png"))),
                List.of("final-loss-vs-lr.png"));
    }
}
