package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.LossKind;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.ShuffledBatches;
import io.ravine.diagnose.CurveDoctor;
import io.ravine.diagnose.Finding;
import io.ravine.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A NaN/Inf in the loss or the gradient stops a run at the step it happens, that update is not applied, and the
 * last good checkpoint stays; {@link OverflowingData} makes it happen at a step known in advance.
 */
class DivergenceTest {
    private static TrainConfig.Builder config(Path train, UpdateRule rule, String init) {
        return TrainConfig.builder().setData(train.toString())
                .optTestData(train.resolveSibling("test.csv").toString()).optHidden().optLoss(LossKind.MSE)
                .optOptimizer(rule).optLearningRate(1e-3).optInit(init).optNormalize("none").optBatchSize(1)
                .optSeed(OverflowingData.SEED).optSteps(3 * OverflowingData.ROWS).optLogEvery(OverflowingData.ROWS).optCheckpointEvery(4);
    }

    private static float[] thetaAfter(TrainConfig config) {
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false).fit();
            return t.model().parameters();
        }
    }

    @ParameterizedTest
    @EnumSource(UpdateRule.class)
    void anInfiniteGradientWithAFiniteLossIsCaughtAtItsStepAndNotApplied(UpdateRule rule, @TempDir Path tmp)
            throws IOException {
        Path train = OverflowingData.write(tmp);
        long s = OverflowingData.badStep();
        assertTrue(s > 1 && s % OverflowingData.ROWS != 0, "the bad step " + s + " falls between logging steps, as intended");
        Path dir = tmp.resolve("run");
        TrainingResult r;
        float[] theta;
        try (Trainer t = new Trainer(config(train, rule, "zeros").build(), CpuBackend.f32())) {
            r = t.optProgressBar(false).optRunDirectory(dir).fit();
            theta = t.model().parameters();
        }
        assertTrue(r.diverged());
        assertEquals(new Divergence(s, "the gradient"), r.divergence());
        assertEquals(s - 1, r.steps(), "updates applied");
        // Not applied: θ is, bit for bit, that of a run that stopped one step before the bad one.
        assertArrayEquals(thetaAfter(config(train, rule, "zeros").optSteps(s - 1).build()), theta);

        long lastCheckpoint = (s - 1) / 4 * 4;
        assertEquals(dir.resolve("checkpoints").resolve(String.format("step-%08d.safetensors", lastCheckpoint))
                .toString(), r.lastGoodCheckpoint());
        assertFalse(Files.exists(dir.resolve("checkpoints/final.safetensors")));
        for (float v : SafeTensors.read(Path.of(r.lastGoodCheckpoint())).get("layers.0.weight").floats()) {
            assertTrue(Float.isFinite(v));
        }
        List<Map<String, Double>> rows = MetricsLog.read(dir.resolve("metrics.csv"));
        Map<String, Double> last = rows.get(rows.size() - 1);
        assertEquals(s, last.get("step"), "the last metrics row is the step that diverged");
        assertTrue(Double.isFinite(last.get("batch_loss")), "the loss of that step was finite");
        assertTrue(Double.isInfinite(last.get("grad_norm")), "its gradient was not");
        com.google.gson.JsonObject summary = com.google.gson.JsonParser.parseString(
                Files.readString(dir.resolve("summary.json"))).getAsJsonObject();
        assertEquals("diverged", summary.get("status").getAsString());
        assertEquals(s, summary.getAsJsonObject("divergence").get("step").getAsLong());
        assertEquals("the gradient", summary.getAsJsonObject("divergence").get("quantity").getAsString());
        // The curve doctor reads the same from metrics.csv.
        List<Finding> findings = CurveDoctor.fromMetrics(dir.resolve("metrics.csv"));
        assertTrue(findings.stream().anyMatch(f -> f.problem().equals(CurveDoctor.INSTABILITY)
                && f.evidence().startsWith("the gradient norm became +Inf at step " + s)), findings.toString());
    }

    @Test
    void aNonFiniteLossIsCaughtAtItsStep(@TempDir Path tmp) throws IOException {
        Path train = OverflowingData.write(tmp);
        long s = OverflowingData.badStep();
        try (Trainer t = new Trainer(config(train, UpdateRule.ADAM, "normal:1").build(), CpuBackend.f32())) {
            TrainingResult r = t.optProgressBar(false).fit();
            assertNotNull(r.divergence());
            assertEquals(new Divergence(s, "the training loss"), r.divergence());
            for (float v : t.model().parameters()) {
                assertTrue(Float.isFinite(v), "θ stays finite");
            }
        }
    }

    @Test
    void theBlowUpRuleStopsAboveOneHundredTimesTheStartingLossAndNowhereElse() {
        assertEquals(100.0, Divergence.BLOW_UP_FACTOR);
        assertEquals(null, Divergence.check(4, 250.0, 2.5), "exactly k × start is not above it");
        assertEquals(null, Divergence.check(4, 0.01, 2.5));
        Divergence d = Divergence.check(4, Math.nextUp(250.0), 2.5);
        assertTrue(d != null && d.blowUp() && d.step() == 4, String.valueOf(d));
        assertEquals("the monitoring loss rose to 250.0 at step 4, more than 100 × its value 2.500 at step 0 (a"
                + " blow-up: beyond the stable rate 2/λ_max each step multiplies it)", d.evidence());
        // A monitoring loss that overflowed (or is NaN) is past any bound.
        assertTrue(Divergence.check(8, Double.POSITIVE_INFINITY, 2.3).evidence()
                .startsWith("the monitoring loss became +Inf at step 8"));
        assertTrue(Divergence.check(8, Double.NaN, 2.3).blowUp());
        // No scale to measure a rise against: a start of 0 (a perfect θ₀) or a non-finite one.
        for (double start : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertEquals(null, Divergence.check(8, 1e30, start), "start " + start);
        }
        // The other kind keeps its wording and is not a blow-up.
        assertFalse(new Divergence(27, "the gradient").blowUp());
        assertEquals("the gradient became NaN/Inf at step 27; that update was not applied",
                new Divergence(27, "the gradient").evidence());
    }

    @Test
    void theGuardIsWhatKeepsThetaFinite(@TempDir Path tmp) throws IOException {
        // The control: the same bad row, read by the plain backend contract, reaches θ unless the guard refuses it.
        // Checked by applying the infinite gradient by hand with axpy (no guard there) and seeing θ become Inf.
        Path train = OverflowingData.write(tmp);
        long s = OverflowingData.badStep();
        try (Trainer t = new Trainer(config(train, UpdateRule.SGD, "zeros").optSteps(s - 1).build(),
                CpuBackend.f32())) {
            t.optProgressBar(false).fit();
            io.ravine.nn.Model.Workspace ws = t.model().workspace(1);
            int[] perm = new ShuffledBatches(OverflowingData.ROWS, 1, OverflowingData.SEED).permutation(0);
            float[] x = new float[t.trainingData().featureDim()];
            float[] y = new float[t.trainingData().targetCols()];
            new ShuffledBatches(OverflowingData.ROWS, 1, OverflowingData.SEED).gather(t.trainingData(), perm, (int) (s - 1), x, y);
            ws.load(x, y, 1);
            t.model().computeGradient(ws, 1);
            t.backend().axpy(-1e-3, t.model().gradient(), t.model().theta());
            boolean anyInfinite = false;
            for (float v : t.model().parameters()) {
                anyInfinite |= !Float.isFinite(v);
            }
            assertTrue(anyInfinite, "this data's bad step really carries a non-finite gradient");
        }
    }
}
