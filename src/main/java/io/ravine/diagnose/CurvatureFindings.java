package io.ravine.diagnose;

import io.ravine.backend.Tensor;
import io.ravine.backend.UpdateRule;
import io.ravine.data.Dataset;
import io.ravine.nn.Initializer;
import io.ravine.nn.Model;
import io.ravine.train.TrainConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the curvature at θ says about where θ is and about the learning rate, each with the lectures' rule in its
 * evidence:
 * <ul>
 *   <li>{@value #SADDLE_POINT}: λ_min &lt; 0 <em>and</em> the gradient has shrunk to an insignificant size: ‖g‖ at most
 *       {@link #CRITICAL_GRADIENT_SHARE} of ‖g₀‖, the gradient norm at the network's standard initialization on the
 *       same examples ({@link #referenceGradientNorm}: θ₀ of a run with {@code --init auto}) (Goodfellow et al.
 *       §8.2.2: "plot the norm of the gradient over time. If the norm of the gradient does not shrink to
 *       insignificant size, the problem is neither local minima nor any other kind of critical point"; a saddle point
 *       is a critical point, ∇J = 0, with eigenvalues of both signs: lectures 7–8, Goodfellow 2015);</li>
 *   <li>{@value #NEGATIVE_CURVATURE}: λ_min &lt; 0 with a gradient that has not shrunk so far (or whose reference is
 *       unknown): a direction of negative curvature, not a saddle point;</li>
 *   <li>{@value #UNSTABLE_LEARNING_RATE}: α above the largest stable rate of the run's update rule on the quadratic
 *       model, 2/λ_max for gradient descent (lectures 7–8: each eigen-coordinate is multiplied by (1 − αλ) per step,
 *       unstable for αλ &gt; 2), 2(1 + μ)/λ_max for heavy-ball momentum and 2(1 + μ)/((1 + 2μ)λ_max) for Nesterov
 *       ({@link #stableBound}), λ_max raised by coupled weight decay;</li>
 *   <li>{@value #UPHILL_STEP}: α above 2ε*, ε* = gᵀg/gᵀHg: the second-order model J(θ − αg) ≈ J − αgᵀg + ½α²gᵀHg
 *       predicts that the step goes uphill (Goodfellow 2015: "if ε is chosen without computing gᵀHg, the step might
 *       go uphill"; Goodfellow et al. §8.2.1: a problem "when ½ε²gᵀHg exceeds εgᵀg").</li>
 * </ul>
 * The learning-rate findings concern a gradient step (α times the gradient, plus momentum's velocity); RMSprop, Adam
 * and AdamW divide each coordinate by a running root mean square, so their α is not a step along g and is not
 * compared with 2/λ_max or 2ε*.
 */
public final class CurvatureFindings {
    public static final String SADDLE_POINT = "saddle_point";
    public static final String NEGATIVE_CURVATURE = "negative_curvature";
    public static final String UNSTABLE_LEARNING_RATE = "unstable_learning_rate";
    public static final String UPHILL_STEP = "uphill_step";

    /**
     * ‖g‖ at most this share of ‖g₀‖ ({@link #referenceGradientNorm}, the same examples) counts as "shrunk to an
     * insignificant size", i.e. near a critical point. Measured (docs/diagnose.md): networks trained for an epoch or
     * a few, which are not at a critical point, keep 10–17% of ‖g₀‖ (the book's Figure 8.1: the norm may even grow),
     * while zero-initialised tanh nets, which sit on the lectures' symmetric saddle, have 0.67% at θ₀ (only the output
     * biases' gradient), 0.1% after mini-batch SGD and 6e-6% after full-batch descent.
     */
    public static final double CRITICAL_GRADIENT_SHARE = 0.01;

    private CurvatureFindings() {
    }

    /**
     * Where the curvature was measured and what the run does there.
     *
     * @param run the run's settings, or null when unknown (plain gradient descent is then assumed for the bounds)
     * @param learningRate α at the diagnosed step (the schedule's rate of the next update), NaN when unknown
     * @param referenceGradientNorm ‖g‖ at the standard initialization on the same examples
     *     ({@link #referenceGradientNorm}; ‖g(θ₀)‖ for a run started there), NaN when not measured
     */
    public record Context(RunSettings run, double learningRate, double referenceGradientNorm) {
        /** Nothing known about the run. */
        public static final Context UNKNOWN = new Context(null, Double.NaN, Double.NaN);
    }

    /**
     * The reference of {@link #CRITICAL_GRADIENT_SHARE}: ‖g‖ on the examples {@link Diagnosis#run} measures on with
     * the same options (its main subset), at the network's standard initialization drawn from the run's seed: the
     * fan-in-scaled weights of {@code --init auto} (He for ReLU, Xavier otherwise) and the run's bias init. For a run
     * that started there (the default) this is ‖g(θ₀)‖, the gradient norm training starts from; a run started
     * elsewhere (a zero start, a fixed scale) may have started at a critical point itself, as the lectures' zero start
     * does, so its own θ₀ is no scale. One gradient pass; θ is put back bit for bit.
     *
     * @param model the model
     * @param config the run's configuration (activation, bias init, seed)
     * @param train the training data as the trainer holds it
     * @param o the diagnosis's options (subset size, seed, chunk size)
     * @return ‖g‖ at the standard initialization on the main subset
     */
    public static double referenceGradientNorm(Model model, TrainConfig config, Dataset train, Diagnosis.Options o) {
        TrainConfig standard = config.toBuilder().optInit("auto").build();
        float[] theta = model.parameters();
        model.setParameters(model.mlp().initialParameters(Initializer.parse(standard.resolvedInit()),
                standard.biasInit(), standard.seed()));
        // In the diagnosis's own arithmetic, so that ‖g‖/‖g₀‖ compares two numbers computed alike.
        Diagnosis.Precision precision = o.precision().resolve(model.backend(), model.mlp().parameterCount(),
                o.lanczosMaxSteps());
        Model measured = Diagnosis.measuredModel(model, precision);
        try {
            int[] perm = Diagnosis.permutation(train.n(), o.seed());
            Dataset main = train.select(Arrays.copyOf(perm, Math.min(o.subsetSize(), train.n())));
            try (HessianVectorProduct hvp = new HessianVectorProduct(measured, main, o.capacity());
                    Tensor g = hvp.backend().allocateVector(hvp.dimension())) {
                hvp.lossAndGradient(g);
                return Math.sqrt(hvp.backend().sumOfSquares(g));
            }
        } finally {
            if (measured != model) {
                measured.close();
            }
            model.setParameters(theta);
        }
    }

    /**
     * The saddle/negative-curvature finding and the learning-rate findings of a diagnosis, in that order.
     *
     * @param r the diagnosis
     * @param c what is known about the run
     * @return the findings, possibly none
     */
    public static List<Finding> from(Diagnosis.Report r, Context c) {
        List<Finding> out = new ArrayList<>();
        Finding critical = negativeCurvature(r, c);
        if (critical != null) {
            out.add(critical);
        }
        Finding unstable = unstableRate(r, c);
        if (unstable != null) {
            out.add(unstable);
        }
        Finding uphill = uphillStep(r, c);
        if (uphill != null) {
            out.add(uphill);
        }
        return out;
    }

    /** {@value #SADDLE_POINT} or {@value #NEGATIVE_CURVATURE}, or null when no Ritz value is negative. */
    static Finding negativeCurvature(Diagnosis.Report r, Context c) {
        HessianSpectrum h = r.hessian();
        double gNorm = r.gradient().along().gradientNorm();
        if (!h.saddle() || !Double.isFinite(h.minEigenvalue()) || !Double.isFinite(gNorm)) {
            return null;
        }
        String curvature = String.format(Locale.ROOT, "λ_min = %s < 0 against λ_max %s (%d negative Ritz values,"
                + " %d Lanczos steps on %d examples)", num(h.minEigenvalue()), num(h.maxEigenvalue()),
                h.negativeEigenvalues().length, h.lanczosSteps(), r.subsetSize());
        double g0 = c.referenceGradientNorm();
        boolean known = Double.isFinite(g0) && g0 > 0;
        double share = known ? gNorm / g0 : Double.NaN;
        String rule = String.format(Locale.ROOT, "a critical point needs ‖g‖ shrunk to an insignificant size, at"
                + " most %s of ‖g₀‖, its value at the standard initialization (Goodfellow et al. §8.2.2)",
                percent(CRITICAL_GRADIENT_SHARE));
        if (known && share <= CRITICAL_GRADIENT_SHARE) {
            StringBuilder ev = new StringBuilder(String.format(Locale.ROOT, "‖g‖ = %s is %s of ‖g₀‖ = %s (%s) and"
                    + " %s: a critical point with curvature of both signs, a saddle point", num(gNorm),
                    percent(share), num(g0), rule, curvature));
            double alpha = c.learningRate();
            if (Double.isFinite(alpha) && alpha > 0) {
                double growth = 1 + alpha * Math.abs(h.minEigenvalue());
                ev.append(String.format(Locale.ROOT, "; at α = %s gradient descent multiplies any displacement"
                        + " along λ_min's direction by 1 − αλ_min = %s per step (lectures 7–8), e-folding in %s"
                        + " steps, but exactly on the saddle there is none to grow ('if we're exactly on the saddle"
                        + " point, then we're stuck')", num(alpha), num(growth), num(1 / Math.log(growth))));
            }
            return new Finding(SADDLE_POINT, ev.toString(), Advice.forProblem(SADDLE_POINT, c.run()));
        }
        String far = known ? String.format(Locale.ROOT, "‖g‖ = %s is still %s of ‖g₀‖ = %s (%s), so θ is not near"
                + " a critical point", num(gNorm), percent(share), num(g0), rule)
                : String.format(Locale.ROOT, "‖g‖ = %s, and ‖g₀‖ was not measured, so nearness to a critical point is"
                + " not judged (%s)", num(gNorm), rule);
        return new Finding(NEGATIVE_CURVATURE, curvature + "; " + far + ": negative curvature, not a saddle point",
                Advice.forProblem(NEGATIVE_CURVATURE, c.run()));
    }

    /**
     * The largest stable learning rate of a rule on a quadratic whose largest eigenvalue is {@code lambdaMax},
     * coupled weight decay {@code weightDecay} added to every eigenvalue: gradient descent 2/λ; heavy ball
     * (p ← μp − αg, θ ← θ + p) 2(1 + μ)/λ; Nesterov as Ravine applies it (p ← μp − αg, θ ← θ + μp − αg)
     * 2(1 + μ)/((1 + 2μ)λ). NaN for the adaptive rules and the second-order ones, L-BFGS and Newton-CG (no bound on
     * α alone), and where λ ≤ 0.
     *
     * <p>Heavy ball on one eigen-coordinate: x' = (1 + μ − αλ)x − μx₋₁, characteristic z² − (1 + μ − αλ)z + μ = 0,
     * whose roots lie inside the unit circle (Jury) iff μ &lt; 1 and |1 + μ − αλ| &lt; 1 + μ, i.e. 0 &lt; αλ &lt;
     * 2(1 + μ). Nesterov's iteration matrix has trace (1 + μ)(1 − αλ) and determinant μ(1 − αλ); the same test
     * gives αλ &lt; 2(1 + μ)/(1 + 2μ).
     *
     * @param rule the update rule
     * @param momentum μ
     * @param weightDecay coupled weight decay λ_wd (AdamW's is decoupled and ignored)
     * @param lambdaMax the largest eigenvalue of the data loss's Hessian
     * @return the bound on α, or NaN
     */
    public static double stableBound(UpdateRule rule, double momentum, double weightDecay, double lambdaMax) {
        double lambda = lambdaMax + (rule == UpdateRule.ADAMW ? 0 : Math.max(0, weightDecay));
        if (!(lambda > 0) || !Double.isFinite(lambda)) {
            return Double.NaN;
        }
        return switch (rule) {
            case SGD -> 2 / lambda;
            case MOMENTUM -> 2 * (1 + momentum) / lambda;
            case NESTEROV -> 2 * (1 + momentum) / ((1 + 2 * momentum) * lambda);
            // L-BFGS and Newton-CG scale their steps by curvature (a line search or a damped solve): α is not
            // compared with 2/λ_max, as for the adaptive rules.
            case RMSPROP, ADAM, ADAMW, LBFGS, NEWTON_CG -> Double.NaN;
        };
    }

    /** The bound's formula in words, for the evidence. */
    private static String boundFormula(UpdateRule rule, double momentum) {
        return switch (rule) {
            case MOMENTUM -> "2(1 + μ)/λ_max with μ = " + num(momentum);
            case NESTEROV -> "2(1 + μ)/((1 + 2μ)λ_max) with μ = " + num(momentum);
            default -> "2/λ_max";
        };
    }

    /**
     * The rule the run uses for the bounds: its own, or plain gradient descent when unknown; null if adaptive or
     * second-order.
     */
    private static UpdateRule gradientRule(Context c) {
        if (c.run() == null) {
            return UpdateRule.SGD;
        }
        return c.run().unboundedByCurvature() ? null : c.run().optimizer();
    }

    static Finding unstableRate(Diagnosis.Report r, Context c) {
        UpdateRule rule = gradientRule(c);
        double alpha = c.learningRate();
        HessianSpectrum h = r.hessian();
        if (rule == null || !(alpha > 0) || !Double.isFinite(alpha)) {
            return null;
        }
        double mu = c.run() == null ? 0 : c.run().momentum();
        double wd = c.run() == null ? 0 : c.run().weightDecay();
        double bound = stableBound(rule, mu, wd, h.maxEigenvalue());
        if (!(alpha > bound)) {
            return null;
        }
        double lambda = h.maxEigenvalue() + wd;
        String limit = switch (rule) {
            case MOMENTUM -> String.format(Locale.ROOT, "heavy-ball momentum (p ← μp − αg, θ ← θ + p, lecture 8"
                    + " eq. 8–9) on the quadratic model diverges along λ_max's direction when αλ > 2(1 + μ) = %s",
                    num(2 * (1 + mu)));
            case NESTEROV -> String.format(Locale.ROOT, "Nesterov momentum on the quadratic model diverges along"
                    + " λ_max's direction when αλ > 2(1 + μ)/(1 + 2μ) = %s (derived as for heavy ball)",
                    num(2 * (1 + mu) / (1 + 2 * mu)));
            default -> "gradient descent multiplies the error along λ_max's direction by (1 − αλ) per step and"
                    + " diverges when αλ > 2 (lectures 7–8: 'set α < 2/λmax to prevent instability')";
        };
        String decay = wd > 0 ? String.format(Locale.ROOT, " + weight decay %s", num(wd)) : "";
        return new Finding(UNSTABLE_LEARNING_RATE, String.format(Locale.ROOT, "α = %s is above the stable bound"
                + " %s = %s (λ_max = %s%s, the largest of %d Lanczos steps on %d examples, which is at most the"
                + " true one): αλ = %s; %s", num(alpha), boundFormula(rule, mu), num(bound), num(h.maxEigenvalue()),
                decay, h.lanczosSteps(), r.subsetSize(), num(alpha * lambda), limit),
                Advice.forProblem(UNSTABLE_LEARNING_RATE, c.run()));
    }

    static Finding uphillStep(Diagnosis.Report r, Context c) {
        UpdateRule rule = gradientRule(c);
        double alpha = c.learningRate();
        Curvature.AlongGradient a = r.gradient().along();
        double eps = a.optimalStep();
        if (rule == null || !(alpha > 0) || !Double.isFinite(alpha) || !(eps > 0) || !(alpha > 2 * eps)) {
            return null;
        }
        double gg = a.gradientNorm() * a.gradientNorm();
        String measured = "";
        for (Curvature.StepCheck s : r.gradient().checks()) {
            if (s.step() == alpha) {
                measured = String.format(Locale.ROOT, " (predicted change %s, measured %s on %d examples)",
                        signed(s.predictedChange()), signed(s.actualChange()), r.subsetSize());
            }
        }
        String part = rule == UpdateRule.SGD ? "the step −αg" : "the step's gradient part −αg";
        return new Finding(UPHILL_STEP, String.format(Locale.ROOT, "α = %s is above 2ε* = %s (ε* = gᵀg/gᵀHg = %s/%s"
                + " = %s): the second-order model J(θ − αg) ≈ J − αgᵀg + ½α²gᵀHg predicts that %s raises the loss,"
                + " ½α²gᵀHg = %s exceeding αgᵀg = %s%s; Goodfellow 2015: 'if ε is chosen without computing gᵀHg, the"
                + " step might go uphill'", num(alpha), num(2 * eps), num(gg), num(a.gHg()), num(eps), part,
                num(0.5 * alpha * alpha * a.gHg()), num(alpha * gg), measured),
                Advice.forProblem(UPHILL_STEP, c.run()));
    }

    /**
     * {@value #UPHILL_STEP} from {@code train --diagnose-every} rows of metrics.csv: the rows whose α (the {@code lr}
     * column) is above 2 × {@code optimal_step}. Since λ_max ≥ gᵀHg/gᵀg = 1/ε*, such an α is above 2/λ_max too.
     * Null when no row qualifies or the run's rule is adaptive or second-order (L-BFGS, Newton-CG).
     *
     * @param rows metrics rows, column → value (NaN where empty)
     * @param run the run's settings, or null
     * @return the finding, or null
     */
    public static Finding fromRows(List<Map<String, Double>> rows, RunSettings run) {
        if (run != null && run.unboundedByCurvature()) {
            return null;
        }
        int diagnosed = 0;
        int above = 0;
        int uphill = 0;
        int measured = 0;
        double first = Double.NaN;
        double lowest = Double.POSITIVE_INFINITY;
        double alphaThere = Double.NaN;
        for (Map<String, Double> row : rows) {
            double alpha = row.getOrDefault("lr", Double.NaN);
            double eps = row.getOrDefault("optimal_step", Double.NaN);
            double ghg = row.getOrDefault("gHg", Double.NaN);
            if (!Double.isFinite(ghg) || !(alpha > 0) || !Double.isFinite(alpha)) {
                continue;
            }
            diagnosed++;
            if (eps > 0 && alpha > 2 * eps) {
                above++;
                if (Double.isNaN(first)) {
                    first = row.getOrDefault("step", Double.NaN);
                }
                if (2 * eps < lowest) {
                    lowest = 2 * eps;
                    alphaThere = alpha;
                }
                double actual = row.getOrDefault("actual_change", Double.NaN);
                if (Double.isFinite(actual)) {
                    measured++;
                    if (actual > 0) {
                        uphill++;
                    }
                }
            }
        }
        if (above == 0) {
            return null;
        }
        String check = measured == 0 ? "" : String.format(Locale.ROOT, "; the measured change J(θ − αg) − J(θ) on"
                + " the monitoring subset was positive at %d of them", uphill);
        return new Finding(UPHILL_STEP, String.format(Locale.ROOT, "at %d of %d diagnosed steps (first at step %s)"
                + " α was above 2ε* = 2gᵀg/gᵀHg on the monitoring subset (2ε* down to %s against α = %s): there the"
                + " second-order model predicts that a step −αg goes uphill (Goodfellow 2015: 'if ε is chosen without"
                + " computing gᵀHg, the step might go uphill')%s; since λ_max ≥ gᵀHg/gᵀg, α was above 2/λ_max too",
                above, diagnosed, whole(first), num(lowest), num(alphaThere), check),
                Advice.forProblem(UPHILL_STEP, run));
    }

    static String num(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    private static String signed(double v) {
        return String.format(Locale.ROOT, "%+.4g", v);
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, share >= 0.01 ? "%.0f%%" : "%.2g%%", 100 * share);
    }

    private static String whole(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : num(v);
    }
}
