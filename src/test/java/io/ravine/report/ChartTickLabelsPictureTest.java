package io.ravine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;

/**
 * Each kind of line-chart axis as a picture: painted into an image, then XChart's own layout read back ({@link
 * ChartLegibility}: at least three labelled ticks per axis, each a number rounded for humans, one notation per
 * axis, no two labels of an axis overlapping at the font they are drawn in), and each label standing at its value.
 * {@link EveryChartIsLegibleTest} checks every chart Ravine draws the same way, from its own producer.
 */
class ChartTickLabelsPictureTest {

    /** One axis' labelled ticks as painted (those inside the axis): label and its place along the axis in pixels. */
    record Tick(String label, double at) {
    }

    static List<Tick> ticks(XYChart chart, boolean x) {
        ChartLegibility.Picture p = ChartLegibility.picture(null, chart);
        List<Tick> out = new ArrayList<>();
        for (ChartLegibility.Text t : p.texts()) {
            if (t.role().equals(x ? "x" : "y")) {
                out.add(new Tick(t.text(), x ? t.box().getCenterX() : t.box().getCenterY()));
            }
        }
        return out;
    }

    static Arguments plot(String name, int points, DoubleUnaryOperator xOf, DoubleUnaryOperator yOf, boolean logX,
            boolean logY) {
        double[] x = new double[points];
        double[] y = new double[points];
        for (int i = 0; i < points; i++) {
            double u = points == 1 ? 0 : i / (points - 1.0);
            x[i] = xOf.applyAsDouble(u);
            y[i] = yOf.applyAsDouble(u);
        }
        LinePlot p = new LinePlot(name, "x", "y").series("a", x, y).markers();
        if (logX) {
            p.logX();
        }
        if (logY) {
            p.logY();
        }
        return Arguments.of(name, p);
    }

    static List<Arguments> charts() {
        List<Arguments> a = new ArrayList<>();
        // Linear axes: narrow, wide, tiny, large, few points and many.
        a.add(plot("linear narrow", 50, u -> 1 + 0.01 * u, u -> 0.5 + 0.001 * u, false, false));
        a.add(plot("linear wide", 2000, u -> 2000 * u, u -> 1e5 * u * u, false, false));
        a.add(plot("linear tiny", 7, u -> 1e-6 * (1 + u), u -> 3e-6 * u, false, false));
        a.add(plot("linear large", 3, u -> 1e5 * (1 + 4 * u), u -> 2.5e5 + 1e5 * u, false, false));
        a.add(plot("steps 0..2000", 2001, u -> Math.rint(2000 * u), u -> Math.exp(-4 * u), false, false));
        // Log axes within one decade (batch sizes 32..256, time per update), across a few, and across many.
        a.add(plot("log within a decade", 4, u -> 32 * Math.pow(8, u), u -> 0.0021 * Math.pow(3, u), true, true));
        a.add(plot("log narrow many", 500, u -> 2 + 5 * u, u -> 0.3 + 0.2 * u, true, true));
        a.add(plot("log two decades", 6, u -> 16 * Math.pow(64, u), u -> 1e4 * Math.pow(90, u), true, true));
        a.add(plot("log wide tiny", 300, u -> Math.pow(10, -6 + 4 * u), u -> Math.pow(10, -6 + 6 * u), true,
                true));
        a.add(plot("log wide large", 300, u -> Math.pow(10, 1 + 4 * u), u -> Math.pow(10, 5 * u), true, true));
        a.add(plot("log y linear x", 1000, u -> 1000 * u, u -> 2.3 * Math.exp(-u) + 0.1, false, true));
        // A constant series (the learning-rate chart of a constant schedule), linear and log.
        a.add(plot("constant", 100, u -> 500 * u, u -> 0.001, false, false));
        a.add(plot("constant log", 100, u -> 500 * u, u -> 0.001, false, true));
        a.add(plot("constant zero", 10, u -> 10 * u, u -> 0, false, false));
        return a;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("charts")
    void everyAxisHasThreeRoundedLabelsThatDoNotOverlap(String name, LinePlot plot) throws Exception {
        XYChart chart = plot.chart();
        BitmapEncoder.getBufferedImage(chart);
        ChartLegibility.assertLegible(ChartLegibility.picture(null, chart));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("charts")
    void labelsStandAtTheirValues(String name, LinePlot plot) throws Exception {
        // Three labels of an axis, read as numbers, lie on one line (linear) or one log line against their pixel
        // positions: a label is where its value is drawn, within 1.5% of the axis' span.
        XYChart chart = plot.chart();
        BitmapEncoder.getBufferedImage(chart);
        for (boolean x : new boolean[] {true, false}) {
            boolean log = name.startsWith("log") && (x ? !name.contains("linear x") : true);
            List<Tick> t = ticks(chart, x);
            double[] v = t.stream().mapToDouble(k -> {
                double d = Double.parseDouble(k.label());
                return log ? Math.log10(d) : d;
            }).toArray();
            int n = v.length;
            double slope = (t.get(n - 1).at() - t.get(0).at()) / (v[n - 1] - v[0]);
            double span = Math.abs(t.get(n - 1).at() - t.get(0).at());
            for (int i = 0; i < n; i++) {
                double predicted = t.get(0).at() + slope * (v[i] - v[0]);
                assertEquals(predicted, t.get(i).at(), 0.015 * span, name + (x ? " x " : " y ") + t);
            }
        }
    }
}
