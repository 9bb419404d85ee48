package io.ravine.landscape;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.InvalidInputException;
import io.ravine.backend.LossKind;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.cli.CliTestSupport;
import io.ravine.cli.LandscapeCommand;
import io.ravine.cli.Main;
import io.ravine.train.Checkpoint;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A linear model with MSE is convex in θ, so the loss along any line in θ-space is a convex parabola in α. */
class LossLandscapeTest {
    private static final int ROWS = 200;
    @TempDir
    static Path tmp;
    static Path csv;
    static Path run;

    @BeforeAll
    static void trainALinearRegression() throws Exception {
        StringBuilder sb = new StringBuilder("x1,x2,x3,y\n");
        SplittableRandom rng = new SplittableRandom(7);
        for (int r = 0; r < ROWS; r++) {
            double a = rng.nextGaussian();
            double b = rng.nextGaussian();
            double c = rng.nextGaussian();
            sb.append(String.format(Locale.ROOT, "%.6f,%.6f,%.6f,%.6f%n", a, b, c,
                    2 * a - b + 0.5 * c + 0.1 * rng.nextGaussian()));
        }
        csv = tmp.resolve("regression.csv");
        Files.writeString(csv, sb.toString());
        run = tmp.resolve("run");
        TrainConfig config = TrainConfig.builder().setData(csv.toString()).optHidden().optLoss(LossKind.MSE)
                .optOptimizer(UpdateRule.SGD).optLearningRate(0.05).optBatchSize(20).optSteps(40)
                .optNormalize("none").optSaveInitial(true).optCheckpointEvery(10).optSeed(4).build();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(run).fit();
        }
    }

    /** ½(w·x + b − y)² averaged over the last 20% of rows (the CSV's test split), by hand in double. */
    private static double testMseByHand(float[] theta) throws Exception {
        var lines = Files.readAllLines(csv);
        int nTest = (int) Math.floor(ROWS * 0.2);
        double sum = 0;
        for (int r = ROWS - nTest; r < ROWS; r++) {
            String[] v = lines.get(r + 1).split(",");
            double pred = theta[3];
            for (int i = 0; i < 3; i++) {
                pred += theta[i] * Double.parseDouble(v[i]);
            }
            double e = pred - Double.parseDouble(v[3]);
            sum += 0.5 * e * e;
        }
        return sum / nTest;
    }

    @Test
    void lineIsConvexAndItsEndsAreTheCheckpointsLosses() throws Exception {
        try (LossLandscape land = LossLandscape.open(run, CpuBackend.f32(), 1000, 1)) {
            float[] t0 = land.parameters(land.checkpoint("initial"));
            float[] t1 = land.parameters(land.checkpoint("final"));
            LossLandscape.Line line = land.line(t0, t1, LossLandscape.linspace(-0.5, 1.5, 41));
            assertTrue(line.convexLooking());
            assertTrue(line.monotoneFromStartToEnd());
            // α = 0 is index 10, α = 1 index 30. float32 evaluation against a double hand computation: 1e-5.
            assertEquals(testMseByHand(t0), line.testLoss()[10], 1e-5 * testMseByHand(t0));
            assertEquals(testMseByHand(t1), line.testLoss()[30], 1e-5 * Math.max(1, testMseByHand(t1)));
            // The run's own final test loss is the α = 1 point.
            JsonObject summary = JsonParser.parseString(Files.readString(run.resolve("summary.json")))
                    .getAsJsonObject();
            assertEquals(summary.get("test_loss").getAsDouble(), line.testLoss()[30], 1e-6);
            // A parabola: the second difference is the same everywhere (up to float32 rounding).
            double h = 0.05;
            double c0 = line.trainLoss()[2] - 2 * line.trainLoss()[1] + line.trainLoss()[0];
            double c1 = line.trainLoss()[40] - 2 * line.trainLoss()[39] + line.trainLoss()[38];
            assertTrue(c0 > 0);
            assertEquals(c0 / (h * h), c1 / (h * h), 1e-2 * c0 / (h * h));
        }
    }

    @Test
    void commandWritesLinePlaneAndSummary() throws Exception {
        for (String kind : new String[] {"pca", "random"}) {
            // The second kind replaces the first's landscape/, which takes --overwrite.
            int status = new CommandLine(new LandscapeCommand()).execute("--run-dir", run.toString(), "--plane",
                    kind, "--grid", "11", "--points", "21", "--device", "cpu", "--overwrite");
            assertEquals(0, status, kind);
            Path out = run.resolve("landscape");
            for (String f : new String[] {"line.csv", "line.png", "plane.csv", "plane.png", "landscape.json"}) {
                assertTrue(Files.isRegularFile(out.resolve(f)), f);
            }
            assertEquals(1 + 21, Files.readAllLines(out.resolve("line.csv")).size());
            assertEquals(1 + 11 * 11, Files.readAllLines(out.resolve("plane.csv")).size());
            BufferedImage img = ImageIO.read(out.resolve("plane.png").toFile());
            assertEquals(800, img.getWidth());
            JsonObject json = JsonParser.parseString(Files.readString(out.resolve("landscape.json")))
                    .getAsJsonObject();
            assertTrue(json.getAsJsonObject("line").get("convex_looking").getAsBoolean());
            JsonObject plane = json.getAsJsonObject("plane");
            assertEquals(kind, plane.get("kind").getAsString());
            // initial, step-10, -20, -30, -40 and final.
            var traj = plane.getAsJsonArray("trajectory");
            assertEquals(6, traj.size());
            JsonObject last = traj.get(traj.size() - 1).getAsJsonObject();
            assertEquals("final", last.get("checkpoint").getAsString());
            assertEquals(0, last.get("a").getAsDouble(), 1e-12);
            assertEquals(0, last.get("b").getAsDouble(), 1e-12);
        }
    }

    @Test
    void aRunWithoutAnInitialCheckpointIsAOneLineError() throws Exception {
        Path bare = tmp.resolve("bare");
        TrainConfig config = TrainConfig.builder().setData(csv.toString()).optHidden().optLoss(LossKind.MSE)
                .optOptimizer(UpdateRule.SGD).optBatchSize(20).optSteps(5).build();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(bare).fit();
        }
        try (LossLandscape land = LossLandscape.open(bare, CpuBackend.f32(), 100, 1)) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> land.checkpoint("initial"));
            assertTrue(e.getMessage().contains("--save-initial"), e.getMessage());
            assertTrue(!e.getMessage().contains("\n"));
        }
        assertThrows(InvalidInputException.class, () -> Checkpoint.loadParameters(bare.resolve("nope"), null));
    }

    /** A copy of the run without the landscape another test may have written into it. */
    private static Path freshCopy(String name) throws Exception {
        Path copy = CliTestSupport.copyTree(run, tmp.resolve(name));
        if (Files.exists(copy.resolve("landscape"))) {
            io.ravine.io.OutputDirectories.deleteTree(copy.resolve("landscape"));
        }
        return copy;
    }

    @Test
    void theLineReportsThetaZeroAndThetaOneExactlyWhenTheGridMissesThem() throws Exception {
        // --points 11 on [−0.5, 1.5]: the grid is −0.5, −0.3, −0.1, 0.1, …; the line used to report the α = −0.1
        // point as "at α=0". Now θ₀ and θ₁ are evaluated themselves.
        try (LossLandscape land = LossLandscape.open(run, CpuBackend.f32(), 1000, 1)) {
            float[] t0 = land.parameters(land.checkpoint("initial"));
            float[] t1 = land.parameters(land.checkpoint("final"));
            LossLandscape.Line line = land.line(t0, t1, LossLandscape.linspace(-0.5, 1.5, 11));
            assertFalse(line.onGrid(0));
            double[] d0 = new double[t0.length];
            double[] d1 = new double[t1.length];
            for (int i = 0; i < d0.length; i++) {
                d0[i] = t0[i];
                d1[i] = t1[i];
            }
            assertEquals(land.trainLoss(d0), line.atStart()[0], 0.0);
            assertEquals(land.testLoss(d0), line.atStart()[1], 0.0);
            assertEquals(land.trainLoss(d1), line.atEnd()[0], 0.0);
            assertTrue(Math.abs(line.trainLoss()[2] - line.atStart()[0]) > 1e-3 * line.atStart()[0],
                    "α = −0.1 is not θ₀");
            // With 41 points α = 0 is on the grid, and that point is the one reported.
            LossLandscape.Line fine = land.line(t0, t1, LossLandscape.linspace(-0.5, 1.5, 41));
            assertTrue(fine.onGrid(0));
            assertEquals(fine.trainLoss()[10], fine.atStart()[0], 0.0);
            assertEquals(line.atStart()[0], fine.atStart()[0], 0.0);
            Path copy = freshCopy("line-11");
            CliTestSupport.Result r = CliTestSupport.run("landscape", "--run-dir", copy.toString(), "--plane",
                    "none", "--points", "11", "--device", "cpu");
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains(String.format(Locale.ROOT, "train loss %.5g at θ₀ (α=0), %.5g at θ₁"
                    + " (α=1)", line.atStart()[0], line.atEnd()[0])), r.out());
            JsonObject json = JsonParser.parseString(Files.readString(copy.resolve("landscape/landscape.json")))
                    .getAsJsonObject().getAsJsonObject("line");
            assertEquals(line.atStart()[0], json.get("initial_train_loss").getAsDouble(), 0.0);
            assertEquals(line.atEnd()[1], json.get("final_test_loss").getAsDouble(), 0.0);
        }
    }

    @Test
    void theTrajectoryPlaneWithTheRandomWalkControlGoesIntoTheRunsReport() throws Exception {
        Path copy = freshCopy("trajectory");
        CliTestSupport.Result r = CliTestSupport.run("landscape", "--run-dir", copy.toString(), "--plane",
                "Trajectory", "--random-walk-control", "--grid", "9", "--points", "11", "--device", "cpu",
                "--seed", "3");
        assertEquals(0, r.status(), r.err());
        Path out = copy.resolve("landscape");
        for (String f : new String[] {"line.png", "plane.png", "surface.png", "random-walk.png", "plane.csv"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertEquals(800, ImageIO.read(out.resolve("surface.png").toFile()).getWidth());
        JsonObject json = JsonParser.parseString(Files.readString(out.resolve("landscape.json"))).getAsJsonObject();
        JsonObject plane = json.getAsJsonObject("plane");
        assertEquals("trajectory", plane.get("kind").getAsString());
        assertEquals("initial", plane.get("center").getAsString());
        // θ₀ at (0, 0) and θ₁ at (1, 0): the horizontal axis is the line's α.
        assertEquals(0, plane.getAsJsonArray("initial").get(0).getAsDouble(), 1e-12);
        assertEquals(0, plane.getAsJsonArray("initial").get(1).getAsDouble(), 1e-12);
        assertEquals(1, plane.getAsJsonArray("final").get(0).getAsDouble(), 1e-9);
        assertEquals(0, plane.getAsJsonArray("final").get(1).getAsDouble(), 1e-9);
        double share = plane.get("path_share_in_plane").getAsDouble();
        assertTrue(share > 0.5 && share <= 1 + 1e-9, "share " + share);
        // The walk: the path's own step lengths (its checkpoints' successive distances), from θ₀.
        List<float[]> checkpoints = new java.util.ArrayList<>();
        try (LossLandscape land = LossLandscape.open(copy, CpuBackend.f32(), 1000, 1)) {
            for (Path f : io.ravine.train.RunDirectories.checkpoints(copy)) {
                checkpoints.add(land.parameters(f));
            }
        }
        double[] expected = LandscapeDirections.stepLengths(checkpoints);
        JsonObject walk = json.getAsJsonObject("random_walk");
        var steps = walk.getAsJsonArray("step_lengths");
        assertEquals(expected.length, steps.size());
        double length = 0;
        for (int k = 0; k < expected.length; k++) {
            assertEquals(expected[k], steps.get(k).getAsDouble(), 1e-12);
            length += expected[k];
        }
        assertEquals(length, walk.get("path_length").getAsDouble(), 1e-9);
        assertEquals(3, walk.get("seed").getAsLong());
        var points = walk.getAsJsonArray("points");
        assertEquals(expected.length + 1, points.size());
        assertEquals(0, points.get(0).getAsJsonObject().get("a").getAsDouble(), 1e-12);
        // Random directions do not add up: the walk ends nearer θ₀ than its length, and no lower than θ₁, where
        // the path's coherent steps led.
        assertTrue(walk.get("walk_net_displacement").getAsDouble() < length);
        assertTrue(walk.get("walk_final_train_loss").getAsDouble() > json.getAsJsonObject("line")
                .get("final_train_loss").getAsDouble());
        // Every picture in the run's report.html.
        String html = Files.readString(copy.resolve("report.html"));
        for (String png : new String[] {"line.png", "plane.png", "surface.png", "random-walk.png"}) {
            assertTrue(html.contains("src=\"landscape/" + png + "\""), png);
        }
        assertTrue(html.contains("random_walk.walk_net_displacement"), html);
    }

    @Test
    void theRandomWalkNeedsAPlane() throws Exception {
        Path copy = freshCopy("no-plane");
        CliTestSupport.Result r = CliTestSupport.run("landscape", "--run-dir", copy.toString(), "--plane", "none",
                "--random-walk-control", "--device", "cpu");
        assertEquals(Main.EXIT_BAD_INPUT, r.status());
        assertEquals(1, r.errorLines().size(), r.err());
        assertTrue(r.errorLines().get(0).startsWith("ravine: --random-walk-control draws the walk on a plane"),
                r.err());
        assertFalse(Files.exists(copy.resolve("landscape")));
        CliTestSupport.Result bad = CliTestSupport.run("landscape", "--run-dir", copy.toString(), "--plane", "line",
                "--device", "cpu");
        assertEquals(List.of("ravine: --plane must be random, pca, trajectory or none, not 'line'"),
                bad.errorLines());
    }
}
