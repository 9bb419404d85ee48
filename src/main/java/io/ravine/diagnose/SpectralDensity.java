package io.ravine.diagnose;

import java.util.List;

/**
 * An estimate of the Hessian's eigenvalue density by stochastic Lanczos quadrature (Golub &amp; Meurant; Lin, Saad
 * &amp; Yang 2016; applied to network Hessians by Ghorbani, Krishnan &amp; Xiao 2019). For a unit random probe v,
 * vᵀ f(H) v = Σ_i f(λ_i)(q_iᵀv)² is an unbiased estimate of (1/P) Σ_i f(λ_i), and m Lanczos steps from v turn it
 * into an m-point Gauss quadrature with nodes at the Ritz values θ_j and weights τ_j = (first component of T's
 * j-th eigenvector)². With f a Gaussian of width σ:
 * <pre>
 *   φ(t) = (1/n_v) Σ_probes Σ_j τ_j · exp(−(t − θ_j)² / 2σ²) / (σ√(2π))
 * </pre>
 * which integrates to 1. σ is 1% of the range of all Ritz values (Ghorbani et al. broaden by a comparable fraction
 * of the spectrum's width); the grid spans that range plus 5σ each side.
 *
 * @param grid points t, ascending
 * @param density φ(t) at each point
 * @param sigma the Gaussian broadening σ
 * @param probes how many Lanczos runs (probe vectors) were averaged
 * @param steps Lanczos steps per probe
 */
public record SpectralDensity(double[] grid, double[] density, double sigma, int probes, int steps) {
    /** Broadening as a fraction of the Ritz values' range. */
    static final double RELATIVE_WIDTH = 0.01;
    static final int GRID_POINTS = 201;

    public static SpectralDensity estimate(List<Lanczos.Result> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no Lanczos runs to estimate a density from");
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Lanczos.Result r : runs) {
            for (double v : r.ritzValues()) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        double range = hi - lo;
        double sigma = range > 0 ? RELATIVE_WIDTH * range : 1e-3 * Math.max(1.0, Math.abs(hi));
        double start = lo - 5 * sigma;
        double step = (hi - lo + 10 * sigma) / (GRID_POINTS - 1);
        double[] grid = new double[GRID_POINTS];
        double[] density = new double[GRID_POINTS];
        double norm = 1.0 / (sigma * Math.sqrt(2 * Math.PI) * runs.size());
        for (int g = 0; g < GRID_POINTS; g++) {
            double t = start + g * step;
            grid[g] = t;
            double sum = 0;
            for (Lanczos.Result r : runs) {
                double[] nodes = r.ritzValues();
                double[] w = r.quadratureWeights();
                for (int j = 0; j < nodes.length; j++) {
                    double z = (t - nodes[j]) / sigma;
                    sum += w[j] * Math.exp(-0.5 * z * z);
                }
            }
            density[g] = sum * norm;
        }
        return new SpectralDensity(grid, density, sigma, runs.size(), runs.get(0).steps());
    }
}
