package io.ravine.optim;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.RefusedUpdate;
import io.ravine.backend.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Hessian-free optimization (Martens 2010, "Deep learning via Hessian-free optimization", ICML), one
 * {@link #step} at a time:
 * <ol>
 *   <li>g = ∇J(θ) and J(θ) from the objective (the step's batch);</li>
 *   <li>conjugate gradients on (B + λI) d = −g, B the curvature at θ given as products ({@link CurvatureOperator}:
 *       the Gauss-Newton matrix G = JᵀH_L J, positive semi-definite, or the Hessian), started from the previous
 *       step's d times {@value #WARM_START_DECAY} (Martens §4.5), stopped by Martens' relative-progress rule (§4.4):
 *       at iteration i &gt; k = max(10, ⌈0.1 i⌉) when φ(x_i) &lt; 0 and (φ(x_i) − φ(x_{i−k})) / φ(x_i) &lt; kε with
 *       ε = {@value #PROGRESS_EPSILON}, φ(x) = ½xᵀ(B + λI)x + gᵀx; by the cap {@code cgMaxIter}; when the residual
 *       is below {@value #RESIDUAL_TOLERANCE}·‖g‖ (a quadratic solved); or at a direction of non-positive curvature
 *       (possible with the Hessian), keeping the iterate before it;</li>
 *   <li>the trial θ + α d (α the learning rate, 1 by default) and ρ = (J(θ + αd) − J(θ)) / φ(αd), the actual over
 *       the predicted decrease of the damped quadratic model that CG minimized;</li>
 *   <li>Levenberg-Marquardt (Martens §4.1): ρ &lt; ¼ → λ ← 3/2 λ, ρ &gt; ¾ → λ ← 2/3 λ;</li>
 *   <li>a trial that does not lower the loss (or whose loss is not finite) is refused: θ stays as it was, bit for
 *       bit (it is copied back), and λ rises by the same 3/2.</li>
 * </ol>
 * φ comes free from CG's own vectors: with r = −g − (B + λI)x, φ(x) = ½(xᵀg − xᵀr), so the stopping rule and ρ cost
 * two dot products per iteration and no product with B. The state that outlives a step is λ and the last d
 * ({@link #snapshot()}); every vector operation is a {@link Backend} call.
 */
public final class NewtonCg implements AutoCloseable {
    /** ζ of Martens' warm start x₀ = ζ d_prev. */
    public static final double WARM_START_DECAY = 0.95;
    /** ε of Martens' relative-progress rule. */
    public static final double PROGRESS_EPSILON = 5e-4;
    /** CG stops once ‖r‖ ≤ this · ‖g‖: the system is solved to rounding. */
    public static final double RESIDUAL_TOLERANCE = 1e-10;

    /** Which curvature matrix CG multiplies by. */
    public enum Curvature {
        /** G = JᵀH_L J (Schraudolph 2002; Martens 2010 §4.2): positive semi-definite for convex losses. */
        GAUSS_NEWTON,
        /** The Hessian of the mean loss: exact Newton, indefinite away from a minimum. */
        HESSIAN;

        /**
         * The name in settings.
         *
         * @return gauss-newton or hessian
         */
        public String cliName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /**
         * The curvature a name names.
         *
         * @param name gauss-newton or hessian
         * @return the curvature
         */
        public static Curvature parse(String name) {
            String n = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            for (Curvature c : values()) {
                if (c.cliName().equals(n)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("unknown curvature '" + name + "' (expected gauss-newton or hessian)");
        }
    }

    /**
     * What the last step did, for logs and tests.
     *
     * @param cgIterations CG iterations (products with B)
     * @param dampingBefore λ the step solved with
     * @param dampingAfter λ after the Levenberg-Marquardt update
     * @param rho actual / predicted decrease (NaN when the trial's loss was not finite)
     * @param predicted φ(αd), the damped model's change
     * @param accepted whether θ moved
     */
    public record Info(int cgIterations, double dampingBefore, double dampingAfter, double rho, double predicted,
            boolean accepted) {
    }

    private final Backend backend;
    private final int p;
    private final double lr;
    private final int cgMaxIter;
    private final Tensor g;
    private final Tensor x;
    private final Tensor r;
    private final Tensor dir;
    private final Tensor product;
    private final Tensor savedTheta;
    private final Tensor prevD;
    private double damping;
    private boolean hasPrevD;
    private long products;
    private long evaluations;
    private Info last;

    /**
     * @param backend where θ lives
     * @param paramCount θ's length
     * @param opt a {@code newton-cg} optimizer (its lr, damping λ₀ and cgMaxIter)
     */
    public NewtonCg(Backend backend, int paramCount, Optimizer opt) {
        this.backend = backend;
        this.p = paramCount;
        this.lr = opt.baseLearningRate();
        this.cgMaxIter = opt.cgMaxIter();
        this.damping = opt.damping();
        g = backend.allocateVector(p);
        x = backend.allocateVector(p);
        r = backend.allocateVector(p);
        dir = backend.allocateVector(p);
        product = backend.allocateVector(p);
        savedTheta = backend.allocateVector(p);
        prevD = backend.allocateVector(p);
    }

    /**
     * One step; see the class comment.
     *
     * @param theta θ, moved in place when the step is accepted
     * @param f the objective (the step's batch)
     * @param curvature B at the current θ (the curvature mini-batch)
     * @return the loss and ‖g‖ at the start; a refusal (θ as it was) when J(θ) or ∇J(θ) is not finite
     */
    public ClosureStep step(Tensor theta, Objective f, CurvatureOperator curvature) {
        double f0 = f.lossAndGradient(g);
        evaluations++;
        double gg = backend.sumOfSquares(g);
        double gNorm = Math.sqrt(gg);
        if (!Double.isFinite(f0) || !Double.isFinite(gg)) {
            last = new Info(0, damping, damping, Double.NaN, Double.NaN, false);
            return new ClosureStep(f0, gNorm, new RefusedUpdate(0, Double.isFinite(f0) ? RefusedUpdate.Cause.GRADIENT
                    : RefusedUpdate.Cause.LOSS), 1);
        }
        double lambda = damping;
        int iterations = solve(curvature, lambda, gg);
        // φ(αd) = α dᵀg + ½α² dᵀ(B + λI)d, and (B + λI)d = −g − r.
        double dg = backend.dot(x, g);
        double dr = backend.dot(x, r);
        double predicted = lr * dg + 0.5 * lr * lr * (-dg - dr);
        backend.copy(theta, savedTheta);
        backend.axpy(lr, x, theta);
        double f1 = f.loss(product);
        evaluations++;
        double rho = (f1 - f0) / predicted;
        boolean accepted = f1 < f0 && Double.isFinite(f1) && Double.isFinite(backend.sumOfSquares(theta));
        if (!accepted) {
            backend.copy(savedTheta, theta);
            damping = lambda * 1.5;
        } else if (rho < 0.25) {
            damping = lambda * 1.5;
        } else if (rho > 0.75) {
            damping = lambda * (2.0 / 3.0);
        }
        // The warm start keeps a finite d only: a NaN product would otherwise poison every later solve.
        hasPrevD = Double.isFinite(backend.sumOfSquares(x));
        if (hasPrevD) {
            backend.copy(x, prevD);
        }
        last = new Info(iterations, lambda, damping, Double.isFinite(f1) ? rho : Double.NaN, predicted, accepted);
        return new ClosureStep(f0, gNorm, null, 1);
    }

    /** CG on (B + λI) x = −g into {@link #x}, residual left in {@link #r}; returns the products with B taken. */
    private int solve(CurvatureOperator b, double lambda, double gg) {
        int products0 = 0;
        // r = −g − A x₀
        if (hasPrevD) {
            backend.copy(prevD, x);
            backend.scale(WARM_START_DECAY, x);
            applyDamped(b, lambda, x, product);
            products0++;
            backend.copy(g, r);
            backend.axpy(1.0, product, r);
            backend.scale(-1.0, r);
        } else {
            backend.fill(x, 0.0);
            backend.copy(g, r);
            backend.scale(-1.0, r);
        }
        backend.copy(r, dir);
        double rr = backend.sumOfSquares(r);
        double tolerance = RESIDUAL_TOLERANCE * RESIDUAL_TOLERANCE * gg;
        List<Double> phi = new ArrayList<>();
        phi.add(0.5 * (backend.dot(x, g) - backend.dot(x, r)));
        int i = 0;
        while (i < cgMaxIter && rr > tolerance) {
            applyDamped(b, lambda, dir, product);
            double pAp = backend.dot(dir, product);
            if (!(pAp > 0)) {
                break; // non-positive (or NaN) curvature along dir: keep x (Steihaug's truncation)
            }
            i++;
            double alpha = rr / pAp;
            backend.axpy(alpha, dir, x);
            backend.axpy(-alpha, product, r);
            double rrNew = backend.sumOfSquares(r);
            double phiI = 0.5 * (backend.dot(x, g) - backend.dot(x, r));
            phi.add(phiI);
            int k = Math.max(10, (int) Math.ceil(0.1 * i));
            if (i > k && phiI < 0 && (phiI - phi.get(i - k)) / phiI < k * PROGRESS_EPSILON) {
                break;
            }
            backend.scale(rrNew / rr, dir);
            backend.axpy(1.0, r, dir);
            rr = rrNew;
        }
        return i + products0;
    }

    private void applyDamped(CurvatureOperator b, double lambda, Tensor v, Tensor out) {
        b.apply(v, out);
        products++;
        backend.axpy(lambda, v, out);
    }

    /**
     * The current damping λ.
     *
     * @return λ
     */
    public double damping() {
        return damping;
    }

    /**
     * What the last step did (null before the first).
     *
     * @return the step's numbers
     */
    public Info lastStep() {
        return last;
    }

    /**
     * Products with B over all steps.
     *
     * @return the count
     */
    public long curvatureProducts() {
        return products;
    }

    /**
     * Evaluations of the objective (gradients and trial losses) over all steps.
     *
     * @return the count
     */
    public long evaluations() {
        return evaluations;
    }

    /**
     * The state for a checkpoint: real {@code damping} (λ) and, once a step has run, vector {@code d} (the last
     * CG solution, the next warm start).
     *
     * @return the state
     */
    public ClosureState snapshot() {
        Map<String, float[]> vectors = new LinkedHashMap<>();
        Map<String, double[]> reals = new LinkedHashMap<>();
        reals.put("damping", new double[] {damping});
        if (hasPrevD) {
            vectors.put("d", backend.toFloatArray(prevD));
        }
        return new ClosureState(vectors, reals, Map.of());
    }

    /**
     * Resumes from {@link #snapshot()}'s state (checked first: λ positive and finite, d of θ's length).
     *
     * @param s the saved state
     */
    public void restore(ClosureState s) {
        boolean withD = s.vectors().containsKey("d");
        s.requireNames(withD ? List.of("d") : List.of(), List.of("damping"), "newton-cg");
        double lambda = s.finiteReal("damping", "newton-cg");
        if (!(lambda > 0)) {
            throw new InvalidInputException("optimizer state of newton-cg: damping must be positive, got " + lambda);
        }
        if (withD) {
            s.requireLength("d", p);
            backend.copyFromHost(s.vectors().get("d"), 0, prevD);
        }
        hasPrevD = withD;
        damping = lambda;
    }

    @Override
    public void close() {
        g.close();
        x.close();
        r.close();
        dir.close();
        product.close();
        savedTheta.close();
        prevD.close();
    }
}
