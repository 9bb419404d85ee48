package io.ravine.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    private boolean integerX;
    private boolean integerY;
    private final List<Double> includeY = new ArrayList<>();
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

    /** The shape of the marker of a series drawn as points ({@link #points}). */
    public enum Shape {
        CIRCLE, DIAMOND, CROSS
    }

    /** How one series is drawn, where the default (the theme's next colour, solid) will not do. */
    private record Style(Color colour, boolean dashed, boolean marker, boolean line, Shape shape) {
    }

    /**
     * A series in {@code colour}, solid or dashed, with or without a marker at every point (whatever {@link
     * #markers()} says for the others): a measured curve and its prediction in one colour, say.
     */
    public LinePlot series(String name, double[] x, double[] y, Color colour, boolean dashed, boolean marker) {
        series(name, x, y);
        styles.put(name, new Style(colour, dashed, marker, true, Shape.CIRCLE));
        return this;
    }

    /**
     * One marked point, drawn as a diamond in {@code colour} over the lines, with its own legend entry {@code name}
     * (a recommended batch size, say).
     *
     * @param name the legend's entry
     * @param x the point's x
     * @param y the point's y
     * @param colour the marker's colour
     * @return this plot
     */
    public LinePlot point(String name, double x, double y, Color colour) {
        return points(name, new double[] {x}, new double[] {y}, colour, Shape.DIAMOND);
    }

    /**
     * A series drawn as points only, no line between them (every run of a sweep, the diverged ones), in {@code
     * colour} and {@code shape}.
     *
     * @param name the legend's entry
     * @param x the x values
     * @param y the y values
     * @param colour the markers' colour
     * @param shape the markers' shape
     * @return this plot
     */
    public LinePlot points(String name, double[] x, double[] y, Color colour, Shape shape) {
        series(name, x, y);
        styles.put(name, new Style(colour, false, true, false, shape));
        return this;
    }

    /**
     * Ticks on the x axis at whole numbers only (a rank, an index), at least three of them: the axis is widened
     * around the data where it would hold fewer.
     *
     * @return this plot
     */
    public LinePlot integerX() {
        integerX = true;
        return this;
    }

    /**
     * Ticks on the y axis at whole numbers only (a count), at least three of them: the axis is widened around the
     * data where it would hold fewer.
     *
     * @return this plot
     */
    public LinePlot integerY() {
        integerY = true;
        return this;
    }

    /**
     * The y axis reaches {@code y} (0 for a count that starts there), wherever the data lie.
     *
     * @param y a value the y axis must show
     * @return this plot
     */
    public LinePlot includeY(double y) {
        includeY.add(y);
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
     * lines with the same label share one legend entry and its dash pattern, lines of other labels get others.
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
        return ReportFiles.writePng(png, () -> ChartFonts.png(chart()));
    }

    /** A log axis is asked over less than this factor: it is drawn linear (log and linear look alike there). */
    static final double NARROW_LOG = 1.2;
    /** A linear y axis spanning less than this fraction of its largest value shows differences from its first. */
    static final double OFFSET_SPAN = 1e-4;

    /**
     * The XChart chart, every text in {@link ChartFonts}. Tick labels are rounded for humans ({@link TickFormat}). A
     * log axis holding three or more powers of 10 is XChart's (labelled at the powers of 10); a narrower one would
     * show two labels or fewer there, so its values are drawn as log10 on a linear axis whose ticks are labelled
     * with 10^t (1, 1.58, 2.5, 4, 6.31, 10), still a log scale; one over less than a factor of {@value #NARROW_LOG}
     * is linear. Where XChart would give an axis fewer than three labels, invisible points widen or break up its
     * range: a constant series (its range padded), a single x value (likewise), a few evenly spaced y values
     * (XChart would tick those values only), a whole-number axis ({@link #integerX}) holding fewer than three
     * whole numbers. A linear y axis whose values agree in their first 5 digits (J along a nearly flat line: labels
     * would need 10 digits) shows their differences from the first value y₀, its title saying so.
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
        boolean yLog = logY && ry[1] >= NARROW_LOG * ry[0];
        boolean transformX = logX && decadesWithin(rx) < 3;
        // Whole-number ticks on a linear axis only.
        boolean intX = integerX && !logX;
        boolean intY = integerY && !yLog;
        boolean transformY = yLog && decadesWithin(ry) < 3;
        chart.getStyler().setXAxisLogarithmic(logX && !transformX);
        chart.getStyler().setYAxisLogarithmic(yLog && !transformY);
        // The points drawn, per series, in the axes' coordinates (log10 where transformed).
        Map<String, double[][]> drawn = new LinkedHashMap<>();
        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            double[] x = e.getValue()[0];
            double[] y = e.getValue()[1];
            List<double[]> pts = new ArrayList<>();
            for (int i = 0; i < x.length; i++) {
                boolean ok = Double.isFinite(x[i]) && Double.isFinite(y[i]) && (!logX || x[i] > 0)
                        && (!logY || y[i] > 0);
                if (ok) {
                    double px = transformX ? Math.log10(x[i]) : x[i];
                    double py = transformY ? Math.log10(y[i]) : y[i];
                    pts.add(new double[] {px, py});
                    xMin = Math.min(xMin, px);
                    xMax = Math.max(xMax, px);
                    yMin = Math.min(yMin, py);
                    yMax = Math.max(yMax, py);
                }
            }
            if (!pts.isEmpty()) {
                drawn.put(e.getKey(), new double[][] {pts.stream().mapToDouble(p -> p[0]).toArray(),
                    pts.stream().mapToDouble(p -> p[1]).toArray()});
            }
        }
        boolean any = !drawn.isEmpty();
        if (!any) {
            // XChart refuses an empty chart; an explicit empty series keeps the file and says why.
            chart.setTitle(title + " (no finite values)");
            chart.addSeries("none", new double[] {1}, new double[] {1}).setMarker(SeriesMarkers.NONE);
            return chart;
        }
        for (double v : includeY) {
            if (Double.isFinite(v) && !(yLog && v <= 0)) {
                double pv = transformY ? Math.log10(v) : v;
                yMin = Math.min(yMin, pv);
                yMax = Math.max(yMax, pv);
            }
        }
        // Values that agree in their first 5 digits: drawn as y − y₀, y₀ the first value drawn.
        double y0 = drawn.values().iterator().next()[1][0];
        boolean offset = !yLog && yMax > yMin && yMax - yMin < OFFSET_SPAN * Math.max(Math.abs(yMin),
                Math.abs(yMax));
        if (offset) {
            for (double[][] xy : drawn.values()) {
                for (int i = 0; i < xy[1].length; i++) {
                    xy[1][i] -= y0;
                }
            }
            yMin -= y0;
            yMax -= y0;
            chart.setYAxisTitle(yLabel + " − y₀ (y₀ = " + TickFormat.human(y0, 6) + ", the first value)");
        }
        double[] first = drawn.values().iterator().next()[0];
        double x0 = first[0];
        double firstY = drawn.values().iterator().next()[1][0];
        for (Map.Entry<String, double[][]> e : drawn.entrySet()) {
            XYSeries s = chart.addSeries(e.getKey(), e.getValue()[0], e.getValue()[1]);
            Style style = styles.get(e.getKey());
            s.setMarker((style == null ? markers : style.marker()) ? marker(style) : SeriesMarkers.NONE);
            if (style != null) {
                s.setLineColor(style.colour());
                s.setMarkerColor(style.colour());
                if (!style.line()) {
                    s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                    s.setLineStyle(SeriesLines.NONE);
                } else {
                    s.setLineStyle(style.dashed() ? new BasicStroke(2f, BasicStroke.CAP_BUTT,
                            BasicStroke.JOIN_MITER, 10f, new float[] {7f, 5f}, 0f) : new BasicStroke(2f));
                }
            }
        }
        // Invisible points that give XChart's axes their ranges and labels (see above).
        List<double[]> ghosts = new ArrayList<>();
        if ((roundXTicks || !logX) && first.length >= 2) {
            // Halfway between the first two x values: off the even spacing that would tick the data's x values.
            ghosts.add(new double[] {(first[0] + first[1]) / 2, firstY});
        }
        if (xMax == xMin && (transformX || !logX) && !intX) {
            double pad = transformX ? 0.05 : xMin == 0 ? 1 : 0.05 * Math.abs(xMin);
            ghosts.add(new double[] {xMin - pad, firstY});
            ghosts.add(new double[] {xMax + pad, firstY});
            xMin -= pad;
            xMax += pad;
            if (roundXTicks || !logX) {
                // Off the even spacing of x − pad, x, x + pad, which XChart would tick alone.
                ghosts.add(new double[] {xMin + 0.381966 * (xMax - xMin), firstY});
            }
        }
        if (intX) {
            for (double v : wholeNumberRange(xMin, xMax)) {
                ghosts.add(new double[] {v, firstY});
            }
        }
        boolean linearY = transformY || !yLog;
        if (yMax == yMin && linearY && !intY) {
            // A constant series (a constant learning rate): XChart gives a zero-height axis one tick. Points ±5%
            // around it (±0.05 decades on a log axis) give the axis a range and its labels.
            double pad = transformY ? 0.05 : yMin == 0 ? 1 : 0.05 * Math.abs(yMin);
            ghosts.add(new double[] {x0, yMin - pad});
            ghosts.add(new double[] {x0, yMax + pad});
        }
        for (double v : includeY) {
            if (Double.isFinite(v) && !(yLog && v <= 0)) {
                ghosts.add(new double[] {x0, (transformY ? Math.log10(v) : v) - (offset ? y0 : 0)});
            }
        }
        if (intY) {
            double lo = yMin;
            double hi = yMax;
            for (double[] g : ghosts) {
                lo = Math.min(lo, g[1]);
                hi = Math.max(hi, g[1]);
            }
            for (double v : wholeNumberRange(lo, hi)) {
                ghosts.add(new double[] {x0, v});
            }
        }
        double[] xr = {xMin, xMax};
        double[] yr = {yMin, yMax};
        for (double[] g : ghosts) {
            xr = new double[] {Math.min(xr[0], g[0]), Math.max(xr[1], g[0])};
            yr = new double[] {Math.min(yr[0], g[1]), Math.max(yr[1], g[1])};
        }
        if (linearY && yr[1] > yr[0]) {
            // A few evenly spaced values (0 and 0.5 in a histogram, a count widened to 0, 1, 2): XChart would tick
            // those values alone; one more off their spacing sends it to its round steps.
            ghosts.add(new double[] {x0, yr[0] + 0.381966 * (yr[1] - yr[0])});
        }
        // Tick labels in one notation per axis, over the axis' range (the data's and the invisible points').
        double spanX = Math.log10(rx[1] / rx[0]);
        double spanY = Math.log10(ry[1] / ry[0]);
        if (!(logX && !transformX)) {
            boolean plain = transformX ? TickFormat.plain(Math.pow(10, xr[0]), Math.pow(10, xr[1]))
                    : TickFormat.plain(xr[0], xr[1]);
            chart.getStyler().setxAxisTickLabelsFormattingFunction(transformX ? t -> TickFormat.power(t, spanX,
                    plain) : intX ? LinePlot::wholeNumber : TickFormat.axis(xr[0], xr[1]));
        }
        if (!(yLog && !transformY)) {
            boolean plain = transformY ? TickFormat.plain(Math.pow(10, yr[0]), Math.pow(10, yr[1]))
                    : TickFormat.plain(yr[0], yr[1]);
            chart.getStyler().setyAxisTickLabelsFormattingFunction(transformY ? t -> TickFormat.power(t, spanY,
                    plain) : intY ? LinePlot::wholeNumber : TickFormat.axis(yr[0], yr[1]));
        }
        if (!ghosts.isEmpty()) {
            XYSeries s = chart.addSeries("axis ranges", ghosts.stream().mapToDouble(g -> g[0]).toArray(),
                    ghosts.stream().mapToDouble(g -> g[1]).toArray());
            s.setMarker(SeriesMarkers.NONE);
            s.setLineStyle(SeriesLines.NONE);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setShowInLegend(false);
        }
        // Each label its own dash pattern, so that two marked lines (two devices' saturation points) can be told
        // apart in the legend.
        Map<String, float[]> dashes = new LinkedHashMap<>();
        java.util.Set<String> labelled = new java.util.HashSet<>();
        int k = 0;
        for (int m = 0; m < verticalMarks.size(); m++) {
            double v = verticalMarks.get(m)[0];
            if (!Double.isFinite(v) || (logX && v <= 0)) {
                continue;
            }
            double px = transformX ? Math.log10(v) : v;
            String label = markLabels.get(m);
            boolean first1 = labelled.add(label) && !series.containsKey(label);
            XYSeries s = chart.addSeries(first1 ? label : "mark " + (++k) + " " + label, new double[] {px, px},
                    new double[] {yMin, yMax});
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(Color.GRAY);
            float[] dash = dashes.computeIfAbsent(label, l -> MARK_DASHES[dashes.size() % MARK_DASHES.length]);
            s.setLineStyle(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, dash, 0f));
            s.setShowInLegend(first1);
        }
        return chart;
    }

    /** The dash patterns of marked vertical lines, one per label in turn: dashed, dotted, dash-dotted, long. */
    private static final float[][] MARK_DASHES = {{6f, 4f}, {2f, 3f}, {9f, 3f, 2f, 3f}, {14f, 4f}};

    private static org.knowm.xchart.style.markers.Marker marker(Style style) {
        if (style == null) {
            return SeriesMarkers.CIRCLE;
        }
        return switch (style.shape()) {
            case DIAMOND -> SeriesMarkers.DIAMOND;
            case CROSS -> SeriesMarkers.CROSS;
            default -> SeriesMarkers.CIRCLE;
        };
    }

    /** A tick label on a whole-number axis: the number where the tick is on one, else nothing. */
    static String wholeNumber(double t) {
        double r = Math.rint(t);
        return Math.abs(t - r) < 1e-9 * Math.max(1, Math.abs(t)) ? TickFormat.human(r == 0 ? 0 : r) : "";
    }

    /**
     * Whole numbers that widen [lo, hi] to hold at least three of them (none where it holds three already),
     * around its middle; not below 0 where lo is not (a count, a rank).
     */
    static double[] wholeNumberRange(double lo, double hi) {
        if (Math.floor(hi) - Math.ceil(lo) >= 2) {
            return new double[0];
        }
        double mid = Math.rint((lo + hi) / 2);
        double a = Math.min(Math.ceil(lo), mid - 1);
        double b = Math.max(Math.floor(hi), mid + 1);
        if (lo >= 0 && a < 0) {
            b -= a;
            a = 0;
        }
        return new double[] {a, b};
    }

    /**
     * Draws the charts one above the other into one PNG (panels that share an x axis: an index and λ_min against
     * the loss) and writes it atomically through {@link ReportFiles}: true when written; false, after one warning
     * line on stderr, when it could not be drawn or written (never an exception).
     *
     * @param png the file
     * @param panels the charts, top first; the image is as wide as the widest
     * @return whether the file was written
     */
    public static boolean writeStacked(Path png, LinePlot... panels) {
        return ReportFiles.writePng(png, () -> {
            List<java.awt.image.BufferedImage> images = new ArrayList<>();
            int w = 0;
            int h = 0;
            for (LinePlot p : panels) {
                XYChart c = p.chart();
                java.awt.image.BufferedImage img = org.knowm.xchart.BitmapEncoder.getBufferedImage(c);
                ReportFiles.painted.accept(c);
                images.add(img);
                w = Math.max(w, img.getWidth());
                h += img.getHeight();
            }
            java.awt.image.BufferedImage out = new java.awt.image.BufferedImage(w, h,
                    java.awt.image.BufferedImage.TYPE_INT_RGB);
            java.awt.Graphics2D g = out.createGraphics();
            try {
                g.setColor(Color.WHITE);
                g.fillRect(0, 0, w, h);
                int y = 0;
                for (java.awt.image.BufferedImage img : images) {
                    g.drawImage(img, 0, y, null);
                    y += img.getHeight();
                }
            } finally {
                g.dispose();
            }
            return SampledGrid.png(out);
        });
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
