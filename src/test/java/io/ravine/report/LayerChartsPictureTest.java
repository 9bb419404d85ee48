package io.ravine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.train.LayerLog;
import java.awt.Font;
import java.awt.font.FontRenderContext;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;

/**
 * The report's layer charts as pictures, with {@link ChartTickLabelsPictureTest}'s checks: painted, then XChart's
 * own tick layout read back; at least three labelled ticks per axis, each a number rounded for humans, no two
 * labels of an axis overlapping, and each label where its value is drawn (linear axes; the update ratio's y axis
 * on a log scale). The histograms over time across the value ranges of weights and gradients, many steps and one;
 * the update ratio within a decade and across several.
 */
class LayerChartsPictureTest {

    /** A bell-shaped histogram of {@code n} values between lo and hi. */
    private static long[] bell(long n) {
        long[] c = new long[LayerLog.HISTOGRAM_BUCKETS];
        double total = 0;
        double[] w = new double[c.length];
        for (int i = 0; i < c.length; i++) {
            double z = (i + 0.5 - c.length / 2.0) / 6;
            w[i] = Math.exp(-z * z / 2);
            total += w[i];
        }
        long left = n;
        for (int i = 0; i < c.length; i++) {
            c[i] = i == c.length - 1 ? left : Math.round(n * w[i] / total);
            left -= c[i];
        }
        return c;
    }

    private static double[] edges(double lo, double hi) {
        double[] e = new double[LayerLog.HISTOGRAM_BUCKETS + 1];
        for (int i = 0; i < e.length; i++) {
            e[i] = lo + (hi - lo) * i / LayerLog.HISTOGRAM_BUCKETS;
        }
        return e;
    }

    /** {@code steps} histograms at steps first, first + every, …, the range growing from scale to 2·scale. */
    private static Arguments histograms(String name, int steps, long first, long every, double scale) {
        HistogramPlot p = new HistogramPlot(name, "value");
        for (int k = 0; k < steps; k++) {
            double r = scale * (1 + (double) k / Math.max(1, steps - 1));
            p.histogram(first + k * every, edges(-r, 0.9 * r), bell(50176));
        }
        return Arguments.of(name, p.chart(), false);
    }

    /** Two layers' ratios at {@code steps} steps, from {@code from} to {@code to} geometrically (layer 1's half). */
    private static Arguments ratios(String name, int steps, long every, double from, double to) {
        List<LayerLog.Row> rows = new ArrayList<>();
        for (int k = 1; k <= steps; k++) {
            for (int layer = 0; layer < 2; layer++) {
                double u = steps == 1 ? 0 : (k - 1.0) / (steps - 1);
                double ratio = from * Math.pow(to / from, u) * (layer == 0 ? 1 : 0.5);
                rows.add(new LayerLog.Row(k * every, layer, "layers." + layer + ".weight", "weight", 10, null, null,
                        ratio, ratio));
            }
        }
        return Arguments.of(name, LayerSections.updateRatioChart(rows).chart(), true);
    }

    static List<Arguments> charts() {
        List<Arguments> a = new ArrayList<>();
        a.add(histograms("weights over 80 steps", 21, 0, 4, 0.2));
        a.add(histograms("gradients, tiny values", 20, 4, 4, 3e-6));
        a.add(histograms("large values, 20000 steps thinned", 500, 0, 40, 2500));
        a.add(histograms("one step", 1, 0, 1, 1));
        a.add(histograms("two steps far apart", 2, 0, 100000, 0.05));
        HistogramPlot constant = new HistogramPlot("constant gamma, then spread", "gamma");
        long[] all = new long[LayerLog.HISTOGRAM_BUCKETS];
        all[0] = 64;
        constant.histogram(0, edges(1, 1), all);
        for (int k = 1; k <= 10; k++) {
            constant.histogram(10 * k, edges(1 - 0.01 * k, 1 + 0.012 * k), bell(64));
        }
        a.add(Arguments.of("constant gamma, then spread", constant.chart(), false));
        a.add(ratios("ratios within a decade", 20, 4, 0.004, 0.0012));
        a.add(ratios("ratios across four decades", 50, 100, 0.3, 3e-5));
        a.add(ratios("ratios, two steps", 2, 80, 0.002, 0.0021));
        a.add(ratios("ratios, constant", 30, 10, 0.0015, 0.0015));
        return a;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("charts")
    void everyAxisHasThreeRoundedLabelsThatDoNotOverlapAndStandAtTheirValues(String name, XYChart chart,
            boolean logY) throws Exception {
        BitmapEncoder.getBufferedImage(chart);
        Font font = chart.getStyler().getAxisTickLabelsFont();
        FontRenderContext frc = new FontRenderContext(null, true, true);
        for (boolean x : new boolean[] {true, false}) {
            List<ChartTickLabelsPictureTest.Tick> t = ChartTickLabelsPictureTest.ticks(chart, x);
            String where = name + (x ? " x: " : " y: ") + t;
            assertTrue(t.size() >= 3, where);
            List<ChartTickLabelsPictureTest.Tick> sorted = new ArrayList<>(t);
            sorted.sort((p, q) -> Double.compare(p.at(), q.at()));
            double previousEnd = Double.NEGATIVE_INFINITY;
            for (ChartTickLabelsPictureTest.Tick k : sorted) {
                // Rounded for humans: no float noise, no ".0" on whole numbers.
                assertTrue(k.label().matches("-?\\d+(\\.\\d{1,6})?(e[-+]\\d+)?") || k.label().matches(
                        "-?\\d+(\\.\\d{1,5})?E-?\\d+"), where);
                assertTrue(!k.label().matches(".*\\.0+(e.*)?$") && !k.label().matches(".*\\d{7,}.*"), where);
                Rectangle2D r = font.getStringBounds(k.label(), frc);
                double extent = x ? r.getWidth() : r.getHeight();
                assertTrue(k.at() - extent / 2 > previousEnd, where + ": " + k + " overlaps its neighbour");
                previousEnd = k.at() + extent / 2;
            }
            // The labels, read as numbers (log10 on a log axis), lie on one line against their pixel positions.
            boolean log = logY && !x;
            double[] v = sorted.stream().mapToDouble(k -> {
                double d = Double.parseDouble(k.label());
                return log ? Math.log10(d) : d;
            }).toArray();
            int n = v.length;
            double slope = (sorted.get(n - 1).at() - sorted.get(0).at()) / (v[n - 1] - v[0]);
            double span = Math.abs(sorted.get(n - 1).at() - sorted.get(0).at());
            for (int i = 0; i < n; i++) {
                assertEquals(sorted.get(0).at() + slope * (v[i] - v[0]), sorted.get(i).at(), 0.015 * span, where);
            }
        }
    }
}
