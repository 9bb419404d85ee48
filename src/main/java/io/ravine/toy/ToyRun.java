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
import io.ravine.report.LinePlot;
import io.ravine.report.ReportFiles;
import io.ravine.report.SurfacePlot;
import java.awt.Color;
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
     * The canonical (lower-case) name of an optimizer given in any case: {@code ADAM} is {@code adam}, so that
     * everything that depends on the optimizer (its default α, its analyses) sees one spelling.
     *
     * @throws InvalidInputException naming {@code --optimizer} for an unknown name
     */
    public static String optimizerName(String optimizer) {
        if (optimizer != null && NEWTON.equalsIgnoreCase(optimizer.trim())) {
            return NEWTON;
        }
        UpdateRule rule;
        try {
            rule = UpdateRule.parse(optimizer);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new InvalidInputException("--optimizer must be sgd, momentum, nesterov, rmsprop, adam, adamw or"
                    + " newton, not '" + optimizer + "'");
        }
        if (rule.closureBased()) {
            // The toys step a fused rule on a 2-D surface; their second-order method is exact Newton (newton).
            throw new InvalidInputException("--optimizer " + rule.cliName() + " trains networks (train); the toys"
                    + " take sgd, momentum, nesterov, rmsprop, adam, adamw or newton");
        }
        return rule.cliName();
    }

    /**
     * What depends on the surface and the settings together, checked before anything is run: μ = 1 (no friction)
     * only on the plane, where it shows that the velocity never settles.
     */
    public static void validate(ToySurface surface, Settings settings) {
        if (settings.momentum() == 1 && !(surface instanceof ToySurface.Plane)) {
            throw new InvalidInputException("--momentum 1 (no friction) goes only with --problem plane, where it"
                    + " shows that the velocity never settles; --problem " + surface.name() + " needs μ in [0, 1),"
                    + " got 1");
        }
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
            optimizer = optimizerName(optimizer);
            if (!(lr > 0) || Double.isInfinite(lr)) {
                throw new InvalidInputException("--lr must be positive and finite, got " + lr);
            }
            // μ = 1 passes here and is refused by validate() on every surface but the plane.
            if (!(momentum >= 0 && momentum <= 1)) {
                throw new InvalidInputException("--momentum must be in [0, 1) (or exactly 1 with --problem plane),"
                        + " got " + momentum);
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
            String o = optimizerName(optimizer);
            if (NEWTON.equals(o)) {
                return 1.0;
            }
            boolean adaptive = o.equals("rmsprop") || o.equals("adam") || o.equals("adamw");
            return switch (problem.trim().toLowerCase(Locale.ROOT)) {
                case "rosenbrock" -> adaptive ? 0.02 : 1e-3;
                case "saddle" -> adaptive ? 0.05 : 0.1;
                case "multiminima" -> 0.02;
                case "plane" -> 0.01;
                default -> adaptive ? 0.05 : 0.15;
            };
        }

        public static int defaultSteps(String problem) {
            return switch (problem.trim().toLowerCase(Locale.ROOT)) {
                case "rosenbrock" -> 5000;
                case "saddle" -> 50;
                case "multiminima" -> 500;
                case "plateau" -> 1500;
                case "plane" -> 200;
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

    /** Where one optimizer, at its default α, ended from the same start (the multi-minima comparison). */
    public record Outcome(String optimizer, double lr, String verdict, ToySurface.Minimum reached,
            double[] finalPoint, double finalValue, Integer stepsToTolerance) {
    }

    /**
     * The crossing of a {@link ToySurface.Plateau}: the updates made from points on it (measured), and the number
     * the step rule predicts from the start in closed form (null where it has none, with the reason).
     *
     * @param steps updates made from points on the plateau
     * @param leftAt the first step at which x ≥ 0 (off the plateau, downhill), or null if it never got there
     * @param predicted ⌈−x₀/(αs)⌉ for sgd, the first k with x₀ + αs/(1−μ)·(k − μ(1−μᵏ)/(1−μ)) ≥ 0 for momentum
     *     (μ² in place of μ for Nesterov); null otherwise
     */
    public record PlateauCrossing(double width, double slope, int steps, Integer leftAt, Integer predicted,
            String predictedStatus) {
    }

    /**
     * Momentum on the {@link ToySurface.Plane}: the speed ‖θ_t − θ_{t−1}‖ of every step, the terminal speed it
     * settles at against the lectures' α‖g‖/(1 − μ), and the step from which it stays within tolerance of it.
     *
     * @param speeds speeds[t − 1] is the speed of update t
     * @param predicted α‖g‖/(1 − μ) for momentum and Nesterov, α‖g‖ for sgd; null otherwise (with the reason)
     * @param predictedSteps the first t with μᵗ ≤ tolerance (μ^{t+1} for Nesterov; 1 for sgd): the speed is then
     *     within tolerance × the terminal speed
     * @param measuredSteps the first t from which the measured speed stays within tolerance × predicted
     * @param growth with μ = 1: the mean increase of the speed per step, to compare with α‖g‖
     */
    public record TerminalVelocity(double gradientNorm, double[] speeds, Double predicted, String predictedStatus,
            double measured, Double relativeError, Integer predictedSteps, Integer measuredSteps, Double growth,
            Double predictedGrowth) {
    }

    /** What a run did. Trajectory point k is θ after k updates (point 0 is the start). */
    public record Result(ToySurface surface, Settings settings, double[][] trajectory, double[] values,
            String verdict, Integer stepsToTolerance, String stepsToToleranceStatus, List<Direction> directions,
            String note, ToySurface.Minimum reached, List<Outcome> outcomes, PlateauCrossing plateau,
            TerminalVelocity terminal) {

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
            if (surface instanceof ToySurface.Plane plane) {
                root.put("gradient", new double[] {plane.gx(), plane.gy()});
            }
            put(root, "minimizer", surface.minimizer(), surface instanceof ToySurface.Plane
                    ? "none: a plane has no minimum (it falls for ever along −g)"
                    : "none: this surface has no minimum (a saddle)");
            if (surface.minima().size() > 1) {
                List<Map<String, Object>> ms = new ArrayList<>();
                for (ToySurface.Minimum m : surface.minima()) {
                    ms.add(minimum(m));
                }
                root.put("minima", ms);
            }
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
            put(root, "steps_to_tolerance", stepsToTolerance, stepsToToleranceStatus);
            root.put("final_point", finalPoint());
            root.put("final_value", finalValue());
            if (!surface.minima().isEmpty()) {
                put(root, "minimum_reached", reached == null ? null : minimum(reached), "none: the run did not end"
                        + " within tolerance × its starting distance of any minimum");
            }
            if (!outcomes.isEmpty()) {
                List<Map<String, Object>> os = new ArrayList<>();
                for (Outcome o : outcomes) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("optimizer", o.optimizer());
                    m.put("lr", o.lr());
                    m.put("verdict", o.verdict());
                    put(m, "minimum_reached", o.reached() == null ? null : minimum(o.reached()), "none: it did not"
                            + " end within tolerance of a minimum");
                    m.put("final_point", o.finalPoint());
                    m.put("final_value", o.finalValue());
                    put(m, "steps_to_tolerance", o.stepsToTolerance(), "none: it did not end within tolerance of a"
                            + " minimum");
                    os.add(m);
                }
                root.put("optimizers_from_the_same_start", os);
            }
            if (plateau != null) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("width", plateau.width());
                m.put("slope", plateau.slope());
                m.put("steps_on_plateau", plateau.steps());
                put(m, "predicted_steps_on_plateau", plateau.predicted(), plateau.predictedStatus());
                put(m, "left_plateau_at_step", plateau.leftAt(), "none: the run ended before it left the plateau"
                        + " downhill");
                root.put("plateau", m);
            }
            if (terminal != null) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("gradient_norm", terminal.gradientNorm());
                put(m, "predicted_terminal_speed", terminal.predicted(), terminal.predictedStatus());
                m.put("measured_final_speed", terminal.measured());
                put(m, "relative_error", terminal.relativeError(), terminal.predictedStatus());
                put(m, "predicted_steps_to_tolerance", terminal.predictedSteps(), terminal.predictedStatus());
                put(m, "measured_steps_to_tolerance", terminal.measuredSteps(), terminal.predicted() == null
                        ? terminal.predictedStatus() : "none: the speed did not stay within tolerance × the terminal"
                        + " speed");
                if (terminal.growth() != null) {
                    m.put("speed_growth_per_step", terminal.growth());
                    m.put("predicted_speed_growth_per_step", terminal.predictedGrowth());
                }
                m.put("speeds", terminal.speeds());
                root.put("terminal_velocity", m);
            }
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

        private static Map<String, Object> minimum(ToySurface.Minimum m) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("point", new double[] {m.x(), m.y()});
            o.put("value", m.value());
            o.put("global", m.global());
            return o;
        }

        /** {@code name: value}, and where the value is null, {@code name_status: reason}. */
        private static void put(Map<String, Object> m, String name, Object value, String reason) {
            m.put(name, value);
            if (value == null) {
                m.put(name + StrictJson.STATUS_SUFFIX, reason);
            }
        }

        /** The verdict in one sentence, for the console and the report. */
        public String summary() {
            String head = String.format(Locale.ROOT, "%s %s with %s (α = %s%s)", surface.name(), surface.describe(),
                    settings.optimizer(), shortNumber(settings.lr()), usesMomentum(settings.optimizer())
                            ? ", μ = " + shortNumber(settings.momentum()) : "");
            double[] end = finalPoint();
            String ends = String.format(Locale.ROOT, "ends at (%.6g, %.6g), J = %.6g", end[0], end[1], finalValue());
            int ran = trajectory.length - 1;
            String target = surface instanceof ToySurface.Saddle ? "the saddle point (0, 0)"
                    : reached == null ? "the minimum"
                    : (surface.minima().size() == 1 ? "the minimum " : reached.global() ? "the global minimum "
                            : "the local minimum ") + reached.where() + " (J = " + shortNumber(reached.value()) + ")";
            String body = switch (verdict) {
                case "converged", "attracted_to_saddle" -> String.format(Locale.ROOT, "%s: within tolerance %s of %s"
                        + " from step %d on (%d steps run); %s", verdict.replace('_', ' '),
                        trim(settings.tolerance()), target, stepsToTolerance, ran, ends);
                case "terminal_velocity" -> String.format(Locale.ROOT, "reached its terminal speed %.6g after %d"
                        + " steps; %s", terminal.measured(), ran, ends);
                default -> String.format(Locale.ROOT, "%s after %d steps; %s", verdict.replace('_', ' '), ran, ends);
            };
            return head + ": " + body;
        }

        /** The PNG files {@link #write} draws, in the order the report shows them. */
        public List<String> pictures() {
            List<String> p = new ArrayList<>(List.of(CONTOUR, SURFACE));
            if (!outcomes.isEmpty()) {
                p.add(OPTIMIZERS);
            }
            if (plateau != null) {
                p.add(PLATEAU);
            }
            if (terminal != null) {
                p.add(VELOCITY);
            }
            return p;
        }

        /**
         * Writes {@code dir/toy.json}, then the pictures ({@link #pictures}) and {@code dir/report.html} that shows
         * them; a picture or the page that cannot be drawn is one warning line ({@link ReportFiles}), and toy.json
         * is kept.
         */
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
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + dir.resolve("toy.json"), e);
            }
            // The pictures after the numbers, and never a reason to lose them.
            Path contour = dir.resolve(CONTOUR);
            ReportFiles.bestEffort(contour, () -> contourPlot().write(contour));
            Path surfacePng = dir.resolve(SURFACE);
            ReportFiles.bestEffort(surfacePng, () -> surfacePlot().write(surfacePng));
            if (!outcomes.isEmpty()) {
                Path png = dir.resolve(OPTIMIZERS);
                ReportFiles.bestEffort(png, () -> optimizersPlot().write(png));
            }
            if (plateau != null) {
                Path png = dir.resolve(PLATEAU);
                ReportFiles.bestEffort(png, () -> plateauPlot().write(png));
            }
            if (terminal != null) {
                Path png = dir.resolve(VELOCITY);
                ReportFiles.bestEffort(png, () -> velocityPlot().write(png));
            }
            ToyReport.write(dir, "Toy: " + surface.name(), List.of(summary()), reportRows(), pictures(), command);
        }

        /** The report's table: the numbers a reader checks against the lectures. */
        private List<List<String>> reportRows() {
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("surface", surface.describe()));
            rows.add(List.of("optimizer", settings.optimizer() + ", α = " + shortNumber(settings.lr())
                    + (usesMomentum(settings.optimizer()) ? ", μ = " + shortNumber(settings.momentum()) : "")));
            rows.add(List.of("verdict", verdict));
            rows.add(List.of("steps run", Integer.toString(trajectory.length - 1)));
            if (note != null) {
                rows.add(List.of("note", note));
            }
            for (Outcome o : outcomes) {
                rows.add(List.of(o.optimizer() + " (α = " + shortNumber(o.lr()) + ")", o.reached() == null
                        ? o.verdict() : (o.reached().global() ? "global minimum " : "local minimum ")
                        + o.reached().where() + ", J = " + shortNumber(o.reached().value())));
            }
            if (plateau != null) {
                rows.add(List.of("steps on the plateau (measured)", Integer.toString(plateau.steps())));
                rows.add(List.of("steps on the plateau (predicted)", plateau.predicted() == null
                        ? "- (" + plateau.predictedStatus() + ")" : Integer.toString(plateau.predicted())));
            }
            if (terminal != null) {
                rows.add(List.of("terminal speed α‖g‖/(1 − μ) (predicted)", terminal.predicted() == null
                        ? "- (" + terminal.predictedStatus() + ")" : shortNumber(terminal.predicted())));
                rows.add(List.of("final speed (measured)", shortNumber(terminal.measured())));
                if (terminal.growth() != null) {
                    rows.add(List.of("speed growth per step (measured, predicted α‖g‖)",
                            shortNumber(terminal.growth()) + ", " + shortNumber(terminal.predictedGrowth())));
                }
            }
            return rows;
        }

        /** The grid the pictures sample: n × n points over {@link #plotBox()}, z[j][i] = J(x_i, y_j). */
        private double[][][] grid(int n) {
            double[] box = plotBox();
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
            return new double[][][] {{gx, gy}, z};
        }

        private String title() {
            return String.format(Locale.ROOT, "%s %s, %s α = %s: %s", surface.name(), surface.describe(),
                    settings.optimizer(), trim(settings.lr()), verdict.replace('_', ' '));
        }

        /** The surface around the trajectory, with the trajectory, its start and its end. */
        public ContourPlot contourPlot() {
            double[][][] g = grid(161);
            ContourPlot plot = new ContourPlot(title(), "x", "y").grid(g[0][0], g[0][1], g[1]).colourLabel("J")
                    .trajectory(xs(), ys());
            double[] s = trajectory[0];
            double[] e = trajectory[trajectory.length - 1];
            plot.marker(s[0], s[1], "start");
            if (Double.isFinite(e[0]) && Double.isFinite(e[1])) {
                plot.endMarker(e[0], e[1], "end");
            }
            return plot;
        }

        /** The surface in 3-D (the lectures' surface plot), with the trajectory on it. */
        public SurfacePlot surfacePlot() {
            double[][][] g = grid(61);
            SurfacePlot plot = new SurfacePlot(title(), "x", "y", "J").grid(g[0][0], g[0][1], g[1])
                    .surfacePath(xs(), ys(), SurfacePlot.PATH, false);
            double[] s = trajectory[0];
            plot.marker(s[0], s[1], values[0], "start", java.awt.Color.WHITE);
            double[] e = trajectory[trajectory.length - 1];
            if (Double.isFinite(e[0]) && Double.isFinite(e[1]) && Double.isFinite(finalValue())) {
                plot.marker(e[0], e[1], finalValue(), "end", SurfacePlot.PATH);
            }
            return plot;
        }

        /** Every optimizer's path from the same start over the contour map, with the minimum each reached. */
        private ContourPlot optimizersPlot() {
            double[][][] g = grid(161);
            ContourPlot plot = new ContourPlot(surface.name() + ": each optimizer at its default α from ("
                    + shortNumber(settings.start()[0]) + ", " + shortNumber(settings.start()[1]) + ")", "x", "y")
                    .grid(g[0][0], g[0][1], g[1]).colourLabel("J");
            for (int k = 0; k < outcomes.size(); k++) {
                Outcome o = outcomes.get(k);
                java.awt.Color c = PALETTE[k % PALETTE.length];
                Result r = ToyRun.runOne(surface, new Settings(o.optimizer(), o.lr(), settings.momentum(),
                        settings.steps(), settings.start(), settings.tolerance()));
                plot.trajectory(r.xs(), r.ys(), c, k >= PALETTE.length);
                plot.legend(o.optimizer() + " → " + (o.reached() == null ? o.verdict().replace('_', ' ')
                        : o.reached().where()), c, k >= PALETTE.length);
            }
            for (ToySurface.Minimum m : surface.minima()) {
                plot.endMarker(m.x(), m.y(), m.global() ? "global" : "");
            }
            plot.marker(settings.start()[0], settings.start()[1], "start");
            return plot;
        }

        /** J against the step: flat while the run crawls over the plateau, then the drop. */
        private LinePlot plateauPlot() {
            double[] steps = new double[values.length];
            double[] j = new double[values.length];
            for (int k = 0; k < steps.length; k++) {
                steps[k] = k;
                j[k] = values[k];
            }
            LinePlot plot = new LinePlot(String.format(Locale.ROOT, "Plateau of width %s and slope %s: %d steps"
                    + " on it (predicted %s)", shortNumber(plateau.width()), shortNumber(plateau.slope()),
                    plateau.steps(), plateau.predicted() == null ? "-" : plateau.predicted().toString()), "step", "J")
                    .series(settings.optimizer() + ", α = " + shortNumber(settings.lr()), steps, j);
            if (plateau.leftAt() != null) {
                plot.verticalLine(plateau.leftAt(), "left the plateau (step " + plateau.leftAt() + ")");
            }
            return plot;
        }

        /** The speed of every step against the lectures' curve α‖g‖(1 − μᵗ)/(1 − μ) and its limit. */
        private LinePlot velocityPlot() {
            double[] speeds = terminal.speeds();
            double[] t = new double[speeds.length];
            for (int k = 0; k < t.length; k++) {
                t[k] = k + 1;
            }
            String title = terminal.predicted() != null
                    ? String.format(Locale.ROOT, "Speed per step: terminal α‖g‖/(1 − μ) = %s, measured %s",
                            shortNumber(terminal.predicted()), shortNumber(terminal.measured()))
                    : terminal.predictedGrowth() != null
                    ? String.format(Locale.ROOT, "μ = 1: the speed grows by %s per step (α‖g‖ = %s), never settles",
                            shortNumber(terminal.growth()), shortNumber(terminal.predictedGrowth()))
                    : "Speed per step (" + settings.optimizer() + ")";
            LinePlot plot = new LinePlot(title, "step t", "‖θ_t − θ_(t−1)‖")
                    .series("measured (" + settings.optimizer() + ")", t, speeds, new java.awt.Color(31, 119, 180),
                            false, true);
            double[] curve = predictedSpeeds(settings, terminal.gradientNorm(), speeds.length);
            if (curve != null) {
                plot.series(settings.momentum() == 1 && usesMomentum(settings.optimizer()) ? "α‖g‖·t (μ = 1)"
                        : usesMomentum(settings.optimizer()) ? "α‖g‖(1 − μᵗ)/(1 − μ)" : "α‖g‖", t, curve,
                        new java.awt.Color(255, 127, 14), true, false);
            }
            if (terminal.predicted() != null) {
                double[] limit = new double[t.length];
                java.util.Arrays.fill(limit, terminal.predicted());
                plot.series("terminal α‖g‖/(1 − μ)", t, limit, Color.GRAY, true, false);
            }
            return plot;
        }

        /**
         * The surface's own box, grown to take in the trajectory, but not past 3× the box's size: a diverging
         * run's far points would squash the surface into a dot. The plane has no picture of its own: its box is the
         * trajectory's, with a margin.
         */
        private double[] plotBox() {
            double[] b = surface.plotBox().clone();
            if (surface instanceof ToySurface.Plane) {
                double[] t = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY,
                    Double.NEGATIVE_INFINITY};
                for (double[] p : trajectory) {
                    if (Double.isFinite(p[0]) && Double.isFinite(p[1])) {
                        t[0] = Math.min(t[0], p[0]);
                        t[1] = Math.max(t[1], p[0]);
                        t[2] = Math.min(t[2], p[1]);
                        t[3] = Math.max(t[3], p[1]);
                    }
                }
                double half = Math.max(1, 0.6 * Math.max(t[1] - t[0], t[3] - t[2]));
                double cx = (t[0] + t[1]) / 2;
                double cy = (t[2] + t[3]) / 2;
                return new double[] {cx - half, cx + half, cy - half, cy + half};
            }
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

    /** File names of the toy's pictures. */
    public static final String CONTOUR = "contour.png";
    public static final String SURFACE = "surface.png";
    public static final String OPTIMIZERS = "optimizers.png";
    public static final String PLATEAU = "plateau.png";
    public static final String VELOCITY = "velocity.png";

    /** Distinct colours for several paths on one map (none of them in viridis). */
    private static final java.awt.Color[] PALETTE = {ContourPlot.TRAJECTORY, java.awt.Color.WHITE,
        new java.awt.Color(255, 140, 0), new java.awt.Color(0, 190, 255), new java.awt.Color(255, 105, 180),
        new java.awt.Color(0, 0, 0), new java.awt.Color(160, 82, 45)};

    /** The optimizers the multi-minima comparison runs, each at its default α. */
    static final List<String> ALL_OPTIMIZERS = List.of("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw",
            NEWTON);

    /**
     * Runs {@code settings} on {@code surface}; on the multi-minima surface, also every optimizer at its default α
     * from the same start, for the table of which minimum each reaches.
     */
    public static Result run(ToySurface surface, Settings settings) {
        validate(surface, settings);
        Result r = runOne(surface, settings);
        if (!(surface instanceof ToySurface.MultiMinima)) {
            return r;
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (String o : ALL_OPTIMIZERS) {
            double lr = Settings.defaultLearningRate(surface.name(), o);
            Result other = runOne(surface, new Settings(o, lr, settings.momentum() < 1 ? settings.momentum() : 0.9,
                    settings.steps(), settings.start(), settings.tolerance()));
            outcomes.add(new Outcome(o, lr, other.verdict(), other.reached(), other.finalPoint(), other.finalValue(),
                    other.stepsToTolerance()));
        }
        return new Result(r.surface(), r.settings(), r.trajectory(), r.values(), r.verdict(), r.stepsToTolerance(),
                r.stepsToToleranceStatus(), r.directions(), r.note(), r.reached(), List.copyOf(outcomes), r.plateau(),
                r.terminal());
    }

    /** One run, with the analyses its surface has. */
    static Result runOne(ToySurface surface, Settings settings) {
        List<double[]> path = new ArrayList<>();
        path.add(settings.start().clone());
        String note = null;
        if (NEWTON.equals(settings.optimizer())) {
            note = newton(surface, settings, path);
        } else if (settings.momentum() == 1 && usesMomentum(settings.optimizer())) {
            heavyBall(surface, settings, path);
        } else {
            optimizer(surface, settings, path);
        }
        double[][] trajectory = path.toArray(new double[0][]);
        double[] values = new double[trajectory.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = surface.value(trajectory[i][0], trajectory[i][1]);
        }
        ToySurface.Minimum reached = null;
        double[] target = surface instanceof ToySurface.Saddle ? new double[] {0, 0} : surface.minimizer();
        if (!surface.minima().isEmpty()) {
            ToySurface.Minimum nearest = nearestMinimum(surface, trajectory[trajectory.length - 1]);
            target = new double[] {nearest.x(), nearest.y()};
            if (within(trajectory[trajectory.length - 1], trajectory[0], target, settings.tolerance())) {
                reached = nearest;
            }
        }
        Integer toTolerance = null;
        String toleranceStatus = null;
        if (target == null) {
            toleranceStatus = "none: a plane has no minimum to come within tolerance of (see terminal_velocity)";
        } else {
            toTolerance = stepsToTolerance(trajectory, target, settings.tolerance());
            if (toTolerance == null) {
                Integer first = firstWithin(trajectory, target, settings.tolerance());
                String of = surface instanceof ToySurface.Saddle ? "saddle point" : surface.minima().size() > 1
                        ? "minimum it ended nearest to" : "minimizer";
                toleranceStatus = first == null
                        ? "none: θ never came within tolerance × its starting distance of the " + of
                        : "none: θ came within tolerance × its starting distance of the " + of + " at step " + first
                                + " but did not stay there";
            }
        }
        List<Direction> directions = surface instanceof ToySurface.Quadratic q
                ? directions(q, settings, trajectory) : List.of();
        TerminalVelocity terminal = surface instanceof ToySurface.Plane plane
                ? terminalVelocity(plane, settings, trajectory) : null;
        if (terminal != null && settings.momentum() == 1 && usesMomentum(settings.optimizer())) {
            note = String.format(Locale.ROOT, "μ = 1 has no friction: the velocity never decays, so the speed grows"
                    + " by α‖g‖ = %s every step (measured %s) and never reaches a terminal velocity; ravine train"
                    + " refuses --momentum ≥ 1 for this reason (Grosse §4.5: μ < 1 lets the energy decay)",
                    shortNumber(terminal.predictedGrowth()), shortNumber(terminal.growth()));
        }
        PlateauCrossing plateau = surface instanceof ToySurface.Plateau p ? plateau(p, settings, trajectory) : null;
        return new Result(surface, settings, trajectory, values, verdict(surface, settings, trajectory, target),
                toTolerance, toleranceStatus, directions, note, reached, List.of(), plateau, terminal);
    }

    static boolean usesMomentum(String optimizer) {
        return optimizer.equals("momentum") || optimizer.equals("nesterov");
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

    /**
     * Momentum (or Nesterov) with μ = 1, which {@link Optimizer} refuses (as {@code train} does): the same update
     * as the CPU backend's float64 kernel, written out, p ← μp − αg, θ ← θ + p (Nesterov: θ ← θ + μp − αg).
     * {@code heavyBallMatchesTheOptimizer} in the tests checks it against {@link Optimizer#step} bit for bit at
     * μ &lt; 1.
     */
    static void heavyBall(ToySurface surface, Settings s, List<double[]> path) {
        boolean nesterov = s.optimizer().equals("nesterov");
        double mu = s.momentum();
        double lr = s.lr();
        double limit = DIVERGED_GROWTH * Math.max(1, norm(s.start()));
        double[] p = s.start().clone();
        double[] v = new double[2];
        for (int t = 0; t < s.steps(); t++) {
            double[] g = surface.gradient(p[0], p[1]);
            double[] next = new double[2];
            for (int i = 0; i < 2; i++) {
                double pi = mu * v[i] - lr * g[i];
                v[i] = pi;
                next[i] = nesterov ? p[i] + mu * pi - lr * g[i] : p[i] + pi;
            }
            p = next;
            path.add(p);
            if (!(norm(p) <= limit)) {
                break;
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
                return String.format(Locale.ROOT, "stopped at step %d: the Hessian is singular (det %.3g)%s", t, det,
                        surface instanceof ToySurface.Plateau pl && pl.onPlateau(p[0])
                                ? ": on the plateau J is linear in x, so Newton's step H⁻¹∇J is undefined" : "");
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

    /** The minimum nearest to {@code p} (the first of equals). */
    private static ToySurface.Minimum nearestMinimum(ToySurface surface, double[] p) {
        ToySurface.Minimum best = null;
        double d = Double.POSITIVE_INFINITY;
        for (ToySurface.Minimum m : surface.minima()) {
            double dm = Math.hypot(p[0] - m.x(), p[1] - m.y());
            if (best == null || dm < d) {
                best = m;
                d = dm;
            }
        }
        return best;
    }

    /** ‖p − target‖ ≤ tolerance · ‖start − target‖ (false for a point that is not finite). */
    private static boolean within(double[] p, double[] start, double[] target, double tolerance) {
        return distance(p, target) <= tolerance * distance(start, target);
    }

    /**
     * The first step from which θ stays within tolerance × its starting distance of {@code target} to the end of
     * the run; null if the last point is not within it. So "converged" (the last point within tolerance) and "within
     * tolerance from step k on" are one verdict.
     */
    private static Integer stepsToTolerance(double[][] trajectory, double[] target, double tolerance) {
        Integer from = null;
        for (int k = trajectory.length - 1; k >= 0; k--) {
            if (within(trajectory[k], trajectory[0], target, tolerance)) {
                from = k;
            } else {
                break;
            }
        }
        return from;
    }

    private static Integer firstWithin(double[][] trajectory, double[] target, double tolerance) {
        for (int k = 0; k < trajectory.length; k++) {
            if (within(trajectory[k], trajectory[0], target, tolerance)) {
                return k;
            }
        }
        return null;
    }

    private static String verdict(ToySurface surface, Settings s, double[][] trajectory, double[] target) {
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
        if (surface instanceof ToySurface.Plane) {
            int n = trajectory.length;
            if (n >= 3 && finite) {
                double last = distance(trajectory[n - 1], trajectory[n - 2]);
                double before = distance(trajectory[n - 2], trajectory[n - 3]);
                if (Math.abs(last - before) <= s.tolerance() * last) {
                    return "terminal_velocity";
                }
            }
            return "not_settled";
        }
        // Above a minimum, a run that ends higher than it started has gone the wrong way.
        if (!finite || surface.value(end[0], end[1]) > surface.value(start[0], start[1])) {
            return "diverged";
        }
        return within(end, start, target, s.tolerance()) ? "converged" : "not_converged";
    }

    /** The plateau crossing, measured and, for the rules with a closed form, predicted. */
    private static PlateauCrossing plateau(ToySurface.Plateau p, Settings s, double[][] trajectory) {
        int on = 0;
        Integer left = null;
        for (int k = 0; k + 1 < trajectory.length; k++) {
            if (p.onPlateau(trajectory[k][0])) {
                on++;
            }
        }
        for (int k = 0; k < trajectory.length; k++) {
            if (trajectory[k][0] >= 0) {
                left = k;
                break;
            }
        }
        double x0 = s.start()[0];
        Integer predicted = null;
        String status = null;
        String o = s.optimizer();
        if (!p.onPlateau(x0)) {
            status = "undefined: the run does not start on the plateau [−w, 0)";
        } else if (!o.equals("sgd") && !usesMomentum(o)) {
            status = "undefined: predicted only for sgd, momentum and nesterov, whose steps on a constant gradient"
                    + " have a closed form";
        } else {
            double a = s.lr() * p.slope();
            double mu = o.equals("sgd") ? 0 : s.momentum();
            double lag = o.equals("nesterov") ? mu * mu : mu;
            // x_k = x₀ + αs/(1 − μ)·(k − lag·(1 − μᵏ)/(1 − μ)), the sum of the steps αs(1 − μʲ)/(1 − μ) (Nesterov:
            // αs(1 − μ^{j+1})/(1 − μ)); the first k with x_k ≥ 0.
            for (int k = 1; k <= 100_000_000; k++) {
                double x = mu == 0 ? x0 + a * k
                        : x0 + a / (1 - mu) * (k - lag * (1 - Math.pow(mu, k)) / (1 - mu));
                if (x >= 0) {
                    predicted = k;
                    break;
                }
            }
            if (predicted == null) {
                status = "none: more than 1e8 steps";
            }
        }
        return new PlateauCrossing(p.width(), p.slope(), on, left, predicted, status);
    }

    /** The speeds of momentum's steps on the plane against α‖g‖(1 − μᵗ)/(1 − μ). */
    private static TerminalVelocity terminalVelocity(ToySurface.Plane plane, Settings s, double[][] trajectory) {
        int n = trajectory.length - 1;
        double[] speeds = new double[n];
        for (int t = 1; t <= n; t++) {
            speeds[t - 1] = distance(trajectory[t], trajectory[t - 1]);
        }
        double g = plane.gradientNorm();
        String o = s.optimizer();
        double mu = s.momentum();
        double measured = n > 0 ? speeds[n - 1] : 0;
        Double predicted = null;
        String status = null;
        Integer predictedSteps = null;
        Integer measuredSteps = null;
        Double growth = null;
        Double predictedGrowth = null;
        if (usesMomentum(o) && mu == 1) {
            status = "none: μ = 1 has no friction, so there is no terminal velocity (the speed grows by α‖g‖ per"
                    + " step)";
            predictedGrowth = s.lr() * g;
            growth = n >= 2 ? (speeds[n - 1] - speeds[0]) / (n - 1) : null;
        } else if (o.equals("sgd") || usesMomentum(o)) {
            double m = o.equals("sgd") ? 0 : mu;
            predicted = s.lr() * g / (1 - m);
            int lead = o.equals("nesterov") ? 1 : 0;
            predictedSteps = m == 0 ? 1 : Math.max(1, (int) Math.ceil(Math.log(s.tolerance()) / Math.log(m)) - lead);
            for (int t = n; t >= 1; t--) {
                if (Math.abs(speeds[t - 1] - predicted) <= s.tolerance() * predicted) {
                    measuredSteps = t;
                } else {
                    break;
                }
            }
        } else {
            status = "undefined: the lectures' α‖g‖/(1 − μ) is momentum's; " + o + " scales its steps by the"
                    + " gradient's running magnitude";
        }
        return new TerminalVelocity(g, speeds, predicted, status, measured, predicted == null ? null
                : Math.abs(measured - predicted) / predicted, predictedSteps, measuredSteps, growth, predictedGrowth);
    }

    /** The lectures' speed curve for the settings: α‖g‖(1 − μᵗ)/(1 − μ) (momentum), α‖g‖t (μ = 1), α‖g‖ (sgd). */
    static double[] predictedSpeeds(Settings s, double g, int n) {
        String o = s.optimizer();
        if (!o.equals("sgd") && !usesMomentum(o)) {
            return null;
        }
        double mu = o.equals("sgd") ? 0 : s.momentum();
        int lead = o.equals("nesterov") ? 1 : 0;
        double[] v = new double[n];
        for (int t = 1; t <= n; t++) {
            v[t - 1] = mu == 1 ? s.lr() * g * (t + lead) : s.lr() * g * (1 - Math.pow(mu, t + lead)) / (1 - mu);
        }
        return v;
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

    /** Six significant digits, trailing zeros dropped, never in exponent form ("0.000001", "0.15"). */
    static String shortNumber(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros()
                .toPlainString();
    }

    /** Six significant digits, trailing zeros dropped, exponent form for small and large values ("1e-06"). */
    static String trim(double v) {
        String s = String.format(Locale.ROOT, "%.6g", v);
        String exponent = "";
        int e = s.indexOf('e');
        if (e >= 0) {
            exponent = s.substring(e);
            s = s.substring(0, e);
        }
        s = s.contains(".") ? s.replaceAll("0+$", "") : s;
        return (s.endsWith(".") ? s.substring(0, s.length() - 1) : s) + exponent;
    }
}
