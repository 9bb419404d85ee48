package io.ravine.train;

/**
 * The unit of {@code metrics.csv}'s {@code passes} column: work in passes over the training data, so that optimizers
 * whose steps cost differently (one gradient for Adam; a line search's evaluations for L-BFGS; CG's curvature
 * products for Newton-CG) can be compared on one axis. One pass is one gradient evaluation over all N training
 * examples: a forward and a backward pass, which is what an epoch of a first-order rule costs. An evaluation over
 * B rows counts B/N of its weight. The weights count the dense matrix products per layer, which dominate an MLP's
 * time (docs/benchmarks.md: 80–96% GEMM): a forward pass is one product per layer (z = aWᵀ), a backward pass two
 * (δ·W for the layer below, δᵀa for the weights).
 */
public final class Passes {
    /** A gradient (forward + backward: 3 products per layer). */
    public static final double GRADIENT = 1.0;
    /** A loss without its gradient (a trial point): the forward pass, 1 of the 3 products. */
    public static final double LOSS = 1.0 / 3;
    /**
     * A Gauss-Newton product Gv: the R-forward pass (R z = Ra·Wᵀ + a·Vᵀ, 2 products per layer) and the backward
     * pass of the loss's Hessian times Rz (2), 4 of a gradient's 3.
     */
    public static final double GAUSS_NEWTON_PRODUCT = 4.0 / 3;
    /** The forward pass at θ that fixes a Newton-CG step's Gauss-Newton expansion point, once per step. */
    public static final double EXPANSION = 1.0 / 3;
    /**
     * A Hessian product ({@code --curvature hessian}): by central differences (float32, CUDA) two gradients, by the
     * R-operator (float64 CPU) about one and a half; counted as two, an upper bound (the first layer's cached
     * pre-activation makes either cheaper on a wide input, see {@code HessianVectorProduct}).
     */
    public static final double HESSIAN_PRODUCT = 2.0;

    private Passes() {
    }
}
