package io.ravine.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ravine.InvalidInputException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SaturationPointTest {
    private static final double[] SIZES = new double[14];

    static {
        for (int i = 0; i < SIZES.length; i++) {
            SIZES[i] = 1 << i; // 1 … 8192, the study's default
        }
    }

    @Test
    void findsTheKneeOfAFlatThenLinearCurveWithTimingNoise() {
        // t = max(a, b·B) with the knee at a/b = 100, ±5% multiplicative noise (a quiet machine's spread).
        double a = 2e-3;
        double b = a / 100;
        SplittableRandom rng = new SplittableRandom(3);
        double[] t = new double[SIZES.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = Math.max(a, b * SIZES[i]) * (1 + 0.05 * (2 * rng.nextDouble() - 1));
        }
        SaturationPoint.Fit fit = SaturationPoint.fit(SIZES, t);
        assertEquals(SaturationPoint.Position.WITHIN_RANGE, fit.position());
        // The noise moves log t by at most 0.05; averaged over 6–8 points per segment the knee moves far less than
        // 10% (a wrong rule, e.g. the last flat point, would answer 64 or 128).
        assertEquals(100, fit.batchSize(), 10);
        assertEquals(a, fit.flatSeconds(), 0.05 * a);
        assertEquals(b, fit.secondsPerExample(), 0.05 * b);
    }

    @Test
    void aSmoothCurveHasItsKneeWhereTheAsymptotesCross() {
        // t = a + b·B: the asymptotes a and b·B cross at B = a/b = 64, where the cost is 2a. The max-model
        // misfits by log(1 + e^{−|u|}) (symmetric in u = log(B/64)), so the knee stays close: within 25%.
        double a = 1e-2;
        double b = a / 64;
        double[] t = new double[SIZES.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = a + b * SIZES[i];
        }
        SaturationPoint.Fit fit = SaturationPoint.fit(SIZES, t);
        assertEquals(SaturationPoint.Position.WITHIN_RANGE, fit.position());
        assertEquals(64, fit.batchSize(), 16);
    }

    @Test
    void reportsKneesOutsideTheMeasuredRange() {
        double[] linear = new double[SIZES.length];
        double[] flat = new double[SIZES.length];
        for (int i = 0; i < SIZES.length; i++) {
            linear[i] = 1e-5 * SIZES[i];
            flat[i] = 1e-3;
        }
        SaturationPoint.Fit below = SaturationPoint.fit(SIZES, linear);
        assertEquals(SaturationPoint.Position.BELOW_RANGE, below.position());
        assertEquals(1, below.batchSize());
        SaturationPoint.Fit above = SaturationPoint.fit(SIZES, flat);
        assertEquals(SaturationPoint.Position.ABOVE_RANGE, above.position());
        assertEquals(8192, above.batchSize());
    }

    @Test
    void orderOfThePointsDoesNotMatterAndTwoPointsAreRefused() {
        double[] b = {512, 1, 64, 8, 4096};
        double[] t = new double[b.length];
        for (int i = 0; i < b.length; i++) {
            t[i] = Math.max(1e-3, 1e-3 / 50 * b[i]);
        }
        assertEquals(50, SaturationPoint.fit(b, t).batchSize(), 1e-9);
        assertThrows(InvalidInputException.class, () -> SaturationPoint.fit(new double[] {1, 2}, new double[] {1, 2}));
    }
}
