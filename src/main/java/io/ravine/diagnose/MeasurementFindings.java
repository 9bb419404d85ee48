package io.ravine.diagnose;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The lectures' problems that measurements at θ reveal (Grosse, lecture 8, table of problems, diagnostics and
 * workarounds): dead and saturated units from the activation statistics, symmetries from the weights,
 * ill-conditioning from the Hessian's spectrum; then saddle point or negative curvature and the learning rate against
 * the curvature ({@link CurvatureFindings}). Each finding names its evidence; its advice is {@link Advice}'s for the
 * run's settings.
 */
public final class MeasurementFindings {
    /**
     * A layer with at least this fraction of dead (or saturated) units is reported: a few such units are normal
     * after training, a tenth of a layer is capacity lost.
     */
    public static final double UNIT_FRACTION_THRESHOLD = 0.10;
    /**
     * Condition numbers above this are reported (also when only a lower bound above it is known). The lectures' rule
     * (Grosse &amp; Ba, CSC421 lectures 7–8, "Ill-conditioned curvature: gradient descent dynamics"; Zemel, COMS 4995
     * lecture 4): stability needs α &lt; 2/λ_max, which bounds the progress along direction i by αλᵢ &lt;
     * 2λᵢ/λ_max, and "larger condition numbers imply slower convergence". So along the flattest direction the error
     * shrinks by at best (1 − 2/κ) per step, i.e. about κ/2 steps per e-fold: at κ = 1000, 500 steps, an epoch of
     * Fashion-MNIST at batch 128 (469 steps) for one e-fold. The lectures give no number; this one says where κ alone
     * makes a run of ordinary length too short.
     */
    public static final double CONDITION_THRESHOLD = 1e3;

    public static final String DEAD_UNITS = "dead_units";
    public static final String SATURATED_UNITS = "saturated_units";
    public static final String SYMMETRY = "symmetry";
    public static final String ILL_CONDITIONING = "ill_conditioning";

    /** The lectures' workarounds as they stand, for a run whose settings are unknown ({@link Advice}). */
    public static final String DEAD_WORKAROUND = "initial scale of W; ReLU bias 0.1 (or Xavier scale)";
    public static final String SATURATED_WORKAROUND = "initial scale of W (Xavier); ReLU";
    public static final String SYMMETRY_WORKAROUND = "initialize W randomly";
    public static final String ILL_CONDITIONING_WORKAROUND =
            "normalize inputs; momentum; Adam; second-order optimization";
    /** The problem name of measurements that came out NaN/Inf (or could not be made) at this θ. */
    public static final String NON_FINITE = "non_finite";
    public static final String NON_FINITE_WORKAROUND = "this θ is from a run that blew up: diagnose an earlier"
            + " checkpoint (--checkpoint NAME) and decrease α (the learning rate)";

    private MeasurementFindings() {
    }

    /** The findings of a diagnosis of a run whose settings, learning rate and θ₀ are unknown. */
    public static List<Finding> from(Diagnosis.Report r) {
        return from(r, CurvatureFindings.Context.UNKNOWN);
    }

    /**
     * The findings of a diagnosis, their advice fitted to the run ({@link Advice}), followed by
     * {@link CurvatureFindings}'.
     *
     * @param r the diagnosis
     * @param c the run's settings, α at the diagnosed step and ‖g(θ₀)‖ on the same examples, where known
     * @return the findings
     */
    public static List<Finding> from(Diagnosis.Report r, CurvatureFindings.Context c) {
        RunSettings run = c.run();
        List<Finding> out = new ArrayList<>();
        Finding broken = nonFinite(r, run);
        if (broken != null) {
            out.add(broken);
        }
        List<String> dead = new ArrayList<>();
        List<String> saturated = new ArrayList<>();
        for (UnitStatistics.Layer l : r.units()) {
            if (l.deadFraction() != null && l.deadFraction() >= UNIT_FRACTION_THRESHOLD) {
                dead.add(layerText(l, l.deadUnits(), l.deadFraction()));
            }
            if (l.saturatedFraction() != null && l.saturatedFraction() >= UNIT_FRACTION_THRESHOLD) {
                saturated.add(layerText(l, l.saturatedUnits(), l.saturatedFraction()));
            }
        }
        if (!dead.isEmpty()) {
            out.add(new Finding(DEAD_UNITS, "ReLU units never active on " + r.subsetSize() + " examples: "
                    + String.join("; ", dead), Advice.forProblem(DEAD_UNITS, run)));
        }
        if (!saturated.isEmpty()) {
            out.add(new Finding(SATURATED_UNITS, String.format(Locale.ROOT,
                    "units within %.1f%% of an end of their range on >= %.0f%% of %d examples: %s",
                    100 * UnitStatistics.SATURATION_MARGIN, 100 * UnitStatistics.SATURATED_EXAMPLE_SHARE,
                    r.subsetSize(), String.join("; ", saturated)), Advice.forProblem(SATURATED_UNITS, run)));
        }
        UnitSymmetry.Result sym = r.symmetry();
        if (sym.duplicatePairs() > 0) {
            StringBuilder ev = new StringBuilder(sym.duplicatePairs() + " pairs of hidden units with the same"
                    + " incoming weights, bias and outgoing weights (relative distance <= "
                    + UnitSymmetry.TOLERANCE + ")");
            for (int k = 0; k < sym.pairsPerLayer().length; k++) {
                ev.append(k == 0 ? ": " : ", ").append("layer ").append(k).append(": ")
                        .append(sym.pairsPerLayer()[k]);
            }
            if (!sym.examples().isEmpty()) {
                UnitSymmetry.Pair p = sym.examples().get(0);
                ev.append(" (e.g. layer ").append(p.layer()).append(" units ").append(p.unitA()).append(" and ")
                        .append(p.unitB()).append(')');
            }
            out.add(new Finding(SYMMETRY, ev.toString(), Advice.forProblem(SYMMETRY, run)));
        }
        HessianSpectrum h = r.hessian();
        List<String> why = new ArrayList<>();
        String kappa = conditioning(h, r.precision());
        if (kappa != null) {
            why.add(kappa);
        }
        // Negative curvature is CurvatureFindings' (saddle point or not), not ill-conditioning.
        if (!why.isEmpty()) {
            out.add(new Finding(ILL_CONDITIONING, String.join("; ", why) + String.format(Locale.ROOT,
                    " (%d Lanczos steps on %d examples)", h.lanczosSteps(), r.subsetSize()),
                    Advice.forProblem(ILL_CONDITIONING, run)));
        }
        out.addAll(CurvatureFindings.from(r, c));
        return out;
    }

    /**
     * The condition-number part of the ill_conditioning evidence, or null below {@link #CONDITION_THRESHOLD}: κ with
     * its bounds where λ_min is resolved, else the lower bound and why λ_min is not resolved (the finding is given on
     * the lower bound alone, since κ is at least that wherever it is defined).
     */
    static String conditioning(HessianSpectrum h, Diagnosis.Precision precision) {
        HessianSpectrum.Accuracy a = h.accuracy();
        if (h.conditionNumber() != null && h.conditionNumber() > CONDITION_THRESHOLD) {
            return String.format(Locale.ROOT, "condition number %.3g (lambda_max %.4g / lambda_min %.4g; between"
                    + " %.3g and %.3g by the Lanczos residuals and the %s floor; threshold %.0f)",
                    h.conditionNumber(), h.maxEigenvalue(), h.minEigenvalue(), a.conditionNumberLowerBound(),
                    a.conditionNumberUpperBound(), precision.cliName(), CONDITION_THRESHOLD);
        }
        if (h.conditionNumber() == null && a.conditionNumberLowerBound() != null
                && a.conditionNumberLowerBound() > CONDITION_THRESHOLD) {
            boolean floorLimited = Math.abs(h.minEigenvalue()) <= a.floor();
            String remedy = precision == Diagnosis.Precision.F32 ? "; --precision f64 on the CPU resolves it"
                    : a.converged() ? "" : "; more Lanczos steps (--lanczos-max-steps) may resolve it";
            return String.format(Locale.ROOT, "condition number >= %.3g (lambda_max %.4g; lambda_min not resolved"
                    + " in %s: its Ritz value %.4g is %s (residual %.3g, floor %.3g = %.3g x ||H||)%s; threshold"
                    + " %.0f)", a.conditionNumberLowerBound(), h.maxEigenvalue(), precision.cliName(),
                    h.minEigenvalue(), floorLimited ? "below the resolvable floor" : "within its error bound of 0",
                    a.minEigenvalueResidual(), a.floor(), a.relativeFloor(), remedy, CONDITION_THRESHOLD);
        }
        return null;
    }

    /**
     * What at θ is not a finite number: θ itself, the loss, the gradient, gᵀHg, the Lanczos run (a non-finite
     * Hessian-vector product or a vector that could not be normalised stops it), the hidden layers' outputs. Null
     * when everything is finite.
     */
    static Finding nonFinite(Diagnosis.Report r, RunSettings run) {
        List<String> what = new ArrayList<>();
        if (r.nonFiniteParameters() > 0) {
            what.add(String.format(Locale.ROOT, "θ holds %d NaN/Inf values", r.nonFiniteParameters()));
        }
        Curvature.GradientStudy g = r.gradient();
        if (!Double.isFinite(g.loss())) {
            what.add(String.format(Locale.ROOT, "the loss on %d examples is %s", r.subsetSize(), g.loss()));
        }
        if (!Double.isFinite(g.along().gradientNorm())) {
            what.add("the gradient norm is " + g.along().gradientNorm());
        } else if (!Double.isFinite(g.along().gHg())) {
            what.add("g'Hg is " + g.along().gHg());
        }
        HessianSpectrum h = r.hessian();
        if (h.failure() != null) {
            what.add(h.failure() + (h.lanczosSteps() == 0 ? ", so the Hessian spectrum was not measured"
                    : String.format(Locale.ROOT, ", so the spectrum holds the Ritz values of the %d steps before it",
                    h.lanczosSteps())));
        }
        for (UnitStatistics.Layer l : r.units()) {
            if (l.nonFiniteActivations() > 0) {
                what.add(String.format(Locale.ROOT, "layer %d outputs %d NaN/Inf values", l.layer(),
                        l.nonFiniteActivations()));
            }
        }
        if (what.isEmpty()) {
            return null;
        }
        return new Finding(NON_FINITE, String.join("; ", what), Advice.forProblem(NON_FINITE, run));
    }

    private static String layerText(UnitStatistics.Layer l, int count, double fraction) {
        return String.format(Locale.ROOT, "layer %d (%s): %.1f%% (%d of %d)", l.layer(),
                l.activation().name().toLowerCase(Locale.ROOT), 100 * fraction, count, l.units());
    }
}
