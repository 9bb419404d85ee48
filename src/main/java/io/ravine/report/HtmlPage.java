package io.ravine.report;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A self-contained HTML page built section by section (run reports, diagnoses, studies). Text is escaped; images
 * are referenced by paths relative to the page, so a run directory can be copied or zipped whole. Each {@link
 * #heading} is a section with an anchor ({@link #anchor}); a page of more than {@value #TOC_MIN_SECTIONS} sections
 * opens with a table of contents. A {@link #header} block (label, value) sits between the title and the contents.
 * Table cells are text, {@link Link}s or {@link Code}; a cell that is a number is right-aligned, text left-aligned.
 *
 * <pre>{@code
 * new HtmlPage("Run report").heading("Training curves").image("plots/loss.png", "loss")
 *     .table(List.of("metric", "value"), rows).write(dir.resolve("report.html"));
 * }</pre>
 */
public final class HtmlPage {
    /** A page with more sections than this gets a table of contents. */
    public static final int TOC_MIN_SECTIONS = 3;

    private final String title;
    private final StringBuilder body = new StringBuilder();
    private final StringBuilder header = new StringBuilder();
    /** Section headings and their anchors, in order. */
    private final List<String[]> sections = new ArrayList<>();
    private final Set<String> anchors = new HashSet<>();

    /** A cell or list item that links to {@code href} (a path relative to the page, or #anchor). */
    public record Link(String text, String href) {
    }

    /** A cell or header value shown as code (a command line). */
    public record Code(String text) {
    }

    /** A number as written in a table (right-aligned): 12, -3.5, 1.2e-05, 4.1%, NaN, Infinity. */
    private static final Pattern NUMBER = Pattern.compile(
            "[-+]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?%?|[-+]?(NaN|Infinity)");

    public HtmlPage(String title) {
        this.title = title;
    }

    public static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
                .replace("'", "&#39;");
    }

    /** The anchor (id) a heading of this text gets: lower case, runs of other characters than a-z0-9 as '-'. */
    public static String anchor(String text) {
        String a = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        return a.isEmpty() ? "section" : a;
    }

    /** A section: an h2 with its anchor (made unique on the page), listed in the table of contents. */
    public HtmlPage heading(String text) {
        String id = anchor(text);
        for (int i = 2; !anchors.add(id); i++) {
            id = anchor(text) + "-" + i;
        }
        sections.add(new String[] {text, id});
        body.append("<h2 id=\"").append(escape(id)).append("\">").append(escape(text)).append("</h2>\n");
        return this;
    }

    /** The anchor of the section headed {@code text}, if the page has one. */
    public java.util.Optional<String> anchorOf(String text) {
        return sections.stream().filter(s -> s[0].equals(text)).map(s -> s[1]).findFirst();
    }

    /**
     * A line of the header block under the title (command line, date, version, device): {@code value} is text, a
     * {@link Link} or {@link Code}, or a list of them shown one after another.
     */
    public HtmlPage header(String label, Object value) {
        header.append("<div><span class=\"label\">").append(escape(label)).append(":</span> ")
                .append(cell(value)).append("</div>\n");
        return this;
    }

    public HtmlPage subheading(String text) {
        body.append("<h3>").append(escape(text)).append("</h3>\n");
        return this;
    }

    public HtmlPage paragraph(String text) {
        body.append("<p>").append(escape(text)).append("</p>\n");
        return this;
    }

    /** Preformatted text (commands, JSON excerpts). */
    public HtmlPage preformatted(String text) {
        body.append("<pre>").append(escape(text)).append("</pre>\n");
        return this;
    }

    public HtmlPage image(String relativePath, String alt) {
        body.append("<p><img src=\"").append(escape(relativePath)).append("\" alt=\"").append(escape(alt))
                .append("\" style=\"max-width:100%\"></p>\n");
        return this;
    }

    /** A table; each cell is text, a {@link Link} or {@link Code}; numbers are right-aligned, text left. */
    public HtmlPage table(List<String> header, List<? extends List<?>> rows) {
        body.append("<table>\n<tr>");
        for (String h : header) {
            body.append("<th>").append(escape(h)).append("</th>");
        }
        body.append("</tr>\n");
        for (List<?> row : rows) {
            body.append("<tr>");
            for (Object c : row) {
                body.append(isNumber(c) ? "<td class=\"num\">" : "<td>").append(cell(c)).append("</td>");
            }
            body.append("</tr>\n");
        }
        body.append("</table>\n");
        return this;
    }

    /** Whether a cell is a number (right-aligned). */
    static boolean isNumber(Object cell) {
        return cell instanceof String s && NUMBER.matcher(s.strip()).matches();
    }

    /** A bulleted list; each item is text or a {@link Link}. */
    public HtmlPage bullets(List<?> items) {
        body.append("<ul>\n");
        for (Object i : items) {
            body.append("<li>").append(cell(i)).append("</li>\n");
        }
        body.append("</ul>\n");
        return this;
    }

    /** The HTML of a cell: text escaped, a link, code, or a list of these one after another. */
    private static String cell(Object c) {
        if (c instanceof Link l) {
            return "<a href=\"" + escape(l.href()) + "\">" + escape(l.text()) + "</a>";
        }
        if (c instanceof Code code) {
            return "<code>" + escape(code.text()) + "</code>";
        }
        if (c instanceof List<?> parts) {
            StringBuilder b = new StringBuilder();
            for (Object p : parts) {
                b.append(cell(p));
            }
            return b.toString();
        }
        return escape(String.valueOf(c));
    }

    /** The table of contents: a link to each section, where there are more than {@value #TOC_MIN_SECTIONS}. */
    private String contents() {
        if (sections.size() <= TOC_MIN_SECTIONS) {
            return "";
        }
        StringBuilder b = new StringBuilder("<nav class=\"toc\"><h2>Contents</h2>\n<ul>\n");
        for (String[] s : sections) {
            b.append("<li><a href=\"#").append(escape(s[1])).append("\">").append(escape(s[0])).append("</a></li>\n");
        }
        return b.append("</ul></nav>\n").toString();
    }

    public String render() {
        return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title>\n"
                + "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}"
                + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;"
                + "vertical-align:top}td.num{text-align:right;font-variant-numeric:tabular-nums}"
                + "th{background:#f3f3f3}pre{background:#f6f6f6;padding:8px;overflow:auto;white-space:pre-wrap}"
                + "code{background:#f6f6f6;padding:1px 4px;word-break:break-all}.header{margin-bottom:1em}"
                + ".header .label{font-weight:bold}</style>\n"
                + "</head><body>\n<h1>" + escape(title) + "</h1>\n"
                + (header.length() == 0 ? "" : "<div class=\"header\">\n" + header + "</div>\n") + contents()
                + body + "</body></html>\n";
    }

    /**
     * Writes the page atomically through {@link ReportFiles}: true when written; false, after one warning line on
     * stderr, when it could not be (never an exception: a report cannot lose a run).
     */
    public boolean write(Path file) {
        return ReportFiles.writeText(file, render());
    }
}
