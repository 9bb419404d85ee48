package io.ravine.diagnose;

import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * reorthogonalisation, and k vectors of length P in the backend's memory (allocated as the run goes).
 *
 * <p>Residuals and convergence. For a Ritz pair (θ, y = Qs) of T's eigenpair (θ, s), A y − θ y = β_k s_k q_{k+1}
 * (the Lanczos relation AQ = QT + β_k q_{k+1} e_kᵀ), so its residual norm is |β_k s_k|, read off T without a
 * product (Parlett, The Symmetric Eigenvalue Problem, §13.2). A residual r bounds the error: some eigenvalue of A
 * lies within r of θ (Kahan-Parlett), and within r²/gap where θ is separated from the rest of A's spectrum by gap.
 * {@link Stopping} runs at least its minimum of steps and then continues, one step at a time, until the residuals of
 * both the largest and the smallest Ritz value are at most {@code tolerance} times ‖A‖ (estimated by the largest
 * |θ|), or until its cap. The computed residual is that of the operator as computed; a product with rounding noise
 * η·‖A‖ ({@link SymmetricOperator#relativeFloor}) adds up to η·‖A‖ to every error bound.
 *
 * <p>When the Krylov space is exhausted (β_j at the operator's rounding level: q₁ lies in an invariant subspace, as
 * for a Hessian with repeated eigenvalues) every Ritz value so far is an eigenvalue to that level. Before the
 * minimum of steps the method then restarts with a fresh random vector orthogonal to Q and a zero coupling in T, so
 * with k = P steps it finds every eigenvalue with its multiplicity; after it, the run has converged and stops.
 *
 * <p>A product that is not finite (a checkpoint whose θ blew up or holds NaN, so that gradients overflow) or a
 * vector that cannot be normalised stops the run there: the result holds the Ritz values of the steps completed
 * before it (possibly none) and says why in {@link Result#failure}, for the diagnosis to report as a finding. It
 * never throws for what the operator returns.
 */
public final class Lanczos {
    /**
     * β_j below this fraction of the largest |α| or β seen counts as an exhausted Krylov space, or below the
     * operator's own rounding level ({@link SymmetricOperator#relativeFloor}) where that is lower. Decoupling T there
     * moves its eigenvalues by at most β_j: at most 1e-6 ‖A‖, below the noise of a float32 finite-difference
     * product, and never more than an exact float64 product's rounding (an ill-conditioned Hessian's small
     * eigenvalues live in couplings far below 1e-6 ‖A‖).
     */
    static final double BREAKDOWN = 1e-6;

    private Lanczos() {
    }

    /**
     * When a run stops.
     *
     * @param minSteps steps always taken (at most the dimension)
     * @param maxSteps the cap (at least {@code minSteps})
     * @param tolerance after {@code minSteps}, stop once the residuals of the largest and of the smallest Ritz value
     *     are both at most {@code tolerance}·‖A‖ (‖A‖ estimated by the largest |Ritz value|); 0: run to the cap
     */
    public record Stopping(int minSteps, int maxSteps, double tolerance) {
        public Stopping {
            if (minSteps <= 0 || maxSteps < minSteps || !(tolerance >= 0) || Double.isInfinite(tolerance)) {
                throw new IllegalArgumentException("Lanczos stopping: need 0 < minSteps <= maxSteps and a finite"
                        + " tolerance >= 0, got " + minSteps + ", " + maxSteps + ", " + tolerance);
            }
        }

        /** Exactly {@code steps} steps (fewer only where the dimension is smaller or a product fails). */
        public static Stopping fixed(int steps) {
            return new Stopping(steps, steps, 0);
        }
    }

    /**
     * What the run found.
     *
     * @param ritzValues eigenvalues of T, descending
     * @param residuals for each Ritz value, the residual norm ‖A y − θ y‖ = |β_k s_{k}| of its Ritz vector y (how far
     *     from converged it is, in the units of the eigenvalues)
     * @param quadratureWeights for each Ritz value, (first component of T's eigenvector)²: the weights of the Gauss
     *     quadrature of the start vector's spectral measure (stochastic Lanczos quadrature)
     * @param steps k, the steps completed (fewer than asked when the run stopped early, 0 when no step completed)
     * @param restarts how many times the Krylov space was exhausted and restarted
     * @param failure why the run stopped before the steps asked for, or null when it did not
     * @param converged whether the extreme Ritz values' residuals met the stopping tolerance (or the Krylov space
     *     was exhausted) before the cap
     * @param relativeFloor the operator's rounding level relative to ‖A‖ ({@link SymmetricOperator#relativeFloor})
     * @param projections for each direction passed to {@link #run(SymmetricOperator, Stopping, long, List)}, its
     *     component yᵢᵀd along each Ritz vector yᵢ, in the order of {@code ritzValues}
     */
    public record Result(double[] ritzValues, double[] residuals, double[] quadratureWeights, int steps,
            int restarts, String failure, boolean converged, double relativeFloor, double[][] projections) {

        /** ‖A‖ as the run sees it: the largest |Ritz value| (a lower bound on ‖A‖); NaN without steps. */
        public double normEstimate() {
            return ritzValues.length == 0 ? Double.NaN
                    : Math.max(Math.abs(ritzValues[0]), Math.abs(ritzValues[ritzValues.length - 1]));
        }
    }

    /**
     * Runs {@code steps} Lanczos steps (at most the dimension) from a seeded Gaussian start vector.
     */
    public static Result run(SymmetricOperator op, int steps, long seed) {
        if (steps <= 0) {
            throw new IllegalArgumentException("Lanczos needs at least one step");
        }
        return run(op, Stopping.fixed(steps), seed, List.of());
    }

    /** Runs until {@code stopping} says so. */
    public static Result run(SymmetricOperator op, Stopping stopping, long seed) {
        return run(op, stopping, seed, List.of());
    }

    /**
     * Runs until {@code stopping} says so, and projects each of {@code directions} (vectors of the operator's
     * backend) onto the Ritz vectors before the basis is freed ({@link Result#projections}).
     */
    public static Result run(SymmetricOperator op, Stopping stopping, long seed, List<Tensor> directions) {
        Backend b = op.backend();
        int p = op.dimension();
        int cap = Math.min(stopping.maxSteps(), p);
        int min = Math.min(stopping.minSteps(), cap);
        double floor = op.relativeFloor();
        double breakdown = Math.min(BREAKDOWN, floor);
        SplittableRandom rng = new SplittableRandom(seed);
        double[] alpha = new double[cap];
        double[] beta = new double[cap];
        int restarts = 0;
        double lastBeta = 0;
        int done = 0;
        boolean converged = false;
        String failure = null;
        List<Tensor> q = new ArrayList<>();
        double[][] coefficients = new double[directions.size()][];
        try (Tensor w = b.allocateVector(p)) {
            q.add(b.allocateVector(p));
            failure = randomUnit(b, rng, q.get(0), q, 0);
            double scale = 0;
            for (int j = 0; j < cap && failure == null; j++) {
                op.apply(q.get(j), w);
                alpha[j] = b.dot(q.get(j), w);
                orthogonalize(b, w, q, j + 1);
                double bj = Math.sqrt(b.sumOfSquares(w));
                if (!Double.isFinite(alpha[j]) || !Double.isFinite(bj)) {
                    failure = "the Hessian-vector product was not finite at Lanczos step " + j + " (q'Hq = "
                            + alpha[j] + ", residual norm " + bj + ")";
                    break;
                }
                done = j + 1;
                scale = Math.max(scale, Math.max(Math.abs(alpha[j]), bj));
                boolean exhausted = bj <= breakdown * scale;
                if (done >= min) {
                    if (exhausted) {
                        // Every Ritz value so far is an eigenvalue to the operator's rounding level.
                        lastBeta = bj;
                        converged = true;
                        break;
                    }
                    boolean met = stopping.tolerance() > 0
                            && extremesConverged(alpha, beta, done, bj, stopping.tolerance());
                    if (met || done == cap) {
                        lastBeta = bj;
                        converged = met;
                        break;
                    }
                }
                Tensor next = b.allocateVector(p);
                q.add(next);
                if (exhausted) {
                    beta[j] = 0;
                    restarts++;
                    failure = randomUnit(b, rng, next, q, j + 1);
                } else {
                    beta[j] = bj;
                    b.copy(w, next);
                    b.scale(1.0 / bj, next);
                }
                lastBeta = beta[j];
            }
            for (int m = 0; m < directions.size(); m++) {
                coefficients[m] = new double[done];
                for (int j = 0; j < done; j++) {
                    coefficients[m][j] = b.dot(q.get(j), directions.get(m));
                }
            }
        } finally {
            for (Tensor t : q) {
                t.close();
            }
        }
        if (done == 0) {
            return new Result(new double[0], new double[0], new double[0], 0, restarts, failure, false, floor,
                    new double[directions.size()][0]);
        }
        TridiagonalEigen eig;
        try {
            eig = TridiagonalEigen.of(Arrays.copyOf(alpha, done), Arrays.copyOf(beta, done));
        } catch (ArithmeticException e) {
            return new Result(new double[0], new double[0], new double[0], 0, restarts,
                    "the eigenvalues of the Lanczos tridiagonal did not converge (" + e.getMessage() + ")", false,
                    floor, new double[directions.size()][0]);
        }
        double[] values = eig.values();
        double[] residuals = new double[done];
        double[] weights = new double[done];
        double[][] projections = new double[directions.size()][done];
        for (int i = 0; i < done; i++) {
            double[] sv = eig.vector(i);
            residuals[i] = Math.abs(lastBeta * sv[done - 1]);
            weights[i] = sv[0] * sv[0];
            for (int m = 0; m < directions.size(); m++) {
                double c = 0;
                for (int j = 0; j < done; j++) {
                    c += sv[j] * coefficients[m][j];
                }
                projections[m][i] = c;
            }
        }
        return new Result(values, residuals, weights, done, restarts, failure, converged && failure == null, floor,
                projections);
    }

    /**
     * Whether the largest and the smallest Ritz value of the first {@code k} steps, with {@code lastBeta} the norm of
     * the next residual vector, have residuals |β_k s_k| within {@code tolerance} times the largest |Ritz value|.
     */
    private static boolean extremesConverged(double[] alpha, double[] beta, int k, double lastBeta,
            double tolerance) {
        TridiagonalEigen eig;
        try {
            eig = TridiagonalEigen.of(Arrays.copyOf(alpha, k), Arrays.copyOf(beta, k));
        } catch (ArithmeticException e) {
            return false;
        }
        double[] v = eig.values();
        double norm = Math.max(Math.abs(v[0]), Math.abs(v[k - 1]));
        double top = Math.abs(lastBeta * eig.vector(0)[k - 1]);
        double bottom = Math.abs(lastBeta * eig.vector(k - 1)[k - 1]);
        return top <= tolerance * norm && bottom <= tolerance * norm;
    }

    /** w ← w − Σ_{i<count} (q_iᵀw) q_i, applied twice. */
    private static void orthogonalize(Backend b, Tensor w, List<Tensor> q, int count) {
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < count; i++) {
                b.axpy(-b.dot(q.get(i), w), q.get(i), w);
            }
        }
    }

    /**
     * dst ← a Gaussian vector orthogonalised against q[0..count) and normalised; returns null, or why no such vector
     * was found (its norm stayed near zero or was not finite).
     */
    private static String randomUnit(Backend b, SplittableRandom rng, Tensor dst, List<Tensor> q, int count) {
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
