package io.ravine.diagnose;

import io.ravine.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code diagnose --all-checkpoints}: the Hessian's extreme eigenvalues and index at every checkpoint of a run,
 * against the loss (Goodfellow 2015, "Are saddle points or local minima more common?": "the coin is weighted; the
 * lower J is, the more likely to be heads", so critical points with high J are saddles, and the index should fall
 * with the loss). One row per checkpoint in {@value #CSV}.
 *
 * <p>The index is the number of Ritz values of the main Lanczos run below −η, η the resolvable floor
 * ({@link HessianSpectrum}): by Cauchy interlacing each of them certifies a distinct negative eigenvalue, so it is a
 * lower bound on H's index (a Krylov space of k steps sees at most k of them, and the extreme ones first).
 */
public final class CheckpointSpectra {
    /** The sweep's file in the run directory. */
    public static final String CSV = "diagnosis-checkpoints.csv";

    /** The columns of {@value #CSV}, in order. */
    public static final List<String> COLUMNS = List.of("checkpoint", "step", "loss", "gradient_norm", "lambda_max",
            "lambda_max_error_bound", "lambda_min", "lambda_min_error_bound", "lambda_min_resolved",
            "negative_count", "negative_tolerance", "condition_number", "condition_number_lower_bound",
            "lanczos_steps", "converged", "precision");

    private CheckpointSpectra() {
    }

    /**
     * One checkpoint's measurement.
     *
     * @param checkpoint the file name without extension
     * @param step the step it was written at
     * @param point what was measured there
     */
    public record Row(String checkpoint, long step, Diagnosis.SpectrumPoint point) {
    }

    /** The CSV text: a header of {@link #COLUMNS}, one line per row; an empty cell where a value is not a number. */
    public static String csv(List<Row> rows) {
        StringBuilder sb = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (Row r : rows) {
            HessianSpectrum h = r.point().hessian();
            HessianSpectrum.Accuracy a = h.accuracy();
            sb.append(r.checkpoint()).append(',').append(r.step());
            for (double v : new double[] {r.point().loss(), r.point().gradientNorm(), h.maxEigenvalue(),
                    a.maxEigenvalueError(), h.minEigenvalue(), a.minEigenvalueError()}) {
                sb.append(',').append(cell(v));
            }
            sb.append(',').append(h.lanczosSteps() > 0 ? Boolean.toString(h.minEigenvalueResolved()) : "");
            sb.append(',').append(h.lanczosSteps() > 0 ? Integer.toString(h.negativeCount()) : "");
            sb.append(',').append(cell(a.floor()));
            sb.append(',').append(cell(h.conditionNumber() == null ? Double.NaN : h.conditionNumber()));
            sb.append(',').append(cell(a.conditionNumberLowerBound() == null ? Double.NaN
                    : a.conditionNumberLowerBound()));
            sb.append(',').append(h.lanczosSteps());
            sb.append(',').append(a.converged());
            sb.append(',').append(r.point().precision().cliName());
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Writes {@link #csv} to {@code file} atomically. */
    public static void write(Path file, List<Row> rows) {
        try {
            AtomicFiles.writeString(file, csv(rows));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static String cell(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.10g", v) : "";
    }
}
