package io.ravine.export;

/**
 * Folds the input normalization x̂ = (x − μ) / σ into the first linear layer, so that the layer takes raw x:
 * <pre>
 *   W x̂ + b = W diag(1/σ) (x − μ) + b = W' x + b',   W' = W diag(1/σ),   b' = b − W' μ
 * </pre>
 * Exact in real arithmetic. In floating point: each W'ᵢⱼ = Wᵢⱼ / σⱼ is computed in double and rounded once to
 * float32, and b' is then computed in double from the <em>rounded</em> W' and rounded once:
 * b'ᵢ = fl(bᵢ − Σⱼ fl(W'ᵢⱼ) μⱼ). Using the rounded W' makes the weights' rounding errors δᵢⱼ cancel at the mean:
 * the folded layer's error is Σⱼ δᵢⱼ (xⱼ − μⱼ) plus the rounding of b', rather than Σⱼ δᵢⱼ xⱼ, which matters when
 * |μⱼ| is large next to σⱼ (then W'x and W'μ nearly cancel). The bound, with u = 2⁻²⁴ (float32's unit roundoff):
 * <pre>
 *   |W'x + b' − (W x̂ + b)|  ≤  u · (Σⱼ |W'ᵢⱼ| |xⱼ − μⱼ| + |b'ᵢ|)   (+ the double arithmetic's, 2⁻⁵³-sized terms)
 * </pre>
 * (FoldingTest checks it); a float32 evaluation of the folded layer adds its own summation error as any layer does.
 */
public final class Folding {
    private Folding() {
    }

    /** A folded layer: weight [out, in] row-major and bias [out]. */
    public record Layer(float[] weight, float[] bias) {
    }

    /** The exact fold in double (the reference the float32 fold is checked against). */
    public record ExactLayer(double[] weight, double[] bias) {
    }

    /**
     * W' and b' in float32 for a layer of {@code out} rows and {@code in} columns, as the class comment says.
     *
     * @throws ArithmeticException naming the first entry that overflows float32 (a divisor near
     *     {@link io.ravine.data.Normalizer#MIN_STD} under a large weight)
     */
    public static Layer fold(float[] weight, float[] bias, int out, int in, float[] mean, float[] std) {
        check(weight, bias, out, in, mean, std);
        float[] w = new float[out * in];
        float[] b = new float[out];
        for (int i = 0; i < out; i++) {
            int row = i * in;
            for (int j = 0; j < in; j++) {
                float v = (float) ((double) weight[row + j] / std[j]);
                if (!Float.isFinite(v)) {
                    throw new ArithmeticException("weight [" + i + ", " + j + "] / divisor " + std[j] + " of input "
                            + j + " = " + ((double) weight[row + j] / std[j]) + " overflows float32");
                }
                w[row + j] = v;
            }
            double acc = bias[i];
            for (int j = 0; j < in; j++) {
                acc -= (double) w[row + j] * mean[j];
            }
            b[i] = (float) acc;
            if (!Float.isFinite(b[i])) {
                throw new ArithmeticException("bias " + i + " after folding (" + acc + ") overflows float32");
            }
        }
        return new Layer(w, b);
    }

    /** W' = W diag(1/σ), b' = b − W' μ in double, no rounding to float32. */
    public static ExactLayer foldExact(float[] weight, float[] bias, int out, int in, float[] mean, float[] std) {
        check(weight, bias, out, in, mean, std);
        double[] w = new double[out * in];
        double[] b = new double[out];
        for (int i = 0; i < out; i++) {
            double acc = bias[i];
            for (int j = 0; j < in; j++) {
                w[i * in + j] = (double) weight[i * in + j] / std[j];
                acc -= w[i * in + j] * mean[j];
            }
            b[i] = acc;
        }
        return new ExactLayer(w, b);
    }

    private static void check(float[] weight, float[] bias, int out, int in, float[] mean, float[] std) {
        if (weight.length != out * in || bias.length != out || mean.length != in || std.length != in) {
            throw new IllegalArgumentException("shapes: weight " + weight.length + " (need " + out + "×" + in
                    + "), bias " + bias.length + ", mean " + mean.length + ", std " + std.length);
        }
    }
}
