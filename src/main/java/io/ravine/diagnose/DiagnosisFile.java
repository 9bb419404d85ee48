package io.ravine.diagnose;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.ravine.io.AtomicFiles;
import io.ravine.io.StrictJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A run directory's {@code diagnosis.json}: every number of a {@link Diagnosis.Report} under stable snake_case
 * names, plus the doctor's findings (the curve doctor's and the measurements'). Strict JSON ({@link StrictJson}):
 * values that are undefined (ε* where gᵀHg ≤ 0, a condition number where λ_min ≤ 0), not measured (a spectrum
 * whose Lanczos run failed on a broken θ) or not finite are null, with the reason in {@code <name>_status}.
 */
public final class DiagnosisFile {
    private DiagnosisFile() {
    }

    /**
     * Where the diagnosis was taken.
     *
     * @param checkpoint the checkpoint file's name without extension
     * @param step the step it was written at
     * @param model the architecture, e.g. {@code 784-256-10 relu softmax-ce}
     * @param device the backend's description
     */
    public record Origin(String checkpoint, long step, String model, String device) {
    }

    public static JsonObject toJson(Diagnosis.Report r, Origin origin, double learningRate, List<Finding> findings) {
        JsonObject root = new JsonObject();
        root.addProperty("checkpoint", origin.checkpoint());
        root.addProperty("step", origin.step());
        root.addProperty("model", origin.model());
        root.addProperty("device", origin.device());
        root.addProperty("subset_size", r.subsetSize());
        root.addProperty("seed", r.seed());
        root.add("learning_rate", num(learningRate));
        root.addProperty("non_finite_parameters", r.nonFiniteParameters());
        Curvature.GradientStudy g = r.gradient();
        root.addProperty("precision", r.precision().cliName());
        root.add("loss", num(g.loss()));
        root.add("gradient_norm", num(g.along().gradientNorm()));
        String gHgFloor = belowFloor(g.along(), r.hessian());
        if (gHgFloor != null) {
            StrictJson.missing(root, "gHg", gHgFloor);
            StrictJson.missing(root, "optimal_step", gHgFloor);
        } else {
            root.add("gHg", num(g.along().gHg()));
            StrictJson.number(root, "optimal_step", g.along().optimalStep(), optimalStepReason(g.along()));
        }
        root.add("second_order", secondOrder(g));
        root.add("hessian", hessian(r.hessian(), r.precision(), r.method()));
        if (r.directional() == null) {
            StrictJson.missing(root, "directional_curvature", "not measured: " + (r.hessian().failure() != null
                    ? r.hessian().failure() : "the Lanczos run completed no step"));
        } else {
            root.add("directional_curvature", directional(r.directional()));
        }
        JsonArray units = new JsonArray();
        for (UnitStatistics.Layer l : r.units()) {
            units.add(layer(l));
        }
        root.add("units", units);
        root.add("symmetry", symmetry(r.symmetry()));
        if (r.spread() == null) {
            StrictJson.missing(root, "spread", "not measured: the training set is too small for disjoint subsets");
        } else {
            root.add("spread", spread(r.spread()));
        }
        JsonObject doctor = new JsonObject();
        JsonArray list = new JsonArray();
        for (Finding f : findings) {
            JsonObject o = new JsonObject();
            o.addProperty("problem", f.problem());
            o.addProperty("evidence", f.evidence());
            o.addProperty("workaround", f.workaround());
            list.add(o);
        }
        doctor.add("findings", list);
        root.add("doctor", doctor);
        JsonObject cost = new JsonObject();
        cost.addProperty("gradient_passes", r.gradientPasses());
        cost.addProperty("hessian_vector_products", r.hessianVectorProducts());
        Diagnosis.Timings t = r.timings();
        JsonObject secs = new JsonObject();
        secs.add("curvature", num(t.curvature()));
        secs.add("lanczos", num(t.lanczos()));
        secs.add("density", num(t.density()));
        secs.add("units", num(t.units()));
        secs.add("symmetry", num(t.symmetry()));
        secs.add("spread", num(t.spread()));
        secs.add("total", num(t.total()));
        cost.add("seconds", secs);
        root.add("cost", cost);
        return root;
    }

    /** Why ε* is null: gᵀHg ≤ 0 (undefined), or gᵀHg not a number. */
    private static String optimalStepReason(Curvature.AlongGradient a) {
        return Double.isFinite(a.gHg()) ? "undefined: g'Hg <= 0, where the quadratic model predicts that every step"
                + " along -g improves" : "not measured: g'Hg is not finite";
    }

    /** Writes {@code json} to {@code file} atomically, as strict JSON. */
    public static void write(Path file, JsonObject json) {
        try {
            AtomicFiles.writeString(file, StrictJson.toJson(json));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static JsonObject secondOrder(Curvature.GradientStudy g) {
        JsonObject so = new JsonObject();
        List<Curvature.StepCheck> checks = g.checks();
        Curvature.StepCheck primary = checks.isEmpty() ? null : checks.get(0);
        if (primary == null) {
            String none = "not measured: no step to check (the optimal step is undefined and the learning rate"
                    + " unknown)";
            StrictJson.missing(so, "step", none);
            StrictJson.missing(so, "predicted_change", none);
            StrictJson.missing(so, "actual_change", none);
        } else {
            so.add("step", num(primary.step()));
            so.add("predicted_change", num(primary.predictedChange()));
            so.add("actual_change", num(primary.actualChange()));
        }
        JsonArray all = new JsonArray();
        for (Curvature.StepCheck c : checks) {
            JsonObject o = new JsonObject();
            o.addProperty("label", c.step() == g.along().optimalStep() ? "optimal_step" : "learning_rate");
            o.add("step", num(c.step()));
            o.add("predicted_change", num(c.predictedChange()));
            o.add("actual_change", num(c.actualChange()));
            all.add(o);
        }
        so.add("checks", all);
        JsonObject curve = new JsonObject();
        curve.add("step", array(g.curveSteps()));
        curve.add("actual", array(g.curveActual()));
        curve.add("quadratic", array(g.curveQuadratic()));
        so.add("curve", curve);
        return so;
    }

    /**
     * Why gᵀHg is not given as a number where its magnitude is below the resolvable floor along g, η·‖g‖² (its sign
     * unknown at this precision); null where it is resolved or the floor is unknown.
     */
    static String belowFloor(Curvature.AlongGradient a, HessianSpectrum h) {
        double floor = h.accuracy().floor();
        double gg = a.gradientNorm() * a.gradientNorm();
        if (!Double.isFinite(floor) || !Double.isFinite(a.gHg()) || !Double.isFinite(gg) || gg == 0
                || Math.abs(a.gHg()) > floor * gg) {
            return null;
        }
        return String.format(Locale.ROOT, "not resolved: below the resolvable floor (|g'Hg| = %.3g <= floor %.3g x"
                + " ||g||^2 = %.3g)", Math.abs(a.gHg()), floor, floor * gg);
    }

    private static JsonObject hessian(HessianSpectrum h, Diagnosis.Precision precision,
            HessianVectorProduct.Method method) {
        JsonObject o = new JsonObject();
        HessianSpectrum.Accuracy acc = h.accuracy();
        o.addProperty("precision", precision.cliName());
        o.addProperty("hvp", method.description());
        o.add("top_eigenvalues", array(h.topEigenvalues()));
        o.add("top_residuals", array(h.topResiduals()));
        String unmeasured = h.lanczosSteps() == 0 ? "not measured: " + h.failure() : null;
        StrictJson.number(o, "max_eigenvalue", h.maxEigenvalue(), unmeasured);
        StrictJson.number(o, "max_eigenvalue_error_bound", acc.maxEigenvalueError(), unmeasured);
        StrictJson.number(o, "min_eigenvalue", acc.minEigenvalueStatus() == null ? h.minEigenvalue() : Double.NaN,
                unmeasured != null ? unmeasured : acc.minEigenvalueStatus());
        StrictJson.number(o, "min_ritz_value", h.minEigenvalue(), unmeasured);
        StrictJson.number(o, "min_eigenvalue_residual", acc.minEigenvalueResidual(), unmeasured);
        StrictJson.number(o, "min_eigenvalue_error_bound", acc.minEigenvalueError(), unmeasured);
        String conditionStatus = unmeasured != null ? unmeasured : acc.conditionNumberStatus();
        StrictJson.number(o, "condition_number", h.conditionNumber(), conditionStatus);
        StrictJson.number(o, "condition_number_lower_bound", acc.conditionNumberLowerBound(),
                unmeasured != null ? unmeasured : conditionStatus != null ? conditionStatus
                        : "undefined: no positive lower bound");
        StrictJson.number(o, "condition_number_upper_bound", acc.conditionNumberUpperBound(),
                unmeasured != null ? unmeasured : conditionStatus != null ? conditionStatus
                        : "undefined: lambda_min's error bound reaches 0");
        StrictJson.number(o, "max_stable_lr", h.maxStableLearningRate(), unmeasured != null ? unmeasured
                : "undefined: lambda_max <= 0 (no direction of positive curvature limits the step)");
        o.addProperty("saddle", h.saddle());
        o.add("negative_eigenvalues", array(h.negativeEigenvalues()));
        o.addProperty("negative_count", h.negativeCount());
        StrictJson.number(o, "negative_tolerance", acc.floor(), unmeasured);
        StrictJson.number(o, "norm_estimate", acc.normEstimate(), unmeasured);
        StrictJson.number(o, "resolvable_floor", acc.floor(), unmeasured);
        o.add("resolvable_floor_relative", num(acc.relativeFloor()));
        o.addProperty("lanczos_steps", h.lanczosSteps());
        o.addProperty("lanczos_max_steps", acc.maxSteps());
        o.add("lanczos_tolerance", num(acc.tolerance()));
        o.addProperty("converged", acc.converged());
        if (h.failure() != null) {
            o.addProperty("failure", h.failure());
        }
        SpectralDensity d = h.density();
        if (d == null) {
            StrictJson.missing(o, "density", unmeasured != null ? unmeasured
                    : "not measured: --density-probes 0");
        } else {
            JsonObject dj = new JsonObject();
            dj.addProperty("method", "stochastic Lanczos quadrature, Gaussian broadening");
            dj.addProperty("probes", d.probes());
            dj.addProperty("steps", d.steps());
            dj.add("sigma", num(d.sigma()));
            dj.add("grid", array(d.grid()));
            dj.add("density", array(d.density()));
            o.add("density", dj);
        }
        return o;
    }

    private static JsonObject directional(DirectionalCurvature d) {
        JsonObject o = new JsonObject();
        o.addProperty("method", "g'Hg = sum_i lambda_i ||g||^2 cos^2(v_i, g) over the top-k Ritz vectors v_i"
                + " (Goodfellow 2015, directional curvature); the remainder is the rest of the spectrum");
        o.add("gradient_norm_squared", num(d.gradientNormSquared()));
        o.add("gHg", num(d.gHg()));
        JsonArray dirs = new JsonArray();
        for (int i = 0; i < d.eigenvalues().length; i++) {
            JsonObject e = new JsonObject();
            e.addProperty("rank", i + 1);
            e.add("eigenvalue", num(d.eigenvalues()[i]));
            e.add("residual", num(d.residuals()[i]));
            e.add("cos2", num(d.cosineSquared()[i]));
            e.add("contribution", num(d.contributions()[i]));
            e.add("share", num(d.shares()[i]));
            dirs.add(e);
        }
        o.add("directions", dirs);
        o.add("explained", num(d.explained()));
        o.add("explained_share", num(d.explainedShare()));
        o.add("remainder", num(d.remainder()));
        o.add("remainder_share", num(d.remainder() / d.gHg()));
        o.add("outside_mass", num(d.outsideMass()));
        StrictJson.number(o, "remainder_mean_curvature", d.remainderCurvature(),
                "undefined: the top-k directions hold all of g");
        return o;
    }

    private static JsonObject layer(UnitStatistics.Layer l) {
        JsonObject o = new JsonObject();
        o.addProperty("layer", l.layer());
        o.addProperty("activation", l.activation().name().toLowerCase(Locale.ROOT));
        o.addProperty("units", l.units());
        String broken = l.nonFiniteActivations() > 0 ? "not measured: " + l.nonFiniteActivations()
                + " outputs of this layer are NaN/Inf" : null;
        StrictJson.number(o, "dead_fraction", l.deadFraction(), broken != null ? broken
                : "undefined: only ReLU units can be dead");
        StrictJson.number(o, "saturated_fraction", l.saturatedFraction(), broken != null ? broken
                : "undefined: only logistic and tanh units saturate");
        o.addProperty("dead_units", l.deadUnits());
        o.addProperty("saturated_units", l.saturatedUnits());
        o.addProperty("non_finite_activations", l.nonFiniteActivations());
        o.add("histogram", histogram(l.histogram()));
        o.add("mean_activation_histogram", histogram(l.meanActivationHistogram()));
        return o;
    }

    private static JsonObject histogram(UnitStatistics.Histogram h) {
        JsonObject o = new JsonObject();
        o.add("edges", array(h.edges()));
        JsonArray c = new JsonArray();
        for (long v : h.counts()) {
            c.add(v);
        }
        o.add("counts", c);
        return o;
    }

    private static JsonObject symmetry(UnitSymmetry.Result s) {
        JsonObject o = new JsonObject();
        o.addProperty("duplicate_unit_pairs", s.duplicatePairs());
        JsonArray per = new JsonArray();
        for (long v : s.pairsPerLayer()) {
            per.add(v);
        }
        o.add("pairs_per_layer", per);
        o.addProperty("tolerance", UnitSymmetry.TOLERANCE);
        JsonArray ex = new JsonArray();
        for (UnitSymmetry.Pair p : s.examples()) {
            JsonObject e = new JsonObject();
            e.addProperty("layer", p.layer());
            e.addProperty("unit_a", p.unitA());
            e.addProperty("unit_b", p.unitB());
            e.add("relative_distance", num(p.relativeDistance()));
            ex.add(e);
        }
        o.add("examples", ex);
        return o;
    }

    private static JsonObject spread(Diagnosis.SpreadReport s) {
        JsonObject o = new JsonObject();
        o.addProperty("subsets", s.subsets());
        o.addProperty("subset_size", s.subsetSize());
        String none = "not measured: no subset gave a finite value";
        spreadOf(o, "loss", s.loss(), none);
        spreadOf(o, "gradient_norm", s.gradientNorm(), none);
        spreadOf(o, "gHg", s.gHg(), none);
        spreadOf(o, "optimal_step", s.optimalStep(), "undefined or not finite on every subset (g'Hg <= 0 there)");
        spreadOf(o, "dead_fraction", s.deadFraction(), "undefined: no hidden ReLU layer with finite outputs");
        spreadOf(o, "saturated_fraction", s.saturatedFraction(),
                "undefined: no hidden logistic or tanh layer with finite outputs");
        return o;
    }

    private static void spreadOf(JsonObject parent, String name, Diagnosis.Spread s, String reasonIfNone) {
        boolean any = false;
        for (double v : s.values()) {
            any |= Double.isFinite(v);
        }
        if (!any) {
            StrictJson.missing(parent, name, reasonIfNone);
            return;
        }
        JsonObject o = new JsonObject();
        o.add("mean", num(s.mean()));
        StrictJson.number(o, "std", s.std(), s.values().length < 2 ? "undefined: one subset has no spread" : null);
        o.add("values", array(s.values()));
        parent.add(name, o);
    }

    private static JsonArray array(double[] v) {
        JsonArray a = new JsonArray();
        for (double x : v) {
            a.add(num(x));
        }
        return a;
    }

    /**
     * A number as it is, NaN and ±Infinity included: {@link StrictJson#toJson} writes those as null with a
     * "not finite" status (members where a better reason is known use {@link StrictJson#number} instead).
     */
    static JsonElement num(double v) {
        return new JsonPrimitive(v);
    }
}
