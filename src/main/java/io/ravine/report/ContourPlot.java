package io.ravine.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Point2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A PNG contour plot of a function sampled on a grid, with a trajectory drawn over it: the picture of the lectures'
 * cost surfaces (Grosse §2, Figure 2a) and of Goodfellow et al.'s 2-D loss-surface slices. Drawn with Java2D into a
 * {@link BufferedImage} (no display needed), every text in {@link ChartFonts}, and written atomically.
 *
 * <p>Colour is viridis over c(z) = log(z − z_min + 1), which spreads the floor of a ravine over as many colours as
 * its walls; the iso-lines (marching squares on the grid cells, linear interpolation along cell edges) sit at
 * evenly spaced values of c. Grid points that are not finite are drawn grey.
 *
 * <pre>{@code
 * new ContourPlot("Rosenbrock", "x", "y").grid(xs, ys, z).trajectory(px, py)
 *         .marker(px[0], py[0], "start").write(dir.resolve("contour.png"));
 * }</pre>
 */
public final class ContourPlot {
    /** The trajectory's colour (absent from viridis, so it reads over every part of the map). */
    public static final Color TRAJECTORY = new Color(230, 25, 45);
    private static final Color NOT_FINITE = new Color(170, 170, 170);
    private static final int LEFT = 80;
    private static final int RIGHT = 110;
    private static final int TOP = 46;
    private static final int BOTTOM = 60;

    /** Viridis anchors (matplotlib's, every 1/8), interpolated linearly between. */
    private static final int[][] VIRIDIS = {
        {68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142}, {33, 144, 141},
        {39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37}};

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private double[] xs;
    private double[] ys;
    private double[][] z;
    private int levels = 14;
    private int width = 800;
    private int height = 640;
    private String colourLabel = "";
    private final List<Curve> trajectories = new ArrayList<>();
    private final List<Marker> markers = new ArrayList<>();
    private final List<Curve> legend = new ArrayList<>();
    /** Every text of the last {@link #render()}, with its box: the layout the tests read back. */
    private final List<DrawnText> drawn = new ArrayList<>();

    private record Marker(double x, double y, String label, Color fill) {
    }

    /** A drawn path (or, in the legend, a swatch with its text in {@code label}). */
    private record Curve(double[] x, double[] y, Color colour, boolean dashed, String label) {
    }

    public ContourPlot(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /**
     * The sampled function: {@code z[j][i]} is its value at ({@code xs[i]}, {@code ys[j]}); both axes strictly
     * increasing, at least two points each.
     */
    public ContourPlot grid(double[] xs, double[] ys, double[][] z) {
        SampledGrid g = SampledGrid.of(xs, ys, z);
        this.xs = g.xs();
        this.ys = g.ys();
        this.z = g.z();
        return this;
    }

    /** Number of iso-lines (default 14). */
    public ContourPlot levels(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("negative number of levels");
        }
        levels = n;
        return this;
    }

    /** The name of the plotted quantity, shown over the colour bar. */
    public ContourPlot colourLabel(String label) {
        colourLabel = label;
        return this;
    }

    /** A path drawn as a polyline over the map; parts outside the plotted range are clipped. */
    public ContourPlot trajectory(double[] x, double[] y) {
        return trajectory(x, y, TRAJECTORY, false);
    }

    /** A path in {@code colour}, solid or dashed (a second optimizer, a control experiment). */
    public ContourPlot trajectory(double[] x, double[] y, Color colour, boolean dashed) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("trajectory has " + x.length + " x and " + y.length + " y values");
        }
        trajectories.add(new Curve(x.clone(), y.clone(), colour, dashed, null));
        return this;
    }

    /** A legend line, top left inside the map: a swatch of {@code colour} (dashed or not) and its text. */
    public ContourPlot legend(String text, Color colour, boolean dashed) {
        legend.add(new Curve(null, null, colour, dashed, text));
        return this;
    }

    /** A labelled white marker (a start point, θ₀). */
    public ContourPlot marker(double x, double y, String label) {
        markers.add(new Marker(x, y, label, Color.WHITE));
        return this;
    }

    /** A labelled marker in the trajectory's colour (an end point, θ₁). */
    public ContourPlot endMarker(double x, double y, String label) {
        markers.add(new Marker(x, y, label, TRAJECTORY));
        return this;
    }

    public ContourPlot size(int w, int h) {
        if (w < LEFT + RIGHT + 50 || h < TOP + BOTTOM + 50) {
            throw new IllegalArgumentException("plot size " + w + "×" + h + " is too small");
        }
        width = w;
        height = h;
        return this;
    }

    /** Where the data point (x, y) lands in the image, in pixels (x right, y down). */
    public Point2D toPixel(double x, double y) {
        requireGrid();
        double px = LEFT + (x - xs[0]) / (xs[xs.length - 1] - xs[0]) * plotWidth();
        double py = TOP + plotHeight() - (y - ys[0]) / (ys[ys.length - 1] - ys[0]) * plotHeight();
        return new Point2D.Double(px, py);
    }

    /** The picture. */
    public BufferedImage render() {
        requireGrid();
        drawn.clear();
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            double[][] c = transformed();
            double[] range = finiteRange(c);
            drawMap(img, c, range);
            drawIsoLines(g, c, range);
            drawTrajectories(g);
            // The legend under the markers: a minimum or a start point stays visible where the legend must sit.
            drawLegend(g);
            drawMarkers(g);
            drawAxes(g);
            drawColourBar(g, range);
        } finally {
            g.dispose();
        }
        ReportFiles.painted.accept(this);
        return img;
    }

    /**
     * Renders and writes the PNG atomically (directories created as needed) through {@link ReportFiles}: true when
     * written; false, after one warning line on stderr, when it could not be (never an exception).
     */
    public boolean write(Path png) {
        return ReportFiles.writePng(png, () -> SampledGrid.png(render()));
    }

    // ---- drawing ----

    private int plotWidth() {
        return width - LEFT - RIGHT;
    }

    private int plotHeight() {
        return height - TOP - BOTTOM;
    }

    private double zMin() {
        double m = Double.POSITIVE_INFINITY;
        for (double[] row : z) {
            for (double v : row) {
                if (Double.isFinite(v)) {
                    m = Math.min(m, v);
                }
            }
        }
        return m;
    }

    /** c = log(z − z_min + 1), NaN where z is not finite. */
    private double[][] transformed() {
        double min = zMin();
        double[][] c = new double[z.length][];
        for (int j = 0; j < z.length; j++) {
            c[j] = new double[z[j].length];
            for (int i = 0; i < z[j].length; i++) {
                c[j][i] = Double.isFinite(z[j][i]) ? Math.log1p(z[j][i] - min) : Double.NaN;
            }
        }
        return c;
    }

    static double[] finiteRange(double[][] c) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double[] row : c) {
            for (double v : row) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (!(lo <= hi)) {
            return new double[] {0, 1};
        }
        // A constant map (a dead network's loss) in the middle colour, its value in the middle of the colour bar.
        return hi > lo ? new double[] {lo, hi} : new double[] {lo - 0.5, lo + 0.5};
    }

    private void drawMap(BufferedImage img, double[][] c, double[] range) {
        int pw = plotWidth();
        int ph = plotHeight();
        double x0 = xs[0];
        double x1 = xs[xs.length - 1];
        double y0 = ys[0];
        double y1 = ys[ys.length - 1];
        for (int py = 0; py < ph; py++) {
            double y = y1 - (py + 0.5) / ph * (y1 - y0);
            for (int px = 0; px < pw; px++) {
                double x = x0 + (px + 0.5) / pw * (x1 - x0);
                double v = interpolate(c, x, y);
                Color col = Double.isFinite(v) ? viridis((v - range[0]) / (range[1] - range[0])) : NOT_FINITE;
                img.setRGB(LEFT + px, TOP + py, col.getRGB());
            }
        }
    }

    /** Bilinear interpolation of the grid at (x, y). */
    private double interpolate(double[][] c, double x, double y) {
        int i = cell(xs, x);
        int j = cell(ys, y);
        double tx = (x - xs[i]) / (xs[i + 1] - xs[i]);
        double ty = (y - ys[j]) / (ys[j + 1] - ys[j]);
        return (1 - ty) * ((1 - tx) * c[j][i] + tx * c[j][i + 1]) + ty * ((1 - tx) * c[j + 1][i] + tx * c[j + 1][i + 1]);
    }

    /** The index i with a[i] ≤ v ≤ a[i+1], clamped to the grid. */
    private static int cell(double[] a, double v) {
        int lo = 0;
        int hi = a.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (a[mid] <= v) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    static Color viridis(double t) {
        double s = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
        int k = Math.min((int) s, VIRIDIS.length - 2);
        double f = s - k;
        int[] a = VIRIDIS[k];
        int[] b = VIRIDIS[k + 1];
        return new Color((int) Math.round(a[0] + f * (b[0] - a[0])), (int) Math.round(a[1] + f * (b[1] - a[1])),
                (int) Math.round(a[2] + f * (b[2] - a[2])));
    }

    /** Marching squares: in each cell, the level crosses the edges whose ends lie on opposite sides of it. */
    private void drawIsoLines(Graphics2D g, double[][] c, double[] range) {
        if (levels == 0) {
            return;
        }
        g.setClip(LEFT, TOP, plotWidth(), plotHeight());
        g.setStroke(new BasicStroke(1f));
        g.setColor(new Color(255, 255, 255, 120));
        for (int k = 0; k < levels; k++) {
            double level = range[0] + (k + 0.5) / levels * (range[1] - range[0]);
            for (int j = 0; j + 1 < ys.length; j++) {
                for (int i = 0; i + 1 < xs.length; i++) {
                    double[] corner = {c[j][i], c[j][i + 1], c[j + 1][i + 1], c[j + 1][i]};
                    double[][] pos = {{xs[i], ys[j]}, {xs[i + 1], ys[j]}, {xs[i + 1], ys[j + 1]}, {xs[i], ys[j + 1]}};
                    List<Point2D> cross = new ArrayList<>(4);
                    boolean finite = true;
                    for (double v : corner) {
                        finite &= Double.isFinite(v);
                    }
                    if (!finite) {
                        continue;
                    }
                    for (int e = 0; e < 4; e++) {
                        double a = corner[e] - level;
                        double b = corner[(e + 1) % 4] - level;
                        if ((a < 0) != (b < 0)) {
                            double t = a / (a - b);
                            double[] p = pos[e];
                            double[] q = pos[(e + 1) % 4];
                            cross.add(toPixel(p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])));
                        }
                    }
                    // Two crossings: one segment; four (a saddle cell): pair them in edge order.
                    for (int s = 0; s + 1 < cross.size(); s += 2) {
                        g.draw(new Line2D.Double(cross.get(s), cross.get(s + 1)));
                    }
                }
            }
        }
        g.setClip(null);
    }

    private void drawTrajectories(Graphics2D g) {
        g.setClip(LEFT, TOP, plotWidth(), plotHeight());
        double[] box = {xs[0], xs[xs.length - 1], ys[0], ys[ys.length - 1]};
        for (Curve t : trajectories) {
            double[] x = t.x();
            double[] y = t.y();
            g.setStroke(stroke(t.dashed()));
            g.setColor(t.colour());
            for (int k = 0; k + 1 < x.length; k++) {
                double[] seg = clip(x[k], y[k], x[k + 1], y[k + 1], box);
                if (seg != null) {
                    g.draw(new Line2D.Double(toPixel(seg[0], seg[1]), toPixel(seg[2], seg[3])));
                }
            }
            if (x.length <= 120 && !t.dashed()) {
                for (int k = 0; k < x.length; k++) {
                    if (inside(x[k], y[k], box)) {
                        Point2D p = toPixel(x[k], y[k]);
                        g.fill(new Ellipse2D.Double(p.getX() - 2.5, p.getY() - 2.5, 5, 5));
                    }
                }
            }
        }
        g.setClip(null);
    }

    /** Whether the data point (px, py) falls in the w × h pixel box at {@code corner}. */
    private boolean covers(int[] corner, int w, int h, double px, double py) {
        if (!Double.isFinite(px) || !Double.isFinite(py)) {
            return false;
        }
        Point2D p = toPixel(px, py);
        return p.getX() >= corner[0] && p.getX() <= corner[0] + w && p.getY() >= corner[1]
                && p.getY() <= corner[1] + h;
    }

    private static BasicStroke stroke(boolean dashed) {
        return dashed ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {6f, 4f},
                0f) : new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    }

    /** The legend on a white box, top left inside the map. */
    private void drawLegend(Graphics2D g) {
        if (legend.isEmpty()) {
            return;
        }
        g.setFont(ChartFonts.font(false, 12));
        FontMetrics fm = g.getFontMetrics();
        int w = 0;
        for (Curve e : legend) {
            w = Math.max(w, fm.stringWidth(e.label()));
        }
        int line = fm.getHeight() + 2;
        int boxW = w + 46;
        int boxH = line * legend.size() + 6;
        // The corner of the map whose legend-sized box covers the fewest path points and markers.
        int[][] corners = {{LEFT + 8, TOP + 8}, {LEFT + plotWidth() - 8 - boxW, TOP + 8},
            {LEFT + 8, TOP + plotHeight() - 8 - boxH}, {LEFT + plotWidth() - 8 - boxW, TOP + plotHeight() - 8 - boxH}};
        int x = corners[0][0];
        int y = corners[0][1];
        int fewest = Integer.MAX_VALUE;
        for (int[] c : corners) {
            int n = 0;
            for (Curve t : trajectories) {
                for (int k = 0; k < t.x().length; k++) {
                    n += covers(c, boxW, boxH, t.x()[k], t.y()[k]) ? 1 : 0;
                }
            }
            for (Marker m : markers) {
                // A marker counts with its dot and label around it.
                n += covers(new int[] {c[0] - 14, c[1] - 14}, boxW + 28, boxH + 28, m.x, m.y) ? 100 : 0;
            }
            if (n < fewest) {
                fewest = n;
                x = c[0];
                y = c[1];
            }
        }
        g.setColor(new Color(255, 255, 255, 215));
        g.fillRect(x, y, boxW, boxH);
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(x, y, boxW, boxH);
        for (int k = 0; k < legend.size(); k++) {
            Curve e = legend.get(k);
            int cy = y + 4 + k * line + line / 2;
            Color c = e.colour();
            // A white path shows on the white box by a dark outline.
            if (c.getRed() + c.getGreen() + c.getBlue() > 600) {
                g.setColor(Color.DARK_GRAY);
                g.setStroke(new BasicStroke(4.5f));
                g.draw(new Line2D.Double(x + 6, cy, x + 32, cy));
            }
            g.setColor(c);
            g.setStroke(stroke(e.dashed()));
            g.draw(new Line2D.Double(x + 6, cy, x + 32, cy));
            g.setColor(Color.BLACK);
            DrawnText.draw(g, drawn, "legend", e.label(), x + 40, cy + fm.getAscent() / 2 - 1);
        }
    }

    private void drawMarkers(Graphics2D g) {
        double[] box = {xs[0], xs[xs.length - 1], ys[0], ys[ys.length - 1]};
        g.setFont(ChartFonts.font(true, 14));
        // The labels placed so far and every marker's dot: a label covers neither.
        List<Rectangle> placed = new ArrayList<>();
        for (Marker m : markers) {
            if (inside(m.x, m.y, box)) {
                Point2D p = toPixel(m.x, m.y);
                placed.add(new Rectangle((int) p.getX() - 6, (int) p.getY() - 6, 13, 13));
            }
        }
        for (Marker m : markers) {
            if (!inside(m.x, m.y, box)) {
                continue;
            }
            Point2D p = toPixel(m.x, m.y);
            Ellipse2D dot = new Ellipse2D.Double(p.getX() - 6, p.getY() - 6, 12, 12);
            g.setColor(m.fill);
            g.fill(dot);
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1.5f));
            g.draw(dot);
            if (m.label != null && !m.label.isEmpty()) {
                // White text with a dark outline stays legible on both ends of the colour map.
                Rectangle at = labelBox(p, g.getFontMetrics(), m.label, LEFT + plotWidth(), placed);
                placed.add(at);
                int tx = at.x + 1;
                int ty = at.y + 1 + g.getFontMetrics().getAscent();
                g.setColor(Color.BLACK);
                for (int dx = -1; dx <= 1; dx++) {
                    for (int dy = -1; dy <= 1; dy++) {
                        g.drawString(m.label, tx + dx, ty + dy);
                    }
                }
                g.setColor(Color.WHITE);
                DrawnText.draw(g, drawn, "marker", m.label, tx, ty);
            }
        }
    }

    /**
     * Where a marker's label goes (its outlined text's bounds): above and to the right of the dot, or to its left
     * near the map's right edge ({@code rightEdge}); where that box would overlap something in {@code placed} (the
     * labels drawn so far and the markers' dots: two end points close together), below the dot on the same side,
     * then the other side above and below. If every place overlaps, the first one.
     */
    static Rectangle labelBox(Point2D dot, FontMetrics fm, String label, int rightEdge, List<Rectangle> placed) {
        int w = fm.stringWidth(label) + 2;
        int h = fm.getAscent() + fm.getDescent() + 2;
        int right = (int) dot.getX() + 9 - 1;
        int left = (int) dot.getX() - 9 - w + 1;
        int above = (int) dot.getY() - 8 - fm.getAscent() - 1;
        int below = (int) dot.getY() + 8 - 1;
        // Near the right edge the label goes to the left of its dot, inside the map.
        boolean rightFits = right + w - 1 <= rightEdge;
        int[][] order = rightFits ? new int[][] {{right, above}, {right, below}, {left, above}, {left, below}}
                : new int[][] {{left, above}, {left, below}, {right, above}, {right, below}};
        for (int[] c : order) {
            Rectangle r = new Rectangle(c[0], c[1], w, h);
            if (placed.stream().noneMatch(r::intersects)) {
                return r;
            }
        }
        return new Rectangle(order[0][0], order[0][1], w, h);
    }

    private void drawAxes(Graphics2D g) {
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(LEFT, TOP, plotWidth(), plotHeight());
        g.setFont(ChartFonts.font(false, 12));
        FontMetrics fm = g.getFontMetrics();
        List<Double> xTicks = niceTicks(xs[0], xs[xs.length - 1], 7);
        for (double t : xTicks) {
            Point2D p = toPixel(t, ys[0]);
            int px = (int) Math.round(p.getX());
            g.drawLine(px, TOP + plotHeight(), px, TOP + plotHeight() + 5);
            String s = tickLabel(t, xTicks);
            DrawnText.draw(g, drawn, "x", s, px - fm.stringWidth(s) / 2, TOP + plotHeight() + 8 + fm.getAscent());
        }
        List<Double> yTicks = niceTicks(ys[0], ys[ys.length - 1], 7);
        for (double t : yTicks) {
            Point2D p = toPixel(xs[0], t);
            int py = (int) Math.round(p.getY());
            g.drawLine(LEFT - 5, py, LEFT, py);
            String s = tickLabel(t, yTicks);
            DrawnText.draw(g, drawn, "y", s, LEFT - 8 - fm.stringWidth(s), py + fm.getAscent() / 2 - 1);
        }
        g.setFont(ChartFonts.font(false, 14));
        fm = g.getFontMetrics();
        DrawnText.draw(g, drawn, "x title", xLabel, LEFT + (plotWidth() - fm.stringWidth(xLabel)) / 2, height - 14);
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        int along = -(TOP + (plotHeight() + fm.stringWidth(yLabel)) / 2);
        rotated.drawString(yLabel, along, 20);
        rotated.dispose();
        // Turned by −90°: the baseline runs up the image at x = 20, the glyphs' tops to its left.
        drawn.add(new DrawnText("y title", yLabel, new java.awt.geom.Rectangle2D.Double(20 - fm.getAscent(),
                -along - fm.stringWidth(yLabel), fm.getAscent() + fm.getDescent(), fm.stringWidth(yLabel))));
        fitTitle(g, title, width);
        fm = g.getFontMetrics();
        // The title above the colour bar's label (at TOP − 6): 20 px apart, their boxes do not meet.
        DrawnText.draw(g, drawn, "title", title, Math.max(4, (width - fm.stringWidth(title)) / 2), TOP - 26);
    }

    /** Bold 16 pt, or smaller (down to 10 pt) until {@code title} fits in {@code width} less 8 pixels. */
    static void fitTitle(Graphics2D g, String title, int width) {
        for (float size = 16; ; size -= 1) {
            g.setFont(ChartFonts.font(true, size));
            if (size <= 10 || g.getFontMetrics().stringWidth(title) <= width - 8) {
                return;
            }
        }
    }

    private void drawColourBar(Graphics2D g, double[] range) {
        int x = LEFT + plotWidth() + 20;
        int w = 18;
        int ph = plotHeight();
        for (int py = 0; py < ph; py++) {
            double t = 1 - (py + 0.5) / ph;
            g.setColor(viridis(t));
            g.fillRect(x, TOP + py, w, 1);
        }
        g.setColor(Color.BLACK);
        g.drawRect(x, TOP, w, ph);
        g.setFont(ChartFonts.font(false, 11));
        FontMetrics fm = g.getFontMetrics();
        double min = zMin();
        if (!Double.isFinite(min)) {
            return;
        }
        // Ticks at evenly spaced colours, labelled with the value of z there: z = z_min + e^c − 1.
        double[] values = new double[6];
        for (int k = 0; k < values.length; k++) {
            values[k] = min + Math.expm1(range[0] + k / 5.0 * (range[1] - range[0]));
        }
        List<String> labels = significant(values);
        for (int k = 0; k < values.length; k++) {
            int py = (int) Math.round(TOP + (1 - k / 5.0) * ph);
            g.drawLine(x + w, py, x + w + 4, py);
            DrawnText.draw(g, drawn, "colour", labels.get(k), x + w + 6, py + fm.getAscent() / 2 - 1);
        }
        if (!colourLabel.isEmpty()) {
            DrawnText.draw(g, drawn, "colour title", colourLabel, x - 4, TOP - 6);
        }
    }

    // ---- geometry and labels ----

    private static boolean inside(double x, double y, double[] box) {
        return x >= box[0] && x <= box[1] && y >= box[2] && y <= box[3];
    }

    /**
     * Liang–Barsky clipping of the segment (x0, y0)–(x1, y1) to the box; null when it misses the box or is not
     * finite. Clipping in data coordinates keeps a diverging trajectory (values near 1e300) away from Java2D.
     */
    static double[] clip(double x0, double y0, double x1, double y1, double[] box) {
        if (!(Double.isFinite(x0) && Double.isFinite(y0) && Double.isFinite(x1) && Double.isFinite(y1))) {
            return null;
        }
        double dx = x1 - x0;
        double dy = y1 - y0;
        double[] p = {-dx, dx, -dy, dy};
        double[] q = {x0 - box[0], box[1] - x0, y0 - box[2], box[3] - y0};
        double t0 = 0;
        double t1 = 1;
        for (int k = 0; k < 4; k++) {
            if (p[k] == 0) {
                if (q[k] < 0) {
                    return null;
                }
            } else {
                double r = q[k] / p[k];
                if (p[k] < 0) {
                    t0 = Math.max(t0, r);
                } else {
                    t1 = Math.min(t1, r);
                }
            }
        }
        if (t0 > t1) {
            return null;
        }
        return new double[] {x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy};
    }

    /** Ticks at 1, 2 or 5 × 10^k spacing, about {@code target} of them inside [lo, hi]. */
    static List<Double> niceTicks(double lo, double hi, int target) {
        double span = hi - lo;
        double raw = span / target;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = mag;
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * mag >= raw) {
                step = m * mag;
                break;
            }
        }
        List<Double> ticks = new ArrayList<>();
        for (long k = (long) Math.ceil(lo / step - 1e-9); k * step <= hi + 1e-9 * step; k++) {
            // Rounded to 12 digits, so that 3 × 0.1 is the tick 0.3 and not 0.30000000000000004.
            ticks.add(k == 0 ? 0.0 : Double.parseDouble(String.format(Locale.ROOT, "%.12g", k * step)));
        }
        return ticks;
    }

    /**
     * Colour-bar labels: the values rounded for humans to 3 significant digits, or more (up to 6) where fewer would
     * print two of them alike (a nearly flat map).
     */
    static List<String> significant(double[] values) {
        List<String> out = new ArrayList<>();
        for (int digits = 3; digits <= 6; digits++) {
            out.clear();
            for (double v : values) {
                out.add(TickFormat.human(v, digits));
            }
            if (new java.util.HashSet<>(out).size() == out.size()) {
                break;
            }
        }
        return out;
    }

    /**
     * A tick label: the tick's value (a round number) without float noise, in the notation of its axis' {@code
     * ticks} (0.0005 beside 0.001, not 5e-04; {@link TickFormat#plain}).
     */
    static String tickLabel(double v, List<Double> ticks) {
        boolean plain = TickFormat.plain(ticks.get(0), ticks.get(ticks.size() - 1));
        return TickFormat.human(v == 0 ? 0 : v, 6, plain);
    }

    /** The picture's size in pixels. */
    java.awt.Dimension imageSize() {
        return new java.awt.Dimension(width, height);
    }

    /** Every text the last {@link #render()} drew, with its box, in drawing order. */
    List<DrawnText> drawnTexts() {
        return List.copyOf(drawn);
    }

    /** The paths' styles (colour and dash), one per {@link #trajectory} call, as the legend would show them. */
    List<String> pathStyles() {
        return trajectories.stream().map(c -> style(c.colour(), c.dashed())).toList();
    }

    /** The legend's swatches' styles, in the form of {@link #pathStyles()}. */
    List<String> legendStyles() {
        return legend.stream().map(c -> style(c.colour(), c.dashed())).toList();
    }

    private static String style(Color c, boolean dashed) {
        return String.format(Locale.ROOT, "#%06x%s", c.getRGB() & 0xffffff, dashed ? " dashed" : "");
    }

    private void requireGrid() {
        if (z == null) {
            throw new IllegalStateException("no grid: call grid(xs, ys, z) first");
        }
    }
}
