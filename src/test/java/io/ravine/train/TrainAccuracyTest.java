package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.backend.LossKind;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.DataSources;
import io.ravine.data.Dataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * metrics.csv's train_accuracy: the accuracy of the checkpoint's model on the monitoring subset, computed here
 * apart (the saved model predicting the raw examples); empty for a regression, with summary.json saying why; and a
 * run whose metrics.csv was written before the column resumes.
 */
class TrainAccuracyTest {
    private static final int LIMIT = 600;

    @TempDir
    Path tmp;

    private static TrainConfig.Builder small() {
        return TrainConfig.builder().setData("embedded").optLimit(LIMIT).optHidden(16).optBatchSize(50)
                .optSubset(200).optSeed(5).optThreads(1).optLogEvery(5).optEvalEvery(10).optCheckpointEvery(10);
    }

    private static Trainer trainer(TrainConfig config, Path dir) {
        return new Trainer(config, CpuBackend.f32()).optProgressBar(false).optReport(false).optRunDirectory(dir);
    }

    /** The fraction of the monitoring subset's raw examples the checkpoint's model classifies right. */
    private static double accuracyFromCheckpoint(Path checkpoint, TrainConfig config) {
        Dataset raw = DataSources.loadEmbedded().train().limit(LIMIT);
        Dataset subset = raw.select(Trainer.monitorIndices(raw.n(), config.subset(), config.seed()));
        try (TrainedModel model = TrainedModel.load(checkpoint)) {
            int[] predicted = model.predictClasses(subset);
            int right = 0;
            for (int i = 0; i < predicted.length; i++) {
                right += predicted[i] == subset.labels()[i] ? 1 : 0;
            }
            return (double) right / subset.n();
        }
    }

    private static Map<String, Double> row(List<Map<String, Double>> rows, long step) {
        return rows.stream().filter(r -> r.get("step") == step).findFirst().orElseThrow();
    }

    @Test
    void theTrainAccuracyIsTheCheckpointsAccuracyOnTheMonitoringSubset() throws IOException {
        for (boolean batchNorm : new boolean[] {false, true}) {
            Path dir = tmp.resolve("bn-" + batchNorm);
            TrainConfig config = small().optBatchNorm(batchNorm).optSteps(30).optSaveInitial(true).build();
            List<MetricsEvent> events = new ArrayList<>();
            TrainingResult result;
            try (Trainer t = trainer(config, dir)) {
                t.optListener(events::add);
                result = t.fit();
            }
            List<Map<String, Double>> rows = MetricsLog.read(dir.resolve("metrics.csv"));
            for (long step : new long[] {0, 10, 20, 30}) {
                String file = step == 0 ? "initial" : step == 30 ? "final" : String.format("step-%08d", step);
                double want = accuracyFromCheckpoint(dir.resolve("checkpoints/" + file + ".safetensors"), config);
                // 200 examples: the accuracy is a multiple of 1/200, written with 9 digits.
                assertEquals(want, row(rows, step).get("train_accuracy"), 1e-9, "batch norm " + batchNorm
                        + ", step " + step);
            }
            assertTrue(row(rows, 30).get("train_accuracy") > row(rows, 0).get("train_accuracy") + 0.2,
                    "the training accuracy rises: " + rows);
            // Every logging step has it, and the listener and summary.json say the same.
            for (MetricsEvent e : events) {
                assertEquals(row(rows, e.step()).get("train_accuracy"), e.trainAccuracy(), 1e-9);
            }
            assertEquals(row(rows, 30).get("train_accuracy"), result.finalTrainAccuracy(), 1e-9);
            JsonObject summary = json(dir.resolve("summary.json"));
            assertEquals(result.finalTrainAccuracy(), summary.get("final_train_accuracy").getAsDouble());
            assertEquals(result.finalTrainAccuracy(), RunDirectories.readSummary(dir).finalTrainAccuracy());
        }
    }

    @Test
    void aRegressionHasNoTrainAccuracyAndTheSummarySaysWhy() throws IOException {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
        float[][] x = new float[200][2];
        float[][] y = new float[200][1];
        for (int i = 0; i < x.length; i++) {
            x[i][0] = (float) rng.nextGaussian();
            x[i][1] = (float) rng.nextGaussian();
            y[i][0] = 2 * x[i][0] - 3 * x[i][1] + 1;
        }
        TrainConfig config = TrainConfig.builder().optHidden(4).optLoss(LossKind.MSE).optBatchSize(20).optSteps(10)
                .optLogEvery(5).optSubset(50).optThreads(1).build();
        Path dir = tmp.resolve("run");
        try (Trainer t = new Trainer(config, CpuBackend.f32(), Dataset.ofTargets(x, y).split(0.2, 7))) {
            t.optProgressBar(false).optReport(false).optRunDirectory(dir).fit();
        }
        List<Map<String, Double>> rows = MetricsLog.read(dir.resolve("metrics.csv"));
        assertTrue(rows.size() >= 3, rows.toString());
        for (Map<String, Double> r : rows) {
            assertTrue(r.containsKey("train_accuracy"), "the column is there");
            assertTrue(Double.isNaN(r.get("train_accuracy")), "empty in a regression: " + r);
            assertTrue(Double.isFinite(r.get("train_loss")));
        }
        JsonObject summary = json(dir.resolve("summary.json"));
        assertTrue(summary.get("final_train_accuracy").isJsonNull());
        assertTrue(summary.get("final_train_accuracy_status").getAsString().contains("regression"),
                summary.toString());
    }

    @Test
    void aRunWhoseMetricsCsvPredatesTheColumnResumes() throws IOException {
        TrainConfig config = small().optSteps(20).build();
        Path straight = tmp.resolve("straight");
        try (Trainer t = trainer(config, straight)) {
            t.fit();
        }
        // The first 10 steps, then metrics.csv as Ravine wrote it before train_accuracy (without that column) and
        // no layers.csv.
        Path old = tmp.resolve("old");
        try (Trainer t = trainer(config.toBuilder().optSteps(10).build(), old)) {
            t.fit();
        }
        Path csv = old.resolve("metrics.csv");
        int column = MetricsLog.COLUMNS.indexOf("train_accuracy");
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(csv)) {
            List<String> cells = new ArrayList<>(List.of(line.split(",", -1)));
            cells.remove(column);
            lines.add(String.join(",", cells));
        }
        assertEquals(String.join(",", MetricsLog.BEFORE_TRAIN_ACCURACY_COLUMNS), lines.get(0));
        Files.write(csv, lines);
        Files.delete(old.resolve(LayerLog.FILE));
        TrainingResult resumed;
        try (Trainer t = trainer(config, old)) {
            resumed = t.resume();
        }
        assertEquals(String.join(",", MetricsLog.COLUMNS), Files.readAllLines(csv).get(0));
        List<Map<String, Double>> a = MetricsLog.read(straight.resolve("metrics.csv"));
        List<Map<String, Double>> b = MetricsLog.read(csv);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            double step = a.get(i).get("step");
            for (String c : MetricsLog.COLUMNS) {
                if (c.equals("wall_seconds")) {
                    continue;
                }
                if (c.equals("train_accuracy") && step <= 10) {
                    assertTrue(Double.isNaN(b.get(i).get(c)), "the old rows' train_accuracy is empty");
                    continue;
                }
                assertEquals(a.get(i).get(c), b.get(i).get(c), c + " at step " + step);
            }
        }
        assertEquals(row(a, 20).get("train_accuracy"), resumed.finalTrainAccuracy(), 1e-9);
        assertTrue(LayerLog.read(old.resolve(LayerLog.FILE)).stream().allMatch(r -> r.step() > 10));
    }

    private static JsonObject json(Path file) throws IOException {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }
}
