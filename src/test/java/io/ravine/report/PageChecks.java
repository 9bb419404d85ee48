package io.ravine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Structure checks of a report page read as text, shared by the tests of the sweep, study and toy pages. */
public final class PageChecks {
    private PageChecks() {
    }

    /** The header has every line (command, started, Ravine, device) and the command line starts so. */
    public static void assertHeader(String html, String commandStart) {
        String header = between(html, "<div class=\"header\">", "</div>\n</div>");
        for (String label : List.of("command:", "started:", "Ravine:", "device:")) {
            assertTrue(header.contains("<span class=\"label\">" + label + "</span>"), label + " in " + header);
        }
        assertTrue(header.contains("<code>" + HtmlPage.escape(commandStart)), commandStart + " in " + header);
        // Every header value says something.
        assertFalse(header.matches("(?s).*</span>\\s*</div>.*"), "a blank header value: " + header);
    }

    /** The page opens with a table of contents linking each of these section anchors, which exist. */
    public static void assertContents(String html, String... anchors) {
        String toc = between(html, "<nav class=\"toc\">", "</nav>");
        Set<String> ids = ids(html);
        for (String a : anchors) {
            assertTrue(toc.contains("href=\"#" + a + "\""), a + " in " + toc);
            assertTrue(ids.contains(a), a);
        }
    }

    /**
     * Every link and image resolves: an anchor to an id on the page, a path to a regular file relative to
     * {@code dir}. Returns the paths (not the anchors), in order.
     */
    public static List<String> assertLinksResolve(String html, Path dir) {
        Set<String> ids = ids(html);
        List<String> paths = new ArrayList<>();
        Matcher href = Pattern.compile("(?:href|src)=\"([^\"]+)\"").matcher(html);
        while (href.find()) {
            String target = href.group(1).replace("&amp;", "&");
            if (target.startsWith("#")) {
                assertTrue(ids.contains(target.substring(1)), target);
            } else {
                assertTrue(Files.isRegularFile(dir.resolve(URLDecoder.decode(target, StandardCharsets.UTF_8))),
                        target + " from " + dir);
                paths.add(target);
            }
        }
        return paths;
    }

    /** No table cell is empty: a missing value says why. */
    public static void assertNoBlankCells(String html) {
        assertFalse(Pattern.compile("<td( class=\"num\")?>\\s*</td>").matcher(html).find(), "a blank cell");
    }

    /** The elements a page opens are closed, in order, and no '<' or '>' is left unescaped in its text. */
    public static void assertBalanced(String html) {
        java.util.ArrayDeque<String> open = new java.util.ArrayDeque<>();
        Matcher tag = Pattern.compile("<(/?)([a-zA-Z0-9]+)[^>]*>").matcher(html);
        Set<String> empty = Set.of("meta", "img", "br", "hr");
        while (tag.find()) {
            String name = tag.group(2).toLowerCase();
            if (empty.contains(name)) {
                continue;
            }
            if (tag.group(1).isEmpty()) {
                open.push(name);
            } else {
                assertEquals(name, open.pop(), "closing tag at " + tag.start());
            }
        }
        assertTrue(open.isEmpty(), "unclosed: " + open);
        assertFalse(html.replaceAll("<!DOCTYPE html>", "").replaceAll("<(/?)[a-zA-Z0-9]+[^<>]*>", "")
                .matches("(?s).*[<>].*"), "unescaped < or >");
    }

    /** The text from {@code from} up to {@code to} (or the end). */
    public static String between(String s, String from, String to) {
        int i = s.indexOf(from);
        assertTrue(i >= 0, from);
        int j = s.indexOf(to, i + from.length());
        return s.substring(i, j < 0 ? s.length() : j);
    }

    /** The section whose h2 has this id, up to the next h2. */
    public static String section(String html, String id) {
        return between(html, "<h2 id=\"" + id + "\">", "<h2");
    }

    private static Set<String> ids(String html) {
        Set<String> ids = new LinkedHashSet<>();
        Matcher id = Pattern.compile(" id=\"([^\"]+)\"").matcher(html);
        while (id.find()) {
            ids.add(id.group(1));
        }
        return ids;
    }
}
