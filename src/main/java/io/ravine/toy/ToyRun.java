package io.ravine.toy;

import io.ravine.InvalidInputException;
import io.ravine.backend.Tensor;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.io.AtomicFiles;
import io.ravine.io.StrictJson;
import io.ravine.optim.Optimizer;
import io.ravine.optim.OptimizerState;
import io.ravine.report.ContourPlot;
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

/**
 * Runs an optimizer on a {@link ToySurface} from a start point and records the trajectory. The update rules are
 * Ravine's own: θ is a two-element tensor on a float64 {@link CpuBackend}, and every step is
 * {@link Optimizer#step} with the surface's gradient, exactly as the Trainer steps a network. {@code newton} is
 * Newton's method θ ← θ − α H⁻¹∇J (α = 1: the full step), solving the 2×2 system directly.
 *
 * <pre>{@code
 * ToyRun.Result r = ToyRun.run(new ToySurface.Quadratic(1, 10), ToyRun.Settings.defaults("sgd", ...));
 * r.write(Path.of("toy"));   // toy.json and contour.png
 * }</pre>
 */
public final class ToyRun {
    public static final String NEWTON = "newton";

    /** ‖θ‖ beyond this multiple of max(1, ‖θ₀‖) counts as diverged (the run stops there). */
    static final double DIVERGED_GROWTH = 1e12;

    private ToyRun() {
    }

    /**
     * @param optimizer sgd, momentum, nesterov, rmsprop, adam, adamw or newton
     * @param lr α (for Newton, the fraction of the Newton step taken)
     * @param momentum μ (momentum and Nesterov)
     * @param steps updates to run
     * @param start θ₀ = (x, y)
     * @param tolerance "converged" means ‖θ − θ*‖ ≤ tolerance · ‖θ₀ − θ*‖ (and, for the saddle, "attracted"
     *     means ‖θ‖ ≤ tolerance · ‖θ₀‖)
     */
    public record Settings(String optimizer, double lr, double momentum, int steps, double[] start,
            double tolerance) {
        public Settings {
            if (!NEWTON.equals(optimizer)) {
                try {
                    UpdateRule.parse(optimizer);
                } catch (IllegalArgumentException e) {
                    throw new InvalidInputException("--optimizer must be sgd, momentum, nesterov, rmsprop, adam,"
                            + " adamw or newton, not '" + optimizer + "'");
                }
            }
            if (!(lr > 0) || Double.isInfinite(lr)) {
                throw new InvalidInputException("--lr must be positive and finite, got " + lr);
            }
            if (!(momentum >= 0 && momentum < 1)) {
                throw new InvalidInputException("--momentum must be in [0, 1), got " + momentum);
            }
            if (steps < 1 || steps > 10_000_000) {
                throw new InvalidInputException("--steps must be between 1 and 10000000, got " + steps);
            }
            if (start == null || start.length != 2 || !Double.isFinite(start[0]) || !Double.isFinite(start[1])) {
                throw new InvalidInputException("--start must be two finite numbers x,y");
            }
            if (!(tolerance > 0 && tolerance < 1)) {
                throw new InvalidInputException("--tolerance must be in (0, 1), got " + tolerance);
            }
            start = start.clone();
        }

        /**
         * Default learning rates per surface, chosen to show each surface's story: on the quadratic (λ = 1, 10)
         * α = 0.15 puts the steep direction in the oscillating regime (αλ = 1.5); Rosenbrock's walls (curvature
         * ≈ 1000 near the minimum) need α ≈ 1e-3 for the non-adaptive rules.
         */
        public static double defaultLearningRate(String problem, String optimizer) {
            if (NEWTON.equals(optimizer)) {
                return 1.0;
            }
            boolean adaptive = optimizer.equals("rmsprop") || optimizer.equals("adam") || optimizer.equals("adamw");
            return switch (problem) {
                case "rosenbrock" -> adaptive ? 0.02 : 1e-3;
                case "saddle" -> adaptive ? 0.05 : 0.1;
                default -> adaptive ? 0.05 : 0.15;
            };
        }

        public static int defaultSteps(String problem) {
            return switch (problem) {
                case "rosenbrock" -> 5000;
                case "saddle" -> 50;
                default -> 100;
            };
        }
    }

    /**
     * One eigen-direction of a quadratic: the predicted gradient-descent regime from αλ (plain SGD only), the
     * regime the trajectory shows, and when the coordinate settled below tolerance × its start.
     */
    public record Direction(String axis, double eigenvalue, Double alphaLambda, GradientDescentRegime predicted,
            GradientDescentRegime observed, int signChanges, double growth, Integer settledStep, Boolean agree) {
    }

    /** What a run did. Trajectory point k is θ after k updates (point 0 is the start). */
    public record Result(ToySurface surface, Settings settings, double[][] trajectory, double[] values,
            String verdict, Integer stepsToTolerance, List<Direction> directions, String note) {

        public double[] finalPoint() {
            return trajectory[trajectory.length - 1].clone();
        }

        public double finalValue() {
            return values[values.length - 1];
        }

        public double[] xs() {
            double[] x = new double[trajectory.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = trajectory[i][0];
            }
            return x;
        }

        public double[] ys() {
            double[] y = new double[trajectory.length];
            for (int i = 0; i < y.length; i++) {
                y[i] = trajectory[i][1];
            }
            return y;
        }

        /** toy.json's content: strict JSON, each null with the reason in its {@code _status} ({@link StrictJson}). */
        public String toJson() {
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("problem", surface.name());
            root.put("surface", surface.describe());
            if (surface instanceof ToySurface.Quadratic q) {
                root.put("eigenvalues", q.eigenvalues());
                root.put("condition_number", Math.max(q.lambda1(), q.lambda2()) / Math.min(q.lambda1(),
                        q.lambda2()));
            }
            put(root, "minimizer", surface.minimizer(), "none: this surface has no minimum (a saddle)");
            root.put("optimizer", settings.optimizer());
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("lr", settings.lr());
            if (settings.optimizer().equals("momentum") || settings.optimizer().equals("nesterov")) {
                s.put("momentum", settings.momentum());
            }
            s.put("steps", settings.steps());
            s.put("start", settings.start());
            s.put("tolerance", settings.tolerance());
            root.put("settings", s);
            root.put("verdict", verdict);
            root.put("steps_run", trajectory.length - 1);
            put(root, "steps_to_tolerance", stepsToTolerance, "none: θ never came within tolerance × its starting"
                    + " distance of the " + (surface.minimizer() != null ? "minimizer" : "saddle point"));
            root.put("final_point", finalPoint());
            root.put("final_value", finalValue());
            if (!directions.isEmpty()) {
                String notGd = "undefined: the lectures' αλ regimes are those of plain gradient descent (sgd)";
                String atZero = "undefined: the coordinate starts at 0, where gradient descent never moves it";
                List<Map<String, Object>> dirs = new ArrayList<>();
                for (Direction d : directions) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("axis", d.axis());
                    m.put("eigenvalue", d.eigenvalue());
                    put(m, "alpha_lambda", d.alphaLambda(), notGd);
                    put(m, "predicted_regime", d.predicted() == null ? null : d.predicted().jsonName(), notGd);
                    put(m, "observed_regime", d.observed() == null ? null : d.observed().jsonName(), atZero);
                    m.put("sign_changes", d.signChanges());
                    if (Double.isFinite(d.growth())) {
                        m.put("growth", d.growth());
                    } else {
                        put(m, "growth", null, d.observed() == null ? atZero : StrictJson.notFinite(d.growth()));
                    }
                    put(m, "settled_step", d.settledStep(), "none: the coordinate never stayed within tolerance ×"
                            + " its start");
                    put(m, "agree", d.agree(), d.alphaLambda() == null ? notGd : atZero);
                    dirs.add(m);
                }
                root.put("directions", dirs);
            }
            if (note != null) {
                root.put("note", note);
            }
            root.put("trajectory", trajectory);
            root.put("values", values);
            return StrictJson.toJson(root);
        }

        /** {@code name: value}, and where the value is null, {@code name_status: reason}. */
        private static void put(Map<String, Object> m, String name, Object value, String reason) {
            m.put(name, value);
            if (value == null) {
                m.put(name + StrictJson.STATUS_SUFFIX, reason);
            }
        }

        /** Writes {@code dir/toy.json} and {@code dir/contour.png}. */
        public void write(Path dir) {
            try {
                Files.createDirectories(dir);
                AtomicFiles.writeString(dir.resolve("toy.json"), toJson());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + dir.resolve("toy.json"), e);
            }
            // The picture after the numbers, and never a reason to lose them.
            Path png = dir.resolve("contour.png");
            ReportFiles.bestEffort(png, () -> contourPlot().write(png));
        }

        /** The surface around the trajectory, with the trajectory, its start and its end. */
        public ContourPlot contourPlot() {
            double[] box = plotBox();
            int n = 161;
            double[] gx = new double[n];
            double[] gy = new double[n];
            for (int i = 0; i < n; i++) {
                gx[i] = box[0] + (box[1] - box[0]) * i / (n - 1);
                gy[i] = box[2] + (box[3] - box[2]) * i / (n - 1);
            }
            double[][] z = new double[n][n];
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < n; i++) {
                    z[j][i] = surface.value(gx[i], gy[j]);
                }
            }
            String title = String.format(Locale.ROOT, "%s %s, %s α = %s: %s", surface.name(), surface.describe(),
                    settings.optimizer(), trim(settings.lr()), verdict.replace('_', ' '));
            ContourPlot plot = new ContourPlot(title, "x", "y").grid(gx, gy, z).colourLabel("J")
                    .trajectory(xs(), ys());
            double[] s = trajectory[0];
            double[] e = trajectory[trajectory.length - 1];
            plot.marker(s[0], s[1], "start");
            if (Double.isFinite(e[0]) && Double.isFinite(e[1])) {
                plot.endMarker(e[0], e[1], "end");
            }
            return plot;
        }

        /**
         * The surface's own box, grown to take in the trajectory, but not past 3× the box's size: a diverging
         * run's far points would squash the surface into a dot.
         */
        private double[] plotBox() {
            double[] b = surface.plotBox().clone();
            double w = b[1] - b[0];
            double h = b[3] - b[2];
            double[] limit = {b[0] - w, b[1] + w, b[2] - h, b[3] + h};
            for (double[] p : trajectory) {
                if (Double.isFinite(p[0]) && Double.isFinite(p[1])) {
                    b[0] = Math.max(limit[0], Math.min(b[0], p[0]));
                    b[1] = Math.min(limit[1], Math.max(b[1], p[0]));
                    b[2] = Math.max(limit[2], Math.min(b[2], p[1]));
                    b[3] = Math.min(limit[3], Math.max(b[3], p[1]));
                }
            }
            return b;
        }
    }

    /** Runs {@code settings} on {@code surface}. */
    public static Result run(ToySurface surface, Settings settings) {
        List<double[]> path = new ArrayList<>();
        path.add(settings.start().clone());
        String note = null;
        if (NEWTON.equals(settings.optimizer())) {
            note = newton(surface, settings, path);
        } else {
            optimizer(surface, settings, path);
        }
        double[][] trajectory = path.toArray(new double[0][]);
        double[] values = new double[trajectory.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = surface.value(trajectory[i][0], trajectory[i][1]);
        }
        Integer toTolerance = stepsToTolerance(surface, settings, trajectory);
        List<Direction> directions = surface instanceof ToySurface.Quadratic q
                ? directions(q, settings, trajectory) : List.of();
        return new Result(surface, settings, trajectory, values, verdict(surface, settings, trajectory), toTolerance,
                directions, note);
    }

    /** Ravine's optimizer on a two-element θ, stepped exactly as the Trainer steps a network's θ. */
    private static void optimizer(ToySurface surface, Settings s, List<double[]> path) {
        UpdateRule rule = UpdateRule.parse(s.optimizer());
        Optimizer opt = Optimizer.builder(rule).optLearningRate(s.lr()).optMomentum(s.momentum()).build();
        double limit = DIVERGED_GROWTH * Math.max(1, norm(s.start()));
        try (CpuBackend backend = CpuBackend.f64();
                Tensor theta = backend.allocateVector(2);
                Tensor grad = backend.allocateVector(2);
                OptimizerState state = opt.init(backend, 2)) {
            backend.copyFromHost(s.start(), 0, theta);
            double[] p = s.start().clone();
            for (int t = 0; t < s.steps(); t++) {
                backend.copyFromHost(surface.gradient(p[0], p[1]), 0, grad);
                opt.step(backend, theta, grad, state);
                p = backend.toDoubleArray(theta);
                path.add(p);
                if (!(norm(p) <= limit)) {
                    break;
                }
            }
        }
    }

    /** θ ← θ − α H⁻¹∇J; stops (and says why) where H is singular. */
    private static String newton(ToySurface surface, Settings s, List<double[]> path) {
        double[] p = s.start().clone();
        double limit = DIVERGED_GROWTH * Math.max(1, norm(s.start()));
        for (int t = 0; t < s.steps(); t++) {
            double[] g = surface.gradient(p[0], p[1]);
            double[][] h = surface.hessian(p[0], p[1]);
            double det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
            double scale = Math.max(Math.abs(h[0][0]) + Math.abs(h[0][1]), Math.abs(h[1][0]) + Math.abs(h[1][1]));
            if (!(Math.abs(det) > 1e-14 * scale * scale)) {
                return String.format(Locale.ROOT, "stopped at step %d: the Hessian is singular (det %.3g)", t, det);
            }
            // Cramer's rule for H d = g.
            double dx = (h[1][1] * g[0] - h[0][1] * g[1]) / det;
            double dy = (h[0][0] * g[1] - h[1][0] * g[0]) / det;
            p = new double[] {p[0] - s.lr() * dx, p[1] - s.lr() * dy};
            path.add(p);
            if (!(norm(p) <= limit)) {
                break;
            }
        }
        return null;
    }

    private static Integer stepsToTolerance(ToySurface surface, Settings s, double[][] trajectory) {
        double[] target = surface.minimizer() != null ? surface.minimizer() : new double[] {0, 0};
        double start = distance(trajectory[0], target);
        for (int k = 0; k < trajectory.length; k++) {
            if (distance(trajectory[k], target) <= s.tolerance() * start) {
                return k;
            }
        }
        return null;
    }

    private static String verdict(ToySurface surface, Settings s, double[][] trajectory) {
        double[] end = trajectory[trajectory.length - 1];
        double[] start = trajectory[0];
        boolean finite = Double.isFinite(end[0]) && Double.isFinite(end[1]);
        if (surface instanceof ToySurface.Saddle) {
            if (finite && norm(end) <= s.tolerance() * norm(start)) {
                return "attracted_to_saddle";
            }
            if (!finite || norm(end) > norm(start) && surface.value(end[0], end[1])
                    < surface.value(start[0], start[1])) {
                return "escaped";
            }
            return "not_converged";
        }
        // Above a minimum, a run that ends higher than it started has gone the wrong way.
        if (!finite || surface.value(end[0], end[1]) > surface.value(start[0], start[1])) {
            return "diverged";
        }
        return distance(end, surface.minimizer()) <= s.tolerance() * distance(start, surface.minimizer())
                ? "converged" : "not_converged";
    }

    private static List<Direction> directions(ToySurface.Quadratic q, Settings s, double[][] trajectory) {
        List<Direction> out = new ArrayList<>();
        double[] lambdas = q.eigenvalues();
        boolean gd = s.optimizer().equals("sgd");
        for (int axis = 0; axis < 2; axis++) {
            double[] c = new double[trajectory.length];
            for (int k = 0; k < c.length; k++) {
                c[k] = trajectory[k][axis];
            }
            GradientDescentRegime observed = GradientDescentRegime.observed(c);
            double alphaLambda = s.lr() * lambdas[axis];
            GradientDescentRegime predicted = gd ? GradientDescentRegime.predicted(alphaLambda) : null;
            double growth = Math.abs(c[c.length - 1]) / Math.abs(c[0]);
            out.add(new Direction(axis == 0 ? "x" : "y", lambdas[axis], gd ? alphaLambda : null, predicted,
                    observed, GradientDescentRegime.signChanges(c), growth, settledStep(c, s.tolerance()),
                    gd && observed != null ? predicted == observed : null));
        }
        return out;
    }

    /** The first step from which |x| stays within tolerance × |x₀|; null if it never settles. */
    private static Integer settledStep(double[] c, double tolerance) {
        double bound = tolerance * Math.abs(c[0]);
        Integer settled = null;
        for (int k = c.length - 1; k >= 0; k--) {
            if (Math.abs(c[k]) <= bound) {
                settled = k;
            } else {
                break;
            }
        }
        return settled;
    }

    private static double norm(double[] p) {
        return Math.hypot(p[0], p[1]);
    }

    private static double distance(double[] a, double[] b) {
        return Math.hypot(a[0] - b[0], a[1] - b[1]);
    }

    private static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.6g", v);
        if (s.contains("e")) {
            return s;
        }
        s = s.contains(".") ? s.replaceAll("0+$", "") : s;
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
