package io.ravine.backend;

/**
 * Per-element optimizer updates over the flat parameter vector θ, each one fused pass (one kernel launch on CUDA).
 * With g = s·∇ + λθ (s = {@link StepParams#clipScale(double)}, the global-norm clipping factor; λ = weight decay, coupled
 * as an L2 term for every rule but AdamW):
 * <ul>
 *   <li>SGD: θ ← θ − α g</li>
 *   <li>MOMENTUM (lectures, eq. 8–9): p ← μ p − α g; θ ← θ + p</li>
 *   <li>NESTEROV (Sutskever et al. 2013, same velocity): p ← μ p − α g; θ ← θ + μ p − α g</li>
 *   <li>RMSPROP (lectures): s ← (1 − γ) s + γ g²; θ ← θ − α g / (√s + ε)</li>
 *   <li>ADAM (Kingma &amp; Ba 2015, PyTorch's form): m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
 *       θ ← θ − (α / c₁) · m / (√v / √c₂ + ε), with c₁ = 1 − β₁ᵗ and c₂ = 1 − β₂ᵗ computed on the host</li>
 *   <li>ADAMW (Loshchilov &amp; Hutter 2019): θ ← θ (1 − α λ), then the Adam step with g = s·∇</li>
 * </ul>
 * Two rules are not one fused pass but closure-based ({@link #closureBased()}): each step re-evaluates the loss and
 * gradient at trial points, and their state (histories, damping) lives in {@code io.ravine.optim}:
 * <ul>
 *   <li>LBFGS: torch.optim.LBFGS's algorithm (two-loop recursion, optional strong-Wolfe line search)</li>
 *   <li>NEWTON_CG: Hessian-free optimization (Martens 2010): CG on (G + λI) d = −g with Levenberg-Marquardt λ</li>
 * </ul>
 * The ordinal is the code the CUDA kernels switch on.
 */
public enum UpdateRule {
    /** Plain gradient descent. */
    SGD(0),
    /** Heavy-ball momentum (the lectures' form). */
    MOMENTUM(1),
    /** Nesterov momentum. */
    NESTEROV(1),
    /** RMSprop (the lectures' form). */
    RMSPROP(1),
    /** Adam. */
    ADAM(2),
    /** Adam with decoupled weight decay. */
    ADAMW(2),
    /** L-BFGS with torch.optim.LBFGS's semantics (closure-based; its state is not θ-sized vectors of a fused step). */
    LBFGS(0),
    /** Hessian-free Newton-CG, Martens 2010 (closure-based). */
    NEWTON_CG(0);

    private final int stateCount;

    UpdateRule(int stateCount) {
        this.stateCount = stateCount;
    }

    /**
     * How many θ-sized state vectors the rule keeps (velocity p; mean square s; moments m and v).
     *
     * @return 0, 1 or 2
     */
    public int stateCount() {
        return stateCount;
    }

    /**
     * Whether the rule re-evaluates the loss and gradient at trial points within a step (L-BFGS, Newton-CG) instead
     * of one fused {@link Backend#optimizerStep}.
     *
     * @return true for LBFGS and NEWTON_CG
     */
    public boolean closureBased() {
        return this == LBFGS || this == NEWTON_CG;
    }

    /**
     * The names of the state vectors as stored in checkpoints ({@code optimizer.NAME}).
     *
     * @return PyTorch's names: velocity, square_avg, exp_avg and exp_avg_sq
     */
    public String[] stateNames() {
        return switch (this) {
            case SGD, LBFGS, NEWTON_CG -> new String[0];
            case MOMENTUM, NESTEROV -> new String[] {"velocity"};
            case RMSPROP -> new String[] {"square_avg"};
            case ADAM, ADAMW -> new String[] {"exp_avg", "exp_avg_sq"};
        };
    }

    /**
     * The name in settings, config.json and checkpoints' {@code optimizer} metadata.
     *
     * @return the lower-case name, '-' for '_' (newton-cg)
     */
    public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /**
     * The rule a name names, ignoring case.
     *
     * @param name sgd, momentum, nesterov, rmsprop, adam, adamw, lbfgs or newton-cg
     * @return the rule
     * @throws IllegalArgumentException for an unknown name
     */
    public static UpdateRule parse(String name) {
        for (UpdateRule r : values()) {
            if (r.cliName().equalsIgnoreCase(name.trim())) {
                return r;
            }
        }
        throw new IllegalArgumentException(
                "unknown optimizer '" + name + "' (expected sgd, momentum, nesterov, rmsprop, adam, adamw, lbfgs or"
                        + " newton-cg)");
    }
}
