package io.ravine.train;

import io.ravine.io.AtomicFiles;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * The run's {@code metrics.csv}: one row per logging step. Each row is written whole and flushed, so a killed run
 * leaves only complete rows; on resume the rows after the checkpoint are dropped (atomically) before appending.
 */
public final class MetricsLog implements AutoCloseable {
    /** Column names, in order. Empty cells mean "not measured at this step". */
    public static final List<String> COLUMNS = List.of("step", "epoch", "lr", "batch_loss", "train_loss",
            "test_loss", "test_accuracy", "ema_test_loss", "ema_test_accuracy", "grad_norm", "gHg", "optimal_step",
            "wall_seconds");

    private final Path file;
    private BufferedWriter out;

    private MetricsLog(Path file, BufferedWriter out) {
        this.file = file;
        this.out = out;
    }

    /** Starts a new log (replacing any old one). */
    public static MetricsLog create(Path file) {
        try {
            AtomicFiles.writeString(file, String.join(",", COLUMNS) + "\n");
            return new MetricsLog(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Continues an existing log after {@code step}: later rows (written after the checkpoint) are dropped. */
    public static MetricsLog resume(Path file, long step) {
        try {
            StringBuilder kept = new StringBuilder(String.join(",", COLUMNS)).append('\n');
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (line.isBlank() || line.startsWith("step,")) {
                        continue;
                    }
                    int comma = line.indexOf(',');
                    if (comma > 0 && Long.parseLong(line.substring(0, comma)) <= step) {
                        kept.append(line).append('\n');
                    }
                }
            }
            AtomicFiles.writeString(file, kept.toString());
            return new MetricsLog(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND));
        } catch (IOException | NumberFormatException e) {
            throw new UncheckedIOException("cannot resume " + file, e instanceof IOException io ? io
                    : new IOException(e.getMessage()));
        }
    }

    /** Appends one row; values are in {@link #COLUMNS} order, NaN for an empty cell. */
    public void append(long step, double epoch, double... values) {
        StringBuilder sb = new StringBuilder();
        sb.append(step).append(',').append(format(epoch));
        for (double v : values) {
            sb.append(',').append(Double.isNaN(v) ? "" : format(v));
        }
        if (values.length != COLUMNS.size() - 2) {
            throw new IllegalArgumentException("metrics row has " + (values.length + 2) + " values, expected "
                    + COLUMNS.size());
        }
        try {
            out.write(sb.append('\n').toString());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static String format(double v) {
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        return String.format(Locale.ROOT, "%.9g", v);
    }

    /** Reads a metrics file into rows of column name → value (NaN where empty). */
    public static List<java.util.Map<String, Double>> read(Path file) {
        List<java.util.Map<String, Double>> rows = new ArrayList<>();
        CSVFormat fmt = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
        try (CSVParser p = CSVParser.parse(file, StandardCharsets.UTF_8, fmt)) {
            for (CSVRecord r : p) {
                java.util.Map<String, Double> row = new java.util.LinkedHashMap<>();
                for (String c : p.getHeaderNames()) {
                    String v = r.isSet(c) ? r.get(c) : "";
                    row.put(c, parseCell(v));
                }
                rows.add(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return rows;
    }

    private static double parseCell(String v) {
        return switch (v) {
            case "" -> Double.NaN;
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(v);
        };
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + file, e);
        }
    }
}
