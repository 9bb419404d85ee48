package io.ravine.nn;

import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;

/**
 * The Hessian of each loss in its scores z (with its output nonlinearity) times a vector, row by row, on the host in
 * float64: MSE I; logistic-ce diag(σ(z)(1 − σ(z))); softmax-ce diag(p) − ppᵀ with p = softmax(z). The one definition
 * the exact R-operator (diagnose) and the Gauss-Newton products (Newton-CG) both multiply by.
 */
public final class LossHessian {
    private LossHessian() {
    }

    /**
     * out ← scale · (∂²ℓ/∂z²) v for {@code rows} rows of {@code k} scores each.
     *
     * @param loss the loss
     * @param scores z, row-major
     * @param v the vector, row-major like z
     * @param out the product (may not alias the inputs)
     * @param rows the rows
     * @param k the scores per row
     * @param scale the factor (1/N for a mean loss)
     * @param scratch at least {@code k} doubles
     */
    public static void times(LossKind loss, double[] scores, double[] v, double[] out, int rows, int k, double scale,
            double[] scratch) {
        int len = rows * k;
        switch (loss) {
            case MSE -> {
                for (int i = 0; i < len; i++) {
                    out[i] = scale * v[i];
                }
            }
            case LOGISTIC_CE -> {
                for (int i = 0; i < len; i++) {
                    double p = Activation.LOGISTIC.apply(scores[i]);
                    out[i] = scale * p * (1.0 - p) * v[i];
                }
            }
            case SOFTMAX_CE -> {
                for (int r = 0; r < rows; r++) {
                    int base = r * k;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < k; j++) {
                        max = Math.max(max, scores[base + j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < k; j++) {
                        scratch[j] = Math.exp(scores[base + j] - max);
                        sum += scratch[j];
                    }
                    double pDotV = 0;
                    for (int j = 0; j < k; j++) {
                        scratch[j] /= sum;
                        pDotV += scratch[j] * v[base + j];
                    }
                    for (int j = 0; j < k; j++) {
                        out[base + j] = scale * scratch[j] * (v[base + j] - pDotV);
                    }
                }
            }
        }
    }
}
