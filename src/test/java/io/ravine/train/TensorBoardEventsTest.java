package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.InvalidSettingException;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.diagnose.Curvature;
import io.ravine.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TensorBoard event files of a run, read back with {@link TensorBoardReader} (TensorBoard's own descriptors,
 * Google's parser, the CRCs checked from the specification): the scalars are metrics.csv's values, the histograms
 * are θ's and count every parameter, the update ratios are the checkpoints', and a resumed run adds a new file
 * without repeating a step.
 */
class TensorBoardEventsTest {
    /** metrics.csv's column → the tag it is written under (docs/tensorboard.md's table). */
    private static final Map<String, String> TAG_OF_COLUMN = columns(
            "batch_loss", "loss/batch", "train_loss", "loss/train", "train_accuracy", "accuracy/train",
            "test_loss", "loss/test",
            "test_accuracy", "accuracy/test", "ema_test_loss", "loss/ema_test", "ema_test_accuracy", "accuracy/ema_test",
            "lr", "lr", "grad_norm", "grad_norm/batch", "gg", "grad_norm/subset", "gHg", "curvature/gHg",
            "optimal_step", "curvature/optimal_step", "predicted_change", "curvature/predicted_change",
            "actual_change", "curvature/actual_change", "passes", "passes");

    @TempDir
    Path tmp;

    private static Map<String, String> columns(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    /** 600 examples in batches of 50: 12 steps an epoch. Layers 784-16-10. */
    private static TrainConfig.Builder small() {
        return TrainConfig.builder().setData("embedded").optLimit(600).optHidden(16).optBatchSize(50)
                .optSubset(200).optSeed(5).optThreads(1);
    }

    private static Trainer trainer(TrainConfig config, Path dir, int histogramEvery) {
        return new Trainer(config, CpuBackend.f32()).optProgressBar(false).optReport(false)
                .optCurvatureProbe(Curvature::probe).optRunDirectory(dir).optHistogramEvery(histogramEvery);
    }

    @Test
    void theScalarsAreMetricsCsvsValuesAndTheHistogramsAreThetasAtTheCheckpoints() throws IOException {
        Path dir = tmp.resolve("run");
        TrainConfig config = small().optSteps(30).optLogEvery(5).optEvalEvery(15).optCheckpointEvery(10)
                .optDiagnoseEvery(10).optEma(5).build();
        try (Trainer t = trainer(config, dir, 10)) {
            t.fit();
        }
        TensorBoardReader.Events ev = TensorBoardReader.read(dir.resolve("tensorboard"));
        assertEquals(1, ev.files().size(), "one event file: " + ev.files());
        assertTrue(ev.files().get(0).getFileName().toString().matches("events\\.out\\.tfevents\\.\\d{10}\\..+"),
                "TensorBoard's naming: " + ev.files());
        assertEquals(List.of("brain.Event:2"), ev.fileVersions());
        assertEquals("brain.Event:2", ev.events().get(ev.files().get(0)).get(0).getField(
                TensorBoardReader.field(ev.events().get(ev.files().get(0)).get(0).getDescriptorForType(),
                        "file_version")), "the file version comes first");

        // Every measured cell of metrics.csv is a scalar at its step, and every scalar of those tags is a cell.
        Set<String> expected = new HashSet<>();
        List<Map<String, Double>> rows = MetricsLog.read(dir.resolve("metrics.csv"));
        Map<String, TensorBoardReader.Scalar> byKey = new LinkedHashMap<>();
        for (TensorBoardReader.Scalar s : ev.scalars()) {
            assertEquals(null, byKey.put(s.tag() + "@" + s.step(), s), "written twice: " + s);
        }
        for (Map<String, Double> row : rows) {
            long step = row.get("step").longValue();
            for (Map.Entry<String, String> c : TAG_OF_COLUMN.entrySet()) {
                double cell = row.get(c.getKey());
                if (Double.isNaN(cell)) {
                    continue;
                }
                double want = c.getKey().equals("gg") ? Math.sqrt(cell) : cell;
                TensorBoardReader.Scalar s = byKey.get(c.getValue() + "@" + step);
                assertTrue(s != null, c.getValue() + " missing at step " + step + " (" + c.getKey() + " = " + cell
                        + ")");
                // Both are the same double rounded: to float32 here, to 9 digits in the CSV; at most one float
                // step apart.
                assertEquals((float) want, s.value(), Math.ulp((float) want), c.getValue() + " at step " + step);
                expected.add(s.tag() + "@" + step);
            }
        }
        for (TensorBoardReader.Scalar s : ev.scalars()) {
            if (TAG_OF_COLUMN.containsValue(s.tag())) {
                assertTrue(expected.contains(s.tag() + "@" + s.step()), "a scalar with no metrics.csv cell: " + s);
            }
        }
        // Every tag of the table is there (the run measures all of them), and the curvature at each probe step.
        for (String tag : TAG_OF_COLUMN.values()) {
            assertFalse(ev.scalars(tag).isEmpty(), tag + " never written");
        }
        assertEquals(List.of(10L, 20L, 30L), ev.scalars("curvature/gHg").stream().map(s -> s.step()).toList());
        List<TensorBoardReader.Scalar> throughput = ev.scalars("throughput/samples_per_second");
        assertEquals(List.of(5L, 10L, 15L, 20L, 25L, 30L), throughput.stream().map(s -> s.step()).toList());
        assertTrue(throughput.stream().allMatch(s -> s.value() > 0), throughput.toString());

        // Histograms: θ₀'s weights at step 0, then weights and gradients every 10 steps.
        int[][] shapes = {{16, 784}, {10, 16}};
        for (int k = 0; k < 2; k++) {
            for (String part : List.of("weight", "bias")) {
                int size = part.equals("weight") ? shapes[k][0] * shapes[k][1] : shapes[k][0];
                String name = "layers." + k + "." + part;
                List<TensorBoardReader.Histogram> w = ev.histograms("weights/" + name);
                List<TensorBoardReader.Histogram> g = ev.histograms("gradients/" + name);
                assertEquals(List.of(0L, 10L, 20L, 30L), w.stream().map(h -> h.step()).toList(), name);
                assertEquals(List.of(10L, 20L, 30L), g.stream().map(h -> h.step()).toList(), name);
                for (TensorBoardReader.Histogram h : concat(w, g)) {
                    assertWellFormed(h, size);
                }
                // At each checkpoint, the weights' histogram is the checkpoint's tensor.
                for (TensorBoardReader.Histogram h : w.subList(1, w.size())) {
                    String file = h.step() == 30 ? "final" : String.format("step-%08d", h.step());
                    float[] v = SafeTensors.read(dir.resolve("checkpoints/" + file + ".safetensors")).get(name)
                            .floats();
                    assertMatches(h, v, name + " at step " + h.step());
                }
            }
        }
        assertEquals(List.of(10L, 20L, 30L), ev.scalars("update_ratio/layers.0").stream().map(s -> s.step())
                .toList());
        for (TensorBoardReader.Scalar s : concat(ev.scalars("update_ratio/layers.0"),
                ev.scalars("update_ratio/layers.1"))) {
            assertTrue(s.value() > 0 && s.value() < 1, "a ratio of one Adam step: " + s);
        }
    }

    @Test
    void theUpdateRatioIsTheStepsChangeOverThetaFromConsecutiveCheckpoints() throws IOException {
        Path dir = tmp.resolve("run");
        // A checkpoint at every step, so θ before and after each histogram step is on disk.
        TrainConfig config = small().optSteps(4).optLogEvery(2).optCheckpointEvery(1).build();
        try (Trainer t = trainer(config, dir, 2)) {
            t.fit();
        }
        TensorBoardReader.Events ev = TensorBoardReader.read(dir.resolve("tensorboard"));
        for (long step : new long[] {2, 4}) {
            Map<String, float[]> before = layers(dir, step - 1);
            Map<String, float[]> after = layers(dir, step);
            for (int k = 0; k < 2; k++) {
                double change = 0;
                double norm = 0;
                for (String part : List.of("weight", "bias")) {
                    float[] a = before.get("layers." + k + "." + part);
                    float[] b = after.get("layers." + k + "." + part);
                    for (int i = 0; i < a.length; i++) {
                        change += ((double) b[i] - a[i]) * ((double) b[i] - a[i]);
                        norm += (double) a[i] * a[i];
                    }
                }
                float want = (float) (Math.sqrt(change) / Math.sqrt(norm));
                long at = step;
                List<TensorBoardReader.Scalar> s = ev.scalars("update_ratio/layers." + k).stream()
                        .filter(x -> x.step() == at).toList();
                assertEquals(1, s.size(), "update_ratio/layers." + k + " at step " + step);
                assertEquals(want, s.get(0).value(), 1e-6 * want, "update_ratio/layers." + k + " at step " + step);
            }
        }
    }

    private static Map<String, float[]> layers(Path dir, long step) throws IOException {
        String file = step == 4 ? "final" : String.format("step-%08d", step);
        SafeTensors.Contents c = SafeTensors.read(dir.resolve("checkpoints/" + file + ".safetensors"));
        Map<String, float[]> m = new LinkedHashMap<>();
        for (String name : List.of("layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias")) {
            m.put(name, c.get(name).floats());
        }
        return m;
    }

    @Test
    void aResumedRunContinuesInANewFileWithEveryStepOnceAndTheSameValues() throws IOException {
        TrainConfig config = small().optSteps(30).optLogEvery(5).optCheckpointEvery(10).build();
        Path straight = tmp.resolve("straight");
        try (Trainer t = trainer(config, straight, 5)) {
            t.fit();
        }
        // The same run killed after step 25: its checkpoint is step 20, and the events of step 25 are on disk, with
        // half of a record after them (a kill during a write).
        Path split = tmp.resolve("split");
        try (Trainer t = trainer(config, split, 5)) {
            t.optListener(e -> {
                if (e.step() == 25) {
                    throw new Killed();
                }
            });
            assertThrows(Killed.class, t::fit);
        }
        Path first = TensorBoardReader.eventFiles(split.resolve("tensorboard")).get(0);
        assertTrue(TensorBoardReader.read(split.resolve("tensorboard")).scalars().stream()
                .anyMatch(s -> s.step() == 25), "the killed run wrote step 25");
        byte[] whole = Files.readAllBytes(first);
        Files.write(first, java.util.Arrays.copyOfRange(whole, 0, 30), StandardOpenOption.APPEND);
        try (Trainer t = trainer(config, split, 5)) {
            t.resume();
        }

        TensorBoardReader.Events a = TensorBoardReader.read(straight.resolve("tensorboard"));
        TensorBoardReader.Events b = TensorBoardReader.read(split.resolve("tensorboard"));
        assertEquals(2, b.files().size(), "a new file for the resumed run: " + b.files());
        assertEquals(first, b.files().get(0), "the new file sorts after the first (TensorBoard's reading order)");
        assertEquals(List.of("brain.Event:2", "brain.Event:2"), b.fileVersions());
        assertEquals(List.of(21L), b.sessionStarts(), "SessionLog START at the first resumed step");
        assertTrue(b.scalars().stream().filter(s -> s.file().equals(first)).allMatch(s -> s.step() <= 20),
                "the first file keeps the steps up to the checkpoint's");
        // The same (tag, step, value) as the uninterrupted run, each once; only the time-dependent throughput
        // differs.
        assertEquals(values(a), values(b));
        assertEquals(histogramValues(a), histogramValues(b));
    }

    /** The exception of a run that dies in the middle. */
    private static final class Killed extends RuntimeException {
    }

    private static List<String> values(TensorBoardReader.Events ev) {
        List<String> out = new ArrayList<>();
        for (TensorBoardReader.Scalar s : ev.scalars()) {
            if (!s.tag().startsWith("throughput/")) {
                out.add(s.tag() + "@" + s.step() + "=" + Float.floatToIntBits(s.value()));
            }
        }
        out.sort(null);
        return out;
    }

    private static List<String> histogramValues(TensorBoardReader.Events ev) {
        List<String> out = new ArrayList<>();
        for (TensorBoardReader.Histogram h : ev.histograms()) {
            out.add(h.tag() + "@" + h.step() + " " + h.min() + " " + h.max() + " " + h.num() + " " + h.sum() + " "
                    + java.util.Arrays.toString(h.bucketLimits()) + java.util.Arrays.toString(h.buckets()));
        }
        out.sort(null);
        return out;
    }

    @Test
    void aDamagedRecordInsideAnEventFileRefusesTheResumeAndChangesNothing() throws IOException {
        TrainConfig config = small().optSteps(30).optLogEvery(5).optCheckpointEvery(10).build();
        Path dir = tmp.resolve("run");
        try (Trainer t = trainer(config.toBuilder().optSteps(20).build(), dir, 5)) {
            t.fit();
        }
        Path file = TensorBoardReader.eventFiles(dir.resolve("tensorboard")).get(0);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x20; // a flipped bit inside some record, not at the end
        Files.write(file, bytes);
        byte[] metrics = Files.readAllBytes(dir.resolve("metrics.csv"));
        try (Trainer t = trainer(config, dir, 5)) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> t.resumeFrom(dir.resolve("checkpoints/step-00000010.safetensors")));
            assertTrue(e.getMessage().startsWith(file + ": damaged record at byte "), e.getMessage());
            assertTrue(e.getMessage().contains("CRC"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        }
        assertArrayEquals(bytes, Files.readAllBytes(file), "the event file as it was");
        assertArrayEquals(metrics, Files.readAllBytes(dir.resolve("metrics.csv")), "metrics.csv as it was");
        assertEquals(1, TensorBoardReader.eventFiles(dir.resolve("tensorboard")).size(), "no new event file");
    }

    @Test
    void histogramsOffWritesOnlyScalarsAndANegativeIntervalIsRefused() {
        Path dir = tmp.resolve("run");
        try (Trainer t = trainer(small().optSteps(10).optLogEvery(5).build(), dir, 0)) {
            t.fit();
        }
        TensorBoardReader.Events ev = TensorBoardReader.read(dir.resolve("tensorboard"));
        assertEquals(List.of(), ev.histograms());
        assertTrue(ev.scalars().stream().noneMatch(s -> s.tag().startsWith("update_ratio/")));
        assertEquals(List.of(0L, 5L, 10L), ev.scalars("loss/train").stream().map(s -> s.step()).toList());
        try (Trainer t = new Trainer(small().optSteps(10).build(), CpuBackend.f32())) {
            InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> t.optHistogramEvery(-1));
            assertEquals("histogramEvery must be ≥ 0 (0 = off), got -1", e.getMessage());
        }
    }

    @Test
    void underBatchNormTheHistogramsAreTheCheckpointsTensorsGammaAndBetaIncluded() throws IOException {
        // A BN hidden layer has no bias: its tensors are layers.0.weight, norms.0.weight (γ) and norms.0.bias (β),
        // and TensorBoard shows them under the checkpoint's names.
        Path dir = tmp.resolve("bn");
        try (Trainer t = trainer(small().optBatchNorm(true).optSteps(10).optCheckpointEvery(10).build(), dir, 10)) {
            t.fit();
        }
        TensorBoardReader.Events ev = TensorBoardReader.read(dir.resolve("tensorboard"));
        SafeTensors.Contents ckpt = SafeTensors.read(dir.resolve("checkpoints/final.safetensors"));
        for (String name : List.of("layers.0.weight", "norms.0.weight", "norms.0.bias", "layers.1.weight",
                "layers.1.bias")) {
            List<TensorBoardReader.Histogram> w = ev.histograms("weights/" + name);
            assertEquals(List.of(0L, 10L), w.stream().map(h -> h.step()).toList(), name);
            assertMatches(w.get(1), ckpt.get(name).floats(), name + " at step 10");
            assertEquals(List.of(10L), ev.histograms("gradients/" + name).stream().map(h -> h.step()).toList(), name);
        }
        assertTrue(ev.histograms("weights/layers.0.bias").isEmpty(), "a BN layer has no bias");
        assertEquals(1, ev.scalars("update_ratio/layers.0").size());
    }

    /** Counts add up to the layer's size, limits rise to the maximum, the moments are consistent. */
    private static void assertWellFormed(TensorBoardReader.Histogram h, int size) {
        String what = h.tag() + " at step " + h.step();
        assertEquals(size, h.num(), what + ": num");
        assertEquals(size, java.util.Arrays.stream(h.buckets()).sum(), what + ": bucket counts");
        assertEquals(h.bucketLimits().length, h.buckets().length, what);
        assertEquals(h.max(), h.bucketLimits()[h.bucketLimits().length - 1], what + ": the last limit is max");
        for (int i = 1; i < h.bucketLimits().length; i++) {
            assertTrue(h.bucketLimits()[i] > h.bucketLimits()[i - 1], what + ": limits rise");
        }
        assertTrue(h.min() <= h.max() && h.sumSquares() >= 0, what);
    }

    private static void assertMatches(TensorBoardReader.Histogram h, float[] v, String what) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        double sumSquares = 0;
        for (float x : v) {
            min = Math.min(min, x);
            max = Math.max(max, x);
            sum += x;
            sumSquares += (double) x * x;
        }
        assertEquals(v.length, h.num(), what);
        assertEquals(min, h.min(), what + ": min");
        assertEquals(max, h.max(), what + ": max");
        assertEquals(sum, h.sum(), 1e-9 * sumSquares + 1e-12, what + ": sum");
        assertEquals(sumSquares, h.sumSquares(), 1e-12 * sumSquares, what + ": sum of squares");
        // Each bucket holds the values between its limits.
        double[] lim = h.bucketLimits();
        for (int i = 0; i < lim.length; i++) {
            double lo = i == 0 ? Double.NEGATIVE_INFINITY : lim[i - 1];
            double hi = lim[i];
            boolean last = i == lim.length - 1;
            long n = 0;
            for (float x : v) {
                if (x >= lo && (x < hi || last && x <= hi)) {
                    n++;
                }
            }
            assertEquals(n, (long) h.buckets()[i], what + ": bucket " + i);
        }
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
