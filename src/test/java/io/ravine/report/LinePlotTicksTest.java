package io.ravine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;

class LinePlotTicksTest {

    /** The x axis' tick labels XChart drew (its axis is internal: read by reflection after painting). */
    private static List<String> xTickLabels(XYChart chart) throws Exception {
        BitmapEncoder.getBufferedImage(chart);
        Method getXAxis = org.knowm.xchart.internal.chartpart.Chart.class.getDeclaredMethod("getXAxis");
        getXAxis.setAccessible(true);
        Object axis = getXAxis.invoke(chart);
        Object calculator = axis.getClass().getMethod("getAxisTickCalculator").invoke(axis);
        Method labels = calculator.getClass().getMethod("getTickLabels");
        labels.setAccessible(true);
        @SuppressWarnings("unchecked")
        List<String> out = (List<String>) labels.invoke(calculator);
        return new ArrayList<>(out);
    }

    /** 2001 steps 0..2000 with a decaying loss, as the early-decay experiment draws them. */
    private static LinePlot steps() {
        double[] t = new double[2001];
        double[] y = new double[t.length];
        for (int k = 0; k < t.length; k++) {
            t[k] = k;
            y[k] = Math.exp(-k / 500.0);
        }
        return new LinePlot("loss", "step", "J").series("a", t, y).series("b", t, y.clone()).logY();
    }

    @Test
    void roundXTicksPutsTheTicksOnRoundStepsWhereEvenlySpacedStepsWouldCrowdThem() throws Exception {
        // Without it XChart 3.8 would tick every k-th step (0, 154, 308, …); a linear x axis now always has it.
        List<String> round = xTickLabels(steps().chart());
        assertEquals(round, xTickLabels(steps().roundXTicks().chart()));
        assertTrue(round.size() >= 4, round.toString());
        double step = Double.NaN;
        for (int k = 0; k < round.size(); k++) {
            double v = Double.parseDouble(round.get(k).replace(",", ""));
            assertEquals(0, v % 50, 0, round.toString());
            if (k == 1) {
                step = v - Double.parseDouble(round.get(0).replace(",", ""));
            } else if (k > 1) {
                assertEquals(step, v - Double.parseDouble(round.get(k - 1).replace(",", "")), 1e-9, round.toString());
            }
        }
        // The legend still lists the two series only.
        XYChart chart = steps().roundXTicks().chart();
        assertEquals(2, chart.getSeriesMap().values().stream().filter(s -> s.isShowInLegend()).count());
    }
}
