package io.ravine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** report.html's structure, read as text: header, configuration table, links, table of contents, escaping. */
class RunReportStructureTest {

    private static TrainConfig tiny() {
        return TrainConfig.builder().setData("embedded").optLimit(300).optHidden(8).optBatchSize(50).optSteps(12)
                .optLogEvery(4).optEvalEvery(6).optSubset(50).optCheckpointEvery(6).optSeed(3).build();
    }

    @Test
    void theHeaderTheConfigurationTableAndEveryLinkHold(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        List<String> command = List.of("ravine", "train", "--run-dir", run.toString(), "--note", "<a & 'b\">");
        try (Trainer t = new Trainer(tiny(), CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(run).optCommandLine(command).fit();
        }
        String html = Files.readString(RunReport.write(run));

        // Header: every field, the command escaped (never raw) and quoted for the shell.
        for (String label : List.of("command:", "started:", "Ravine:", "device:")) {
            assertTrue(html.contains("<span class=\"label\">" + label + "</span>"), label);
        }
        assertTrue(html.contains("<code>ravine train --run-dir "), html);
        assertTrue(html.contains("&#39;&lt;a &amp; &#39;\\&#39;&#39;b&quot;&gt;&#39;"), "escaped and quoted");
        assertFalse(html.contains("<a & "), "raw text in the page");
        JsonObject summary = json(run.resolve("summary.json"));
        assertTrue(html.contains(HtmlPage.escape(summary.get("device").getAsString())));

        // Configuration: one row per key of config.json's config and resolved, units on the names that have them.
        JsonObject config = json(run.resolve("config.json"));
        Set<String> keys = new LinkedHashSet<>(config.getAsJsonObject("config").keySet());
        keys.addAll(config.getAsJsonObject("resolved").keySet());
        keys.removeIf(k -> k.endsWith("_status"));
        String section = PageChecks.between(html, "id=\"configuration\"", "<h2");
        List<String> names = new ArrayList<>();
        Matcher row = Pattern.compile("<tr><td>([^<]*)</td>").matcher(section);
        while (row.find()) {
            names.add(RunHeader.withoutUnit(row.group(1)));
        }
        assertEquals(keys, new LinkedHashSet<>(names));
        // Each key once per table (optimizer, init and device are in both: as given and as resolved).
        assertEquals(config.getAsJsonObject("config").size() + config.getAsJsonObject("resolved").size(),
                names.size(), "each key once per table");
        assertTrue(section.contains("<td>batchSize (examples)</td><td class=\"num\">50</td>"), section);
        assertTrue(html.contains("train_seconds (seconds)"));
        assertTrue(html.contains("samples_per_second (samples/s)"));
        assertFalse(section.contains("<pre>"), "no raw JSON line");

        // Checkpoints are links; every link resolves: to an anchor on the page or a file in the run directory.
        assertTrue(html.contains("href=\"checkpoints/"), "checkpoint links");
        Set<String> ids = new LinkedHashSet<>();
        Matcher id = Pattern.compile(" id=\"([^\"]+)\"").matcher(html);
        while (id.find()) {
            ids.add(id.group(1));
        }
        Matcher href = Pattern.compile("(?:href|src)=\"([^\"]+)\"").matcher(html);
        int links = 0;
        while (href.find()) {
            String target = href.group(1);
            links++;
            if (target.startsWith("#")) {
                assertTrue(ids.contains(target.substring(1)), target);
            } else {
                assertTrue(Files.isRegularFile(run.resolve(URLDecoder.decode(target, StandardCharsets.UTF_8))),
                        target);
            }
        }
        assertTrue(links > 5);

        // A long page opens with a table of contents naming every section.
        String toc = PageChecks.between(html, "<nav class=\"toc\">", "</nav>");
        for (String s : List.of("summary", "configuration", "checkpoints", "training-curves", "diagnosis")) {
            assertTrue(toc.contains("href=\"#" + s + "\""), s);
            assertTrue(ids.contains(s), s);
        }
        PageChecks.assertBalanced(html);
    }

    @Test
    void aLibraryRunSaysLibrary(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        try (Trainer t = new Trainer(tiny(), CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(run).optReport(false).fit();
        }
        String html = Files.readString(RunReport.write(run));
        assertTrue(html.contains("<span class=\"label\">command:</span> library"), html);
        PageChecks.assertBalanced(html);
    }

    @Test
    void aRunFromBeforeRunJsonStillGetsAHeader(@TempDir Path run) throws Exception {
        Files.writeString(run.resolve("summary.json"), "{\"status\":\"completed\",\"device\":\"cpu <x>\"}");
        String html = Files.readString(RunReport.write(run));
        assertTrue(html.contains("no run.json"));
        assertTrue(html.contains("cpu &lt;x&gt;"));
        PageChecks.assertBalanced(html);
    }

    @Test
    void numbersAreRightAlignedAndTextLeft() {
        assertTrue(HtmlPage.isNumber("12"));
        assertTrue(HtmlPage.isNumber("-1.5e-05"));
        assertTrue(HtmlPage.isNumber("NaN"));
        assertFalse(HtmlPage.isNumber("784-16-10"));
        assertFalse(HtmlPage.isNumber("- (not measured)"));
        assertFalse(HtmlPage.isNumber(new HtmlPage.Link("1", "x")));
    }


    private static JsonObject json(Path file) throws Exception {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }
}
