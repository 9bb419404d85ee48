package io.ravine.landscape;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.data.Dataset;
import io.ravine.io.AtomicFiles;
import io.ravine.io.StrictJson;
import io.ravine.nn.Mlp;
import io.ravine.report.ContourPlot;
import io.ravine.report.LinePlot;
import io.ravine.report.ReportFiles;
import io.ravine.report.SurfacePlot;
import io.ravine.train.Checkpoint;
import io.ravine.train.RunDirectories;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Loss-surface slices of a finished run (Goodfellow, Vinyals &amp; Saxe 2015; Li et al. 2018). The run's own
 * configuration rebuilds the data (same normalization, same test split) and the model through a {@link Trainer};
 * each point's θ is set on the model and evaluated there, so it runs on any backend.
 *
 * <ul>
 *   <li>{@link #line}: J(θ(α)) with θ(α) = (1 − α)θ₀ + αθ₁, the training loss (on a fixed seeded subset of the
 *       training examples) and the test loss;</li>
 *   <li>{@link #plane}: the training loss on a grid θ₁ + a d₁ + b d₂, with the run's checkpoints projected onto
 *       the plane.</li>
 * </ul>
 */
public final class LossLandscape implements AutoCloseable {
    private final Path runDir;
    private final Trainer trainer;
    private final Dataset subset;
    /** Called after each loss evaluation (a progress line counts them); nothing by default. */
    private Runnable onEvaluation = () -> { };

    private LossLandscape(Path runDir, Trainer trainer, Dataset subset) {
        this.runDir = runDir;
        this.trainer = trainer;
        this.subset = subset;
    }

    /**
     * Opens the run in {@code runDir} on {@code backend}; the training loss is measured on {@code subsetSize}
     * training examples drawn with {@code seed} (all of them if there are fewer).
     */
    public static LossLandscape open(Path runDir, Backend backend, int subsetSize, long seed) {
        if (subsetSize < 1) {
            throw new InvalidInputException("--subset must be positive, got " + subsetSize);
        }
        TrainConfig config = RunDirectories.readConfig(runDir);
        Trainer trainer = new Trainer(config, backend);
        Dataset train = trainer.trainingData();
        int n = Math.min(subsetSize, train.n());
        int[] perm = new int[train.n()];
        for (int i = 0; i < perm.length; i++) {
            perm[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            int j = i + rng.nextInt(perm.length - i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int[] chosen = java.util.Arrays.copyOf(perm, n);
        java.util.Arrays.sort(chosen);
        return new LossLandscape(runDir, trainer, train.select(chosen));
    }

    public Mlp mlp() {
        return trainer.mlp();
    }

    /**
     * Calls {@code listener} after each loss evaluation (one pass over the subset or the test split): a line is
     * {@link #lineEvaluations} of them, a plane {@link #planeEvaluations}, a random walk one per checkpoint.
     *
     * @param listener what to call, on the computing thread
     * @return this
     */
    public LossLandscape onEvaluation(Runnable listener) {
        this.onEvaluation = listener;
        return this;
    }

    /**
     * The loss evaluations of {@link #line} at {@code alphas}: the training and test loss at each, and at α = 0 and
     * α = 1 where the grid misses them.
     *
     * @param alphas the line's points
     * @return how many
     */
    public static long lineEvaluations(double[] alphas) {
        boolean zero = false;
        boolean one = false;
        for (double a : alphas) {
            zero |= a == 0;
            one |= a == 1;
        }
        return 2L * alphas.length + (zero ? 0 : 2) + (one ? 0 : 2);
    }

    /**
     * The loss evaluations of {@link #plane}: the grid, each checkpoint of the trajectory, θ₀ and θ₁.
     *
     * @param spec the plane
     * @param checkpoints the checkpoints projected onto it
     * @return how many
     */
    public static long planeEvaluations(PlaneSpec spec, int checkpoints) {
        return (long) spec.as().length * spec.bs().length + checkpoints + 2;
    }

    /**
     * A checkpoint by name ({@code initial}, {@code final}, {@code step-00000100}) in the run's
     * {@code checkpoints/}, or a path to a safetensors file.
     */
    public Path checkpoint(String nameOrPath) {
        Path named = runDir.resolve("checkpoints").resolve(nameOrPath + ".safetensors");
        if (Files.isRegularFile(named)) {
            return named;
        }
        Path path = Path.of(nameOrPath);
        if (Files.isRegularFile(path)) {
            return path;
        }
        if (nameOrPath.equals("initial")) {
            throw new InvalidInputException(named + " does not exist: the line from θ₀ needs the initial"
                    + " parameters (train with --save-initial)");
        }
        throw new InvalidInputException("no checkpoint '" + nameOrPath + "' (looked for " + named + ")");
    }

    public float[] parameters(Path checkpoint) {
        return Checkpoint.loadParameters(checkpoint, mlp());
    }

    /**
     * Mean training loss (on the subset) at θ. With batch norm in training mode: the subset is one batch normalized
     * by its own statistics (a θ along a line or plane has no running statistics), the function training minimizes.
     */
    public double trainLoss(double[] theta) {
        trainer.model().setParameters(theta);
        double loss = trainer.evaluateTraining(subset).loss();
        onEvaluation.run();
        return loss;
    }

    /** Mean test loss at θ (with batch norm: the test split normalized by its own statistics, as above). */
    public double testLoss(double[] theta) {
        trainer.model().setParameters(theta);
        double loss = trainer.evaluateTraining(trainer.testData()).loss();
        onEvaluation.run();
        return loss;
    }

    /**
     * The loss along a line; index i is θ(alpha[i]). {@code atStart} and {@code atEnd} are the training and test
     * losses at α = 0 and α = 1 exactly (θ₀ and θ₁ themselves), evaluated apart where the grid misses them: with
     * --points 11 on [−0.5, 1.5] the grid has −0.1 and 0.1 but not 0.
     */
    public record Line(double[] alpha, double[] trainLoss, double[] testLoss, double[] atStart, double[] atEnd) {
        /** Index of the smallest training loss. */
        public int minIndex() {
            int best = 0;
            for (int i = 1; i < alpha.length; i++) {
                if (trainLoss[i] < trainLoss[best]) {
                    best = i;
                }
            }
            return best;
        }

        /** Whether α = {@code a} is a point of the grid. */
        public boolean onGrid(double a) {
            for (double x : alpha) {
                if (x == a) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Whether the training loss never rises from θ₀ to θ₁ (Goodfellow et al.'s finding for most networks): over
         * θ₀, the grid points strictly between, and θ₁, allowing float32 rounding of the evaluation (1e-6 of the
         * loss).
         */
        public boolean monotoneFromStartToEnd() {
            double prev = atStart[0];
            for (int i = 0; i < alpha.length; i++) {
                if (alpha[i] <= 0 || alpha[i] >= 1) {
                    continue;
                }
                if (trainLoss[i] > prev + 1e-6 * Math.abs(prev)) {
                    return false;
                }
                prev = trainLoss[i];
            }
            return !(atEnd[0] > prev + 1e-6 * Math.abs(prev));
        }

        /** Whether every second difference of the training loss is ≥ 0 (to float32 rounding): convex-looking. */
        public boolean convexLooking() {
            double scale = 0;
            for (double v : trainLoss) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 1; i + 1 < alpha.length; i++) {
                double h1 = alpha[i] - alpha[i - 1];
                double h2 = alpha[i + 1] - alpha[i];
                double second = (trainLoss[i + 1] - trainLoss[i]) / h2 - (trainLoss[i] - trainLoss[i - 1]) / h1;
                if (second * Math.min(h1, h2) < -1e-6 * scale) {
                    return false;
                }
            }
            return true;
        }
    }

    /** J(θ(α)) for θ(α) = (1 − α)θ₀ + αθ₁ at each α, and at α = 0 and 1 exactly (see {@link Line}). */
    public Line line(float[] theta0, float[] theta1, double[] alphas) {
        double[] train = new double[alphas.length];
        double[] test = new double[alphas.length];
        double[] theta = new double[theta0.length];
        double[] atStart = null;
        double[] atEnd = null;
        for (int k = 0; k < alphas.length; k++) {
            double a = alphas[k];
            for (int i = 0; i < theta.length; i++) {
                theta[i] = (1 - a) * theta0[i] + a * theta1[i];
            }
            train[k] = trainLoss(theta);
            test[k] = testLoss(theta);
            if (a == 0) {
                atStart = new double[] {train[k], test[k]};
            } else if (a == 1) {
                atEnd = new double[] {train[k], test[k]};
            }
        }
        if (atStart == null) {
            atStart = new double[] {trainLoss(toDouble(theta0)), testLoss(toDouble(theta0))};
        }
        if (atEnd == null) {
            atEnd = new double[] {trainLoss(toDouble(theta1)), testLoss(toDouble(theta1))};
        }
        return new Line(alphas.clone(), train, test, atStart, atEnd);
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    /**
     * The training loss on the grid center + a d₁ + b d₂ ({@code loss[j][i]} at a = as[i], b = bs[j]), with the
     * checkpoints' coordinates in the plane ({@code trajectory[k]} = (a, b) of checkpoint k), where θ₀ and θ₁ fall
     * ({@code from}, {@code to}) and their training losses. {@code explainedVariance} is the pca plane's two shares;
     * {@code residualShare} and {@code planeShare} the trajectory plane's (see
     * {@link LandscapeDirections.TrajectoryPlane}); null where they do not apply.
     */
    public record Plane(String kind, double[] as, double[] bs, double[][] loss, List<String> checkpoints,
            double[][] trajectory, double[] trajectoryLoss, double[] explainedVariance, double[] from, double[] to,
            double fromLoss, double toLoss, Double residualShare, Double planeShare) {
    }

    /** What a plane is spanned by, before any loss is computed: its kind, centre, directions and grid. */
    public record PlaneSpec(String kind, float[] center, double[] d1, double[] d2, double[] as, double[] bs,
            double[] explainedVariance, Double residualShare, Double planeShare) {
    }

    /**
     * The plane {@code spec}; {@code trajectory} holds the checkpoints to project (named by {@code names}), θ₀ and
     * θ₁ are marked.
     */
    public Plane plane(PlaneSpec spec, float[] theta0, float[] theta1, List<String> names, List<float[]> trajectory) {
        double[] as = spec.as();
        double[] bs = spec.bs();
        double[][] loss = new double[bs.length][as.length];
        float[] center = spec.center();
        double[] d1 = spec.d1();
        double[] d2 = spec.d2();
        double[] theta = new double[center.length];
        for (int j = 0; j < bs.length; j++) {
            for (int i = 0; i < as.length; i++) {
                for (int p = 0; p < theta.length; p++) {
                    theta[p] = center[p] + as[i] * d1[p] + bs[j] * d2[p];
                }
                loss[j][i] = trainLoss(theta);
            }
        }
        double[][] coords = LandscapeDirections.project(trajectory, center, d1, d2);
        double[] tl = new double[trajectory.size()];
        for (int k = 0; k < tl.length; k++) {
            tl[k] = trainLoss(toDouble(trajectory.get(k)));
        }
        double[][] ends = LandscapeDirections.project(List.of(theta0, theta1), center, d1, d2);
        return new Plane(spec.kind(), as.clone(), bs.clone(), loss, List.copyOf(names), coords, tl,
                spec.explainedVariance(), ends[0], ends[1], trainLoss(toDouble(theta0)), trainLoss(toDouble(theta1)),
                spec.residualShare(), spec.planeShare());
    }

    /**
     * The random-walk control (the 2015 talk): from θ₀, steps of the path's own lengths (its successive checkpoint
     * distances) in directions drawn uniformly at random ({@code seed}), each point projected onto the plane and
     * its training loss measured.
     *
     * @param steps the step lengths
     * @param points the walk's coordinates in the plane, index 0 = θ₀
     * @param loss the training loss at each point of the walk
     * @param displacement ‖w_T − θ₀‖, the walk's net distance; about √(Σ s²) for a random walk
     * @param pathLength Σ s, the same for the walk and the path
     * @param pathDisplacement ‖θ_T − θ₀‖ of the path (its last checkpoint)
     * @param inPlane the share of the walk's net displacement w_T − θ₀ that lies in the plane, ‖proj‖/‖w_T − θ₀‖
     */
    public record RandomWalk(long seed, double[] steps, double[][] points, double[] loss, double displacement,
            double pathLength, double pathDisplacement, double inPlane) {
    }

    /** The random-walk control of the path {@code trajectory} from θ₀, on the plane {@code spec}; see {@link RandomWalk}. */
    public RandomWalk randomWalk(PlaneSpec spec, float[] theta0, List<float[]> trajectory, long seed) {
        double[] steps = LandscapeDirections.stepLengths(trajectory);
        double[] w = toDouble(theta0);
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] points = new double[steps.length + 1][];
        double[] loss = new double[steps.length + 1];
        points[0] = LandscapeDirections.project(w, spec.center(), spec.d1(), spec.d2());
        loss[0] = trainLoss(w);
        double length = 0;
        for (int k = 0; k < steps.length; k++) {
            LandscapeDirections.randomStep(w, steps[k], rng);
            points[k + 1] = LandscapeDirections.project(w, spec.center(), spec.d1(), spec.d2());
            loss[k + 1] = trainLoss(w);
            length += steps[k];
        }
        double net = 0;
        for (int i = 0; i < w.length; i++) {
            double d = w[i] - theta0[i];
            net += d * d;
        }
        net = Math.sqrt(net);
        double pathNet = 0;
        float[] last = trajectory.get(trajectory.size() - 1);
        float[] first = trajectory.get(0);
        for (int i = 0; i < last.length; i++) {
            double d = (double) last[i] - first[i];
            pathNet += d * d;
        }
        // The walk's net displacement in the plane: (a, b) of w_T minus (a, b) of θ₀, mapped back through d₁, d₂.
        double[] a0 = points[0];
        double[] aT = points[points.length - 1];
        double da = aT[0] - a0[0];
        double db = aT[1] - a0[1];
        double[] d1 = spec.d1();
        double[] d2 = spec.d2();
        double inPlane = 0;
        for (int i = 0; i < d1.length; i++) {
            double v = da * d1[i] + db * d2[i];
            inPlane += v * v;
        }
        return new RandomWalk(seed, steps, points, loss, net, length, Math.sqrt(pathNet),
                net > 0 ? Math.sqrt(inPlane) / net : 0);
    }

    /** n evenly spaced values from lo to hi inclusive. */
    public static double[] linspace(double lo, double hi, int n) {
        if (n < 2) {
            throw new InvalidInputException("need at least 2 points, got " + n);
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * i / (n - 1);
        }
        return v;
    }

    // ---- output ----

    /** Writes line.csv and line.png (θ₀ and θ₁ marked at their exact losses) into {@code dir}. */
    public static void writeLine(Path dir, Line line) {
        StringBuilder csv = new StringBuilder();
        try (CSVPrinter p = new CSVPrinter(csv, CSVFormat.DEFAULT.builder()
                .setHeader("alpha", "train_loss", "test_loss").get())) {
            for (int i = 0; i < line.alpha().length; i++) {
                p.printRecord(line.alpha()[i], line.trainLoss()[i], line.testLoss()[i]);
            }
            Files.createDirectories(dir);
            AtomicFiles.writeString(dir.resolve("line.csv"), csv.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve("line.csv"), e);
        }
        Path png = dir.resolve(LINE_PNG);
        ReportFiles.bestEffort(png, () -> new LinePlot("Loss along θ(α) = (1 − α)θ₀ + αθ₁", "α", "loss")
                .series("train (subset)", line.alpha(), line.trainLoss())
                .series("test", line.alpha(), line.testLoss())
                .series("θ₀ and θ₁ (train)", new double[] {0, 1}, new double[] {line.atStart()[0], line.atEnd()[0]},
                        java.awt.Color.BLACK, false, true)
                .verticalLine(0, "α = 0 (θ₀) and α = 1 (θ₁)").verticalLine(1, "α = 0 (θ₀) and α = 1 (θ₁)").write(png));
    }

    /** The pictures of a plane, in landscape/. */
    public static final String PLANE_PNG = "plane.png";
    public static final String SURFACE_PNG = "surface.png";
    public static final String LINE_PNG = "line.png";
    public static final String WALK_PNG = "random-walk.png";

    /** The colour of the random walk on both pictures (white, dashed: apart from the path's red and viridis). */
    private static final java.awt.Color WALK = java.awt.Color.WHITE;

    /**
     * Writes plane.csv, then plane.png (contour map with the path, θ₀, θ₁ and the random walk if there is one) and
     * surface.png (the same plane in 3-D, the path and the walk at their own training losses) into {@code dir}.
     */
    public static void writePlane(Path dir, Plane plane, RandomWalk walk) {
        StringBuilder csv = new StringBuilder();
        try (CSVPrinter p = new CSVPrinter(csv, CSVFormat.DEFAULT.builder().setHeader("a", "b", "train_loss")
                .get())) {
            for (int j = 0; j < plane.bs().length; j++) {
                for (int i = 0; i < plane.as().length; i++) {
                    p.printRecord(plane.as()[i], plane.bs()[j], plane.loss()[j][i]);
                }
            }
            Files.createDirectories(dir);
            AtomicFiles.writeString(dir.resolve("plane.csv"), csv.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve("plane.csv"), e);
        }
        double[][] t = plane.trajectory();
        double[] tx = new double[t.length];
        double[] ty = new double[t.length];
        for (int k = 0; k < t.length; k++) {
            tx[k] = t[k][0];
            ty[k] = t[k][1];
        }
        double[] wx = null;
        double[] wy = null;
        if (walk != null) {
            wx = new double[walk.points().length];
            wy = new double[walk.points().length];
            for (int k = 0; k < wx.length; k++) {
                wx[k] = walk.points()[k][0];
                wy[k] = walk.points()[k][1];
            }
        }
        String[] axes = axisLabels(plane.kind());
        Path png = dir.resolve(PLANE_PNG);
        double[] fwx = wx;
        double[] fwy = wy;
        ReportFiles.bestEffort(png, () -> {
            ContourPlot plot = new ContourPlot("Training loss on the " + plane.kind() + " plane" + through(plane),
                    axes[0], axes[1]).grid(plane.as(), plane.bs(), plane.loss()).colourLabel("loss")
                    .trajectory(tx, ty);
            if (fwx != null) {
                plot.trajectory(fwx, fwy, WALK, true).legend("training path", ContourPlot.TRAJECTORY, false)
                        .legend("random walk, same step lengths", WALK, true);
            }
            plot.marker(plane.from()[0], plane.from()[1], "θ₀");
            plot.endMarker(plane.to()[0], plane.to()[1], "θ₁");
            plot.write(png);
        });
        Path surface = dir.resolve(SURFACE_PNG);
        ReportFiles.bestEffort(surface, () -> {
            String[] shortAxes = plane.kind().equals("trajectory") ? new String[] {"θ₀→θ₁ (α)", "residual"}
                    : plane.kind().equals("pca") ? new String[] {"PC 1", "PC 2"}
                    : new String[] {"direction 1", "direction 2"};
            SurfacePlot plot = new SurfacePlot("Training loss on the " + plane.kind() + " plane" + through(plane),
                    shortAxes[0], shortAxes[1], "loss").grid(plane.as(), plane.bs(), plane.loss())
                    .path(tx, ty, plane.trajectoryLoss(), SurfacePlot.PATH, false);
            if (fwx != null) {
                plot.path(fwx, fwy, walk.loss(), WALK, true).legend("training path", SurfacePlot.PATH)
                        .legend("random walk", WALK);
            }
            plot.marker(plane.from()[0], plane.from()[1], plane.fromLoss(), "θ₀", java.awt.Color.WHITE);
            plot.marker(plane.to()[0], plane.to()[1], plane.toLoss(), "θ₁", SurfacePlot.PATH);
            plot.write(surface);
        });
        if (walk != null && walk.steps().length == plane.trajectoryLoss().length - 1) {
            // The loss against the distance travelled: the path's checkpoints and the walk's points, step for step.
            double[] travelled = new double[walk.steps().length + 1];
            for (int k = 0; k < walk.steps().length; k++) {
                travelled[k + 1] = travelled[k] + walk.steps()[k];
            }
            Path walkPng = dir.resolve(WALK_PNG);
            ReportFiles.bestEffort(walkPng, () -> new LinePlot("Training loss along the path and along a random walk"
                    + " of the same step lengths", "distance travelled from θ₀", "training loss")
                    .series("training path (checkpoints)", travelled, plane.trajectoryLoss(), ContourPlot.TRAJECTORY,
                            false, true)
                    .series("random walk (seed " + walk.seed() + ")", travelled, walk.loss(),
                            new java.awt.Color(90, 90, 90), true, true)
                    .write(walkPng));
        }
    }

    private static String[] axisLabels(String kind) {
        return switch (kind) {
            case "pca" -> new String[] {"principal direction 1", "principal direction 2"};
            case "trajectory" -> new String[] {"θ₀→θ₁ (a = α of the line)", "residual of the path (units of ‖θ₁ − θ₀‖)"};
            default -> new String[] {"filter-normalised direction 1", "filter-normalised direction 2"};
        };
    }

    private static String through(Plane plane) {
        return plane.kind().equals("trajectory") ? " (θ₀→θ₁ and the path's residual)" : " through θ₁";
    }

    /**
     * Writes landscape.json: the line, its minimum and shape, and the plane's kind, grid and trajectory, and the
     * random walk. A loss that overflowed (a blown-up θ, or far out on the line) is null with a status
     * ({@link StrictJson}).
     */
    public static void writeSummary(Path dir, Map<String, Object> header, Line line, Plane plane, RandomWalk walk) {
        Map<String, Object> root = new LinkedHashMap<>(header);
        if (line != null) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("alphas", line.alpha());
            l.put("train_loss", line.trainLoss());
            l.put("test_loss", line.testLoss());
            // θ₀ and θ₁ themselves, whether or not the grid has α = 0 and 1.
            l.put("initial_train_loss", line.atStart()[0]);
            l.put("initial_test_loss", line.atStart()[1]);
            l.put("final_train_loss", line.atEnd()[0]);
            l.put("final_test_loss", line.atEnd()[1]);
            int m = line.minIndex();
            l.put("min_alpha", line.alpha()[m]);
            l.put("min_train_loss", line.trainLoss()[m]);
            l.put("monotone_from_initial_to_final", line.monotoneFromStartToEnd());
            l.put("convex_looking", line.convexLooking());
            root.put("line", l);
        }
        if (plane != null) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("kind", plane.kind());
            p.put("center", plane.kind().equals("trajectory") ? "initial" : "final");
            p.put("a", plane.as());
            p.put("b", plane.bs());
            if (plane.explainedVariance() != null) {
                p.put("explained_variance", plane.explainedVariance());
            }
            if (plane.residualShare() != null) {
                p.put("residual_share", plane.residualShare());
                p.put("path_share_in_plane", plane.planeShare());
            }
            p.put("initial", plane.from());
            p.put("final", plane.to());
            List<Map<String, Object>> traj = new ArrayList<>();
            for (int k = 0; k < plane.checkpoints().size(); k++) {
                Map<String, Object> pt = new LinkedHashMap<>();
                pt.put("checkpoint", plane.checkpoints().get(k));
                pt.put("a", plane.trajectory()[k][0]);
                pt.put("b", plane.trajectory()[k][1]);
                pt.put("train_loss", plane.trajectoryLoss()[k]);
                traj.add(pt);
            }
            p.put("trajectory", traj);
            root.put("plane", p);
        }
        if (walk != null) {
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("seed", walk.seed());
            w.put("step_lengths", walk.steps());
            w.put("path_length", walk.pathLength());
            w.put("path_net_displacement", walk.pathDisplacement());
            w.put("walk_net_displacement", walk.displacement());
            w.put("walk_share_in_plane", walk.inPlane());
            w.put("walk_final_train_loss", walk.loss()[walk.loss().length - 1]);
            List<Map<String, Object>> pts = new ArrayList<>();
            for (int k = 0; k < walk.points().length; k++) {
                Map<String, Object> pt = new LinkedHashMap<>();
                pt.put("a", walk.points()[k][0]);
                pt.put("b", walk.points()[k][1]);
                pt.put("train_loss", walk.loss()[k]);
                pts.add(pt);
            }
            w.put("points", pts);
            root.put("random_walk", w);
        }
        try {
            Files.createDirectories(dir);
            AtomicFiles.writeString(dir.resolve("landscape.json"), StrictJson.toJson(root));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve("landscape.json"), e);
        }
    }

    @Override
    public void close() {
        trainer.close();
    }
}
