package io.ravine.optim;

import io.ravine.backend.Tensor;

/**
 * The function a closure-based optimizer ({@link Lbfgs}, {@link NewtonCg}) minimizes, evaluated at the current
 * value of the θ it was given: torch.optim's {@code closure}. The optimizer moves θ in place between calls (trial
 * points) and puts it back where a trial is not kept. Values may be NaN or infinite; the optimizers guard against
 * them.
 */
public interface Objective {

    /**
     * J(θ) and ∇J(θ) at the current θ.
     *
     * @param grad receives ∇J(θ), θ's length
     * @return J(θ)
     */
    double lossAndGradient(Tensor grad);

    /**
     * J(θ) at the current θ, without the gradient (a forward pass; the default computes the gradient too, into
     * {@code scratch}).
     *
     * @param scratch a θ-sized vector the default may overwrite
     * @return J(θ)
     */
    default double loss(Tensor scratch) {
        return lossAndGradient(scratch);
    }
}
