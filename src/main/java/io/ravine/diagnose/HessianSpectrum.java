package io.ravine.diagnose;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What the Hessian's extreme eigenvalues say about the optimization (Grosse, lecture 8 §4.6; Goodfellow et al.
 * §8.2.1): gradient descent on a quadratic with curvature λ is stable only for α &lt; 2/λ, so 2/λ_max is the largest
 * stable learning rate; λ_max/λ_min (the condition number) sets how slowly the flattest directions converge; a
 * negative eigenvalue means a direction of negative curvature (θ is not near a minimum).
 *
 * <p>Where the numbers come from: the top-k eigenvalues are the largest Ritz values of one Lanczos run from a seeded
 * start. The smallest eigenvalue is the smallest Ritz value of the same run (and of the density probes' runs, when
 * there are any): Krylov spaces are shift-invariant, so Lanczos on (λ_max·I − H) from the same start would give
 * exactly the same Ritz values, and a second run only helps by adding steps. Ritz values lie inside
 * [λ_min, λ_max] (Cauchy interlacing), so the reported λ_min is an upper bound on the true one, and θ_max/θ_min a
 * lower bound on the condition number.
 *
 * <p>How far they can be trusted ({@link Accuracy}). Two things limit a Ritz value θ: its residual r (how far the
 * run is from converged; some eigenvalue lies within r of θ) and the product's rounding, the resolvable floor
 * η = {@link SymmetricOperator#relativeFloor} · ‖H‖ with ‖H‖ estimated by the largest |Ritz value| (the products
 * are those of H + E with ‖E‖ ≲ η, which moves every eigenvalue by at most η). So each extreme eigenvalue is given
 * with the error bound r + η, and
 * <ul>
 *   <li>λ_min is <em>resolved</em> positive where θ_min &gt; r_min + η: κ is a number, with bounds
 *       [(θ_max − η)/(θ_min + η), (θ_max + r_max + η)/(θ_min − r_min − η)] (the lower one from interlacing,
 *       the upper one assuming the extreme Ritz values approximate the extreme eigenvalues, as Lanczos does from a
 *       random start);</li>
 *   <li>where θ_min &lt; −η, H certainly has negative curvature (λ_min ≤ θ_min + η &lt; 0: resolved negative) and κ
 *       is undefined;</li>
 *   <li>otherwise λ_min cannot be told from 0 at this precision and convergence: κ is not a number, but it is at
 *       least (θ_max − η)/(θ_min + η) wherever it is defined (λ_min &gt; 0), since λ_min ≤ θ_min + η.</li>
 * </ul>
 * The index (the number of negative eigenvalues) is at least the number of Ritz values below −η: by interlacing,
 * the i-th smallest Ritz value is at least the i-th smallest eigenvalue of H + E.
 *
 * @param topEigenvalues the largest Ritz values, descending
 * @param topResiduals the residual norm of each reported Ritz value (small: converged)
 * @param minEigenvalue the smallest Ritz value found
 * @param conditionNumber θ_max / θ_min where λ_min is resolved and positive, else null ({@link Accuracy} says why)
 * @param maxStableLearningRate 2 / λ_max where λ_max &gt; 0, else null
 * @param saddle true when some Ritz value is below −η: H has negative curvature
 * @param negativeEigenvalues the Ritz values of the main run below −η, ascending (their count is a lower bound on
 *     H's index)
 * @param lanczosSteps steps of the main run
 * @param density the stochastic-Lanczos-quadrature density estimate, or null
 * @param failure null, or why the Lanczos run stopped early ({@link Lanczos.Result#failure}): the spectrum then
 *     holds the Ritz values of the steps completed before it, or nothing (no eigenvalue; λ_min NaN) when none was
 * @param accuracy the error bounds, the floor, and what the condition number is where it is not a number
 */
public record HessianSpectrum(double[] topEigenvalues, double[] topResiduals, double minEigenvalue,
        Double conditionNumber, Double maxStableLearningRate, boolean saddle, double[] negativeEigenvalues,
        int lanczosSteps, SpectralDensity density, String failure, Accuracy accuracy) {

    /**
     * How far the spectrum can be trusted.
     *
     * @param relativeFloor the product's rounding relative to ‖H‖ ({@link SymmetricOperator#relativeFloor})
     * @param floor η = relativeFloor · ‖H‖, in the units of the eigenvalues; also the tolerance below which a Ritz
     *     value counts as negative
     * @param normEstimate ‖H‖ as estimated: the largest |Ritz value|
     * @param maxEigenvalueError r_max + η: some eigenvalue lies within this of λ_max's Ritz value
     * @param minEigenvalueResidual r_min, the residual of the smallest Ritz value
     * @param minEigenvalueError r_min + η
     * @param minEigenvalueStatus null where λ_min's sign is resolved (θ_min &gt; r_min + η, or θ_min &lt; −η), else why
     *     not
     * @param conditionNumberLowerBound a lower bound on κ where κ is defined, else null
     * @param conditionNumberUpperBound an upper bound on κ where λ_min is resolved and positive, else null
     * @param conditionNumberStatus null where κ is a number, else why not (StrictJson's reason prefixes)
     * @param converged whether the Lanczos run met its residual tolerance before its cap
     * @param tolerance the residual tolerance relative to ‖H‖ (0: a fixed number of steps)
     * @param maxSteps the cap on the steps
     */
    public record Accuracy(double relativeFloor, double floor, double normEstimate, double maxEigenvalueError,
            double minEigenvalueResidual, double minEigenvalueError, String minEigenvalueStatus,
            Double conditionNumberLowerBound, Double conditionNumberUpperBound, String conditionNumberStatus,
            boolean converged, double tolerance, int maxSteps) {
    }

    /**
     * As {@link #from(Lanczos.Result, List, int, boolean, Lanczos.Stopping)} for a run of a fixed number of steps.
     */
    public static HessianSpectrum from(Lanczos.Result main, List<Lanczos.Result> others, int topK,
            boolean withDensity) {
        return from(main, others, topK, withDensity, Lanczos.Stopping.fixed(Math.max(1, main.steps())));
    }

    /**
     * @param main the run whose top Ritz values are reported
     * @param others further runs (density probes) that only sharpen λ_min
     * @param topK how many of the largest Ritz values to report
     * @param withDensity whether to estimate the density from all runs
     * @param stopping how the main run was stopped (reported with the bounds)
     */
    public static HessianSpectrum from(Lanczos.Result main, List<Lanczos.Result> others, int topK,
            boolean withDensity, Lanczos.Stopping stopping) {
        // Probes that stopped before their first step have no Ritz values; a failed main run is reported as such.
        others = others.stream().filter(r -> r.steps() > 0).toList();
        if (main.steps() == 0) {
            String why = main.failure() != null ? main.failure() : "the Lanczos run completed no step";
            String status = "not measured: " + why;
            Accuracy none = new Accuracy(main.relativeFloor(), Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, status, null, null, status, false, stopping.tolerance(), stopping.maxSteps());
            return new HessianSpectrum(new double[0], new double[0], Double.NaN, null, null, false, new double[0],
                    0, null, why, none);
        }
        double[] ritz = main.ritzValues();
        int k = Math.min(topK, ritz.length);
        double[] top = Arrays.copyOf(ritz, k);
        double[] res = Arrays.copyOf(main.residuals(), k);
        double lambdaMax = ritz[0];
        double maxResidual = main.residuals()[0];
        double lambdaMin = ritz[ritz.length - 1];
        double minResidual = main.residuals()[ritz.length - 1];
        for (Lanczos.Result r : others) {
            double[] v = r.ritzValues();
            if (v[v.length - 1] < lambdaMin) {
                lambdaMin = v[v.length - 1];
                minResidual = r.residuals()[v.length - 1];
            }
        }
        double norm = Math.max(Math.abs(lambdaMax), Math.abs(lambdaMin));
        double floor = main.relativeFloor() * norm;
        List<Double> negatives = new ArrayList<>();
        for (int i = ritz.length - 1; i >= 0; i--) {
            if (ritz[i] < -floor) {
                negatives.add(ritz[i]);
            }
        }
        double maxError = maxResidual + floor;
        double minError = minResidual + floor;
        String minStatus = null;
        Double condition = null;
        Double lower = null;
        Double upper = null;
        String conditionStatus;
        if (lambdaMin + floor < 0) {
            conditionStatus = String.format(Locale.ROOT, "undefined: lambda_min <= %.4g < 0 (negative curvature; no"
                    + " positive lower end of the spectrum to divide by)", lambdaMin + floor);
        } else if (lambdaMin - minError > 0) {
            condition = lambdaMax / lambdaMin;
            lower = (lambdaMax - floor) / (lambdaMin + floor);
            upper = (lambdaMax + maxError) / (lambdaMin - minError);
            conditionStatus = null;
        } else {
            minStatus = unresolved(lambdaMin, minResidual, floor);
            if (lambdaMax - floor > 0) {
                lower = (lambdaMax - floor) / (lambdaMin + floor);
            }
            conditionStatus = (Math.abs(lambdaMin) <= floor ? "not resolved: lambda_min below the resolvable floor"
                    : "not resolved: lambda_min not converged") + String.format(Locale.ROOT, " (Ritz value %.4g,"
                    + " residual %.3g, floor %.3g = %.3g x ||H||); where lambda_min > 0 the condition number is"
                    + " at least (lambda_max - floor)/(lambda_min + floor)", lambdaMin, minResidual, floor,
                    main.relativeFloor());
        }
        Double maxLr = lambdaMax > 0 ? 2.0 / lambdaMax : null;
        SpectralDensity density = null;
        if (withDensity) {
            List<Lanczos.Result> all = new ArrayList<>();
            all.add(main);
            all.addAll(others);
            density = SpectralDensity.estimate(all);
        }
        Accuracy accuracy = new Accuracy(main.relativeFloor(), floor, norm, maxError, minResidual, minError,
                minStatus, lower, upper, conditionStatus, main.converged(), stopping.tolerance(),
                stopping.maxSteps());
        return new HessianSpectrum(top, res, lambdaMin, condition, maxLr, !negatives.isEmpty(),
                negatives.stream().mapToDouble(Double::doubleValue).toArray(), main.steps(), density,
                main.failure(), accuracy);
    }

    private static String unresolved(double lambdaMin, double residual, double floor) {
        return Math.abs(lambdaMin) <= floor
                ? String.format(Locale.ROOT, "not resolved: below the resolvable floor (|%.4g| <= %.3g)", lambdaMin,
                        floor)
                : String.format(Locale.ROOT, "not resolved: within its error bound of 0 (|%.4g| <= residual %.3g +"
                        + " floor %.3g)", lambdaMin, residual, floor);
    }

    /** λ_max (the largest Ritz value); NaN when the Lanczos run completed no step. */
    public double maxEigenvalue() {
        return topEigenvalues.length == 0 ? Double.NaN : topEigenvalues[0];
    }

    /**
     * Whether λ_min's sign is known: negative where θ_min &lt; −η (interlacing), positive where θ_min exceeds its
     * error bound r_min + η.
     */
    public boolean minEigenvalueResolved() {
        return lanczosSteps > 0 && accuracy.minEigenvalueStatus() == null;
    }

    /** The index as measured: how many Ritz values lie below −η (a lower bound on H's). */
    public int negativeCount() {
        return negativeEigenvalues.length;
    }
}
