package io.ravine.train;

import io.ravine.InvalidInputException;
import io.ravine.io.AppendOnlyFile;
import io.ravine.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run's {@code layers.csv}: per parameter tensor, at every step that {@code --histogram-every} observes (and
 * θ₀ at step 0), its values' and its gradient's statistics and histograms and the update-to-parameter ratio.
 * One row per tensor and step, the tensors of a step in the model's order ({@link #COLUMNS} names the cells):
 *
 * <ul>
 *   <li>{@code step, layer, tensor, kind, count}: the step; the layer K (0 = the first); the checkpoint's name of
 *       the tensor ({@code layers.K.weight} [out, in], {@code layers.K.bias}, or under batch normalization
 *       {@code norms.K.weight} and {@code norms.K.bias}); its kind ({@code weight}, {@code bias}, {@code gamma},
 *       {@code beta}); its number of values.</li>
 *   <li>{@code min, max, mean, std, norm}: the values after the step's update (std over the n values, norm the
 *       Euclidean ‖θ_tensor‖).</li>
 *   <li>{@code grad_min … grad_norm}: the same of the step's gradient (the mini-batch's, before clipping and weight
 *       decay; for lbfgs and newton-cg the step's last gradient evaluation); empty at step 0.</li>
 *   <li>{@code update_ratio}: ‖θₜ − θₜ₋₁‖ / ‖θₜ₋₁‖ over the tensor, the relative size of the step's update (the
 *       rule of thumb: about 1e-3); {@code layer_update_ratio} the same over all of the layer's tensors together
 *       (TensorBoard's {@code update_ratio/layers.K}), repeated on each of its rows. Empty at step 0 and where
 *       ‖θₜ₋₁‖ = 0.</li>
 *   <li>{@code bucket_0 … bucket_29}: the values' histogram, {@value #HISTOGRAM_BUCKETS} equal-width buckets from
 *       {@code min} to {@code max}: bucket i counts the values in [min + i·w, min + (i+1)·w), w = (max − min)/30,
 *       the last one also max; they sum to {@code count}. Where min = max every value is in bucket 0.
 *       {@code grad_bucket_0 … grad_bucket_29} the gradient's, from {@code grad_min} to {@code grad_max}.</li>
 * </ul>
 *
 * <p>Empty cells are "not measured"; a tensor holding NaN or ±∞ (the run stops there: divergence) has its statistics
 * and buckets empty. Numbers are written with 9 significant digits (every float32 exactly), {@code inf}/{@code -inf}
 * never (a ratio that is not finite is empty). No cell holds a time, so the file is the same bytes for the same run
 * on any thread count.
 *
 * <p>Crash safety is metrics.csv's ({@link MetricsLog}): the header is written atomically, a step's rows are
 * appended in one write, the file is forced to the disk before each checkpoint, and a resumed run keeps the
 * complete rows up to its checkpoint's step, drops a torn last line and the rows after that step, and refuses a
 * damaged row anywhere else (one line naming the file and the line). A run resumed from a checkpoint written before
 * this file existed starts it then.
 */
public final class LayerLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LayerLog.class);

    /** The file's name in the run directory. */
    public static final String FILE = "layers.csv";

    /** Buckets per histogram (as TensorFlow 2's {@code tf.summary.histogram}, and the TensorBoard histograms). */
    public static final int HISTOGRAM_BUCKETS = 30;

    /** The statistics of one tensor's values (and, prefixed with {@code grad_}, of its gradient). */
    private static final List<String> STATISTICS = List.of("min", "max", "mean", "std", "norm");

    /** Column names, in order (see the class comment). */
    public static final List<String> COLUMNS = columns();

    private static final String HEADER = String.join(",", COLUMNS);
    private static final Pattern TENSOR = Pattern.compile("(layers|norms)\\.(\\d{1,4})\\.(weight|bias)");
    private static final Set<String> KINDS = Set.of("weight", "bias", "gamma", "beta");
    /** Index of the first statistic, of the first gradient statistic, of update_ratio, of the first bucket. */
    private static final int VALUES = 5;
    private static final int GRADIENT = VALUES + 5;
    private static final int RATIOS = GRADIENT + 5;
    private static final int FIRST_BUCKET = RATIOS + 2;

    private final AppendOnlyFile out;

    private LayerLog(AppendOnlyFile out) {
        this.out = out;
    }

    private static List<String> columns() {
        List<String> c = new ArrayList<>(List.of("step", "layer", "tensor", "kind", "count"));
        c.addAll(STATISTICS);
        STATISTICS.forEach(s -> c.add("grad_" + s));
        c.add("update_ratio");
        c.add("layer_update_ratio");
        for (int i = 0; i < HISTOGRAM_BUCKETS; i++) {
            c.add("bucket_" + i);
        }
        for (int i = 0; i < HISTOGRAM_BUCKETS; i++) {
            c.add("grad_bucket_" + i);
        }
        return Collections.unmodifiableList(c);
    }

    /**
     * The statistics of a tensor's values or of its gradient at one step.
     *
     * @param min the smallest value
     * @param max the largest value
     * @param mean the mean
     * @param std the standard deviation over the values (divided by n)
     * @param norm the Euclidean norm
     * @param buckets the histogram's {@value LayerLog#HISTOGRAM_BUCKETS} counts, equal-width buckets from min to max
     */
    public record Values(double min, double max, double mean, double std, double norm, long[] buckets) {
        /**
         * Where bucket {@code i} starts (the last one ends at {@link #max}).
         *
         * @param i the bucket, 0 to the number of buckets (that one: the end of the last)
         * @return min + i·(max − min)/buckets
         */
        public double edge(int i) {
            return i == buckets.length ? max : min + (max - min) * i / buckets.length;
        }
    }

    /**
     * One row of layers.csv.
     *
     * @param step the step
     * @param layer the layer K
     * @param tensor the checkpoint's name of the tensor ({@code layers.K.weight}, {@code norms.K.bias}, ...)
     * @param kind weight, bias, gamma or beta
     * @param count the tensor's number of values
     * @param values its values' statistics after the step's update; null where not finite
     * @param gradient its gradient's statistics; null at step 0 (or where not finite)
     * @param updateRatio ‖θₜ − θₜ₋₁‖ / ‖θₜ₋₁‖ over the tensor; NaN where not measured
     * @param layerUpdateRatio the same over the whole layer; NaN where not measured
     */
    public record Row(long step, int layer, String tensor, String kind, long count, Values values, Values gradient,
            double updateRatio, double layerUpdateRatio) {
    }

    /**
     * Starts a new log (replacing any old one).
     *
     * @param file layers.csv
     * @return the log, open for appending
     */
    public static LayerLog create(Path file) {
        return open(plan(file, 0));
    }

    /**
     * Continues an existing log after {@code step}: rows after it (written after the checkpoint) and a torn last line
     * are dropped; a missing file (a run from before layers.csv) starts a new log.
     *
     * @param file layers.csv
     * @param step the step the run resumes from
     * @return the log, open for appending
     * @throws InvalidInputException if the file is not a layers log or a complete row in it is damaged (naming the
     *     file and the line)
     */
    public static LayerLog resume(Path file, long step) {
        return open(plan(file, step));
    }

    /** What a resume from {@code step} keeps of {@code file}: checked whole before anything is written. */
    record Plan(Path file, long step, String kept) {
    }

    /**
     * Reads and checks {@code file} for a resume from {@code step} (at 0: a new log), writing nothing.
     *
     * @throws InvalidInputException as {@link #resume}
     */
    static Plan plan(Path file, long step) {
        StringBuilder kept = new StringBuilder(HEADER).append('\n');
        MetricsLog.Lines lines = step == 0 ? null : MetricsLog.Lines.read(file);
        if (lines != null && !lines.complete().isEmpty()) {
            checkHeader(file, lines.complete().get(0));
            long previous = -1;
            int dropped = 0;
            for (int i = 1; i < lines.complete().size(); i++) {
                String line = lines.complete().get(i);
                Row row = parse(file, i + 1, line, previous);
                previous = row.step();
                if (row.step() <= step) {
                    kept.append(line).append('\n');
                } else {
                    dropped++;
                }
            }
            if (dropped > 0) {
                LOG.info("{}: {} row(s) after the checkpoint's step {} dropped; the resumed run writes them again",
                        file, dropped, step);
            }
        }
        return new Plan(file, step, kept.toString());
    }

    /** Writes the plan's rows (atomically) and opens the file for appending. */
    static LayerLog open(Plan plan) {
        try {
            AtomicFiles.writeString(plan.file(), plan.kept());
            return new LayerLog(AppendOnlyFile.open(plan.file()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + plan.file(), e);
        }
    }

    /**
     * Reads a layers log; a torn last line (a killed run's) is left out.
     *
     * @param file layers.csv
     * @return its rows, in file order
     * @throws InvalidInputException if the file is missing, its header is not {@link #COLUMNS}, or a complete row is
     *     damaged (naming the file and the line)
     */
    public static List<Row> read(Path file) {
        MetricsLog.Lines lines = MetricsLog.Lines.read(file);
        if (lines == null) {
            throw new InvalidInputException("no layers file " + file);
        }
        List<Row> rows = new ArrayList<>();
        if (lines.complete().isEmpty()) {
            return rows;
        }
        checkHeader(file, lines.complete().get(0));
        long previous = -1;
        for (int i = 1; i < lines.complete().size(); i++) {
            Row row = parse(file, i + 1, lines.complete().get(i), previous);
            previous = row.step();
            rows.add(row);
        }
        return rows;
    }

    private static void checkHeader(Path file, String line) {
        if (!line.equals(HEADER)) {
            throw new InvalidInputException(file + ": line 1: not the header of a layers log (expected '"
                    + MetricsLog.abbreviate(HEADER) + "', " + COLUMNS.size() + " columns)");
        }
    }

    /** One complete row, checked: its cells, their numbers, and its step not before {@code previousStep}. */
    private static Row parse(Path file, int lineNumber, String line, long previousStep) {
        String where = file + ": line " + lineNumber + ": ";
        String[] cells = line.split(",", -1);
        if (cells.length != COLUMNS.size()) {
            throw new InvalidInputException(where + "damaged row: " + cells.length + " cells, expected "
                    + COLUMNS.size() + " (only the last line may be torn by a kill)");
        }
        long step = whole(where, cells, 0);
        if (step < previousStep) {
            throw new InvalidInputException(where + "damaged log: step " + step + " comes after step "
                    + previousStep);
        }
        long layer = whole(where, cells, 1);
        java.util.regex.Matcher m = TENSOR.matcher(cells[2]);
        if (!m.matches() || Long.parseLong(m.group(2)) != layer) {
            throw new InvalidInputException(where + "damaged row: tensor '" + MetricsLog.abbreviate(cells[2])
                    + "' is not a tensor of layer " + layer + " (layers.K.weight, layers.K.bias, norms.K.weight or"
                    + " norms.K.bias)");
        }
        if (!KINDS.contains(cells[3])) {
            throw new InvalidInputException(where + "damaged row: kind '" + MetricsLog.abbreviate(cells[3])
                    + "' is not one of weight, bias, gamma, beta");
        }
        long count = whole(where, cells, 4);
        if (count < 1) {
            throw new InvalidInputException(where + "damaged row: count " + count + " is not positive");
        }
        Values values = values(where, cells, VALUES, FIRST_BUCKET, count);
        Values gradient = values(where, cells, GRADIENT, FIRST_BUCKET + HISTOGRAM_BUCKETS, count);
        return new Row(step, (int) layer, cells[2], cells[3], count, values, gradient,
                number(where, cells, RATIOS), number(where, cells, RATIOS + 1));
    }

    /**
     * The statistics from cell {@code stats} and the buckets from cell {@code buckets}: all empty (null) or all
     * there, the buckets summing to {@code count}.
     */
    private static Values values(String where, String[] cells, int stats, int buckets, long count) {
        int n = STATISTICS.size();
        int empty = 0;
        for (int c = stats; c < stats + n; c++) {
            empty += cells[c].isEmpty() ? 1 : 0;
        }
        for (int c = buckets; c < buckets + HISTOGRAM_BUCKETS; c++) {
            empty += cells[c].isEmpty() ? 1 : 0;
        }
        if (empty == n + HISTOGRAM_BUCKETS) {
            return null;
        }
        if (empty > 0) {
            throw new InvalidInputException(where + "damaged row: " + COLUMNS.get(stats) + " … "
                    + COLUMNS.get(buckets + HISTOGRAM_BUCKETS - 1) + " are partly empty (all or none)");
        }
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = number(where, cells, stats + i);
        }
        long[] b = new long[HISTOGRAM_BUCKETS];
        long sum = 0;
        for (int i = 0; i < b.length; i++) {
            b[i] = whole(where, cells, buckets + i);
            if (b[i] < 0) {
                throw new InvalidInputException(where + "damaged row: " + COLUMNS.get(buckets + i) + " "
                        + b[i] + " is negative");
            }
            sum += b[i];
        }
        if (sum != count) {
            throw new InvalidInputException(where + "damaged row: " + COLUMNS.get(buckets) + " … "
                    + COLUMNS.get(buckets + HISTOGRAM_BUCKETS - 1) + " sum to " + sum + ", not the count "
                    + count);
        }
        return new Values(s[0], s[1], s[2], s[3], s[4], b);
    }

    private static long whole(String where, String[] cells, int c) {
        try {
            return Long.parseLong(cells[c]);
        } catch (NumberFormatException e) {
            throw new InvalidInputException(where + "damaged row: " + COLUMNS.get(c) + " '"
                    + MetricsLog.abbreviate(cells[c]) + "' is not a whole number");
        }
    }

    private static double number(String where, String[] cells, int c) {
        try {
            double v = cells[c].isEmpty() ? Double.NaN : Double.parseDouble(cells[c]);
            if (Double.isInfinite(v) || cells[c].equalsIgnoreCase("nan")) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new InvalidInputException(where + "damaged row: " + COLUMNS.get(c) + " '"
                    + MetricsLog.abbreviate(cells[c]) + "' is not a finite number");
        }
    }

    /** Appends the rows of one step in one write (a kill leaves them whole, or a torn last line). */
    void append(long step, List<LayerStats.TensorStats> stats) {
        StringBuilder sb = new StringBuilder();
        for (LayerStats.TensorStats t : stats) {
            sb.append(step).append(',').append(t.tensor().layer()).append(',').append(t.tensor().name()).append(',')
                    .append(t.tensor().kind()).append(',').append(t.tensor().count());
            appendStatistics(sb, t.values());
            appendStatistics(sb, t.gradient());
            sb.append(',').append(cell(t.updateRatio())).append(',').append(cell(t.layerUpdateRatio()));
            appendBuckets(sb, t.values());
            appendBuckets(sb, t.gradient());
            sb.append('\n');
        }
        if (!sb.isEmpty()) {
            out.append(ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8)));
        }
    }

    private static void appendStatistics(StringBuilder sb, LayerStats.Summary s) {
        boolean there = s != null && s.buckets() != null;
        double[] v = there ? new double[] {s.min(), s.max(), s.mean(), s.std(), s.norm()} : new double[5];
        for (double x : v) {
            sb.append(',').append(there ? cell(x) : "");
        }
    }

    private static void appendBuckets(StringBuilder sb, LayerStats.Summary s) {
        boolean there = s != null && s.buckets() != null;
        for (int i = 0; i < HISTOGRAM_BUCKETS; i++) {
            sb.append(',');
            if (there) {
                sb.append(s.buckets()[i]);
            }
        }
    }

    /** A finite number in 9 significant digits; empty otherwise. */
    private static String cell(double v) {
        return Double.isFinite(v) ? MetricsLog.format(v) : "";
    }

    /** Forces the rows written so far to the disk (before a checkpoint). */
    void force() {
        out.force();
    }

    @Override
    public void close() {
        out.close();
    }
}
