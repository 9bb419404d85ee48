package io.ravine.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.InvalidInputException;
import io.ravine.cli.ToyCommand;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
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
                "--lr", "0.15", "--steps", "40", "--out", out.toString());
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
}
