package io.ravine.optim;

import io.ravine.backend.Tensor;

/**
 * A symmetric curvature matrix B at a fixed θ, given only as products v ↦ Bv (the matrix is never formed): the
 * Gauss-Newton matrix G = JᵀH_L J or the Hessian H of the mean loss over a curvature mini-batch, as
 * {@link NewtonCg} uses it.
 */
@FunctionalInterface
public interface CurvatureOperator {

    /**
     * out ← B v; θ is left as it was.
     *
     * @param v the direction
     * @param out the product, v's length (not v)
     */
    void apply(Tensor v, Tensor out);
}
