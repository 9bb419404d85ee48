package io.ravine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Font;
import java.awt.font.FontRenderContext;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler;

/** Every chart's text is DejaVu Sans from the jar; no AWT logical font is drawn anywhere. */
class ChartFontsTest {
    private static final Path MAIN = Path.of("src", "main", "java");

    @Test
    void theFontsComeFromTheJarWithTheirLicence() throws IOException {
        Font regular = ChartFonts.font(false, 12);
        Font bold = ChartFonts.font(true, 16);
        assertEquals(ChartFonts.FAMILY, regular.getFamily());
        assertEquals(ChartFonts.FAMILY, bold.getFamily());
        assertEquals("DejaVu Sans", regular.getFontName());
        assertEquals("DejaVu Sans Bold", bold.getFontName());
        assertEquals(16f, bold.getSize2D());
        // Both faces cover the characters the charts use (θ, α, ², −, ≤, Σ).
        for (Font f : List.of(regular, bold)) {
            assertEquals(-1, f.canDisplayUpTo("θ₀ α ‖g‖² − ≤ Σ ε* λ_max"), f.getFontName());
        }
        // Bold is wider than regular at the same size: a real second face, not the same file twice.
        FontRenderContext frc = new FontRenderContext(null, true, true);
        assertTrue(bold.deriveFont(12f).getStringBounds("Training loss", frc).getWidth()
                > regular.getStringBounds("Training loss", frc).getWidth());
        try (InputStream licence = ChartFonts.class.getResourceAsStream("/io/ravine/fonts/LICENSE")) {
            assertNotNull(licence);
            String text = new String(licence.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(text.contains("Bitstream Vera Fonts Copyright") && text.contains("Arev Fonts Copyright"));
        }
    }

    @Test
    void everyFontOfAnXChartStylerIsDejaVuSans() throws Exception {
        XYChart line = new LinePlot("t", "x", "y").series("a", new double[] {1, 2}, new double[] {3, 4}).chart();
        XYChart plain = ChartFonts.xyChart(300, 200, "t", "x", "y");
        for (XYChart chart : List.of(line, plain)) {
            List<String> fonts = fontGetters(chart.getStyler());
            // Title, legend, axis titles, tick labels, annotations, tool tips, cursor, button, base at least.
            assertTrue(fonts.size() >= 9, fonts.toString());
            for (String getter : fonts) {
                Font f = (Font) chart.getStyler().getClass().getMethod(getter).invoke(chart.getStyler());
                assertEquals(ChartFonts.FAMILY, f.getFamily(), getter);
            }
        }
        // The theme's bold title stays bold.
        assertEquals("DejaVu Sans Bold", line.getStyler().getChartTitleFont().getFontName());
    }

    private static List<String> fontGetters(Styler styler) {
        List<String> names = new ArrayList<>();
        for (Method m : styler.getClass().getMethods()) {
            if (m.getName().startsWith("get") && m.getName().endsWith("Font") && m.getParameterCount() == 0
                    && m.getReturnType() == Font.class) {
                names.add(m.getName());
            }
        }
        return names;
    }

    /**
     * A source scan: nothing outside ChartFonts makes a Font or names a logical font, and every XChart chart is
     * built by ChartFonts (which sets its fonts), so a new chart cannot draw with the host's fonts by accident.
     */
    @Test
    void onlyChartFontsMakesFontsAndCharts() throws IOException {
        Pattern forbidden = Pattern.compile("new\\s+Font\\s*\\(|Font\\s*\\.\\s*(SANS_SERIF|SERIF|DIALOG|DIALOG_INPUT"
                + "|MONOSPACED)\\b|new\\s+\\w*ChartBuilder\\b|new\\s+(XY|Category|Pie|Bubble|Dial|Radar|OHLC|HeatMap"
                + "|Box)Chart\\s*\\(|deriveFont\\s*\\(|Font\\s*\\.\\s*(decode|getFont)\\s*\\(");
        List<String> found = new ArrayList<>();
        List<Path> sources;
        try (Stream<Path> files = Files.walk(MAIN)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertTrue(sources.size() > 50, MAIN.toAbsolutePath().toString());
        for (Path source : sources) {
            if (source.endsWith(Path.of("io", "ravine", "report", "ChartFonts.java"))) {
                continue;
            }
            // Comments out (a javadoc may name what the code must not do); a "//" inside a string literal only
            // hides the rest of its line from the scan.
            String code = Files.readString(source).replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", "");
            Matcher m = forbidden.matcher(code);
            while (m.find()) {
                found.add(source + ": " + m.group());
            }
        }
        assertEquals(List.of(), found, "fonts or charts made outside io.ravine.report.ChartFonts");
    }
}
