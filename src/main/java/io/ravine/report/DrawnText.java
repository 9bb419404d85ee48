package io.ravine.report;

import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.util.List;

/**
 * A text that {@link ContourPlot} or {@link SurfacePlot} drew, with its box in the image's pixels: the record of a
 * picture's layout that its tests read back (which tick labels each axis got, where, and whether any two collide).
 *
 * @param role what the text is: an axis' tick label ({@code "x"}, {@code "y"}, {@code "z"}, {@code "colour"}), an
 *     axis title ({@code "x title"}, …), {@code "title"}, {@code "legend"} or {@code "marker"}
 * @param text the text
 * @param box where it was drawn: the string's advance width by the font's ascent plus descent
 */
record DrawnText(String role, String text, Rectangle2D box) {

    /** Draws {@code text} with its baseline's left end at (x, y) and adds it to {@code log}. */
    static void draw(Graphics2D g, List<DrawnText> log, String role, String text, int x, int y) {
        g.drawString(text, x, y);
        log.add(new DrawnText(role, text, box(g.getFontMetrics(), text, x, y)));
    }

    /** The box of {@code text} drawn in {@code fm}'s font with its baseline's left end at (x, y). */
    static Rectangle2D box(FontMetrics fm, String text, double x, double y) {
        return new Rectangle2D.Double(x, y - fm.getAscent(), fm.stringWidth(text), fm.getAscent() + fm.getDescent());
    }

    /** Whether this is a tick label (an axis' or the colour bar's). */
    boolean isTick() {
        return role.equals("x") || role.equals("y") || role.equals("z") || role.equals("colour");
    }
}
