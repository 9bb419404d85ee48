package io.ravine.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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

class ContourPlotTest {

    /** ½(x² + 10y²) on [−2, 2]², 41 × 41 points. */
    private static ContourPlot quadratic() {
        double[] xs = new double[41];
        double[] ys = new double[41];
        for (int i = 0; i < 41; i++) {
            xs[i] = -2 + 0.1 * i;
            ys[i] = -2 + 0.1 * i;
        }
        double[][] z = new double[41][41];
        for (int j = 0; j < 41; j++) {
            for (int i = 0; i < 41; i++) {
                z[j][i] = 0.5 * (xs[i] * xs[i] + 10 * ys[j] * ys[j]);
            }
        }
        return new ContourPlot("quadratic", "x", "y").grid(xs, ys, z);
    }

    private static boolean isTrajectoryColour(int rgb) {
        Color c = new Color(rgb);
        // Anti-aliasing blends the line's edge; its centre keeps the red well above every viridis colour's.
        return c.getRed() > 180 && c.getGreen() < 90 && c.getBlue() < 110;
    }

    @Test
    void writesAPngOfTheRequestedSizeWithTheTrajectoryOnIt(@TempDir Path tmp) throws Exception {
        ContourPlot plot = quadratic().size(640, 480)
                .trajectory(new double[] {-1.5, 1.5}, new double[] {-1.5, 1.5})
                .marker(-1.5, -1.5, "start").endMarker(1.5, 1.5, "end");
        Path png = tmp.resolve("sub").resolve("contour.png");
        plot.write(png);
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 8);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a}, head);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(640, img.getWidth());
        assertEquals(480, img.getHeight());
        // A point on the segment, away from its end markers: the trajectory's colour.
        Point2D on = plot.toPixel(0.3, 0.3);
        assertTrue(isTrajectoryColour(img.getRGB((int) on.getX(), (int) on.getY())),
                Integer.toHexString(img.getRGB((int) on.getX(), (int) on.getY())));
        // Off the segment: the colour map, not the trajectory.
        Point2D off = plot.toPixel(1.0, -1.0);
        assertTrue(!isTrajectoryColour(img.getRGB((int) off.getX(), (int) off.getY())));
        // The minimum is the darkest end of viridis, the corner (J = 22) the brightest region.
        Point2D min = plot.toPixel(-1.0, 0.05);
        Point2D corner = plot.toPixel(-1.95, 1.95);
        Color low = new Color(img.getRGB((int) min.getX(), (int) min.getY()));
        Color high = new Color(img.getRGB((int) corner.getX(), (int) corner.getY()));
        assertTrue(low.getRed() + low.getGreen() < high.getRed() + high.getGreen(), low + " vs " + high);
        // No temporary file left next to it.
        try (var files = Files.list(png.getParent())) {
            assertEquals(List.of(png), files.toList());
        }
    }

    @Test
    void aDivergingTrajectoryIsClippedNotDrawnAtHugeCoordinates() {
        BufferedImage img = quadratic().trajectory(new double[] {0.5, -1, 1e300, Double.NaN},
                new double[] {0.5, -1, 1e300, 1}).render();
        assertEquals(800, img.getWidth());
        double[] box = {-2, 2, -2, 2};
        assertArrayEquals(new double[] {0, 0, 2, 1}, ContourPlot.clip(0, 0, 4, 2, box), 1e-12);
        assertNull(ContourPlot.clip(3, 3, 4, 4, box));
        assertNull(ContourPlot.clip(0, 0, Double.NaN, 1, box));
    }

    @Test
    void ticksAreRoundNumbersInsideTheRange() {
        // 4/7 ≈ 0.57 per tick rounds up to a step of 1; 0.3/5 = 0.06 to 0.1.
        assertEquals(List.of(-2.0, -1.0, 0.0, 1.0, 2.0), ContourPlot.niceTicks(-2, 2, 7));
        assertEquals(List.of(0.1, 0.2, 0.3), ContourPlot.niceTicks(0.05, 0.35, 5));
        assertEquals(List.of(0.0, 20.0, 40.0, 60.0, 80.0, 100.0), ContourPlot.niceTicks(0, 100, 5));
    }

    @Test
    void markerLabelsDoNotOverlapEachOtherOrTheDots() {
        java.awt.Graphics2D g = new BufferedImage(10, 10, BufferedImage.TYPE_INT_RGB).createGraphics();
        g.setFont(ChartFonts.font(true, 14));
        java.awt.FontMetrics fm = g.getFontMetrics();
        // Alone, a label sits above and to the right of its dot (left of it near the right edge), as before.
        java.awt.Rectangle alone = ContourPlot.labelBox(new Point2D.Double(300, 300), fm, "early end", 700,
                List.of());
        assertEquals(300 + 8, alone.x);
        assertTrue(alone.y + alone.height <= 300 - 2, alone.toString());
        java.awt.Rectangle edge = ContourPlot.labelBox(new Point2D.Double(690, 300), fm, "early end", 700,
                List.of());
        assertTrue(edge.x + edge.width <= 690 - 6, edge.toString());
        // Two end points 45 px apart on one level (the early-decay picture): the second label moves below its dot,
        // clear of the first label and of the other dot.
        Point2D early = new Point2D.Double(345, 300);
        Point2D late = new Point2D.Double(300, 300);
        List<java.awt.Rectangle> placed = new java.util.ArrayList<>();
        for (Point2D p : List.of(early, late)) {
            placed.add(new java.awt.Rectangle((int) p.getX() - 6, (int) p.getY() - 6, 13, 13));
        }
        java.awt.Rectangle first = ContourPlot.labelBox(early, fm, "early end", 700, placed);
        placed.add(first);
        java.awt.Rectangle second = ContourPlot.labelBox(late, fm, "late end", 700, placed);
        for (java.awt.Rectangle r : placed) {
            assertFalse(second.intersects(r), second + " overlaps " + r);
        }
        assertTrue(second.y > late.getY(), second.toString());
        g.dispose();
    }
}
