package io.ravine.report;

import java.nio.file.Path;
import java.util.List;

/**
 * A self-contained HTML page built section by section (run reports, diagnoses, studies). Text is escaped; images
 * are referenced by paths relative to the page, so a run directory can be copied or zipped whole.
 *
 * <pre>{@code
 * new HtmlPage("Run report").heading("Training curves").image("plots/loss.png", "loss")
 *     .table(List.of("metric", "value"), rows).write(dir.resolve("report.html"));
 * }</pre>
 */
public final class HtmlPage {
    private final String title;
    private final StringBuilder body = new StringBuilder();

    public HtmlPage(String title) {
        this.title = title;
    }

    public static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    public HtmlPage heading(String text) {
        body.append("<h2>").append(escape(text)).append("</h2>\n");
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

    public HtmlPage table(List<String> header, List<List<String>> rows) {
        body.append("<table>\n<tr>");
        for (String h : header) {
            body.append("<th>").append(escape(h)).append("</th>");
        }
        body.append("</tr>\n");
        for (List<String> row : rows) {
            body.append("<tr>");
            for (String c : row) {
                body.append("<td>").append(escape(c)).append("</td>");
            }
            body.append("</tr>\n");
        }
        body.append("</table>\n");
        return this;
    }

    public HtmlPage bullets(List<String> items) {
        body.append("<ul>\n");
        for (String i : items) {
            body.append("<li>").append(escape(i)).append("</li>\n");
        }
        body.append("</ul>\n");
        return this;
    }

    public String render() {
        return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title>\n"
                + "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}"
                + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
                + "th{background:#f3f3f3}pre{background:#f6f6f6;padding:8px;overflow:auto}</style>\n"
                + "</head><body>\n<h1>" + escape(title) + "</h1>\n" + body + "</body></html>\n";
    }

    /**
     * Writes the page atomically through {@link ReportFiles}: true when written; false, after one warning line on
     * stderr, when it could not be (never an exception: a report cannot lose a run).
     */
    public boolean write(Path file) {
        return ReportFiles.writeText(file, render());
    }
}
