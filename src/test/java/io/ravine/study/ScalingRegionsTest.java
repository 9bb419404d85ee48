package io.ravine.study;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.study.ScalingRegions.Region;
import org.junit.jupiter.api.Test;

class ScalingRegionsTest {
    private static final double[] B = {4, 8, 16, 32, 64, 128, 256, 512, 1024};

    /** McCandlish et al.'s S(B) = S_min(1 + B_crit/B) with S_min = 1000, B_crit = 64. */
    private static double[] model() {
        double[] s = new double[B.length];
        for (int i = 0; i < B.length; i++) {
            s[i] = 1000 * (1 + 64 / B[i]);
        }
        return s;
    }

    @Test
    void classifiesTheModelCurveAtTheBoundariesItsExponentsGive() {
        // Per doubling, log2(S(B)/S(2B)): 4→8: 17000/9000 → 0.92; 8→16: 9000/5000 → 0.85 (perfect);
        // 16→32: 5000/3000 → 0.74 (not); 128→256: 1500/1250 → 0.26 (not flat); 256→512: 1250/1125 → 0.15 (flat);
        // 512→1024: 1125/1062.5 → 0.08 (flat). So perfect scaling up to 16, maximal parallelism from 256.
        ScalingRegions.Classification c = ScalingRegions.classify(B, model());
        assertEquals(16, c.perfectScalingUntil());
        assertEquals(256, c.maximalParallelismFrom());
        assertArrayEquals(new Region[] {Region.PERFECT_SCALING, Region.PERFECT_SCALING, Region.PERFECT_SCALING,
                Region.DIMINISHING_RETURNS, Region.DIMINISHING_RETURNS, Region.DIMINISHING_RETURNS,
                Region.MAXIMAL_PARALLELISM, Region.MAXIMAL_PARALLELISM, Region.MAXIMAL_PARALLELISM}, c.regions());
        assertEquals(Math.log(17000.0 / 9000) / Math.log(2), c.exponents()[0], 1e-12);
    }

    @Test
    void aCurveThatNeverStopsScalingHasNoMaximalParallelism() {
        double[] s = new double[B.length];
        for (int i = 0; i < B.length; i++) {
            s[i] = 1e5 / B[i];
        }
        ScalingRegions.Classification c = ScalingRegions.classify(B, s);
        assertEquals(1024, c.perfectScalingUntil());
        assertTrue(Double.isNaN(c.maximalParallelismFrom()));
    }

    @Test
    void criticalBatchSizeFitRecoversTheModel() {
        ScalingRegions.CriticalBatch fit = ScalingRegions.criticalBatchSize(B, model());
        assertEquals(64, fit.criticalBatchSize(), 1e-9);
        assertEquals(1000, fit.minSteps(), 1e-9);
        assertEquals(64_000, fit.minExamples(), 1e-6);
        // Steps that grow with B fit no positive S_min·B_crit: reported as NaN, not as a number.
        assertTrue(Double.isNaN(ScalingRegions.criticalBatchSize(new double[] {1, 2, 4},
                new double[] {10, 20, 40}).criticalBatchSize()));
    }
}
