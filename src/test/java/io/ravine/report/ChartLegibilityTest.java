package io.ravine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.geom.Rectangle2D;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The legibility checks themselves: each rule finds what it is for, and a legible picture passes them all. */
class ChartLegibilityTest {

    /** An XChart-like picture: x labels 30 px wide every {@code step} px, y labels at 40, 80, 120. */
    private static ChartLegibility.Picture picture(List<String> x, double step, List<String> lines,
            List<String> legend, String title) {
        List<ChartLegibility.Text> texts = new ArrayList<>();
        for (int i = 0; i < x.size(); i++) {
            texts.add(new ChartLegibility.Text("x", x.get(i), new Rectangle2D.Double(i * step, 0, 30, 12)));
        }
        for (int i = 0; i < 3; i++) {
            texts.add(new ChartLegibility.Text("y", Integer.toString(i), new Rectangle2D.Double(0, 40 * i, 10, 12)));
        }
        texts.add(new ChartLegibility.Text("title", title, null));
        return new ChartLegibility.Picture(Path.of("c.png"), "xchart", List.of("x", "y"), List.of(), texts, lines,
                legend, 800, 500);
    }

    private static String problems(ChartLegibility.Picture p) {
        return String.join("\n", ChartLegibility.problems(p));
    }

    @Test
    void aLegiblePictureHasNoProblem() {
        assertEquals("", problems(picture(List.of("0", "0.5", "1"), 50, List.of("a", "b"), List.of("a", "b"),
                "loss 0.377 at step 2000")));
    }

    @Test
    void eachRuleFindsItsProblem() {
        assertTrue(problems(picture(List.of("0", "1"), 50, List.of(), List.of(), "t")).contains("fewer than 3"));
        assertTrue(problems(picture(List.of("0", "0", "1"), 50, List.of(), List.of(), "t")).contains("repeats"));
        assertTrue(problems(picture(List.of("0", "0.37660000001", "1"), 50, List.of(), List.of(), "t"))
                .contains("11 significant digits"));
        assertTrue(problems(picture(List.of("0", "1.0", "2.0"), 50, List.of(), List.of(), "t"))
                .contains("trailing zero"));
        assertTrue(problems(picture(List.of("8e-04", "0.001", "0.0012"), 50, List.of(), List.of(), "t"))
                .contains("mixes plain numbers and exponents"));
        assertTrue(problems(picture(List.of("0", "0.5", "1"), 20, List.of(), List.of(), "t")).contains("overlap"));
        assertTrue(problems(picture(List.of("0", "0.5", "1"), 50, List.of(), List.of(), "J = 0.37660000001"))
                .contains("not rounded for humans"));
        assertTrue(problems(picture(List.of("0", "0.5", "1"), 50, List.of("a", "mark"), List.of("a"), "t"))
                .contains("has no legend entry"));
        assertTrue(problems(picture(List.of("0", "0.5", "1"), 50, List.of("a", "a"), List.of("a", "a"), "t"))
                .contains("look alike"));
    }

    @Test
    void aJava2dPictureIsCheckedInTwoDimensions() {
        List<ChartLegibility.Text> texts = new ArrayList<>();
        for (String axis : List.of("x", "y", "colour")) {
            for (int i = 0; i < 3; i++) {
                texts.add(new ChartLegibility.Text(axis, Integer.toString(i), new Rectangle2D.Double(100 * i
                        + (axis.equals("y") ? 5 : 0), axis.equals("x") ? 10 : axis.equals("y") ? 100 : 200, 20,
                        12)));
            }
        }
        texts.add(new ChartLegibility.Text("title", "a title over a label", new Rectangle2D.Double(0, 195, 50,
                16)));
        texts.add(new ChartLegibility.Text("x title", "off the image", new Rectangle2D.Double(790, 300, 30, 12)));
        String p = problems(new ChartLegibility.Picture(Path.of("c.png"), "contour", List.of("x", "y", "colour"),
                List.of(), texts, List.of(), List.of(), 800, 500));
        assertTrue(p.contains("colour '0' and title 'a title over a label' overlap"), p);
        assertTrue(p.contains("'off the image' leaves the image"), p);
        assertEquals(2, p.lines().count(), p);
    }
}
