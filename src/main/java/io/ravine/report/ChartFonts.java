package io.ravine.report;

import java.awt.Font;
import java.awt.FontFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The one typeface of every chart Ravine draws: DejaVu Sans (regular and bold), shipped in the jar under
 * {@code io/ravine/fonts/} with its licence, loaded once with {@link Font#createFont}. AWT's logical fonts
 * ({@code SansSerif}, {@code Dialog}) resolve through the host's fontconfig and installed fonts, which a GPU host or
 * a CUDA container may not have (and which make a chart look different on every host); a font from the jar draws
 * the same everywhere. Text is still rasterised by the Java runtime's font stack (libfontmanager and FreeType): the
 * GPU bundle's runtime brings its own, see docker/build-bundle.sh.
 *
 * <p>{@link Font#createFont(int, InputStream)} copies the font into a temporary file of {@code java.io.tmpdir}
 * (the JDK's, deleted when the JVM exits); where that fails the chart is not drawn and {@link ReportFiles} says so
 * in one line.
 */
public final class ChartFonts {
    /** The family every chart's text is drawn in. */
    public static final String FAMILY = "DejaVu Sans";
    private static final String DIR = "/io/ravine/fonts/";

    private static Font regular;
    private static Font bold;

    private ChartFonts() {
    }

    /** DejaVu Sans at {@code size} points, bold or regular. */
    public static Font font(boolean isBold, float size) {
        return (isBold ? bold() : regular()).deriveFont(Font.PLAIN, size);
    }

    private static synchronized Font regular() {
        if (regular == null) {
            regular = load("DejaVuSans.ttf");
        }
        return regular;
    }

    private static synchronized Font bold() {
        if (bold == null) {
            bold = load("DejaVuSans-Bold.ttf");
        }
        return bold;
    }

    private static Font load(String file) {
        try (InputStream in = ChartFonts.class.getResourceAsStream(DIR + file)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks " + DIR.substring(1) + file);
            }
            return Font.createFont(Font.TRUETYPE_FONT, in);
        } catch (IOException | FontFormatException e) {
            throw new IllegalStateException("cannot load the chart font " + file + ": " + e.getMessage(), e);
        }
    }

    /** An XY chart with every font of its styler set to DejaVu Sans and a white background. */
    public static XYChart xyChart(int width, int height, String title, String xLabel, String yLabel) {
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title).xAxisTitle(xLabel)
                .yAxisTitle(yLabel).build();
        apply(chart.getStyler());
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        return chart;
    }

    /**
     * The PNG of an XChart chart: painted, then encoded. Every XChart chart Ravine writes goes through here (inside
     * {@link ReportFiles#writePng}), so that the tests can read back the layout each one was painted with.
     *
     * @param chart the chart, complete
     * @return the PNG's bytes
     * @throws IOException if the Java runtime has no PNG writer
     */
    public static byte[] png(XYChart chart) throws IOException {
        java.awt.image.BufferedImage image = org.knowm.xchart.BitmapEncoder.getBufferedImage(chart);
        ReportFiles.painted.accept(chart);
        return SampledGrid.png(image);
    }

    /**
     * Replaces every font of an XChart styler (title, legend, axis titles, tick labels, annotations, tool tips,
     * cursor, buttons, base: every {@code setXxxFont(Font)} it has) by DejaVu Sans of the same size, bold where the
     * theme's font is bold. Found by reflection, so a font XChart adds in a later version is covered too.
     */
    public static void apply(Styler styler) {
        for (Method setter : styler.getClass().getMethods()) {
            if (!setter.getName().startsWith("set") || !setter.getName().endsWith("Font")
                    || setter.getParameterCount() != 1 || setter.getParameterTypes()[0] != Font.class) {
                continue;
            }
            try {
                Font current = null;
                try {
                    current = (Font) styler.getClass().getMethod("get" + setter.getName().substring(3))
                            .invoke(styler);
                } catch (NoSuchMethodException noGetter) {
                    // A setter without a getter: the theme's size is unknown, 12 points it is.
                }
                float size = current == null ? 12f : current.getSize2D();
                setter.invoke(styler, font(current != null && current.isBold(), size));
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("XChart styler " + setter.getName() + ": " + e, e);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException r) {
                    throw r;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException(cause);
            }
        }
    }
}
