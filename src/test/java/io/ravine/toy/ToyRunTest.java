package io.ravine.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.InvalidInputException;
import io.ravine.cli.CliTestSupport;
import io.ravine.cli.Main;
import io.ravine.cli.ToyCommand;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

class ToyRunTest {

    private static ToyRun.Settings settings(String optimizer, double lr, int steps, double x, double y) {
        return new ToyRun.Settings(optimizer, lr, 0.9, steps, new double[] {x, y}, 1e-6);
    }

    /**
     * α = 0.5 on λ = (1, λ₂): x has αλ = 0.5 (monotone decay) and y has αλ = 0.5·λ₂. Known answer: y_t = (1 − αλ)ᵗ.
     */
    @ParameterizedTest
    @CsvSource({"1, MONOTONE_DECAY", "3, OSCILLATION", "5, DIVERGENCE"})
    void gradientDescentRegimeFollowsAlphaLambda(double lambda2, GradientDescentRegime expected) {
        ToyRun.Result r = ToyRun.run(new ToySurface.Quadratic(1, lambda2), settings("sgd", 0.5, 30, 1, 1));
        double factor = 1 - 0.5 * lambda2;
        double[] y = r.ys();
        for (int t = 0; t < y.length; t++) {
            assertEquals(Math.pow(factor, t), y[t], 1e-12 * Math.max(1, Math.abs(Math.pow(factor, t))));
        }
        // From the trajectory alone: sign flips and growth of |y|.
        int flips = GradientDescentRegime.signChanges(y);
        boolean grew = Math.abs(y[y.length - 1]) > Math.abs(y[0]);
        GradientDescentRegime seen = grew ? GradientDescentRegime.DIVERGENCE
                : flips > 0 ? GradientDescentRegime.OSCILLATION : GradientDescentRegime.MONOTONE_DECAY;
        assertEquals(expected, seen);
        ToyRun.Direction dy = r.directions().get(1);
        assertEquals(expected, dy.predicted());
        assertEquals(expected, dy.observed());
        assertEquals(Boolean.TRUE, dy.agree());
        assertEquals(expected == GradientDescentRegime.MONOTONE_DECAY ? 0 : 30, dy.signChanges());
        ToyRun.Direction dx = r.directions().get(0);
        assertEquals(GradientDescentRegime.MONOTONE_DECAY, dx.observed());
        // 0.5³⁰ ≈ 9e-10 is within the 1e-6 tolerance.
        assertEquals(expected == GradientDescentRegime.DIVERGENCE ? "diverged" : "converged", r.verdict());
    }

    @Test
    void momentumBeatsGradientDescentOnAnIllConditionedQuadratic() {
        ToySurface.Quadratic q = ToySurface.Quadratic.withConditionNumber(100);
        // Best constant α for GD, 2/(λ_min + λ_max), contracts by (κ−1)/(κ+1) = 0.98 per step; heavy ball with
        // α = 4/(√λ_max + √λ_min)² and μ = ((√κ−1)/(√κ+1))² contracts by √μ ≈ 0.82 (Polyak 1964).
        ToyRun.Result gd = ToyRun.run(q, settings("sgd", 2.0 / 101, 2000, 1, 1));
        ToyRun.Result mom = ToyRun.run(q, new ToyRun.Settings("momentum", 4.0 / 121, Math.pow(9.0 / 11, 2), 2000,
                new double[] {1, 1}, 1e-6));
        assertNotNull(gd.stepsToTolerance());
        assertNotNull(mom.stepsToTolerance());
        assertTrue(mom.stepsToTolerance() * 3 < gd.stepsToTolerance(), mom.stepsToTolerance() + " vs "
                + gd.stepsToTolerance());
        // The gain is along the small-curvature direction x (λ = 1), where GD crawls.
        assertTrue(mom.directions().get(0).settledStep() * 3 < gd.directions().get(0).settledStep());
        assertEquals("converged", mom.verdict());
    }

    @Test
    void newtonJumpsOntoTheSaddleWhileGradientDescentEscapesAlongY() {
        ToySurface saddle = new ToySurface.Saddle();
        ToyRun.Result newton = ToyRun.run(saddle, settings(ToyRun.NEWTON, 1, 1, 1, 0.5));
        double[] p = newton.finalPoint();
        assertTrue(Math.hypot(p[0], p[1]) < 1e-12, p[0] + ", " + p[1]);
        assertEquals("attracted_to_saddle", newton.verdict());
        ToyRun.Result gd = ToyRun.run(saddle, settings("sgd", 0.1, 50, 1, 0.5));
        double[] y = gd.ys();
        for (int t = 1; t < y.length; t++) {
            assertTrue(Math.abs(y[t]) > Math.abs(y[t - 1]), "y must grow at every step");
        }
        double[] q = gd.finalPoint();
        assertTrue(Math.hypot(q[0], q[1]) > Math.hypot(1, 0.5));
        assertEquals(0.5 * Math.pow(1.1, 50), q[1], 1e-9);
        assertEquals("escaped", gd.verdict());
    }

    @Test
    void newtonSolvesTheQuadraticInOneStep() {
        ToyRun.Result r = ToyRun.run(new ToySurface.Quadratic(1, 1000), settings(ToyRun.NEWTON, 1, 1, 3, -2));
        assertEquals(0, r.finalPoint()[0], 1e-15);
        assertEquals(0, r.finalPoint()[1], 1e-15);
        assertEquals("converged", r.verdict());
        assertEquals(1, r.stepsToTolerance());
    }

    @ParameterizedTest
    @CsvSource({"adam, 0.02, 5000", "momentum, 0.001, 5000"})
    void rosenbrockRunsApproachTheMinimumAtOneOne(String optimizer, double lr, int steps) {
        ToyRun.Result r = ToyRun.run(ToySurface.Rosenbrock.classic(), settings(optimizer, lr, steps, -1.2, 1));
        double[] p = r.finalPoint();
        assertTrue(Math.hypot(p[0] - 1, p[1] - 1) < 1e-2, optimizer + " ended at " + p[0] + ", " + p[1]);
        assertTrue(r.finalValue() < 1e-4 * r.values()[0]);
        assertTrue(r.directions().isEmpty());
    }

    @Test
    void badSettingsAreOneLineErrors() {
        assertThrows(InvalidInputException.class, () -> settings("lbfgs", 0.1, 10, 0, 0));
        assertThrows(InvalidInputException.class, () -> settings("sgd", -1, 10, 0, 0));
        assertThrows(InvalidInputException.class, () -> new ToySurface.Quadratic(1, -2));
        assertThrows(InvalidInputException.class, () -> ToySurface.Quadratic.withConditionNumber(0.5));
        assertNull(GradientDescentRegime.observed(new double[] {0, 0, 0}));
    }

    @Test
    void commandWritesToyJsonAndContourPng(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("toy");
        int status = new CommandLine(new ToyCommand()).execute("--problem", "quadratic", "--eigenvalues", "1,10",
                "--lr", "0.15", "--steps", "40", "--run-dir", out.toString());
        assertEquals(0, status);
        JsonObject json = JsonParser.parseString(Files.readString(out.resolve("toy.json"))).getAsJsonObject();
        assertEquals("quadratic", json.get("problem").getAsString());
        assertEquals(41, json.getAsJsonArray("trajectory").size());
        JsonObject y = json.getAsJsonArray("directions").get(1).getAsJsonObject();
        assertEquals("oscillation", y.get("predicted_regime").getAsString());
        assertEquals("oscillation", y.get("observed_regime").getAsString());
        BufferedImage img = ImageIO.read(out.resolve("contour.png").toFile());
        assertEquals(800, img.getWidth());
    }

    private static JsonObject json(Path file) throws Exception {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }

    @Test
    void optionValuesAreCaseInsensitiveAndDefaultsFollowTheParsedOptimizer(@TempDir Path tmp) throws Exception {
        // ADAM used to be accepted by the update rule but missed by the default-α table: SGD's 0.15.
        for (String spelling : new String[] {"adam", "ADAM", "Adam"}) {
            Path out = tmp.resolve("toy-" + spelling);
            CliTestSupport.Result r = CliTestSupport.run("toy", "--problem", "QUADRATIC", "--optimizer", spelling,
                    "--steps", "10", "--run-dir", out.toString());
            assertEquals(0, r.status(), r.err());
            JsonObject json = json(out.resolve("toy.json"));
            assertEquals("adam", json.get("optimizer").getAsString());
            assertEquals("quadratic", json.get("problem").getAsString());
            assertEquals(0.05, json.getAsJsonObject("settings").get("lr").getAsDouble(), 0.0, spelling);
        }
        assertEquals(0.05, ToyRun.Settings.defaultLearningRate("Quadratic", "ADAM"), 0.0);
        assertEquals("newton", ToyRun.optimizerName("Newton"));
        assertEquals(1, ToyRun.Settings.defaultLearningRate("saddle", "NEWTON"), 0.0);
    }

    @Test
    void aRunHasOneVerdictAndItsStepCountIsWhereItStaysWithinTolerance(@TempDir Path tmp) throws Exception {
        // The default quadratic used to print "converged after 100 steps" and "within tolerance after 83 steps".
        Path out = tmp.resolve("toy");
        CliTestSupport.Result r = CliTestSupport.run("toy", "--run-dir", out.toString());
        assertEquals(0, r.status(), r.err());
        List<String> verdicts = r.out().lines().filter(l -> l.contains("converged")).toList();
        assertEquals(1, verdicts.size(), r.out());
        assertTrue(verdicts.get(0).contains("converged: within tolerance 1e-06 of the minimum (0, 0) (J = 0) from"
                + " step 83 on (100 steps run)"), verdicts.get(0));
        assertFalse(r.out().contains("after 100 steps"), r.out());
        JsonObject json = json(out.resolve("toy.json"));
        assertEquals("converged", json.get("verdict").getAsString());
        assertEquals(83, json.get("steps_to_tolerance").getAsInt());
        // 83 is where θ comes within 1e-6 × ‖θ₀‖ of 0 and stays: 82 is outside, every later step inside.
        ToyRun.Result run = ToyRun.run(new ToySurface.Quadratic(1, 10), settings("sgd", 0.15, 100, 1, 1));
        double bound = 1e-6 * Math.sqrt(2);
        assertTrue(Math.hypot(run.trajectory()[82][0], run.trajectory()[82][1]) > bound);
        for (int k = 83; k <= 100; k++) {
            assertTrue(Math.hypot(run.trajectory()[k][0], run.trajectory()[k][1]) <= bound, "step " + k);
        }
        // A run that comes within tolerance and leaves again gets no step, and the reason says so: momentum
        // (α = 0.5, μ = 0.9, λ = 1) swings through the minimum's neighbourhood at step 6 and out again.
        ToyRun.Result leaves = ToyRun.run(new ToySurface.Quadratic(1, 1), new ToyRun.Settings("momentum", 0.5, 0.9,
                8, new double[] {1, 0}, 0.1));
        assertEquals("not_converged", leaves.verdict());
        assertNull(leaves.stepsToTolerance());
        assertEquals("none: θ came within tolerance × its starting distance of the minimizer at step 6 but did not"
                + " stay there", leaves.stepsToToleranceStatus());
    }

    @Test
    void everyNewProblemWritesItsPicturesAndReportHtml(@TempDir Path tmp) throws Exception {
        String[][] cases = {
            {"--problem", "multiminima", "--steps", "300"},
            {"--problem", "plateau"},
            {"--problem", "plane", "--optimizer", "momentum"},
            {"--problem", "plane", "--optimizer", "momentum", "--momentum", "1", "--steps", "50"},
            {"--problem", "early-decay", "--steps", "400", "--decay-starts", "40,300", "--decay-timescale", "20"}};
        String[][] pictures = {
            {"contour.png", "surface.png", "optimizers.png"},
            {"contour.png", "surface.png", "plateau.png"},
            {"contour.png", "surface.png", "velocity.png"},
            {"contour.png", "surface.png", "velocity.png"},
            {"decay.png", "learning-rate.png", "contour.png"}};
        for (int i = 0; i < cases.length; i++) {
            Path out = tmp.resolve("case-" + i);
            List<String> args = new java.util.ArrayList<>(List.of("toy", "--run-dir", out.toString()));
            args.addAll(List.of(cases[i]));
            CliTestSupport.Result r = CliTestSupport.run(args.toArray(String[]::new));
            assertEquals(0, r.status(), String.join(" ", cases[i]) + ": " + r.err());
            String html = Files.readString(out.resolve("report.html"));
            for (String png : pictures[i]) {
                BufferedImage img = ImageIO.read(out.resolve(png).toFile());
                assertNotNull(img, png);
                assertTrue(html.contains("src=\"" + png + "\""), png + " in report.html");
            }
            assertTrue(Files.isRegularFile(out.resolve("toy.json")));
        }
        assertTrue(Files.readString(tmp.resolve("case-3/toy.json")).contains("never reaches a terminal velocity"));
        assertTrue(Files.isRegularFile(tmp.resolve("case-4/decay.csv")));
    }

    @Test
    void badToyFlagsAreOneLineNamingTheFlagAndWriteNothing(@TempDir Path tmp) {
        String[][] cases = {
            {"--problem", "quadratic", "--tilt", "0.1,0.1"},
            {"--problem", "plane", "--noise", "1"},
            {"--problem", "early-decay", "--decay-starts", "500,100"},
            {"--problem", "saddle", "--optimizer", "momentum", "--momentum", "1"},
            {"--problem", "plateau", "--plateau-slope", "2"},
            {"--problem", "multiminima", "--tilt", "1.5,0"},
            {"--problem", "bowl"},
            {"--optimizer", "lbfgs"}};
        String[] flags = {"--tilt", "--noise", "--decay-starts", "--momentum", "--plateau-slope", "--tilt",
            "--problem", "--optimizer"};
        for (int i = 0; i < cases.length; i++) {
            Path out = tmp.resolve("case-" + i);
            List<String> args = new java.util.ArrayList<>(List.of("toy", "--run-dir", out.toString()));
            args.addAll(List.of(cases[i]));
            CliTestSupport.Result r = CliTestSupport.run(args.toArray(String[]::new));
            assertEquals(Main.EXIT_BAD_INPUT, r.status(), String.join(" ", cases[i]));
            assertEquals(1, r.errorLines().size(), r.err());
            assertTrue(r.errorLines().get(0).startsWith("ravine: " + flags[i]), r.errorLines().get(0));
            assertFalse(Files.exists(out), "nothing written for " + String.join(" ", cases[i]));
        }
    }

    @Test
    void trainKeepsRefusingMomentumOne(@TempDir Path tmp) {
        // μ = 1 is the plane toy's lesson, not a training setting: train refuses it before writing anything.
        Path run = tmp.resolve("run");
        CliTestSupport.Result r = CliTestSupport.run("train", "--optimizer", "momentum", "--momentum", "1",
                "--steps", "1", "--device", "cpu", "--run-dir", run.toString());
        assertEquals(Main.EXIT_BAD_INPUT, r.status());
        assertEquals(List.of("ravine: --momentum must be in [0, 1), got 1.0"), r.errorLines());
        assertFalse(Files.exists(run));
    }
}
