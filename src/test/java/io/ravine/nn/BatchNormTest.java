package io.ravine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidSettingException;
import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.Tensor;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.train.TrainConfig;
import io.ravine.train.TrainedModel;
import io.ravine.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batch normalization: the CPU ops against their definition, the model's modes, resume, save and load, refusals. */
class BatchNormTest {

    /** Training forward on float64 against the formulas written out (PyTorch's BatchNorm1d). */
    @Test
    void trainingForwardIsTheDefinition() {
        Backend be = CpuBackend.f64();
        int rows = 5;
        int cols = 3;
        SplittableRandom rng = new SplittableRandom(3);
        double[] z = rng.doubles(rows * cols).map(v -> 4 * v - 1).toArray();
        double[] g = {0.5, 1.5, -2};
        double[] b = {0.1, -0.2, 0.3};
        Tensor tz = be.allocate(rows, cols);
        Tensor tg = be.allocateVector(cols);
        Tensor tb = be.allocateVector(cols);
        Tensor out = be.allocate(rows, cols);
        Tensor mean = be.allocateVector(cols);
        Tensor inv = be.allocateVector(cols);
        Tensor rm = be.allocateVector(cols);
        Tensor rv = be.allocateVector(cols);
        be.copyFromHost(z, 0, tz);
        be.copyFromHost(g, 0, tg);
        be.copyFromHost(b, 0, tb);
        be.fill(rv, 1.0);
        be.batchNormTrainingForward(tz, tg, tb, 1e-5, Activation.TANH, out, mean, inv, rm, rv, 0.1);
        double[] o = be.toDoubleArray(out);
        for (int j = 0; j < cols; j++) {
            double mu = 0;
            for (int i = 0; i < rows; i++) {
                mu += z[i * cols + j] / rows;
            }
            double ss = 0;
            for (int i = 0; i < rows; i++) {
                ss += (z[i * cols + j] - mu) * (z[i * cols + j] - mu);
            }
            double r = 1 / Math.sqrt(ss / rows + 1e-5);
            assertEquals(mu, be.toDoubleArray(mean)[j], 1e-14);
            assertEquals(r, be.toDoubleArray(inv)[j], 1e-12 * r);
            assertEquals(0.1 * mu, be.toDoubleArray(rm)[j], 1e-14);
            assertEquals(0.9 + 0.1 * ss / (rows - 1), be.toDoubleArray(rv)[j], 1e-14, "unbiased running variance");
            for (int i = 0; i < rows; i++) {
                assertEquals(Math.tanh(g[j] * (z[i * cols + j] - mu) * r + b[j]), o[i * cols + j], 1e-13);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> be.batchNormTrainingForward(tz.firstRows(1), tg, tb, 1e-5,
                Activation.TANH, out.firstRows(1), mean, inv, null, null, 0.1), "one row has no variance");
    }

    /** The float32 path is the float64 reference rounded: forward and backward within a few float roundings. */
    @Test
    void float32AgreesWithFloat64() {
        Backend f32 = CpuBackend.f32();
        Backend f64 = CpuBackend.f64();
        int rows = 64;
        int cols = 40;
        SplittableRandom rng = new SplittableRandom(5);
        float[] z = new float[rows * cols];
        float[] dy = new float[rows * cols];
        for (int i = 0; i < z.length; i++) {
            z[i] = (float) (3 * rng.nextGaussian() + 2);
            dy[i] = (float) rng.nextGaussian();
        }
        float[] g = new float[cols];
        float[] b = new float[cols];
        for (int j = 0; j < cols; j++) {
            g[j] = (float) rng.nextGaussian();
            b[j] = (float) rng.nextGaussian();
        }
        double[][] results = new double[2][];
        int at = 0;
        for (Backend be : new Backend[] {f32, f64}) {
            Tensor tz = be.allocate(rows, cols);
            Tensor tdy = be.allocate(rows, cols);
            Tensor tg = be.allocateVector(cols);
            Tensor tb = be.allocateVector(cols);
            Tensor out = be.allocate(rows, cols);
            Tensor mean = be.allocateVector(cols);
            Tensor inv = be.allocateVector(cols);
            Tensor dg = be.allocateVector(cols);
            Tensor db = be.allocateVector(cols);
            be.copyFromHost(z, 0, tz);
            be.copyFromHost(dy, 0, tdy);
            be.copyFromHost(g, 0, tg);
            be.copyFromHost(b, 0, tb);
            be.batchNormTrainingForward(tz, tg, tb, 1e-5, Activation.RELU, out, mean, inv, null, null, 0.1);
            be.batchNormBackward(tz, tg, mean, inv, tdy, tdy, dg, db);
            double[] all = new double[3 * rows * cols];
            be.copyToHost(out, all, 0);
            be.copyToHost(tdy, all, rows * cols);
            double[] grads = new double[2 * cols];
            be.copyToHost(dg, grads, 0);
            be.copyToHost(db, grads, cols);
            System.arraycopy(grads, 0, all, 2 * rows * cols, grads.length);
            results[at++] = all;
        }
        assertTrue(io.ravine.backend.Tolerances.relativeError(results[0], results[1]) < 1e-6);
    }

    private static TrainConfig.Builder config() {
        return TrainConfig.builder().setData("embedded").optLimit(600).optHidden(24, 12).optBatchNorm(true)
                .optBatchSize(100).optOptimizer(io.ravine.backend.UpdateRule.ADAM).optSeed(4).optThreads(1)
                .optDevice("cpu").optLogEvery(3).optEvalEvery(6);
    }

    /** A run resumed from a checkpoint gives the bits of the uninterrupted run: θ and the BN buffers. */
    @Test
    void resumeIsBitIdentical(@TempDir Path tmp) {
        float[] whole;
        BatchNormBuffers wholeBuffers;
        try (Trainer t = new Trainer(config().optSteps(12).build())) {
            t.optProgressBar(false).optReport(false).optRunDirectory(tmp.resolve("a")).fit();
            whole = t.model().parameters();
            wholeBuffers = t.model().batchNormBuffers();
        }
        try (Trainer t = new Trainer(config().optSteps(7).build())) {
            t.optProgressBar(false).optReport(false).optRunDirectory(tmp.resolve("b")).fit();
        }
        try (Trainer t = new Trainer(config().optSteps(12).build())) {
            t.optProgressBar(false).optReport(false).optRunDirectory(tmp.resolve("b")).resume();
            assertArrayEquals(whole, t.model().parameters());
            BatchNormBuffers b = t.model().batchNormBuffers();
            assertEquals(12, b.batchesTracked());
            assertEquals(wholeBuffers.batchesTracked(), b.batchesTracked());
            for (int k = 0; k < 2; k++) {
                assertArrayEquals(wholeBuffers.runningMean()[k], b.runningMean()[k]);
                assertArrayEquals(wholeBuffers.runningVar()[k], b.runningVar()[k]);
            }
        }
    }

    /**
     * A saved model predicts with its running statistics: the same probabilities after save and load, and not those
     * of the same θ with the initial statistics (evaluation mode really reads them).
     */
    @Test
    void savedModelKeepsItsRunningStatistics(@TempDir Path tmp) throws Exception {
        float[][] raw = new float[20][];
        io.ravine.data.Dataset d = io.ravine.data.DataSources.load("embedded", null, LossKind.SOFTMAX_CE).test();
        for (int i = 0; i < raw.length; i++) {
            raw[i] = java.util.Arrays.copyOfRange(d.features(), i * d.featureDim(), (i + 1) * d.featureDim());
        }
        try (Trainer t = new Trainer(config().optSteps(30).build())) {
            t.optProgressBar(false).fit();
            Path file = tmp.resolve("m.safetensors");
            try (TrainedModel m = t.trainedModel()) {
                float[][] p = m.predict(raw);
                m.save(file);
                try (TrainedModel loaded = TrainedModel.load(file)) {
                    assertArrayEquals(p, loaded.predict(raw));
                }
                try (TrainedModel fresh = TrainedModel.of(t.mlp(), t.model().parameters(), t.normalizer(), 10)) {
                    assertFalse(java.util.Arrays.deepEquals(p, fresh.predict(raw)));
                }
            }
            assertTrue(Files.size(file) > 0);
        }
    }

    @Test
    void refusalsNameTheSetting() {
        InvalidSettingException none = assertThrows(InvalidSettingException.class,
                () -> config().optHidden().build());
        assertTrue(none.getMessage().contains("batchNorm") && none.getMessage().contains("hidden"), none.getMessage());
        InvalidSettingException one = assertThrows(InvalidSettingException.class,
                () -> config().optBatchSize(1).build());
        assertTrue(one.getMessage().contains("batchSize 1"), one.getMessage());
        // 601 examples in batches of 100 leave a last batch of 1.
        InvalidSettingException last = assertThrows(InvalidSettingException.class,
                () -> new Trainer(config().optLimit(601).optSteps(1).build()).close());
        assertTrue(last.getMessage().contains("batch of 1"), last.getMessage());
        // Newton-CG's curvature batch is normalized by its own statistics: one example is refused, naming both.
        InvalidSettingException newton = assertThrows(InvalidSettingException.class,
                () -> config().optOptimizer(io.ravine.backend.UpdateRule.NEWTON_CG).optCurvatureBatch(1).build());
        assertTrue(newton.getMessage().contains("curvatureBatch 1") && newton.getMessage().contains("batchNorm"),
                newton.getMessage());
    }

    @Test
    void architectureLineRoundTrips() {
        Mlp mlp = new Mlp(4, new int[] {3, 2}, 2, Activation.RELU, LossKind.SOFTMAX_CE, true);
        assertEquals("4-3-2-2 relu softmax-ce batch-norm", mlp.describe());
        Mlp back = Mlp.parse(mlp.describe());
        assertTrue(back.batchNorm());
        assertEquals(mlp.parameterCount(), back.parameterCount());
        // W0 12 + γβ 6, W1 6 + γβ 4, W2 4 + b 2: no hidden bias.
        assertEquals(34, mlp.parameterCount());
        float[] theta = mlp.initialParameters(Initializer.xavier(), 0.5, 1);
        assertEquals(1f, theta[mlp.gammaOffset(0)]);
        assertEquals(0f, theta[mlp.betaOffset(1)]);
        assertEquals(0.5f, theta[mlp.biasOffset(2)]);
        assertThrows(IllegalArgumentException.class, () -> mlp.biasOffset(0));
    }
}
