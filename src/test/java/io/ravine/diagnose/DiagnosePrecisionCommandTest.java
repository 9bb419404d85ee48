package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.cli.CliTestSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ravine diagnose} end to end on the lectures' examples: {@code --precision}, the condition number against
 * the exact one, the finding, and {@code --all-checkpoints} (rows, index at a saddle and on a convex problem, its
 * refusals and outputs).
 */
class DiagnosePrecisionCommandTest {
    @TempDir
    Path tmp;

    /** Trains a linear MSE model on the example's rows, all of them training rows, without normalization. */
    private Path trainOn(LinearRegression lr, String name, String lrate) throws IOException {
        Path train = tmp.resolve(name + "-train.csv");
        Path test = tmp.resolve(name + "-test.csv");
        Files.writeString(train, LectureExamples.csv(lr));
        Files.writeString(test, "x1,x2,t\n" + LectureExamples.csv(lr).lines().skip(1).limit(5)
                .reduce("", (a, b) -> a + b + "\n"));
        Path run = tmp.resolve(name);
        CliTestSupport.Result r = CliTestSupport.run("train", "--data", train.toString(), "--test-data",
                test.toString(), "--hidden", "none", "--loss", "mse", "--normalize", "none", "--optimizer", "sgd",
                "--lr", lrate, "--batch-size", "full", "--steps", "2", "--run-dir", run.toString(), "--device", "cpu",
                "--threads", "1");
        assertEquals(0, r.status(), r.err());
        return run;
    }

    private static JsonObject json(Path file) throws IOException {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }

    private static String illConditioning(JsonObject d) {
        for (JsonElement f : d.getAsJsonObject("doctor").getAsJsonArray("findings")) {
            if (f.getAsJsonObject().get("problem").getAsString().equals("ill_conditioning")) {
                return f.getAsJsonObject().get("evidence").getAsString();
            }
        }
        return null;
    }

    @ParameterizedTest
    @ValueSource(strings = {"badly-scaled", "offset"})
    void theLecturesExamplesGetTheirConditionNumberInF64AndALowerBoundInF32(String name) throws IOException {
        LinearRegression lr = IllConditioningTest.example(name);
        double exact = IllConditioningTest.exactKappa(lr);
        Path run = trainOn(lr, name, "1e-8");
        CliTestSupport.Result r = CliTestSupport.run("diagnose", "--run-dir", run.toString(), "--device", "cpu",
                "--threads", "1");
        assertEquals(0, r.status(), r.err());
        JsonObject d = json(run.resolve("diagnosis.json"));
        JsonObject h = d.getAsJsonObject("hessian");
        assertEquals("f64", h.get("precision").getAsString());
        double kappa = h.get("condition_number").getAsDouble();
        assertEquals(exact, kappa, 0.05 * exact, name + ": f64 against the exact " + exact);
        assertTrue(h.get("condition_number_lower_bound").getAsDouble() <= exact
                && exact <= h.get("condition_number_upper_bound").getAsDouble());
        assertTrue(illConditioning(d).startsWith("condition number "), illConditioning(d));
        assertTrue(r.out().contains("ill_conditioning: condition number "), r.out());

        CliTestSupport.Result f32 = CliTestSupport.run("diagnose", "--run-dir", run.toString(), "--device", "cpu",
                "--threads", "1", "--precision", "f32", "--overwrite");
        assertEquals(0, f32.status(), f32.err());
        JsonObject d32 = json(run.resolve("diagnosis.json"));
        JsonObject h32 = d32.getAsJsonObject("hessian");
        assertEquals("f32", h32.get("precision").getAsString());
        assertEquals("central differences", h32.get("hvp").getAsString());
        assertTrue(h32.get("condition_number").isJsonNull());
        assertTrue(h32.get("condition_number_status").getAsString().startsWith("not resolved: lambda_min below the"
                + " resolvable floor"), h32.get("condition_number_status").getAsString());
        double lower = h32.get("condition_number_lower_bound").getAsDouble();
        assertTrue(lower > MeasurementFindings.CONDITION_THRESHOLD && lower <= exact, "lower bound " + lower);
        assertTrue(h32.get("min_eigenvalue").isJsonNull());
        assertTrue(h32.get("min_eigenvalue_status").getAsString().contains("below the resolvable floor"));
        assertTrue(h32.get("min_ritz_value").getAsJsonPrimitive().isNumber());
        String evidence = illConditioning(d32);
        assertTrue(evidence.startsWith("condition number >= ") && evidence.contains("--precision f64"), evidence);
        System.out.printf(Locale.ROOT, "%s via the CLI: exact %.4g, f64 %.4g, f32 >= %.4g%n", name, exact, kappa,
                lower);
    }

    /** x₁, x₂ ~ N(0, 1), t = x₁ − 2x₂ + noise: data for a two-layer linear network (seed 004: Saxe et al.). */
    private Path saddleData() throws IOException {
        SplittableRandom rng = new SplittableRandom(9);
        StringBuilder sb = new StringBuilder("x1,x2,t\n");
        for (int i = 0; i < 200; i++) {
            double a = rng.nextGaussian();
            double b = rng.nextGaussian();
            sb.append(String.format(Locale.ROOT, "%.6f,%.6f,%.6f%n", a, b, a - 2 * b + 0.1 * rng.nextGaussian()));
        }
        Path csv = tmp.resolve("saddle.csv");
        Files.writeString(csv, sb);
        return csv;
    }

    private static List<String[]> rows(Path csv) throws IOException {
        List<String[]> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(csv);
        assertEquals(String.join(",", CheckpointSpectra.COLUMNS), lines.get(0));
        for (String l : lines.subList(1, lines.size())) {
            out.add(l.split(",", -1));
        }
        return out;
    }

    private static int column(String name) {
        return CheckpointSpectra.COLUMNS.indexOf(name);
    }

    @Test
    void allCheckpointsFindsTheSaddleOfALinearNetworkStartedAtZero() throws IOException {
        // W₁ = W₂ = 0 is a critical point of a two-layer linear network whose Hessian couples W₁ and W₂ through
        // −E[t xᵀ]: eigenvalues ±σ, a saddle. The weights' gradient is exactly 0 there, so every checkpoint stays
        // on it.
        Path run = tmp.resolve("saddle");
        CliTestSupport.Result t = CliTestSupport.run("train", "--data", saddleData().toString(), "--hidden", "2",
                "--activation", "identity", "--loss", "mse", "--init", "zeros", "--bias-init", "0", "--normalize",
                "none", "--optimizer", "sgd", "--lr", "0.05", "--batch-size", "full", "--steps", "10",
                "--save-initial", "--checkpoint-every", "5", "--run-dir", run.toString(), "--device", "cpu");
        assertEquals(0, t.status(), t.err());
        CliTestSupport.Result r = CliTestSupport.run("diagnose", "--run-dir", run.toString(), "--all-checkpoints",
                "--device", "cpu", "--threads", "1");
        assertEquals(0, r.status(), r.err());
        List<String[]> rows = rows(run.resolve(CheckpointSpectra.CSV));
        long files;
        try (var s = Files.list(run.resolve("checkpoints"))) {
            files = s.filter(p -> p.toString().endsWith(".safetensors")).count();
        }
        assertEquals(files, rows.size(), "one row per checkpoint");
        assertEquals("initial", rows.get(0)[column("checkpoint")]);
        assertEquals("0", rows.get(0)[column("step")]);
        for (String[] row : rows) {
            assertTrue(Integer.parseInt(row[column("negative_count")]) >= 1, String.join(",", row));
            assertTrue(Double.parseDouble(row[column("lambda_min")]) < 0);
            assertEquals("f64", row[column("precision")]);
        }
        assertFalse(Files.exists(run.resolve("diagnosis.json")), "--all-checkpoints writes its own file only");
        assertTrue(Files.size(run.resolve("plots").resolve(DiagnosisPlots.CHECKPOINTS)) > 1000);
        String html = Files.readString(run.resolve("report.html"));
        assertTrue(html.contains("Hessian across checkpoints") && html.contains("plots/"
                + DiagnosisPlots.CHECKPOINTS));

        // Its output is replaced only with --overwrite; a checkpoint named beside it is refused.
        CliTestSupport.Result again = CliTestSupport.run("diagnose", "--run-dir", run.toString(),
                "--all-checkpoints", "--device", "cpu");
        assertEquals(2, again.status());
        assertEquals(1, again.errorLines().size(), again.err());
        assertTrue(again.errorLines().get(0).contains("--overwrite"), again.err());
        CliTestSupport.Result both = CliTestSupport.run("diagnose", "--run-dir", run.toString(), "--all-checkpoints",
                "--checkpoint", "final", "--overwrite");
        assertEquals(2, both.status());
        assertTrue(both.errorLines().get(0).contains("--all-checkpoints") && both.errorLines().get(0)
                .contains("--checkpoint final"), both.err());
        assertEquals(0, CliTestSupport.run("diagnose", "--run-dir", run.toString(), "--all-checkpoints",
                "--overwrite", "--device", "cpu", "--lanczos-steps", "3", "--lanczos-max-steps", "3").status());
        assertEquals("3", rows(run.resolve(CheckpointSpectra.CSV)).get(0)[column("lanczos_steps")]);
    }

    @Test
    void allCheckpointsOfAConvexProblemHaveIndexZero() throws IOException {
        // Softmax regression: convex, and its Hessian has an exact null space (adding a constant to every class's
        // score changes nothing), so λ_min = 0 exactly and rounding alone decides the sign of the smallest Ritz value:
        // the floor must keep it from counting as negative curvature.
        Path run = tmp.resolve("convex");
        CliTestSupport.Result t = CliTestSupport.run("train", "--limit", "300", "--hidden", "none", "--steps", "20",
                "--batch-size", "50", "--save-initial", "--checkpoint-every", "10", "--run-dir", run.toString(),
                "--device", "cpu");
        assertEquals(0, t.status(), t.err());
        CliTestSupport.Result r = CliTestSupport.run("diagnose", "--run-dir", run.toString(), "--all-checkpoints",
                "--subset", "300", "--device", "cpu", "--threads", "1");
        assertEquals(0, r.status(), r.err());
        List<String[]> rows = rows(run.resolve(CheckpointSpectra.CSV));
        assertTrue(rows.size() >= 3, "initial, step-10 and final at least");
        for (String[] row : rows) {
            assertEquals("0", row[column("negative_count")], String.join(",", row));
            double lambdaMin = Double.parseDouble(row[column("lambda_min")]);
            double tolerance = Double.parseDouble(row[column("negative_tolerance")]);
            assertTrue(lambdaMin >= -tolerance, lambdaMin + " vs " + tolerance);
        }
    }

    @Test
    void badFlagsAreOneLineNamingTheFlag() throws IOException {
        Path run = tmp.resolve("nothing-here");
        // Each checked before the run directory (which does not exist) is read: the line names the flag.
        String[][] cases = {{"--precision must be auto, f32 or f64, got 'f16'", "--precision", "f16"},
                {"--precision f64 runs on the CPU", "--precision", "f64", "--device", "cuda"},
                {"--lanczos-max-steps must be at least --lanczos-steps (10), got 5", "--lanczos-steps", "10",
                        "--lanczos-max-steps", "5"},
                {"--lanczos-tolerance must be in [0, 1)", "--lanczos-tolerance", "-1"},
                {"--lanczos-tolerance must be in [0, 1)", "--lanczos-tolerance", "1"}};
        for (String[] c : cases) {
            List<String> all = new ArrayList<>(List.of("diagnose", "--run-dir", run.toString()));
            all.addAll(List.of(c).subList(1, c.length));
            CliTestSupport.Result r = CliTestSupport.run(all.toArray(String[]::new));
            assertEquals(2, r.status(), String.join(" ", all));
            assertEquals(1, r.errorLines().size(), r.err());
            assertTrue(r.errorLines().get(0).contains(c[0]), r.err());
        }
    }
}
