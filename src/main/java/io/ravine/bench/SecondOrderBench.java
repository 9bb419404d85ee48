package io.ravine.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.DataSources;
import io.ravine.data.Dataset;
import io.ravine.data.TrainTest;
import io.ravine.io.AtomicFiles;
import io.ravine.io.StrictJson;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import io.ravine.optim.GaussNewtonProduct;
import io.ravine.optim.Lbfgs;
import io.ravine.report.LinePlot;
import io.ravine.train.MetricsLog;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The second-order benchmark of docs/second-order.md: loss against passes over the data ({@link io.ravine.train.Passes})
 * and against wall-clock seconds for Adam, L-BFGS and Newton-CG, on two problems, in one process so the ratios share
 * the machine's load:
 * <ul>
 *   <li>{@code mnist}: 784-256-10 ReLU, softmax cross-entropy, the first {@code LIMIT} Fashion-MNIST training
 *       examples z-scored, float32 CPU; each optimizer trains for {@code SECONDS} of wall-clock. Adam at B = 128,
 *       lr 1e-3; L-BFGS full batch with torch's defaults and the strong-Wolfe search; Newton-CG full batch,
 *       Gauss-Newton on a 1000-example curvature batch, its defaults (λ₀ 1, 250 CG iterations at most). The loss is
 *       the monitoring subset's (2000 fixed examples), logged every step of the closure rules and every 50 of Adam
 *       (each log is a forward pass over the subset: ≈ 10% of Adam's time, ≈ 1% of a full-batch step's).</li>
 *   <li>{@code regression}: the lectures' badly-scaled regression (x₁ ≈ 200 ± 100, x₂ ≈ 0.0025; κ ≈ 2e11; 1000
 *       examples, inputs not normalized), float64 CPU (float32 cannot place the flat direction), full batch;
 *       gradient descent at 1.9/λ_max, Adam at lr 0.1, 0.01 and 0.001, L-BFGS (strong Wolfe), Newton-CG with λ₀ = 1 (its default) and
 *       1e-12; the loss is J − J*, J* from the normal equations solved exactly.</li>
 * </ul>
 * It also times a gradient, a loss and a Gauss-Newton product over the same 1000 rows of 784-256-10 to check the
 * weights {@link io.ravine.train.Passes} gives them. Writes a run directory per optimizer, two charts per problem,
 * and {@code second-order.json}.
 *
 * <p>Usage: {@code java -cp target/ravine.jar io.ravine.bench.SecondOrderBench OUT [SECONDS] [LIMIT] [THREADS]}.
 */
public final class SecondOrderBench {
    private static final int REGRESSION_N = 1000;
    /** Where the regression's chart draws an excess loss at or below rounding. */
    private static final double FLOOR = 1e-12;

    private SecondOrderBench() {
    }

    /**
     * The lectures' badly-scaled regression (Grosse &amp; Ba, CSC421 lectures 7–8; Grosse, CSC321 notes §4.8):
     * x₁ ≈ 200 ± 100, x₂ ≈ 0.0025 ± 0.0005, t = 2 + 0.005 x₁ + 400 x₂ + 0.3 ε, one real target.
     *
     * @param n examples
     * @param seed the seed
     * @return the data set (features [n, 2], targets [n, 1])
     */
    public static Dataset badlyScaledRegression(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[2 * n];
        float[] t = new float[n];
        for (int r = 0; r < n; r++) {
            double x1 = 200 + 100 * rng.nextGaussian();
            double x2 = 0.0025 + 0.0005 * rng.nextGaussian();
            x[2 * r] = (float) x1;
            x[2 * r + 1] = (float) x2;
            t[r] = (float) (2 + 0.005 * x1 + 400 * x2 + 0.3 * rng.nextGaussian());
        }
        return new Dataset("badly-scaled regression", n, 2, x, 1, t, 0);
    }

    /** One optimizer's run: its label, its config, and where it was written. */
    private record Run(String label, TrainConfig config, Path dir) {
    }

    /**
     * Runs the benchmark.
     *
     * @param args OUT [SECONDS per optimizer on mnist, default 40] [LIMIT examples, default 10000] [THREADS, 1]
     */
    public static void main(String[] args) {
        if (args.length < 1 || args.length > 4) {
            System.err.println("usage: SecondOrderBench OUT [SECONDS] [LIMIT] [THREADS]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 40;
        int limit = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonObject report = new JsonObject();
        report.addProperty("date", LocalDate.now().toString());
        report.addProperty("threads", threads);
        report.addProperty("cores", Runtime.getRuntime().availableProcessors());
        report.add("costs", costs(threads));
        report.add("regression", regression(out.resolve("regression"), threads));
        report.add("mnist", mnist(out.resolve("mnist"), seconds, limit, threads));
        try {
            AtomicFiles.writeString(out.resolve("second-order.json"), StrictJson.toJson(report) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.out.println(StrictJson.toJson(report));
    }

    /**
     * Seconds per gradient, and a loss, a Gauss-Newton product and an expansion forward over a gradient, over 1000
     * rows of 784-256-10: medians of 41 rounds' ratios, beside the weights {@link io.ravine.train.Passes} gives.
     */
    private static JsonObject costs(int threads) {
        CpuBackend.setBlasThreads(threads);
        int rows = 1000;
        Mlp mlp = new Mlp(784, new int[] {256}, 10, Activation.RELU, LossKind.SOFTMAX_CE);
        SplittableRandom rng = new SplittableRandom(5);
        float[] x = new float[rows * 784];
        float[] y = new float[rows];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < rows; i++) {
            y[i] = rng.nextInt(10);
        }
        JsonObject o = new JsonObject();
        try (Backend backend = CpuBackend.f32(); Model model = new Model(backend, mlp);
                Model.Workspace ws = model.workspace(rows); GaussNewtonProduct gn = new GaussNewtonProduct(model,
                        rows)) {
            model.setParameters(mlp.initialParameters(io.ravine.nn.Initializer.parse("he"), 0, 1));
            ws.load(x, y, rows);
            io.ravine.backend.Tensor v = backend.allocateVector(mlp.parameterCount());
            io.ravine.backend.Tensor gv = backend.allocateVector(mlp.parameterCount());
            backend.copyFromHost(model.parameters(), 0, v);
            gn.expandAt(ws.input(), ws.target(), rows);
            // Rounds of the four, one after another, and the median of each round's ratios: the machine's load
            // moves within seconds, and a ratio from one round shares it.
            Runnable[] ops = {() -> model.computeGradient(ws, rows), () -> model.evaluate(ws, rows),
                () -> gn.apply(v, gv), () -> gn.expandAt(ws.input(), ws.target(), rows)};
            int rounds = 41;
            double[][] ratio = new double[3][rounds];
            double[] gradient = new double[rounds];
            for (int r = -3; r < rounds; r++) {
                double[] t = new double[ops.length];
                for (int i = 0; i < ops.length; i++) {
                    long s = System.nanoTime();
                    ops[i].run();
                    t[i] = (System.nanoTime() - s) / 1e9;
                }
                if (r >= 0) {
                    gradient[r] = t[0];
                    for (int i = 1; i < ops.length; i++) {
                        ratio[i - 1][r] = t[i] / t[0];
                    }
                }
            }
            v.close();
            gv.close();
            io.ravine.train.Passes w = io.ravine.train.Passes.of(mlp);
            o.addProperty("model", mlp.describe());
            o.addProperty("rows", rows);
            o.addProperty("rounds", rounds);
            o.addProperty("gradient_seconds", median(gradient));
            o.addProperty("loss_over_gradient", median(ratio[0]));
            o.addProperty("gauss_newton_product_over_gradient", median(ratio[1]));
            o.addProperty("expansion_over_gradient", median(ratio[2]));
            o.addProperty("loss_weight", w.loss());
            o.addProperty("gauss_newton_product_weight", w.gaussNewtonProduct());
            o.addProperty("expansion_weight", w.expansion());
        }
        return o;
    }

    private static double median(double[] values) {
        double[] t = values.clone();
        java.util.Arrays.sort(t);
        return t[t.length / 2];
    }

    private static JsonObject regression(Path dir, int threads) {
        CpuBackend.setBlasThreads(threads);
        Dataset d = badlyScaledRegression(REGRESSION_N, 3);
        double[] optimum = normalEquations(d);
        double jStar = loss(d, optimum);
        double lambdaMax = largestEigenvalue(d);
        java.util.function.Function<UpdateRule, TrainConfig.Builder> base = rule -> TrainConfig.builder()
                .setData(d.name()).optHidden().optActivation(Activation.IDENTITY).optLoss(LossKind.MSE)
                .optNormalize("none").optInit("zeros").optBatchSize(0).optSubset(REGRESSION_N)
                .optEvalEvery(1_000_000).optThreads(threads).optOptimizer(rule);
        List<Run> runs = List.of(
                new Run("gradient descent (lr 1.9/λmax)", base.apply(UpdateRule.SGD).optLearningRate(1.9 / lambdaMax)
                        .optSteps(2000).optLogEvery(10).build(), dir.resolve("gd")),
                new Run("adam (lr 0.1)", base.apply(UpdateRule.ADAM).optLearningRate(0.1).optSteps(2000)
                        .optLogEvery(10).build(), dir.resolve("adam-0.1")),
                new Run("adam (lr 0.01)", base.apply(UpdateRule.ADAM).optLearningRate(0.01).optSteps(2000)
                        .optLogEvery(10).build(), dir.resolve("adam-0.01")),
                new Run("adam (lr 0.001)", base.apply(UpdateRule.ADAM).optLearningRate(0.001).optSteps(2000)
                        .optLogEvery(10).build(), dir.resolve("adam-0.001")),
                new Run("lbfgs (strong Wolfe)", base.apply(UpdateRule.LBFGS)
                        .optLineSearch(Lbfgs.LineSearch.STRONG_WOLFE).optSteps(10).optLogEvery(1).build(),
                        dir.resolve("lbfgs")),
                new Run("newton-cg (λ0 1)", base.apply(UpdateRule.NEWTON_CG).optSteps(60).optLogEvery(1)
                        .optCgMaxIter(50).build(), dir.resolve("newton-cg")),
                new Run("newton-cg (λ0 1e-12)", base.apply(UpdateRule.NEWTON_CG).optSteps(10).optLogEvery(1)
                        .optDamping(1e-12).optCgMaxIter(50).build(), dir.resolve("newton-cg-small")));
        JsonObject o = new JsonObject();
        o.addProperty("examples", REGRESSION_N);
        o.addProperty("optimal_loss", jStar);
        o.addProperty("lambda_max", lambdaMax);
        Map<String, List<Map<String, Double>>> curves = new LinkedHashMap<>();
        for (Run r : runs) {
            try (Backend backend = CpuBackend.f64();
                    Trainer t = new Trainer(r.config(), backend, new TrainTest(d, d))) {
                t.optProgressBar(false).optReport(false).optOverwrite(true).optRunDirectory(r.dir()).fit();
            }
            curves.put(r.label(), MetricsLog.read(r.dir().resolve("metrics.csv")));
        }
        o.add("runs", summarize(curves, jStar, new double[] {1e-2, 1e-6, 1e-10}));
        plot(dir.resolve("loss-vs-passes.png"), "Badly-scaled regression (κ ≈ 2e11), float64", "passes over the data",
                "passes", "J − J* (train)", curves, jStar, true);
        plot(dir.resolve("loss-vs-seconds.png"), "Badly-scaled regression (κ ≈ 2e11), float64", "wall-clock seconds",
                "wall_seconds", "J − J* (train)", curves, jStar, true);
        return o;
    }

    private static JsonObject mnist(Path dir, double seconds, int limit, int threads) {
        TrainTest data;
        String name;
        try {
            data = DataSources.load(DataSources.FASHION_MNIST, null, LossKind.SOFTMAX_CE);
            name = DataSources.FASHION_MNIST;
        } catch (InvalidInputException e) {
            System.err.println("Fashion-MNIST not installed (" + e.getMessage() + "): synthetic data of its shape");
            data = io.ravine.data.SyntheticData.split(limit, 1000);
            name = "synthetic";
        }
        String dataName = name;
        java.util.function.Function<UpdateRule, TrainConfig.Builder> base = rule -> TrainConfig.builder()
                .setData(dataName).optLimit(limit).optHidden(256).optSubset(2000).optSeed(1)
                .optSteps(10_000_000).optEvalEvery(100_000_000).optThreads(threads).optDevice("cpu")
                .optOptimizer(rule);
        List<Run> runs = List.of(
                new Run("adam (B 128, lr 1e-3)", base.apply(UpdateRule.ADAM).optBatchSize(128).optLogEvery(50)
                        .build(), dir.resolve("adam")),
                new Run("lbfgs (full batch, strong Wolfe)", base.apply(UpdateRule.LBFGS).optBatchSize(0)
                        .optLineSearch(Lbfgs.LineSearch.STRONG_WOLFE).optLogEvery(1).build(), dir.resolve("lbfgs")),
                new Run("newton-cg (full batch, GN on 1000)", base.apply(UpdateRule.NEWTON_CG).optBatchSize(0)
                        .optCurvatureBatch(1000).optLogEvery(1).build(), dir.resolve("newton-cg")));
        JsonObject o = new JsonObject();
        o.addProperty("data", name);
        o.addProperty("examples", limit);
        o.addProperty("seconds_per_optimizer", seconds);
        Map<String, List<Map<String, Double>>> curves = new LinkedHashMap<>();
        JsonArray tests = new JsonArray();
        for (Run r : runs) {
            try (Trainer t = new Trainer(r.config(), data)) {
                long start = System.nanoTime();
                t.optListener(new io.ravine.train.TrainingListener() {
                    @Override
                    public void onMetrics(io.ravine.train.MetricsEvent e) {
                    }

                    @Override
                    public void onStep(io.ravine.train.StepEvent e) {
                        if ((System.nanoTime() - start) / 1e9 > seconds) {
                            t.requestStop();
                        }
                    }
                });
                io.ravine.train.TrainingResult res = t.optProgressBar(false).optReport(false).optOverwrite(true)
                        .optRunDirectory(r.dir()).fit();
                JsonObject test = new JsonObject();
                test.addProperty("optimizer", r.label());
                StrictJson.number(test, "test_loss", res.testLoss(), "not measured");
                StrictJson.number(test, "test_accuracy", res.testAccuracy(), "not measured");
                tests.add(test);
            }
            curves.put(r.label(), MetricsLog.read(r.dir().resolve("metrics.csv")));
        }
        o.add("runs", summarize(curves, 0, new double[] {0.6, 0.45, 0.35, 0.25}));
        o.add("test", tests);
        String title = "784-256-10 on " + limit + " " + name + " examples, float32";
        plot(dir.resolve("loss-vs-passes.png"), title, "passes over the data", "passes", "train loss (monitoring"
                + " subset)", curves, 0, false);
        plot(dir.resolve("loss-vs-seconds.png"), title, "wall-clock seconds", "wall_seconds", "train loss"
                + " (monitoring subset)", curves, 0, false);
        return o;
    }

    /** Per run: its last row, and the passes and seconds at which train_loss − offset first fell to each target. */
    private static JsonArray summarize(Map<String, List<Map<String, Double>>> curves, double offset,
            double[] targets) {
        JsonArray runs = new JsonArray();
        for (Map.Entry<String, List<Map<String, Double>>> e : curves.entrySet()) {
            List<Map<String, Double>> rows = e.getValue();
            Map<String, Double> last = rows.get(rows.size() - 1);
            JsonObject r = new JsonObject();
            r.addProperty("optimizer", e.getKey());
            r.addProperty("steps", last.get("step").longValue());
            StrictJson.number(r, "passes", last.get("passes"), "not counted");
            StrictJson.number(r, "seconds", last.get("wall_seconds"), "not measured");
            StrictJson.number(r, "final_loss", last.get("train_loss") - offset, "not measured");
            JsonArray reached = new JsonArray();
            for (double target : targets) {
                JsonObject t = new JsonObject();
                t.addProperty("target", target);
                Map<String, Double> hit = rows.stream().filter(row -> row.get("train_loss") - offset <= target)
                        .findFirst().orElse(null);
                StrictJson.number(t, "passes", hit == null ? Double.NaN : hit.get("passes"), "not reached");
                StrictJson.number(t, "seconds", hit == null ? Double.NaN : hit.get("wall_seconds"), "not reached");
                StrictJson.number(t, "step", hit == null ? Double.NaN : hit.get("step"), "not reached");
                reached.add(t);
            }
            r.add("reached", reached);
            runs.add(r);
        }
        return runs;
    }

    /**
     * A chart of each run's train loss (less {@code offset}, floored at {@value #FLOOR}) against {@code xColumn}
     * (passes or seconds), log y and, with {@code logX}, log x.
     */
    static void plot(Path png, String title, String xLabel, String xColumn, String yLabel,
            Map<String, List<Map<String, Double>>> curves, double offset, boolean logX) {
        LinePlot p = new LinePlot(title, xLabel, yLabel).logY().size(900, 560);
        if (logX) {
            p.logX();
        }
        for (Map.Entry<String, List<Map<String, Double>>> e : curves.entrySet()) {
            List<Map<String, Double>> rows = e.getValue();
            List<double[]> pts = new ArrayList<>();
            for (Map<String, Double> row : rows) {
                double x = row.get(xColumn);
                // J − J* at float64's rounding of J (≈ 1e-17 here, either sign) is drawn at the chart's floor.
                double y = offset > 0 ? Math.max(row.get("train_loss") - offset, FLOOR)
                        : row.get("train_loss") - offset;
                if (Double.isFinite(x) && Double.isFinite(y) && y > 0 && (!logX || x > 0)) {
                    pts.add(new double[] {x, y});
                }
            }
            p.series(e.getKey(), pts.stream().mapToDouble(a -> a[0]).toArray(),
                    pts.stream().mapToDouble(a -> a[1]).toArray());
        }
        p.write(png);
    }

    /** J(θ) = (1/N) Σ ½(w·x + b − t)², in float64 from the float32 data. */
    private static double loss(Dataset d, double[] th) {
        double s = 0;
        for (int r = 0; r < d.n(); r++) {
            double res = th[0] * d.features()[2 * r] + th[1] * d.features()[2 * r + 1] + th[2] - d.targets()[r];
            s += 0.5 * res * res;
        }
        return s / d.n();
    }

    /** θ* = (w₁, w₂, b): the normal equations with exact sums (BigDecimal) and a 50-digit solve. */
    static double[] normalEquations(Dataset d) {
        return normalEquations(d.features(), d.targets(), d.n());
    }

    /**
     * θ* = (w₁, w₂, b) of least squares on n rows of two features ({@code x} row-major) and targets {@code t}: the
     * normal equations with exact sums (BigDecimal: every float is a finite binary fraction) and a 50-digit solve. A
     * float64 solve would be good only to about κ·ε ≈ 2e-5 on the lectures' badly-scaled example; this one is the
     * oracle the optimizers are measured against (also by the tests).
     *
     * @return (w₁, w₂, b)
     */
    public static double[] normalEquations(float[] x, float[] t, int n) {
        MathContext mc = new MathContext(50);
        BigDecimal[][] m = new BigDecimal[3][4];
        for (BigDecimal[] row : m) {
            java.util.Arrays.fill(row, BigDecimal.ZERO);
        }
        for (int r = 0; r < n; r++) {
            BigDecimal[] xt = {new BigDecimal(x[2 * r]), new BigDecimal(x[2 * r + 1]), BigDecimal.ONE,
                new BigDecimal(t[r])};
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 4; j++) {
                    m[i][j] = m[i][j].add(xt[i].multiply(xt[j]));
                }
            }
        }
        for (int c = 0; c < 3; c++) {
            int pivot = c;
            for (int r = c + 1; r < 3; r++) {
                if (m[r][c].abs().compareTo(m[pivot][c].abs()) > 0) {
                    pivot = r;
                }
            }
            BigDecimal[] tmp = m[c];
            m[c] = m[pivot];
            m[pivot] = tmp;
            for (int r = c + 1; r < 3; r++) {
                BigDecimal f = m[r][c].divide(m[c][c], mc);
                for (int k = c; k < 4; k++) {
                    m[r][k] = m[r][k].subtract(f.multiply(m[c][k]), mc);
                }
            }
        }
        BigDecimal[] w = new BigDecimal[3];
        for (int r = 2; r >= 0; r--) {
            BigDecimal s = m[r][3];
            for (int k = r + 1; k < 3; k++) {
                s = s.subtract(m[r][k].multiply(w[k]), mc);
            }
            w[r] = s.divide(m[r][r], mc);
        }
        return new double[] {w[0].doubleValue(), w[1].doubleValue(), w[2].doubleValue()};
    }

    /** λ_max of C = (1/N) Σ x̃x̃ᵀ by power iteration (C is 3 × 3, its top eigenvalue 5 orders above the next). */
    private static double largestEigenvalue(Dataset d) {
        double[][] c = new double[3][3];
        for (int r = 0; r < d.n(); r++) {
            double[] xt = {d.features()[2 * r], d.features()[2 * r + 1], 1};
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    c[i][j] += xt[i] * xt[j] / d.n();
                }
            }
        }
        double[] v = {1, 1, 1};
        double lambda = 0;
        for (int it = 0; it < 100; it++) {
            double[] w = new double[3];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 3; j++) {
                    w[i] += c[i][j] * v[j];
                }
            }
            double n = Math.sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
            lambda = n / Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
            for (int i = 0; i < 3; i++) {
                v[i] = w[i] / n;
            }
        }
        return lambda;
    }
}
