package io.ravine.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.geom.Point2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SurfacePlotTest {

    private static double[] linspace(double lo, double hi, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * i / (n - 1);
        }
        return v;
    }

    /** z[j][i] = f(xs[i], ys[j]) on [−1, 1]², n × n. */
    private static SurfacePlot surface(int n, java.util.function.DoubleBinaryOperator f) {
        double[] xs = linspace(-1, 1, n);
        double[][] z = new double[n][n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < n; i++) {
                z[j][i] = f.applyAsDouble(xs[i], xs[j]);
            }
        }
        return new SurfacePlot("test", "x", "y", "J").grid(xs, xs, z);
    }

    private static double distance(Point2D a, Point2D b) {
        return a.distance(b);
    }

    @Test
    void fromStraightAboveTheOrthographicPictureIsTheMapOfXAndY() {
        SurfacePlot plot = surface(11, (x, y) -> x * x + y * y).view(0, 90);
        Point2D left = plot.toPixel(-1, 0, 0);
        Point2D mid = plot.toPixel(0, 0, 0);
        Point2D right = plot.toPixel(1, 0, 0);
        Point2D up = plot.toPixel(0, 1, 0);
        // x runs right and y up the screen (pixel y down), evenly.
        assertEquals(mid.getX() - left.getX(), right.getX() - mid.getX(), 1e-9);
        assertEquals(mid.getY(), right.getY(), 1e-9);
        assertEquals(right.getX() - mid.getX(), mid.getY() - up.getY(), 1e-9);
        assertTrue(right.getX() > mid.getX() && up.getY() < mid.getY());
        // Height does not move a point seen from straight above; it only brings it nearer.
        Point2D high = plot.toPixel(0.3, -0.4, 2);
        Point2D low = plot.toPixel(0.3, -0.4, 0);
        assertEquals(low.getX(), high.getX(), 1e-9);
        assertEquals(low.getY(), high.getY(), 1e-9);
        assertTrue(plot.depth(0.3, -0.4, 2) < plot.depth(0.3, -0.4, 0));
    }

    @Test
    void perspectiveShrinksTheFarEdgeByTheRatioOfDistances() {
        // Azimuth 0: the edge y = −1 is in front, y = 1 behind. Orthographic: the same length on screen.
        SurfacePlot ortho = surface(5, (x, y) -> 0).view(0, 30);
        double front = distance(ortho.toPixel(-1, -1, 0), ortho.toPixel(1, -1, 0));
        double back = distance(ortho.toPixel(-1, 1, 0), ortho.toPixel(1, 1, 0));
        assertEquals(front, back, 1e-9);
        // Perspective with the camera at D: lengths scale by D / (D + depth).
        double d = 4;
        SurfacePlot persp = surface(5, (x, y) -> 0).view(0, 30).perspective(d);
        double pf = distance(persp.toPixel(-1, -1, 0), persp.toPixel(1, -1, 0));
        double pb = distance(persp.toPixel(-1, 1, 0), persp.toPixel(1, 1, 0));
        double depthFront = persp.depth(0, -1, 0);
        double depthBack = persp.depth(0, 1, 0);
        assertTrue(depthBack > depthFront);
        assertEquals((d + depthBack) / (d + depthFront), pf / pb, 1e-9);
        assertThrows(IllegalArgumentException.class, () -> persp.perspective(2));
    }

    @Test
    void cellsArePaintedFarthestFirst() {
        SurfacePlot plot = surface(9, (x, y) -> Math.sin(3 * x) + y * y).view(35, 30);
        List<int[]> order = plot.cellOrder();
        assertEquals(64, order.size());
        double previous = Double.POSITIVE_INFINITY;
        for (int[] cell : order) {
            double d = 0;
            for (int[] c : new int[][] {{0, 0}, {1, 0}, {1, 1}, {0, 1}}) {
                double x = -1 + 0.25 * (cell[0] + c[0]);
                double y = -1 + 0.25 * (cell[1] + c[1]);
                d += plot.depth(x, y, Math.sin(3 * x) + y * y) / 4;
            }
            assertTrue(d <= previous + 1e-12, "depth " + d + " after " + previous);
            previous = d;
        }
        // A cell with a missing value is left out, not drawn from a NaN.
        SurfacePlot holed = surface(9, (x, y) -> x == 0 && y == 0 ? Double.NaN : x);
        assertEquals(64 - 4, holed.cellOrder().size());
    }

    /** Viridis's dark end (the floor, z = 0, shaded): little green; the wall's slopes sit mid-scale (teal). */
    private static boolean dark(Color c) {
        return c.getGreen() < 60;
    }

    @Test
    void aNearWallHidesTheFloorBehindIt() {
        // A wall z = 100 along the second row from the front (y = −0.8), a higher back row z = 10⁴ (so that the
        // wall, at log(101)/log(10001) of the box, is half its height), floor 0 between. Seen from the front at 30°,
        // the wall's top is above the floor point (0.1, −0.2) on screen, so painting far to near must leave the
        // wall's colour (its slopes: mid-scale) there, while the floor at y = 0.5 still shows over the wall (dark).
        double[] xs = linspace(-1, 1, 11);
        double[][] z = new double[11][11];
        for (int i = 0; i < 11; i++) {
            z[1][i] = 100;
            z[10][i] = 1e4;
        }
        SurfacePlot plot = new SurfacePlot("wall", "x", "y", "J").grid(xs, xs, z).view(0, 30);
        BufferedImage img = plot.render();
        Point2D hidden = plot.toPixel(0.1, -0.2, 0);
        Point2D wallTop = plot.toPixel(0.1, -0.8, 100);
        assertTrue(wallTop.getY() < hidden.getY() - 5, "the wall's top is above the hidden point on screen");
        Color covered = new Color(img.getRGB((int) hidden.getX(), (int) hidden.getY()));
        assertTrue(!dark(covered), "the wall, not the floor behind it: " + covered);
        Point2D visible = plot.toPixel(0.1, 0.5, 0);
        assertTrue(visible.getY() < wallTop.getY() - 5, "the floor at y = 0.5 is above the wall's top on screen");
        Color floor = new Color(img.getRGB((int) visible.getX(), (int) visible.getY()));
        assertTrue(dark(floor), "the floor above the wall's top: " + floor);
    }

    @Test
    void colourRisesWithTheLoss() {
        // A ramp z = x + 1 seen from above: every cell has the same normal, so the shading is the same and the
        // colour alone follows z, from viridis's dark end on the left to its bright end on the right.
        SurfacePlot plot = surface(21, (x, y) -> x + 1).view(0, 90);
        BufferedImage img = plot.render();
        int previous = -1;
        for (double x = -0.9; x <= 0.9; x += 0.3) {
            Point2D p = plot.toPixel(x, 0.05, x + 1);
            Color c = new Color(img.getRGB((int) p.getX(), (int) p.getY()));
            int brightness = c.getRed() + c.getGreen();
            assertTrue(brightness > previous, "at x = " + x + ": " + c);
            previous = brightness;
        }
    }

    private static boolean isPath(Color c) {
        return c.getRed() > 180 && c.getGreen() < 90 && c.getBlue() < 110;
    }

    @Test
    void writesAPngWithTheDrapedPathOnIt(@TempDir Path tmp) throws Exception {
        SurfacePlot plot = surface(21, (x, y) -> 0.5 * (x * x + 10 * y * y)).view(20, 60).size(640, 480)
                .surfacePath(new double[] {-0.8, 0.8}, new double[] {0.2, 0.2}, SurfacePlot.PATH, false)
                .marker(-0.8, 0.2, 0.5 * (0.64 + 0.4), "start", Color.WHITE);
        Path png = tmp.resolve("sub").resolve("surface.png");
        assertTrue(plot.write(png));
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 8);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a}, head);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(640, img.getWidth());
        assertEquals(480, img.getHeight());
        // The middle of the path, on the surface there (raised by 1% of the box: a few pixels up): the path's
        // colour; a little farther up, off the path, the surface's.
        Point2D on = plot.toPixel(0.1, 0.2, 0.5 * (0.01 + 0.4));
        int x = (int) Math.round(on.getX());
        int y = (int) Math.round(on.getY());
        boolean red = false;
        for (int dy = -5; dy <= 1; dy++) {
            red |= isPath(new Color(img.getRGB(x, y + dy)));
        }
        assertTrue(red, "no path colour near " + on);
        assertTrue(!isPath(new Color(img.getRGB(x, y - 20))));
        try (var files = Files.list(png.getParent())) {
            assertEquals(List.of(png), files.toList());
        }
    }
}
