package io.ravine.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.cli.CliTestSupport;
import io.ravine.data.DataSources;
import io.ravine.data.TrainTest;
import io.ravine.nn.BatchNormBuffers;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code study batch-size --batch-norm}: the same flag and meaning as {@code train --batch-norm}. A steps trial is the
 * training run {@code train --batch-norm} makes with the same settings (same steps to the target, same loss); the
 * noise part's gradient probes leave BN's running statistics alone; a batch of one is refused before anything runs.
 */
class BatchSizeStudyBatchNormTest {
    private static final double TARGET = 1.2;

    private static BatchSizeStudyConfig.Builder steps(boolean batchNorm) {
        return BatchSizeStudyConfig.builder().optParts(List.of("steps")).optHidden(16).optBatchNorm(batchNorm)
                .optLimit(300).optStepBatchSizes(20).optLrGrid(0).optLearningRate(3e-3).optTargetLoss(TARGET)
                .optMaxSteps(80).optCheckEvery(5).optSubset(200);
    }

    private static BatchSizeStudyResult run(BatchSizeStudyConfig config, Path dir) {
        return new BatchSizeStudy(config, dir).optDeviceOpener(d -> CpuBackend.f32()).optProgressBar(false).run();
    }

    /** The run {@code ravine train} makes with the study's settings: first logged step at or below the target. */
    private static double[] trainToTarget(boolean batchNorm) {
        TrainConfig tc = TrainConfig.builder().setData("embedded").optHidden(16).optActivation(Activation.RELU)
                .optBatchNorm(batchNorm).optLoss(LossKind.SOFTMAX_CE).optOptimizer(UpdateRule.ADAM)
                .optLearningRate(3e-3).optBatchSize(20).optEpochs(0).optSteps(80).optLimit(300).optSeed(1)
                .optLogEvery(5).optEvalEvery(80).optSubset(200).optDevice("cpu").build();
        double[] reached = {-1, Double.NaN};
        TrainTest data = DataSources.load("embedded", null, LossKind.SOFTMAX_CE);
        try (Backend backend = CpuBackend.f32(); Trainer trainer = new Trainer(tc, backend, data)) {
            trainer.optProgressBar(false).optListener(e -> {
                if (reached[0] < 0 && e.trainLoss() <= TARGET) {
                    reached[0] = e.step();
                    reached[1] = e.trainLoss();
                    trainer.requestStop();
                }
            });
            trainer.fit();
        }
        return reached;
    }

    @Test
    void aStepsTrialWithBatchNormIsTheTrainingRunOfTrainBatchNorm(@TempDir Path tmp) {
        BatchSizeStudyResult bn = run(steps(true).build(), tmp.resolve("bn"));
        TrialRow row = bn.rows().get(0);
        assertEquals("reached", row.status(), "the target must be reachable here, or this compares nothing");
        double[] train = trainToTarget(true);
        assertEquals((long) train[0], row.steps());
        assertEquals(train[1], row.finalLoss(), 1e-6 * train[1]);

        // The flag changes the trial: without it the same study is another model's run.
        TrialRow plain = run(steps(false).build(), tmp.resolve("plain")).rows().get(0);
        double[] trainPlain = trainToTarget(false);
        assertEquals((long) trainPlain[0], plain.steps());
        assertNotEquals(row.finalLoss(), plain.finalLoss());
    }

    @Test
    void theNoiseProbeLeavesTheRunningStatisticsAlone() {
        TrainTest data = DataSources.load("embedded", null, LossKind.SOFTMAX_CE);
        Mlp mlp = new Mlp(data.train().featureDim(), new int[] {8}, 10, Activation.TANH, LossKind.SOFTMAX_CE, true);
        try (Backend backend = CpuBackend.f32(); Model model = new Model(backend, mlp)) {
            model.setParameters(mlp.initialParameters(io.ravine.nn.Initializer.parse("xavier"), 0, 5));
            float[][] mean = {new float[8], null};
            float[][] var = {new float[8], null};
            for (int j = 0; j < 8; j++) {
                mean[0][j] = 0.1f * j;
                var[0][j] = 1 + j;
            }
            model.setBatchNormBuffers(new BatchNormBuffers(mean, var, 17));
            GradientNormProbe probe = new GradientNormProbe(model, data.train().limit(200), 3);
            assertTrue(probe.squaredNorm(16) > 0);
            assertTrue(probe.squaredNorm(64) > 0);
            BatchNormBuffers after = model.batchNormBuffers();
            assertArrayEquals(mean[0], after.runningMean()[0]);
            assertArrayEquals(var[0], after.runningVar()[0]);
            assertEquals(17, after.batchesTracked());
        }
    }

    @Test
    void batchesOfOneAreRefusedNamingTheFlag(@TempDir Path tmp) {
        // The default hardware sizes start at 2 with --batch-norm.
        BatchSizeStudyConfig defaults = BatchSizeStudyConfig.builder().optBatchNorm(true).build();
        assertEquals(2, defaults.batchSizes()[0]);
        assertEquals(1, BatchSizeStudyConfig.builder().build().batchSizes()[0]);

        InvalidInputException hw = assertThrows(InvalidInputException.class, () -> BatchSizeStudyConfig.builder()
                .optBatchNorm(true).optBatchSizes(1, 2, 4).build());
        assertEquals("--batch-norm needs at least 2 examples per batch, but --batch-sizes includes 1 (the default"
                + " with --batch-norm starts at 2)", hw.getMessage());
        InvalidInputException st = assertThrows(InvalidInputException.class, () -> steps(true).optStepBatchSizes(1, 8)
                .build());
        assertTrue(st.getMessage().startsWith("--batch-norm needs at least 2 examples per batch, but"
                + " --step-batch-sizes includes 1"), st.getMessage());

        // 301 examples in batches of 20 leave a last batch of 1: refused before the study directory exists.
        Path dir = tmp.resolve("s");
        InvalidInputException last = assertThrows(InvalidInputException.class, () -> run(steps(true).optLimit(301)
                .build(), dir));
        assertEquals("--batch-norm needs at least 2 examples in every batch, but 301 training examples in batches"
                + " of 20 leave a batch of 1; choose other batch sizes (--step-batch-sizes, --noise-batch) or another"
                + " --limit", last.getMessage());
        assertFalse(Files.exists(dir));

        // Through the CLI: one line, exit status 2, nothing created.
        Path out = tmp.resolve("cli");
        CliTestSupport.Result r = CliTestSupport.run("study", "batch-size", "--batch-norm", "--parts", "hardware",
                "--batch-sizes", "1,2,4", "--run-dir", out.toString());
        assertEquals(2, r.status());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--batch-norm needs at least 2 examples per batch, but --batch-sizes includes 1"),
                r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void theFlagIsRecordedAndAStudyWithoutItIsNotResumedWithIt(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("s");
        CliTestSupport.Result r = CliTestSupport.run("study", "batch-size", "--batch-norm", "--parts", "hardware",
                "--batch-sizes", "2,4,8", "--inputs", "8", "--hidden", "4", "--classes", "3", "--warmup-steps", "1",
                "--warmup-seconds", "0", "--timed-steps", "3", "--seconds-per-size", "0", "--progress", "off",
                "--run-dir", dir.toString());
        assertEquals(0, r.status(), r.err());
        String config = Files.readString(dir.resolve("study-config.json"));
        assertTrue(config.contains("\"batchNorm\": true"), config);
        assertTrue(Files.readString(dir.resolve("report.html")).contains("batch normalization"));
        // The same directory without --batch-norm is another study's definition.
        CliTestSupport.Result again = CliTestSupport.run("study", "batch-size", "--parts", "hardware",
                "--batch-sizes", "2,4,8", "--inputs", "8", "--hidden", "4", "--classes", "3", "--warmup-steps", "1",
                "--warmup-seconds", "0", "--timed-steps", "3", "--seconds-per-size", "0", "--progress", "off",
                "--run-dir", dir.toString());
        assertEquals(2, again.status());
        assertTrue(again.err().contains("other settings (batchNorm)"), again.err());
    }
}
