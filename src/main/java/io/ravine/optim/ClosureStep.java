package io.ravine.optim;

import io.ravine.backend.RefusedUpdate;

/**
 * What one step of a closure-based optimizer did.
 *
 * @param loss J(θ) at the start of the step (torch.optim.LBFGS's return value, the {@code orig_loss})
 * @param gradientNorm ‖∇J(θ)‖ at the start of the step
 * @param refused null, or why θ was put back to its value at the start of the step because a loss, gradient or
 *     θ met on the way was not finite (the trainer's guard: no NaN reaches θ); a refused step stops a run as a
 *     refused fused update does
 * @param evaluations gradient evaluations (closure calls) in the step
 */
public record ClosureStep(double loss, double gradientNorm, RefusedUpdate refused, int evaluations) {
}
