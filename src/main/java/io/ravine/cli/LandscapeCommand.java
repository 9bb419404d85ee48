package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.io.DirectoryLock;
import io.ravine.io.OutputDirectories;
import io.ravine.io.ProgressLine;
import io.ravine.io.Terminal;
import io.ravine.landscape.LandscapeDirections;
import io.ravine.landscape.LossLandscape;
import io.ravine.report.ReportFiles;
import io.ravine.report.RunReport;
import io.ravine.train.RunDirectories;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ravine landscape}: the loss along θ₀→θ₁ and on a plane through θ₁; writes RUN_DIR/landscape/. */
@Command(name = "landscape", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Loss-surface slices of a finished run: the line from the initial to the final parameters"
                + " (Goodfellow et al. 2015) and a 2-D plane through the final parameters (Li et al. 2018).")
public final class LandscapeCommand implements Callable<Integer> {

    @Option(names = "--run-dir", paramLabel = "DIR", required = true, description = "the run to examine; writes"
            + " DIR/landscape/")
    Path runDir;

    @Option(names = "--checkpoint", paramLabel = "FROM,TO", description = "the line's ends, each a checkpoint name"
            + " in RUN_DIR/checkpoints or a file: the line runs from FROM to TO, and the plane is centred on TO; one"
            + " name is TO, from initial (default initial,final)")
    String checkpoints = "initial,final";

    /** The line's start and end, from --checkpoint (set by validate). */
    private String from;
    private String to;

    @Option(names = "--alpha-min", description = "smallest α on the line (default -0.5)")
    double alphaMin = -0.5;

    @Option(names = "--alpha-max", description = "largest α on the line (default 1.5)")
    double alphaMax = 1.5;

    @Option(names = "--points", description = "points on the line (default 41)")
    int points = 41;

    @Option(names = "--plane", description = "random (filter-normalised, default), pca (the trajectory's principal"
            + " directions), trajectory (θ₀→θ₁ and the path's residual) or none")
    String plane = "random";

    @Option(names = "--random-walk-control", description = "also walk from θ₀ in random directions with the path's"
            + " own step lengths (seeded by --seed) and draw the walk on the plane beside the path")
    boolean randomWalkControl;

    @Option(names = "--grid", description = "grid points per plane axis (default 21)")
    int grid = 21;

    @Option(names = "--span", description = "plane half-width: in direction units for random, in multiples of"
            + " the trajectory's extent for pca and trajectory (default 1.0)")
    double span = 1.0;

    @Option(names = "--subset", paramLabel = "N", description = "training examples the training loss is measured"
            + " on: a subset drawn with --seed (default 1000)")
    int subset = 1000;

    @Option(names = "--seed", description = "seed of the subset, the random directions and the random walk"
            + " (default 1)")
    long seed = 1;

    @Option(names = "--overwrite", description = "replace an existing RUN_DIR/landscape whole")
    boolean overwrite;

    @CommandLine.Mixin
    DeviceFlags deviceFlags = new DeviceFlags();

    @CommandLine.Mixin
    ProgressFlag progress = new ProgressFlag();

    /** Most points on the line: each is two evaluations (the training subset and the test set). */
    static final int MAX_POINTS = 100_000;
    /** Most grid points per plane axis: the plane is grid² evaluations. */
    static final int MAX_GRID = 1_000;
    /** The values --plane takes (in any case). */
    static final List<String> PLANES = List.of("random", "pca", "trajectory", "none");

    /** Every flag, before the run is read: one line naming the flag, the rule and the value. */
    private void validate() {
        if (points < 2 || points > MAX_POINTS) {
            throw new InvalidInputException("--points must be between 2 and " + MAX_POINTS + ", got " + points);
        }
        if (grid < 2 || grid > MAX_GRID) {
            throw new InvalidInputException("--grid must be between 2 and " + MAX_GRID + " (the plane is grid²"
                    + " evaluations), got " + grid);
        }
        if (!Double.isFinite(alphaMin) || !Double.isFinite(alphaMax)) {
            throw new InvalidInputException("--alpha-min and --alpha-max must be finite numbers, got " + alphaMin
                    + " and " + alphaMax);
        }
        if (!(alphaMax > alphaMin)) {
            throw new InvalidInputException("--alpha-max must be larger than --alpha-min, got " + alphaMax + " ≤ "
                    + alphaMin);
        }
        if (!(span > 0) || Double.isInfinite(span)) {
            throw new InvalidInputException("--span must be a positive number, got " + span);
        }
        if (subset < 1) {
            throw new InvalidInputException("--subset must be a positive number of examples, got " + subset);
        }
        String kind = plane.trim().toLowerCase(Locale.ROOT);
        if (!PLANES.contains(kind)) {
            throw new InvalidInputException("--plane must be random, pca, trajectory or none, not '" + plane + "'");
        }
        plane = kind;
        if (randomWalkControl && plane.equals("none")) {
            throw new InvalidInputException("--random-walk-control draws the walk on a plane: it needs --plane random,"
                    + " pca or trajectory, not none");
        }
        String[] ends = checkpoints.split(",", -1);
        if (ends.length > 2 || Arrays.stream(ends).anyMatch(e -> e.isBlank())) {
            throw new InvalidInputException("--checkpoint takes FROM,TO (two checkpoint names or files, e.g."
                    + " initial,final) or one name TO (from initial), not '" + checkpoints + "'");
        }
        from = ends.length == 2 ? ends[0].trim() : "initial";
        to = ends[ends.length - 1].trim();
        deviceFlags.validate();
        progress.check();
    }

    @Override
    public Integer call() {
        validate();
        Path out = runDir.resolve("landscape");
        // Its own output only: landscape/ is replaced whole with --overwrite, never silently. While another process
        // writes the run (a trainer), nothing is computed: its checkpoints are still changing.
        if (!overwrite && !OutputDirectories.isEmpty(out)) {
            throw new InvalidInputException("--run-dir " + runDir + ": " + out + " already holds a landscape ("
                    + OutputDirectories.describe(OutputDirectories.contents(out)) + "): replace it with --overwrite");
        }
        DirectoryLock.requireUnlocked(runDir);
        OutputDirectories.Replacement old = null;
        try (Backend backend = deviceFlags.open();
                LossLandscape land = LossLandscape.open(runDir, backend, subset, seed);
                Writer writer = new Writer(runDir)) {
            // Everything the slices need is read and checked first (the checkpoints, the trajectory, the plane's
            // directions: too few checkpoints for a pca plane fails here), then the output directory; only then
            // are the losses computed, and the files written last, under the run directory's lock.
            Path fromFile = land.checkpoint(from);
            Path toFile = land.checkpoint(to);
            float[] theta0 = land.parameters(fromFile);
            float[] theta1 = land.parameters(toFile);
            List<float[]> trajectory = new ArrayList<>();
            List<String> names = new ArrayList<>();
            LossLandscape.PlaneSpec spec = null;
            if (!plane.equals("none")) {
                for (Path f : RunDirectories.checkpoints(runDir)) {
                    names.add(f.getFileName().toString().replace(".safetensors", ""));
                    trajectory.add(land.parameters(f));
                }
                spec = planeSpec(land, theta0, theta1, trajectory);
                if (randomWalkControl && trajectory.size() < 2) {
                    throw new InvalidInputException("--random-walk-control takes its step lengths from the run's"
                            + " checkpoints, and " + runDir + " has " + trajectory.size() + " (train with"
                            + " --save-initial and --checkpoint-every N)");
                }
            }
            OutputCheck.requireWritable("--run-dir", out, "line.csv", "plane.csv", "landscape.json");

            double[] alphas = LossLandscape.linspace(alphaMin, alphaMax, points);
            long evaluations = LossLandscape.lineEvaluations(alphas)
                    + (spec == null ? 0 : LossLandscape.planeEvaluations(spec, trajectory.size()))
                    + (randomWalkControl ? trajectory.size() : 0);
            LossLandscape.Line line;
            LossLandscape.Plane p;
            LossLandscape.RandomWalk walk;
            try (Evaluations count = new Evaluations(progress.choice().orElseGet(Terminal::stderrIsTerminal),
                    evaluations)) {
                land.onEvaluation(count::advance);
                count.phase("line");
                line = land.line(theta0, theta1, alphas);
                count.phase("plane");
                p = spec == null ? null : land.plane(spec, theta0, theta1, names, trajectory);
                count.phase("random walk");
                walk = randomWalkControl ? land.randomWalk(spec, theta0, trajectory, seed) : null;
            }

            writer.lock();
            if (overwrite) {
                old = OutputDirectories.replace(out);
            }
            LossLandscape.writeLine(out, line);
            int m = line.minIndex();
            // θ₀ and θ₁ are evaluated exactly (the grid need not hold α = 0 and 1); the minimum is the grid's.
            System.out.printf(Locale.ROOT, "line %s → %s: train loss %.5g at θ₀ (α=0), %.5g at θ₁ (α=1), grid"
                    + " minimum %.5g at α=%.3g; %s, %s%n", from, to, line.atStart()[0], line.atEnd()[0],
                    line.trainLoss()[m], line.alpha()[m],
                    line.monotoneFromStartToEnd() ? "monotone from θ₀ to θ₁" : "not monotone from θ₀ to θ₁",
                    line.convexLooking() ? "convex-looking" : "not convex");
            if (p != null) {
                LossLandscape.writePlane(out, p, walk);
                String shares = p.explainedVariance() != null
                        ? String.format(Locale.ROOT, "; the two directions explain %.1f%% and %.1f%% of the"
                                + " trajectory's variance", 100 * p.explainedVariance()[0],
                                100 * p.explainedVariance()[1])
                        : p.residualShare() != null
                        ? String.format(Locale.ROOT, "; the residual direction holds %.1f%% of the path's departure"
                                + " from the line, and the plane %.1f%% of the path", 100 * p.residualShare(),
                                100 * p.planeShare())
                        : "";
                System.out.printf(Locale.ROOT, "plane (%s, %d×%d): training loss from %.5g to %.5g%s%n", plane,
                        grid, grid, min(p.loss()), max(p.loss()), shares);
            }
            if (walk != null) {
                System.out.printf(Locale.ROOT, "random walk (seed %d, %d steps of the path's lengths, %.4g in all):"
                        + " %.4g from θ₀ (the path: %.4g), %.1f%% of it in the plane; training loss %.5g at its end"
                        + " (θ₁: %.5g)%n", walk.seed(), walk.steps().length, walk.pathLength(), walk.displacement(),
                        walk.pathDisplacement(), 100 * walk.inPlane(), walk.loss()[walk.loss().length - 1],
                        p.toLoss());
            }
            Map<String, Object> header = new LinkedHashMap<>();
            header.put("run_dir", runDir.toString());
            header.put("from", fromFile.toString());
            header.put("to", toFile.toString());
            header.put("subset", subset);
            header.put("seed", seed);
            LossLandscape.writeSummary(out, header, line, p, walk);
            if (old != null) {
                old.discard();
                old = null;
            }
            // The run's report shows the landscape's pictures; after landscape.json, and never a reason to lose it.
            ReportFiles.bestEffort(runDir.resolve("report.html"), () -> RunReport.write(runDir));
            System.out.println("wrote " + out + " and " + runDir.resolve("report.html"));
            return 0;
        } finally {
            if (old != null) {
                old.restore(); // failed half-way: the old landscape goes back
            }
        }
    }

    /**
     * The plane's centre, directions and grid, from the checkpoints alone (no loss is computed): too few
     * checkpoints for a pca or trajectory plane fail here, before the output directory is touched.
     */
    private LossLandscape.PlaneSpec planeSpec(LossLandscape land, float[] theta0, float[] theta1,
            List<float[]> trajectory) {
        switch (plane) {
            case "random" -> {
                SplittableRandom rng = new SplittableRandom(seed);
                double[] d1 = LandscapeDirections.filterNormalized(land.mlp(), theta1, rng);
                double[] d2 = LandscapeDirections.filterNormalized(land.mlp(), theta1, rng);
                double[] as = LossLandscape.linspace(-span, span, grid);
                return new LossLandscape.PlaneSpec("random", theta1, d1, d2, as, as, null, null, null);
            }
            case "pca" -> {
                LandscapeDirections.Principal pc;
                try {
                    pc = LandscapeDirections.principal(trajectory, theta1);
                } catch (InvalidInputException e) {
                    throw new InvalidInputException("--plane pca: " + e.getMessage(), e);
                }
                double[][] c = LandscapeDirections.project(trajectory, theta1, pc.first(), pc.second());
                double ra = 0;
                double rb = 0;
                for (double[] ab : c) {
                    ra = Math.max(ra, Math.abs(ab[0]));
                    rb = Math.max(rb, Math.abs(ab[1]));
                }
                // Each axis covers the trajectory with a 20% margin, times --span.
                double[] as = LossLandscape.linspace(-1.2 * span * ra, 1.2 * span * ra, grid);
                double[] bs = LossLandscape.linspace(-1.2 * span * Math.max(rb, 1e-3 * ra),
                        1.2 * span * Math.max(rb, 1e-3 * ra), grid);
                return new LossLandscape.PlaneSpec("pca", theta1, pc.first(), pc.second(), as, bs,
                        pc.explainedVariance(), null, null);
            }
            default -> {
                LandscapeDirections.TrajectoryPlane tp;
                try {
                    tp = LandscapeDirections.trajectoryPlane(trajectory, theta0, theta1);
                } catch (InvalidInputException e) {
                    throw new InvalidInputException("--plane trajectory: " + e.getMessage(), e);
                }
                // θ₀ at (0, 0), θ₁ at (1, 0), both axes in units of ‖θ₁ − θ₀‖ (the picture is not stretched). A
                // square centred on the segment θ₀θ₁ that covers it and the path with a 20% margin, times --span.
                double[][] c = LandscapeDirections.project(trajectory, theta0, tp.first(), tp.second());
                double half = 0.5;
                for (double[] ab : c) {
                    half = Math.max(half, Math.max(Math.abs(ab[0] - 0.5), Math.abs(ab[1])));
                }
                half *= 1.2 * span;
                return new LossLandscape.PlaneSpec("trajectory", theta0, tp.first(), tp.second(),
                        LossLandscape.linspace(0.5 - half, 0.5 + half, grid), LossLandscape.linspace(-half, half,
                                grid), null, tp.residualShare(), tp.planeShare());
            }
        }
    }

    /** The progress line over the loss evaluations (--progress), with the slice being computed. */
    private static final class Evaluations implements AutoCloseable {
        private final ProgressLine line;
        private long done;
        private String phase = "";

        Evaluations(boolean on, long total) {
            line = on && total > 0 ? ProgressLine.onStderr("loss", total, 0) : null;
        }

        void phase(String name) {
            phase = name;
        }

        void advance() {
            done++;
            if (line != null) {
                line.update(done, phase);
            }
        }

        @Override
        public void close() {
            if (line != null) {
                line.end(done);
            }
        }
    }

    /** The run directory's lock, taken when the first file is about to be written, released at the end. */
    private static final class Writer implements AutoCloseable {
        private final Path runDir;
        private DirectoryLock lock;

        Writer(Path runDir) {
            this.runDir = runDir;
        }

        void lock() {
            lock = DirectoryLock.acquire(runDir);
        }

        @Override
        public void close() {
            if (lock != null) {
                lock.close();
            }
        }
    }

    private static double min(double[][] v) {
        double m = Double.POSITIVE_INFINITY;
        for (double[] r : v) {
            for (double x : r) {
                m = Math.min(m, x);
            }
        }
        return m;
    }

    private static double max(double[][] v) {
        double m = Double.NEGATIVE_INFINITY;
        for (double[] r : v) {
            for (double x : r) {
                m = Math.max(m, x);
            }
        }
        return m;
    }
}
