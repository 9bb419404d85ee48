package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.Dataset;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Dead and saturated units in networks built to have a known number of them. */
class UnitStatisticsTest {
    private static final int IN = 4;
    private static final int WIDTH = 8;
    private static final int N = 500;

    @Test
    void reluUnitsWithBiasMinusTenAreDeadAndTheOthersAreNot() {
        Mlp mlp = new Mlp(IN, new int[] {WIDTH}, 3, Activation.RELU, LossKind.SOFTMAX_CE);
        float[] theta = smallRandom(mlp, 1);
        // Units 0, 3 and 5: z = small·x − 10 < 0 for inputs of order 1, so never active. The rest: bias +10.
        for (int u = 0; u < WIDTH; u++) {
            theta[mlp.biasOffset(0) + u] = (u == 0 || u == 3 || u == 5) ? -10f : 10f;
        }
        List<UnitStatistics.Layer> layers = measure(mlp, theta, 64);
        UnitStatistics.Layer l = layers.get(0);
        assertEquals(3, l.deadUnits());
        assertEquals(3.0 / WIDTH, l.deadFraction());
        assertNull(l.saturatedFraction());
        assertEquals(0.0, l.histogram().edges()[0]);
        assertEquals((long) N * WIDTH, LongStream.of(l.histogram().counts()).sum());
        assertEquals(WIDTH, LongStream.of(l.meanActivationHistogram().counts()).sum());
        // Dead units' mean is exactly 0: the first bin of the mean histogram holds them.
        assertEquals(3, l.meanActivationHistogram().counts()[0]);
    }

    @Test
    void unitsWhoseOutputIsNotANumberAreCountedAndNotCalledDead() {
        // A NaN bias (a θ that blew up): units 1 and 6 output NaN on every example. Counted as non-finite, left out
        // of the histograms, and the layer's dead fraction is not measured: without the check a NaN output
        // (NaN > 0 is false) would count as a dead unit.
        Mlp mlp = new Mlp(IN, new int[] {WIDTH}, 3, Activation.RELU, LossKind.SOFTMAX_CE);
        float[] theta = smallRandom(mlp, 4);
        theta[mlp.biasOffset(0) + 1] = Float.NaN;
        theta[mlp.biasOffset(0) + 6] = Float.NaN;
        UnitStatistics.Layer l = measure(mlp, theta, 64).get(0);
        assertEquals(2L * N, l.nonFiniteActivations());
        assertNull(l.deadFraction());
        assertEquals(0, l.deadUnits());
        assertEquals((long) (WIDTH - 2) * N, LongStream.of(l.histogram().counts()).sum());
        assertEquals(WIDTH - 2, LongStream.of(l.meanActivationHistogram().counts()).sum());
        for (double e : l.histogram().edges()) {
            assertEquals(true, Double.isFinite(e), "edges finite");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Activation.class, names = {"TANH", "LOGISTIC"})
    void unitsWithHugeWeightsAreSaturatedAndUnitsWithTinyOnesAreNot(Activation act) {
        Mlp mlp = new Mlp(IN, new int[] {WIDTH, 6}, 2, act, LossKind.SOFTMAX_CE);
        float[] theta = smallRandom(mlp, 2);
        // Layer 0: units 0..4 get weights ±100 (|z| ~ 200 on unit-variance inputs: |z| < 3.7 on about 1.5% of
        // examples, below the 5% the definition allows); units 5..7 weights 0.01 (z ≈ 0, the middle of the range).
        SplittableRandom rng = new SplittableRandom(3);
        for (int u = 0; u < WIDTH; u++) {
            for (int i = 0; i < IN; i++) {
                theta[mlp.weightOffset(0) + u * IN + i] = u < 5 ? (rng.nextBoolean() ? 100f : -100f) : 0.01f;
            }
            theta[mlp.biasOffset(0) + u] = 0f;
        }
        List<UnitStatistics.Layer> layers = measure(mlp, theta, 128);
        assertEquals(5, layers.get(0).saturatedUnits());
        assertEquals(5.0 / WIDTH, layers.get(0).saturatedFraction());
        assertNull(layers.get(0).deadFraction());
        assertEquals(act == Activation.TANH ? -1.0 : 0.0, layers.get(0).histogram().edges()[0]);
        assertEquals(1.0, layers.get(0).histogram().edges()[UnitStatistics.BINS]);
        assertEquals(2, layers.size());
    }

    @Test
    void unboundedRangesAreRoundedOutwards() {
        assertEquals(30.0, UnitStatistics.roundOutward(28.27, true), 1e-12);
        assertEquals(25.0, UnitStatistics.roundOutward(28.27, false), 1e-12);
        assertEquals(-30.0, UnitStatistics.roundOutward(-28.27, false), 1e-12);
        assertEquals(-0.004, UnitStatistics.roundOutward(-0.0037, false), 1e-15);
        assertEquals(100.0, UnitStatistics.roundOutward(81, true), 1e-12);
        assertEquals(0.0, UnitStatistics.roundOutward(0, true));
    }

    private static List<UnitStatistics.Layer> measure(Mlp mlp, float[] theta, int capacity) {
        SplittableRandom rng = new SplittableRandom(9);
        float[] x = new float[N * IN];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        Dataset data = new Dataset("units", N, IN, x, 1, new float[N], mlp.outputDim());
        try (Model m = new Model(CpuBackend.f32(), mlp)) {
            m.setParameters(theta);
            return UnitStatistics.measure(m, data, capacity);
        }
    }

    private static float[] smallRandom(Mlp mlp, long seed) {
        return mlp.initialParameters(io.ravine.nn.Initializer.normal(0.01), 0.0, seed);
    }
}
