package io.ravine.report;

import io.ravine.train.RunReporter;
import java.nio.file.Path;

/**
 * The {@link RunReporter} a {@link io.ravine.train.Trainer} finds through {@link java.util.ServiceLoader}: the run's
 * {@code report.html} and charts by {@link RunReport}, through {@link ReportFiles#bestEffort}, so a chart or page that
 * cannot be drawn is one warning line and never loses the run.
 */
public final class HtmlRunReporter implements RunReporter {

    /** The reporter; {@link java.util.ServiceLoader} calls this. */
    public HtmlRunReporter() {
    }

    @Override
    public void write(Path runDir) {
        ReportFiles.bestEffort(runDir.resolve("report.html"), () -> RunReport.write(runDir));
    }
}
