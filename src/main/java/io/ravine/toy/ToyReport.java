package io.ravine.toy;

import io.ravine.report.HtmlPage;
import io.ravine.report.PageHeader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A toy's {@code report.html}: a header (the command, date, version, device), a table of contents, what it found in
 * words, its numbers, every picture it drew and its files, side by side with
 * toy.json in the toy's directory (so the directory can be copied whole). Written through {@link HtmlPage}, so a page
 * that cannot be written is one warning line and never loses toy.json.
 */
final class ToyReport {
    static final String FILE = "report.html";
    /** The toys compute on Ravine's CPU backend in float64 (θ has two elements), whatever the machine has. */
    static final String DEVICE = "cpu, float64 (a toy's θ is two numbers on Ravine's CPU backend)";

    private ToyReport() {
    }

    /**
     * Writes {@code dir/report.html}; a picture that was not drawn is a line saying so instead of a broken image.
     * {@code command} is the command line's words (null: the Java API).
     */
    static void write(Path dir, String title, List<String> summary, List<List<String>> rows, List<String> pictures,
            List<String> command) {
        HtmlPage page = new HtmlPage(title);
        PageHeader.write(page, List.of(PageHeader.now(command, DEVICE)));
        page.heading("Result");
        for (String line : summary) {
            page.paragraph(line);
        }
        page.heading("Numbers");
        page.table(List.of("quantity", "value"), rows);
        page.heading("Pictures");
        for (String png : pictures) {
            if (Files.isRegularFile(dir.resolve(png))) {
                page.image(png, png);
            } else {
                page.paragraph("(" + png + " could not be drawn; the warning on stderr says why)");
            }
        }
        page.heading("Files");
        List<Object> files = new java.util.ArrayList<>();
        try (var list = Files.list(dir)) {
            list.map(p -> p.getFileName().toString()).filter(n -> !n.equals(FILE) && !n.startsWith(".")
                    && !pictures.contains(n)).sorted().forEach(n -> files.add(new HtmlPage.Link(n, n)));
        } catch (java.io.IOException e) {
            files.add("(the directory could not be listed: " + e.getMessage() + ")");
        }
        page.paragraph("The numbers are in toy.json; the pictures are above.");
        page.bullets(files);
        page.write(dir.resolve(FILE));
    }
}
