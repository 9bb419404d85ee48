package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.UpdateRule;
import io.ravine.io.SafeTensors;
import io.ravine.optim.Lbfgs;
import io.ravine.optim.NewtonCg;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * L-BFGS and Newton-CG inside the trainer: they lower the loss, checkpoint their state (torch's names, float32
 * vectors, float64 reals) and resume bit-identically on the CPU for each thread count (the count is part of a
 * run's config: OpenBLAS splits a product's sums by it, so both halves use the same one, as CrashResumeTest's).
 */
class SecondOrderTrainingTest {

    /** A float32 CPU backend with {@code threads} threads (OpenBLAS and the elementwise loops). */
    private static io.ravine.backend.Backend cpu(int threads) {
        return io.ravine.backend.Devices.open("cpu", false, threads);
    }

    private static TrainConfig.Builder small(String rule) {
        TrainConfig.Builder b = TrainConfig.builder().setData("embedded").optLimit(600).optHidden(32)
                .optMonitorSize(200).optSeed(11).optOptimizer(UpdateRule.parse(rule));
        return switch (rule) {
            case "lbfgs" -> b.optBatchSize(0).optMaxIter(5).optHistorySize(4)
                    .optLineSearch(Lbfgs.LineSearch.STRONG_WOLFE);
            case "newton-cg-hessian" -> b;
            default -> b.optBatchSize(200).optCurvatureBatch(100).optCgMaxIter(30);
        };
    }

    @ParameterizedTest
    @CsvSource({"lbfgs, 1", "lbfgs, 2", "newton-cg, 1", "newton-cg, 2"})
    void aResumedRunIsBitIdenticalToAStraightOneForAnyThreadCount(String rule, int threads, @TempDir Path tmp) {
        TrainConfig full = small(rule).optSteps(12).optCheckpointEvery(5).build();
        float[] expected;
        double lossBefore;
        double lossAfter;
        try (Trainer t = new Trainer(full, cpu(threads))) {
            lossBefore = t.evaluate(t.trainingData()).loss();
            TrainingResult r = t.optProgressBar(false).optReport(false).optRunDirectory(tmp.resolve("straight"))
                    .fit();
            assertNull(r.divergence());
            expected = t.model().parameters();
            lossAfter = t.evaluate(t.trainingData()).loss();
        }
        assertTrue(lossAfter < 0.5 * lossBefore, rule + ": training loss " + lossBefore + " → " + lossAfter);
        Path split = tmp.resolve("split");
        try (Trainer t = new Trainer(small(rule).optSteps(10).optCheckpointEvery(5).build(),
                cpu(threads))) {
            t.optProgressBar(false).optReport(false).optRunDirectory(split).fit();
        }
        Path checkpoint = split.resolve("checkpoints").resolve("step-00000005.safetensors");
        Map<String, SafeTensors.Entry> saved = Checkpoint.read(checkpoint).tensors();
        if (rule.equals("lbfgs")) {
            assertEquals(SafeTensors.Dtype.F32, saved.get("optimizer.old_dirs").dtype());
            assertEquals(SafeTensors.Dtype.F64, saved.get("optimizer.H_diag").dtype());
            assertEquals(SafeTensors.Dtype.I64, saved.get("optimizer.n_iter").dtype());
        } else {
            assertEquals(SafeTensors.Dtype.F64, saved.get("optimizer.damping").dtype());
            assertEquals(SafeTensors.Dtype.F32, saved.get("optimizer.d").dtype());
        }
        try (Trainer t = new Trainer(full, cpu(threads))) {
            t.optProgressBar(false).optReport(false).optRunDirectory(split).resumeFrom(checkpoint);
            assertArrayEquals(expected, t.model().parameters(), rule + ": resumed θ differs");
        }
    }

    @ParameterizedTest
    @CsvSource({"GAUSS_NEWTON", "HESSIAN"})
    void newtonCgTrainsWithEitherCurvature(NewtonCg.Curvature curvature) {
        TrainConfig config = TrainConfig.builder().setData("embedded").optLimit(400).optHidden(16).optSeed(3)
                .optOptimizer(UpdateRule.NEWTON_CG).optCurvature(curvature).optBatchSize(0).optCurvatureBatch(200)
                .optCgMaxIter(20).optSteps(6).build();
        try (Trainer t = new Trainer(config, cpu(1))) {
            double before = t.evaluate(t.trainingData()).loss();
            assertNull(t.optProgressBar(false).fit().divergence());
            double after = t.evaluate(t.trainingData()).loss();
            assertTrue(after < 0.7 * before, curvature + ": " + before + " → " + after);
        }
    }

    /**
     * With batch normalization: Newton-CG (Gauss-Newton or Hessian products through BN) and L-BFGS lower the
     * training-mode loss they minimize; the running statistics take each step's batch in once (num_batches_tracked
     * = steps, however many closure evaluations a step makes); a resumed run ends on the bits of a straight one,
     * θ and the running statistics both.
     */
    @ParameterizedTest
    @CsvSource({"newton-cg, GAUSS_NEWTON", "newton-cg, HESSIAN", "lbfgs, GAUSS_NEWTON"})
    void secondOrderRulesTrainThroughBatchNormAndResumeBitForBit(String rule, NewtonCg.Curvature curvature,
            @TempDir Path tmp) {
        java.util.function.IntFunction<TrainConfig> config = steps -> small(rule).optHidden(16, 8).optBatchNorm(true)
                .optCurvature(curvature).optSteps(steps).optCheckpointEvery(4).build();
        float[] expected;
        io.ravine.nn.BatchNormBuffers buffers;
        try (Trainer t = new Trainer(config.apply(8), cpu(1))) {
            double before = t.evaluateTraining(t.trainingData()).loss();
            assertNull(t.optProgressBar(false).optReport(false).optRunDirectory(tmp.resolve("straight")).fit()
                    .divergence());
            double after = t.evaluateTraining(t.trainingData()).loss();
            // The exact Hessian is indefinite here (negative curvature through BN and ReLU): Levenberg-Marquardt
            // damps its steps harder, and 8 steps lower the loss by a quarter (measured 2.97 → 2.24), not by half.
            double bound = curvature == NewtonCg.Curvature.HESSIAN && rule.equals("newton-cg") ? 0.9 : 0.7;
            assertTrue(after < bound * before, rule + " " + curvature + ": " + before + " → " + after);
            expected = t.model().parameters();
            buffers = t.model().batchNormBuffers();
            assertEquals(8, buffers.batchesTracked(), "one count per step");
        }
        Path split = tmp.resolve("split");
        try (Trainer t = new Trainer(config.apply(6), cpu(1))) {
            t.optProgressBar(false).optReport(false).optRunDirectory(split).fit();
        }
        try (Trainer t = new Trainer(config.apply(8), cpu(1))) {
            t.optProgressBar(false).optReport(false).optRunDirectory(split)
                    .resumeFrom(split.resolve("checkpoints").resolve("step-00000004.safetensors"));
            assertArrayEquals(expected, t.model().parameters(), rule + ": resumed θ differs");
            io.ravine.nn.BatchNormBuffers b = t.model().batchNormBuffers();
            assertEquals(buffers.batchesTracked(), b.batchesTracked());
            for (int k = 0; k < 2; k++) {
                assertArrayEquals(buffers.runningMean()[k], b.runningMean()[k]);
                assertArrayEquals(buffers.runningVar()[k], b.runningVar()[k]);
            }
        }
    }
}
