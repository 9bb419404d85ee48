package io.ravine.diagnose;

import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import java.util.SplittableRandom;

/**
 * The Lanczos method for the extreme eigenvalues of a symmetric operator known only through products A·v
 * (Lanczos 1950; Golub &amp; Van Loan, Matrix Computations, §10.1). k steps build an orthonormal basis
 * Q = [q₁ … q_k] of the Krylov space span{q₁, Aq₁, …, A^{k−1}q₁} and the tridiagonal T = QᵀAQ; the eigenvalues
 * of T (Ritz values) approximate A's, the extreme ones first, and always lie in [λ_min, λ_max] (Cauchy interlacing),
 * so the largest Ritz value is a lower bound on λ_max and the smallest an upper bound on λ_min.
 *
 * <p>Full reorthogonalisation: every new vector is orthogonalised against all earlier ones, twice (classical
 * Gram-Schmidt applied twice, "twice is enough"), which keeps Q orthonormal to working precision and prevents the
 * spurious copies of converged eigenvalues plain Lanczos produces. Cost: k products plus O(k²P) for the
 * reorthogonalisation, and k vectors of length P in the backend's memory.
 *
 * <p>When the Krylov space is exhausted (β_j ≈ 0: q₁ lies in an invariant subspace, as for a Hessian with repeated
 * eigenvalues) the method restarts with a fresh random vector orthogonal to Q and a zero coupling in T, so with
 * k = P steps it finds every eigenvalue with its multiplicity.
 *
 * <p>A product that is not finite (a checkpoint whose θ blew up or holds NaN, so that gradients overflow) or a
 * vector that cannot be normalised stops the run there: the result holds the Ritz values of the steps completed
 * before it (possibly none) and says why in {@link Result#failure}, for the diagnosis to report as a finding. It
 * never throws for what the operator returns.
 */
public final class Lanczos {
    /**
     * β_j below this fraction of the largest |α| or β seen counts as an exhausted Krylov space. Decoupling T there
     * moves its eigenvalues by at most β_j, i.e. 1e-6 ‖A‖ — below the noise of a float32 finite-difference product.
     */
    static final double BREAKDOWN = 1e-6;

    private Lanczos() {
    }

    /**
     * What k steps found.
     *
     * @param ritzValues eigenvalues of T, descending
     * @param residuals for each Ritz value, the residual norm ‖A y − θ y‖ = |β_k s_{k}| of its Ritz vector y (how far
     *     from converged it is, in the units of the eigenvalues)
     * @param quadratureWeights for each Ritz value, (first component of T's eigenvector)²: the weights of the Gauss
     *     quadrature of the start vector's spectral measure (stochastic Lanczos quadrature)
     * @param steps k, the steps completed (fewer than asked when the run stopped early, 0 when no step completed)
     * @param restarts how many times the Krylov space was exhausted and restarted
     * @param failure why the run stopped before the steps asked for, or null when it did not
     */
    public record Result(double[] ritzValues, double[] residuals, double[] quadratureWeights, int steps,
            int restarts, String failure) {
    }

    /**
     * Runs {@code steps} Lanczos steps (at most the dimension) from a seeded Gaussian start vector.
     */
    public static Result run(SymmetricOperator op, int steps, long seed) {
        if (steps <= 0) {
            throw new IllegalArgumentException("Lanczos needs at least one step");
        }
        Backend b = op.backend();
        int p = op.dimension();
        int k = Math.min(steps, p);
        if ((long) k * p > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(k + " Lanczos vectors of " + p + " values exceed one buffer");
        }
        SplittableRandom rng = new SplittableRandom(seed);
        double[] alpha = new double[k];
        double[] beta = new double[k];
        int restarts = 0;
        double lastBeta = 0;
        int done = 0;
        String failure = null;
        try (Tensor basis = b.allocate(k, p); Tensor w = b.allocateVector(p)) {
            Tensor[] q = new Tensor[k];
            for (int j = 0; j < k; j++) {
                q[j] = basis.view(j * p, p, 1);
            }
            failure = randomUnit(b, rng, q[0], q, 0);
            double scale = 0;
            for (int j = 0; j < k && failure == null; j++) {
                op.apply(q[j], w);
                alpha[j] = b.dot(q[j], w);
                orthogonalize(b, w, q, j + 1);
                double bj = Math.sqrt(b.sumOfSquares(w));
                if (!Double.isFinite(alpha[j]) || !Double.isFinite(bj)) {
                    failure = "the Hessian-vector product was not finite at Lanczos step " + j + " (q'Hq = "
                            + alpha[j] + ", residual norm " + bj + ")";
                    break;
                }
                done = j + 1;
                scale = Math.max(scale, Math.max(Math.abs(alpha[j]), bj));
                if (j == k - 1) {
                    lastBeta = bj;
                    break;
                }
                if (bj <= BREAKDOWN * scale) {
                    beta[j] = 0;
                    restarts++;
                    failure = randomUnit(b, rng, q[j + 1], q, j + 1);
                } else {
                    beta[j] = bj;
                    b.copy(w, q[j + 1]);
                    b.scale(1.0 / bj, q[j + 1]);
                }
                lastBeta = beta[j];
            }
        }
        if (done == 0) {
            return new Result(new double[0], new double[0], new double[0], 0, restarts, failure);
        }
        TridiagonalEigen eig;
        try {
            eig = TridiagonalEigen.of(java.util.Arrays.copyOf(alpha, done), java.util.Arrays.copyOf(beta, done));
        } catch (ArithmeticException e) {
            return new Result(new double[0], new double[0], new double[0], 0, restarts,
                    "the eigenvalues of the Lanczos tridiagonal did not converge (" + e.getMessage() + ")");
        }
        double[] values = eig.values();
        double[] residuals = new double[done];
        double[] weights = new double[done];
        for (int i = 0; i < done; i++) {
            double[] sv = eig.vector(i);
            residuals[i] = Math.abs(lastBeta * sv[done - 1]);
            weights[i] = sv[0] * sv[0];
        }
        return new Result(values, residuals, weights, done, restarts, failure);
    }

    /** w ← w − Σ_{i<count} (q_iᵀw) q_i, applied twice. */
    private static void orthogonalize(Backend b, Tensor w, Tensor[] q, int count) {
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < count; i++) {
                b.axpy(-b.dot(q[i], w), q[i], w);
            }
        }
    }

    /**
     * dst ← a Gaussian vector orthogonalised against q[0..count) and normalised; returns null, or why no such vector
     * was found (its norm stayed near zero or was not finite).
     */
    private static String randomUnit(Backend b, SplittableRandom rng, Tensor dst, Tensor[] q, int count) {
        int p = dst.length();
        for (int attempt = 0; attempt < 8; attempt++) {
            float[] host = new float[p];
            for (int i = 0; i < p; i++) {
                host[i] = (float) rng.nextGaussian();
            }
            b.copyFromHost(host, 0, dst);
            orthogonalize(b, dst, q, count);
            double norm = Math.sqrt(b.sumOfSquares(dst));
            if (!Double.isFinite(norm)) {
                return "a start vector orthogonalised against " + count + " Lanczos vectors was not finite (norm "
                        + norm + ")";
            }
            if (norm > 1e-3 * Math.sqrt(p)) {
                b.scale(1.0 / norm, dst);
                return null;
            }
        }
        return "no vector orthogonal to " + count + " Lanczos vectors has a norm away from zero";
    }
}
