package example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.training.tracker.Tracker;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.InvalidInputException;
import io.ravine.InvalidSettingException;
import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.Dataset;
import io.ravine.data.Normalizer;
import io.ravine.data.TrainTest;
import io.ravine.io.SafeTensors;
import io.ravine.train.Checkpoint;
import io.ravine.train.MetricsEvent;
import io.ravine.train.ModelEvaluation;
import io.ravine.train.StepEvent;
import io.ravine.train.TrainConfig;
import io.ravine.train.TrainedModel;
import io.ravine.train.Trainer;
import io.ravine.train.TrainingListener;
import io.ravine.train.TrainingResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a library user does, written only against the public API from a package outside {@code io.ravine}, so
 * nothing package-private can stand in for it: train on arrays in memory, predict on raw inputs, evaluate, save and
 * load; a DJL Tracker as the schedule; threads from the configuration alone; messages that name settings; the input
 * normalization carried by checkpoints, and a checkpoint from before that refused with one line.
 */
class LibraryApiTest {
    @TempDir
    Path tmp;

    /**
     * Three classes of Gaussian blobs in 4 features whose scales and offsets are far from unit (feature j is about
     * 1000·j ± 100): a model trained on z-scored inputs sees nothing like this raw, so predicting raw inputs without
     * the normalization gives other answers (the control below).
     */
    private static Dataset blobs(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[][] x = new float[n][4];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int c = i % 3;
            labels[i] = c;
            for (int j = 0; j < 4; j++) {
                double centre = (j == c ? 2.5 : 0) + (j == 3 && c == 2 ? -2.5 : 0);
                x[i][j] = (float) (1000.0 * j + 100 * (centre + rng.nextGaussian()));
            }
        }
        return Dataset.ofClasses(x, labels);
    }

    private static TrainConfig.Builder small() {
        return TrainConfig.builder().setData("blobs").optHidden(16).optActivation(Activation.TANH)
                .optOptimizer(UpdateRule.ADAM).optLearningRate(0.01).optBatchSize(32).optEpochs(15).optSeed(7)
                .optDevice("cpu").optThreads(1);
    }

    @Test
    void tenLinesTrainPredictEvaluateSaveAndLoad() {
        Dataset all = blobs(600, 1);
        TrainTest data = all.split(0.25, 7);
        TrainConfig config = small().build();
        TrainedModel model;
        try (Trainer trainer = new Trainer(config, data)) {
            TrainingResult result = trainer.fit();
            model = trainer.trainedModel();
            assertEquals(trainer.totalSteps(), result.steps());
        }
        // The trainer (and the backend it opened) is closed; the trained model is the caller's.
        float[][] raw = data.test().featureRows();
        float[][] p = model.predict(raw);
        int[] classes = model.predictClasses(raw);
        ModelEvaluation e = model.evaluate(data.test());

        assertEquals(data.test().n(), p.length);
        for (float[] row : p) {
            double sum = 0;
            for (float v : row) {
                assertTrue(v >= 0 && v <= 1, "a probability: " + v);
                sum += v;
            }
            assertEquals(1.0, sum, 1e-5, "softmax probabilities sum to 1");
        }
        int[] labels = data.test().labels();
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            correct += classes[i] == labels[i] ? 1 : 0;
            int argmax = 0;
            for (int k = 1; k < 3; k++) {
                argmax = p[i][k] > p[i][argmax] ? k : argmax;
            }
            assertEquals(argmax, classes[i], "the predicted class is the most probable one");
        }
        assertEquals((double) correct / labels.length, e.accuracy(), 0.0, "evaluate counts what predictClasses says");
        assertTrue(e.accuracy() > 0.9, "accuracy " + e.accuracy());
        int[][] confusion = e.confusionMatrix();
        assertEquals(3, confusion.length);
        long total = 0;
        long diagonal = 0;
        for (int k = 0; k < 3; k++) {
            total += java.util.Arrays.stream(confusion[k]).sum();
            diagonal += confusion[k][k];
        }
        assertEquals(data.test().n(), total, "the confusion matrix counts every example once");
        assertEquals(correct, diagonal);
        assertTrue(e.loss() > 0 && Double.isFinite(e.loss()), "loss " + e.loss());

        Path file = tmp.resolve("model.safetensors");
        model.save(file);
        try (TrainedModel loaded = TrainedModel.load(file)) {
            assertEquals(model.architecture().describe(), loaded.architecture().describe());
            assertArrayEquals(model.parameters(), loaded.parameters());
            float[][] again = loaded.predict(raw);
            for (int i = 0; i < raw.length; i++) {
                assertArrayEquals(p[i], again[i], 0f, "the same bits after save and load, row " + i);
            }
            assertArrayEquals(classes, loaded.predictClasses(raw));
            assertEquals(e, loaded.evaluate(data.test()));
        }
        model.close();
    }

    @Test
    void aCheckpointCarriesTheNormalizationSoRawInputsPredictTheSame() throws IOException {
        TrainTest data = blobs(600, 2).split(0.25, 3);
        Path run = tmp.resolve("run");
        TrainedModel trained;
        Normalizer fitted;
        try (Trainer trainer = new Trainer(small().optCheckpointEvery(20).optSaveInitial(true).build(), data)) {
            trainer.optRunDirectory(run).fit();
            trained = trainer.trainedModel();
            fitted = trainer.normalizer();
        }
        assertEquals(Normalizer.Kind.ZSCORE, fitted.kind());
        // Every checkpoint of the run holds the statistics, under the names exporters read.
        List<Path> checkpoints;
        try (var files = Files.list(run.resolve("checkpoints"))) {
            checkpoints = files.sorted().toList();
        }
        assertTrue(checkpoints.size() >= 3, "initial, step and final checkpoints: " + checkpoints);
        for (Path c : checkpoints) {
            SafeTensors.Contents s = SafeTensors.read(c);
            assertEquals("zscore", s.metadata().get(Checkpoint.NORMALIZATION), c.toString());
            assertEquals("4-16-3 tanh softmax-ce", s.metadata().get(Checkpoint.ARCHITECTURE), c.toString());
            assertEquals(SafeTensors.Dtype.F32, s.get("normalizer.mean").dtype());
            assertArrayEquals(new long[] {4}, s.get("normalizer.mean").shape());
            assertArrayEquals(fitted.mean(), s.get("normalizer.mean").floats(), 0f);
            assertArrayEquals(fitted.scale(), s.get("normalizer.std").floats(), 0f, "std is the divisor applied");
        }
        float[][] raw = data.test().featureRows();
        float[][] before = trained.predict(raw);
        try (TrainedModel loaded = TrainedModel.load(run.resolve("checkpoints/final.safetensors"))) {
            float[][] after = loaded.predict(raw);
            for (int i = 0; i < raw.length; i++) {
                assertArrayEquals(before[i], after[i], 0f, "row " + i);
            }
            // The control: the same θ fed raw inputs without the normalization predicts something else.
            try (TrainedModel bare = TrainedModel.of(loaded.architecture(), loaded.parameters(),
                    Normalizer.none(4), 3)) {
                ModelEvaluation withStats = loaded.evaluate(data.test());
                ModelEvaluation without = bare.evaluate(data.test());
                assertTrue(withStats.accuracy() > 0.9, "with the stored statistics: " + withStats);
                assertTrue(without.accuracy() < withStats.accuracy() - 0.2, "without them: " + without);
            }
        }
    }

    @Test
    void aModelWithoutNormalizationStoresNoneAndNoTensors() throws IOException {
        TrainTest data = blobs(300, 4).split(0.2, 1);
        Path run = tmp.resolve("plain");
        try (Trainer trainer = new Trainer(small().optNormalize("none").optEpochs(1).build(), data)) {
            trainer.optRunDirectory(run).optReport(false).fit();
        }
        SafeTensors.Contents s = SafeTensors.read(run.resolve("checkpoints/final.safetensors"));
        assertEquals("none", s.metadata().get(Checkpoint.NORMALIZATION));
        assertFalse(s.tensors().containsKey("normalizer.mean") || s.tensors().containsKey("normalizer.std"));
        try (TrainedModel m = TrainedModel.load(run.resolve("checkpoints/final.safetensors"))) {
            assertEquals(Normalizer.Kind.NONE, m.normalizer().kind());
        }
    }

    /** A checkpoint as Ravine wrote them before they stored the normalization: θ and the optimizer, no statistics. */
    private static Path withoutNormalization(Path checkpoint, Path out) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(checkpoint);
        List<SafeTensors.Entry> kept = c.tensors().values().stream()
                .filter(t -> !t.name().startsWith("normalizer.")).collect(Collectors.toList());
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.remove(Checkpoint.NORMALIZATION);
        meta.remove(Checkpoint.CLASSES);
        meta.remove(SafeTensors.CHECKSUM_KEY);
        SafeTensors.write(out, kept, meta);
        return out;
    }

    @Test
    void aCheckpointFromBeforeIsRefusedInOneLineAndLoadsWithTheStatisticsGiven() throws IOException {
        TrainTest data = blobs(300, 5).split(0.2, 1);
        Path run = tmp.resolve("old");
        TrainedModel trained;
        try (Trainer trainer = new Trainer(small().optEpochs(5).build(), data)) {
            trainer.optRunDirectory(run).optReport(false).fit();
            trained = trainer.trainedModel();
        }
        Path old = withoutNormalization(run.resolve("checkpoints/final.safetensors"), tmp.resolve("old.safetensors"));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> TrainedModel.load(old));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith(old + ": holds no input normalization"), e.getMessage());
        assertTrue(e.getMessage().contains("TrainedModel.load(path, normalizer)"), e.getMessage());

        // The statistics of the same training examples, given: the same predictions as the model that stored them.
        try (TrainedModel m = TrainedModel.load(old, Normalizer.fit(Normalizer.Kind.ZSCORE, data.train()))) {
            float[][] raw = data.test().featureRows();
            float[][] expected = trained.predict(raw);
            float[][] got = m.predict(raw);
            for (int i = 0; i < raw.length; i++) {
                assertArrayEquals(expected[i], got[i], 0f, "row " + i);
            }
        }
        // A normalizer that contradicts one the file stores is refused.
        InvalidInputException other = assertThrows(InvalidInputException.class, () -> TrainedModel.load(
                run.resolve("checkpoints/final.safetensors"), Normalizer.none(4)));
        assertTrue(other.getMessage().contains("differs from the one given"), other.getMessage());
    }

    @Test
    void aCheckpointFromBeforeStillResumesToTheSameBits() throws IOException {
        TrainTest data = blobs(300, 6).split(0.2, 1);
        TrainConfig whole = small().optEpochs(0).optSteps(16).optCheckpointEvery(8).build();
        Path straight = tmp.resolve("straight");
        try (Trainer trainer = new Trainer(whole, data)) {
            trainer.optRunDirectory(straight).optReport(false).fit();
        }
        Path resumed = tmp.resolve("resumed");
        try (Trainer trainer = new Trainer(small().optEpochs(0).optSteps(8).optCheckpointEvery(8).build(), data)) {
            trainer.optRunDirectory(resumed).optReport(false).fit();
        }
        // Its checkpoints rewritten as before this change: no normalization in them.
        for (String name : List.of("step-00000008", "final")) {
            Path f = resumed.resolve("checkpoints/" + name + ".safetensors");
            Path old = withoutNormalization(f, tmp.resolve(name + ".old"));
            Files.move(old, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        try (Trainer trainer = new Trainer(whole, data)) {
            trainer.optRunDirectory(resumed).optReport(false).resume();
        }
        assertArrayEquals(SafeTensors.read(straight.resolve("checkpoints/final.safetensors")).get("layers.0.weight")
                .floats(), SafeTensors.read(resumed.resolve("checkpoints/final.safetensors")).get("layers.0.weight")
                .floats(), 0f);
        assertArrayEquals(SafeTensors.read(straight.resolve("checkpoints/final.safetensors")).get("layers.1.bias")
                .floats(), SafeTensors.read(resumed.resolve("checkpoints/final.safetensors")).get("layers.1.bias")
                .floats(), 0f);
    }

    @Test
    void aDjlTrackerIsTheScheduleAndListenersSeeItsRatesExactly() throws IOException {
        // DJL's MultiFactorTracker keeps state (the next step it waits for), so the expected values come from a twin
        // queried in the same order, as Ravine queries a tracker: with non-decreasing update counts.
        java.util.function.Supplier<Tracker> schedule = () -> Tracker.multiFactor().setBaseValue(0.05f)
                .setSteps(new int[] {5, 12}).optFactor(0.5f).build();
        Tracker tracker = schedule.get();
        Tracker twin = schedule.get();
        TrainTest data = blobs(300, 8).split(0.2, 1);
        TrainConfig config = small().optLearningRateTracker(tracker).optEpochs(0).optSteps(20).optLogEvery(4)
                .build();
        assertNull(config.schedule(), "a tracker is the schedule");
        List<StepEvent> steps = new ArrayList<>();
        List<MetricsEvent> logged = new ArrayList<>();
        Path run = tmp.resolve("tracked");
        try (Trainer trainer = new Trainer(config, data)) {
            trainer.optRunDirectory(run).optListener(new TrainingListener() {
                @Override
                public void onMetrics(MetricsEvent event) {
                    logged.add(event);
                }

                @Override
                public void onStep(StepEvent event) {
                    steps.add(event);
                }
            }).fit();
        }
        assertEquals(20, steps.size(), "one call per update");
        for (int t = 1; t <= 20; t++) {
            StepEvent e = steps.get(t - 1);
            assertEquals(t, e.step());
            assertEquals(twin.getNewValue(t - 1), e.learningRate(), 0.0, "update " + t + " uses the tracker's"
                    + " value for t - 1 completed updates");
            assertTrue(e.hasBatchLoss(), "on the CPU the batch loss is read every step");
        }
        assertNotEquals(steps.get(0).learningRate(), steps.get(19).learningRate(), "the rate changed");
        assertEquals(List.of(4L, 8L, 12L, 16L, 20L), logged.stream().map(MetricsEvent::step).toList());
        for (MetricsEvent m : logged) {
            assertEquals(steps.get((int) m.step() - 1).learningRate(), m.learningRate(), 0.0);
            assertEquals(steps.get((int) m.step() - 1).batchLoss(), m.batchLoss(), 0.0);
        }
        // config.json records what it can of a tracker: its description, with the schedule spec null.
        JsonObject saved = JsonParser.parseString(Files.readString(run.resolve("config.json"))).getAsJsonObject()
                .getAsJsonObject("config");
        assertEquals("ai.djl.training.tracker.MultiFactorTracker", saved.get("learningRateTracker").getAsString());
        assertTrue(saved.get("schedule").isJsonNull());
        // A library run with a run directory gets the CLI's report.
        assertTrue(Files.isRegularFile(run.resolve("report.html")), "report.html");
        assertTrue(Files.isRegularFile(run.resolve("plots/learning-rate.png")), "plots/learning-rate.png");

        // Resumed from Java with the same tracker: continues (a longer run); a schedule spec instead is refused.
        try (Trainer trainer = new Trainer(small().optLearningRateTracker(schedule.get()).optEpochs(0).optSteps(24)
                .build(), data)) {
            assertEquals(24, trainer.optRunDirectory(run).optReport(false).resume().steps());
        }
        try (Trainer trainer = new Trainer(small().optSchedule("step:5:0.5").optEpochs(0).optSteps(28).build(),
                data)) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> trainer.optRunDirectory(run).resume());
            assertTrue(e.getMessage().contains("learningRateTracker"), e.getMessage());
        }
    }

    @Test
    void aTrackerAndAScheduleSpecAreRefusedTogether() {
        InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> small()
                .optSchedule("cosine:100").optLearningRateTracker(Tracker.fixed(0.1f)).build());
        assertEquals(List.of("schedule", "learningRateTracker"), e.settings());
        assertTrue(e.getMessage().startsWith("schedule and learningRateTracker are two ways"), e.getMessage());
    }

    @Test
    void threadsAndDeviceComeFromTheConfigAlone() {
        TrainTest data = blobs(90, 9).split(0.2, 1);
        for (int threads : new int[] {2, 1}) {
            try (Trainer trainer = new Trainer(small().optThreads(threads).optSteps(1).build(), data)) {
                Backend b = trainer.backend();
                assertEquals("cpu", b.name(), "device cpu");
                assertEquals(threads, assertInstanceOf(CpuBackend.class, b).threads());
                // OpenBLAS runs one thread per call; the backend's own threads run the products' tiles.
                assertEquals(1, CpuBackend.blasThreads());
                assertTrue(b.deviceDescription().contains(", " + threads + " threads"),
                        b.deviceDescription());
            }
        }
    }

    @Test
    void messagesNameTheSettingAndTheArgument() {
        InvalidSettingException lr = assertThrows(InvalidSettingException.class,
                () -> TrainConfig.builder().optLearningRate(Double.NaN).build());
        assertEquals("learningRate must be a positive number, got NaN", lr.getMessage());
        assertEquals("--lr must be a positive number, got NaN", lr.messageNaming(s -> s.equals("learningRate")
                ? "--lr" : s), "a front end renders the same message with its own names");
        InvalidSettingException steps = assertThrows(InvalidSettingException.class,
                () -> TrainConfig.builder().optEpochs(0).optSteps(0).build());
        assertEquals("epochs or steps must be positive, got epochs 0, steps 0", steps.getMessage());

        float[][] ok = {{1, 2}, {3, 4}, {5, 6}};
        assertRefused("x[1] has 1 values, x[0] has 2 (ragged rows", () -> Dataset.ofClasses(
                new float[][] {{1, 2}, {3}}, new int[] {0, 1}));
        assertRefused("x[2][1] is NaN", () -> Dataset.ofClasses(new float[][] {{1, 2}, {3, 4}, {5, Float.NaN}},
                new int[] {0, 1, 0}));
        assertRefused("labels[2] is 3, out of range for 3 classes (0..2)", () -> Dataset.ofClasses(ok,
                new int[] {0, 1, 3}, 3));
        assertRefused("labels[0] is -1", () -> Dataset.ofClasses(ok, new int[] {-1, 1, 0}));
        assertRefused("labels has 2 entries for the 3 rows of x", () -> Dataset.ofClasses(ok, new int[] {0, 1}));
        assertRefused("x has no rows", () -> Dataset.ofClasses(new float[0][], new int[0]));
        assertRefused("y[1][0] is Infinity", () -> Dataset.ofTargets(ok, new float[][] {{1}, {Float.POSITIVE_INFINITY},
                {0}}));
        assertRefused("testFraction must be between 0 and 1", () -> Dataset.ofClasses(ok, new int[] {0, 1, 0})
                .split(1.0, 1));
    }

    private static void assertRefused(String start, Runnable call) {
        InvalidInputException e = assertThrows(InvalidInputException.class, call::run);
        assertTrue(e.getMessage().startsWith(start), "'" + e.getMessage() + "' should start with '" + start + "'");
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void aSplitIsSeededAndKeepsEveryExampleOnce() {
        Dataset all = blobs(101, 3);
        TrainTest a = all.split(0.3, 42);
        TrainTest b = all.split(0.3, 42);
        TrainTest c = all.split(0.3, 43);
        assertEquals(30, a.test().n());
        assertEquals(71, a.train().n());
        assertArrayEquals(a.test().features(), b.test().features(), 0f, "the same seed, the same split");
        assertFalse(java.util.Arrays.equals(a.test().features(), c.test().features()), "another seed, another");
        assertEquals(3, a.test().numClasses());
        // Every example lands in exactly one split: the multiset of rows is the whole set's.
        List<String> rows = new ArrayList<>();
        for (Dataset d : List.of(a.train(), a.test())) {
            float[][] x = d.featureRows();
            int[] l = d.labels();
            for (int i = 0; i < x.length; i++) {
                rows.add(java.util.Arrays.toString(x[i]) + l[i]);
            }
        }
        List<String> whole = new ArrayList<>();
        float[][] x = all.featureRows();
        for (int i = 0; i < x.length; i++) {
            whole.add(java.util.Arrays.toString(x[i]) + all.labels()[i]);
        }
        assertEquals(whole.stream().sorted().toList(), rows.stream().sorted().toList());
    }

    @Test
    void iterateAveragingGivesAnAveragedModelToo() {
        TrainTest data = blobs(300, 10).split(0.2, 1);
        try (Trainer trainer = new Trainer(small().optEma(10).optEpochs(3).build(), data)) {
            trainer.fit();
            try (TrainedModel m = trainer.trainedModel(); TrainedModel avg = trainer.averagedModel()) {
                assertFalse(java.util.Arrays.equals(m.parameters(), avg.parameters()), "θ̃ is not θ");
                assertTrue(avg.evaluate(data.test()).accuracy() > 0.8);
            }
        }
        try (Trainer trainer = new Trainer(small().optSteps(1).build(), data)) {
            assertThrows(IllegalStateException.class, trainer::averagedModel);
        }
    }

    @Test
    void regressionPredictsRawOutputsAndHasNoClasses() {
        SplittableRandom rng = new SplittableRandom(3);
        float[][] x = new float[200][2];
        float[][] y = new float[200][1];
        for (int i = 0; i < 200; i++) {
            x[i][0] = (float) (50 + 10 * rng.nextGaussian());
            x[i][1] = (float) rng.nextGaussian();
            y[i][0] = (float) (0.1 * x[i][0] - 2 * x[i][1]);
        }
        TrainTest data = Dataset.ofTargets(x, y).split(0.25, 2);
        TrainConfig config = small().optHidden().optLoss(LossKind.MSE).optOptimizer(UpdateRule.SGD)
                .optLearningRate(0.1).optBatchSize(0).optEpochs(0).optSteps(300).build();
        try (Trainer trainer = new Trainer(config, data); TrainedModel m = trainer.trainedModel()) {
            trainer.fit();
            try (TrainedModel fitted = trainer.trainedModel()) {
                ModelEvaluation e = fitted.evaluate(data.test());
                assertTrue(Double.isNaN(e.accuracy()));
                assertEquals(0, e.confusionMatrix().length);
                assertTrue(e.loss() < 1e-3, "loss " + e.loss());
                float[][] p = fitted.predict(data.test().featureRows());
                assertEquals(data.test().targets()[0], p[0][0], 0.05);
                assertThrows(IllegalStateException.class, () -> fitted.predictClasses(p));
            }
            assertEquals(0, m.numClasses());
        }
    }
    @Test
    void theEmbeddedDataOnABackendTheCallerOpened() {
        TrainConfig config = TrainConfig.builder()
                .setData("embedded")
                .optHidden(64).optActivation(Activation.RELU).optLoss(LossKind.SOFTMAX_CE)
                .optOptimizer(UpdateRule.ADAM).optLearningRate(1e-3)
                .optBatchSize(128).optEpochs(2).optSeed(7)
                .build();
        List<MetricsEvent> events = new ArrayList<>();
        try (Backend backend = CpuBackend.f32();
                Trainer trainer = new Trainer(config, backend)) {
            trainer.optListener(events::add).optProgressBar(false);
            TrainingResult result = trainer.fit();
            assertTrue(result.testAccuracy() > 0.75, "accuracy " + result.testAccuracy());
            assertEquals(trainer.totalSteps(), result.steps());
        }
        assertTrue(events.size() >= 10);
        assertTrue(events.get(events.size() - 1).trainLoss() < events.get(0).trainLoss());
    }

    @Test
    void binaryLogisticRegressionOnTwoBlobs() {
        // Two Gaussian blobs, labels 0/1: a linear model with one logistic output must separate them.
        SplittableRandom rng = new SplittableRandom(5);
        int n = 400;
        float[][] x = new float[n][2];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            x[i][0] = (float) (rng.nextGaussian() + (y[i] == 1 ? 2 : -2));
            x[i][1] = (float) rng.nextGaussian();
        }
        TrainTest data = Dataset.ofClasses(x, y).split(0.25, 1);
        TrainConfig config = TrainConfig.builder().optHidden().optLoss(LossKind.LOGISTIC_CE)
                .optOptimizer(UpdateRule.SGD).optLearningRate(0.5).optBatchSize(0).optSteps(100).optDevice("cpu")
                .build();
        try (Trainer trainer = new Trainer(config, data)) {
            TrainingResult result = trainer.optProgressBar(false).fit();
            assertTrue(result.testAccuracy() > 0.95, "accuracy " + result.testAccuracy());
            try (TrainedModel m = trainer.trainedModel()) {
                assertEquals(2, m.numClasses());
                float[][] p = m.predict(data.test().featureRows());
                assertEquals(1, p[0].length, "one output: P(class 1)");
                int[] classes = m.predictClasses(data.test().featureRows());
                for (int i = 0; i < p.length; i++) {
                    assertEquals(p[i][0] > 0.5f ? 1 : 0, classes[i], "row " + i);
                }
                ModelEvaluation e = m.evaluate(data.test());
                assertEquals(result.testAccuracy(), e.accuracy(), 0.0, "the trainer's final evaluation");
                assertEquals(result.testLoss(), e.loss(), 1e-12);
                assertEquals(2, e.confusionMatrix().length);
            }
        }
    }
}
