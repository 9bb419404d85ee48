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

    /** Mean training loss (on the subset) at θ. */
    public double trainLoss(double[] theta) {
        trainer.model().setParameters(theta);
        return trainer.evaluate(subset).loss();
    }

    /** Mean test loss at θ. */
    public double testLoss(double[] theta) {
        trainer.model().setParameters(theta);
        return trainer.evaluate(trainer.testData()).loss();
    }

    /** The loss along a line; index i is θ(alpha[i]). */
    public record Line(double[] alpha, double[] trainLoss, double[] testLoss) {
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

        /**
         * Whether the training loss never rises between α = 0 and α = 1 (Goodfellow et al.'s finding for most
         * networks), allowing float32 rounding of the evaluation (1e-6 of the loss).
         */
        public boolean monotoneFromStartToEnd() {
            double prev = Double.NaN;
            for (int i = 0; i < alpha.length; i++) {
                if (alpha[i] < 0 || alpha[i] > 1) {
                    continue;
                }
                if (!Double.isNaN(prev) && trainLoss[i] > prev + 1e-6 * Math.abs(prev)) {
                    return false;
                }
                prev = trainLoss[i];
            }
            return true;
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

    /** J(θ(α)) for θ(α) = (1 − α)θ₀ + αθ₁ at each α. */
    public Line line(float[] theta0, float[] theta1, double[] alphas) {
        double[] train = new double[alphas.length];
        double[] test = new double[alphas.length];
        double[] theta = new double[theta0.length];
        for (int k = 0; k < alphas.length; k++) {
            double a = alphas[k];
            for (int i = 0; i < theta.length; i++) {
                theta[i] = (1 - a) * theta0[i] + a * theta1[i];
            }
            train[k] = trainLoss(theta);
            test[k] = testLoss(theta);
        }
        return new Line(alphas.clone(), train, test);
    }

    /**
     * The training loss on the grid θ₁ + a d₁ + b d₂ ({@code loss[j][i]} at a = as[i], b = bs[j]), with the
     * checkpoints' coordinates in the plane ({@code trajectory[k]} = (a, b) of checkpoint k).
     */
    public record Plane(String kind, double[] as, double[] bs, double[][] loss, List<String> checkpoints,
            double[][] trajectory, double[] trajectoryLoss, double[] explainedVariance) {
    }

    /**
     * The plane through θ₁ spanned by {@code d1}, {@code d2}; {@code as} and {@code bs} are the grid's
     * coordinates, {@code trajectory} the checkpoints to project (named by {@code names}).
     */
    public Plane plane(String kind, float[] theta1, double[] d1, double[] d2, double[] as, double[] bs,
            List<String> names, List<float[]> trajectory, double[] explainedVariance) {
        double[][] loss = new double[bs.length][as.length];
        double[] theta = new double[theta1.length];
        for (int j = 0; j < bs.length; j++) {
            for (int i = 0; i < as.length; i++) {
                for (int p = 0; p < theta.length; p++) {
                    theta[p] = theta1[p] + as[i] * d1[p] + bs[j] * d2[p];
                }
                loss[j][i] = trainLoss(theta);
            }
        }
        double[][] coords = LandscapeDirections.project(trajectory, theta1, d1, d2);
        double[] tl = new double[trajectory.size()];
        for (int k = 0; k < tl.length; k++) {
            float[] t = trajectory.get(k);
            double[] td = new double[t.length];
            for (int p = 0; p < t.length; p++) {
                td[p] = t[p];
            }
            tl[k] = trainLoss(td);
        }
        return new Plane(kind, as.clone(), bs.clone(), loss, List.copyOf(names), coords, tl, explainedVariance);
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

    /** Writes line.csv and line.png into {@code dir}. */
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
        Path png = dir.resolve("line.png");
        ReportFiles.bestEffort(png, () -> new LinePlot("Loss along θ(α) = (1 − α)θ₀ + αθ₁", "α", "loss")
                .series("train (subset)", line.alpha(), line.trainLoss())
                .series("test", line.alpha(), line.testLoss())
                .verticalLine(0).verticalLine(1).write(png));
    }

    /** Writes plane.csv and plane.png into {@code dir}; {@code startIndex} marks θ₀ among the checkpoints (or −1). */
    public static void writePlane(Path dir, Plane plane, int startIndex) {
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
        Path png = dir.resolve("plane.png");
        ReportFiles.bestEffort(png, () -> {
            double[][] t = plane.trajectory();
            double[] tx = new double[t.length];
            double[] ty = new double[t.length];
            for (int k = 0; k < t.length; k++) {
                tx[k] = t[k][0];
                ty[k] = t[k][1];
            }
            String axes = plane.kind().equals("pca") ? "principal direction " : "filter-normalised direction ";
            ContourPlot plot = new ContourPlot("Training loss on the " + plane.kind() + " plane through θ₁",
                    axes + "1", axes + "2").grid(plane.as(), plane.bs(), plane.loss()).colourLabel("loss")
                    .trajectory(tx, ty);
            if (startIndex >= 0) {
                plot.marker(tx[startIndex], ty[startIndex], "θ₀");
            }
            // θ₁ is the plane's centre by construction.
            plot.endMarker(0, 0, "θ₁");
            plot.write(png);
        });
    }

    /**
     * Writes landscape.json: the line, its minimum and shape, and the plane's kind, grid and trajectory. A loss
     * that overflowed (a blown-up θ, or far out on the line) is null with a status ({@link StrictJson}).
     */
    public static void writeSummary(Path dir, Map<String, Object> header, Line line, Plane plane) {
        Map<String, Object> root = new LinkedHashMap<>(header);
        if (line != null) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("alphas", line.alpha());
            l.put("train_loss", line.trainLoss());
            l.put("test_loss", line.testLoss());
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
            p.put("a", plane.as());
            p.put("b", plane.bs());
            if (plane.explainedVariance() != null) {
                p.put("explained_variance", plane.explainedVariance());
            }
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
