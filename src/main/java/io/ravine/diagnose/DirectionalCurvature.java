package io.ravine.diagnose;

/**
 * The curvature along the gradient split over the Hessian's eigendirections (Goodfellow, "Gradient descent and the
 * structure of neural network cost functions", 2015, slide "Directional Curvature"): with H = QΛQᵀ,
 * <pre>
 *   dᵀHd = Σᵢ λᵢ cos²∠(vᵢ, d)        for a unit d, so for the gradient   gᵀHg = Σᵢ λᵢ ‖g‖² cos²∠(vᵢ, g)
 * </pre>
 * Each term is what direction i contributes to gᵀHg, the quantity that decides the optimal step ε* = gᵀg/gᵀHg and
 * whether a step of a given size goes uphill ("if g aligns with a large eigenvalue, ε* is very small"). The top-k
 * eigendirections are the Ritz vectors yᵢ of the main Lanczos run (with their residuals: a Ritz vector whose
 * residual is small relative to the gap to its neighbours is close to an eigenvector); cos²∠(yᵢ, g) = (yᵢᵀg)²/‖g‖²
 * comes from projecting g on the Lanczos basis before it is freed. What the top k do not explain,
 * gᵀHg − Σ_{i≤k} λᵢ‖g‖²cos²ᵢ, is the remaining spectrum's share (with exact eigenvectors it is exactly the sum over
 * the other directions; with Ritz vectors it also absorbs their small cross terms yᵢᵀH g_⊥). The gradient's mass
 * outside the top k, 1 − Σ cos²ᵢ, and the mean curvature it sees there, remainder / (‖g‖²(1 − Σ cos²ᵢ)), say where
 * the rest of g lies.
 *
 * @param gradientNormSquared ‖g‖²
 * @param gHg gᵀHg (measured with one product, as in {@link Curvature})
 * @param eigenvalues λᵢ, the top-k Ritz values, descending
 * @param residuals each one's residual norm
 * @param cosineSquared cos²∠(yᵢ, g)
 * @param contributions λᵢ ‖g‖² cos²ᵢ
 * @param shares contributions / gᵀHg
 * @param explained Σ contributions
 * @param remainder gᵀHg − explained
 * @param outsideMass 1 − Σ cos²ᵢ, the fraction of ‖g‖² outside the top-k directions
 * @param remainderCurvature remainder / (‖g‖² · outsideMass): the mean curvature the rest of g sees (NaN where
 *     nothing is outside)
 */
public record DirectionalCurvature(double gradientNormSquared, double gHg, double[] eigenvalues, double[] residuals,
        double[] cosineSquared, double[] contributions, double[] shares, double explained, double remainder,
        double outsideMass, double remainderCurvature) {

    /**
     * From the main Lanczos run, which projected g ({@link Lanczos.Result#projections} row {@code direction}) on its
     * Ritz vectors.
     *
     * @param run the Lanczos run
     * @param direction which of the run's projected directions is g
     * @param topK how many of the largest Ritz values
     * @param gradientNormSquared ‖g‖²
     * @param gHg gᵀHg
     */
    public static DirectionalCurvature from(Lanczos.Result run, int direction, int topK, double gradientNormSquared,
            double gHg) {
        int k = Math.min(topK, run.ritzValues().length);
        double[] lambda = new double[k];
        double[] res = new double[k];
        double[] cos2 = new double[k];
        double[] contrib = new double[k];
        double[] share = new double[k];
        double explained = 0;
        double mass = 0;
        for (int i = 0; i < k; i++) {
            lambda[i] = run.ritzValues()[i];
            res[i] = run.residuals()[i];
            double c = run.projections()[direction][i];
            cos2[i] = c * c / gradientNormSquared;
            contrib[i] = lambda[i] * c * c;
            share[i] = contrib[i] / gHg;
            explained += contrib[i];
            mass += cos2[i];
        }
        double remainder = gHg - explained;
        double outside = 1 - mass;
        double curvature = outside > 0 ? remainder / (gradientNormSquared * outside) : Double.NaN;
        return new DirectionalCurvature(gradientNormSquared, gHg, lambda, res, cos2, contrib, share, explained,
                remainder, outside, curvature);
    }

    /** Fraction of gᵀHg the top-k directions explain (explained / gᵀHg). */
    public double explainedShare() {
        return explained / gHg;
    }
}
