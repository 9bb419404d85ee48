package io.ravine.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.cpu.CpuBackend;
import io.ravine.train.LayerLog;
import io.ravine.train.MetricsLog;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * report.html's Layers section and the accuracy chart's training series, read as text and as the charts' series: the
 * section is in the table of contents, holds the update-ratio chart (one series per layer and the 1e-3 line in the
 * legend), a table of every tensor and per layer the weights' and gradients' histograms over time; a run without
 * layers.csv, or with --histogram-every 0, says so.
 */
class LayerReportTest {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};

    private static TrainConfig.Builder tiny() {
        return TrainConfig.builder().setData("embedded").optLimit(300).optHidden(8, 4).optBatchNorm(true)
                .optBatchSize(50).optSteps(12).optLogEvery(4).optEvalEvery(6).optSubset(50).optSeed(3);
    }

    @Test
    void theLayersSectionHasTheUpdateRatiosATableAndEachLayersHistograms(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        try (Trainer t = new Trainer(tiny().build(), CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(run).optHistogramEvery(2).fit();
        }
        String html = Files.readString(run.resolve("report.html"));
        String toc = html.substring(html.indexOf("<nav class=\"toc\">"), html.indexOf("</nav>"));
        assertTrue(toc.contains("href=\"#layers\""), toc);
        int start = html.indexOf("<h2 id=\"layers\">");
        String section = html.substring(start, html.indexOf("<h2", start + 1));
        List<String> images = List.of(LayerSections.UPDATE_RATIO_PLOT, "layer-0-weights.png",
                "layer-0-gradients.png", "layer-1-weights.png", "layer-1-gradients.png", "layer-2-weights.png",
                "layer-2-gradients.png");
        int at = -1;
        for (String png : images) {
            int i = section.indexOf("<img src=\"plots/" + png + "\"");
            assertTrue(i > at, png + " in order in " + section);
            at = i;
            assertArrayEquals(PNG_MAGIC, Arrays.copyOf(Files.readAllBytes(run.resolve("plots").resolve(png)), 4),
                    png);
        }
        // The table: every tensor at the last step, batch norm's γ and β included.
        for (String tensor : List.of("layers.0.weight", "norms.0.weight", "norms.0.bias", "layers.1.weight",
                "norms.1.weight", "norms.1.bias", "layers.2.weight", "layers.2.bias")) {
            assertTrue(section.contains("<td>" + tensor + "</td>"), tensor);
        }
        assertTrue(section.contains("Each tensor at step 12, the last observed."), section);
        assertTrue(section.indexOf("<table>") > section.indexOf(LayerSections.UPDATE_RATIO_PLOT)
                && section.indexOf("<table>") < section.indexOf("layer-0-weights.png"), "table between the charts");

        // The charts behind the pictures: a ratio series per layer and the reference in the legend.
        List<LayerLog.Row> rows = LayerLog.read(run.resolve(LayerLog.FILE));
        LinePlot ratios = LayerSections.updateRatioChart(rows);
        assertEquals(List.of("layer 0", "layer 1", "layer 2", LayerSections.REFERENCE_NAME), ratios.seriesNames());
        assertTrue(ratios.chart().getStyler().isLegendVisible());
        // One observed update is no curve: no chart (the table has it).
        assertEquals(null, LayerSections.updateRatioChart(rows.stream().filter(r -> r.step() <= 2).toList()));
        Map<Integer, HistogramPlot[]> histograms = LayerSections.histogramCharts(rows);
        assertEquals(List.of(0, 1, 2), List.copyOf(histograms.keySet()));
        // Weights at θ₀ and every 2 steps; gradients from the first update on.
        assertEquals(7, histograms.get(0)[0].steps());
        assertEquals(6, histograms.get(0)[1].steps());

        // The accuracy chart draws the monitoring subset's accuracy beside the test's.
        Map<String, LinePlot> curves = RunReport.curveCharts(MetricsLog.read(run.resolve("metrics.csv")));
        assertEquals(List.of("monitoring subset (training)", "test"),
                curves.get(RunReport.ACCURACY_PLOT).seriesNames());
    }

    @Test
    void withoutLayerStatisticsTheSectionSaysWhy(@TempDir Path tmp) throws Exception {
        Path off = tmp.resolve("off");
        try (Trainer t = new Trainer(tiny().build(), CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(off).optHistogramEvery(0).fit();
        }
        String html = Files.readString(off.resolve("report.html"));
        assertTrue(html.contains("layers.csv has no rows (the run was trained with --histogram-every 0)."), html);
        assertFalse(html.contains(LayerSections.UPDATE_RATIO_PLOT));

        Files.delete(off.resolve(LayerLog.FILE));
        html = Files.readString(RunReport.write(off));
        assertTrue(html.contains("No layers.csv (a run from before it was written)."), html);

        Files.writeString(off.resolve(LayerLog.FILE), "step,loss\n");
        html = Files.readString(RunReport.write(off));
        assertTrue(html.contains("(layers unavailable: "), html);
        assertTrue(html.contains("<h2 id=\"diagnosis\">"), "the sections after it are there");
    }
}
