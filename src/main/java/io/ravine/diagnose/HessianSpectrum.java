package io.ravine.diagnose;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the Hessian's extreme eigenvalues say about the optimization (Grosse, lecture 8 §4.6; Goodfellow et al.
 * §8.2.1): gradient descent on a quadratic with curvature λ is stable only for α &lt; 2/λ, so 2/λ_max is the largest
 * stable learning rate; λ_max/λ_min (the condition number) sets how slowly the flattest directions converge; a
 * negative eigenvalue means a direction of negative curvature (a saddle region: θ is not near a minimum).
 *
 * <p>Where the numbers come from: the top-k eigenvalues are the largest Ritz values of one Lanczos run from a seeded
 * start. The smallest eigenvalue is the smallest Ritz value of the same run (and of the density probes' runs, when
 * there are any): Krylov spaces are shift-invariant, so Lanczos on (λ_max·I − H) from the same start would give
 * exactly the same Ritz values, and a second run only helps by adding steps. Ritz values lie inside
 * [λ_min, λ_max], so the reported λ_min is an upper bound on the true one, and the condition number a lower bound
 * on the true one; both tighten with more steps ({@code --lanczos-steps}). The bottom of a network's spectrum is a
 * dense cluster near 0, which converges more slowly than the few large outliers at the top.
 *
 * @param topEigenvalues the largest Ritz values, descending
 * @param topResiduals the residual norm of each reported Ritz value (small: converged)
 * @param minEigenvalue the smallest Ritz value found
 * @param conditionNumber λ_max / λ_min where λ_min &gt; 0, else null
 * @param maxStableLearningRate 2 / λ_max where λ_max &gt; 0, else null
 * @param saddle true when some Ritz value is below −{@link #NEGATIVE_TOLERANCE}·max|λ|
 * @param negativeEigenvalues the Ritz values of the main run below that threshold, ascending
 * @param lanczosSteps steps per run
 * @param density the stochastic-Lanczos-quadrature density estimate, or null
 * @param failure null, or why the Lanczos run stopped early ({@link Lanczos.Result#failure}): the spectrum then
 *     holds the Ritz values of the steps completed before it, or nothing (no eigenvalue; λ_min NaN) when none was
 */
public record HessianSpectrum(double[] topEigenvalues, double[] topResiduals, double minEigenvalue,
        Double conditionNumber, Double maxStableLearningRate, boolean saddle, double[] negativeEigenvalues,
        int lanczosSteps, SpectralDensity density, String failure) {

    /**
     * A Ritz value counts as negative below −1e-3·max|λ|: the float32 finite-difference product is accurate to
     * about √ε_mach ≈ 3e-4 relative to ‖H‖, so smaller negative values may be rounding, not curvature.
     */
    public static final double NEGATIVE_TOLERANCE = 1e-3;

    /**
     * @param main the run whose top Ritz values are reported
     * @param others further runs (density probes) that only sharpen λ_min
     * @param topK how many of the largest Ritz values to report
     * @param withDensity whether to estimate the density from all runs
     */
    public static HessianSpectrum from(Lanczos.Result main, List<Lanczos.Result> others, int topK,
            boolean withDensity) {
        // Probes that stopped before their first step have no Ritz values; a failed main run is reported as such.
        others = others.stream().filter(r -> r.steps() > 0).toList();
        if (main.steps() == 0) {
            return new HessianSpectrum(new double[0], new double[0], Double.NaN, null, null, false, new double[0],
                    0, null, main.failure() != null ? main.failure() : "the Lanczos run completed no step");
        }
        double[] ritz = main.ritzValues();
        int k = Math.min(topK, ritz.length);
        double[] top = Arrays.copyOf(ritz, k);
        double[] res = Arrays.copyOf(main.residuals(), k);
        double lambdaMax = ritz[0];
        double lambdaMin = ritz[ritz.length - 1];
        for (Lanczos.Result r : others) {
            double[] v = r.ritzValues();
            lambdaMin = Math.min(lambdaMin, v[v.length - 1]);
        }
        double magnitude = Math.max(Math.abs(lambdaMax), Math.abs(lambdaMin));
        double threshold = -NEGATIVE_TOLERANCE * magnitude;
        List<Double> negatives = new ArrayList<>();
        for (int i = ritz.length - 1; i >= 0; i--) {
            if (ritz[i] < threshold) {
                negatives.add(ritz[i]);
            }
        }
        Double condition = lambdaMin > 0 ? lambdaMax / lambdaMin : null;
        Double maxLr = lambdaMax > 0 ? 2.0 / lambdaMax : null;
        SpectralDensity density = null;
        if (withDensity) {
            List<Lanczos.Result> all = new ArrayList<>();
            all.add(main);
            all.addAll(others);
            density = SpectralDensity.estimate(all);
        }
        return new HessianSpectrum(top, res, lambdaMin, condition, maxLr, lambdaMin < threshold,
                negatives.stream().mapToDouble(Double::doubleValue).toArray(), main.steps(), density,
                main.failure());
    }

    /** λ_max (the largest Ritz value); NaN when the Lanczos run completed no step. */
    public double maxEigenvalue() {
        return topEigenvalues.length == 0 ? Double.NaN : topEigenvalues[0];
    }
}
