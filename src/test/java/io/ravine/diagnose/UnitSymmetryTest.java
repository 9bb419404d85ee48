package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.nn.Initializer;
import io.ravine.nn.Mlp;
import org.junit.jupiter.api.Test;

/** Duplicate hidden units: all of them under a zero start, none under a random one, exactly the planted ones. */
class UnitSymmetryTest {
    private final Mlp mlp = new Mlp(10, new int[] {16, 12}, 3, Activation.TANH, LossKind.SOFTMAX_CE);

    @Test
    void zeroInitialisationMakesEveryPairOfALayerADuplicate() {
        UnitSymmetry.Result r = UnitSymmetry.find(mlp, mlp.initialParameters(Initializer.zeros(), 0.0, 1));
        assertArrayEquals(new long[] {16 * 15 / 2, 12 * 11 / 2}, r.pairsPerLayer());
        assertEquals(120 + 66, r.duplicatePairs());
        assertEquals(0.0, r.examples().get(0).relativeDistance());
    }

    @Test
    void randomInitialisationHasNoDuplicates() {
        UnitSymmetry.Result r = UnitSymmetry.find(mlp, mlp.initialParameters(Initializer.xavier(), 0.1, 1));
        assertEquals(0, r.duplicatePairs());
        assertEquals(0, r.examples().size());
    }

    @Test
    void aPlantedNearCopyIsFoundAndADistantOneIsNot() {
        float[] theta = mlp.initialParameters(Initializer.xavier(), 0.1, 2);
        copyUnit(theta, 1, 3, 7, 1e-5f);   // layer 1: unit 7 ≈ unit 3 (relative distance ~1e-5)
        copyUnit(theta, 0, 2, 9, 0.05f);   // layer 0: unit 9 near unit 2 but 5% off: not a duplicate
        UnitSymmetry.Result r = UnitSymmetry.find(mlp, theta);
        assertArrayEquals(new long[] {0, 1}, r.pairsPerLayer());
        UnitSymmetry.Pair p = r.examples().get(0);
        assertEquals(1, p.layer());
        assertEquals(3, p.unitA());
        assertEquals(7, p.unitB());
    }

    @Test
    void unitsWhoseWeightsAreNotFiniteAreNotDuplicates() {
        // An all-NaN θ (a foreign or blown-up checkpoint): every signature has the same NaN bits, which hashing
        // would group into n(n−1)/2 "duplicate" pairs per layer. Broken units are not symmetric ones.
        float[] theta = new float[mlp.parameterCount()];
        java.util.Arrays.fill(theta, Float.NaN);
        assertEquals(0, UnitSymmetry.find(mlp, theta).duplicatePairs());
        float[] inf = mlp.initialParameters(Initializer.zeros(), 0.0, 1);
        inf[mlp.biasOffset(0)] = Float.POSITIVE_INFINITY;
        assertArrayEquals(new long[] {15 * 14 / 2, 12 * 11 / 2}, UnitSymmetry.find(mlp, inf).pairsPerLayer(),
                "the other units of the zero start are still duplicates");
    }

    /**
     * Under batch norm a unit is its incoming weights, γ, β and outgoing weights: a zero start (W = 0, γ = 1, β = 0)
     * makes every pair a duplicate, and one β changed sets its unit apart (β takes the bias's place).
     */
    @Test
    void batchNormUnitsAreTheirWeightsGammaAndBeta() {
        Mlp bn = new Mlp(10, new int[] {16, 12}, 3, Activation.TANH, LossKind.SOFTMAX_CE, true);
        float[] theta = bn.initialParameters(Initializer.zeros(), 0.0, 1);
        assertArrayEquals(new long[] {16 * 15 / 2, 12 * 11 / 2}, UnitSymmetry.find(bn, theta).pairsPerLayer());
        theta[bn.betaOffset(0) + 4] = 0.5f;
        theta[bn.gammaOffset(1) + 2] = 2f;
        assertArrayEquals(new long[] {15 * 14 / 2, 11 * 10 / 2}, UnitSymmetry.find(bn, theta).pairsPerLayer());
    }

    /** Makes unit {@code dst} of hidden layer k a copy of unit {@code src}, every value scaled by (1 + noise). */
    private void copyUnit(float[] theta, int k, int src, int dst, float noise) {
        int in = mlp.fanIn(k);
        int units = mlp.fanOut(k);
        for (int i = 0; i < in; i++) {
            theta[mlp.weightOffset(k) + dst * in + i] = theta[mlp.weightOffset(k) + src * in + i] * (1 + noise);
        }
        theta[mlp.biasOffset(k) + dst] = theta[mlp.biasOffset(k) + src] * (1 + noise);
        for (int o = 0; o < mlp.fanOut(k + 1); o++) {
            int base = mlp.weightOffset(k + 1) + o * units;
            theta[base + dst] = theta[base + src] * (1 + noise);
        }
    }
}
