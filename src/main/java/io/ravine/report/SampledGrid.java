package io.ravine.report;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * A function sampled on a rectangular grid, as {@link ContourPlot} and {@link SurfacePlot} draw it: {@code z[j][i]} is
 * its value at ({@code xs[i]}, {@code ys[j]}). Checked and copied once, here, for both.
 */
record SampledGrid(double[] xs, double[] ys, double[][] z) {
    /**
     * A checked copy: both axes finite and strictly increasing with at least two points, one row of z per y value and
     * one value per x value in each.
     *
     * @throws IllegalArgumentException otherwise
     */
    static SampledGrid of(double[] xs, double[] ys, double[][] z) {
        if (xs.length < 2 || ys.length < 2 || z.length != ys.length) {
            throw new IllegalArgumentException("grid needs ≥ 2 points per axis and one row of z per y value");
        }
        for (double[] row : z) {
            if (row.length != xs.length) {
                throw new IllegalArgumentException("each row of z needs " + xs.length + " values");
            }
        }
        increasing("x", xs);
        increasing("y", ys);
        double[][] copy = new double[z.length][];
        for (int j = 0; j < z.length; j++) {
            copy[j] = z[j].clone();
        }
        return new SampledGrid(xs.clone(), ys.clone(), copy);
    }

    /** The PNG bytes of a drawn image, for {@link ReportFiles#writePng}. */
    static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        if (!ImageIO.write(image, "png", bytes)) {
            throw new IOException("no PNG writer in this Java runtime");
        }
        return bytes.toByteArray();
    }

    private static void increasing(String axis, double[] a) {
        for (int i = 0; i + 1 < a.length; i++) {
            if (!(a[i + 1] > a[i]) || !Double.isFinite(a[i]) || !Double.isFinite(a[i + 1])) {
                throw new IllegalArgumentException(axis + " grid values must be finite and increasing");
            }
        }
    }
}
