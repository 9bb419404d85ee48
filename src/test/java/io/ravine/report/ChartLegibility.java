package io.ravine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.io.IOConsumer;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Stroke;
import java.awt.font.FontRenderContext;
import java.awt.geom.Rectangle2D;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Legibility of a chart as it was painted, for every kind Ravine draws: an XChart chart (read back from XChart's own
 * layout after painting: each axis' tick calculator, internal, by reflection), a {@link ContourPlot} or a {@link
 * SurfacePlot} (each records every text it draws with its box, {@link DrawnText}). The rules, {@link #problems}:
 * <ul>
 * <li>every axis (an XChart chart's x and y axes, a second y axis where it has one; a contour map's x, y and colour
 * bar; a surface's x, y and z) has at least three labelled ticks, no two with the same text;</li>
 * <li>each tick label is a number rounded for humans: at most 6 significant digits, no float noise
 * (0.37660000001), no ".0" on a whole number, exponents only as 1e-04 or 1E-4; one notation per linear axis
 * (not 8e-04 beside 0.001);</li>
 * <li>no two tick labels of an axis overlap at the font they are drawn in; in a Java2D picture no two of its tick
 * labels, axis titles and title overlap at all, and each lies inside the image;</li>
 * <li>numbers in the title, axis titles and legend have at most 6 significant digits; the title fits the image;</li>
 * <li>where two or more lines (or point sets) are drawn, each has a legend entry in its own look (colour, dash,
 * marker): a marker line (a vertical line at a saturation point, "decay starts") included; no two legend entries
 * alike.</li>
 * </ul>
 * {@link #capture} runs code that writes charts (the real producers: a report, a toy, a landscape) and returns each
 * chart as painted, with the file it went to; {@link #assertLegible} checks one.
 */
public final class ChartLegibility {
    private ChartLegibility() {
    }

    /** A text of a picture: its role (an axis' ticks "x", "y", "y2", "z", "colour"; else a title, a legend). */
    public record Text(String role, String text, Rectangle2D box) {
        boolean isTick() {
            return role.equals("x") || role.equals("y") || role.equals("y2") || role.equals("z")
                    || role.equals("colour");
        }
    }

    /**
     * One chart as painted.
     *
     * @param file where it was written (null when painted without being written)
     * @param kind "xchart", "contour" or "surface"
     * @param axes the axes that must carry tick labels
     * @param logAxes the axes among them drawn log by XChart (labelled at powers of 10, in XChart's notation)
     * @param texts every text with its box (an XChart chart: tick labels only have boxes, along their axis)
     * @param lines the look of every drawn line or point set (invisible helper series left out)
     * @param legend the look of every legend entry
     * @param width the image's width in pixels
     * @param height the image's height in pixels
     */
    public record Picture(Path file, String kind, List<String> axes, List<String> logAxes, List<Text> texts,
            List<String> lines, List<String> legend, int width, int height) {
        /** The tick labels of {@code axis}, in the order drawn. */
        public List<String> ticks(String axis) {
            return texts.stream().filter(t -> t.role().equals(axis)).map(Text::text).toList();
        }

        @Override
        public String toString() {
            return (file == null ? kind : file.getFileName().toString()) + " " + texts.stream()
                    .filter(Text::isTick).map(t -> t.role() + ":" + t.text()).toList();
        }
    }

    /** Something that writes charts. */
    @FunctionalInterface
    public interface Producer {
        void run() throws Exception;
    }

    /**
     * Runs {@code producer} and returns every chart it painted, in order, each with the file it was written to:
     * through {@link ReportFiles}' test hooks (the file comes from {@code beforeWrite}, the chart from
     * {@code painted}), restored afterwards.
     */
    public static List<Picture> capture(Producer producer) throws Exception {
        List<Picture> out = new ArrayList<>();
        IOConsumer<Path> before = ReportFiles.beforeWrite;
        Consumer<Object> painted = ReportFiles.painted;
        Path[] current = {null};
        ReportFiles.beforeWrite = file -> {
            before.accept(file);
            current[0] = file;
        };
        ReportFiles.painted = chart -> {
            painted.accept(chart);
            out.add(picture(current[0], chart));
        };
        try {
            producer.run();
        } finally {
            ReportFiles.beforeWrite = before;
            ReportFiles.painted = painted;
        }
        return out;
    }

    /** The layout of a chart just painted: an XChart {@link XYChart}, a {@link ContourPlot}, a {@link SurfacePlot}. */
    public static Picture picture(Path file, Object chart) {
        try {
            if (chart instanceof XYChart x) {
                return xchart(file, x);
            }
            if (chart instanceof ContourPlot c) {
                return new Picture(file, "contour", List.of("x", "y", "colour"), List.of(), texts(c.drawnTexts()),
                        c.pathStyles(), c.legendStyles(), c.imageSize().width, c.imageSize().height);
            }
            if (chart instanceof SurfacePlot s) {
                return new Picture(file, "surface", List.of("x", "y", "z"), List.of(), texts(s.drawnTexts()),
                        s.pathStyles(), s.legendStyles(), s.imageSize().width, s.imageSize().height);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read XChart's layout (another XChart version?): " + e, e);
        }
        throw new IllegalArgumentException("a chart of a kind the legibility checks do not know: " + chart);
    }

    private static List<Text> texts(List<DrawnText> drawn) {
        return drawn.stream().map(d -> new Text(d.role(), d.text(), d.box())).toList();
    }

    private static Picture xchart(Path file, XYChart chart) throws ReflectiveOperationException {
        Font font = chart.getStyler().getAxisTickLabelsFont();
        FontRenderContext frc = new FontRenderContext(null, true, true);
        List<Text> texts = new ArrayList<>();
        List<String> axes = new ArrayList<>(List.of("x", "y"));
        Set<Integer> groups = new TreeSet<>();
        for (XYSeries s : chart.getSeriesMap().values()) {
            groups.add(s.getYAxisGroup());
        }
        ticks(chart, "x", -1, font, frc, texts);
        ticks(chart, "y", 0, font, frc, texts);
        if (groups.contains(1)) {
            axes.add("y2");
            ticks(chart, "y2", 1, font, frc, texts);
        }
        // XChart centres the title over the plot area (ChartTitle.paint), not over the image.
        Rectangle2D title = chart.getStyler().getChartTitleFont().getStringBounds(chart.getTitle(), frc);
        Method getPlot = Chart.class.getDeclaredMethod("getPlot");
        getPlot.setAccessible(true);
        Object plot = getPlot.invoke(chart);
        Rectangle2D area = (Rectangle2D) plot.getClass().getMethod("getBounds").invoke(plot);
        texts.add(new Text("title", chart.getTitle(), new Rectangle2D.Double(area.getX() + (area.getWidth()
                - title.getWidth()) / 2, 0, title.getWidth(), title.getHeight())));
        texts.add(new Text("x title", chart.getXAxisTitle(), null));
        texts.add(new Text("y title", chart.getYAxisTitle(), null));
        if (groups.contains(1) && chart.getYAxisGroupTitle(1) != null) {
            texts.add(new Text("y2 title", chart.getYAxisGroupTitle(1), null));
        }
        List<String> lines = new ArrayList<>();
        List<String> legend = new ArrayList<>();
        boolean legendShown = chart.getStyler().isLegendVisible();
        for (XYSeries s : chart.getSeriesMap().values()) {
            String look = look(s);
            if (look == null) {
                continue;
            }
            lines.add(look);
            if (legendShown && s.isShowInLegend()) {
                legend.add(look);
                texts.add(new Text("legend", s.getName(), null));
            }
        }
        List<String> logAxes = new ArrayList<>();
        if (chart.getStyler().isXAxisLogarithmic()) {
            logAxes.add("x");
        }
        if (chart.getStyler().isYAxisLogarithmic()) {
            logAxes.addAll(List.of("y", "y2"));
        }
        return new Picture(file, "xchart", axes, logAxes, texts, lines, legend, chart.getWidth(),
                chart.getHeight());
    }

    /** How a series looks (line colour and dash, marker and its colour), or null where it draws nothing. */
    private static String look(XYSeries s) {
        boolean scatter = s.getXYSeriesRenderStyle() == XYSeries.XYSeriesRenderStyle.Scatter;
        Stroke stroke = s.getLineStyle();
        boolean line = !scatter && stroke != SeriesLines.NONE && !stroke.getClass().getSimpleName()
                .equals("NoneStroke");
        boolean marker = s.getMarker() != null && s.getMarker() != SeriesMarkers.NONE
                && !(s.getMarker() instanceof org.knowm.xchart.style.markers.None);
        if (!line && !marker) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        if (line) {
            b.append("line ").append(hex(s.getLineColor()));
            if (stroke instanceof BasicStroke bs && bs.getDashArray() != null) {
                b.append(" dashed ").append(Arrays.toString(bs.getDashArray()));
            }
        }
        if (marker) {
            b.append(line ? ", " : "").append("marker ").append(s.getMarker().getClass().getSimpleName()).append(' ')
                    .append(hex(s.getMarkerColor()));
        }
        return b.toString();
    }

    private static String hex(Color c) {
        return c == null ? "theme" : String.format(Locale.ROOT, "#%06x", c.getRGB() & 0xffffff);
    }

    /** An XChart axis' labelled ticks, boxed along the axis (x: width, y: height) around their pixel place. */
    private static void ticks(XYChart chart, String role, int group, Font font, FontRenderContext frc, List<Text> out)
            throws ReflectiveOperationException {
        Object axis;
        if (group < 0) {
            Method get = Chart.class.getDeclaredMethod("getXAxis");
            get.setAccessible(true);
            axis = get.invoke(chart);
        } else {
            Method get = Chart.class.getDeclaredMethod("getYAxis", int.class);
            get.setAccessible(true);
            axis = get.invoke(chart, group);
        }
        Object calculator = axis.getClass().getMethod("getAxisTickCalculator").invoke(axis);
        Method labelsM = calculator.getClass().getMethod("getTickLabels");
        labelsM.setAccessible(true);
        Method locationsM = calculator.getClass().getMethod("getTickLocations");
        locationsM.setAccessible(true);
        @SuppressWarnings("unchecked")
        List<String> labels = (List<String>) labelsM.invoke(calculator);
        @SuppressWarnings("unchecked")
        List<Double> locations = (List<Double>) locationsM.invoke(calculator);
        boolean x = group < 0;
        // XChart paints only the labels strictly inside the axis' extent (AxisTickLabels.paint); the calculator
        // also lists some beyond both ends.
        Rectangle2D bounds = (Rectangle2D) axis.getClass().getMethod("getBounds").invoke(axis);
        double extent = x ? bounds.getWidth() : bounds.getHeight();
        for (int i = 0; i < labels.size(); i++) {
            String label = labels.get(i);
            double at = locations.get(i);
            if (label == null || label.isBlank() || !(at > 0 && at < extent)) {
                continue;
            }
            Rectangle2D r = font.getStringBounds(label, frc);
            out.add(new Text(role, label, x ? new Rectangle2D.Double(at - r.getWidth() / 2, 0, r.getWidth(),
                    r.getHeight()) : new Rectangle2D.Double(0, at - r.getHeight() / 2, r.getWidth(), r.getHeight())));
        }
    }

    // ---- the rules ----

    /** A tick label rounded for humans: plain (−0.25, 1500) or with an exponent (1e-04, 2.5e+06, 1E-4). */
    private static final Pattern TICK = Pattern.compile("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?");
    /** A number inside a text: a decimal or an integer, possibly with an exponent. */
    private static final Pattern NUMBER = Pattern.compile("(?<![\\w.])\\d+(\\.\\d+)?([eE][-+]?\\d+)?(?![\\w.])");

    /** Significant digits of a number's mantissa as written ("0.0025" has 2, "1500" has 2, "1.50e+03" has 3). */
    static int significantDigits(String number) {
        String m = number.replaceFirst("^-", "").replaceFirst("[eE].*$", "");
        String digits = m.replace(".", "").replaceFirst("^0+", "");
        if (!m.contains(".")) {
            digits = digits.replaceFirst("0+$", "");
        }
        return Math.max(1, digits.length());
    }

    /** Every rule this picture breaks, in words; empty when it is legible. */
    public static List<String> problems(Picture p) {
        List<String> out = new ArrayList<>();
        String name = p.file() == null ? p.kind() : p.file().getFileName().toString();
        for (String axis : p.axes()) {
            List<Text> ticks = p.texts().stream().filter(t -> t.role().equals(axis)).toList();
            List<String> labels = ticks.stream().map(Text::text).toList();
            if (labels.size() < 3) {
                out.add(name + ": axis " + axis + " has " + labels.size() + " labelled ticks " + labels
                        + ", fewer than 3");
            }
            if (new HashSet<>(labels).size() != labels.size()) {
                out.add(name + ": axis " + axis + " repeats a label: " + labels);
            }
            for (String l : labels) {
                String why = tickProblem(l);
                if (why != null) {
                    out.add(name + ": axis " + axis + " label '" + l + "' " + why);
                }
            }
            // One notation per axis (0.0005 beside 0.001, not 5e-04), but on a colour scale (its values are not
            // evenly spaced: 3e-04 … 16) and on XChart's own log axes (1, 0.1, 0.01, 0.001, 1E-4).
            boolean scale = axis.equals("colour") || axis.equals("z") || p.logAxes().contains(axis);
            long exponents = labels.stream().filter(l -> l.matches(".*[eE].*")).count();
            if (!scale && exponents > 0 && exponents < labels.stream().filter(l -> !l.equals("0")).count()) {
                out.add(name + ": axis " + axis + " mixes plain numbers and exponents: " + labels);
            }
            if (p.kind().equals("xchart")) {
                // Along the axis: sorted by place, each label's box ends before the next one's starts.
                boolean x = axis.equals("x");
                List<Text> sorted = new ArrayList<>(ticks);
                sorted.sort((a, b) -> Double.compare(x ? a.box().getMinX() : a.box().getMinY(),
                        x ? b.box().getMinX() : b.box().getMinY()));
                for (int i = 0; i + 1 < sorted.size(); i++) {
                    Rectangle2D a = sorted.get(i).box();
                    Rectangle2D b = sorted.get(i + 1).box();
                    if ((x ? a.getMaxX() >= b.getMinX() : a.getMaxY() >= b.getMinY())) {
                        out.add(name + ": axis " + axis + " labels '" + sorted.get(i).text() + "' and '"
                                + sorted.get(i + 1).text() + "' overlap");
                    }
                }
            }
        }
        for (Text t : p.texts()) {
            if (t.role().equals("title") && t.box() != null && (t.box().getMinX() < 0
                    || t.box().getMaxX() > p.width())) {
                out.add(name + ": the title '" + t.text() + "' is wider than the image (" + Math.round(t.box()
                        .getWidth()) + " px in " + p.width() + ")");
            }
        }
        if (!p.kind().equals("xchart")) {
            // A Java2D picture: tick labels, axis titles and the title, all in image pixels.
            List<Text> boxed = p.texts().stream().filter(t -> t.isTick() || t.role().endsWith("title")).toList();
            for (int i = 0; i < boxed.size(); i++) {
                Rectangle2D a = boxed.get(i).box();
                if (a.getMinX() < 0 || a.getMinY() < 0 || a.getMaxX() > p.width() || a.getMaxY() > p.height()) {
                    out.add(name + ": " + boxed.get(i).role() + " '" + boxed.get(i).text() + "' leaves the image "
                            + a);
                }
                for (int j = i + 1; j < boxed.size(); j++) {
                    if (a.intersects(boxed.get(j).box())) {
                        out.add(name + ": " + boxed.get(i).role() + " '" + boxed.get(i).text() + "' and "
                                + boxed.get(j).role() + " '" + boxed.get(j).text() + "' overlap");
                    }
                }
            }
        }
        for (Text t : p.texts()) {
            if (t.isTick() || t.text() == null) {
                continue;
            }
            Matcher m = NUMBER.matcher(t.text());
            while (m.find()) {
                String number = m.group();
                boolean integer = m.group(1) == null && m.group(2) == null;
                // Integers are counts, steps and seeds (exact); a fraction shows at most 6 significant digits.
                if (integer ? number.length() > 12 : significantDigits(number) > 6) {
                    out.add(name + ": " + t.role() + " '" + t.text() + "' shows " + number
                            + ", not rounded for humans");
                }
            }
        }
        Set<String> looks = new HashSet<>();
        for (String look : p.legend()) {
            if (!looks.add(look)) {
                out.add(name + ": two legend entries look alike (" + look + "): their lines cannot be told apart");
            }
        }
        if (p.lines().size() >= 2) {
            Set<String> legend = new LinkedHashSet<>(p.legend());
            for (String look : new LinkedHashSet<>(p.lines())) {
                if (!legend.contains(look)) {
                    out.add(name + ": " + p.lines().size() + " lines drawn, and the one drawn as " + look
                            + " has no legend entry (legend: " + legend + ")");
                }
            }
        }
        return out;
    }

    /** Why a tick label is not a number rounded for humans, or null when it is one. */
    static String tickProblem(String label) {
        if (!TICK.matcher(label).matches()) {
            return "is not a plain number";
        }
        if (label.matches("-?\\d+\\.\\d*?0([eE].*)?")) {
            return "has a trailing zero";
        }
        if (significantDigits(label) > 6) {
            return "has " + significantDigits(label) + " significant digits";
        }
        if (label.matches("-0(\\.0+)?")) {
            return "is a negative zero";
        }
        return null;
    }

    /** Asserts {@link #problems} is empty for {@code p}. */
    public static void assertLegible(Picture p) {
        List<String> problems = problems(p);
        assertTrue(problems.isEmpty(), String.join("\n", problems) + "\n" + p);
    }

    /** Asserts that {@code pictures} are the charts {@code files}, in any order, and each is legible. */
    public static void assertLegible(List<Picture> pictures, List<String> files) {
        assertEquals(new TreeSet<>(files), new TreeSet<>(pictures.stream().map(p -> p.file().getFileName()
                .toString()).toList()), "the charts drawn");
        List<String> problems = new ArrayList<>();
        for (Picture p : pictures) {
            problems.addAll(problems(p));
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems) + "\n" + pictures);
    }
}
