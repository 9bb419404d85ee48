package io.ravine.toy;

import io.ravine.InvalidInputException;
import io.ravine.backend.Tensor;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.io.AtomicFiles;
import io.ravine.io.StrictJson;
import io.ravine.optim.Optimizer;
import io.ravine.optim.OptimizerState;
import io.ravine.optim.Schedules;
import io.ravine.report.ContourPlot;
import io.ravine.report.LinePlot;
import io.ravine.report.ReportFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * "Decaying the learning rate too early" (Grosse, CSC321 lecture 8, §4.6 and Figure 4) as an experiment: the same
 * optimizer, the same budget of steps and the same stream of gradient noise, run three times on a noisy quadratic,
 * with a constant α, with the lecture's exponential decay α₀ e^{−(t − t₀)/τ} (Ravine's {@code exp:T0:TAU} schedule)
 * started early, and with the same decay started late.
 *
 * <p><b>The problem.</b> J = ½(λ₁x² + λ₂y²) with stochastic gradients ∇J + σ·(√λ₁ ξ₁, √λ₂ ξ₂), ξ ~ N(0, I) drawn
 * from a seeded generator: gradient noise with covariance σ²H, as in the noisy quadratic model of Zhang et al.
 * (2019), where mini-batch noise is largest along the high-curvature directions. J itself is measured without noise.
 * With λ = (0.01, 1) the run has a slow direction (x: the mean decays by (1 − αλ₁) per step) and a noisy one (y: at a
 * constant α it fluctuates around a floor of about ασ²λ₂/(2(2 − αλ₂)) in J).
 *
 * <p><b>What it shows.</b> Decaying early removes y's fluctuations at once, a sudden drop of the loss below the
 * constant-α run's floor, but the decayed α also stops x's progress: the decay's whole remaining budget moves x by a
 * factor of about e^{−λ₁α₀τ}, so the run freezes with x far from 0 and ends higher than the late decay, which first
 * lets x converge at the full α and then removes the fluctuations. For plain SGD the expected loss has a closed
 * recursion per direction (mean m ← (1 − α_tλ)m, variance v ← (1 − α_tλ)²v + α_t²σ²λ, E[J] = Σ ½λ(m² + v)),
 * computed with the very α_t of the schedule, so every measured curve has its expectation beside it.
 */
public final class EarlyDecay {
    public static final String NAME = "early-decay";
    public static final String DECAY_PLOT = "decay.png";
    public static final String LR_PLOT = "learning-rate.png";
    public static final String CONTOUR = "contour.png";
    public static final String CSV = "decay.csv";
    /** Steps of the running mean decay.png draws. */
    static final int SMOOTHING = 20;
    /** Constant α grey, early decay red, late decay blue, in every picture. */
    private static final java.awt.Color[] COLOURS = {new java.awt.Color(120, 120, 120), new java.awt.Color(214, 39,
        40), new java.awt.Color(31, 119, 180)};

    private EarlyDecay() {
    }

    /**
     * @param optimizer one of Ravine's update rules (not newton)
     * @param lr α₀
     * @param steps the budget, the same for every schedule
     * @param decayStarts {early, late}: the step t₀ at which each decay starts (early &lt; late &lt; steps)
     * @param timescale τ of both decays
     * @param noise σ
     * @param seed of the noise stream (the same stream for every schedule)
     */
    public record Settings(String optimizer, double lr, double momentum, int steps, double[] start,
            double[] eigenvalues, double noise, int[] decayStarts, double timescale, long seed) {
        public Settings {
            optimizer = ToyRun.optimizerName(optimizer);
            if (optimizer.equals(ToyRun.NEWTON)) {
                throw new InvalidInputException("--optimizer newton has no learning-rate schedule to decay: the"
                        + " early-decay experiment takes sgd, momentum, nesterov, rmsprop, adam or adamw");
            }
            if (!(lr > 0) || Double.isInfinite(lr)) {
                throw new InvalidInputException("--lr must be positive and finite, got " + lr);
            }
            if (!(momentum >= 0 && momentum < 1)) {
                throw new InvalidInputException("--momentum must be in [0, 1) for the early-decay experiment, got "
                        + momentum);
            }
            if (steps < 3 || steps > 10_000_000) {
                throw new InvalidInputException("--steps must be between 3 and 10000000, got " + steps);
            }
            if (start == null || start.length != 2 || !Double.isFinite(start[0]) || !Double.isFinite(start[1])) {
                throw new InvalidInputException("--start must be two finite numbers x,y");
            }
            if (eigenvalues == null || eigenvalues.length != 2 || !(eigenvalues[0] > 0 && eigenvalues[1] > 0)
                    || Double.isInfinite(eigenvalues[0]) || Double.isInfinite(eigenvalues[1])) {
                throw new InvalidInputException("--eigenvalues must be two positive finite numbers λ₁,λ₂");
            }
            if (!(noise >= 0) || Double.isInfinite(noise)) {
                throw new InvalidInputException("--noise must be a finite number ≥ 0 (σ of the gradient noise), got "
                        + noise);
            }
            if (decayStarts == null || decayStarts.length != 2 || decayStarts[0] < 0
                    || decayStarts[0] >= decayStarts[1] || decayStarts[1] >= steps) {
                throw new InvalidInputException("--decay-starts must be two steps EARLY,LATE with 0 ≤ EARLY < LATE <"
                        + " --steps (" + steps + "), got " + (decayStarts == null ? "none"
                        : java.util.Arrays.toString(decayStarts)));
            }
            if (!(timescale > 0) || Double.isInfinite(timescale)) {
                throw new InvalidInputException("--decay-timescale must be a positive number of steps, got "
                        + timescale);
            }
            start = start.clone();
            eigenvalues = eigenvalues.clone();
            decayStarts = decayStarts.clone();
        }

        public static final double DEFAULT_LR = 0.5;
        public static final int DEFAULT_STEPS = 2000;
        public static final double[] DEFAULT_START = {10, 1};
        public static final double[] DEFAULT_EIGENVALUES = {0.01, 1};
        public static final double DEFAULT_NOISE = 1;
        public static final double DEFAULT_TIMESCALE = 100;

        /** The default decay starts for a budget: a tenth and three quarters of it. */
        public static int[] defaultDecayStarts(int steps) {
            return new int[] {steps / 10, steps * 3 / 4};
        }
    }

    /**
     * One schedule's run: θ after every update (index 0 the start), J there, α of every update, and for SGD the
     * expected J after every update (null otherwise).
     */
    public record Run(String schedule, Integer decayStart, double[][] trajectory, double[] values, double[] lrs,
            double[] expected) {
        public double finalValue() {
            return values[values.length - 1];
        }
    }

    /**
     * The mean of v over the {@code width} steps that end at {@code end}: (end − width, end]. At a constant α a
     * single step's J is one draw from a wide distribution; a window's mean is what a training curve shows.
     */
    static double windowMean(double[] v, int end, int width) {
        int from = Math.max(0, end - width + 1);
        double sum = 0;
        for (int k = from; k <= end; k++) {
            sum += v[k];
        }
        return sum / (end - from + 1);
    }

    /** The three runs, constant first. */
    public record Result(Settings settings, List<Run> runs) {
        public Run constant() {
            return runs.get(0);
        }

        public Run early() {
            return runs.get(1);
        }

        public Run late() {
            return runs.get(2);
        }

        /** The step where the early decay's drop shows: three timescales into it (its α is then e⁻³ α₀). */
        public int earlyProbe() {
            return (int) Math.min(settings.steps(), settings.decayStarts()[0] + Math.round(3 * settings.timescale()));
        }

        /** The width of the windows J is averaged over: τ steps (at least 1). */
        public int window() {
            return (int) Math.max(1, Math.min(settings.steps(), Math.round(settings.timescale())));
        }

        /** The mean J of a run over the last τ steps of the budget. */
        public double endMean(Run r) {
            return windowMean(r.values(), settings.steps(), window());
        }

        /** The mean J of a run over the τ steps up to {@link #earlyProbe}. */
        public double probeMean(Run r) {
            return windowMean(r.values(), earlyProbe(), window());
        }

        /**
         * Whether the late decay ended lower than the early one (mean J over the last τ steps): the lecture's claim,
         * on this seeded run.
         */
        public boolean lateEndsLower() {
            return endMean(late()) < endMean(early());
        }

        public String summary() {
            Settings s = settings;
            return String.format(Locale.ROOT, "early-decay: %s α₀ = %s on ½(%sx² + %sy²) with gradient noise σ = %s"
                    + " (seed %d), %d steps each; decay α₀e^{−(t − t₀)/%s} from t₀ = %d (early) or %d (late): final J"
                    + " (mean of the last %d steps) %.4g (early) vs %.4g (late), constant α %.4g; %s", s.optimizer(),
                    ToyRun.shortNumber(s.lr()),
                    ToyRun.shortNumber(s.eigenvalues()[0]), ToyRun.shortNumber(s.eigenvalues()[1]),
                    ToyRun.shortNumber(s.noise()), s.seed(), s.steps(), ToyRun.shortNumber(s.timescale()),
                    s.decayStarts()[0], s.decayStarts()[1], window(), endMean(early()), endMean(late()),
                    endMean(constant()), lateEndsLower() ? "the early decay ends higher, as the lecture warns"
                            : "the early decay did not end higher on this run");
        }

        /** One table row per schedule: the numbers of decay.png (J as window means, see {@link #window}). */
        public List<List<String>> table() {
            List<List<String>> rows = new ArrayList<>();
            int probe = earlyProbe();
            int w = window();
            int end = settings.steps();
            for (Run r : runs) {
                rows.add(List.of(r.schedule(), r.decayStart() == null ? "-" : r.decayStart().toString(),
                        String.format(Locale.ROOT, "%.4g", probeMean(r)),
                        r.expected() == null ? "-" : String.format(Locale.ROOT, "%.4g",
                                windowMean(r.expected(), probe, w)),
                        String.format(Locale.ROOT, "%.4g", endMean(r)),
                        r.expected() == null ? "-" : String.format(Locale.ROOT, "%.4g",
                                windowMean(r.expected(), end, w)),
                        String.format(Locale.ROOT, "%.4g", Math.abs(r.trajectory()[end][0]))));
            }
            return rows;
        }

        public List<String> tableHeader() {
            int w = window();
            return List.of("schedule", "decay from step", "mean J, steps " + (earlyProbe() - w + 1) + "–"
                    + earlyProbe(), "expected", "mean J, last " + w + " steps", "expected",
                    "final |x| (slow direction)");
        }

        public String toJson() {
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("problem", NAME);
            root.put("surface", "½(" + ToyRun.shortNumber(settings.eigenvalues()[0]) + "x² + "
                    + ToyRun.shortNumber(settings.eigenvalues()[1]) + "y²) with gradient noise of covariance σ²H");
            root.put("optimizer", settings.optimizer());
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("lr", settings.lr());
            if (ToyRun.usesMomentum(settings.optimizer())) {
                s.put("momentum", settings.momentum());
            }
            s.put("steps", settings.steps());
            s.put("start", settings.start());
            s.put("eigenvalues", settings.eigenvalues());
            s.put("noise", settings.noise());
            s.put("decay_starts", settings.decayStarts());
            s.put("decay_timescale", settings.timescale());
            s.put("seed", settings.seed());
            root.put("settings", s);
            root.put("late_ends_lower", lateEndsLower());
            root.put("probe_step", earlyProbe());
            root.put("window", window());
            String notSgd = "undefined: the expected loss is computed in closed form for plain gradient descent (sgd)"
                    + " only";
            List<Map<String, Object>> rs = new ArrayList<>();
            for (Run r : runs) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("schedule", r.schedule());
                put(m, "decay_start", r.decayStart(), "none: a constant α does not decay");
                m.put("mean_value_at_probe", probeMean(r));
                put(m, "expected_mean_value_at_probe", r.expected() == null ? null
                        : windowMean(r.expected(), earlyProbe(), window()), notSgd);
                m.put("mean_final_value", endMean(r));
                put(m, "expected_mean_final_value", r.expected() == null ? null
                        : windowMean(r.expected(), settings.steps(), window()), notSgd);
                m.put("final_value", r.finalValue());
                m.put("final_point", r.trajectory()[r.trajectory().length - 1]);
                m.put("values", r.values());
                put(m, "expected_values", r.expected(), notSgd);
                m.put("learning_rates", r.lrs());
                rs.add(m);
            }
            root.put("runs", rs);
            return StrictJson.toJson(root);
        }

        private static void put(Map<String, Object> m, String name, Object value, String reason) {
            m.put(name, value);
            if (value == null) {
                m.put(name + StrictJson.STATUS_SUFFIX, reason);
            }
        }

        /** The PNG files {@link #write} draws, in the order the report shows them. */
        public List<String> pictures() {
            return List.of(DECAY_PLOT, LR_PLOT, CONTOUR);
        }

        /** toy.json and decay.csv, then the pictures and report.html (best effort: never a reason to lose them). */
        public void write(Path dir) {
            write(dir, null);
        }

        /**
         * As {@link #write(Path)}, the report's header naming the command line that made the toy.
         *
         * @param dir the toy's directory
         * @param command the command line's words ({@code ravine toy ...}); null for the Java API
         */
        public void write(Path dir, List<String> command) {
            try {
                Files.createDirectories(dir);
                AtomicFiles.writeString(dir.resolve("toy.json"), toJson());
                StringBuilder csv = new StringBuilder();
                try (CSVPrinter p = new CSVPrinter(csv, CSVFormat.DEFAULT.builder().setHeader("step",
                        "constant_loss", "early_loss", "late_loss", "constant_lr", "early_lr", "late_lr",
                        "early_expected_loss", "late_expected_loss").get())) {
                    for (int t = 0; t <= settings.steps(); t++) {
                        p.printRecord(t, constant().values()[t], early().values()[t], late().values()[t],
                                t == 0 ? "" : constant().lrs()[t - 1], t == 0 ? "" : early().lrs()[t - 1],
                                t == 0 ? "" : late().lrs()[t - 1],
                                early().expected() == null ? "" : early().expected()[t],
                                late().expected() == null ? "" : late().expected()[t]);
                    }
                }
                AtomicFiles.writeString(dir.resolve(CSV), csv.toString());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + dir, e);
            }
            Path decay = dir.resolve(DECAY_PLOT);
            ReportFiles.bestEffort(decay, () -> decayPlot().write(decay));
            Path lr = dir.resolve(LR_PLOT);
            ReportFiles.bestEffort(lr, () -> lrPlot().write(lr));
            Path contour = dir.resolve(CONTOUR);
            ReportFiles.bestEffort(contour, () -> contourPlot().write(contour));
            List<List<String>> rows = new ArrayList<>();
            List<String> header = tableHeader();
            for (List<String> r : table()) {
                List<String> named = new ArrayList<>();
                for (int k = 0; k < r.size(); k++) {
                    named.add(header.get(k) + ": " + r.get(k));
                }
                rows.add(List.of(r.get(0), String.join("; ", named.subList(1, named.size()))));
            }
            ToyReport.write(dir, "Toy: decaying the learning rate too early", List.of(summary()), rows,
                    pictures(), command);
        }

        /**
         * J against the step for the three schedules (log y): each run's running mean over {@link #SMOOTHING} steps
         * (a single step's J at a constant α is one draw from a wide distribution), and for SGD its expectation,
         * dashed in the same colour.
         */
        LinePlot decayPlot() {
            double[] t = new double[settings.steps() + 1];
            for (int k = 0; k < t.length; k++) {
                t[k] = k;
            }
            LinePlot plot = new LinePlot(String.format(Locale.ROOT, "Decaying α too early: final J %.3g, late: %.3g",
                    endMean(early()), endMean(late())), "step", "J (running mean of " + SMOOTHING
                    + " steps; dashed: expected)").logY().roundXTicks();
            for (int k = 0; k < runs.size(); k++) {
                Run r = runs.get(k);
                double[] smooth = new double[r.values().length];
                for (int i = 0; i < smooth.length; i++) {
                    smooth[i] = windowMean(r.values(), i, SMOOTHING);
                }
                plot.series(r.schedule(), t, smooth, COLOURS[k], false, false);
                if (r.expected() != null) {
                    // About 200 points: a dash pattern needs segments longer than a dash to show.
                    int n = r.expected().length;
                    int every = Math.max(1, n / 200);
                    double[] xs = new double[(n - 1) / every + 1];
                    double[] ys = new double[xs.length];
                    for (int i = 0; i < xs.length; i++) {
                        xs[i] = t[i * every];
                        ys[i] = r.expected()[i * every];
                    }
                    plot.series(r.schedule() + " (expected)", xs, ys, COLOURS[k], true, false);
                }
            }
            plot.verticalLine(settings.decayStarts()[0], "decay starts")
                    .verticalLine(settings.decayStarts()[1], "decay starts");
            return plot;
        }

        /** α_t of the three schedules: the same α₀ and budget, the decay's start is all that differs. */
        LinePlot lrPlot() {
            double[] t = new double[settings.steps()];
            for (int k = 0; k < t.length; k++) {
                t[k] = k + 1;
            }
            LinePlot plot = new LinePlot("Learning rate of each schedule: the same α₀ and budget", "step", "α").logY()
                    .roundXTicks();
            for (int k = 0; k < runs.size(); k++) {
                plot.series(runs.get(k).schedule(), t, runs.get(k).lrs(), COLOURS[k], false, false);
            }
            return plot;
        }

        /** The early and late runs' paths over the quadratic. */
        ContourPlot contourPlot() {
            double[] box = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY};
            for (Run r : runs) {
                for (double[] p : r.trajectory()) {
                    if (Double.isFinite(p[0]) && Double.isFinite(p[1])) {
                        box[0] = Math.min(box[0], p[0]);
                        box[1] = Math.max(box[1], p[0]);
                        box[2] = Math.min(box[2], p[1]);
                        box[3] = Math.max(box[3], p[1]);
                    }
                }
            }
            double mx = 0.1 * Math.max(box[1] - box[0], 1e-3);
            double my = 0.1 * Math.max(box[3] - box[2], 1e-3);
            int n = 161;
            double[] gx = new double[n];
            double[] gy = new double[n];
            for (int i = 0; i < n; i++) {
                gx[i] = box[0] - mx + (box[1] - box[0] + 2 * mx) * i / (n - 1);
                gy[i] = box[2] - my + (box[3] - box[2] + 2 * my) * i / (n - 1);
            }
            double l1 = settings.eigenvalues()[0];
            double l2 = settings.eigenvalues()[1];
            double[][] z = new double[n][n];
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < n; i++) {
                    z[j][i] = 0.5 * (l1 * gx[i] * gx[i] + l2 * gy[j] * gy[j]);
                }
            }
            ContourPlot plot = new ContourPlot("Noisy quadratic: early (solid) and late (dashed) decay", "x (λ = "
                    + ToyRun.shortNumber(l1) + ")", "y (λ = " + ToyRun.shortNumber(l2) + ")").grid(gx, gy, z)
                    .colourLabel("J");
            Run e = early();
            Run l = late();
            plot.trajectory(column(e.trajectory(), 0), column(e.trajectory(), 1), ContourPlot.TRAJECTORY, false);
            plot.trajectory(column(l.trajectory(), 0), column(l.trajectory(), 1), java.awt.Color.WHITE, true);
            plot.legend(e.schedule(), ContourPlot.TRAJECTORY, false).legend(l.schedule(), java.awt.Color.WHITE, true);
            plot.marker(settings.start()[0], settings.start()[1], "start");
            double[] pe = e.trajectory()[e.trajectory().length - 1];
            double[] pl = l.trajectory()[l.trajectory().length - 1];
            plot.endMarker(pe[0], pe[1], "early end");
            plot.endMarker(pl[0], pl[1], "late end");
            return plot;
        }

        private static double[] column(double[][] t, int c) {
            double[] out = new double[t.length];
            for (int k = 0; k < t.length; k++) {
                out[k] = t[k][c];
            }
            return out;
        }
    }

    /** The three runs on the same noise stream. */
    public static Result run(Settings s) {
        List<Run> runs = new ArrayList<>();
        runs.add(runOne(s, "constant α", null));
        runs.add(runOne(s, "early decay", s.decayStarts()[0]));
        runs.add(runOne(s, "late decay", s.decayStarts()[1]));
        return new Result(s, List.copyOf(runs));
    }

    private static Run runOne(Settings s, String name, Integer decayStart) {
        UpdateRule rule = UpdateRule.parse(s.optimizer());
        Optimizer.Builder b = Optimizer.builder(rule).optLearningRate(s.lr()).optMomentum(s.momentum());
        if (decayStart != null) {
            b.optLearningRateTracker(Schedules.lateExponential(s.lr(), decayStart, s.timescale()));
        }
        Optimizer opt = b.build();
        double l1 = s.eigenvalues()[0];
        double l2 = s.eigenvalues()[1];
        double n1 = s.noise() * Math.sqrt(l1);
        double n2 = s.noise() * Math.sqrt(l2);
        // The same generator and seed for every schedule: the runs differ only in α_t (common random numbers).
        SplittableRandom rng = new SplittableRandom(s.seed());
        double[][] trajectory = new double[s.steps() + 1][];
        double[] values = new double[s.steps() + 1];
        double[] lrs = new double[s.steps()];
        trajectory[0] = s.start().clone();
        values[0] = 0.5 * (l1 * s.start()[0] * s.start()[0] + l2 * s.start()[1] * s.start()[1]);
        try (CpuBackend backend = CpuBackend.f64();
                Tensor theta = backend.allocateVector(2);
                Tensor grad = backend.allocateVector(2);
                OptimizerState state = opt.init(backend, 2)) {
            backend.copyFromHost(s.start(), 0, theta);
            double[] p = s.start().clone();
            for (int t = 1; t <= s.steps(); t++) {
                double[] g = {l1 * p[0] + n1 * rng.nextGaussian(), l2 * p[1] + n2 * rng.nextGaussian()};
                backend.copyFromHost(g, 0, grad);
                lrs[t - 1] = opt.learningRate(t);
                opt.step(backend, theta, grad, state);
                p = backend.toDoubleArray(theta);
                trajectory[t] = p;
                values[t] = 0.5 * (l1 * p[0] * p[0] + l2 * p[1] * p[1]);
            }
        }
        double[] expected = rule == UpdateRule.SGD ? expectedLoss(s, lrs) : null;
        return new Run(name, decayStart, trajectory, values, lrs, expected);
    }

    /**
     * E[J] after every update of SGD with the rates {@code lrs}: per direction, the mean m ← (1 − αλ)m and the
     * variance v ← (1 − αλ)²v + α²σ²λ (the noise has variance σ²λ along a direction of curvature λ), and E[J] =
     * Σ ½λ(m² + v). Index 0 is the start.
     */
    static double[] expectedLoss(Settings s, double[] lrs) {
        double[] lambda = s.eigenvalues();
        double[] m = s.start().clone();
        double[] v = new double[2];
        double[] out = new double[lrs.length + 1];
        out[0] = 0.5 * (lambda[0] * m[0] * m[0] + lambda[1] * m[1] * m[1]);
        double var = s.noise() * s.noise();
        for (int t = 0; t < lrs.length; t++) {
            double a = lrs[t];
            double j = 0;
            for (int i = 0; i < 2; i++) {
                double c = 1 - a * lambda[i];
                m[i] = c * m[i];
                v[i] = c * c * v[i] + a * a * var * lambda[i];
                j += 0.5 * lambda[i] * (m[i] * m[i] + v[i]);
            }
            out[t + 1] = j;
        }
        return out;
    }
}
