package io.ravine.backend;

/**
 * The scalars of one optimizer step, computed on the host (learning rate from the schedule, bias corrections from
 * the step count, clipping factor from the gradient norm) and handed to the fused update.
 *
 * @param lr learning rate α at this step
 * @param momentum μ (momentum, Nesterov)
 * @param beta1 β₁ (Adam, AdamW)
 * @param beta2 β₂ (Adam, AdamW)
 * @param eps ε (RMSprop, Adam, AdamW)
 * @param gamma γ, RMSprop's averaging weight of the new squared gradient
 * @param weightDecay λ: coupled L2 for every rule but AdamW, decoupled for AdamW
 * @param clipNorm global-norm clipping threshold c (0 = off): the backend scales the raw gradient by
 *     s = min(1, c / (‖∇‖ + 1e-6)) before the update, as PyTorch's {@code clip_grad_norm_} does; computing s inside
 *     the step keeps it on the device (no host round trip, capturable in a CUDA graph)
 * @param biasCorrection1 c₁ = 1 − β₁ᵗ
 * @param biasCorrection2 c₂ = 1 − β₂ᵗ
 * @param step t, the number of this update (1, 2, …): where the backend refuses a non-finite update it records
 *     this number ({@link Backend#refusedUpdate()})
 */
public record StepParams(
        double lr,
        double momentum,
        double beta1,
        double beta2,
        double eps,
        double gamma,
        double weightDecay,
        double clipNorm,
        double biasCorrection1,
        double biasCorrection2,
        long step) {

    /**
     * The clipping factor s for a gradient of squared norm {@code gradSumOfSquares}.
     *
     * @param gradSumOfSquares ‖∇‖²
     * @return s = min(1, c / (‖∇‖ + 1e-6)), or 1 without clipping
     */
    public double clipScale(double gradSumOfSquares) {
        if (clipNorm <= 0) {
            return 1.0;
        }
        return Math.min(1.0, clipNorm / (Math.sqrt(gradSumOfSquares) + 1e-6));
    }
}
