package io.ravine.optim;

import ai.djl.training.tracker.Tracker;
import io.ravine.backend.Backend;
import io.ravine.backend.StepParams;
import io.ravine.backend.Tensor;
import io.ravine.backend.UpdateRule;
import java.util.Objects;
import java.util.Optional;

/**
 * An update rule with its hyper-parameters; immutable, made by a {@link Builder}:
 * <pre>{@code
 * Optimizer opt = Optimizer.adam().optLearningRateTracker(Schedules.cosine(1e-3, 10_000, 0)).build();
 * try (OptimizerState s = opt.init(backend, theta.length())) {
 *     opt.step(backend, theta, grad, s);
 * }
 * }</pre>
 * The formulas are in {@link UpdateRule}; the per-element work happens in {@link Backend#optimizerStep}. This class
 * supplies the scalars of each step ({@link #paramsFor(long)}): the learning rate from the schedule and Adam's
 * bias corrections from the step count.
 *
 * <h2>Step numbering</h2>
 * Step t = 1, 2, … is the t-th update. Its learning rate is {@code tracker.getNewValue(t − 1)}: DJL trackers are
 * indexed by the number of updates already completed, so the first update gets the schedule's starting value.
 * Without a tracker the rate is the constant {@link #baseLearningRate()}, kept in double (a DJL tracker rounds to
 * float).
 */
public final class Optimizer {
    private final UpdateRule rule;
    private final double learningRate;
    private final Tracker tracker;
    private final double momentum;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double gamma;
    private final double weightDecay;
    private final double clipGradNorm;
    private final int maxIter;
    private final int maxEval;
    private final double toleranceGrad;
    private final double toleranceChange;
    private final int historySize;
    private final Lbfgs.LineSearch lineSearch;
    private final NewtonCg.Curvature curvature;
    private final double damping;
    private final int cgMaxIter;
    private final int curvatureBatch;

    private Optimizer(Builder b) {
        this.rule = b.rule;
        this.learningRate = b.learningRate;
        this.tracker = b.tracker;
        this.momentum = b.momentum;
        this.beta1 = b.beta1;
        this.beta2 = b.beta2;
        this.epsilon = b.epsilon;
        this.gamma = b.gamma;
        this.weightDecay = b.weightDecay;
        this.clipGradNorm = b.clipGradNorm;
        this.maxIter = b.maxIter;
        this.maxEval = b.maxEval;
        this.toleranceGrad = b.toleranceGrad;
        this.toleranceChange = b.toleranceChange;
        this.historySize = b.historySize;
        this.lineSearch = b.lineSearch;
        this.curvature = b.curvature;
        this.damping = b.damping;
        this.cgMaxIter = b.cgMaxIter;
        this.curvatureBatch = b.curvatureBatch;
    }

    /**
     * Plain gradient descent, θ ← θ − αg; default α = 0.01.
     *
     * @return the builder
     */
    public static Builder sgd() {
        return new Builder(UpdateRule.SGD);
    }

    /**
     * Heavy-ball momentum, p ← μp − αg, θ ← θ + p; default α = 0.01, μ = 0.9.
     *
     * @return the builder
     */
    public static Builder momentum() {
        return new Builder(UpdateRule.MOMENTUM);
    }

    /**
     * Nesterov momentum (Sutskever et al. 2013); default α = 0.01, μ = 0.9.
     *
     * @return the builder
     */
    public static Builder nesterov() {
        return new Builder(UpdateRule.NESTEROV);
    }

    /**
     * RMSprop (Tieleman &amp; Hinton 2012), s ← (1−γ)s + γg²; default α = 0.01, γ = 0.01, ε = 1e-8.
     *
     * @return the builder
     */
    public static Builder rmsprop() {
        return new Builder(UpdateRule.RMSPROP);
    }

    /**
     * Adam (Kingma &amp; Ba 2015); default α = 1e-3, β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
     *
     * @return the builder
     */
    public static Builder adam() {
        return new Builder(UpdateRule.ADAM);
    }

    /**
     * AdamW (Loshchilov &amp; Hutter 2019); as Adam, with decoupled weight decay λ = 0.01 by default (PyTorch's).
     *
     * @return the builder
     */
    public static Builder adamW() {
        return new Builder(UpdateRule.ADAMW);
    }

    /**
     * L-BFGS with torch.optim.LBFGS's semantics and defaults: lr = 1, maxIter = 20, maxEval = maxIter·5/4,
     * toleranceGrad = 1e-7, toleranceChange = 1e-9, historySize = 100, no line search. Closure-based: driven
     * through {@link Lbfgs}, not {@link #step}.
     *
     * @return the builder
     */
    public static Builder lbfgs() {
        return new Builder(UpdateRule.LBFGS);
    }

    /**
     * Hessian-free Newton-CG (Martens 2010); defaults lr = 1 (the step is the CG solution), damping λ₀ = 1,
     * cgMaxIter = 250 (Martens' cap), Gauss-Newton curvature on a curvature batch of 1000 examples. Closure-based:
     * driven through {@link NewtonCg}.
     *
     * @return the builder
     */
    public static Builder newtonCg() {
        return new Builder(UpdateRule.NEWTON_CG);
    }

    /**
     * A builder with the defaults of {@code rule}, for a rule picked at run time (the CLI's {@code --optimizer}).
     *
     * @param rule the update rule
     * @return the builder
     */
    public static Builder builder(UpdateRule rule) {
        return new Builder(Objects.requireNonNull(rule, "rule"));
    }

    /**
     * The update rule.
     *
     * @return the rule
     */
    public UpdateRule rule() {
        return rule;
    }

    /**
     * The constant learning rate, used where no tracker is set.
     *
     * @return α
     */
    public double baseLearningRate() {
        return learningRate;
    }

    /**
     * The learning-rate schedule, if one was set.
     *
     * @return the tracker, or empty
     */
    public Optional<Tracker> learningRateTracker() {
        return Optional.ofNullable(tracker);
    }

    /**
     * μ; named apart from the {@link #momentum()} factory, which a Java class cannot overload by return type.
     *
     * @return μ
     */
    public double momentumCoefficient() {
        return momentum;
    }

    /**
     * Adam's β₁.
     *
     * @return β₁
     */
    public double beta1() {
        return beta1;
    }

    /**
     * Adam's β₂.
     *
     * @return β₂
     */
    public double beta2() {
        return beta2;
    }

    /**
     * ε of RMSprop and Adam.
     *
     * @return ε
     */
    public double epsilon() {
        return epsilon;
    }

    /**
     * RMSprop's γ.
     *
     * @return γ
     */
    public double gamma() {
        return gamma;
    }

    /**
     * The weight decay λ (coupled, decoupled for AdamW).
     *
     * @return λ
     */
    public double weightDecay() {
        return weightDecay;
    }

    /**
     * The global-norm clipping threshold; 0 means no clipping.
     *
     * @return the threshold
     */
    public double clipGradNorm() {
        return clipGradNorm;
    }

    /**
     * L-BFGS's iterations per step (torch's {@code max_iter}).
     *
     * @return maxIter
     */
    public int maxIter() {
        return maxIter;
    }

    /**
     * L-BFGS's evaluations per step as set; 0 means torch's default, maxIter·5/4 ({@link #resolvedMaxEval()}).
     *
     * @return maxEval
     */
    public int maxEval() {
        return maxEval;
    }

    /**
     * The evaluations per step L-BFGS uses: {@link #maxEval()}, or maxIter·5/4 (integer division, as torch) for 0.
     *
     * @return torch's {@code max_eval}
     */
    public int resolvedMaxEval() {
        return maxEval > 0 ? maxEval : maxIter * 5 / 4;
    }

    /**
     * L-BFGS's tolerance on ‖g‖∞ (torch's {@code tolerance_grad}).
     *
     * @return the tolerance
     */
    public double toleranceGrad() {
        return toleranceGrad;
    }

    /**
     * L-BFGS's tolerance on changes of the loss and of θ (torch's {@code tolerance_change}).
     *
     * @return the tolerance
     */
    public double toleranceChange() {
        return toleranceChange;
    }

    /**
     * L-BFGS's number of (s, y) pairs kept (torch's {@code history_size}).
     *
     * @return the history size
     */
    public int historySize() {
        return historySize;
    }

    /**
     * L-BFGS's line search (torch's {@code line_search_fn}).
     *
     * @return the line search
     */
    public Lbfgs.LineSearch lineSearch() {
        return lineSearch;
    }

    /**
     * Newton-CG's curvature matrix.
     *
     * @return Gauss-Newton or the Hessian
     */
    public NewtonCg.Curvature curvature() {
        return curvature;
    }

    /**
     * Newton-CG's initial damping λ₀ (Levenberg-Marquardt adapts it from there).
     *
     * @return λ₀
     */
    public double damping() {
        return damping;
    }

    /**
     * Newton-CG's cap on CG iterations per step.
     *
     * @return the cap
     */
    public int cgMaxIter() {
        return cgMaxIter;
    }

    /**
     * Newton-CG's curvature mini-batch: the first this-many examples of each step's batch (all of it when larger).
     *
     * @return the size
     */
    public int curvatureBatch() {
        return curvatureBatch;
    }

    /**
     * Fresh state for a θ of {@code paramCount} elements: zeroed state vectors, step 0.
     *
     * @param backend where the state lives
     * @param paramCount the length of θ
     * @return the state; close it to free its vectors
     */
    public OptimizerState init(Backend backend, int paramCount) {
        return new OptimizerState(backend, rule, paramCount);
    }

    /**
     * The learning rate of the t-th update (t ≥ 1); see the class comment for the numbering.
     *
     * @param t the update, ≥ 1
     * @return α_t
     */
    public double learningRate(long t) {
        checkStep(t);
        if (tracker == null) {
            return learningRate;
        }
        // Trackers take an int; every schedule here is flat long before 2³¹ updates, so saturating is exact enough.
        int completed = (int) Math.min(t - 1, Integer.MAX_VALUE);
        double lr = tracker.getNewValue(completed);
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalStateException("learning-rate schedule gave " + lr + " at update " + t);
        }
        return lr;
    }

    /**
     * The scalars of the t-th update (t ≥ 1). Public because a recorded CUDA graph replays the same launch with
     * fresh parameters each step. Bias corrections are 1 − βᵗ in double, as PyTorch computes them; rules without
     * moments get 1 so that no kernel ever divides by a meaningless value.
     *
     * @param t the update, ≥ 1
     * @return the scalars
     */
    public StepParams paramsFor(long t) {
        double lr = learningRate(t);
        boolean adam = rule == UpdateRule.ADAM || rule == UpdateRule.ADAMW;
        double c1 = adam ? 1 - Math.pow(beta1, t) : 1.0;
        double c2 = adam ? 1 - Math.pow(beta2, t) : 1.0;
        return new StepParams(lr, momentum, beta1, beta2, epsilon, gamma, weightDecay, clipGradNorm, c1, c2, t);
    }

    /**
     * One update: θ and the state vectors change in place on the backend, and the state's step counter advances.
     *
     * @param backend the backend θ lives on
     * @param theta θ, updated in place
     * @param grad ∇
     * @param state the rule's state, updated in place
     * @throws IllegalArgumentException if the state belongs to another rule or the lengths differ
     */
    public void step(Backend backend, Tensor theta, Tensor grad, OptimizerState state) {
        if (rule.closureBased()) {
            throw new IllegalStateException(rule.cliName() + " re-evaluates the loss within a step: drive it with "
                    + (rule == UpdateRule.LBFGS ? "Lbfgs" : "NewtonCg") + ".step and an Objective");
        }
        if (state.rule() != rule) {
            throw new IllegalArgumentException("state is for " + state.rule().cliName() + ", optimizer is "
                    + rule.cliName());
        }
        if (theta.length() != state.paramCount() || grad.length() != state.paramCount()) {
            throw new IllegalArgumentException("state holds " + state.paramCount() + " parameters, θ has "
                    + theta.length() + " and the gradient " + grad.length());
        }
        long t = state.step() + 1;
        backend.optimizerStep(rule, theta, grad, state.tensors(), paramsFor(t));
        state.advance();
    }

    private static void checkStep(long t) {
        if (t < 1) {
            throw new IllegalArgumentException("updates are numbered from 1, got " + t);
        }
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(rule.cliName()).append("(lr=");
        s.append(tracker == null ? Double.toString(learningRate) : Schedules.describe(tracker));
        switch (rule) {
            case MOMENTUM, NESTEROV -> s.append(", momentum=").append(momentum);
            case RMSPROP -> s.append(", gamma=").append(gamma).append(", eps=").append(epsilon);
            case ADAM, ADAMW -> s.append(", beta1=").append(beta1).append(", beta2=").append(beta2)
                    .append(", eps=").append(epsilon);
            case SGD -> { }
            case LBFGS -> s.append(", max_iter=").append(maxIter).append(", max_eval=").append(resolvedMaxEval())
                    .append(", tolerance_grad=").append(toleranceGrad).append(", tolerance_change=")
                    .append(toleranceChange).append(", history_size=").append(historySize)
                    .append(", line_search=").append(lineSearch.cliName());
            case NEWTON_CG -> s.append(", curvature=").append(curvature.cliName()).append(", damping=")
                    .append(damping).append(", cg_max_iter=").append(cgMaxIter).append(", curvature_batch=")
                    .append(curvatureBatch);
        }
        if (weightDecay != 0) {
            s.append(", weight_decay=").append(weightDecay);
        }
        if (clipGradNorm != 0) {
            s.append(", clip_grad_norm=").append(clipGradNorm);
        }
        return s.append(')').toString();
    }

    /**
     * Collects hyper-parameters; every one has a default, so every setter is {@code opt*}. Each setter checks its
     * value at once, so a bad value fails where it was given. Setting a learning rate clears a tracker and the
     * other way round: the last one set wins.
     */
    public static final class Builder {
        private final UpdateRule rule;
        private double learningRate;
        private Tracker tracker;
        private double momentum = 0.9;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double epsilon = 1e-8;
        private double gamma = 0.01;
        private double weightDecay;
        private double clipGradNorm;
        private int maxIter = 20;
        private int maxEval;
        private double toleranceGrad = 1e-7;
        private double toleranceChange = 1e-9;
        private int historySize = 100;
        private Lbfgs.LineSearch lineSearch = Lbfgs.LineSearch.NONE;
        private NewtonCg.Curvature curvature = NewtonCg.Curvature.GAUSS_NEWTON;
        private double damping = 1.0;
        private int cgMaxIter = 250;
        private int curvatureBatch = 1000;

        private Builder(UpdateRule rule) {
            this.rule = rule;
            boolean adam = rule == UpdateRule.ADAM || rule == UpdateRule.ADAMW;
            this.learningRate = rule.closureBased() ? 1.0 : adam ? 1e-3 : 0.01;
            this.weightDecay = rule == UpdateRule.ADAMW ? 0.01 : 0.0;
        }

        /**
         * Constant learning rate α ≥ 0.
         *
         * @param lr α
         * @return this builder
         */
        public Builder optLearningRate(double lr) {
            this.learningRate = nonNegative("learning rate", lr);
            this.tracker = null;
            return this;
        }

        /**
         * A learning-rate schedule, queried with the number of completed updates (see the class comment); clears a
         * constant rate set before.
         *
         * @param tracker the schedule
         * @return this builder
         */
        public Builder optLearningRateTracker(Tracker tracker) {
            this.tracker = Objects.requireNonNull(tracker, "tracker");
            return this;
        }

        /**
         * Momentum μ ∈ [0, 1) (momentum and Nesterov).
         *
         * @param momentum μ
         * @return this builder
         */
        public Builder optMomentum(double momentum) {
            firstOrderOnly("momentum");
            this.momentum = unitInterval("momentum", momentum);
            return this;
        }

        /**
         * β₁ ∈ [0, 1), decay of Adam's first moment.
         *
         * @param beta1 β₁
         * @return this builder
         */
        public Builder optBeta1(double beta1) {
            firstOrderOnly("beta1");
            this.beta1 = unitInterval("beta1", beta1);
            return this;
        }

        /**
         * β₂ ∈ [0, 1), decay of Adam's second moment.
         *
         * @param beta2 β₂
         * @return this builder
         */
        public Builder optBeta2(double beta2) {
            firstOrderOnly("beta2");
            this.beta2 = unitInterval("beta2", beta2);
            return this;
        }

        /**
         * ε &gt; 0 added to the root-mean-square denominator.
         *
         * @param epsilon ε
         * @return this builder
         */
        public Builder optEpsilon(double epsilon) {
            firstOrderOnly("epsilon");
            if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
                throw new IllegalArgumentException(rule.cliName() + ": epsilon must be positive and finite, got "
                        + epsilon);
            }
            this.epsilon = epsilon;
            return this;
        }

        /**
         * RMSprop's γ ∈ (0, 1], the weight of the new squared gradient in s ← (1−γ)s + γg² (PyTorch's
         * {@code alpha} is 1 − γ).
         *
         * @param gamma γ
         * @return this builder
         */
        public Builder optGamma(double gamma) {
            firstOrderOnly("gamma");
            if (!(gamma > 0 && gamma <= 1)) {
                throw new IllegalArgumentException(rule.cliName() + ": gamma must be in (0, 1], got " + gamma);
            }
            this.gamma = gamma;
            return this;
        }

        /**
         * Weight decay λ ≥ 0: an L2 term λθ added to the gradient, or for AdamW the decoupled θ ← θ(1 − αλ).
         *
         * @param weightDecay λ
         * @return this builder
         */
        public Builder optWeightDecay(double weightDecay) {
            firstOrderOnly("weight decay");
            this.weightDecay = nonNegative("weight decay", weightDecay);
            return this;
        }

        /**
         * Clip the gradient to global norm c (0 = off), as PyTorch's {@code clip_grad_norm_}.
         *
         * @param clipGradNorm c
         * @return this builder
         */
        public Builder optClipGradNorm(double clipGradNorm) {
            firstOrderOnly("clip-grad-norm");
            this.clipGradNorm = nonNegative("clip-grad-norm", clipGradNorm);
            return this;
        }

        /**
         * L-BFGS's iterations per step, ≥ 1 (torch's {@code max_iter}; default 20).
         *
         * @param maxIter the iterations
         * @return this builder
         */
        public Builder optMaxIter(int maxIter) {
            only(UpdateRule.LBFGS, "maxIter");
            this.maxIter = atLeast("maxIter", maxIter, 1);
            return this;
        }

        /**
         * L-BFGS's evaluations per step, ≥ 1, or 0 for torch's default maxIter·5/4.
         *
         * @param maxEval the evaluations
         * @return this builder
         */
        public Builder optMaxEval(int maxEval) {
            only(UpdateRule.LBFGS, "maxEval");
            this.maxEval = atLeast("maxEval", maxEval, 0);
            return this;
        }

        /**
         * L-BFGS's tolerance on ‖g‖∞, ≥ 0 (default 1e-7).
         *
         * @param toleranceGrad the tolerance
         * @return this builder
         */
        public Builder optToleranceGrad(double toleranceGrad) {
            only(UpdateRule.LBFGS, "toleranceGrad");
            this.toleranceGrad = nonNegative("toleranceGrad", toleranceGrad);
            return this;
        }

        /**
         * L-BFGS's tolerance on changes of the loss and θ, ≥ 0 (default 1e-9).
         *
         * @param toleranceChange the tolerance
         * @return this builder
         */
        public Builder optToleranceChange(double toleranceChange) {
            only(UpdateRule.LBFGS, "toleranceChange");
            this.toleranceChange = nonNegative("toleranceChange", toleranceChange);
            return this;
        }

        /**
         * L-BFGS's history, ≥ 1 pairs (default 100).
         *
         * @param historySize the pairs kept
         * @return this builder
         */
        public Builder optHistorySize(int historySize) {
            only(UpdateRule.LBFGS, "historySize");
            this.historySize = atLeast("historySize", historySize, 1);
            return this;
        }

        /**
         * L-BFGS's line search (default none: a fixed step).
         *
         * @param lineSearch the line search
         * @return this builder
         */
        public Builder optLineSearch(Lbfgs.LineSearch lineSearch) {
            only(UpdateRule.LBFGS, "lineSearch");
            this.lineSearch = Objects.requireNonNull(lineSearch, "lineSearch");
            return this;
        }

        /**
         * Newton-CG's curvature (default Gauss-Newton).
         *
         * @param curvature the curvature matrix
         * @return this builder
         */
        public Builder optCurvature(NewtonCg.Curvature curvature) {
            only(UpdateRule.NEWTON_CG, "curvature");
            this.curvature = Objects.requireNonNull(curvature, "curvature");
            return this;
        }

        /**
         * Newton-CG's initial damping λ₀ &gt; 0 (default 1).
         *
         * @param damping λ₀
         * @return this builder
         */
        public Builder optDamping(double damping) {
            only(UpdateRule.NEWTON_CG, "damping");
            if (!(damping > 0) || Double.isInfinite(damping)) {
                throw new IllegalArgumentException(rule.cliName() + ": damping must be positive and finite, got "
                        + damping);
            }
            this.damping = damping;
            return this;
        }

        /**
         * Newton-CG's cap on CG iterations per step, ≥ 1 (default 250).
         *
         * @param cgMaxIter the cap
         * @return this builder
         */
        public Builder optCgMaxIter(int cgMaxIter) {
            only(UpdateRule.NEWTON_CG, "cgMaxIter");
            this.cgMaxIter = atLeast("cgMaxIter", cgMaxIter, 1);
            return this;
        }

        /**
         * Newton-CG's curvature mini-batch, ≥ 1 examples (default 1000; capped at the step's batch).
         *
         * @param curvatureBatch the examples
         * @return this builder
         */
        public Builder optCurvatureBatch(int curvatureBatch) {
            only(UpdateRule.NEWTON_CG, "curvatureBatch");
            this.curvatureBatch = atLeast("curvatureBatch", curvatureBatch, 1);
            return this;
        }

        private void only(UpdateRule owner, String setting) {
            if (rule != owner) {
                throw new IllegalArgumentException(rule.cliName() + ": " + setting + " is a setting of "
                        + owner.cliName() + ", not of " + rule.cliName());
            }
        }

        private void firstOrderOnly(String setting) {
            if (rule.closureBased()) {
                throw new IllegalArgumentException(rule.cliName() + ": " + setting + " is not a setting of "
                        + rule.cliName() + " (a first-order rule's; " + rule.cliName()
                        + " takes the learning rate and its own settings)");
            }
        }

        private int atLeast(String what, int v, int min) {
            if (v < min) {
                throw new IllegalArgumentException(rule.cliName() + ": " + what + " must be ≥ " + min + ", got " + v);
            }
            return v;
        }

        /**
         * The optimizer.
         *
         * @return the immutable optimizer
         */
        public Optimizer build() {
            return new Optimizer(this);
        }

        private double nonNegative(String what, double v) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException(rule.cliName() + ": " + what
                        + " must be non-negative and finite, got " + v);
            }
            return v;
        }

        private double unitInterval(String what, double v) {
            if (!(v >= 0 && v < 1)) {
                throw new IllegalArgumentException(rule.cliName() + ": " + what + " must be in [0, 1), got " + v);
            }
            return v;
        }
    }
}
