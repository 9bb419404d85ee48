package io.ravine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LinePlotTest {
    @Test
    void powersOfTenInARangeAreCountedWithTheirBounds() {
        assertEquals(1, LinePlot.decadesWithin(0.35, 3.3));
        assertEquals(2, LinePlot.decadesWithin(0.1, 1));
        assertEquals(0, LinePlot.decadesWithin(2, 9));
        assertEquals(3, LinePlot.decadesWithin(0.04, 25));
        assertEquals(0, LinePlot.decadesWithin(0, 25));
    }

    @Test
    void aLogAxisOverLessThanTwoLabelledDecadesIsDrawnLinear() {
        double[] x = {1, 2, 3, 4};
        // 0.35–3.3 holds one power of 10 (1): XChart would label it alone, so the axis is linear.
        LinePlot narrow = new LinePlot("t", "x", "y").series("a", x, new double[] {0.35, 1.2, 3.3, 0.9}).logY();
        assertFalse(narrow.chart().getStyler().isYAxisLogarithmic());
        // 0.05–20 holds 0.1, 1 and 10: log stays.
        LinePlot wide = new LinePlot("t", "x", "y").series("a", x, new double[] {20, 2, 0.2, 0.05}).logY();
        assertTrue(wide.chart().getStyler().isYAxisLogarithmic());
        // Not asked for: never log.
        LinePlot linear = new LinePlot("t", "x", "y").series("a", x, new double[] {20, 2, 0.2, 0.05});
        assertFalse(linear.chart().getStyler().isYAxisLogarithmic());
    }
}
