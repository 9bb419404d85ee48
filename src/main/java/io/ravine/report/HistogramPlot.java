package io.ravine.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A PNG of histograms over time, as TensorBoard's Histograms tab draws them in its offset mode: one outline per
 * logged step, x the value, each outline standing on its step on the y axis, the later ones darker. Each outline is
 * the histogram's bucket counts as a staircase scaled to its own peak (so a narrow late histogram and a wide early
 * one both show their shape), {@value #OVERLAP} times the spacing of the drawn steps high, so neighbours overlap a
 * little as in TensorBoard. At most {@value #MAX_CURVES} steps are drawn, evenly chosen, the first and last always.
 * Built on XChart with {@link ChartFonts} and {@link TickFormat}, as {@link LinePlot}; written atomically.
 *
 * <pre>{@code
 * new HistogramPlot("layers.0.weight", "value").histogram(step, edges, counts)...write(dir.resolve("w.png"));
 * }</pre>
 */
public final class HistogramPlot {
    /** The most outlines drawn; more steps are thinned evenly. */
    static final int MAX_CURVES = 24;
    /** An outline's height in units of the spacing between drawn steps. */
    static final double OVERLAP = 1.6;
    /** Early steps light, late ones dark: TensorBoard's orange. */
    private static final Color EARLY = new Color(253, 190, 133);
    private static final Color LATE = new Color(166, 54, 3);

    private final String title;
    private final String xLabel;
    private final List<Histogram> histograms = new ArrayList<>();
    private int width = 800;
    private int height = 500;

    /** One step's histogram: bucket i counts the values in [edges[i], edges[i+1]). */
    private record Histogram(double step, double[] edges, long[] counts) {
    }

    public HistogramPlot(String title, String xLabel) {
        this.title = title;
        this.xLabel = xLabel;
    }

    /**
     * Adds the histogram of {@code step}: {@code counts.length} buckets between {@code edges} (one more edge than
     * buckets, not decreasing; all edges equal for a tensor whose values are all equal). Steps are added in order.
     */
    public HistogramPlot histogram(double step, double[] edges, long[] counts) {
        if (edges.length != counts.length + 1) {
            throw new IllegalArgumentException("step " + step + ": " + edges.length + " edges for " + counts.length
                    + " buckets");
        }
        if (!histograms.isEmpty() && !(step > histograms.get(histograms.size() - 1).step())) {
            throw new IllegalArgumentException("step " + step + " does not follow step "
                    + histograms.get(histograms.size() - 1).step());
        }
        histograms.add(new Histogram(step, edges.clone(), counts.clone()));
        return this;
    }

    public HistogramPlot size(int w, int h) {
        width = w;
        height = h;
        return this;
    }

    /** How many steps the chart holds. */
    int steps() {
        return histograms.size();
    }

    /**
     * Draws the chart and writes it atomically through {@link ReportFiles}: true when written; false, after one
     * warning line on stderr, when it could not be drawn or written (never an exception: a chart cannot lose a run).
     */
    public boolean write(Path png) {
        return ReportFiles.writePng(png, () -> BitmapEncoder.getBitmapBytes(chart(), BitmapEncoder.BitmapFormat.PNG));
    }

    /** The indices of the histograms drawn: all, or {@value #MAX_CURVES} evenly spread with the first and last. */
    List<Integer> drawn() {
        int n = histograms.size();
        List<Integer> out = new ArrayList<>();
        if (n <= MAX_CURVES) {
            for (int i = 0; i < n; i++) {
                out.add(i);
            }
            return out;
        }
        for (int k = 0; k < MAX_CURVES; k++) {
            int i = (int) Math.round(k * (n - 1.0) / (MAX_CURVES - 1));
            if (out.isEmpty() || out.get(out.size() - 1) != i) {
                out.add(i);
            }
        }
        return out;
    }

    /** The XChart chart, every text in {@link ChartFonts}, tick labels rounded by {@link TickFormat}. */
    XYChart chart() {
        XYChart chart = ChartFonts.xyChart(width, height, title, xLabel, "step");
        chart.getStyler().setxAxisTickLabelsFormattingFunction(TickFormat::human);
        chart.getStyler().setyAxisTickLabelsFormattingFunction(TickFormat::human);
        List<Integer> drawn = drawn();
        if (drawn.isEmpty()) {
            chart.setTitle(title + " (no histograms)");
            chart.addSeries("none", new double[] {0, 1}, new double[] {0, 1}).setMarker(SeriesMarkers.NONE);
            chart.getStyler().setLegendVisible(false);
            return chart;
        }
        double first = histograms.get(drawn.get(0)).step();
        double last = histograms.get(drawn.get(drawn.size() - 1)).step();
        double spacing = drawn.size() > 1 ? (last - first) / (drawn.size() - 1) : Math.max(1, Math.abs(first));
        double peak = OVERLAP * spacing;
        for (int j = 0; j < drawn.size(); j++) {
            Histogram h = histograms.get(drawn.get(j));
            double[][] xy = outline(h, peak);
            XYSeries s = chart.addSeries("step " + TickFormat.human(h.step()), xy[0], xy[1]);
            s.setMarker(SeriesMarkers.NONE);
            Color c = shade(drawn.size() == 1 ? 1 : (double) j / (drawn.size() - 1));
            s.setLineColor(c);
            s.setLineStyle(new BasicStroke(1.5f));
            // The legend names the first and last steps: the colour's meaning.
            s.setShowInLegend(j == 0 || j == drawn.size() - 1);
        }
        return chart;
    }

    /**
     * A histogram as a staircase standing on its step: (edge₀, step), up to its first bucket's height, across, ...,
     * down at the last edge. Heights are count / (the histogram's largest count) × {@code peak}. All edges equal
     * (every value the same): a spike of full height there.
     */
    static double[][] outline(Histogram h, double peak) {
        double[] e = h.edges();
        long[] c = h.counts();
        double y0 = h.step();
        if (!(e[e.length - 1] > e[0])) {
            return new double[][] {{e[0], e[0], e[0]}, {y0, y0 + peak, y0}};
        }
        long most = 1;
        for (long v : c) {
            most = Math.max(most, v);
        }
        double[] x = new double[2 * c.length + 2];
        double[] y = new double[x.length];
        x[0] = e[0];
        y[0] = y0;
        for (int i = 0; i < c.length; i++) {
            double top = y0 + peak * c[i] / most;
            x[2 * i + 1] = e[i];
            y[2 * i + 1] = top;
            x[2 * i + 2] = e[i + 1];
            y[2 * i + 2] = top;
        }
        x[x.length - 1] = e[e.length - 1];
        y[y.length - 1] = y0;
        return new double[][] {x, y};
    }

    /** The outline's colour at t ∈ [0, 1] (first step to last). */
    private static Color shade(double t) {
        return new Color((int) Math.round(EARLY.getRed() + t * (LATE.getRed() - EARLY.getRed())),
                (int) Math.round(EARLY.getGreen() + t * (LATE.getGreen() - EARLY.getGreen())),
                (int) Math.round(EARLY.getBlue() + t * (LATE.getBlue() - EARLY.getBlue())));
    }
}
