package io.ravine.backend;

/**
 * An optimizer update the backend refused to apply because what it would have applied was not finite: the guard of
 * {@link Backend#optimizerStep} found a NaN or an infinity in the training loss or in the gradient. θ, the optimizer
 * state and the iterate average keep the values they had before that update.
 *
 * @param step the number t of the refused update (the first one; later updates are refused too until
 *     {@link Backend#clearRefusedUpdate()})
 * @param cause which quantity was not finite (the loss when both were, since it comes first)
 */
public record RefusedUpdate(long step, Cause cause) {
    /** What was not finite. Codes are shared with the CUDA kernels (ordinal + 1; 0 means none). */
    public enum Cause {
        /** A per-example training loss of the mini-batch (the forward pass overflowed or produced NaN). */
        LOSS,
        /** The gradient ∇ (so Σ∇² is NaN or infinite). */
        GRADIENT;

        /**
         * The cause with the kernels' code {@code code} (1 or 2).
         *
         * @param code the kernels' code
         * @return the cause
         */
        public static Cause ofCode(int code) {
            return values()[code - 1];
        }
    }

    /**
     * "the training loss" or "the gradient", for messages.
     *
     * @return the quantity in words
     */
    public String what() {
        return cause == Cause.LOSS ? "the training loss" : "the gradient";
    }
}
