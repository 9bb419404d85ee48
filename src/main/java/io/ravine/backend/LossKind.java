package io.ravine.backend;

/**
 * Losses, each fused with the output nonlinearity it belongs to. The network's last layer is linear and produces
 * scores z; the loss of one example is:
 * <ul>
 *   <li>{@link #SOFTMAX_CE}: target t is a class index; ℓ = log Σ_k e^{z_k} − z_t; ∂ℓ/∂z = softmax(z) − onehot(t).</li>
 *   <li>{@link #LOGISTIC_CE}: targets t_k ∈ [0, 1] per output; ℓ = Σ_k log(1 + e^{z_k}) − t_k z_k;
 *       ∂ℓ/∂z_k = σ(z_k) − t_k.</li>
 *   <li>{@link #MSE}: real targets; ℓ = ½‖z − t‖²; ∂ℓ/∂z = z − t.</li>
 * </ul>
 * The cost is the mean of ℓ over the examples of a batch. The ordinal is the code the CUDA kernels switch on.
 */
public enum LossKind {
    /** Softmax cross-entropy over K ≥ 2 classes; targets are class indices. */
    SOFTMAX_CE,
    /** Logistic (sigmoid) cross-entropy per output; one output for two classes, one-hot targets for more. */
    LOGISTIC_CE,
    /** Half the squared error; real targets, or one-hot for class data. */
    MSE;

    /**
     * True where the target of an example is one class index (stored as a float in a [B, 1] tensor).
     *
     * @return whether targets are class indices
     */
    public boolean classIndexTarget() {
        return this == SOFTMAX_CE;
    }

    /**
     * True where the outputs are class scores, so accuracy is defined.
     *
     * @return whether this is a classification loss
     */
    public boolean classification() {
        return this != MSE;
    }

    /**
     * The name in settings, config.json and checkpoints' {@code architecture}.
     *
     * @return {@code softmax-ce}, {@code logistic-ce} or {@code mse}
     */
    public String cliName() {
        return switch (this) {
            case SOFTMAX_CE -> "softmax-ce";
            case LOGISTIC_CE -> "logistic-ce";
            case MSE -> "mse";
        };
    }

    /**
     * The loss a name names, ignoring case.
     *
     * @param name {@code softmax-ce}, {@code logistic-ce} or {@code mse}
     * @return the loss
     * @throws IllegalArgumentException for an unknown name
     */
    public static LossKind parse(String name) {
        for (LossKind k : values()) {
            if (k.cliName().equalsIgnoreCase(name.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown loss '" + name + "' (expected softmax-ce, logistic-ce or mse)");
    }
}
