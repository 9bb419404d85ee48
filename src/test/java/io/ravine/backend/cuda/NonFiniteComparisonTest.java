package io.ravine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The comparison behind SelfTest's NaN/Inf activation rows: it must fail the old CUDA ReLU (NaN turned into 0) and
 * any infinity of the wrong sign, and must not fail on equal values. Runs without a GPU.
 */
class NonFiniteComparisonTest {
    private static final float NAN = Float.NaN;
    private static final float INF = Float.POSITIVE_INFINITY;

    @Test
    void aNanTurnedIntoZeroFails() {
        // CPU relu: max(NaN, 0) = NaN; the old kernel's z > 0 ? z : 0 gave 0.
        assertEquals(Double.POSITIVE_INFINITY,
                SelfTest.nonFiniteAwareError(new float[] {0f, 1f}, new float[] {NAN, 1f}));
        assertEquals(Double.POSITIVE_INFINITY,
                SelfTest.nonFiniteAwareError(new float[] {NAN, 1f}, new float[] {0f, 1f}));
    }

    @Test
    void anInfinityOfTheWrongSignOrAFiniteValueInItsPlaceFails() {
        assertEquals(Double.POSITIVE_INFINITY, SelfTest.nonFiniteAwareError(new float[] {-INF}, new float[] {INF}));
        assertEquals(Double.POSITIVE_INFINITY, SelfTest.nonFiniteAwareError(new float[] {3e38f}, new float[] {INF}));
    }

    @Test
    void matchingSpecialsLeaveTheFiniteValuesToDecide() {
        assertEquals(0.0, SelfTest.nonFiniteAwareError(new float[] {NAN, INF, -INF, -0f, 2f},
                new float[] {NAN, INF, -INF, 0f, 2f}));
        assertEquals(0.5, SelfTest.nonFiniteAwareError(new float[] {NAN, 3f}, new float[] {NAN, 2f}), 1e-12);
    }
}
