package io.ravine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.ravine.backend.LossKind;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.Dataset;
import io.ravine.data.TrainTest;
import io.ravine.io.SafeTensors;
import io.ravine.io.StrictJson;
import io.ravine.train.Divergence;
import io.ravine.train.MetricsLog;
import io.ravine.train.OverflowingData;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import io.ravine.train.TrainingResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's "strict JSON everywhere" and "divergence before NaN", through the CLI and the library API. Each case
 * asserts the exit status, exactly one {@code ravine:} line where the command fails (none where it succeeds), the
 * files that must stay byte-identical, and parses every JSON file the command wrote with a STRICT parser (no NaN,
 * no Infinity) under the null-with-status convention ({@link StrictJson#unexplainedNulls}), checkpoint headers
 * included. {@link #everyKindOfJsonFileWasParsed} checks at the end that every kind of JSON file Ravine writes went
 * through that check and that nulls (the paths that used to write NaN) were among them.
 *
 * <p>The blow-up cases use a linear regression whose Hessian is the identity: three ±1 features of a 2⁶-row
 * factorial design (orthogonal, mean 0, variance 1) and a bias, MSE, full batch, no normalization. So λ_max = 1,
 * 2/λ_max = 2, and gradient descent at α multiplies the excess loss by exactly (1 − α)² per step: at α = 2.1 (the
 * issue's rate) by 1.21, at α = 1.9 (oscillation) by 0.81.
 */
class StrictJsonAndDivergenceCorpusTest {
    @TempDir
    static Path dir;

    private static Path regression;

    /** J* of the regression: its noise (±0.1 on a fourth orthogonal column no model input can fit) is ½·0.01. */
    private static final double J_STAR = 0.005;

    /** File kinds whose JSON passed the strict check, and how many nulls (with their reasons) it met. */
    private static final Set<String> KINDS = new TreeSet<>();
    private static final AtomicInteger NULLS = new AtomicInteger();

    @BeforeAll
    static void writeTheRegression() throws IOException {
        regression = dir.resolve("identity-hessian.csv");
        StringBuilder sb = new StringBuilder("x1,x2,x3,y\n");
        for (int i = 0; i < 64; i++) {
            int x1 = (i & 1) == 0 ? 1 : -1;
            int x2 = (i & 2) == 0 ? 1 : -1;
            int x3 = (i & 4) == 0 ? 1 : -1;
            int noise = (i & 8) == 0 ? 1 : -1;
            sb.append(x1).append(',').append(x2).append(',').append(x3).append(',')
                    .append(2 * x1 - 3 * x2 + 0.5 * x3 + 1 + 0.1 * noise).append('\n');
        }
        Files.writeString(regression, sb);
    }

    // ---- helpers ----

    private static List<String> regressionTrain(Path run, String lr, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--device", "cpu", "--progress", "off", "--data",
                regression.toString(), "--test-data", regression.toString(), "--hidden", "none", "--loss", "mse",
                "--optimizer", "sgd", "--batch-size", "full", "--normalize", "none", "--lr", lr, "--steps", "200",
                "--checkpoint-every", "5", "--seed", "3", "--run-dir", run.toString()));
        args.addAll(List.of(more));
        return args;
    }

    private static CliTestSupport.Result run(List<String> args) {
        return CliTestSupport.run(args.toArray(String[]::new));
    }

    private static void assertSucceeded(CliTestSupport.Result r) {
        assertEquals(0, r.status(), r.err());
        assertEquals(List.of(), r.errorLines(), "no ravine: line from a command that worked: " + r.err());
    }

    private static void assertFailedWithOneLine(CliTestSupport.Result r, int status) {
        assertEquals(status, r.status(), r.err());
        assertEquals(1, r.errorLines().size(), "exactly one error line: " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    private static JsonObject json(Path file) throws IOException {
        return StrictJson.parseStrict(Files.readString(file)).getAsJsonObject();
    }

    /**
     * Every *.json under {@code root} parses as strict JSON and explains each of its nulls; every *.safetensors
     * header parses as strict JSON too. Returns how many JSON files were checked.
     */
    private static int assertStrictJsonUnder(Path root) throws IOException {
        int files = 0;
        List<Path> all;
        try (Stream<Path> s = Files.walk(root)) {
            all = s.filter(Files::isRegularFile).toList();
        }
        for (Path p : all) {
            String name = p.getFileName().toString();
            if (name.endsWith(".json")) {
                String text = Files.readString(p, StandardCharsets.UTF_8);
                JsonElement e;
                try {
                    e = StrictJson.parseStrict(text);
                } catch (RuntimeException ex) {
                    throw new AssertionError(p + " is not strict JSON: " + ex.getMessage() + "\n" + text, ex);
                }
                assertEquals(List.of(), StrictJson.unexplainedNulls(e), p + ": nulls without a _status reason");
                NULLS.addAndGet(countNulls(e));
                KINDS.add(name);
                files++;
            } else if (name.endsWith(".safetensors")) {
                byte[] b = Files.readAllBytes(p);
                long n = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
                StrictJson.parseStrict(new String(b, 8, (int) n, StandardCharsets.UTF_8).strip());
                KINDS.add("safetensors header");
                files++;
            }
        }
        return files;
    }

    private static int countNulls(JsonElement e) {
        if (e.isJsonNull()) {
            return 1;
        }
        int n = 0;
        if (e.isJsonObject()) {
            for (Map.Entry<String, JsonElement> m : e.getAsJsonObject().entrySet()) {
                n += countNulls(m.getValue());
            }
        } else if (e.isJsonArray()) {
            for (JsonElement v : e.getAsJsonArray()) {
                n += countNulls(v);
            }
        }
        return n;
    }

    /**
     * Hashes of every file under {@code run} except those {@code diagnose} (re)writes: its results and the run
     * directory's lock file, which records the last writer (diagnose takes the lock for its own writes).
     */
    private static Map<String, String> runFilesBesidesDiagnosis(Path run) throws IOException {
        Map<String, String> h = new TreeMap<>(ResumeCorpusTest.hashes(run));
        h.keySet().removeIf(k -> k.equals("diagnosis.json") || k.equals("report.html") || k.startsWith("plots")
                || k.equals(".lock"));
        return h;
    }

    /** A copy of the classification run, for a broken checkpoint. */
    private static Path classificationRun(String name) throws IOException {
        Path run = dir.resolve(name);
        assertSucceeded(CliTestSupport.run("train", "--device", "cpu", "--progress", "off", "--limit", "400",
                "--hidden", "16", "--steps", "12", "--log-every", "4", "--checkpoint-every", "6", "--save-initial",
                "--subset", "200", "--run-dir", run.toString()));
        return run;
    }

    /** Rewrites {@code file}'s θ tensors with {@code f} applied (a valid checkpoint: checksum recomputed). */
    private static void rewriteTheta(Path file, java.util.function.UnaryOperator<float[]> f) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        List<SafeTensors.Entry> entries = new ArrayList<>();
        for (SafeTensors.Entry e : c.tensors().values()) {
            if (e.name().startsWith("layers.")) {
                e = SafeTensors.Entry.f32(e.name(), e.shape(), f.apply(e.floats().clone()));
            }
            entries.add(e);
        }
        SafeTensors.write(file, entries, c.metadata());
    }

    private static List<Map<String, Double>> metrics(Path run) {
        return MetricsLog.read(run.resolve("metrics.csv"));
    }

    // ---- divergence before NaN ----

    @Test
    void aLinearRegressionAtLr2point1StopsAsDivergedWithTheCurveDoctorsLineAndExit3() throws IOException {
        Path run = dir.resolve("blow-up");
        CliTestSupport.Result r = run(regressionTrain(run, "2.1"));
        assertFailedWithOneLine(r, Main.EXIT_FAILED);
        List<Map<String, Double>> rows = metrics(run);
        double j0 = rows.get(0).get("train_loss");
        assertEquals(0.0, rows.get(0).get("step"));
        // The step predicted by the lectures' regime: J_t − J* = 1.21^t (J₀ − J*), first above 100 J₀.
        int predicted = 0;
        while (Math.pow(1.21, predicted) * (j0 - J_STAR) + J_STAR <= 100 * j0) {
            predicted++;
        }
        Map<String, Double> last = rows.get(rows.size() - 1);
        long stop = Math.round(last.get("step"));
        assertTrue(Math.abs(stop - predicted) <= 1, "stopped at step " + stop + ", the quadratic predicts "
                + predicted);
        assertTrue(last.get("train_loss") > 100 * j0 && Double.isFinite(last.get("train_loss")),
                "a finite blow-up: " + last);
        assertTrue(rows.get(rows.size() - 2).get("train_loss") <= 100 * j0, "the step before passed the rule");
        long kept = (stop - 1) / 5 * 5;
        Path good = run.resolve("checkpoints").resolve(String.format("step-%08d.safetensors", kept));
        Matcher m = Pattern.compile("ravine: instability: the monitoring loss rose to (\\S+) at step (\\d+), more"
                + " than 100 × its value (\\S+) at step 0 \\(a blow-up: beyond the stable rate 2/λ_max each step"
                + " multiplies it\\); decrease α \\(the learning rate\\) \\(last good checkpoint: (.+)\\)")
                .matcher(r.errorLines().get(0));
        assertTrue(m.matches(), r.errorLines().get(0));
        assertEquals(stop, Long.parseLong(m.group(2)));
        assertEquals(good.toString(), m.group(4));
        for (float v : SafeTensors.read(good).get("layers.0.weight").floats()) {
            assertTrue(Float.isFinite(v));
        }
        assertFalse(Files.exists(run.resolve("checkpoints/final.safetensors")));
        assertFalse(Files.exists(run.resolve(String.format("checkpoints/step-%08d.safetensors", stop))),
                "the blown-up step is never checkpointed");
        JsonObject summary = json(run.resolve("summary.json"));
        assertEquals("diverged", summary.get("status").getAsString());
        JsonObject d = summary.getAsJsonObject("divergence");
        assertEquals(stop, d.get("step").getAsLong());
        assertEquals(Divergence.MONITORING_LOSS, d.get("quantity").getAsString());
        assertEquals(j0, d.get("starting_monitoring_loss").getAsDouble(), 1e-6 * j0);
        assertEquals(100.0, d.get("blow_up_factor").getAsDouble());
        assertTrue(summary.get("test_loss").isJsonNull());
        assertTrue(summary.get("test_loss_status").getAsString().startsWith("not measured: the run diverged at step "
                + stop), summary.toString());
        assertTrue(Files.readString(run.resolve("report.html")).contains("- (not measured: the run diverged"),
                "report.html gives the reason of a null");
        // diagnose on the run: its curve doctor reads the same blow-up from metrics.csv; the run's files stay.
        Map<String, String> before = runFilesBesidesDiagnosis(run);
        CliTestSupport.Result dg = CliTestSupport.run("diagnose", "--run-dir", run.toString(), "--device", "cpu",
                "--subset", "64", "--lanczos-steps", "4");
        assertSucceeded(dg);
        assertEquals(before, runFilesBesidesDiagnosis(run));
        JsonObject finding = json(run.resolve("diagnosis.json")).getAsJsonObject("doctor").getAsJsonArray("findings")
                .get(0).getAsJsonObject();
        assertEquals("instability", finding.get("problem").getAsString());
        assertTrue(finding.get("evidence").getAsString().startsWith("the monitoring loss rose to ")
                && finding.get("evidence").getAsString().contains(" at step " + stop + ", more than 100 ×"),
                finding.toString());
        assertTrue(assertStrictJsonUnder(run) >= 4);
    }

    @Test
    void theSameRegressionInTheOscillatingRegimeIsNotFlaggedAndNeverRisesAboveItsStart() throws IOException {
        // α = 1.9: |1 − αλ| = 0.9 < 1, the lectures' oscillation. The rule must leave it alone; the loss (excess
        // alternating in sign along each direction, shrinking) never exceeds its value at θ₀.
        Path run = dir.resolve("oscillating");
        assertSucceeded(run(regressionTrain(run, "1.9")));
        List<Map<String, Double>> rows = metrics(run);
        double j0 = rows.get(0).get("train_loss");
        for (Map<String, Double> row : rows) {
            assertTrue(row.get("train_loss") <= j0 * (1 + 1e-6), row.toString());
        }
        assertEquals(201, rows.size());
        JsonObject summary = json(run.resolve("summary.json"));
        assertEquals("completed", summary.get("status").getAsString());
        assertTrue(summary.get("test_loss").getAsDouble() < 2 * J_STAR);
        // A regression has no accuracy: null, with the reason (it was NaN before).
        assertTrue(summary.get("test_accuracy").isJsonNull());
        assertEquals("undefined: the targets are real numbers (a regression), so there is no accuracy",
                summary.get("test_accuracy_status").getAsString());
        assertStrictJsonUnder(run);
    }

    @Test
    void theLibraryApiStopsTheBlowUpAndResumesWithTheSameReference() throws IOException {
        // The same identity-Hessian regression as a Dataset, through Trainer: α = 2.1 diverges (blow-up), and a run
        // stopped early and resumed from its checkpoint stops at the same step (θ₀ regenerated from the seed gives
        // the same reference J(θ₀)).
        float[] x = new float[64 * 3];
        float[] y = new float[64];
        for (int i = 0; i < 64; i++) {
            x[3 * i] = (i & 1) == 0 ? 1 : -1;
            x[3 * i + 1] = (i & 2) == 0 ? 1 : -1;
            x[3 * i + 2] = (i & 4) == 0 ? 1 : -1;
            y[i] = (float) (2 * x[3 * i] - 3 * x[3 * i + 1] + 0.5 * x[3 * i + 2] + 1 + ((i & 8) == 0 ? 0.1 : -0.1));
        }
        Dataset data = new Dataset("identity-hessian", 64, 3, x, 1, y, 0);
        TrainTest tt = new TrainTest(data, data);
        TrainConfig.Builder b = TrainConfig.builder().setData("library").optHidden().optLoss(LossKind.MSE)
                .optOptimizer(UpdateRule.SGD).optBatchSize(0).optNormalize("none").optLearningRate(2.1)
                .optSeed(3).optSteps(200).optCheckpointEvery(5);
        TrainingResult straight;
        try (Trainer t = new Trainer(b.build(), CpuBackend.f32(), tt)) {
            straight = t.optProgressBar(false).fit();
        }
        assertTrue(straight.diverged() && straight.divergence().blowUp(), String.valueOf(straight.divergence()));
        assertTrue(straight.divergence().value() > 100 * straight.divergence().startValue());
        assertNull(straight.lastGoodCheckpoint(), "no run directory, no checkpoint");
        Path run = dir.resolve("library-resumed");
        try (Trainer t = new Trainer(b.optSteps(10).build(), CpuBackend.f32(), tt)) {
            assertEquals(false, t.optProgressBar(false).optRunDirectory(run).fit().diverged());
        }
        try (Trainer t = new Trainer(b.optSteps(200).build(), CpuBackend.f32(), tt)) {
            TrainingResult resumed = t.optProgressBar(false).optRunDirectory(run)
                    .resumeFrom(run.resolve("checkpoints/step-00000010.safetensors"));
            assertEquals(straight.divergence(), resumed.divergence(), "the same step, loss and reference");
        }
        assertStrictJsonUnder(run);
        // α = 2.0 exactly: |1 − αλ| = 1, the edge of the oscillation regime; never flagged.
        try (Trainer t = new Trainer(b.optLearningRate(2.0).build(), CpuBackend.f32(), tt)) {
            TrainingResult edge = t.optProgressBar(false).fit();
            assertFalse(edge.diverged(), String.valueOf(edge.divergence()));
        }
    }

    @Test
    void sweepLrOneOnTheEmbeddedDataMarksItDivergedAndNeverPicksIt() throws IOException {
        Path out = dir.resolve("sweep");
        List<String> args = List.of("sweep", "lr", "--lr", "1,0.003", "--limit", "1000", "--steps", "30",
                "--device", "cpu", "--progress", "off", "--run-dir", out.toString());
        CliTestSupport.Result r = run(args);
        assertSucceeded(r);
        JsonObject sweep = json(out.resolve("sweep.json"));
        JsonObject lr1 = sweep.getAsJsonArray("runs").get(0).getAsJsonObject();
        assertEquals(1.0, lr1.get("learning_rate").getAsDouble());
        assertEquals("diverged", lr1.get("status").getAsString(), "Adam at lr 1 blows up (it used to 'complete')");
        assertTrue(lr1.get("final_train_loss").isJsonNull() && lr1.has("final_train_loss_status"));
        assertEquals(0.003, sweep.getAsJsonObject("best").get("learning_rate").getAsDouble());
        JsonObject s = json(out.resolve(lr1.get("run_dir").getAsString()).resolve("summary.json"));
        assertEquals(Divergence.MONITORING_LOSS, s.getAsJsonObject("divergence").get("quantity").getAsString());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("1.000") && l.contains("diverged")), r.out());
        // A rerun reuses both runs, every file of them byte-identical, and still never picks the diverged one.
        Map<String, String> before = ResumeCorpusTest.hashes(Path.of(lr1.get("run_dir").getAsString()));
        assertSucceeded(run(args));
        assertEquals(before, ResumeCorpusTest.hashes(Path.of(lr1.get("run_dir").getAsString())));
        assertEquals(0.003, json(out.resolve("sweep.json")).getAsJsonObject("best").get("learning_rate")
                .getAsDouble());
        assertStrictJsonUnder(out);
    }

    @Test
    void theReadmeFlagsOnTheEmbeddedDataAreNotFlagged() throws IOException {
        // Mini-batch Adam as the README trains it (one epoch of the embedded set): noisy, and far from the rule.
        Path run = dir.resolve("readme");
        assertSucceeded(CliTestSupport.run("train", "--device", "cpu", "--progress", "off", "--hidden", "256",
                "--activation", "relu", "--optimizer", "adam", "--lr", "1e-3", "--batch-size", "128", "--epochs",
                "1", "--run-dir", run.toString()));
        List<Map<String, Double>> rows = metrics(run);
        double j0 = rows.get(0).get("train_loss");
        double max = rows.stream().skip(1).mapToDouble(m -> m.get("train_loss")).max().orElseThrow();
        assertTrue(max < j0, "the monitoring loss stays below its start: " + max + " vs " + j0);
        assertEquals("completed", json(run.resolve("summary.json")).get("status").getAsString());
        assertStrictJsonUnder(run);
    }

    // ---- diagnose on broken checkpoints ----

    @Test
    void diagnoseOnABlownUpCheckpointWritesTheFindingInsteadOfCrashing() throws IOException {
        // The issue's case: θ of a run that blew up, every value still a finite float, but the network's outputs
        // overflow, so the loss, the gradient and the Hessian-vector product are not finite and Lanczos used to
        // throw (internal error, exit 3).
        Path run = classificationRun("blown-up-checkpoint");
        rewriteTheta(run.resolve("checkpoints/final.safetensors"), v -> {
            for (int i = 0; i < v.length; i++) {
                v[i] *= 1e30f;
            }
            return v;
        });
        Map<String, String> before = runFilesBesidesDiagnosis(run);
        // In float32, the arithmetic the run blew up in, the outputs overflow. (In float64, diagnose's default on
        // the CPU for small models, the same θ gives a finite loss of about 1e30: the blow-up as a number.)
        CliTestSupport.Result r = CliTestSupport.run("diagnose", "--run-dir", run.toString(), "--device", "cpu",
                "--subset", "100", "--lanczos-steps", "5", "--precision", "f32");
        assertSucceeded(r);
        assertEquals(before, runFilesBesidesDiagnosis(run), "diagnose changes none of the run's files");
        JsonObject d = json(run.resolve("diagnosis.json"));
        assertEquals(0, d.get("non_finite_parameters").getAsLong(), "θ itself is finite");
        JsonObject finding = nonFiniteFinding(d);
        assertTrue(finding.get("evidence").getAsString().contains("Lanczos step 0"), finding.toString());
        JsonObject h = d.getAsJsonObject("hessian");
        assertTrue(h.get("max_eigenvalue").isJsonNull());
        assertTrue(h.get("max_eigenvalue_status").getAsString().startsWith("not measured: the Hessian-vector"
                + " product was not finite at Lanczos step 0"), h.toString());
        assertEquals(0, h.getAsJsonArray("top_eigenvalues").size());
        assertTrue(r.out().contains("non_finite: "), r.out());
        assertStrictJsonUnder(run);
        assertSucceeded(CliTestSupport.run("diagnose", "--run-dir", run.toString(), "--device", "cpu", "--subset",
                "100", "--lanczos-steps", "5", "--precision", "f64", "--overwrite"));
        assertTrue(json(run.resolve("diagnosis.json")).get("loss").getAsDouble() > 1e20);
        assertStrictJsonUnder(run);
    }

    @Test
    void diagnoseOnACheckpointWithNaNWritesTheFindingAndEveryOtherMeasurement() throws IOException {
        Path run = classificationRun("nan-checkpoint");
        rewriteTheta(run.resolve("checkpoints/final.safetensors"), v -> {
            if (v.length > 1000) { // layers.0.weight only
                v[3] = Float.NaN;
                v[40] = Float.POSITIVE_INFINITY;
            }
            return v;
        });
        Map<String, String> before = runFilesBesidesDiagnosis(run);
        CliTestSupport.Result r = CliTestSupport.run("diagnose", "--run-dir", run.toString(), "--device", "cpu",
                "--subset", "100", "--lanczos-steps", "5");
        assertSucceeded(r);
        assertEquals(before, runFilesBesidesDiagnosis(run));
        JsonObject d = json(run.resolve("diagnosis.json"));
        assertEquals(2, d.get("non_finite_parameters").getAsLong());
        assertTrue(nonFiniteFinding(d).get("evidence").getAsString().startsWith("θ holds 2 NaN/Inf values"));
        assertTrue(d.get("loss").isJsonNull() && d.get("loss_status").getAsString().startsWith("not finite"));
        JsonObject layer = d.getAsJsonArray("units").get(0).getAsJsonObject();
        assertTrue(layer.get("non_finite_activations").getAsLong() > 0);
        assertTrue(layer.get("dead_fraction").isJsonNull() && layer.get("dead_fraction_status").getAsString()
                .startsWith("not measured: "), layer.toString());
        assertFalse(d.getAsJsonObject("doctor").getAsJsonArray("findings").toString().contains("dead_units"),
                "NaN outputs are not dead units");
        // Resume still refuses it: diagnosing is looking, resuming would train on NaN.
        Map<String, String> all = ResumeCorpusTest.hashes(run);
        BadInputCorpusTest.assertRejected(CliTestSupport.run("train", "--resume", "--run-dir", run.toString(),
                "--checkpoint", "final", "--steps", "20", "--progress", "off"),
                "final.safetensors", "not finite");
        assertEquals(all, ResumeCorpusTest.hashes(run));
        assertStrictJsonUnder(run);
    }

    private static JsonObject nonFiniteFinding(JsonObject diagnosis) {
        for (JsonElement f : diagnosis.getAsJsonObject("doctor").getAsJsonArray("findings")) {
            if (f.getAsJsonObject().get("problem").getAsString().equals("non_finite")) {
                assertTrue(f.getAsJsonObject().get("workaround").getAsString().contains("--checkpoint"));
                return f.getAsJsonObject();
            }
        }
        throw new AssertionError("no non_finite finding in " + diagnosis.getAsJsonObject("doctor"));
    }

    // ---- strict JSON from every other command and outcome ----

    @Test
    void aNormalRunItsDiagnosisAndItsLandscapeAreStrictJson() throws IOException {
        Path run = classificationRun("normal");
        assertSucceeded(CliTestSupport.run("diagnose", "--run-dir", run.toString(), "--device", "cpu", "--subset",
                "100", "--lanczos-steps", "5", "--density-probes", "0"));
        JsonObject d = json(run.resolve("diagnosis.json"));
        assertEquals("not measured: --density-probes 0", d.getAsJsonObject("hessian").get("density_status")
                .getAsString());
        assertFalse(d.toString().contains("non_finite\""), "a healthy θ has no non_finite finding");
        assertSucceeded(CliTestSupport.run("landscape", "--run-dir", run.toString(), "--grid", "5", "--points", "5",
                "--alpha-min", "-40", "--alpha-max", "40", "--device", "cpu"));
        assertTrue(assertStrictJsonUnder(run) >= 5);
    }

    @Test
    void aRunDivergedByNaNAndInterruptedRunsWriteNullsWithTheirReasons() throws IOException {
        // NaN divergence (the guard) through the CLI: summary.json used to hold NaN for every final number.
        Path train = OverflowingData.write(Files.createDirectories(dir.resolve("overflow")));
        Path nanRun = dir.resolve("overflow-run");
        CliTestSupport.Result r = CliTestSupport.run("train", "--device", "cpu", "--progress", "off", "--data",
                train.toString(), "--test-data", train.resolveSibling("test.csv").toString(), "--hidden", "none",
                "--loss", "mse", "--init", "zeros", "--normalize", "none", "--batch-size", "1", "--seed",
                Long.toString(OverflowingData.SEED), "--steps", "200", "--run-dir", nanRun.toString());
        assertFailedWithOneLine(r, Main.EXIT_FAILED);
        assertTrue(r.errorLines().get(0).contains("became NaN/Inf"), r.err());
        JsonObject s = json(nanRun.resolve("summary.json"));
        assertTrue(s.get("final_train_loss").isJsonNull());
        assertEquals("none: no checkpoint was written before the run stopped (--checkpoint-every N keeps some)",
                s.get("last_good_checkpoint_status").getAsString());
        assertStrictJsonUnder(nanRun);
        // Interrupted before its first step, and after its first logged step (library API: a signal's path).
        TrainConfig config = TrainConfig.builder().setData("embedded").optLimit(300).optHidden(8).optSteps(40)
                .optLogEvery(5).optEma(10).optSubset(100).build();
        Path early = dir.resolve("interrupted-early");
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(early).requestInterrupt();
            assertTrue(t.fit().interrupted());
        }
        JsonObject e = json(early.resolve("summary.json"));
        assertEquals("interrupted", e.get("status").getAsString());
        assertEquals("not measured: the run was interrupted after step 0, before its first logged step",
                e.get("final_train_loss_status").getAsString());
        assertEquals("not measured: the run was interrupted after step 0, before its final evaluation",
                e.get("ema_test_accuracy_status").getAsString());
        assertEquals("not measured: no training step was timed (the run did no steps)",
                e.get("samples_per_second_status").getAsString());
        Path later = dir.resolve("interrupted-later");
        long at;
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(later).optListener(ev -> t.requestInterrupt());
            at = t.fit().steps();
        }
        assertTrue(at > 0 && at < 40, "interrupted at its first logged step, " + at);
        JsonObject l = json(later.resolve("summary.json"));
        assertTrue(l.get("final_train_loss").getAsDouble() > 0, "logged before the interrupt");
        assertEquals("not measured: the run was interrupted after step " + at + ", before its final evaluation",
                l.get("test_loss_status").getAsString());
        assertStrictJsonUnder(early);
        assertStrictJsonUnder(later);
    }

    @Test
    void toyRunsWithNullsAndHugeValuesAreStrictJson() throws IOException {
        // Divergent gradient descent (αλ = 2.5 along λ = 10: up to the toy's 1e12 growth stop), Newton at the
        // saddle (no minimizer, never within tolerance), and Adam (no αλ regimes).
        String[][] cases = {
            {"--problem", "quadratic", "--eigenvalues", "1,10", "--lr", "0.25", "--steps", "400"},
            {"--problem", "saddle", "--optimizer", "newton", "--steps", "5"},
            {"--problem", "quadratic", "--optimizer", "adam", "--steps", "30", "--start", "0,1"}};
        for (int i = 0; i < cases.length; i++) {
            Path out = dir.resolve("toy-" + i);
            List<String> args = new ArrayList<>(List.of("toy", "--run-dir", out.toString()));
            args.addAll(Arrays.asList(cases[i]));
            assertSucceeded(run(args));
            assertEquals(1, assertStrictJsonUnder(out));
        }
        JsonObject diverging = json(dir.resolve("toy-0/toy.json"));
        assertEquals("diverged", diverging.get("verdict").getAsString());
        assertEquals("none: θ never came within tolerance × its starting distance of the minimizer",
                diverging.get("steps_to_tolerance_status").getAsString());
        assertEquals("none: this surface has no minimum (a saddle)",
                json(dir.resolve("toy-1/toy.json")).get("minimizer_status").getAsString());
        JsonObject x = json(dir.resolve("toy-2/toy.json")).getAsJsonArray("directions").get(0).getAsJsonObject();
        assertTrue(x.get("alpha_lambda").isJsonNull() && x.get("observed_regime").isJsonNull(), x.toString());
    }

    @Test
    void aStudyWhoseTargetIsNeverReachedIsStrictJson() throws IOException {
        Path out = dir.resolve("study");
        assertSucceeded(CliTestSupport.run("study", "batch-size", "--parts", "hardware,steps,noise", "--device",
                "cpu", "--batch-sizes", "1,4,16", "--hidden", "8", "--inputs", "16", "--classes", "3",
                "--timed-steps", "2", "--warmup-steps", "1", "--warmup-seconds", "0", "--seconds-per-size", "0.05",
                "--step-batch-sizes", "8,32", "--limit", "300", "--target-loss", "0.01", "--max-steps", "20",
                "--check-every", "5", "--lr-grid", "0", "--subset", "100", "--noise-batch", "16", "--noise-small",
                "4", "--noise-big", "32", "--noise-every", "5", "--progress", "off", "--run-dir", out.toString()));
        JsonObject point = json(out.resolve("study.json")).getAsJsonObject("steps_to_target").getAsJsonArray("points")
                .get(0).getAsJsonObject();
        assertEquals("not_reached", point.get("status").getAsString());
        assertTrue(point.get("steps").isJsonNull() && point.get("steps_status").getAsString()
                .startsWith("not measured: "), point.toString());
        assertTrue(assertStrictJsonUnder(out) >= 2);
    }

    /** Cases that ran (the check below needs all of them; a single case run alone skips it). */
    private static final AtomicInteger RAN = new AtomicInteger();

    @AfterEach
    void count() {
        RAN.incrementAndGet();
    }

    @AfterAll
    static void everyKindOfJsonFileWasParsed() {
        long cases = Arrays.stream(StrictJsonAndDivergenceCorpusTest.class.getDeclaredMethods())
                .filter(m -> m.isAnnotationPresent(Test.class)).count();
        if (RAN.get() < cases) {
            return;
        }
        assertTrue(KINDS.containsAll(List.of("config.json", "summary.json", "diagnosis.json", "landscape.json",
                "toy.json", "study-config.json", "study.json", "sweep.json", "safetensors header")),
                "JSON files checked: " + KINDS);
        assertTrue(NULLS.get() >= 50, "the nulls that used to be NaN were among them: " + NULLS.get());
        assertNotNull(regression);
    }
}
