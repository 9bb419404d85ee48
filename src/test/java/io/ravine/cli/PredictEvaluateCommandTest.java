package io.ravine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.ravine.data.CsvReader;
import io.ravine.data.Dataset;
import io.ravine.export.ExportTestModels;
import io.ravine.export.OnnxExport;
import io.ravine.train.ModelEvaluation;
import io.ravine.train.TrainedModel;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ravine predict} and {@code ravine evaluate} on raw examples: they use the normalization stored in the
 * checkpoint, agree with the library's TrainedModel and with ONNX Runtime running the exported model (an independent
 * implementation of the same function), and refuse bad input in one line with nothing written.
 */
class PredictEvaluateCommandTest {
    @TempDir
    static Path shared;
    private static Path csv;
    private static Path featuresOnly;
    private static Path checkpoint;
    private static Path regressionCheckpoint;
    private static Path regressionCsv;
    private static final int N = 300;
    private static final int D = 5;

    @BeforeAll
    static void train() throws IOException {
        // Features far from zero mean and unit scale, so a model used without its normalization predicts otherwise.
        SplittableRandom rng = new SplittableRandom(4);
        StringBuilder withTarget = new StringBuilder("a,b,c,d,e,label\n");
        StringBuilder plain = new StringBuilder("a,b,c,d,e\n");
        StringBuilder regression = new StringBuilder("a,b,c,d,e,y\n");
        for (int i = 0; i < N; i++) {
            double[] x = new double[D];
            StringBuilder row = new StringBuilder();
            for (int j = 0; j < D; j++) {
                x[j] = 50 * j + (1 + j) * rng.nextGaussian();
                row.append(j == 0 ? "" : ",").append((float) x[j]);
            }
            int label = (x[1] - 50) / 2 + (x[3] - 150) / 4 > 0 ? 1 : (x[2] - 100) / 3 > 0.5 ? 2 : 0;
            withTarget.append(row).append(',').append(label).append('\n');
            plain.append(row).append('\n');
            regression.append(row).append(',').append((float) (0.1 * x[1] - 0.05 * x[4] + rng.nextGaussian()))
                    .append('\n');
        }
        csv = Files.writeString(shared.resolve("data.csv"), withTarget);
        featuresOnly = Files.writeString(shared.resolve("features.csv"), plain);
        regressionCsv = Files.writeString(shared.resolve("regression.csv"), regression);
        CliTestSupport.Result r = CliTestSupport.run("train", "--data", csv.toString(), "--hidden", "16", "--steps",
                "150", "--batch-size", "32", "--lr", "0.01", "--progress", "off", "--run-dir",
                shared.resolve("run").toString());
        assertEquals(0, r.status(), r.err());
        checkpoint = shared.resolve("run/checkpoints/final.safetensors");
        r = CliTestSupport.run("train", "--data", regressionCsv.toString(), "--loss", "mse", "--hidden", "8",
                "--steps", "60", "--progress", "off", "--run-dir", shared.resolve("regression").toString());
        assertEquals(0, r.status(), r.err());
        regressionCheckpoint = shared.resolve("regression/checkpoints/final.safetensors");
    }

    private static List<String[]> rows(Path file) throws IOException {
        return Files.readAllLines(file).stream().skip(1).map(l -> l.split(",", -1)).toList();
    }

    @Test
    void predictWritesWhatTheLibraryPredictsOnRawInputs(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("preds.csv");
        CliTestSupport.Result r = CliTestSupport.run("predict", "--checkpoint", checkpoint.toString(), "--data",
                csv.toString(), "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals("example,predicted,p_0,p_1,p_2", Files.readAllLines(out).get(0));
        List<String[]> rows = rows(out);
        assertEquals(N, rows.size());
        Dataset raw = CsvReader.read(csv, CsvReader.Target.CLASS_INDEX, 0);
        try (TrainedModel m = TrainedModel.load(checkpoint)) {
            float[][] p = m.predict(raw);
            int[] classes = m.predictClasses(raw);
            for (int i = 0; i < N; i++) {
                assertEquals(Integer.toString(i), rows.get(i)[0]);
                assertEquals(classes[i], Integer.parseInt(rows.get(i)[1]));
                double sum = 0;
                for (int j = 0; j < 3; j++) {
                    float v = Float.parseFloat(rows.get(i)[2 + j]);
                    assertEquals(p[i][j], v, 0.0, "the CSV holds the float exactly");
                    sum += v;
                }
                assertEquals(1.0, sum, 1e-5);
            }
        }
        // A file without the target column gives the same predictions.
        Path out2 = dir.resolve("preds2.csv");
        r = CliTestSupport.run("predict", "--checkpoint", checkpoint.toString(), "--data", featuresOnly.toString(),
                "--out", out2.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(Files.readString(out), Files.readString(out2));
    }

    @Test
    void predictAgreesWithOnnxRuntimeOnTheExportedModel(@TempDir Path dir) throws Exception {
        Path preds = dir.resolve("preds.csv");
        Path onnx = dir.resolve("model.onnx");
        assertEquals(0, CliTestSupport.run("predict", "--checkpoint", checkpoint.toString(), "--data", csv.toString(),
                "--out", preds.toString()).status());
        assertEquals(0, CliTestSupport.run("export", "--checkpoint", checkpoint.toString(), "--format", "onnx",
                "--out", onnx.toString()).status());
        Dataset raw = CsvReader.read(csv, CsvReader.Target.CLASS_INDEX, 0);
        float[][] ort;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(onnx.toString(), new OrtSession.SessionOptions());
                OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(raw.features()), new long[] {N, D});
                OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, x))) {
            ort = (float[][]) result.get("probabilities").orElseThrow().getValue();
        }
        List<String[]> rows = rows(preds);
        double worst = 0;
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < 3; j++) {
                worst = Math.max(worst, Math.abs(Float.parseFloat(rows.get(i)[2 + j]) - ort[i][j]));
            }
        }
        // float32 forward passes with different summation orders: a few ulps of the probabilities (docs/export.md
        // measures ≤ 2e-6 on Fashion-MNIST); 1e-5 as the issue states.
        assertTrue(worst <= 1e-5, "max |p_predict - p_onnxruntime| = " + worst);
    }

    @Test
    void evaluatePrintsTheLibrarysLossAccuracyAndConfusionMatrix() {
        CliTestSupport.Result r = CliTestSupport.run("evaluate", "--checkpoint", checkpoint.toString(), "--data",
                csv.toString());
        assertEquals(0, r.status(), r.err());
        Dataset raw = CsvReader.read(csv, CsvReader.Target.CLASS_INDEX, 0);
        ModelEvaluation e;
        try (TrainedModel m = TrainedModel.load(checkpoint)) {
            e = m.evaluate(raw);
        }
        assertTrue(e.accuracy() > 0.7, "the model learned something: " + e.accuracy());
        assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "accuracy %.4f", e.accuracy())), r.out());
        // The per-class table has one row per class, and the confusion matrix's rows hold every example.
        long classRows = r.out().lines()
                .filter(l -> l.matches("\\| \\d \\| \\d+ \\| \\d+ \\| (\\d\\.\\d{4}|–) \\| (\\d\\.\\d{4}|–) \\|")).count();
        assertEquals(3, classRows, r.out());
        int total = 0;
        for (int[] row : e.confusionMatrix()) {
            for (int v : row) {
                total += v;
            }
        }
        assertEquals(N, total);
        String matrix = r.out().substring(r.out().indexOf("confusion matrix"));
        for (int i = 0; i < 3; i++) {
            StringBuilder expected = new StringBuilder("| " + i + " |");
            for (int j = 0; j < 3; j++) {
                expected.append(' ').append(e.confusionMatrix()[i][j]).append(" |");
            }
            assertTrue(matrix.contains(expected), expected + " in\n" + matrix);
        }
    }

    @Test
    void aRegressionModelPredictsValuesAndEvaluatesItsLoss(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("y.csv");
        CliTestSupport.Result r = CliTestSupport.run("predict", "--checkpoint", regressionCheckpoint.toString(),
                "--data", regressionCsv.toString(), "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals("example,y_0", Files.readAllLines(out).get(0));
        Dataset raw = CsvReader.read(regressionCsv, CsvReader.Target.REAL, 0);
        try (TrainedModel m = TrainedModel.load(regressionCheckpoint)) {
            float[][] y = m.predict(raw);
            List<String[]> rows = rows(out);
            for (int i = 0; i < N; i++) {
                assertEquals(y[i][0], Float.parseFloat(rows.get(i)[1]), 0.0);
            }
            r = CliTestSupport.run("evaluate", "--checkpoint", regressionCheckpoint.toString(), "--data",
                    regressionCsv.toString());
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "loss %.6g", m.evaluate(raw).loss())),
                    r.out());
            assertFalse(r.out().contains("accuracy"), r.out());
        }
    }

    @Test
    void badInputIsOneLineAndNothingIsWritten(@TempDir Path dir) throws IOException {
        // An existing --out is kept without --overwrite.
        Path out = Files.writeString(dir.resolve("preds.csv"), "mine\n");
        refused(CliTestSupport.run("predict", "--checkpoint", checkpoint.toString(), "--data", csv.toString(),
                "--out", out.toString()), "--out", "already exists", "--overwrite");
        assertEquals("mine\n", Files.readString(out));
        // Data with another number of features.
        Path narrow = Files.writeString(dir.resolve("narrow.csv"), "a,b,label\n1,2,0\n3,4,1\n");
        Path none = dir.resolve("none.csv");
        refused(CliTestSupport.run("predict", "--checkpoint", checkpoint.toString(), "--data", narrow.toString(),
                "--out", none.toString()), "--data", "features per example", "takes 5");
        assertFalse(Files.exists(none));
        // evaluate needs the labels: a file without them is refused in the file's own terms.
        refused(CliTestSupport.run("evaluate", "--checkpoint", checkpoint.toString(), "--data",
                featuresOnly.toString()), "features.csv", "class label", "is not an integer");
        // A checkpoint written before the normalization was stored, copied out of its run: the flags are named.
        Path old = ExportTestModels.stripNormalization(checkpoint, dir.resolve("old.safetensors"));
        refused(CliTestSupport.run("predict", "--checkpoint", old.toString(), "--data", csv.toString(), "--out",
                none.toString()), "old.safetensors", "does not carry its input normalization", "--normalization FILE",
                "--no-normalization");
        assertFalse(Files.exists(none));
        // Both normalization flags.
        refused(CliTestSupport.run("evaluate", "--checkpoint", checkpoint.toString(), "--data", csv.toString(),
                "--no-normalization", "--normalization", checkpoint.toString()), "do not go together");
        // A checkpoint that is not one.
        Path junk = Files.writeString(dir.resolve("junk.safetensors"), "not a checkpoint");
        refused(CliTestSupport.run("evaluate", "--checkpoint", junk.toString(), "--data", csv.toString()),
                "junk.safetensors");
    }

    @Test
    void withoutItsNormalizationTheModelWouldPredictOtherwise() throws IOException {
        // The control that makes the agreement meaningful: the stored statistics matter on these inputs.
        Dataset raw = CsvReader.read(csv, CsvReader.Target.CLASS_INDEX, 0);
        try (TrainedModel m = TrainedModel.load(checkpoint);
                TrainedModel bare = TrainedModel.of(m.architecture(), m.parameters(),
                        io.ravine.data.Normalizer.none(D), 3)) {
            assertFalse(java.util.Arrays.equals(m.predictClasses(raw), bare.predictClasses(raw)));
            assertArrayEquals(m.predictClasses(raw), TrainedModel.load(checkpoint).predictClasses(raw));
        }
    }

    private static void refused(CliTestSupport.Result r, String... mustSay) {
        assertEquals(2, r.status(), r.out() + r.err());
        List<String> lines = r.errorLines();
        assertEquals(1, lines.size(), r.err());
        for (String s : mustSay) {
            assertTrue(lines.get(0).contains(s), "'" + lines.get(0) + "' should say '" + s + "'");
        }
        assertFalse(r.err().contains("\tat "), r.err());
    }
}
