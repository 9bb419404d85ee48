package io.ravine.train;

import io.ravine.nn.Mlp;

/**
 * The unit of {@code metrics.csv}'s {@code passes} column: work in passes over the training data, so that optimizers
 * whose steps cost differently (one gradient for Adam; a line search's evaluations for L-BFGS; CG's curvature
 * products for Newton-CG) can be compared on one axis. One pass is one gradient evaluation over all N training
 * examples, a forward and a backward pass: what an epoch of a first-order rule costs. An evaluation over B rows
 * counts B/N of its weight.
 *
 * <p>The weights of the other evaluations are their dense matrix products' multiply-adds over a gradient's, for the
 * model at hand (products are 80–96% of an MLP step's time, docs/benchmarks.md). Per example and layer k with
 * m_k = fanIn·fanOut: a forward pass costs Σ m_k; a gradient adds the weight gradients Σ m_k and the deltas passed
 * down, Σ_{k≥1} m_k (none for the input); a Gauss-Newton product's R-forward pass costs m_0 + 2 Σ_{k≥1} m_k (Ra₀ = 0
 * for the data) and its backward pass what a gradient's does. So a loss and the Newton-CG step's expansion forward
 * are about 1/2 of a gradient and a Gauss-Newton product about 1 for one wide hidden layer on wide inputs
 * (784-256-10: 0.497 and 1.006), 1/3 and 4/3 for many equal layers. A Hessian product counts 2: two gradients by
 * central differences (float32, CUDA), about one and a half by the R-operator (float64), an upper bound.
 * SecondOrderBench measures the ratios against these.
 *
 * @param loss a loss without its gradient (a trial point), in gradients
 * @param gaussNewtonProduct a Gauss-Newton product Gv, in gradients
 * @param expansion the forward pass that fixes the Gauss-Newton expansion point, once per Newton-CG step
 */
public record Passes(double loss, double gaussNewtonProduct, double expansion) {
    /** A gradient (forward + backward). */
    public static final double GRADIENT = 1.0;
    /** A Hessian product ({@code --curvature hessian}); see the class comment. */
    public static final double HESSIAN_PRODUCT = 2.0;

    /**
     * The weights for {@code mlp}.
     *
     * @param mlp the model
     * @return its weights
     */
    public static Passes of(Mlp mlp) {
        double first = (double) mlp.fanIn(0) * mlp.fanOut(0);
        double above = 0;
        for (int k = 1; k < mlp.layerCount(); k++) {
            above += (double) mlp.fanIn(k) * mlp.fanOut(k);
        }
        double forward = first + above;
        double gradient = forward + forward + above;
        double gaussNewton = (first + 2 * above) + (forward + above);
        return new Passes(forward / gradient, gaussNewton / gradient, forward / gradient);
    }
}
