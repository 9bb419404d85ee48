package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * layers.csv against the checkpoints: each tensor's statistics and histogram are the checkpoint's tensor's, the
 * update ratios are ‖θₜ − θₜ₋₁‖/‖θₜ₋₁‖ from the checkpoints of consecutive steps, the histograms count every
 * parameter; batch norm's γ and β and the closure-based optimizers are covered; the file is the same bytes on 1 and
 * 2 threads; a killed and resumed run writes the same file as an uninterrupted one; damage is refused before
 * anything is written.
 */
class LayerLogTest {
    @TempDir
    Path tmp;

    /** 600 examples in batches of 50: 12 steps an epoch. Layers 784-16-10. */
    private static TrainConfig.Builder small() {
        return TrainConfig.builder().setData("embedded").optLimit(600).optHidden(16).optBatchSize(50)
                .optSubset(200).optSeed(5).optThreads(1);
    }

    private static Trainer trainer(TrainConfig config, Path dir, int histogramEvery) {
        return new Trainer(config, CpuBackend.f32()).optProgressBar(false).optReport(false)
                .optRunDirectory(dir).optHistogramEvery(histogramEvery);
    }

    private static String checkpointName(long step, long last) {
        return step == 0 ? "initial" : step == last ? "final" : String.format("step-%08d", step);
    }

    private static Map<String, float[]> tensors(Path dir, long step, long last) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(dir.resolve("checkpoints/" + checkpointName(step, last)
                + ".safetensors"));
        Map<String, float[]> m = new LinkedHashMap<>();
        for (String name : c.tensors().keySet()) {
            if (name.startsWith("layers.") || name.startsWith("norms.") && (name.endsWith(".weight")
                    || name.endsWith(".bias"))) {
                m.put(name, c.get(name).floats());
            }
        }
        return m;
    }

    @Test
    void theStatisticsHistogramsAndUpdateRatiosAreTheCheckpoints() throws IOException {
        Path dir = tmp.resolve("run");
        // A checkpoint at every step, so θ before and after each observed step is on disk.
        TrainConfig config = small().optSteps(6).optLogEvery(3).optCheckpointEvery(1).optSaveInitial(true).build();
        long parameters;
        try (Trainer t = trainer(config, dir, 2)) {
            t.fit();
            parameters = t.mlp().parameterCount();
        }
        List<LayerLog.Row> rows = LayerLog.read(dir.resolve(LayerLog.FILE));
        Map<Long, List<LayerLog.Row>> byStep = new LinkedHashMap<>();
        for (LayerLog.Row r : rows) {
            byStep.computeIfAbsent(r.step(), s -> new ArrayList<>()).add(r);
        }
        // θ₀, then every 2 steps; the last step (6) is one of them.
        assertEquals(List.of(0L, 2L, 4L, 6L), List.copyOf(byStep.keySet()));
        for (Map.Entry<Long, List<LayerLog.Row>> e : byStep.entrySet()) {
            long step = e.getKey();
            List<LayerLog.Row> at = e.getValue();
            assertEquals(List.of("layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"),
                    at.stream().map(LayerLog.Row::tensor).toList(), "step " + step);
            // The histograms count every parameter of the model, each tensor its own.
            long counted = 0;
            for (LayerLog.Row r : at) {
                counted += java.util.Arrays.stream(r.values().buckets()).sum();
                assertEquals(r.count(), java.util.Arrays.stream(r.values().buckets()).sum(), r.tensor());
                if (step > 0) {
                    assertEquals(r.count(), java.util.Arrays.stream(r.gradient().buckets()).sum(), r.tensor());
                } else {
                    assertNull(r.gradient(), "no gradient at θ₀");
                    assertTrue(Double.isNaN(r.updateRatio()) && Double.isNaN(r.layerUpdateRatio()));
                }
            }
            assertEquals(parameters, counted, "step " + step);

            Map<String, float[]> after = tensors(dir, step, 6);
            Map<String, float[]> before = step > 0 ? tensors(dir, step - 1, 6) : null;
            Map<Integer, double[]> layerSums = new LinkedHashMap<>();
            for (LayerLog.Row r : at) {
                float[] v = after.get(r.tensor());
                String where = r.tensor() + " at step " + step;
                assertEquals(v.length, r.count(), where);
                double min = Double.POSITIVE_INFINITY;
                double max = Double.NEGATIVE_INFINITY;
                double sum = 0;
                double squares = 0;
                for (float x : v) {
                    min = Math.min(min, x);
                    max = Math.max(max, x);
                    sum += x;
                    squares += (double) x * x;
                }
                // 9 significant digits in the file: float32 values exactly, sums within a rounding.
                assertEquals((float) min, (float) r.values().min(), where);
                assertEquals((float) max, (float) r.values().max(), where);
                assertEquals(sum / v.length, r.values().mean(), 1e-8 * Math.sqrt(squares), where);
                assertEquals(Math.sqrt(squares), r.values().norm(), 1e-8 * Math.sqrt(squares), where);
                // The buckets hold the checkpoint's values between their edges.
                assertArrayEquals(recount(v, r.values()), r.values().buckets(), where);
                if (before != null) {
                    float[] p = before.get(r.tensor());
                    double change = 0;
                    double norm = 0;
                    for (int i = 0; i < v.length; i++) {
                        change += ((double) v[i] - p[i]) * ((double) v[i] - p[i]);
                        norm += (double) p[i] * p[i];
                    }
                    double want = Math.sqrt(change) / Math.sqrt(norm);
                    if (norm == 0) {
                        assertTrue(Double.isNaN(r.updateRatio()), where + ": θₜ₋₁ = 0 has no ratio");
                    } else {
                        assertEquals(want, r.updateRatio(), 1e-7 * want, where);
                        assertTrue(want > 0, where);
                    }
                    double[] s = layerSums.computeIfAbsent(r.layer(), k -> new double[2]);
                    s[0] += change;
                    s[1] += norm;
                }
            }
            for (LayerLog.Row r : at) {
                if (before != null) {
                    double[] s = layerSums.get(r.layer());
                    double want = Math.sqrt(s[0]) / Math.sqrt(s[1]);
                    assertEquals(want, r.layerUpdateRatio(), 1e-7 * want, "layer " + r.layer() + " at " + step);
                }
            }
        }
    }

    /** The counts of {@code v} in 30 equal-width buckets from min to max (the last one closed), as documented. */
    private static long[] recount(float[] v, LayerLog.Values h) {
        long[] counts = new long[LayerLog.HISTOGRAM_BUCKETS];
        float min = (float) h.min();
        float max = (float) h.max();
        for (float x : v) {
            if (min == max) {
                counts[0]++;
                continue;
            }
            int k = LayerLog.HISTOGRAM_BUCKETS - 1;
            for (int i = 1; i < LayerLog.HISTOGRAM_BUCKETS; i++) {
                if (x < (double) min + ((double) max - min) * i / LayerLog.HISTOGRAM_BUCKETS) {
                    k = i - 1;
                    break;
                }
            }
            counts[k]++;
        }
        return counts;
    }

    @Test
    void batchNormsGammaAndBetaHaveTheirRowsAndEveryParameterIsCounted() throws IOException {
        Path dir = tmp.resolve("run");
        TrainConfig config = small().optHidden(16, 8).optBatchNorm(true).optSteps(4).optLogEvery(2)
                .optCheckpointEvery(2).build();
        long parameters;
        try (Trainer t = trainer(config, dir, 2)) {
            t.fit();
            parameters = t.mlp().parameterCount();
        }
        List<LayerLog.Row> rows = LayerLog.read(dir.resolve(LayerLog.FILE));
        List<LayerLog.Row> last = rows.stream().filter(r -> r.step() == 4).toList();
        assertEquals(List.of("layers.0.weight", "norms.0.weight", "norms.0.bias", "layers.1.weight",
                "norms.1.weight", "norms.1.bias", "layers.2.weight", "layers.2.bias"),
                last.stream().map(LayerLog.Row::tensor).toList());
        assertEquals(List.of("weight", "gamma", "beta", "weight", "gamma", "beta", "weight", "bias"),
                last.stream().map(LayerLog.Row::kind).toList());
        assertEquals(parameters, last.stream().mapToLong(r -> java.util.Arrays.stream(r.values().buckets()).sum())
                .sum());
        Map<String, float[]> theta = tensors(dir, 4, 4);
        for (LayerLog.Row r : last) {
            assertArrayEquals(recount(theta.get(r.tensor()), r.values()), r.values().buckets(), r.tensor());
            assertNotNull(r.gradient(), r.tensor());
            assertTrue(r.updateRatio() > 0, r.tensor());
        }
        // θ₀'s γ are all 1 and β all 0: one value, every count in bucket 0.
        LayerLog.Row gamma0 = rows.stream().filter(r -> r.step() == 0 && r.kind().equals("gamma")).findFirst()
                .orElseThrow();
        assertEquals(1.0, gamma0.values().min());
        assertEquals(1.0, gamma0.values().max());
        assertEquals(16, gamma0.values().buckets()[0]);
    }

    @Test
    void closureRulesGetTheirLastGradientAndAnUpdateRatio() {
        for (UpdateRule rule : List.of(UpdateRule.LBFGS, UpdateRule.NEWTON_CG)) {
            Path dir = tmp.resolve(rule.name());
            TrainConfig config = small().optOptimizer(rule).optBatchSize(0).optLimit(200).optSteps(2)
                    .optLogEvery(1).build();
            try (Trainer t = trainer(config, dir, 1)) {
                t.fit();
            }
            List<LayerLog.Row> rows = LayerLog.read(dir.resolve(LayerLog.FILE));
            for (LayerLog.Row r : rows) {
                if (r.step() > 0) {
                    assertNotNull(r.gradient(), rule + " " + r.tensor());
                    assertTrue(r.gradient().norm() > 0, rule + " " + r.tensor());
                    assertTrue(r.layerUpdateRatio() > 0, rule + " " + r.tensor());
                }
            }
            assertEquals(List.of(0L, 1L, 2L), rows.stream().map(LayerLog.Row::step).distinct().toList(), rule.name());
        }
    }

    @Test
    void theFileIsTheSameBytesOnOneAndTwoThreads() throws IOException {
        byte[][] files = new byte[2][];
        for (int threads = 1; threads <= 2; threads++) {
            Path dir = tmp.resolve("threads-" + threads);
            TrainConfig config = small().optThreads(threads).optSteps(12).optLogEvery(4).build();
            // The trainer opens the configuration's backend with its thread count.
            try (Trainer t = new Trainer(config).optProgressBar(false).optReport(false).optRunDirectory(dir)
                    .optHistogramEvery(3)) {
                t.fit();
            }
            files[threads - 1] = Files.readAllBytes(dir.resolve(LayerLog.FILE));
        }
        assertTrue(files[0].length > 1000);
        assertArrayEquals(files[0], files[1]);
    }

    /** The exception of a run that dies in the middle. */
    private static final class Killed extends RuntimeException {
    }

    @Test
    void aKilledAndResumedRunWritesTheUninterruptedRunsFile() throws IOException {
        TrainConfig config = small().optSteps(30).optLogEvery(5).optCheckpointEvery(10).build();
        Path straight = tmp.resolve("straight");
        try (Trainer t = trainer(config, straight, 5)) {
            t.fit();
        }
        // Killed after step 25's rows: its checkpoint is step 20; then half a row of a later write.
        Path split = tmp.resolve("split");
        try (Trainer t = trainer(config, split, 5)) {
            t.optListener(e -> {
                if (e.step() == 25) {
                    throw new Killed();
                }
            });
            assertThrows(Killed.class, t::fit);
        }
        Path file = split.resolve(LayerLog.FILE);
        assertTrue(LayerLog.read(file).stream().anyMatch(r -> r.step() == 25), "the killed run wrote step 25");
        Files.writeString(file, "30,0,layers.0.weight,weight,12544,-0.1", StandardOpenOption.APPEND);
        try (Trainer t = trainer(config, split, 5)) {
            t.resume();
        }
        assertEquals(Files.readString(straight.resolve(LayerLog.FILE)), Files.readString(file));
    }

    @Test
    void aRunFromBeforeLayersCsvResumesAndStartsTheFile() throws IOException {
        TrainConfig config = small().optSteps(20).optLogEvery(5).optCheckpointEvery(10).build();
        Path straight = tmp.resolve("straight");
        try (Trainer t = trainer(config, straight, 5)) {
            t.fit();
        }
        Path old = tmp.resolve("old");
        try (Trainer t = trainer(config.toBuilder().optSteps(10).build(), old, 5)) {
            t.fit();
        }
        Files.delete(old.resolve(LayerLog.FILE));
        try (Trainer t = trainer(config, old, 5)) {
            t.resume();
        }
        // Only the steps the resumed run observed, each as the uninterrupted run has them.
        List<String> want = Files.readAllLines(straight.resolve(LayerLog.FILE)).stream()
                .filter(l -> !l.matches("(0|5|10),.*")).toList();
        assertEquals(want, Files.readAllLines(old.resolve(LayerLog.FILE)));
    }

    @Test
    void aDamagedRowRefusesTheResumeBeforeAnythingIsWritten() throws IOException {
        TrainConfig config = small().optSteps(20).optLogEvery(5).optCheckpointEvery(10).build();
        Path dir = tmp.resolve("run");
        try (Trainer t = trainer(config.toBuilder().optSteps(15).build(), dir, 5)) {
            t.fit();
        }
        Path file = dir.resolve(LayerLog.FILE);
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        // Line 3 (θ₀'s layers.0.bias): one bucket fewer in its count, a row no kill leaves.
        lines.set(2, lines.get(2).replaceFirst(",16,", ",15,"));
        Files.write(file, lines);
        byte[] layers = Files.readAllBytes(file);
        byte[] metrics = Files.readAllBytes(dir.resolve("metrics.csv"));
        try (Trainer t = trainer(config, dir, 5)) {
            InvalidInputException e = assertThrows(InvalidInputException.class, t::resume);
            assertTrue(e.getMessage().startsWith(file + ": line 3: damaged row: "), e.getMessage());
            assertTrue(e.getMessage().contains("not the count 15"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        assertArrayEquals(layers, Files.readAllBytes(file), "layers.csv as it was");
        assertArrayEquals(metrics, Files.readAllBytes(dir.resolve("metrics.csv")), "metrics.csv as it was");
    }

    @Test
    void readRefusesWhatNoRunWrites() throws IOException {
        String header = String.join(",", LayerLog.COLUMNS) + "\n";
        String buckets = ",1" + ",0".repeat(29);
        String noGradient = ",".repeat(30);
        String good = "0,0,layers.0.bias,bias,1,0.5,0.5,0.5,0,0.5,,,,,,," + buckets + noGradient + "\n";
        Path f = tmp.resolve(LayerLog.FILE);
        Files.writeString(f, header + good + "5,0,layers.0.bias,bias,1,0.5");
        List<LayerLog.Row> rows = LayerLog.read(f);
        assertEquals(1, rows.size(), "a torn last line is left out");
        assertEquals(0.5, rows.get(0).values().edge(0));
        assertNull(rows.get(0).gradient());
        Map<String, String> damage = new LinkedHashMap<>();
        damage.put("tensor 'layers.1.bias' is not a tensor of layer 0", good.replace("layers.0.bias", "layers.1.bias"));
        damage.put("kind 'gain' is not one of", good.replace(",bias,1,", ",gain,1,"));
        damage.put("are partly empty", good.replace(",0.5,0.5,0.5,0,0.5,", ",0.5,,0.5,0,0.5,"));
        damage.put("update_ratio 'inf' is not a finite number", good.replace(",0.5,,,,,,,", ",0.5,,,,,,inf,"));
        damage.put("step 0 comes after step 5", good.replaceFirst("^0,", "5,") + good);
        for (Map.Entry<String, String> e : damage.entrySet()) {
            Files.writeString(f, header + e.getValue());
            InvalidInputException x = assertThrows(InvalidInputException.class, () -> LayerLog.read(f));
            assertTrue(x.getMessage().contains(e.getKey()) && x.getMessage().startsWith(f + ": line "),
                    x.getMessage());
        }
        Files.writeString(f, "step,loss\n");
        assertTrue(assertThrows(InvalidInputException.class, () -> LayerLog.read(f)).getMessage()
                .contains("line 1: not the header of a layers log"));
    }
}
