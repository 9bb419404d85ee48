package io.ravine.report;

import io.ravine.backend.Activation;
import io.ravine.diagnose.Curvature;
import io.ravine.diagnose.Diagnosis;
import io.ravine.diagnose.DiagnosisPlots;
import io.ravine.diagnose.CheckpointSpectra;
import io.ravine.diagnose.DirectionalCurvature;
import io.ravine.diagnose.HessianSpectrum;
import io.ravine.diagnose.SpectralDensity;
import io.ravine.diagnose.UnitStatistics;
import io.ravine.landscape.LossLandscape;
import io.ravine.toy.EarlyDecay;
import io.ravine.toy.ToyRun;
import io.ravine.toy.ToySurface;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every chart Ravine draws, drawn by its own producer from realistic data with the awkward ranges real runs have
 * (a log axis spanning less than a decade, values such as 0.37660000001, negative eigenvalues, constant series, a
 * single point), then checked as painted by {@link ChartLegibility}: at least three labelled ticks per axis, no two
 * overlapping, each rounded for humans, and a legend entry for every line (marker lines included) where a chart has
 * two or more.
 *
 * <p>The charts, by producer (file names as written):
 * <ul>
 * <li>train report ({@link RunReport#curveCharts}): loss.png, accuracy.png, grad-norm.png, learning-rate.png,
 * curvature-along-gradient.png, step-second-order-terms.png;</li>
 * <li>diagnose ({@link DiagnosisPlots#write}): activations-layer-K.png, hessian-eigenvalues.png,
 * hessian-density.png, second-order.png, directional-curvature.png; {@code --all-checkpoints}
 * ({@link DiagnosisPlots#writeCheckpoints}): diagnosis-checkpoints.png (two panels, each checked);</li>
 * <li>landscape ({@link LossLandscape#writeLine}, {@link LossLandscape#writePlane}): line.png, plane.png
 * (contour map), surface.png (3-D surface), random-walk.png;</li>
 * <li>toys ({@link ToyRun.Result#write}): contour.png, surface.png, optimizers.png (several paths and a legend),
 * plateau.png, velocity.png; early decay ({@link EarlyDecay.Result#write}): decay.png, learning-rate.png,
 * contour.png;</li>
 * <li>elsewhere, with the same checks: the batch-size study's time-per-update.png, samples-per-second.png,
 * steps-to-target.png, noise-scale.png and the sweep's final-loss-vs-lr.png in {@code
 * io.ravine.study.StudyChartsLegibleTest}; the second-order bench's loss-vs-passes.png and loss-vs-seconds.png in
 * {@code io.ravine.bench.BenchChartsLegibleTest}.</li>
 * </ul>
 * The batch-norm experiment (bench/batchnorm-experiment.sh) draws no chart of its own: its runs' reports are the
 * train report's. A new chart: add a case to {@link #charts()} (or to the class of its package) that runs its
 * producer and names the files it must write.
 */
class EveryChartIsLegibleTest {

    /** Writes charts into a directory. */
    @FunctionalInterface
    interface Producer {
        void write(Path dir) throws Exception;
    }

    static Arguments chart(String name, Producer producer, String... files) {
        return Arguments.of(name, producer, List.of(files));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("charts")
    void everyChartIsLegible(String name, Producer producer, List<String> files, @TempDir Path dir)
            throws Exception {
        List<ChartLegibility.Picture> pictures = ChartLegibility.capture(() -> producer.write(dir));
        ChartLegibility.assertLegible(pictures, files);
    }

    static List<Arguments> charts() {
        List<Arguments> a = new ArrayList<>();
        List<String> train = List.of(RunReport.LOSS_PLOT, RunReport.ACCURACY_PLOT, RunReport.GRADIENT_NORM_PLOT,
                RunReport.LEARNING_RATE_PLOT, RunReport.CURVATURE_PLOT, RunReport.STEP_TERMS_PLOT);
        a.add(chart("train report: a typical run", dir -> trainCharts(dir, typicalRun(), 469),
                train.toArray(String[]::new)));
        a.add(chart("train report: awkward ranges", dir -> trainCharts(dir, awkwardRun(), 0),
                train.toArray(String[]::new)));
        a.add(chart("train report: a long run", dir -> trainCharts(dir, longRun(), 0), RunReport.LOSS_PLOT,
                RunReport.GRADIENT_NORM_PLOT, RunReport.LEARNING_RATE_PLOT));
        a.add(chart("diagnose: a typical diagnosis", dir -> DiagnosisPlots.write(typicalDiagnosis(), dir),
                "activations-layer-1.png", "activations-layer-2.png", DiagnosisPlots.EIGENVALUES,
                DiagnosisPlots.DENSITY, DiagnosisPlots.SECOND_ORDER, DiagnosisPlots.DIRECTIONAL));
        a.add(chart("diagnose: awkward ranges", dir -> DiagnosisPlots.write(awkwardDiagnosis(), dir),
                "activations-layer-1.png", DiagnosisPlots.EIGENVALUES, DiagnosisPlots.SECOND_ORDER,
                DiagnosisPlots.DIRECTIONAL));
        a.add(chart("diagnose --all-checkpoints: loss over decades, saddles", dir -> DiagnosisPlots.writeCheckpoints(
                checkpoints(12, u -> 2.3 * Math.pow(0.02, u), u -> -0.8 * Math.pow(1e-3, u), u -> (int) (7 * (1 - u))),
                dir.resolve(DiagnosisPlots.CHECKPOINTS)), DiagnosisPlots.CHECKPOINTS));
        a.add(chart("diagnose --all-checkpoints: loss within a decade, no saddle", dir ->
                DiagnosisPlots.writeCheckpoints(checkpoints(5, u -> 0.41 - 0.03233999999 * u, u -> 1e-4 * (1 + 2 * u),
                        u -> 0), dir.resolve(DiagnosisPlots.CHECKPOINTS)), DiagnosisPlots.CHECKPOINTS));
        a.add(chart("landscape: a trajectory plane with a random walk", dir -> {
            LossLandscape.writeLine(dir, line(u -> 0.05 + 2.4 * u * u));
            LossLandscape.writePlane(dir, plane("trajectory", 1.5, (x, y) -> 0.05 + 2 * (x - 1) * (x - 1)
                    + 8 * y * y + 0.3 * Math.sin(3 * x)), walk());
        }, LossLandscape.LINE_PNG, LossLandscape.PLANE_PNG, LossLandscape.SURFACE_PNG, LossLandscape.WALK_PNG));
        a.add(chart("landscape: a nearly flat, tiny plane", dir -> {
            LossLandscape.writeLine(dir, line(u -> 0.37660000001 + 1e-7 * u));
            LossLandscape.writePlane(dir, plane("pca", 0.0012, (x, y) -> 0.37660000001 + 3e-2 * (x * x + y * y)),
                    null);
        }, LossLandscape.LINE_PNG, LossLandscape.PLANE_PNG, LossLandscape.SURFACE_PNG));
        a.add(chart("landscape: a dead network's constant plane", dir -> {
            LossLandscape.writeLine(dir, line(u -> 2.302585092994046));
            LossLandscape.writePlane(dir, plane("random", 1, (x, y) -> 2.302585092994046), null);
        }, LossLandscape.LINE_PNG, LossLandscape.PLANE_PNG, LossLandscape.SURFACE_PNG));
        for (String problem : List.of("quadratic", "rosenbrock", "saddle", "multiminima", "plateau", "plane")) {
            a.add(chart("toy " + problem, dir -> toy(problem).write(dir),
                    toy(problem).pictures().toArray(String[]::new)));
        }
        a.add(chart("toy quadratic, κ = 1000, diverging", dir -> ToyRun.run(new ToySurface.Quadratic(0.01, 10),
                new ToyRun.Settings("sgd", 0.21, 0, 40, new double[] {1, 1}, 1e-3)).write(dir),
                ToyRun.CONTOUR, ToyRun.SURFACE));
        a.add(chart("toy early decay", dir -> EarlyDecay.run(new EarlyDecay.Settings("sgd",
                EarlyDecay.Settings.DEFAULT_LR, 0, EarlyDecay.Settings.DEFAULT_STEPS, EarlyDecay.Settings.DEFAULT_START,
                EarlyDecay.Settings.DEFAULT_EIGENVALUES, EarlyDecay.Settings.DEFAULT_NOISE,
                EarlyDecay.Settings.defaultDecayStarts(EarlyDecay.Settings.DEFAULT_STEPS),
                EarlyDecay.Settings.DEFAULT_TIMESCALE, 1)).write(dir), EarlyDecay.DECAY_PLOT, EarlyDecay.LR_PLOT,
                EarlyDecay.CONTOUR));
        return a;
    }

    // ---- train report ----

    private static void trainCharts(Path dir, List<Map<String, Double>> rows, int stepsPerEpoch) {
        RunReport.ShortBatches shortBatches = stepsPerEpoch > 0 ? new RunReport.ShortBatches(stepsPerEpoch, 96)
                : RunReport.ShortBatches.NONE;
        for (Map.Entry<String, LinePlot> e : RunReport.curveCharts(rows, shortBatches).entrySet()) {
            e.getValue().write(dir.resolve(e.getKey()));
        }
    }

    private static Map<String, Double> row(double step) {
        Map<String, Double> r = new LinkedHashMap<>();
        r.put("step", step);
        return r;
    }

    /** 2000 steps of a Fashion-MNIST MLP: falling noisy loss, sparse test points, a constant lr, a diagnosis. */
    static List<Map<String, Double>> typicalRun() {
        SplittableRandom rng = new SplittableRandom(1);
        List<Map<String, Double>> rows = new ArrayList<>();
        for (int t = 0; t <= 2000; t += 10) {
            Map<String, Double> r = row(t);
            double clean = 0.3 + 2.0 * Math.exp(-t / 300.0);
            r.put("batch_loss", clean * (1 + 0.15 * rng.nextGaussian()));
            r.put("grad_norm", 0.4 + 2.5 * Math.exp(-t / 500.0) * (1 + 0.3 * rng.nextDouble()));
            r.put("lr", 0.1);
            if (t % 100 == 0) {
                r.put("train_loss", clean);
            }
            if (t % 500 == 0) {
                r.put("test_loss", clean + 0.05);
                r.put("test_accuracy", 0.88 - 0.78 * Math.exp(-t / 300.0));
                r.put("ema_test_loss", clean + 0.04);
                r.put("ema_test_accuracy", 0.885 - 0.78 * Math.exp(-t / 300.0));
            }
            if (t % 200 == 0) {
                double gg = Math.pow(0.4 + 2.5 * Math.exp(-t / 500.0), 2);
                double ghg = gg * (12 + 30 * t / 2000.0);
                r.put("gg", gg);
                r.put("gHg", ghg);
                r.put("optimal_step", gg / ghg);
                r.put("predicted_change", 0.5 * 0.01 * ghg - 0.1 * gg);
                r.put("actual_change", -0.09 * gg);
            }
            rows.add(r);
        }
        return rows;
    }

    /**
     * 300 steps whose values barely move: losses within a decade around 0.37660000001, accuracy stuck, a cosine
     * lr over three decades, negative curvature and steps that go uphill.
     */
    static List<Map<String, Double>> awkwardRun() {
        List<Map<String, Double>> rows = new ArrayList<>();
        for (int t = 0; t <= 300; t++) {
            Map<String, Double> r = row(t);
            double u = t / 300.0;
            r.put("batch_loss", 0.37660000001 + 0.033 * (1 - u) + 1e-3 * Math.sin(t));
            r.put("train_loss", 0.37660000001 + 0.03 * (1 - u));
            r.put("test_loss", 0.37660000001 + 0.031 * (1 - u));
            r.put("test_accuracy", 0.1);
            r.put("grad_norm", 0.0123 + 1e-9 * t);
            r.put("lr", 1e-4 + 0.5 * (0.1 - 1e-4) * (1 + Math.cos(Math.PI * u)));
            if (t % 30 == 0) {
                double gg = 1.5e-4;
                double ghg = -0.37660000001 + 0.02 * u;
                r.put("gg", gg);
                r.put("gHg", ghg);
                r.put("optimal_step", Double.NaN);
                r.put("predicted_change", 0.5 * 0.01 * ghg - 0.1 * gg);
                r.put("actual_change", 2e-6 * (1 - 2 * u));
            }
            rows.add(r);
        }
        return rows;
    }

    /** A million steps, logged every 10000: steps run past 10^6, the loss falls over five decades. */
    static List<Map<String, Double>> longRun() {
        List<Map<String, Double>> rows = new ArrayList<>();
        for (int t = 0; t <= 1_200_000; t += 10_000) {
            Map<String, Double> r = row(t);
            r.put("batch_loss", 2.3 * Math.exp(-t / 100_000.0) + 1e-5);
            r.put("grad_norm", 3 * Math.exp(-t / 200_000.0));
            r.put("lr", 3e-4);
            rows.add(r);
        }
        return rows;
    }

    // ---- diagnose ----

    private static UnitStatistics.Histogram histogram(double lo, double hi, int bins, DoubleUnaryOperator count) {
        double[] edges = new double[bins + 1];
        long[] counts = new long[bins];
        for (int i = 0; i <= bins; i++) {
            edges[i] = lo + (hi - lo) * i / bins;
        }
        for (int i = 0; i < bins; i++) {
            counts[i] = Math.round(count.applyAsDouble((i + 0.5) / bins));
        }
        return new UnitStatistics.Histogram(edges, counts);
    }

    private static HessianSpectrum spectrum(double[] top, double[] negative, SpectralDensity density) {
        double min = top.length == 0 ? Double.NaN : top[top.length - 1];
        for (double v : negative) {
            min = Math.min(min, v);
        }
        return new HessianSpectrum(top, new double[top.length], min, null, null, negative.length > 0, negative,
                top.length == 0 ? 0 : 30, density, null, null);
    }

    private static Curvature.GradientStudy gradient(double loss, double gg, double ghg, int points) {
        double best = ghg > 0 ? gg / ghg : 0.1;
        double[] eps = new double[points];
        double[] actual = new double[points];
        double[] quadratic = new double[points];
        for (int i = 0; i < points; i++) {
            eps[i] = 2.5 * best * i / (points - 1);
            quadratic[i] = loss - eps[i] * gg + 0.5 * eps[i] * eps[i] * ghg;
            actual[i] = quadratic[i] + 0.1 * gg * Math.pow(eps[i] / best, 3) * best;
        }
        List<Curvature.StepCheck> checks = List.of(new Curvature.StepCheck(0.5 * best, -0.1, -0.09),
                new Curvature.StepCheck(best, -0.2, -0.18), new Curvature.StepCheck(2 * best, 0, 0.05));
        return new Curvature.GradientStudy(loss, new Curvature.AlongGradient(Math.sqrt(gg), ghg, best), checks, eps,
                actual, quadratic);
    }

    private static DirectionalCurvature directional(double[] lambda, double gg) {
        int k = lambda.length;
        double[] cos2 = new double[k];
        double[] contrib = new double[k];
        double[] share = new double[k];
        double ghg = 0;
        for (int i = 0; i < k; i++) {
            cos2[i] = 0.3 / (i + 1) / (i + 1);
            contrib[i] = lambda[i] * cos2[i] * gg;
            ghg += contrib[i];
        }
        ghg *= 1.25;
        double explained = 0;
        for (int i = 0; i < k; i++) {
            share[i] = contrib[i] / ghg;
            explained += contrib[i];
        }
        return new DirectionalCurvature(gg, ghg, lambda, new double[k], cos2, contrib, share, explained,
                ghg - explained, 0.4, 1.0);
    }

    private static Diagnosis.Report report(List<UnitStatistics.Layer> units, HessianSpectrum h,
            Curvature.GradientStudy g, DirectionalCurvature d) {
        return new Diagnosis.Report(2000, 1, g, h, units, null, null, 3, 60, null, 0, Diagnosis.Precision.F64,
                null, d);
    }

    /** A 784-256-128-10 net mid-training: ReLU with dead units, logistic, 20 Ritz values, a density, its gradient. */
    static Diagnosis.Report typicalDiagnosis() {
        UnitStatistics.Layer relu = new UnitStatistics.Layer(1, Activation.RELU, 256, 31, 31 / 256.0, 0, null,
                histogram(0, 6.2, 40, u -> u < 0.03 ? 230_000 : 60_000 * Math.exp(-6 * u)),
                histogram(0, 2.1, 40, u -> 40 * Math.exp(-3 * u)), 0);
        UnitStatistics.Layer logistic = new UnitStatistics.Layer(2, Activation.LOGISTIC, 128, 0, null, 12,
                12 / 128.0, histogram(0, 1, 40, u -> 2000 + 30_000 * (u < 0.05 || u > 0.95 ? 1 : 0.1)),
                histogram(0.02, 0.98, 40, u -> 3 + 5 * Math.sin(Math.PI * u)), 0);
        double[] top = new double[20];
        for (int i = 0; i < top.length; i++) {
            top[i] = 152.3 * Math.pow(0.78, i);
        }
        int n = 400;
        double[] grid = new double[n];
        double[] density = new double[n];
        for (int i = 0; i < n; i++) {
            grid[i] = -5.7 + 165 * i / (n - 1.0);
            density[i] = 0.9 * Math.exp(-grid[i] * grid[i] / 2) + 1e-3 * Math.exp(-Math.pow(grid[i] - 150, 2) / 8);
        }
        return report(List.of(relu, logistic), spectrum(top, new double[] {-0.0421}, new SpectralDensity(grid,
                density, 1.37, 10, 80)), gradient(0.41, 1.7, 25.3, 41), directional(top, 1.7));
    }

    /**
     * A diagnosis at a saddle with little to show: three Ritz values (two negative), no density, a flat curve
     * along −g (J within 10⁻⁹ of 0.37660000001), one top direction.
     */
    static Diagnosis.Report awkwardDiagnosis() {
        UnitStatistics.Layer tanh = new UnitStatistics.Layer(1, Activation.TANH, 16, 0, null, 16, 1.0,
                histogram(-1, 1, 10, u -> u < 0.1 || u > 0.9 ? 500 : 0), histogram(-0.99999, 0.99999, 10,
                        u -> u < 0.1 || u > 0.9 ? 8 : 0), 0);
        double[] top = {0.37660000001, -0.0123, -0.37660000001};
        return report(List.of(tanh), spectrum(top, new double[] {-0.0123, -0.37660000001}, null),
                gradient(0.37660000001, 1e-9, 1e-10, 21), directional(new double[] {0.37660000001}, 1e-9));
    }

    /** {@code n} checkpoints of a run: loss, λ_min and the index at each, u from 0 (first) to 1 (last). */
    static List<CheckpointSpectra.Row> checkpoints(int n, DoubleUnaryOperator loss, DoubleUnaryOperator lambdaMin,
            java.util.function.DoubleToIntFunction index) {
        List<CheckpointSpectra.Row> rows = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            double u = k / (n - 1.0);
            double[] negative = new double[index.applyAsInt(u)];
            for (int i = 0; i < negative.length; i++) {
                negative[i] = lambdaMin.applyAsDouble(u) * (i + 1) / negative.length;
            }
            HessianSpectrum h = spectrum(new double[] {80 - 30 * u, 20, lambdaMin.applyAsDouble(u)}, negative, null);
            rows.add(new CheckpointSpectra.Row("step-" + 500 * k, 500L * k, new Diagnosis.SpectrumPoint(
                    loss.applyAsDouble(u), 0.5, h, Diagnosis.Precision.F64, 60)));
        }
        return rows;
    }

    // ---- landscape ----

    /** The line θ(α) for α in [−0.5, 1.5], the loss {@code f}(α) on it (test a little above). */
    static LossLandscape.Line line(DoubleUnaryOperator f) {
        int n = 41;
        double[] alpha = LossLandscape.linspace(-0.5, 1.5, n);
        double[] train = new double[n];
        double[] test = new double[n];
        for (int i = 0; i < n; i++) {
            double bump = alpha[i] * (1 - alpha[i]);
            train[i] = f.applyAsDouble(Math.abs(alpha[i] - 1)) + 0.1 * Math.max(0, bump) * f.applyAsDouble(0.1);
            test[i] = 1.02 * train[i];
        }
        return new LossLandscape.Line(alpha, train, test, new double[] {f.applyAsDouble(1), 1.02 * f.applyAsDouble(1)},
                new double[] {f.applyAsDouble(0), 1.02 * f.applyAsDouble(0)});
    }

    interface Surface {
        double at(double x, double y);
    }

    /** A 31 × 31 plane over [−r, 1.5 r] × [−r, r] with the loss {@code f}, a 10-checkpoint path 0 → (r, 0). */
    static LossLandscape.Plane plane(String kind, double r, Surface f) {
        double[] as = LossLandscape.linspace(-r, 1.5 * r, 31);
        double[] bs = LossLandscape.linspace(-r, r, 31);
        double[][] loss = new double[bs.length][as.length];
        for (int j = 0; j < bs.length; j++) {
            for (int i = 0; i < as.length; i++) {
                loss[j][i] = f.at(as[i] / r, bs[j] / r);
            }
        }
        int k = 10;
        double[][] path = new double[k][];
        double[] pathLoss = new double[k];
        List<String> names = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            double u = i / (k - 1.0);
            path[i] = new double[] {r * u, 0.3 * r * Math.sin(Math.PI * u)};
            pathLoss[i] = f.at(u, 0.3 * Math.sin(Math.PI * u)) * 1.01;
            names.add("step-" + 100 * i);
        }
        return new LossLandscape.Plane(kind, as, bs, loss, names, path, pathLoss, new double[] {0.71, 0.12},
                new double[] {0, 0}, new double[] {r, 0}, f.at(0, 0), f.at(1, 0), 0.05, 0.95);
    }

    /** A random walk of the path's 9 step lengths, on the trajectory plane of {@link #plane} with r = 1.5. */
    static LossLandscape.RandomWalk walk() {
        int k = 9;
        double[] steps = new double[k];
        double[][] points = new double[k + 1][];
        double[] loss = new double[k + 1];
        points[0] = new double[] {0, 0};
        loss[0] = 2.05;
        SplittableRandom rng = new SplittableRandom(7);
        for (int i = 0; i < k; i++) {
            steps[i] = 0.19;
            double angle = 2 * Math.PI * rng.nextDouble();
            points[i + 1] = new double[] {points[i][0] + 0.1 * Math.cos(angle), points[i][1] + 0.1 * Math.sin(angle)};
            loss[i + 1] = 2.05 + 0.01 * (i + 1);
        }
        return new LossLandscape.RandomWalk(7, steps, points, loss, 0.3, 1.71, 0.4, 0.25);
    }

    // ---- toys ----

    static ToyRun.Result toy(String problem) {
        ToySurface surface = switch (problem) {
            case "quadratic" -> new ToySurface.Quadratic(1, 10);
            case "rosenbrock" -> ToySurface.Rosenbrock.classic();
            case "saddle" -> new ToySurface.Saddle();
            case "multiminima" -> ToySurface.MultiMinima.standard();
            case "plateau" -> ToySurface.Plateau.standard();
            case "plane" -> ToySurface.Plane.standard();
            default -> throw new IllegalArgumentException(problem);
        };
        return ToyRun.run(surface, new ToyRun.Settings(problem.equals("plane") ? "momentum" : "sgd",
                ToyRun.Settings.defaultLearningRate(problem, "sgd"), 0.9, ToyRun.Settings.defaultSteps(problem),
                surface.defaultStart(), 1e-3));
    }
}
