package io.ravine.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.cli.CliTestSupport;
import io.ravine.report.PageChecks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A toy's report.html: the header (its command line), a table of contents, links that resolve. */
class ToyReportStructureTest {

    @Test
    void aToysPageHasTheHeaderAndContentsOfARunReport(@TempDir Path tmp) throws Exception {
        for (List<String> args : List.of(List.of("toy", "--problem", "quadratic", "--steps", "30"),
                List.of("toy", "--problem", "early-decay", "--steps", "200"))) {
            Path out = tmp.resolve(args.get(2));
            List<String> words = new java.util.ArrayList<>(args);
            words.addAll(List.of("--run-dir", out.toString()));
            CliTestSupport.Result r = CliTestSupport.run(words.toArray(String[]::new));
            assertEquals(0, r.status(), r.err());
            String html = Files.readString(out.resolve("report.html"));
            PageChecks.assertHeader(html, "ravine " + String.join(" ", args));
            PageChecks.assertContents(html, "result", "numbers", "pictures", "files");
            PageChecks.assertBalanced(html);
            List<String> links = PageChecks.assertLinksResolve(html, out);
            assertTrue(links.contains("toy.json"), links.toString());
            assertTrue(html.contains(ToyReport.DEVICE.replace("'", "&#39;")), "the device");
        }
    }
}
