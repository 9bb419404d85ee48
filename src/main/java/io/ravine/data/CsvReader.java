package io.ravine.data;

import io.ravine.InvalidInputException;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import io.ravine.io.ParseErrors;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Reads a table of examples from a CSV file: a header row naming the columns, then one example per row. Every column
 * but the last is a numeric feature; the last column is the target, either an integer class index (classification)
 * or a real number (regression). Blank lines are skipped. Error messages name the file, the line and the column. A
 * gzip-compressed file (recognised by its magic bytes, as {@link IdxReader} does) is read through gzip.
 */
public final class CsvReader {

    /** What the last column holds. */
    public enum Target {
        /** An integer class index ≥ 0. */
        CLASS_INDEX,
        /** A real number. */
        REAL
    }

    /**
     * Largest class index accepted: class indices travel as floats, and above 2^24 not every integer is a float.
     */
    public static final int MAX_CLASS_INDEX = 1 << 24;

    // Plain decimal and scientific notation only: Float.parseFloat would also take Java literals such as "1f",
    // "0x1p3" or "Infinity", which a data file should not rely on.
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    private static final Pattern NON_FINITE = Pattern.compile("[+-]?(nan|inf|infinity)", Pattern.CASE_INSENSITIVE);

    private CsvReader() {
    }

    /**
     * A classification table; {@code numClasses} ≤ 0 means the largest label + 1.
     *
     * @param file the CSV file
     * @param numClasses K, or ≤ 0 for the largest label + 1
     * @return the dataset
     */
    public static Dataset readClassification(Path file, int numClasses) {
        return read(file, Target.CLASS_INDEX, numClasses);
    }

    /**
     * A regression table: one real target per row, numClasses 0.
     *
     * @param file the CSV file
     * @return the dataset
     */
    public static Dataset readRegression(Path file) {
        return read(file, Target.REAL, 0);
    }

    /**
     * Reads {@code file}. For {@link Target#CLASS_INDEX} a label ≥ {@code numClasses} is an error when numClasses > 0;
     * otherwise numClasses becomes the largest label + 1. The dataset is named after the file.
     *
     * @param file the CSV file
     * @param target what the last column holds
     * @param numClasses K, or ≤ 0 for the largest label + 1
     * @return the dataset
     */
    public static Dataset read(Path file, Target target, int numClasses) {
        String source = file.toString();
        if (Files.isDirectory(file)) {
            throw new InvalidInputException(source + ": is a directory, not a CSV file");
        }
        try (InputStream raw = Files.newInputStream(file)) {
            // gzip is recognised by its magic bytes, as the IDX reader does, whatever the file's name.
            BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
            buffered.mark(2);
            boolean gzip = buffered.read() == GZIP_MAGIC_0 && buffered.read() == GZIP_MAGIC_1;
            buffered.reset();
            InputStream in = gzip ? new GZIPInputStream(buffered, 1 << 16) : buffered;
            Reader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)),
                    1 << 16);
            return read(reader, source, target, numClasses);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(source + ": no such file");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new InvalidInputException(source + ": permission denied (cannot read the file)", e);
        } catch (IOException | UncheckedIOException e) {
            throw new InvalidInputException(source + ": " + streamProblem(e), e);
        }
    }

    /** The two bytes every gzip stream starts with. */
    private static final int GZIP_MAGIC_0 = 0x1f;
    private static final int GZIP_MAGIC_1 = 0x8b;

    /** A failure of the byte stream under the parser (gzip, UTF-8, I/O) in words, or null when it is not one. */
    private static String streamFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.util.zip.ZipException) {
                return "corrupt gzip data (" + oneLine(t.getMessage()) + ")";
            }
            if (t instanceof java.io.EOFException) {
                return "truncated gzip data (the compressed stream ends early)";
            }
            if (t instanceof java.nio.charset.CharacterCodingException) {
                return ParseErrors.io(t);
            }
        }
        return null;
    }

    private static String streamProblem(Throwable e) {
        String s = streamFailure(e);
        if (s != null) {
            return s;
        }
        Throwable io = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
        return "cannot read: " + ParseErrors.io(io);
    }

    /**
     * As {@link #read(Path, Target, int)}, from a reader (not closed here); {@code source} names it in messages.
     *
     * @param reader the text
     * @param source its name in messages
     * @param target what the last column holds
     * @param numClasses K, or ≤ 0 for the largest label + 1
     * @return the dataset
     * @throws IOException if reading fails
     */
    public static Dataset read(Reader reader, String source, Target target, int numClasses) throws IOException {
        // Empty lines are kept so that each record's first line is one past the lines consumed before it.
        CSVFormat format = CSVFormat.DEFAULT.builder()
                .setIgnoreEmptyLines(false)
                .setIgnoreSurroundingSpaces(true)
                .get();
        try (CSVParser parser = CSVParser.parse(reader, format)) {
            Iterator<CSVRecord> it = parser.iterator();
            String[] header = null;
            FloatList features = new FloatList();
            FloatList targets = new FloatList();
            int maxLabel = -1;
            int rows = 0;
            while (true) {
                long line = parser.getCurrentLineNumber() + 1;
                CSVRecord record;
                try {
                    if (!it.hasNext()) {
                        break;
                    }
                    record = it.next();
                } catch (UncheckedIOException | IllegalStateException e) {
                    String stream = streamFailure(e);
                    // The byte stream's failures surface where the reader's buffer is refilled, not at a line.
                    throw new InvalidInputException(source + ": " + (stream != null ? stream
                            : "line " + line + ": malformed CSV: " + oneLine(ParseErrors.csv(e))), e);
                }
                List<String> cells = record.toList();
                if (cells.size() == 1 && cells.get(0).isBlank()) {
                    continue;
                }
                if (header == null) {
                    header = header(cells, source, line);
                    continue;
                }
                if (cells.size() != header.length) {
                    throw new InvalidInputException(source + ": line " + line + ": ragged row: " + cells.size()
                            + " columns, the header has " + header.length);
                }
                int last = header.length - 1;
                for (int c = 0; c < last; c++) {
                    features.add(number(cells.get(c), source, line, c, header[c]));
                }
                String cell = cells.get(last);
                float t = number(cell, source, line, last, header[last]);
                if (target == Target.CLASS_INDEX) {
                    int label = classIndex(t, cell, numClasses, source, line, last, header[last]);
                    maxLabel = Math.max(maxLabel, label);
                }
                targets.add(t);
                rows++;
            }
            if (header == null) {
                throw new InvalidInputException(source + ": empty file (expected a header row, then one example per"
                        + " row)");
            }
            if (rows == 0) {
                throw new InvalidInputException(source + ": no data rows after the header");
            }
            int classes = target == Target.REAL ? 0 : (numClasses > 0 ? numClasses : maxLabel + 1);
            return new Dataset(source, rows, header.length - 1, features.toArray(), 1, targets.toArray(), classes);
        }
    }

    private static String[] header(List<String> cells, String source, long line) {
        String[] header = cells.toArray(new String[0]);
        if (header.length > 0 && header[0].startsWith("\uFEFF")) {
            header[0] = header[0].substring(1);
        }
        if (header.length < 2) {
            throw new InvalidInputException(source + ": line " + line + ": the header names " + header.length
                    + " column; at least 2 are needed (features, then the target last)");
        }
        boolean allNumbers = true;
        for (String h : header) {
            allNumbers &= NUMBER.matcher(h).matches();
        }
        if (allNumbers) {
            throw new InvalidInputException(source + ": line " + line + ": no header row (the first row holds only"
                    + " numbers; it must name the columns)");
        }
        return header;
    }

    private static float number(String cell, String source, long line, int column, String name) {
        String where = source + ": line " + line + ", column " + (column + 1) + " ('" + name + "'): ";
        if (NON_FINITE.matcher(cell).matches()) {
            throw new InvalidInputException(where + "'" + cell + "' is not finite (NaN and Inf are not allowed)");
        }
        if (!NUMBER.matcher(cell).matches()) {
            throw new InvalidInputException(where + (cell.isEmpty() ? "empty cell" : "'" + cell + "'")
                    + " is not a number");
        }
        float v = Float.parseFloat(cell);
        if (!Float.isFinite(v)) {
            throw new InvalidInputException(where + "'" + cell + "' overflows a 32-bit float (not finite)");
        }
        return v;
    }

    private static int classIndex(float v, String cell, int numClasses, String source, long line, int column,
            String name) {
        String where = source + ": line " + line + ", column " + (column + 1) + " ('" + name + "'): ";
        if (v != Math.rint(v)) {
            throw new InvalidInputException(where + "class label '" + cell + "' is not an integer");
        }
        if (v < 0) {
            throw new InvalidInputException(where + "class label '" + cell + "' is negative (classes are 0, 1, ...)");
        }
        if (v >= MAX_CLASS_INDEX) {
            throw new InvalidInputException(where + "class label '" + cell + "' is too large (at most "
                    + (MAX_CLASS_INDEX - 1) + ")");
        }
        if (numClasses > 0 && v >= numClasses) {
            throw new InvalidInputException(where + "class label '" + cell + "' is out of range for " + numClasses
                    + " classes (0.." + (numClasses - 1) + ")");
        }
        return (int) v;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ");
    }

    /** A growable float array, so a large table does not pass through boxed Floats. */
    private static final class FloatList {
        private float[] a = new float[1024];
        private int size;

        void add(float v) {
            if (size == a.length) {
                a = java.util.Arrays.copyOf(a, a.length * 2);
            }
            a[size++] = v;
        }

        float[] toArray() {
            return java.util.Arrays.copyOf(a, size);
        }
    }
}
