package io.ravine.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A PNG line chart of one or more (x, y) series, optionally log-log, written atomically. Non-finite points and,
 * on log axes, non-positive ones are dropped (a diverged run's NaNs would otherwise break the whole chart).
 *
 * <pre>{@code
 * new LinePlot("Training loss", "step", "loss").series("train", steps, losses).logY().write(dir.resolve("loss.png"));
 * }</pre>
 */
public final class LinePlot {
    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final Map<String, double[][]> series = new LinkedHashMap<>();
    private final Map<String, Style> styles = new LinkedHashMap<>();
    private final List<double[]> verticalMarks = new ArrayList<>();
    private final List<String> markLabels = new ArrayList<>();
    private boolean logX;
    private boolean logY;
    private boolean markers;
    private boolean roundXTicks;
    private int width = 800;
    private int height = 500;

    public LinePlot(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    public LinePlot series(String name, double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException(name + ": " + x.length + " x values, " + y.length + " y values");
        }
        series.put(name, new double[][] {x.clone(), y.clone()});
        return this;
    }

    /**
     * The series' names (legends), in the order added.
     *
     * @return the names
     */
    public java.util.List<String> seriesNames() {
        return new ArrayList<>(series.keySet());
    }

    /**
     * How one series is drawn, where the default (the theme's next colour, solid) will not do; {@code point}: a
     * diamond without a line ({@link #point}).
     */
    private record Style(Color colour, boolean dashed, boolean marker, boolean point) {
    }

    /**
     * A series in {@code colour}, solid or dashed, with or without a marker at every point (whatever {@link
     * #markers()} says for the others): a measured curve and its prediction in one colour, say.
     */
    public LinePlot series(String name, double[] x, double[] y, Color colour, boolean dashed, boolean marker) {
        series(name, x, y);
        styles.put(name, new Style(colour, dashed, marker, false));
        return this;
    }

    /**
     * One marked point, drawn as a diamond in {@code colour} over the lines, with its own legend entry {@code name}
     * (a recommended batch size, say).
     */
    public LinePlot point(String name, double x, double y, Color colour) {
        series(name, new double[] {x}, new double[] {y});
        styles.put(name, new Style(colour, false, true, true));
        return this;
    }

    public LinePlot logX() {
        logX = true;
        return this;
    }

    public LinePlot logY() {
        logY = true;
        return this;
    }

    /**
     * X ticks at round numbers (0, 250, 500, …) also where the series' x values are evenly spaced (steps 0, 1, 2,
     * …): there XChart 3.8 ticks every k-th data point, the smallest k whose labels clear each other by a tenth of a
     * label, and long labels run together ("1,0781,232" on 2000 steps). One invisible point off the even spacing
     * sends XChart to its round-number ticks instead. Always so on a linear x axis; on a narrow log x axis (drawn as
     * log10) it trades ticks at evenly spaced data (batch sizes 32, 64, 128, 256) for ticks at round powers.
     */
    public LinePlot roundXTicks() {
        roundXTicks = true;
        return this;
    }

    /** Draws a marker at every point (for sparse series such as one point per batch size). */
    public LinePlot markers() {
        markers = true;
        return this;
    }

    /** A vertical line at x, in the legend as "x = 0.25". */
    public LinePlot verticalLine(double x) {
        return verticalLine(x, "x = " + TickFormat.human(x, 4));
    }

    /**
     * A dashed grey vertical line at x (a saturation point, a critical batch size), in the legend as {@code label};
     * lines with the same label share one legend entry.
     */
    public LinePlot verticalLine(double x, String label) {
        verticalMarks.add(new double[] {x});
        markLabels.add(label);
        return this;
    }

    public LinePlot size(int w, int h) {
        width = w;
        height = h;
        return this;
    }

    /**
     * Draws the chart and writes it atomically through {@link ReportFiles}: true when written; false, after one
     * warning line on stderr, when it could not be drawn or written (never an exception: a chart cannot lose a run).
     */
    public boolean write(Path png) {
        return ReportFiles.writePng(png, () -> BitmapEncoder.getBitmapBytes(chart(), BitmapEncoder.BitmapFormat.PNG));
    }

    /**
     * The XChart chart, every text in {@link ChartFonts}. Tick labels are rounded for humans ({@link TickFormat}). A
     * log axis holding three or more powers of 10 is XChart's (labelled at the powers of 10); a narrower one would
     * show two labels or fewer there, so its values are drawn as log10 on a linear axis whose ticks are labelled
     * with 10^t (1, 1.58, 2.5, 4, 6.31, 10), still a log scale.
     */
    XYChart chart() {
        XYChart chart = ChartFonts.xyChart(width, height, title, xLabel, yLabel);
        boolean anyMarks = false;
        for (double[] v : verticalMarks) {
            anyMarks |= Double.isFinite(v[0]) && (!logX || v[0] > 0);
        }
        chart.getStyler().setLegendVisible(series.size() > 1 || anyMarks);
        // Each log axis: XChart's own where it labels three decades or more, else log10 values on a linear axis.
        double[] rx = positiveRange(0, true);
        double[] ry = positiveRange(1, false);
        // A constant series has no scale to show: its y axis is linear (padded below) even where log was asked.
        boolean yLog = logY && !(ry[0] == ry[1]);
        boolean transformX = logX && decadesWithin(rx) < 3;
        boolean transformY = yLog && decadesWithin(ry) < 3;
        chart.getStyler().setXAxisLogarithmic(logX && !transformX);
        chart.getStyler().setYAxisLogarithmic(yLog && !transformY);
        double spanX = Math.log10(rx[1] / rx[0]);
        double spanY = Math.log10(ry[1] / ry[0]);
        if (!(logX && !transformX)) {
            chart.getStyler().setxAxisTickLabelsFormattingFunction(transformX ? t -> TickFormat.power(t, spanX)
                    : TickFormat::human);
        }
        if (!(yLog && !transformY)) {
            chart.getStyler().setyAxisTickLabelsFormattingFunction(transformY ? t -> TickFormat.power(t, spanY)
                    : TickFormat::human);
        }
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        boolean any = false;
        List<List<Double>> first = null;
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            double[] x = e.getValue()[0];
            double[] y = e.getValue()[1];
            for (int i = 0; i < x.length; i++) {
                boolean ok = Double.isFinite(x[i]) && Double.isFinite(y[i]) && (!logX || x[i] > 0)
                        && (!logY || y[i] > 0);
                if (ok) {
                    double px = transformX ? Math.log10(x[i]) : x[i];
                    double py = transformY ? Math.log10(y[i]) : y[i];
                    xs.add(px);
                    ys.add(py);
                    yMin = Math.min(yMin, py);
                    yMax = Math.max(yMax, py);
                }
            }
            if (xs.isEmpty()) {
                continue;
            }
            any = true;
            if (first == null) {
                first = List.of(xs, ys);
            }
            XYSeries s = chart.addSeries(e.getKey(), xs, ys);
            Style style = styles.get(e.getKey());
            s.setMarker((style == null ? markers : style.marker()) ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
            if (style != null && style.point()) {
                s.setMarker(SeriesMarkers.DIAMOND);
                s.setMarkerColor(style.colour());
                s.setLineStyle(SeriesLines.NONE);
            } else if (style != null) {
                s.setLineColor(style.colour());
                s.setMarkerColor(style.colour());
                s.setLineStyle(style.dashed() ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER,
                        10f, new float[] {7f, 5f}, 0f) : new BasicStroke(2f));
            }
        }
        if ((roundXTicks || !logX) && first != null && first.get(0).size() >= 2) {
            // Halfway between the first two x values, at the first y: inside the ranges, drawn as nothing.
            double x = (first.get(0).get(0) + first.get(0).get(1)) / 2;
            XYSeries s = chart.addSeries("round x ticks", new double[] {x}, new double[] {first.get(1).get(0)});
            s.setMarker(SeriesMarkers.NONE);
            s.setLineStyle(SeriesLines.NONE);
            s.setShowInLegend(false);
        }
        if (any && yMax == yMin && first != null && (transformY || !yLog)) {
            // A constant series (a constant learning rate): XChart gives a zero-height axis one tick. An invisible
            // point pair ±5% around it (±0.05 decades on a log axis) gives the axis a range and its labels.
            double pad = transformY ? 0.05 : yMin == 0 ? 1 : 0.05 * Math.abs(yMin);
            double x0 = first.get(0).get(0);
            XYSeries s = chart.addSeries("flat y range", new double[] {x0, x0},
                    new double[] {yMin - pad, yMax + pad});
            s.setMarker(SeriesMarkers.NONE);
            s.setLineStyle(SeriesLines.NONE);
            s.setShowInLegend(false);
        }
        if (!any) {
            // XChart refuses an empty chart; an explicit empty series keeps the file and says why.
            chart.setTitle(title + " (no finite values)");
            chart.addSeries("none", new double[] {1}, new double[] {1}).setMarker(SeriesMarkers.NONE);
            yMin = 1;
            yMax = 1;
        }
        java.util.Set<String> labelled = new java.util.HashSet<>();
        int k = 0;
        for (int m = 0; m < verticalMarks.size(); m++) {
            double v = verticalMarks.get(m)[0];
            if (!any || !Double.isFinite(v) || (logX && v <= 0)) {
                continue;
            }
            double px = transformX ? Math.log10(v) : v;
            String label = markLabels.get(m);
            boolean first1 = labelled.add(label) && !series.containsKey(label);
            XYSeries s = chart.addSeries(first1 ? label : "mark " + (++k) + " " + label, new double[] {px, px},
                    new double[] {yMin, yMax});
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(Color.GRAY);
            s.setLineStyle(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                    new float[] {6f, 4f}, 0f));
            s.setShowInLegend(first1);
        }
        return chart;
    }

    /** The smallest and largest positive finite value on axis 0 (x, with the vertical marks) or 1 (y). */
    private double[] positiveRange(int axis, boolean withMarks) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double[][] xy : series.values()) {
            for (int i = 0; i < xy[0].length; i++) {
                double v = xy[axis][i];
                double other = xy[1 - axis][i];
                if (v > 0 && Double.isFinite(v) && Double.isFinite(other)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (withMarks) {
            for (double[] v : verticalMarks) {
                if (v[0] > 0 && Double.isFinite(v[0])) {
                    lo = Math.min(lo, v[0]);
                    hi = Math.max(hi, v[0]);
                }
            }
        }
        return new double[] {lo, hi};
    }

    private static int decadesWithin(double[] range) {
        return decadesWithin(range[0], range[1]);
    }

    /** How many powers of 10 lie in [lo, hi] (both positive). */
    static int decadesWithin(double lo, double hi) {
        if (!(lo > 0) || !(hi >= lo)) {
            return 0;
        }
        // A hair of slack so that a bound of exactly 10^k (0.1 is not exact in binary) counts.
        return (int) (Math.floor(Math.log10(hi) + 1e-12) - Math.ceil(Math.log10(lo) - 1e-12) + 1);
    }
}
