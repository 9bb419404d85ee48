package io.ravine.report;

import io.ravine.train.LayerLog;
import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The report's "Layers" section, from the run's {@code layers.csv} ({@link LayerLog}): one chart of every layer's
 * update-to-parameter ratio against the step (log y, with the 1e-3 rule of thumb), a table of every tensor at the
 * last observed step, and per layer its weight matrix's histograms over time, of the values and of the gradient
 * ({@link HistogramPlot}). Kept apart from {@link RunReport}'s own sections.
 */
final class LayerSections {
    /** The chart of the update ratios (in plots/). */
    static final String UPDATE_RATIO_PLOT = "update-ratio.png";
    /** The rule of thumb (Karpathy; CS231n): updates about a thousandth of the weights. */
    static final double HEALTHY_RATIO = 1e-3;
    static final String REFERENCE_NAME = "1e-3 (rule of thumb)";

    private LayerSections() {
    }

    /** The histogram pictures of layer k (in plots/): its weights' values and its weights' gradient. */
    static String valuesPlot(int layer) {
        return "layer-" + layer + "-weights.png";
    }

    static String gradientsPlot(int layer) {
        return "layer-" + layer + "-gradients.png";
    }

    static void write(HtmlPage page, Path runDir, Path plots) {
        Path file = runDir.resolve(LayerLog.FILE);
        if (!Files.exists(file)) {
            page.paragraph("No " + LayerLog.FILE + " (a run from before it was written).");
            return;
        }
        List<LayerLog.Row> rows = LayerLog.read(file);
        if (rows.isEmpty()) {
            page.paragraph(LayerLog.FILE + " has no rows (the run was trained with --histogram-every 0).");
            return;
        }
        page.paragraph("Every tensor of every layer at the steps --histogram-every observes (" + LayerLog.FILE
                + "; TensorBoard has the same histograms). The update ratio is ||theta_t - theta_(t-1)|| /"
                + " ||theta_(t-1)|| over a layer's parameters: the relative size of one update, about 1e-3 when"
                + " healthy; much smaller and the layer barely learns (raise the learning rate), 1e-2 and more and"
                + " the updates are large next to the weights (lower it).");
        boolean table = false;
        for (Map.Entry<String, Chart> c : charts(rows).entrySet()) {
            if (!table && !c.getKey().equals(UPDATE_RATIO_PLOT)) {
                // After the update ratios, before the histograms.
                lastStepTable(page, rows);
                table = true;
            }
            if (c.getValue().write(plots.resolve(c.getKey()))) {
                page.image("plots/" + c.getKey(), c.getKey());
            } else {
                page.paragraph("(" + c.getKey() + " could not be drawn; the warning on stderr says why)");
            }
        }
        if (!table) {
            lastStepTable(page, rows);
        }
    }

    /** A chart of this section: a line chart or a histogram picture. */
    interface Chart {
        boolean write(Path png);
    }

    /**
     * The section's charts by file name in plots/, in the report's order: the update ratios (where any was
     * measured), then per layer its weights' values and gradients over time (where measured).
     */
    static Map<String, Chart> charts(List<LayerLog.Row> rows) {
        Map<String, Chart> charts = new LinkedHashMap<>();
        LinePlot ratios = updateRatioChart(rows);
        if (ratios != null) {
            charts.put(UPDATE_RATIO_PLOT, ratios::write);
        }
        for (Map.Entry<Integer, HistogramPlot[]> e : histogramCharts(rows).entrySet()) {
            HistogramPlot[] p = e.getValue();
            if (p[0].steps() > 0) {
                charts.put(valuesPlot(e.getKey()), p[0]::write);
            }
            if (p[1].steps() > 0) {
                charts.put(gradientsPlot(e.getKey()), p[1]::write);
            }
        }
        return charts;
    }

    /**
     * Every layer's {@code layer_update_ratio} against the step, log y, and the 1e-3 reference line as a dashed grey
     * series named in the legend; null where no layer has ratios at two steps or more (only θ₀, one observed step,
     * or --histogram-every 0): one point is not a curve, and the table gives it.
     */
    static LinePlot updateRatioChart(List<LayerLog.Row> rows) {
        Map<Integer, TreeMap<Long, Double>> byLayer = new TreeMap<>();
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (LayerLog.Row r : rows) {
            if (Double.isFinite(r.layerUpdateRatio()) && r.layerUpdateRatio() > 0) {
                // The layer's ratio repeats on each of its tensors' rows: one point per layer and step.
                byLayer.computeIfAbsent(r.layer(), k -> new TreeMap<>()).put(r.step(), r.layerUpdateRatio());
                lo = Math.min(lo, r.step());
                hi = Math.max(hi, r.step());
            }
        }
        if (byLayer.values().stream().allMatch(m -> m.size() < 2)) {
            return null;
        }
        LinePlot p = new LinePlot("Update-to-parameter ratio per layer", "step",
                "||delta theta|| / ||theta|| (log)").logY().roundXTicks();
        int fewest = Integer.MAX_VALUE;
        for (Map.Entry<Integer, TreeMap<Long, Double>> e : byLayer.entrySet()) {
            double[] x = e.getValue().keySet().stream().mapToDouble(Long::doubleValue).toArray();
            double[] y = e.getValue().values().stream().mapToDouble(Double::doubleValue).toArray();
            p.series("layer " + e.getKey(), x, y);
            fewest = Math.min(fewest, x.length);
        }
        if (fewest <= 30) {
            p.markers();
        }
        p.series(REFERENCE_NAME, new double[] {lo, hi}, new double[] {HEALTHY_RATIO, HEALTHY_RATIO}, Color.GRAY, true,
                false);
        return p;
    }

    /** Per layer: its weight matrix's values [0] and gradients [1] over time. */
    static Map<Integer, HistogramPlot[]> histogramCharts(List<LayerLog.Row> rows) {
        Map<Integer, HistogramPlot[]> out = new TreeMap<>();
        for (LayerLog.Row r : rows) {
            if (!r.kind().equals("weight")) {
                continue;
            }
            HistogramPlot[] p = out.computeIfAbsent(r.layer(), k -> new HistogramPlot[] {
                new HistogramPlot("Layer " + k + " weights (" + r.tensor() + ") over time", "weight"),
                new HistogramPlot("Layer " + k + " weight gradients over time", "gradient")});
            add(p[0], r.step(), r.values());
            add(p[1], r.step(), r.gradient());
        }
        return out;
    }

    private static void add(HistogramPlot p, long step, LayerLog.Values v) {
        if (v == null) {
            return;
        }
        double[] edges = new double[v.buckets().length + 1];
        for (int i = 0; i < edges.length; i++) {
            edges[i] = v.edge(i);
        }
        p.histogram(step, edges, v.buckets());
    }

    /** Each tensor at the last observed step: its values' statistics, its gradient's norm and its update ratio. */
    private static void lastStepTable(HtmlPage page, List<LayerLog.Row> rows) {
        long last = rows.get(rows.size() - 1).step();
        List<List<String>> table = new ArrayList<>();
        for (LayerLog.Row r : rows) {
            if (r.step() != last) {
                continue;
            }
            LayerLog.Values v = r.values();
            LayerLog.Values g = r.gradient();
            table.add(List.of(r.tensor(), r.kind(), Long.toString(r.count()), num(v == null ? Double.NaN : v.min()),
                    num(v == null ? Double.NaN : v.max()), num(v == null ? Double.NaN : v.mean()),
                    num(v == null ? Double.NaN : v.std()), num(v == null ? Double.NaN : v.norm()),
                    num(g == null ? Double.NaN : g.norm()), num(r.updateRatio())));
        }
        page.paragraph("Each tensor at step " + last + ", the last observed.");
        page.table(List.of("tensor", "kind", "values", "min", "max", "mean", "std", "norm", "gradient norm",
                "update ratio"), table);
    }

    private static String num(double v) {
        return Double.isFinite(v) ? TickFormat.human(v, 4) : "-";
    }
}
