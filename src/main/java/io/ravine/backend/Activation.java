package io.ravine.backend;

/**
 * Elementwise nonlinearities. Each derivative is written in terms of the activation's output y = φ(z), so the
 * backward pass needs only the stored outputs (as in the lectures' backprop: h = φ(z), ∂h/∂z from h).
 * The ordinal is the code the CUDA kernels switch on: do not reorder.
 */
public enum Activation {
    /** φ(z) = z. */
    IDENTITY {
        @Override public double apply(double z) { return z; }
        @Override public double derivativeFromOutput(double y) { return 1.0; }
    },
    /** φ(z) = 1 / (1 + e^{−z}); φ' = y(1 − y). */
    LOGISTIC {
        @Override public double apply(double z) {
            // Two branches keep exp() from overflowing for large |z|.
            if (z >= 0) {
                return 1.0 / (1.0 + Math.exp(-z));
            }
            double e = Math.exp(z);
            return e / (1.0 + e);
        }
        @Override public double derivativeFromOutput(double y) { return y * (1.0 - y); }
    },
    /** φ(z) = tanh z; φ' = 1 − y². */
    TANH {
        @Override public double apply(double z) { return Math.tanh(z); }
        @Override public double derivativeFromOutput(double y) { return 1.0 - y * y; }
    },
    /** φ(z) = max(0, z); φ' = 1 where y &gt; 0, else 0. NaN stays NaN, as in PyTorch and the float32 kernels. */
    RELU {
        @Override public double apply(double z) { return Math.max(z, 0.0); }
        @Override public double derivativeFromOutput(double y) { return y > 0 ? 1.0 : 0.0; }
    };

    /**
     * φ(z), in double.
     *
     * @param z the pre-activation
     * @return φ(z)
     */
    public abstract double apply(double z);

    /**
     * φ'(z) written in terms of the output y = φ(z).
     *
     * @param y the activation's output
     * @return φ' at the z that gave y
     */
    public abstract double derivativeFromOutput(double y);

    /**
     * The output range's lower end, for saturation diagnostics; −∞ where the unit cannot saturate there.
     *
     * @return the infimum of φ
     */
    public double lowerEnd() {
        return switch (this) {
            case LOGISTIC, RELU -> 0.0;
            case TANH -> -1.0;
            case IDENTITY -> Double.NEGATIVE_INFINITY;
        };
    }

    /**
     * The output range's upper end; +∞ where the unit cannot saturate there.
     *
     * @return the supremum of φ
     */
    public double upperEnd() {
        return switch (this) {
            case LOGISTIC, TANH -> 1.0;
            case RELU, IDENTITY -> Double.POSITIVE_INFINITY;
        };
    }

    /**
     * Parses a name such as {@code relu} or {@code logistic} (also {@code sigmoid}), ignoring case.
     *
     * @param name the name
     * @return the activation
     * @throws IllegalArgumentException for an unknown name
     */
    public static Activation parse(String name) {
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        return switch (n) {
            case "identity", "linear", "none" -> IDENTITY;
            case "logistic", "sigmoid" -> LOGISTIC;
            case "tanh" -> TANH;
            case "relu" -> RELU;
            default -> throw new IllegalArgumentException(
                    "unknown activation '" + name + "' (expected identity, logistic, tanh or relu)");
        };
    }
}
