package io.ravine.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Point2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A PNG surface plot of a function sampled on a grid, seen from above at an angle, with paths drawn on it: the
 * lectures' surface plots (Grosse §2, Figure 1a) and Goodfellow's 3-D loss-surface pictures (the 2015 talk). XChart
 * has no 3-D chart, so this is drawn with Java2D, every text in {@link ChartFonts}, and written atomically through
 * {@link ReportFiles}.
 *
 * <h2>Geometry</h2>
 * The grid's box is mapped to world coordinates X, Y ∈ [−1, 1] and Z ∈ [0, {@value #HEIGHT}], where the height is
 * c(z) = log(z − z_min + 1) scaled to the box (the transform {@link ContourPlot} colours by, so a ravine's floor is
 * not flattened by its walls). The camera turns the world by the azimuth φ about the vertical axis and looks down at
 * the elevation ε:
 * <pre>
 *   X₁ = X cos φ − Y sin φ,   Y₁ = X sin φ + Y cos φ
 *   screen x = X₁,   screen y (up) = Y₁ sin ε + (Z − Z_mid) cos ε,   depth = Y₁ cos ε − (Z − Z_mid) sin ε
 * </pre>
 * (larger depth is farther away). The projection is orthographic by default; {@link #perspective(double)} divides
 * screen x and y by 1 + depth / D for a camera at distance D from the box's centre. The box's eight corners are
 * fitted into the image with one scale for both screen axes.
 *
 * <h2>Drawing</h2>
 * Painter's algorithm: every grid cell is a quadrilateral, and every path is cut into pieces no longer than a cell;
 * all of them are drawn from the farthest to the nearest by the mean depth of their corners, so a near hill hides
 * what lies behind it. A cell's colour is viridis over its mean height (the loss, transformed as above), shaded by
 * Lambert's law with a light from above and behind the viewer: 0.45 + 0.55 max(0, n · l). Cells with a corner that
 * is not finite are left out. Paths are drawn at the heights given (for a loss landscape, the checkpoints' own loss,
 * which lies off the plane's surface where the path leaves the plane), raised by 1% of the box so that a path on the
 * surface is not hidden by the cell it lies on. Markers, axes, ticks and labels come last.
 *
 * <pre>{@code
 * new SurfacePlot("Training loss", "a", "b", "loss").grid(as, bs, loss).path(pa, pb, pl, SurfacePlot.PATH, false)
 *         .marker(0, 0, l0, "θ₀", Color.WHITE).write(dir.resolve("surface.png"));
 * }</pre>
 */
public final class SurfacePlot {
    /** The height of the world box, X and Y spanning 2. */
    static final double HEIGHT = 1.1;
    /** The colour of a path (the one of {@link ContourPlot}, absent from viridis). */
    public static final Color PATH = ContourPlot.TRAJECTORY;
    /** A second path's colour (a control experiment). */
    public static final Color CONTROL = new Color(255, 255, 255);
    private static final int TOP = 46;
    private static final int BOTTOM = 30;
    private static final int LEFT = 30;
    private static final int RIGHT = 30;
    private static final double LIFT = 0.01 * HEIGHT;

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final String zLabel;
    private double[] xs;
    private double[] ys;
    private double[][] z;
    private double azimuth = Math.toRadians(35);
    /** Whether {@link #view} set the azimuth; otherwise it is chosen from the grid (see {@link #prepare}). */
    private boolean azimuthGiven;
    private double elevation = Math.toRadians(32);
    private double distance = Double.POSITIVE_INFINITY;
    private int width = 800;
    private int height = 640;
    private final List<PathSpec> paths = new ArrayList<>();
    private final List<Marker> markers = new ArrayList<>();
    private final List<LegendEntry> legend = new ArrayList<>();
    /** Every text of the last {@link #render()}, with its box: the layout the tests read back. */
    private final List<DrawnText> drawn = new ArrayList<>();
    /** Whether the derived values below are stale (a setter ran since they were computed). */
    private boolean dirty = true;

    // Derived once per render (or per query) from the grid and the view.
    private double zMin;
    private double cMin;
    private double cMax;
    private double scale;
    private double offsetX;
    private double offsetY;

    /** A path; {@code z} null means on the surface (heights from the grid). */
    private record PathSpec(double[] x, double[] y, double[] z, Color colour, boolean dashed) {
    }

    private record Marker(double x, double y, double z, String label, Color fill) {
    }

    private record LegendEntry(String text, Color colour) {
    }

    /** Something to paint: a cell (polygon) or a piece of a path (line), at its depth. */
    private record Piece(double depth, double[] px, double[] py, Color colour, boolean line, boolean dashed) {
    }

    public SurfacePlot(String title, String xLabel, String yLabel, String zLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.zLabel = zLabel;
    }

    /**
     * The sampled function: {@code z[j][i]} is its value at ({@code xs[i]}, {@code ys[j]}); both axes strictly
     * increasing, at least two points each.
     */
    public SurfacePlot grid(double[] xs, double[] ys, double[][] z) {
        SampledGrid g = SampledGrid.of(xs, ys, z);
        this.xs = g.xs();
        this.ys = g.ys();
        this.z = g.z();
        dirty = true;
        return this;
    }

    /**
     * The view: azimuth φ and elevation ε in degrees, ε in (0, 90]. By default ε = 32° and φ is the one of 35°,
     * 125°, 215°, 305° that puts the lowest quarter of the surface nearest the viewer, so that high ground stands at
     * the back instead of hiding the rest.
     */
    public SurfacePlot view(double azimuthDegrees, double elevationDegrees) {
        if (!Double.isFinite(azimuthDegrees) || !(elevationDegrees > 0 && elevationDegrees <= 90)) {
            throw new IllegalArgumentException("view needs a finite azimuth and an elevation in (0, 90], got "
                    + azimuthDegrees + ", " + elevationDegrees);
        }
        azimuth = Math.toRadians(azimuthDegrees);
        azimuthGiven = true;
        elevation = Math.toRadians(elevationDegrees);
        dirty = true;
        return this;
    }

    /**
     * Perspective with the camera at {@code d} world units from the box's centre (the box is 2 wide; d &gt; 3 keeps
     * the whole box in front of the camera); {@code Double.POSITIVE_INFINITY} is the orthographic default.
     */
    public SurfacePlot perspective(double d) {
        if (!(d > 3)) {
            throw new IllegalArgumentException("the camera distance must exceed 3 (the box's reach), got " + d);
        }
        distance = d;
        dirty = true;
        return this;
    }

    public SurfacePlot size(int w, int h) {
        if (w < 200 || h < 200) {
            throw new IllegalArgumentException("plot size " + w + "×" + h + " is too small");
        }
        width = w;
        height = h;
        dirty = true;
        return this;
    }

    /**
     * A path through the points (x[k], y[k]) at heights z[k] (in the grid's units: a loss), drawn solid or dashed.
     * Points outside the grid's x/y range or not finite break the path there.
     */
    public SurfacePlot path(double[] x, double[] y, double[] z, Color colour, boolean dashed) {
        if (x.length != y.length || x.length != z.length) {
            throw new IllegalArgumentException("path has " + x.length + " x, " + y.length + " y and " + z.length
                    + " z values");
        }
        paths.add(new PathSpec(x.clone(), y.clone(), z.clone(), colour, dashed));
        return this;
    }

    /**
     * A path through the points (x[k], y[k]) lying on the surface: every point of it, between the given ones too,
     * at the height the grid gives there (bilinear), as a toy's trajectory on its cost surface.
     */
    public SurfacePlot surfacePath(double[] x, double[] y, Color colour, boolean dashed) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("path has " + x.length + " x and " + y.length + " y values");
        }
        paths.add(new PathSpec(x.clone(), y.clone(), null, colour, dashed));
        return this;
    }

    /** A labelled dot at (x, y, z), drawn over everything. */
    public SurfacePlot marker(double x, double y, double z, String label, Color fill) {
        markers.add(new Marker(x, y, z, label, fill));
        return this;
    }

    /** A legend line: a swatch of {@code colour} and its text, top left. */
    public SurfacePlot legend(String text, Color colour) {
        legend.add(new LegendEntry(text, colour));
        return this;
    }

    // ---- geometry (package-private and public for tests) ----

    /** World coordinates (X, Y, Z) of a data point. */
    double[] world(double x, double y, double zValue) {
        prepare();
        double wx = 2 * (x - xs[0]) / (xs[xs.length - 1] - xs[0]) - 1;
        double wy = 2 * (y - ys[0]) / (ys[ys.length - 1] - ys[0]) - 1;
        return new double[] {wx, wy, heightOf(zValue)};
    }

    /** The height Z of a value: c(z) = log(z − z_min + 1), scaled so that the grid spans [0, HEIGHT]. */
    double heightOf(double zValue) {
        prepare();
        double c = Math.log1p(zValue - zMin);
        return HEIGHT * (c - cMin) / (cMax - cMin);
    }

    /** Screen coordinates (x right, y up, before fitting) and depth of a world point: {sx, sy, depth}. */
    double[] camera(double wx, double wy, double wz) {
        double x1 = wx * Math.cos(azimuth) - wy * Math.sin(azimuth);
        double y1 = wx * Math.sin(azimuth) + wy * Math.cos(azimuth);
        double zc = wz - HEIGHT / 2;
        double sx = x1;
        double sy = y1 * Math.sin(elevation) + zc * Math.cos(elevation);
        double depth = y1 * Math.cos(elevation) - zc * Math.sin(elevation);
        if (Double.isFinite(distance)) {
            double f = distance / (distance + depth);
            sx *= f;
            sy *= f;
        }
        return new double[] {sx, sy, depth};
    }

    /** Where the data point (x, y, z) lands in the image, in pixels (x right, y down). */
    public Point2D toPixel(double x, double y, double zValue) {
        double[] w = world(x, y, zValue);
        double[] s = camera(w[0], w[1], w[2]);
        return new Point2D.Double(offsetX + s[0] * scale, offsetY - s[1] * scale);
    }

    /** The depth of the data point (x, y, z): larger is farther from the viewer. */
    public double depth(double x, double y, double zValue) {
        double[] w = world(x, y, zValue);
        return camera(w[0], w[1], w[2])[2];
    }

    /**
     * The grid cells in the order they are painted, farthest first: {i, j} is the cell between xs[i], xs[i+1] and
     * ys[j], ys[j+1]. Cells with a corner that is not finite are left out.
     */
    List<int[]> cellOrder() {
        prepare();
        List<int[]> cells = new ArrayList<>();
        List<Double> depths = new ArrayList<>();
        for (int j = 0; j + 1 < ys.length; j++) {
            for (int i = 0; i + 1 < xs.length; i++) {
                double d = cellDepth(i, j);
                if (Double.isFinite(d)) {
                    cells.add(new int[] {i, j});
                    depths.add(d);
                }
            }
        }
        Integer[] idx = new Integer[cells.size()];
        for (int k = 0; k < idx.length; k++) {
            idx[k] = k;
        }
        java.util.Arrays.sort(idx, (a, b) -> Double.compare(depths.get(b), depths.get(a)));
        List<int[]> out = new ArrayList<>();
        for (int k : idx) {
            out.add(cells.get(k));
        }
        return out;
    }

    private double cellDepth(int i, int j) {
        double sum = 0;
        for (int[] c : corners(i, j)) {
            double v = z[c[1]][c[0]];
            if (!Double.isFinite(v)) {
                return Double.NaN;
            }
            sum += depth(xs[c[0]], ys[c[1]], v);
        }
        return sum / 4;
    }

    private static int[][] corners(int i, int j) {
        return new int[][] {{i, j}, {i + 1, j}, {i + 1, j + 1}, {i, j + 1}};
    }

    /** The range of c over the grid, z_min, and the fit of the box into the image. */
    private void prepare() {
        if (z == null) {
            throw new IllegalStateException("no grid: call grid(xs, ys, z) first");
        }
        if (!dirty) {
            return;
        }
        dirty = false;
        double min = Double.POSITIVE_INFINITY;
        for (double[] row : z) {
            for (double v : row) {
                if (Double.isFinite(v)) {
                    min = Math.min(min, v);
                }
            }
        }
        zMin = Double.isFinite(min) ? min : 0;
        double[][] c = new double[z.length][];
        for (int j = 0; j < z.length; j++) {
            c[j] = new double[z[j].length];
            for (int i = 0; i < z[j].length; i++) {
                c[j][i] = Double.isFinite(z[j][i]) ? Math.log1p(z[j][i] - zMin) : Double.NaN;
            }
        }
        double[] range = ContourPlot.finiteRange(c);
        cMin = range[0];
        cMax = range[1];
        if (!azimuthGiven) {
            azimuth = lowQuarterInFront(c);
        }
        double lox = Double.POSITIVE_INFINITY;
        double hix = Double.NEGATIVE_INFINITY;
        double loy = Double.POSITIVE_INFINITY;
        double hiy = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < 8; k++) {
            double[] s = camera((k & 1) == 0 ? -1 : 1, (k & 2) == 0 ? -1 : 1, (k & 4) == 0 ? 0 : HEIGHT);
            lox = Math.min(lox, s[0]);
            hix = Math.max(hix, s[0]);
            loy = Math.min(loy, s[1]);
            hiy = Math.max(hiy, s[1]);
        }
        // Room for tick labels around the box: 60 px on each side.
        double pw = width - LEFT - RIGHT - 120;
        double ph = height - TOP - BOTTOM - 90;
        scale = Math.min(pw / (hix - lox), ph / (hiy - loy));
        offsetX = LEFT + 60 + (pw - (hix - lox) * scale) / 2 - lox * scale;
        offsetY = TOP + 30 + (ph - (hiy - loy) * scale) / 2 + hiy * scale;
    }

    /** The azimuth (35° + k·90°) whose nearest floor corner has the lowest mean c over its quarter of the grid. */
    private double lowQuarterInFront(double[][] c) {
        double best = Math.toRadians(35);
        double lowest = Double.POSITIVE_INFINITY;
        for (int k = 0; k < 4; k++) {
            double az = Math.toRadians(35 + 90 * k);
            // The floor corner nearest the viewer: the smallest depth, Y₁ cos ε with Y₁ = X sin φ + Y cos φ.
            double cx = Math.sin(az) > 0 ? -1 : 1;
            double cy = Math.cos(az) > 0 ? -1 : 1;
            int ni = xs.length;
            int nj = ys.length;
            double sum = 0;
            int count = 0;
            for (int j = 0; j < nj; j++) {
                for (int i = 0; i < ni; i++) {
                    boolean nearX = cx < 0 ? i < (ni + 1) / 2 : i >= ni / 2;
                    boolean nearY = cy < 0 ? j < (nj + 1) / 2 : j >= nj / 2;
                    if (nearX && nearY && Double.isFinite(c[j][i])) {
                        sum += c[j][i];
                        count++;
                    }
                }
            }
            double mean = count > 0 ? sum / count : Double.POSITIVE_INFINITY;
            if (mean < lowest) {
                lowest = mean;
                best = az;
            }
        }
        return best;
    }

    // ---- drawing ----

    /** The picture. */
    public BufferedImage render() {
        prepare();
        drawn.clear();
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            drawFloor(g);
            List<Piece> pieces = new ArrayList<>();
            addCells(pieces);
            addPaths(pieces);
            pieces.sort(Comparator.comparingDouble(Piece::depth).reversed());
            for (Piece p : pieces) {
                paint(g, p);
            }
            drawMarkers(g);
            drawAxes(g);
            drawLegend(g);
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

    private Point2D pixel(double wx, double wy, double wz) {
        double[] s = camera(wx, wy, wz);
        return new Point2D.Double(offsetX + s[0] * scale, offsetY - s[1] * scale);
    }

    /** The box's floor and its three far edges, in grey, under everything. */
    private void drawFloor(Graphics2D g) {
        double[][] floor = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
        Polygon poly = new Polygon();
        for (double[] f : floor) {
            Point2D p = pixel(f[0], f[1], 0);
            poly.addPoint((int) Math.round(p.getX()), (int) Math.round(p.getY()));
        }
        g.setColor(new Color(242, 242, 242));
        g.fillPolygon(poly);
        g.setColor(new Color(150, 150, 150));
        g.setStroke(new BasicStroke(1f));
        g.drawPolygon(poly);
        double[] far = farthestCorner();
        g.draw(new Line2D.Double(pixel(far[0], far[1], 0), pixel(far[0], far[1], HEIGHT)));
        g.draw(new Line2D.Double(pixel(far[0], far[1], HEIGHT), pixel(-far[0], far[1], HEIGHT)));
        g.draw(new Line2D.Double(pixel(far[0], far[1], HEIGHT), pixel(far[0], -far[1], HEIGHT)));
        g.draw(new Line2D.Double(pixel(-far[0], far[1], 0), pixel(-far[0], far[1], HEIGHT)));
        g.draw(new Line2D.Double(pixel(far[0], -far[1], 0), pixel(far[0], -far[1], HEIGHT)));
    }

    /** The floor corner (X, Y) ∈ {−1, 1}² farthest from the viewer. */
    private double[] farthestCorner() {
        double[] best = null;
        double depth = Double.NEGATIVE_INFINITY;
        for (double cx : new double[] {-1, 1}) {
            for (double cy : new double[] {-1, 1}) {
                double d = camera(cx, cy, 0)[2];
                if (d > depth) {
                    depth = d;
                    best = new double[] {cx, cy};
                }
            }
        }
        return best;
    }

    private void addCells(List<Piece> pieces) {
        double[] light = lightDirection();
        double[] toViewer = toViewer();
        for (int[] cell : cellOrder()) {
            int[][] cs = corners(cell[0], cell[1]);
            double[][] w = new double[4][];
            double[] px = new double[4];
            double[] py = new double[4];
            double depth = 0;
            double meanHeight = 0;
            for (int k = 0; k < 4; k++) {
                w[k] = world(xs[cs[k][0]], ys[cs[k][1]], z[cs[k][1]][cs[k][0]]);
                double[] s = camera(w[k][0], w[k][1], w[k][2]);
                px[k] = offsetX + s[0] * scale;
                py[k] = offsetY - s[1] * scale;
                depth += s[2] / 4;
                meanHeight += w[k][2] / 4;
            }
            // The normal of the cell from its diagonals, turned towards the viewer.
            double[] d1 = sub(w[2], w[0]);
            double[] d2 = sub(w[3], w[1]);
            double[] n = cross(d1, d2);
            double len = Math.sqrt(dot(n, n));
            double shade = 1;
            if (len > 0) {
                if (dot(n, toViewer) < 0) {
                    n = new double[] {-n[0], -n[1], -n[2]};
                }
                shade = 0.45 + 0.55 * Math.max(0, dot(n, light) / len);
            }
            Color base = ContourPlot.viridis(meanHeight / HEIGHT);
            Color c = new Color(clamp(base.getRed() * shade), clamp(base.getGreen() * shade),
                    clamp(base.getBlue() * shade));
            pieces.add(new Piece(depth, px, py, c, false, false));
        }
    }

    private void addPaths(List<Piece> pieces) {
        double cell = 2.0 / Math.max(xs.length - 1, ys.length - 1);
        for (PathSpec p : paths) {
            boolean draped = p.z() == null;
            for (int k = 0; k + 1 < p.x().length; k++) {
                double za = draped ? 0 : p.z()[k];
                double zb = draped ? 0 : p.z()[k + 1];
                if (!inside(p.x()[k], p.y()[k], za) || !inside(p.x()[k + 1], p.y()[k + 1], zb)) {
                    continue;
                }
                double[] a = world(p.x()[k], p.y()[k], za);
                double[] b = world(p.x()[k + 1], p.y()[k + 1], zb);
                if (!draped && (Math.max(a[2], b[2]) > 2 * HEIGHT || Math.min(a[2], b[2]) < -HEIGHT)) {
                    continue; // far above the grid's range: not on this picture
                }
                int n = (int) Math.min(64, Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / cell)));
                double[] prev = null;
                for (int s = 0; s <= n; s++) {
                    double t = (double) s / n;
                    double wx = a[0] + t * (b[0] - a[0]);
                    double wy = a[1] + t * (b[1] - a[1]);
                    double wz = draped ? surfaceHeight(wx, wy) : a[2] + t * (b[2] - a[2]);
                    double[] cur = Double.isFinite(wz) ? camera(wx, wy, wz + LIFT) : null;
                    if (prev != null && cur != null) {
                        double mx = a[0] + (t - 0.5 / n) * (b[0] - a[0]);
                        double my = a[1] + (t - 0.5 / n) * (b[1] - a[1]);
                        double mz = draped ? surfaceHeight(mx, my) : a[2] + (t - 0.5 / n) * (b[2] - a[2]);
                        pieces.add(new Piece(pathDepth((prev[2] + cur[2]) / 2, mx, my, mz),
                                new double[] {offsetX + prev[0] * scale, offsetX + cur[0] * scale},
                                new double[] {offsetY - prev[1] * scale, offsetY - cur[1] * scale}, p.colour(),
                                true, p.dashed()));
                    }
                    prev = cur;
                }
            }
        }
    }

    /**
     * The depth a piece of path is painted at. A piece on or above the surface is painted after every cell around
     * it (the 3 × 3 cells about the one under it), so that the cells it lies on, or touches along their shared
     * edge, do not cover it; cells farther in front still do. A piece below the surface keeps its own depth.
     */
    private double pathDepth(double own, double wx, double wy, double wz) {
        double surface = surfaceHeight(wx, wy);
        if (!(wz >= surface - 0.02 * HEIGHT)) {
            return own;
        }
        int i = cellIndex(xs, xs[0] + (wx + 1) / 2 * (xs[xs.length - 1] - xs[0]));
        int j = cellIndex(ys, ys[0] + (wy + 1) / 2 * (ys[ys.length - 1] - ys[0]));
        double depth = own;
        for (int dj = -1; dj <= 1; dj++) {
            for (int di = -1; di <= 1; di++) {
                int ci = i + di;
                int cj = j + dj;
                if (ci >= 0 && cj >= 0 && ci + 1 < xs.length && cj + 1 < ys.length) {
                    double d = cellDepth(ci, cj);
                    if (Double.isFinite(d)) {
                        depth = Math.min(depth, d);
                    }
                }
            }
        }
        return depth - 1e-9;
    }

    /** The index i with a[i] ≤ v ≤ a[i+1], clamped to the grid. */
    private static int cellIndex(double[] a, double v) {
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

    /** The surface's world height at world (X, Y), bilinear in the grid's heights; NaN next to a missing value. */
    private double surfaceHeight(double wx, double wy) {
        double x = xs[0] + (wx + 1) / 2 * (xs[xs.length - 1] - xs[0]);
        double y = ys[0] + (wy + 1) / 2 * (ys[ys.length - 1] - ys[0]);
        int i = cellIndex(xs, x);
        int j = cellIndex(ys, y);
        double tx = (x - xs[i]) / (xs[i + 1] - xs[i]);
        double ty = (y - ys[j]) / (ys[j + 1] - ys[j]);
        double h00 = heightOf(z[j][i]);
        double h10 = heightOf(z[j][i + 1]);
        double h01 = heightOf(z[j + 1][i]);
        double h11 = heightOf(z[j + 1][i + 1]);
        return (1 - ty) * ((1 - tx) * h00 + tx * h10) + ty * ((1 - tx) * h01 + tx * h11);
    }

    private boolean inside(double x, double y, double zValue) {
        return Double.isFinite(x) && Double.isFinite(y) && Double.isFinite(zValue) && x >= xs[0]
                && x <= xs[xs.length - 1] && y >= ys[0] && y <= ys[ys.length - 1];
    }

    private static void paint(Graphics2D g, Piece p) {
        if (p.line()) {
            g.setColor(p.colour());
            g.setStroke(p.dashed() ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f,
                    new float[] {5f, 4f}, 0f) : new BasicStroke(2.5f, BasicStroke.CAP_ROUND,
                    BasicStroke.JOIN_ROUND));
            g.draw(new Line2D.Double(p.px()[0], p.py()[0], p.px()[1], p.py()[1]));
            return;
        }
        Polygon poly = new Polygon();
        for (int k = 0; k < p.px().length; k++) {
            poly.addPoint((int) Math.round(p.px()[k]), (int) Math.round(p.py()[k]));
        }
        g.setColor(p.colour());
        g.fillPolygon(poly);
        // The cell's own colour around its edge closes the seams anti-aliasing leaves between neighbours.
        g.setStroke(new BasicStroke(1f));
        g.drawPolygon(poly);
    }

    private void drawMarkers(Graphics2D g) {
        g.setFont(ChartFonts.font(true, 14));
        for (Marker m : markers) {
            if (!inside(m.x(), m.y(), m.z())) {
                continue;
            }
            double[] w = world(m.x(), m.y(), m.z());
            Point2D p = pixel(w[0], w[1], w[2] + LIFT);
            Ellipse2D dot = new Ellipse2D.Double(p.getX() - 6, p.getY() - 6, 12, 12);
            g.setColor(m.fill());
            g.fill(dot);
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1.5f));
            g.draw(dot);
            if (m.label() != null && !m.label().isEmpty()) {
                int tx = (int) p.getX() + 9;
                int ty = (int) p.getY() - 8;
                g.setColor(Color.BLACK);
                for (int dx = -1; dx <= 1; dx++) {
                    for (int dy = -1; dy <= 1; dy++) {
                        g.drawString(m.label(), tx + dx, ty + dy);
                    }
                }
                g.setColor(Color.WHITE);
                DrawnText.draw(g, drawn, "marker", m.label(), tx, ty);
            }
        }
    }

    /**
     * Ticks and labels on the floor edges nearest the viewer (x and y) and on the vertical edge at the floor corner
     * farthest to the left on screen (z, labelled with values of z, not of its transform).
     */
    private void drawAxes(Graphics2D g) {
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1f));
        Point2D centre = pixel(0, 0, 0);
        // x: the edge Y = ±1 nearer the viewer; y: the edge X = ±1 nearer the viewer.
        double yEdge = camera(0, -1, 0)[2] < camera(0, 1, 0)[2] ? -1 : 1;
        double xEdge = camera(-1, 0, 0)[2] < camera(1, 0, 0)[2] ? -1 : 1;
        // z: the vertical edge at the leftmost floor corner on screen, its labels to the left.
        double[] zc = null;
        double left = Double.POSITIVE_INFINITY;
        for (double cx : new double[] {-1, 1}) {
            for (double cy : new double[] {-1, 1}) {
                double sx = pixel(cx, cy, 0).getX();
                if (sx < left) {
                    left = sx;
                    zc = new double[] {cx, cy};
                }
            }
        }
        g.setFont(ChartFonts.font(false, 12));
        FontMetrics fm = g.getFontMetrics();
        // A floor tick at the z axis's corner would print over the z axis's lowest label: left out.
        List<Double> xTicks = ContourPlot.niceTicks(xs[0], xs[xs.length - 1], 6);
        for (double t : xTicks) {
            double wx = 2 * (t - xs[0]) / (xs[xs.length - 1] - xs[0]) - 1;
            if (yEdge == zc[1] && Math.abs(wx - zc[0]) < 0.05) {
                continue;
            }
            tick(g, fm, pixel(wx, yEdge, 0), outward(centre, pixel(0, yEdge, 0)), "x",
                    ContourPlot.tickLabel(t, xTicks));
        }
        List<Double> yTicks = ContourPlot.niceTicks(ys[0], ys[ys.length - 1], 6);
        for (double t : yTicks) {
            double wy = 2 * (t - ys[0]) / (ys[ys.length - 1] - ys[0]) - 1;
            if (xEdge == zc[0] && Math.abs(wy - zc[1]) < 0.05) {
                continue;
            }
            tick(g, fm, pixel(xEdge, wy, 0), outward(centre, pixel(xEdge, 0, 0)), "y",
                    ContourPlot.tickLabel(t, yTicks));
        }
        g.draw(new Line2D.Double(pixel(zc[0], zc[1], 0), pixel(zc[0], zc[1], HEIGHT)));
        double[] values = new double[5];
        for (int k = 0; k < values.length; k++) {
            values[k] = zMin + Math.expm1(cMin + k / 4.0 * (cMax - cMin));
        }
        List<String> zLabels = ContourPlot.significant(values);
        for (int k = 0; k < values.length; k++) {
            tick(g, fm, pixel(zc[0], zc[1], k / 4.0 * HEIGHT), new double[] {-1, 0}, "z", zLabels.get(k));
        }
        g.setFont(ChartFonts.font(false, 14));
        fm = g.getFontMetrics();
        label(g, fm, pixel(0, yEdge, 0), outward(centre, pixel(0, yEdge, 0)), "x title", xLabel);
        label(g, fm, pixel(xEdge, 0, 0), outward(centre, pixel(xEdge, 0, 0)), "y title", yLabel);
        Point2D top = pixel(zc[0], zc[1], HEIGHT);
        DrawnText.draw(g, drawn, "z title", zLabel, (int) Math.max(4, top.getX() - fm.stringWidth(zLabel) / 2.0),
                (int) top.getY() - 10);
        ContourPlot.fitTitle(g, title, width);
        fm = g.getFontMetrics();
        DrawnText.draw(g, drawn, "title", title, Math.max(4, (width - fm.stringWidth(title)) / 2), TOP - 18);
    }

    private static double[] outward(Point2D from, Point2D to) {
        double dx = to.getX() - from.getX();
        double dy = to.getY() - from.getY();
        double n = Math.hypot(dx, dy);
        return n == 0 ? new double[] {0, 1} : new double[] {dx / n, dy / n};
    }

    private void tick(Graphics2D g, FontMetrics fm, Point2D at, double[] out, String axis, String text) {
        double x = at.getX();
        double y = at.getY();
        g.draw(new Line2D.Double(x, y, x + 5 * out[0], y + 5 * out[1]));
        double lx = x + 10 * out[0];
        double ly = y + 10 * out[1];
        int w = fm.stringWidth(text);
        // Anchor the label on the side it points to: left of the point when pointing left, and so on.
        double tx = lx - w / 2.0 + out[0] * w / 2.0;
        double ty = ly + fm.getAscent() / 2.0 + out[1] * fm.getAscent() / 2.0 - 1;
        DrawnText.draw(g, drawn, axis, text, (int) Math.round(tx), (int) Math.round(ty));
    }

    /**
     * An axis title, centred 42 px out from {@code at} along {@code out}, or farther where it would cover a tick
     * label drawn so far (an edge seen from the side puts its labels in the title's way).
     */
    private void label(Graphics2D g, FontMetrics fm, Point2D at, double[] out, String role, String text) {
        int w = fm.stringWidth(text);
        int x = 0;
        int y = 0;
        for (int d = 42; d <= 160; d += 4) {
            x = (int) Math.round(at.getX() + d * out[0] - w / 2.0);
            y = (int) Math.round(at.getY() + d * out[1] + fm.getAscent() / 2.0);
            java.awt.geom.Rectangle2D box = DrawnText.box(fm, text, x, y);
            if (drawn.stream().noneMatch(t -> t.isTick() && t.box().intersects(box))) {
                break;
            }
        }
        DrawnText.draw(g, drawn, role, text, x, y);
    }

    private void drawLegend(Graphics2D g) {
        if (legend.isEmpty()) {
            return;
        }
        g.setFont(ChartFonts.font(false, 12));
        FontMetrics fm = g.getFontMetrics();
        int y = TOP + 4;
        for (LegendEntry entry : legend) {
            Color c = entry.colour();
            g.setColor(Color.DARK_GRAY);
            g.fillRect(LEFT - 2, y - 2, 26, 10);
            g.setColor(c);
            g.setStroke(new BasicStroke(2.5f));
            g.draw(new Line2D.Double(LEFT, y + 3, LEFT + 22, y + 3));
            g.setColor(Color.BLACK);
            DrawnText.draw(g, drawn, "legend", entry.text(), LEFT + 30, y + 3 + fm.getAscent() / 2 - 1);
            y += fm.getHeight() + 2;
        }
    }

    /** The picture's size in pixels. */
    java.awt.Dimension imageSize() {
        return new java.awt.Dimension(width, height);
    }

    /** Every text the last {@link #render()} drew, with its box, in drawing order. */
    List<DrawnText> drawnTexts() {
        return List.copyOf(drawn);
    }

    /** The paths' colours (#rrggbb), one per path, as the legend would show them. */
    List<String> pathStyles() {
        return paths.stream().map(p -> colour(p.colour())).toList();
    }

    /** The legend's swatches' colours, in the form of {@link #pathStyles()}. */
    List<String> legendStyles() {
        return legend.stream().map(e -> colour(e.colour())).toList();
    }

    private static String colour(Color c) {
        return String.format(java.util.Locale.ROOT, "#%06x", c.getRGB() & 0xffffff);
    }

    // ---- small vector helpers ----

    private double[] lightDirection() {
        // In world coordinates: towards the viewer, up and to the left (camera right, up, backward combined).
        double[] right = {Math.cos(azimuth), -Math.sin(azimuth), 0};
        double[] up = {Math.sin(azimuth) * Math.sin(elevation), Math.cos(azimuth) * Math.sin(elevation),
            Math.cos(elevation)};
        double[] back = toViewer();
        double[] l = new double[3];
        for (int k = 0; k < 3; k++) {
            l[k] = back[k] + 0.8 * up[k] - 0.4 * right[k];
        }
        double n = Math.sqrt(dot(l, l));
        return new double[] {l[0] / n, l[1] / n, l[2] / n};
    }

    /** The unit vector from the scene towards the viewer, in world coordinates. */
    private double[] toViewer() {
        return new double[] {-Math.sin(azimuth) * Math.cos(elevation), -Math.cos(azimuth) * Math.cos(elevation),
            Math.sin(elevation)};
    }

    private static double[] sub(double[] a, double[] b) {
        return new double[] {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
    }

    private static double[] cross(double[] a, double[] b) {
        return new double[] {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    }

    private static double dot(double[] a, double[] b) {
        return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }
}
