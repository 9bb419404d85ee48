package io.ravine.train;

import io.ravine.InvalidInputException;
import io.ravine.io.AtomicFiles;
import io.ravine.io.EventFile;
import io.ravine.io.ParseErrors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's TensorBoard event files, {@code RUN_DIR/tensorboard/events.out.tfevents.SECONDS.HOST.ravine}, so that
 * {@code tensorboard --logdir runs/} shows every run (docs/tensorboard.md lists the tags).
 *
 * <ul>
 *   <li><b>Scalars</b>: every row of metrics.csv, its measured cells under TensorBoard tags ({@link #SCALAR_TAGS}),
 *       one Event per row; and the training throughput at every logging step.</li>
 *   <li><b>Histograms</b> at the steps {@link RunFiles} observes (every {@code --histogram-every} steps and at the
 *       run's last step): each layer's weights and biases, and the mini-batch gradient of that step (before
 *       clipping and weight decay), {@value LayerStats#BUCKETS} equal-width buckets; and each layer's
 *       update-to-parameter ratio ‖θₜ − θₜ₋₁‖ / ‖θₜ₋₁‖ over its weights and bias. The weights of θ₀ at step 0. The
 *       numbers are {@link LayerStats}', which layers.csv gets too.</li>
 * </ul>
 *
 * <p><b>Resuming.</b> A resumed run writes a new file in the same directory (TensorBoard reads a directory's files
 * as one run, in name order: the new file's time is past every existing one's). The Events after the checkpoint's
 * step that the old files hold (written before the kill, and to be written again) are removed from them first, by
 * an atomic rewrite, as metrics.csv's rows are; a torn last record goes too. So no step is in the run twice, for any
 * reader. The new file starts with SessionLog START at the first resumed step, which tells TensorBoard's loader the
 * same thing. A run started again from step 0 removes the old files.
 *
 * <p>Nothing is written to the device, so the run's θ is the same, bit for bit, with or without this log.
 */
final class TensorBoardLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TensorBoardLog.class);
    /** The subdirectory of the run directory. */
    static final String DIRECTORY = "tensorboard";

    /**
     * metrics.csv column → TensorBoard tag; a row's empty cells are not written. {@code gg} (gᵀg of the monitoring
     * subset) is written as the norm √gᵀg, next to the mini-batch's {@code grad_norm}.
     */
    static final Map<String, String> SCALAR_TAGS = tags(
            "batch_loss", "loss/batch", "train_loss", "loss/train", "train_accuracy", "accuracy/train",
            "test_loss", "loss/test", "test_accuracy", "accuracy/test", "ema_test_loss", "loss/ema_test",
            "ema_test_accuracy", "accuracy/ema_test", "lr", "lr", "grad_norm", "grad_norm/batch", "gg", "grad_norm/subset",
            "gHg", "curvature/gHg", "optimal_step", "curvature/optimal_step",
            "predicted_change", "curvature/predicted_change", "actual_change", "curvature/actual_change",
            "passes", "passes");
    /** The tag of the training throughput (samples per second of training time so far, as summary.json's). */
    static final String THROUGHPUT_TAG = "throughput/samples_per_second";

    private final EventFile file;

    private TensorBoardLog(EventFile file) {
        this.file = file;
    }

    private static Map<String, String> tags(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * What a run starting at {@code startStep} does to the event files already in the run directory, checked before
     * anything is written: the files to remove and those to rewrite with fewer records.
     */
    record Plan(Path dir, long startStep, List<Path> remove, Map<Path, byte[]> rewrite) {
    }

    /**
     * Reads the run's event files for a run that starts at {@code startStep}: at 0 they all go; after it, the
     * records of later steps and a torn last record go.
     *
     * @throws InvalidInputException naming the file and byte of a damaged record (not what a kill leaves)
     */
    static Plan plan(Path runDir, long startStep) {
        Path dir = runDir.resolve(DIRECTORY);
        List<Path> remove = new ArrayList<>();
        Map<Path, byte[]> rewrite = new LinkedHashMap<>();
        for (Path f : eventFiles(dir)) {
            if (startStep == 0) {
                remove.add(f);
                continue;
            }
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(f);
            } catch (IOException e) {
                throw new InvalidInputException("cannot read " + f + ": " + ParseErrors.io(e), e);
            }
            List<EventFile.Record> records = EventFile.readRecords(f, bytes);
            java.io.ByteArrayOutputStream kept = new java.io.ByteArrayOutputStream();
            for (EventFile.Record r : records) {
                if (r.step() <= startStep) {
                    kept.write(bytes, (int) r.offset(), (int) (r.end() - r.offset()));
                }
            }
            if (kept.size() < bytes.length) {
                rewrite.put(f, kept.toByteArray());
            }
        }
        return new Plan(dir, startStep, remove, rewrite);
    }

    /** The event files in {@code dir} (TensorBoard's test: "tfevents" in the name), temporaries left out. */
    private static List<Path> eventFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return n.contains("tfevents") && !AtomicFiles.isTemporaryName(n) && Files.isRegularFile(p);
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /**
     * Carries out {@code plan} and opens a new event file after the existing ones. A resumed run's file starts with
     * SessionLog START at its first step.
     */
    static TensorBoardLog open(Plan plan) {
        Path dir = plan.dir();
        long dropped = 0;
        try {
            Files.createDirectories(dir);
            for (Path f : plan.remove()) {
                Files.deleteIfExists(f);
            }
            for (Map.Entry<Path, byte[]> e : plan.rewrite().entrySet()) {
                dropped += Files.size(e.getKey()) - e.getValue().length;
                AtomicFiles.write(e.getKey(), o -> o.write(e.getValue()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir, e);
        }
        if (dropped > 0) {
            LOG.info("{}: {} byte(s) of events after the checkpoint's step {} removed; the resumed run writes them"
                    + " again", dir, dropped, plan.startStep());
        }
        double now = wallTime();
        EventFile file = EventFile.create(dir.resolve(newName(dir, (long) now)), now);
        TensorBoardLog log = new TensorBoardLog(file);
        if (plan.startStep() > 0) {
            file.append(List.of(EventFile.sessionStart(now, plan.startStep() + 1, String.format(Locale.ROOT,
                    "resumed from the checkpoint of step %d", plan.startStep()))));
        }
        return log;
    }

    /**
     * {@code events.out.tfevents.SECONDS.HOST.ravine}, SECONDS past those of the files already there, so the new
     * file sorts after them (TensorBoard's loader reads a directory's files in name order and assumes new ones sort
     * last).
     */
    private static String newName(Path dir, long seconds) {
        long t = seconds;
        for (Path f : eventFiles(dir)) {
            String[] parts = f.getFileName().toString().split("\\.");
            if (parts.length > 3 && parts[3].matches("\\d{1,18}")) {
                t = Math.max(t, Long.parseLong(parts[3]) + 1);
            }
        }
        return String.format(Locale.ROOT, "events.out.tfevents.%010d.%s.ravine", t, host());
    }

    /** The host's name for the file name (TensorFlow's convention), from the kernel: no network lookup. */
    private static String host() {
        String h = System.getenv("HOSTNAME");
        if (h == null || h.isBlank()) {
            try {
                h = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8).trim();
            } catch (IOException | RuntimeException e) {
                h = "localhost";
            }
        }
        h = h.replaceAll("[^A-Za-z0-9_-]", "_");
        return h.isEmpty() ? "localhost" : h;
    }

    private static double wallTime() {
        return System.currentTimeMillis() / 1000.0;
    }

    /** One row of metrics.csv as scalars (column → value), NaN (not measured) left out. */
    void scalars(long step, Map<String, Double> row) {
        List<String> tags = new ArrayList<>();
        List<Double> values = new ArrayList<>();
        for (Map.Entry<String, String> e : SCALAR_TAGS.entrySet()) {
            Double v = row.get(e.getKey());
            if (v != null && !Double.isNaN(v)) {
                tags.add(e.getValue());
                values.add(e.getKey().equals("gg") ? Math.sqrt(v) : v);
            }
        }
        if (!tags.isEmpty()) {
            file.append(List.of(EventFile.scalars(wallTime(), step, tags,
                    values.stream().mapToDouble(Double::doubleValue).toArray())));
        }
    }

    /** The training throughput at a logging step. */
    void throughput(long step, double samplesPerSecond) {
        if (Double.isFinite(samplesPerSecond)) {
            file.append(List.of(EventFile.scalars(wallTime(), step, List.of(THROUGHPUT_TAG),
                    new double[] {samplesPerSecond})));
        }
    }

    /**
     * Weights (and gradients, and update ratios, where measured) of every layer at {@code step}, as one Event of
     * histograms and one of scalars: {@code weights/NAME}, {@code gradients/NAME} (NAME the checkpoint's tensor
     * name) and {@code update_ratio/layers.K}. A tensor holding NaN or ±∞ has no histogram (the divergence rule
     * speaks for it).
     */
    void histograms(long step, List<LayerStats.TensorStats> stats) {
        List<String> tags = new ArrayList<>();
        List<EventFile.Histogram> histograms = new ArrayList<>();
        List<String> ratioTags = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        // Per layer, in order: its weights' histograms, its gradients', its update ratio.
        for (int first = 0, end; first < stats.size(); first = end) {
            int k = stats.get(first).tensor().layer();
            end = first;
            while (end < stats.size() && stats.get(end).tensor().layer() == k) {
                end++;
            }
            List<LayerStats.TensorStats> ofLayer = stats.subList(first, end);
            for (LayerStats.TensorStats t : ofLayer) {
                add(tags, histograms, "weights/" + t.tensor().name(), t.values());
            }
            for (LayerStats.TensorStats t : ofLayer) {
                if (t.gradient() != null) {
                    add(tags, histograms, "gradients/" + t.tensor().name(), t.gradient());
                }
            }
            double ratio = ofLayer.get(0).layerUpdateRatio();
            if (!Double.isNaN(ratio)) {
                ratioTags.add("update_ratio/layers." + k);
                ratios.add(ratio);
            }
        }
        double now = wallTime();
        List<byte[]> events = new ArrayList<>();
        if (!tags.isEmpty()) {
            events.add(EventFile.histograms(now, step, tags, histograms));
        }
        if (!ratioTags.isEmpty()) {
            events.add(EventFile.scalars(now, step, ratioTags, ratios.stream().mapToDouble(Double::doubleValue)
                    .toArray()));
        }
        if (!events.isEmpty()) {
            file.append(events);
        }
    }

    private static void add(List<String> tags, List<EventFile.Histogram> histograms, String tag,
            LayerStats.Summary s) {
        if (s.histogram() != null) {
            tags.add(tag);
            histograms.add(s.histogram());
        }
    }

    /** Forces the events so far to the disk (before a checkpoint). */
    void force() {
        file.force();
    }

    /** The file this run appends to. */
    Path file() {
        return file.path();
    }

    @Override
    public void close() {
        file.close();
    }
}
