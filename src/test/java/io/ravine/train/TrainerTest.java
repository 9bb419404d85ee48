package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.LossKind;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.io.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TrainerTest {

    private static TrainConfig.Builder small() {
        return TrainConfig.builder().setData("embedded").optLimit(600).optHidden(32).optBatchSize(50)
                .optSubset(200).optSeed(11);
    }

    @Test
    void sameSeedGivesTheSameBitsAndAnotherSeedDoesNot() {
        float[] a = train(small().optSteps(30).build());
        float[] b = train(small().optSteps(30).build());
        float[] c = train(small().optSteps(30).optSeed(12).build());
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c));
    }

    private static float[] train(TrainConfig config) {
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false).fit();
            return t.model().parameters();
        }
    }

    @ParameterizedTest
    @EnumSource(UpdateRule.class)
    void everyOptimizerLowersTheLossOnRealData(UpdateRule rule) {
        double lr = switch (rule) {
            case ADAM, ADAMW, RMSPROP -> 1e-3;
            default -> 0.05;
        };
        // L-BFGS and Newton-CG take their own step lengths (lr 1, a line search or a damped solve) on full or large
        // batches: mini-batches of 50 make L-BFGS's curvature pairs noise (torch's does the same).
        TrainConfig config = rule.closureBased()
                ? small().optOptimizer(rule).optBatchSize(0).optSteps(8).optMaxIter(5).optCgMaxIter(20)
                        .optLogEvery(1).build()
                : small().optOptimizer(rule).optLearningRate(lr).optEpochs(3).build();
        List<MetricsEvent> events = new ArrayList<>();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false).optListener(events::add);
            TrainingResult r = t.fit();
            assertFalse(r.diverged());
            assertTrue(events.get(events.size() - 1).trainLoss() < 0.7 * events.get(0).trainLoss(),
                    rule + ": monitoring loss went from " + events.get(0).trainLoss() + " to "
                            + events.get(events.size() - 1).trainLoss());
            assertTrue(r.testAccuracy() > 0.6, rule + " test accuracy " + r.testAccuracy());
        }
    }

    @Test
    void resumeContinuesBitIdentically(@TempDir Path tmp) {
        TrainConfig full = small().optSteps(37).optCheckpointEvery(10).optEma(5).build();
        Path straight = tmp.resolve("straight");
        float[] expected;
        try (Trainer t = new Trainer(full, CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(straight).fit();
            expected = t.model().parameters();
        }
        // A run stopped after 20 steps (a checkpoint at step 20), then resumed to 37 in a fresh trainer.
        Path split = tmp.resolve("split");
        try (Trainer t = new Trainer(small().optSteps(20).optCheckpointEvery(10).optEma(5).build(),
                CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(split).fit();
        }
        Path checkpoint = RunDirectories.latestCheckpoint(split);
        assertEquals(20, RunDirectories.stepOf(checkpoint));
        try (Trainer t = new Trainer(full, CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(split).resumeFrom(checkpoint);
            assertArrayEquals(expected, t.model().parameters());
        }
        List<Map<String, Double>> a = MetricsLog.read(straight.resolve("metrics.csv"));
        assertSameRowsAfterResumeAt20(a, MetricsLog.read(split.resolve("metrics.csv")));
    }

    @Test
    void diagnoseEveryLeavesThetaAloneAndResumesBitIdentically(@TempDir Path tmp) throws Exception {
        // The probe (a gradient, a Hessian-vector product and a loss at θ − αg on the monitoring subset) every 3
        // steps must not change a bit of the run: θ equals a run without it, and a resumed run equals the straight.
        TrainConfig plain = small().optOptimizer(UpdateRule.MOMENTUM).optLearningRate(0.05).optSteps(30)
                .optCheckpointEvery(10).optLogEvery(3).build();
        TrainConfig probed = plain.toBuilder().optDiagnoseEvery(3).build();
        float[] without;
        try (Trainer t = new Trainer(plain, CpuBackend.f32())) {
            t.optProgressBar(false).fit();
            without = t.model().parameters();
        }
        Path straight = tmp.resolve("straight");
        try (Trainer t = new Trainer(probed, CpuBackend.f32())) {
            t.optProgressBar(false).optReport(false).optCurvatureProbe(io.ravine.diagnose.Curvature::probe)
                    .optRunDirectory(straight).fit();
            assertArrayEquals(without, t.model().parameters(), "the probe changed θ");
        }
        Path split = tmp.resolve("split");
        try (Trainer t = new Trainer(probed.toBuilder().optSteps(20).build(), CpuBackend.f32())) {
            t.optProgressBar(false).optReport(false).optCurvatureProbe(io.ravine.diagnose.Curvature::probe)
                    .optRunDirectory(split).fit();
        }
        try (Trainer t = new Trainer(probed, CpuBackend.f32())) {
            t.optProgressBar(false).optReport(false).optCurvatureProbe(io.ravine.diagnose.Curvature::probe)
                    .optRunDirectory(split).resumeFrom(RunDirectories.latestCheckpoint(split));
            assertArrayEquals(without, t.model().parameters());
        }
        List<Map<String, Double>> a = MetricsLog.read(straight.resolve("metrics.csv"));
        assertSameRowsAfterResumeAt20(a, MetricsLog.read(split.resolve("metrics.csv")));
        assertTrue(a.stream().filter(r -> Double.isFinite(r.get("actual_change"))).count() == 10,
                "ten probed rows");
    }

    @Test
    void aListenerLearnsOfEachCheckpointOnceItAndTheRowsUpToItAreOnDisk(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        TrainConfig config = small().optSteps(25).optLogEvery(5).optCheckpointEvery(10).optSaveInitial(true).build();
        List<String> seen = new ArrayList<>();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(dir).optListener(new TrainingListener() {
                @Override
                public void onMetrics(MetricsEvent event) {
                }

                @Override
                public void onCheckpoint(long step) {
                    // What a copy made now would hold: the checkpoint, and metrics.csv up to its step.
                    String name = step == 0 ? "initial" : String.format("step-%08d", step);
                    assertTrue(Files.exists(dir.resolve("checkpoints/" + name + ".safetensors")), name);
                    List<Map<String, Double>> rows = MetricsLog.read(dir.resolve("metrics.csv"));
                    seen.add(step + ":" + rows.get(rows.size() - 1).get("step").longValue());
                }
            }).fit();
        }
        assertEquals(List.of("0:0", "10:10", "20:20"), seen, "the initial checkpoint and those of steps 10 and 20"
                + " (not the final one), each after its step's row");
    }

    @Test
    void runDirectoryHoldsConfigMetricsSummaryAndPyTorchNamedCheckpoints(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        // 1000 examples in batches of 50: 20 steps per epoch, logged every 2 steps by default.
        TrainConfig config = small().optLimit(1000).optHidden(16, 8).optEpochs(1).optSaveInitial(true).build();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(dir).fit();
        }
        assertEquals(config, RunDirectories.readConfig(dir));
        String summary = Files.readString(dir.resolve("summary.json"));
        for (String key : List.of("final_train_loss", "test_loss", "test_accuracy", "samples_per_second", "steps",
                "device")) {
            assertTrue(summary.contains("\"" + key + "\""), key + " missing from summary.json");
        }
        List<Map<String, Double>> rows = MetricsLog.read(dir.resolve("metrics.csv"));
        assertEquals(11, rows.size(), "the row of step 0 (the monitoring loss at θ₀), then ten logging rows per"
                + " epoch by default");
        assertEquals(0.0, rows.get(0).get("step"));
        assertTrue(Double.isFinite(rows.get(0).get("train_loss")) && Double.isNaN(rows.get(0).get("batch_loss")),
                "step 0 holds the monitoring loss at θ₀ and no batch: " + rows.get(0));
        assertTrue(rows.get(rows.size() - 1).get("test_accuracy") > 0);
        SafeTensors.Contents ckpt = SafeTensors.read(dir.resolve("checkpoints/final.safetensors"));
        assertArrayEquals(new long[] {16, 784}, ckpt.get("layers.0.weight").shape());
        assertArrayEquals(new long[] {16}, ckpt.get("layers.0.bias").shape());
        assertArrayEquals(new long[] {8, 16}, ckpt.get("layers.1.weight").shape());
        assertArrayEquals(new long[] {10, 8}, ckpt.get("layers.2.weight").shape());
        assertTrue(ckpt.tensors().containsKey("optimizer.exp_avg"));
        assertTrue(ckpt.tensors().containsKey("optimizer.step"));
        assertTrue(Files.exists(dir.resolve("checkpoints/initial.safetensors")));
        try (Stream<Path> left = Files.list(dir)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().contains(".tmp")), "no temp files left");
        }
    }

    @Test
    void aLearningRateFarTooLargeStopsWithInstabilityAndKeepsTheLastGoodCheckpoint(@TempDir Path tmp)
            throws Exception {
        Path dir = tmp.resolve("run");
        // Linear least squares with α far above 2/λmax: each step multiplies the error along the top eigenvector
        // by |1 − αλmax| ≫ 1, so the loss would overflow within a few dozen steps; the blow-up rule stops the run
        // at the first logged step past 100 × the starting loss, before that step's θ is checkpointed.
        TrainConfig config = small().optHidden().optLoss(LossKind.MSE).optOptimizer(UpdateRule.SGD)
                .optLearningRate(50).optSteps(200).optLogEvery(1).optCheckpointEvery(1).optSaveInitial(true).build();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            TrainingResult r = t.optProgressBar(false).optRunDirectory(dir).fit();
            assertTrue(r.diverged());
            assertTrue(r.divergence().blowUp(), r.divergence().toString());
            assertTrue(r.steps() < 200);
            assertFalse(Files.exists(dir.resolve("checkpoints/final.safetensors")));
            Path good = Path.of(r.lastGoodCheckpoint());
            SafeTensors.Contents kept = SafeTensors.read(good);
            for (float v : kept.get("layers.0.weight").floats()) {
                assertTrue(Float.isFinite(v), "the kept checkpoint must hold a finite θ");
            }
            String summary = Files.readString(dir.resolve("summary.json"));
            assertTrue(summary.contains("\"diverged\""));
        }
    }

    @Test
    void fullBatchMseOnARegressionCsv(@TempDir Path tmp) throws Exception {
        // y = 2·x1 − 3·x2 + 1 exactly: a linear model with full-batch GD must drive MSE towards 0.
        StringBuilder csv = new StringBuilder("x1,x2,y\n");
        java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
        for (int i = 0; i < 200; i++) {
            double x1 = rng.nextGaussian();
            double x2 = rng.nextGaussian();
            csv.append(x1).append(',').append(x2).append(',').append(2 * x1 - 3 * x2 + 1).append('\n');
        }
        Path file = tmp.resolve("lin.csv");
        Files.writeString(file, csv);
        TrainConfig config = TrainConfig.builder().setData(file.toString()).optHidden().optLoss(LossKind.MSE)
                .optOptimizer(UpdateRule.MOMENTUM).optLearningRate(0.1).optBatchSize(0).optSteps(200).build();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            TrainingResult r = t.optProgressBar(false).fit();
            assertTrue(r.testLoss() < 1e-4, "test MSE " + r.testLoss());
            assertTrue(Double.isNaN(r.testAccuracy()));
            assertNotEquals(0, r.steps());
        }
    }

    /**
     * A resumed run's metrics equal the straight run's, row for row, apart from wall time and the test evaluation that
     * the shorter run made at its last step (step 20).
     */
    private static void assertSameRowsAfterResumeAt20(List<Map<String, Double>> a, List<Map<String, Double>> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            Map<String, Double> ra = new java.util.HashMap<>(a.get(i));
            Map<String, Double> rb = new java.util.HashMap<>(b.get(i));
            for (Map<String, Double> r : List.of(ra, rb)) {
                r.remove("wall_seconds");
                if (r.get("step") == 20.0) {
                    r.keySet().removeIf(k -> k.contains("test"));
                }
            }
            assertEquals(ra, rb, "row " + i);
        }
    }
}
