package io.ravine.export;

import io.ravine.backend.LossKind;
import java.util.Locale;

/**
 * How far another runtime's outputs are from Ravine's on the same raw inputs.
 *
 * <ul>
 *   <li>{@code outputs} (bounded): the last layer's outputs (logits, or mse's predictions) as one matrix, relative in
 *       the max norm: max |z − z_R| / max |z_R| over every output of every example. Float32 rounding is relative to
 *       the size of the terms summed, not to the result: a logit near 0 (an example on the decision boundary of a
 *       one-output model) is the small difference of large terms, and its own relative error says nothing.</li>
 *   <li>{@code worstExample} (reported): the same per example, relative to that example's largest |output|, the
 *       largest over examples; meaningful for multi-class rows, degenerate for one output near 0.</li>
 *   <li>{@code probabilities} (bounded; classifiers): per example, the predicted distribution's relative error in the
 *       max norm, the largest over examples: max_j |p_j − p_Rj| / max_j p_Rj for softmax; for logistic outputs, each
 *       output is its own distribution (p, 1 − p), so |p − p_R| / max(p_R, 1 − p_R).</li>
 *   <li>{@code elementwise} (reported): max |p − p_R| / p_R. For a probability of 1e-26 that is the absolute error
 *       of its logit (∂ log p/∂z ≈ 1 there), which says nothing about the prediction.</li>
 *   <li>{@code agreeing}: predicted classes (argmax; for one logistic output, p ≥ 0.5) that agree, and each side's
 *       accuracy against the labels.</li>
 * </ul>
 */
record Agreement(double outputs, double worstExample, double probabilities, double elementwise, int agreeing, int n,
        double ravineAccuracy, double otherAccuracy) {

    /**
     * {@code other} against {@code ravine} (both [n, k] outputs of the last layer); {@code otherProbabilities} the
     * runtime's own probabilities, or null to take them from its outputs in double.
     */
    static Agreement of(LossKind loss, float[] ravine, float[] other, float[] otherProbabilities, int n, int k,
            int[] labels) {
        double maxDiff = 0;
        double maxAbs = 0;
        double worst = 0;
        for (int i = 0; i < n; i++) {
            double scale = 0;
            double diff = 0;
            for (int j = 0; j < k; j++) {
                scale = Math.max(scale, Math.abs(ravine[i * k + j]));
                diff = Math.max(diff, Math.abs((double) other[i * k + j] - ravine[i * k + j]));
            }
            worst = Math.max(worst, scale > 0 ? diff / scale : diff);
            maxDiff = Math.max(maxDiff, diff);
            maxAbs = Math.max(maxAbs, scale);
        }
        double outputs = maxAbs > 0 ? maxDiff / maxAbs : maxDiff;
        if (loss == LossKind.MSE) {
            return new Agreement(outputs, worst, Double.NaN, Double.NaN, n, n, Double.NaN, Double.NaN);
        }
        double[] pr = probabilities(loss, ravine, n, k);
        double[] po = otherProbabilities != null ? toDouble(otherProbabilities) : probabilities(loss, other, n, k);
        double probs = 0;
        double elementwise = 0;
        for (int i = 0; i < n; i++) {
            double scale = 0;
            double diff = 0;
            for (int j = 0; j < k; j++) {
                double p = pr[i * k + j];
                double d = Math.abs(po[i * k + j] - p);
                elementwise = Math.max(elementwise, d / p);
                if (loss == LossKind.SOFTMAX_CE) {
                    scale = Math.max(scale, p);
                    diff = Math.max(diff, d);
                } else {
                    probs = Math.max(probs, d / Math.max(p, 1 - p));
                }
            }
            if (loss == LossKind.SOFTMAX_CE) {
                probs = Math.max(probs, diff / scale);
            }
        }
        int agreeing = 0;
        int rightR = 0;
        int rightO = 0;
        for (int i = 0; i < n; i++) {
            int cr = predicted(pr, i, k);
            int co = predicted(po, i, k);
            agreeing += cr == co ? 1 : 0;
            rightR += cr == labels[i] ? 1 : 0;
            rightO += co == labels[i] ? 1 : 0;
        }
        return new Agreement(outputs, worst, probs, elementwise, agreeing, n, (double) rightR / n,
                (double) rightO / n);
    }

    /** Softmax or sigmoid of float32 outputs, in double. */
    static double[] probabilities(LossKind loss, float[] z, int n, int k) {
        double[] p = new double[n * k];
        for (int i = 0; i < n; i++) {
            if (loss == LossKind.SOFTMAX_CE) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < k; j++) {
                    max = Math.max(max, z[i * k + j]);
                }
                double sum = 0;
                for (int j = 0; j < k; j++) {
                    p[i * k + j] = Math.exp(z[i * k + j] - max);
                    sum += p[i * k + j];
                }
                for (int j = 0; j < k; j++) {
                    p[i * k + j] /= sum;
                }
            } else {
                for (int j = 0; j < k; j++) {
                    p[i * k + j] = 1 / (1 + Math.exp(-(double) z[i * k + j]));
                }
            }
        }
        return p;
    }

    private static int predicted(double[] p, int i, int k) {
        if (k == 1) {
            return p[i] >= 0.5 ? 1 : 0;
        }
        int best = 0;
        for (int j = 1; j < k; j++) {
            best = p[i * k + j] > p[i * k + best] ? j : best;
        }
        return best;
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    @Override
    public String toString() {
        String out = String.format(Locale.ROOT, "%s max rel %.2e (worst example %.2e)",
                Double.isNaN(probabilities) ? "outputs" : "logits", outputs, worstExample);
        return Double.isNaN(probabilities) ? out
                : out + String.format(Locale.ROOT, ", probabilities max rel %.2e (elementwise %.2e), classes agree"
                        + " %d/%d, accuracy %.4f (Ravine) vs %.4f", probabilities, elementwise, agreeing, n,
                        ravineAccuracy, otherAccuracy);
    }
}
