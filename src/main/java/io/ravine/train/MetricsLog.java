package io.ravine.train;

import io.ravine.InvalidInputException;
import io.ravine.io.AtomicFiles;
import io.ravine.io.ParseErrors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run's {@code metrics.csv}: one row per logging step, appended while the run goes. It is the one file of a run
 * that is not replaced atomically (rewriting it every row would cost O(rows²)); instead each row is encoded first and
 * handed to the operating system in a single {@code write} on a file opened for appending, so a killed process
 * leaves every row it finished and at most one torn last line (a row cut short, without its newline). The header is
 * written, and the file truncated on resume, atomically.
 *
 * <p>On resume, {@link #resume} keeps the complete rows up to the checkpoint's step, drops a torn last line and the
 * rows written after the checkpoint (the resumed run writes them again), and refuses a damaged row anywhere else:
 * that is not what a kill leaves, so the file was edited or corrupted and the user must decide.
 */
public final class MetricsLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsLog.class);

    /**
     * Column names, in order. Empty cells mean "not measured at this step". {@code train_loss} and
     * {@code train_accuracy} are measured on the fixed monitoring subset of the training data at every logging step
     * (step 0 included); {@code train_accuracy}, like {@code test_accuracy}, is empty in every row of a regression
     * (accuracy is undefined there). {@code grad_norm} is the mini-batch
     * gradient's norm at every logged step; {@code gg} (the monitoring subset's gᵀg), {@code gHg},
     * {@code optimal_step} (ε* = gᵀg/gᵀHg) and {@code predicted_change}/{@code actual_change} (of the subset's loss
     * for a step −αg with the row's {@code lr}) are {@code --diagnose-every}'s. {@code passes} is the work done
     * since step 0 in passes over the training data ({@link Passes}: a gradient over all N examples is one; a
     * closure rule's loss evaluations and curvature products by their matrix products' cost), so optimizers whose steps
     * cost differently share an x axis. {@code wall_seconds} stays last.
     */
    public static final List<String> COLUMNS = List.of("step", "epoch", "lr", "batch_loss", "train_loss",
            "train_accuracy", "test_loss", "test_accuracy", "ema_test_loss", "ema_test_accuracy", "grad_norm", "gHg",
            "optimal_step", "gg", "predicted_change", "actual_change", "passes", "wall_seconds");

    /**
     * The columns of logs written before {@code gg}, {@code predicted_change} and {@code actual_change}: a run
     * started then still resumes, its rows kept with those cells empty.
     */
    static final List<String> FORMER_COLUMNS = List.of("step", "epoch", "lr", "batch_loss", "train_loss",
            "test_loss", "test_accuracy", "ema_test_loss", "ema_test_accuracy", "grad_norm", "gHg", "optimal_step",
            "wall_seconds");

    /** The columns of logs written before {@code passes}: resumed the same way, their rows' passes empty. */
    static final List<String> BEFORE_PASSES_COLUMNS = List.of("step", "epoch", "lr", "batch_loss", "train_loss",
            "test_loss", "test_accuracy", "ema_test_loss", "ema_test_accuracy", "grad_norm", "gHg", "optimal_step",
            "gg", "predicted_change", "actual_change", "wall_seconds");

    /**
     * The columns of logs written before {@code train_accuracy}: resumed the same way, their rows' train_accuracy
     * empty (the resumed run measures it from its first logging step on).
     */
    static final List<String> BEFORE_TRAIN_ACCURACY_COLUMNS = List.of("step", "epoch", "lr", "batch_loss",
            "train_loss", "test_loss", "test_accuracy", "ema_test_loss", "ema_test_accuracy", "grad_norm", "gHg",
            "optimal_step", "gg", "predicted_change", "actual_change", "passes", "wall_seconds");

    private static final String HEADER = String.join(",", COLUMNS);
    /** Earlier layouts a resumed run may find, each with what its rows lack, for the log line. */
    private static final Map<String, List<String>> FORMER_LAYOUTS = Map.of(
            String.join(",", FORMER_COLUMNS), FORMER_COLUMNS,
            String.join(",", BEFORE_PASSES_COLUMNS), BEFORE_PASSES_COLUMNS,
            String.join(",", BEFORE_TRAIN_ACCURACY_COLUMNS), BEFORE_TRAIN_ACCURACY_COLUMNS);

    private final Path file;
    private final io.ravine.io.AppendOnlyFile out;

    private MetricsLog(Path file, io.ravine.io.AppendOnlyFile out) {
        this.file = file;
        this.out = out;
    }

    /**
     * Starts a new log (replacing any old one).
     *
     * @param file metrics.csv
     * @return the log, open for appending
     */
    public static MetricsLog create(Path file) {
        try {
            AtomicFiles.writeString(file, HEADER + "\n");
            return new MetricsLog(file, io.ravine.io.AppendOnlyFile.open(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * Continues an existing log after {@code step}: rows after it (written after the checkpoint) and a torn last
     * line are dropped; a missing file starts a new log.
     *
     * @param file metrics.csv
     * @param step the step the run resumes from
     * @return the log, open for appending
     * @throws InvalidInputException if the file is not a metrics log or a complete row in it is damaged (naming the
     *     file and the line)
     */
    public static MetricsLog resume(Path file, long step) {
        StringBuilder kept = new StringBuilder(HEADER).append('\n');
        Lines lines = Lines.read(file);
        if (lines != null) {
            List<String> columns = COLUMNS;
            List<String> former = lines.complete().isEmpty() ? null : FORMER_LAYOUTS.get(lines.complete().get(0));
            if (former != null) {
                columns = former;
                LOG.info("{}: written before the column(s) {}; its rows are kept with those cells empty", file,
                        String.join(", ", COLUMNS.stream().filter(c -> !former.contains(c)).toList()));
            } else if (!lines.complete().isEmpty() && !lines.complete().get(0).equals(HEADER)) {
                throw new InvalidInputException(file + ": line 1: not the header of a metrics log (expected '"
                        + HEADER + "')");
            }
            long previous = -1;
            int dropped = 0;
            for (int i = 1; i < lines.complete().size(); i++) {
                String line = lines.complete().get(i);
                if (line.isEmpty()) {
                    continue;
                }
                long rowStep = checkRow(file, i + 1, line, previous, columns);
                previous = rowStep;
                if (rowStep <= step) {
                    kept.append(columns == COLUMNS ? line : inCurrentColumns(line, columns)).append('\n');
                } else {
                    dropped++;
                }
            }
            if (dropped > 0) {
                LOG.info("{}: {} row(s) after the checkpoint's step {} dropped; the resumed run writes them again",
                        file, dropped, step);
            }
        }
        try {
            AtomicFiles.writeString(file, kept.toString());
            return new MetricsLog(file, io.ravine.io.AppendOnlyFile.open(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite " + file + " for resuming", e);
        }
    }

    /** A row of a log with {@code columns}, its cells moved under {@link #COLUMNS} (empty where it has none). */
    private static String inCurrentColumns(String line, List<String> columns) {
        String[] cells = line.split(",", -1);
        java.util.StringJoiner out = new java.util.StringJoiner(",");
        for (String c : COLUMNS) {
            int i = columns.indexOf(c);
            out.add(i >= 0 ? cells[i] : "");
        }
        return out.toString();
    }

    /** Checks one complete row of our own format (with {@code columns}); returns its step. */
    private static long checkRow(Path file, int lineNumber, String line, long previousStep, List<String> columns) {
        String where = file + ": line " + lineNumber + ": ";
        String[] cells = line.split(",", -1);
        if (cells.length != columns.size()) {
            throw new InvalidInputException(where + "damaged row: " + cells.length + " cells, expected "
                    + columns.size() + " (only the last line may be torn by a kill)");
        }
        long rowStep;
        try {
            rowStep = Long.parseLong(cells[0]);
        } catch (NumberFormatException e) {
            throw new InvalidInputException(where + "damaged row: step '" + abbreviate(cells[0])
                    + "' is not a whole number");
        }
        if (rowStep <= previousStep) {
            throw new InvalidInputException(where + "damaged log: step " + rowStep + " does not follow step "
                    + previousStep);
        }
        for (int c = 1; c < cells.length; c++) {
            try {
                parseCell(cells[c]);
            } catch (NumberFormatException e) {
                throw new InvalidInputException(where + "damaged row: " + columns.get(c) + " '"
                        + abbreviate(cells[c]) + "' is not a number");
            }
        }
        return rowStep;
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }

    /**
     * Appends one row; values are in {@link #COLUMNS} order, NaN for an empty cell.
     *
     * @param step the step
     * @param epoch the epoch
     * @param values the other columns, in {@link #COLUMNS} order
     */
    public void append(long step, double epoch, double... values) {
        if (values.length != COLUMNS.size() - 2) {
            throw new IllegalArgumentException("metrics row has " + (values.length + 2) + " values, expected "
                    + COLUMNS.size());
        }
        StringBuilder sb = new StringBuilder();
        sb.append(step).append(',').append(format(epoch));
        for (double v : values) {
            sb.append(',').append(Double.isNaN(v) ? "" : format(v));
        }
        // The whole row, newline included, in one buffer and one write: a kill cannot interleave a partial row with
        // a later one. A write to a regular file returns short only on an error (a full disk), hence the loop.
        ByteBuffer row = ByteBuffer.wrap(sb.append('\n').toString().getBytes(StandardCharsets.UTF_8));
        out.append(row);
    }

    /**
     * Forces the rows written so far to the disk. Called before a checkpoint is saved, so that after a power cut the
     * log still holds every row up to the checkpoint it will be resumed from (a kill alone loses nothing: the rows
     * are in the operating system's hands once {@link #append} returns).
     */
    public void force() {
        out.force();
    }

    static String format(double v) {
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        return String.format(Locale.ROOT, "%.9g", v);
    }

    /**
     * One column of rows {@link #read} returned, NaN where a row has no such column.
     *
     * @param rows the rows
     * @param name the column
     * @return its values, one per row
     */
    public static double[] column(List<Map<String, Double>> rows, String name) {
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) {
            Double v = rows.get(i).get(name);
            out[i] = v == null ? Double.NaN : v;
        }
        return out;
    }

    /**
     * Reads a metrics file (any columns; the first line names them) into rows of column name → value (NaN where
     * empty). A torn last line, which a killed run may leave, is left out.
     *
     * @param file metrics.csv
     * @return the rows, column → value (NaN where empty)
     * @throws InvalidInputException if the file is missing, has no header, or a complete row is malformed (naming
     *     the file and the line)
     */
    public static List<Map<String, Double>> read(Path file) {
        Lines lines = Lines.read(file);
        if (lines == null) {
            throw new InvalidInputException("no metrics file " + file);
        }
        List<Map<String, Double>> rows = new ArrayList<>();
        if (lines.complete().isEmpty()) {
            return rows;
        }
        CSVFormat fmt = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
        try (CSVParser p = CSVParser.parse(lines.completeText(), fmt)) {
            List<String> header = p.getHeaderNames();
            for (CSVRecord r : p) {
                // Commons CSV counts records, not lines; with no quoted newlines in a metrics file the two agree.
                long line = r.getRecordNumber() + 1;
                if (r.size() != header.size()) {
                    throw new InvalidInputException(file + ": line " + line + ": " + r.size() + " cells, expected "
                            + header.size());
                }
                Map<String, Double> row = new LinkedHashMap<>();
                for (int c = 0; c < header.size(); c++) {
                    try {
                        row.put(header.get(c), parseCell(r.get(c)));
                    } catch (NumberFormatException e) {
                        throw new InvalidInputException(file + ": line " + line + ": " + header.get(c) + " '"
                                + abbreviate(r.get(c)) + "' is not a number");
                    }
                }
                rows.add(row);
            }
        } catch (IOException | IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
            // Commons CSV's own complaints: a duplicate or empty header name, an unterminated quote.
            throw new InvalidInputException("cannot read " + file + ": " + (e instanceof IOException
                    || e instanceof UncheckedIOException ? ParseErrors.io(e instanceof UncheckedIOException
                            && e.getCause() != null ? e.getCause() : e) : "malformed CSV: " + ParseErrors.csv(e)), e);
        }
        return rows;
    }

    static double parseCell(String v) {
        return switch (v) {
            case "" -> Double.NaN;
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(v);
        };
    }

    /**
     * A log's lines split at '\n': the complete ones and whether a torn last line (text after the last newline) was
     * left out.
     */
    record Lines(List<String> complete, boolean tornTail) {
        /** The lines of {@code file}, or null when there is no such file. */
        static Lines read(Path file) {
            String text;
            try {
                text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                return null;
            } catch (IOException e) {
                throw new InvalidInputException("cannot read " + file + ": " + ParseErrors.io(e), e);
            }
            int end = text.lastIndexOf('\n') + 1;
            boolean torn = end < text.length();
            if (torn) {
                LOG.warn("{}: the last line is torn (no newline; a killed run): left out", file);
            }
            List<String> complete = new ArrayList<>();
            int start = 0;
            while (start < end) {
                int nl = text.indexOf('\n', start);
                complete.add(text.substring(start, nl));
                start = nl + 1;
            }
            return new Lines(complete, torn);
        }

        String completeText() {
            StringBuilder sb = new StringBuilder();
            for (String l : complete) {
                sb.append(l).append('\n');
            }
            return sb.toString();
        }
    }

    @Override
    public void close() {
        out.close();
    }
}
