package io.ravine.diagnose;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.ravine.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A run directory's {@code diagnosis.json}: every number of a {@link Diagnosis.Report} under stable snake_case
 * names, plus the doctor's findings (the curve doctor's and the measurements'). Values that are undefined (ε* where
 * gᵀHg ≤ 0, a condition number where λ_min ≤ 0) are JSON null.
 */
public final class DiagnosisFile {
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping()
            .create();

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
        Curvature.GradientStudy g = r.gradient();
        root.add("loss", num(g.loss()));
        root.add("gradient_norm", num(g.along().gradientNorm()));
        root.add("gHg", num(g.along().gHg()));
        root.add("optimal_step", num(g.along().optimalStep()));
        root.add("second_order", secondOrder(g));
        root.add("hessian", hessian(r.hessian()));
        JsonArray units = new JsonArray();
        for (UnitStatistics.Layer l : r.units()) {
            units.add(layer(l));
        }
        root.add("units", units);
        root.add("symmetry", symmetry(r.symmetry()));
        root.add("spread", r.spread() == null ? JsonNull.INSTANCE : spread(r.spread()));
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

    /** Writes {@code json} to {@code file} atomically. */
    public static void write(Path file, JsonObject json) {
        try {
            AtomicFiles.writeString(file, GSON.toJson(json) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static JsonObject secondOrder(Curvature.GradientStudy g) {
        JsonObject so = new JsonObject();
        List<Curvature.StepCheck> checks = g.checks();
        Curvature.StepCheck primary = checks.isEmpty() ? null : checks.get(0);
        so.add("step", primary == null ? JsonNull.INSTANCE : num(primary.step()));
        so.add("predicted_change", primary == null ? JsonNull.INSTANCE : num(primary.predictedChange()));
        so.add("actual_change", primary == null ? JsonNull.INSTANCE : num(primary.actualChange()));
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

    private static JsonObject hessian(HessianSpectrum h) {
        JsonObject o = new JsonObject();
        o.add("top_eigenvalues", array(h.topEigenvalues()));
        o.add("top_residuals", array(h.topResiduals()));
        o.add("max_eigenvalue", num(h.maxEigenvalue()));
        o.add("min_eigenvalue", num(h.minEigenvalue()));
        o.add("condition_number", h.conditionNumber() == null ? JsonNull.INSTANCE : num(h.conditionNumber()));
        o.add("max_stable_lr", h.maxStableLearningRate() == null ? JsonNull.INSTANCE
                : num(h.maxStableLearningRate()));
        o.addProperty("saddle", h.saddle());
        o.add("negative_eigenvalues", array(h.negativeEigenvalues()));
        o.addProperty("negative_tolerance", HessianSpectrum.NEGATIVE_TOLERANCE);
        o.addProperty("lanczos_steps", h.lanczosSteps());
        o.addProperty("hvp", "central differences");
        SpectralDensity d = h.density();
        if (d == null) {
            o.add("density", JsonNull.INSTANCE);
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

    private static JsonObject layer(UnitStatistics.Layer l) {
        JsonObject o = new JsonObject();
        o.addProperty("layer", l.layer());
        o.addProperty("activation", l.activation().name().toLowerCase(Locale.ROOT));
        o.addProperty("units", l.units());
        o.add("dead_fraction", l.deadFraction() == null ? JsonNull.INSTANCE : num(l.deadFraction()));
        o.add("saturated_fraction", l.saturatedFraction() == null ? JsonNull.INSTANCE
                : num(l.saturatedFraction()));
        o.addProperty("dead_units", l.deadUnits());
        o.addProperty("saturated_units", l.saturatedUnits());
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
        o.add("loss", spreadOf(s.loss()));
        o.add("gradient_norm", spreadOf(s.gradientNorm()));
        o.add("gHg", spreadOf(s.gHg()));
        o.add("optimal_step", spreadOf(s.optimalStep()));
        o.add("dead_fraction", spreadOf(s.deadFraction()));
        o.add("saturated_fraction", spreadOf(s.saturatedFraction()));
        return o;
    }

    private static JsonElement spreadOf(Diagnosis.Spread s) {
        boolean any = false;
        for (double v : s.values()) {
            any |= Double.isFinite(v);
        }
        if (!any) {
            return JsonNull.INSTANCE;
        }
        JsonObject o = new JsonObject();
        o.add("mean", num(s.mean()));
        o.add("std", num(s.std()));
        o.add("values", array(s.values()));
        return o;
    }

    private static JsonArray array(double[] v) {
        JsonArray a = new JsonArray();
        for (double x : v) {
            a.add(num(x));
        }
        return a;
    }

    /** A finite number, or null (JSON has no NaN or Infinity). */
    static JsonElement num(double v) {
        return Double.isFinite(v) ? new JsonPrimitive(v) : JsonNull.INSTANCE;
    }
}
