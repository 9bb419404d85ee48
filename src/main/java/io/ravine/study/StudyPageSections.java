package io.ravine.study;

import io.ravine.report.HtmlPage;
import io.ravine.report.PageHeader;
import io.ravine.report.TickFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The sections of a batch-size study's report.html around its parts': its training runs, each a link to the run's
 * own report, and its files. Apart from {@link StudyReport} so the parts' sections and these change independently.
 */
final class StudyPageSections {
    private StudyPageSections() {
    }

    /** One row per training trial (steps and noise parts) with a link to its run's report.html. */
    static void trainingRuns(HtmlPage page, Path dir, List<TrialRow> rows) {
        page.heading("Training runs");
        List<TrialRow> training = rows.stream().filter(t -> !t.kind().equals(BatchSizeStudyConfig.HARDWARE))
                .toList();
        page.paragraph("Each training trial (the steps-to-target and noise-scale parts) is a run directory runs/TRIAL/"
                + " with config.json, metrics.csv, summary.json, its final checkpoint and its own report.html, as"
                + " ravine train writes them; a trial stops at the target loss. The hardware trials time updates on"
                + " synthetic inputs and train nothing, so they have no run directory.");
        if (training.isEmpty()) {
            page.paragraph("No training trial in this study (--parts without steps and noise).");
            return;
        }
        List<List<Object>> table = new ArrayList<>();
        for (TrialRow t : training) {
            String name = BatchSizeStudy.runName(t.trial());
            Object run = Files.isRegularFile(dir.resolve("runs").resolve(name).resolve("report.html"))
                    ? new HtmlPage.Link(name, "runs/" + name + "/report.html")
                    : name + " (no report: run by a version that kept no run directory, or its report could not be"
                            + " written; the warning on stderr said why)";
            table.add(List.of(run, t.kind(), Integer.toString(t.batchSize()), TickFormat.human(t.learningRate(), 4),
                    t.status(), t.steps() < 0 ? "- (not recorded)" : Long.toString(t.steps()),
                    Double.isFinite(t.finalLoss()) ? TickFormat.human(t.finalLoss(), 4)
                            : "- (no loss measured before the run stopped)"));
        }
        page.table(List.of("run (its report)", "part", "batch size (examples)", "learning rate (lr)", "status",
                "steps (steps)", "final loss (the target metric)"), table);
    }

    /** Links to the study's files that exist. */
    static void files(HtmlPage page, Path dir) {
        page.heading("Files");
        List<Object> items = new ArrayList<>();
        for (String[] f : new String[][] {{StudyFiles.CONFIG_FILE, "the settings that define the trials"},
            {StudyFiles.TRIALS_FILE, "one row per finished trial"}, {"study.json", "everything on this page"},
            {"noise-scale.csv", "the noise-scale series"}, {PageHeader.FILE, "the command of every start"}}) {
            if (Files.isRegularFile(dir.resolve(f[0]))) {
                items.add(List.of(new HtmlPage.Link(f[0], f[0]), ": " + f[1]));
            }
        }
        page.bullets(items);
    }
}
