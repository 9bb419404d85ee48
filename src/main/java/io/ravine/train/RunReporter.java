package io.ravine.train;

import java.nio.file.Path;

/**
 * Writes a finished run directory's report ({@code report.html} and its charts). The report sits above training
 * (it reads what a run wrote), so the {@link Trainer} finds it through {@link java.util.ServiceLoader}: Ravine's own,
 * {@code io.ravine.report.HtmlRunReporter}, is registered in {@code META-INF/services}; without one on the class
 * path a run simply has no report. A reporter must never fail a run: problems are its own warnings.
 */
@FunctionalInterface
public interface RunReporter {

    /**
     * Writes the report of the run in {@code runDir}, from the files the run wrote there.
     *
     * @param runDir the run directory, its summary.json already written
     */
    void write(Path runDir);
}
