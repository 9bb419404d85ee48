package io.ravine.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The parts of {@code report.html} for the directional curvature (from {@code diagnosis.json}) and for
 * {@code diagnose --all-checkpoints} (from {@code diagnosis-checkpoints.csv}), kept apart from {@link RunReport}'s
 * own sections.
 */
final class DiagnosisSections {
    private DiagnosisSections() {
    }

    /** gᵀHg split over the top Ritz directions: one row per direction and the remainder. */
    static void directional(HtmlPage page, JsonObject d) {
        if (d == null || !(d.get("directions") instanceof JsonArray dirs)) {
            return;
        }
        page.subheading("Directional curvature along the gradient");
        page.paragraph("g'Hg = sum_i lambda_i ||g||^2 cos^2(v_i, g) (Goodfellow 2015): what each of the top Hessian"
                + " eigendirections contributes to the curvature along g; the rest of the spectrum gives the"
                + " remainder.");
        List<List<String>> rows = new ArrayList<>();
        for (JsonElement e : dirs) {
            JsonObject o = e.getAsJsonObject();
            rows.add(List.of(RunReport.text(o.get("rank")), RunReport.text(o.get("eigenvalue")),
                    RunReport.text(o.get("residual")), RunReport.text(o.get("cos2")),
                    RunReport.text(o.get("contribution")), RunReport.text(o.get("share"))));
        }
        rows.add(List.of("rest", "-", "-", "1 - sum = " + RunReport.text(d.get("outside_mass")),
                RunReport.text(d.get("remainder")), RunReport.text(d.get("remainder_share"))));
        rows.add(List.of("total", "-", "-", "1", RunReport.text(d.get("gHg")), "1"));
        page.table(List.of("direction", "lambda_i", "residual", "cos^2(v_i, g)", "lambda_i ||g||^2 cos^2",
                "share of g'Hg"), rows);
    }

    /** The --all-checkpoints table and chart. */
    static void checkpoints(HtmlPage page, Path csv, Path plots, String chart) throws IOException {
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            page.paragraph(csv.getFileName() + " is empty.");
            return;
        }
        List<String> header = Arrays.asList(lines.get(0).split(",", -1));
        List<String> keep = List.of("checkpoint", "step", "loss", "gradient_norm", "lambda_max", "lambda_min",
                "lambda_min_resolved", "negative_count", "condition_number", "condition_number_lower_bound");
        List<Integer> columns = new ArrayList<>();
        for (String k : keep) {
            int i = header.indexOf(k);
            if (i >= 0) {
                columns.add(i);
            }
        }
        List<List<String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",", -1);
            List<String> row = new ArrayList<>();
            for (int i : columns) {
                row.add(i < cells.length && !cells[i].isEmpty() ? cells[i] : "-");
            }
            rows.add(row);
        }
        page.paragraph("The Hessian at every checkpoint (ravine diagnose --all-checkpoints): the index counts the"
                + " Ritz values below minus the resolvable floor, a lower bound on the number of negative"
                + " eigenvalues. Goodfellow 2015: critical points with high cost are mostly saddles.");
        List<String> names = new ArrayList<>();
        for (int i : columns) {
            names.add(header.get(i));
        }
        page.table(names, rows);
        if (Files.exists(plots.resolve(chart))) {
            page.image("plots/" + chart, chart);
        }
    }
}
