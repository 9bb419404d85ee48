package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.io.DirectoryLock;
import io.ravine.io.OutputDirectories;
import io.ravine.landscape.LandscapeDirections;
import io.ravine.landscape.LossLandscape;
import io.ravine.train.RunDirectories;
import java.nio.file.Path;
import java.util.ArrayList;
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

    @Option(names = "--run-dir", required = true, description = "the run to examine")
    Path runDir;

    @Option(names = "--from", description = "start of the line: a checkpoint name or file (default initial)")
    String from = "initial";

    @Option(names = "--to", description = "end of the line and centre of the plane (default final)")
    String to = "final";

    @Option(names = "--alpha-min", description = "smallest α on the line (default -0.5)")
    double alphaMin = -0.5;

    @Option(names = "--alpha-max", description = "largest α on the line (default 1.5)")
    double alphaMax = 1.5;

    @Option(names = "--points", description = "points on the line (default 41)")
    int points = 41;

    @Option(names = "--plane", description = "random (filter-normalised, default), pca (trajectory) or none")
    String plane = "random";

    @Option(names = "--grid", description = "grid points per plane axis (default 21)")
    int grid = 21;

    @Option(names = "--span", description = "plane half-width: in direction units for random, in multiples of"
            + " the trajectory's extent for pca (default 1.0)")
    double span = 1.0;

    @Option(names = "--subset", description = "training examples the training loss is measured on (default 1000)")
    int subset = 1000;

    @Option(names = "--seed", description = "seed of the subset and the random directions (default 1)")
    long seed = 1;

    @Option(names = "--overwrite", description = "replace an existing RUN_DIR/landscape whole")
    boolean overwrite;

    @CommandLine.Mixin
    DeviceFlags deviceFlags = new DeviceFlags();

    /** Most points on the line: each is two evaluations (the training subset and the test set). */
    static final int MAX_POINTS = 100_000;
    /** Most grid points per plane axis: the plane is grid² evaluations. */
    static final int MAX_GRID = 1_000;

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
        if (!plane.equals("random") && !plane.equals("pca") && !plane.equals("none")) {
            throw new InvalidInputException("--plane must be random, pca or none, not '" + plane + "'");
        }
        deviceFlags.validate();
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
            int startIndex = -1;
            double[] d1 = null;
            double[] d2 = null;
            double[] explained = null;
            double[] as = null;
            double[] bs = null;
            if (!plane.equals("none")) {
                for (Path f : RunDirectories.checkpoints(runDir)) {
                    if (f.equals(fromFile)) {
                        startIndex = names.size();
                    }
                    names.add(f.getFileName().toString().replace(".safetensors", ""));
                    trajectory.add(land.parameters(f));
                }
                if (plane.equals("random")) {
                    SplittableRandom rng = new SplittableRandom(seed);
                    d1 = LandscapeDirections.filterNormalized(land.mlp(), theta1, rng);
                    d2 = LandscapeDirections.filterNormalized(land.mlp(), theta1, rng);
                    as = LossLandscape.linspace(-span, span, grid);
                    bs = as;
                } else {
                    LandscapeDirections.Principal pc;
                    try {
                        pc = LandscapeDirections.principal(trajectory, theta1);
                    } catch (InvalidInputException e) {
                        throw new InvalidInputException("--plane pca: " + e.getMessage(), e);
                    }
                    d1 = pc.first();
                    d2 = pc.second();
                    explained = pc.explainedVariance();
                    double[][] c = LandscapeDirections.project(trajectory, theta1, d1, d2);
                    double ra = 0;
                    double rb = 0;
                    for (double[] ab : c) {
                        ra = Math.max(ra, Math.abs(ab[0]));
                        rb = Math.max(rb, Math.abs(ab[1]));
                    }
                    // Each axis covers the trajectory with a 20% margin, times --span.
                    as = LossLandscape.linspace(-1.2 * span * ra, 1.2 * span * ra, grid);
                    bs = LossLandscape.linspace(-1.2 * span * Math.max(rb, 1e-3 * ra),
                            1.2 * span * Math.max(rb, 1e-3 * ra), grid);
                }
            }
            OutputCheck.requireWritable("--run-dir", out, "line.csv", "plane.csv", "landscape.json");

            LossLandscape.Line line = land.line(theta0, theta1, LossLandscape.linspace(alphaMin, alphaMax, points));
            LossLandscape.Plane p = plane.equals("none") ? null
                    : land.plane(plane, theta1, d1, d2, as, bs, names, trajectory, explained);

            writer.lock();
            if (overwrite) {
                old = OutputDirectories.replace(out);
            }
            LossLandscape.writeLine(out, line);
            int m = line.minIndex();
            System.out.printf(Locale.ROOT, "line %s → %s: train loss %.5g at α=0, %.5g at α=1, minimum %.5g at"
                    + " α=%.3g; %s, %s%n", from, to, at(line, 0), at(line, 1), line.trainLoss()[m], line.alpha()[m],
                    line.monotoneFromStartToEnd() ? "monotone from θ₀ to θ₁" : "not monotone from θ₀ to θ₁",
                    line.convexLooking() ? "convex-looking" : "not convex");
            if (p != null) {
                LossLandscape.writePlane(out, p, startIndex);
                System.out.printf(Locale.ROOT, "plane (%s, %d×%d): training loss from %.5g to %.5g%s%n", plane,
                        grid, grid, min(p.loss()), max(p.loss()), explained == null ? ""
                                : String.format(Locale.ROOT, "; the two directions explain %.1f%% and %.1f%% of the"
                                        + " trajectory's variance", 100 * explained[0], 100 * explained[1]));
            }
            Map<String, Object> header = new LinkedHashMap<>();
            header.put("run_dir", runDir.toString());
            header.put("from", fromFile.toString());
            header.put("to", toFile.toString());
            header.put("subset", subset);
            header.put("seed", seed);
            LossLandscape.writeSummary(out, header, line, p);
            if (old != null) {
                old.discard();
                old = null;
            }
            System.out.println("wrote " + out);
            return 0;
        } finally {
            if (old != null) {
                old.restore(); // failed half-way: the old landscape goes back
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

    private static double at(LossLandscape.Line line, double alpha) {
        int best = 0;
        for (int i = 0; i < line.alpha().length; i++) {
            if (Math.abs(line.alpha()[i] - alpha) < Math.abs(line.alpha()[best] - alpha)) {
                best = i;
            }
        }
        return line.trainLoss()[best];
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
