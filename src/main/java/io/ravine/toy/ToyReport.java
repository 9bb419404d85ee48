package io.ravine.toy;

import io.ravine.report.HtmlPage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A toy's {@code report.html}: what it found in words, its numbers, and every picture it drew, side by side with
 * toy.json in the toy's directory (so the directory can be copied whole). Written through {@link HtmlPage}, so a page
 * that cannot be written is one warning line and never loses toy.json.
 */
final class ToyReport {
    static final String FILE = "report.html";

    private ToyReport() {
    }

    /** Writes {@code dir/report.html}; a picture that was not drawn is a line saying so instead of a broken image. */
    static void write(Path dir, String title, List<String> summary, List<List<String>> rows, List<String> pictures) {
        HtmlPage page = new HtmlPage(title);
        page.heading("Result");
        for (String line : summary) {
            page.paragraph(line);
        }
        page.table(List.of("quantity", "value"), rows);
        page.heading("Pictures");
        for (String png : pictures) {
            if (Files.isRegularFile(dir.resolve(png))) {
                page.image(png, png);
            } else {
                page.paragraph("(" + png + " could not be drawn; the warning on stderr says why)");
            }
        }
        page.paragraph("The numbers are in toy.json.");
        page.write(dir.resolve(FILE));
    }
}
