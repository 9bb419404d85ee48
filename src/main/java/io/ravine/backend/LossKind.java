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
    SOFTMAX_CE,
    LOGISTIC_CE,
    MSE;

    /** True where the target of an example is one class index (stored as a float in a [B, 1] tensor). */
    public boolean classIndexTarget() {
        return this == SOFTMAX_CE;
    }

    /** True where the outputs are class scores, so accuracy is defined. */
    public boolean classification() {
        return this != MSE;
    }

    public String cliName() {
        return switch (this) {
            case SOFTMAX_CE -> "softmax-ce";
            case LOGISTIC_CE -> "logistic-ce";
            case MSE -> "mse";
        };
    }

    public static LossKind parse(String name) {
        for (LossKind k : values()) {
            if (k.cliName().equalsIgnoreCase(name.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown loss '" + name + "' (expected softmax-ce, logistic-ce or mse)");
    }
}
