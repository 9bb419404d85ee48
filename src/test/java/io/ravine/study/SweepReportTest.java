package io.ravine.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.report.LinePlot;
import io.ravine.report.PageChecks;
import io.ravine.report.PageHeader;
import io.ravine.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sweep's report.html: header, contents, the overlaid curves, the ranking, links; and each run's own report. */
class SweepReportTest {

    private static final List<String> COMMAND = List.of("ravine", "sweep", "lr", "--lr", "1000,0.03,0.003");

    @Test
    void theSweepPageRanksItsRunsOverlaysTheirCurvesAndLinksTheirReports(@TempDir Path tmp) throws Exception {
        // Plain SGD on z-scored inputs: lr 1e3 diverges within a step, the other two train (as LearningRateSweepTest).
        TrainConfig base = TrainConfig.builder().setData("embedded").optLimit(300).optHidden(8)
                .optOptimizer(UpdateRule.SGD).optBatchSize(50).optSteps(18).optSubset(200).optSeed(3).build();
        Path dir = tmp.resolve("sweep");
        LearningRateSweep sweep = new LearningRateSweep(base, new double[] {1e3, 0.03, 0.003}, 2, dir, "train_loss")
                .optProgressBar(false).optCommandLine(COMMAND);
        LearningRateSweep.Result r;
        try (CpuBackend backend = CpuBackend.f32()) {
            r = sweep.run(backend);
        }
        String html = Files.readString(dir.resolve("report.html"));
        PageChecks.assertHeader(html, "ravine sweep lr --lr 1000,0.03,0.003");
        PageChecks.assertContents(html, "result", "ranking", "final-loss-against-learning-rate",
                "training-loss-curves", "test-curves", "settings", "files");
        PageChecks.assertBalanced(html);

        // One overlaid series per run, in the training-loss chart and (evaluated once per epoch) the test charts.
        Map<String, LinePlot> charts = SweepReport.curveCharts(r.runs());
        List<String> perRun = r.runs().stream().map(x -> SweepReport.seriesName(x)
                + (x.status().equals("diverged") ? " (diverged)" : "")).toList();
        assertEquals(perRun, charts.get(SweepReport.TRAIN_LOSS_PLOT).seriesNames());
        List<String> completed = r.runs().stream().filter(x -> x.status().equals("completed"))
                .map(SweepReport::seriesName).toList();
        assertEquals(completed, charts.get(SweepReport.TEST_LOSS_PLOT).seriesNames(), "diverged runs have no test");
        assertEquals(completed, charts.get(SweepReport.TEST_ACCURACY_PLOT).seriesNames());
        for (String png : List.of(SweepReport.TRAIN_LOSS_PLOT, SweepReport.TEST_LOSS_PLOT,
                SweepReport.TEST_ACCURACY_PLOT, SweepReport.FINAL_LOSS_PLOT)) {
            assertTrue(html.contains("<img src=\"" + png + "\""), png);
            assertTrue(Files.size(dir.resolve(png)) > 0, png);
        }

        // The ranking: best first by the final training loss each run's summary.json holds, diverged runs last.
        List<String> expected = new ArrayList<>();
        List<Path> runDirs = r.runs().stream().map(LearningRateSweep.Run::runDir).toList();
        runDirs.stream().filter(d -> status(d).equals("completed"))
                .sorted(Comparator.comparingDouble(d -> summary(d).get("final_train_loss").getAsDouble()))
                .forEach(d -> expected.add(d.getFileName().toString()));
        runDirs.stream().filter(d -> status(d).equals("diverged")).forEach(d -> expected.add(d.getFileName()
                .toString()));
        assertEquals(2, runDirs.stream().filter(d -> status(d).equals("diverged")).count(), "the grid's top diverges");
        String ranking = PageChecks.section(html, "ranking");
        assertEquals(expected, runLinks(ranking));
        assertEquals(expected.get(0), r.best().runDir().getFileName().toString());
        assertTrue(ranking.contains("<td>yes, at step "), "a diverged run says where");
        assertTrue(ranking.contains("<td>- (diverged: no final evaluation)</td>"), "a missing value says why");
        PageChecks.assertNoBlankCells(html);

        // Every link resolves: each run's report among them, with its own header naming the sweep's command.
        List<String> links = PageChecks.assertLinksResolve(html, dir);
        for (Path run : runDirs) {
            String name = run.getFileName() + "/report.html";
            assertTrue(links.contains(name), name);
            String own = Files.readString(run.resolve("report.html"));
            PageChecks.assertHeader(own, "ravine sweep lr --lr 1000,0.03,0.003");
        }

        // A rerun finds every run finished: the page is rewritten, its header naming both starts, and a run whose
        // report is missing (a sweep by an older version) gets one.
        Files.delete(runDirs.get(2).resolve("report.html"));
        Files.delete(dir.resolve("report.html"));
        try (CpuBackend backend = CpuBackend.f32()) {
            assertTrue(sweep.run(backend).ranNow().isEmpty());
        }
        assertTrue(Files.isRegularFile(runDirs.get(2).resolve("report.html")));
        String again = Files.readString(dir.resolve("report.html"));
        assertTrue(again.contains("<span class=\"label\">resumed "), "the second start is in the header");
        assertEquals(2, PageHeader.read(dir).size());
        assertEquals(expected, runLinks(PageChecks.section(again, "ranking")));
        PageChecks.assertLinksResolve(again, dir);
    }

    @Test
    void byTestLossTheRankingIsTheTestLossOrderWithRunsWithoutOneLast() {
        Path d = Path.of("s");
        LearningRateSweep.Run a = new LearningRateSweep.Run(0.1, 1, d.resolve("a"), "completed", 0.2, 0.9, 0.5, 10);
        LearningRateSweep.Run b = new LearningRateSweep.Run(0.1, 2, d.resolve("b"), "diverged", Double.NaN,
                Double.NaN, Double.NaN, 3);
        LearningRateSweep.Run c = new LearningRateSweep.Run(0.01, 1, d.resolve("c"), "completed", 0.5, 0.4, 0.7, 10);
        LearningRateSweep.Run e = new LearningRateSweep.Run(0.01, 2, d.resolve("e"), "completed", 0.1, Double.NaN,
                Double.NaN, 10);
        LearningRateSweep.Run f = new LearningRateSweep.Run(0.001, 1, d.resolve("f"), "completed", 0.9, 0.4, 0.6, 10);
        List<LearningRateSweep.Run> runs = List.of(a, b, c, e, f);
        // Equal test losses keep the grid's order; no test loss (e) and diverged (b) are last, in grid order.
        assertEquals(List.of(c, f, a, b, e), SweepReport.ranking(runs, "test_loss"));
        assertEquals(List.of(e, a, c, f, b), SweepReport.ranking(runs, "train_loss"));
        assertFalse(SweepReport.rankable(e, "test_loss"));
    }

    /** The run names the ranking table links, in its order. */
    private static List<String> runLinks(String section) {
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("<a href=\"([^\"]+)/report.html\">([^<]+)</a>").matcher(section);
        while (m.find()) {
            assertEquals(m.group(1), m.group(2));
            names.add(m.group(2));
        }
        return names;
    }

    private static String status(Path run) {
        return summary(run).get("status").getAsString();
    }

    private static JsonObject summary(Path run) {
        try {
            return JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
