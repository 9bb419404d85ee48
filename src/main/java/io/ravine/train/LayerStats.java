package io.ravine.train;

import io.ravine.io.EventFile;
import io.ravine.nn.Mlp;
import java.util.ArrayList;
import java.util.List;

/**
 * Each parameter tensor's statistics at one step, computed once on the host from θ, the step's gradient and θ
 * before the step's update, for both of their writers: {@code layers.csv} ({@link LayerLog}) and the TensorBoard
 * histograms and update ratios ({@link TensorBoardLog}). Backend-agnostic: the arrays are what {@link
 * io.ravine.nn.Model#parameters()} and {@code Backend.toFloatArray(gradient)} copy back (from a GPU only at the steps
 * that ask for them), so the CPU and CUDA runs share every line of it. Sums are in double, in index order: the same
 * θ gives the same bits on any backend and thread count.
 */
final class LayerStats {
    /** Buckets per histogram, as TensorFlow 2's {@code tf.summary.histogram}. */
    static final int BUCKETS = LayerLog.HISTOGRAM_BUCKETS;

    private LayerStats() {
    }

    /**
     * One parameter tensor of the model: its layer, its checkpoint name ({@code layers.K.weight}, {@code
     * layers.K.bias}, or under batch normalization {@code norms.K.weight} for γ and {@code norms.K.bias} for β), its
     * kind (weight, bias, gamma, beta) and where it lies in θ.
     */
    record Tensor(int layer, String name, String kind, int offset, int count) {
    }

    /** The model's parameter tensors, layer by layer: weight, then bias (or γ and β). */
    static List<Tensor> tensors(Mlp mlp) {
        List<Tensor> out = new ArrayList<>();
        for (int k = 0; k < mlp.layerCount(); k++) {
            out.add(new Tensor(k, "layers." + k + ".weight", "weight", mlp.weightOffset(k),
                    mlp.fanIn(k) * mlp.fanOut(k)));
            if (mlp.hasBatchNorm(k)) {
                out.add(new Tensor(k, Checkpoint.normKey(k, "weight"), "gamma", mlp.gammaOffset(k), mlp.fanOut(k)));
                out.add(new Tensor(k, Checkpoint.normKey(k, "bias"), "beta", mlp.betaOffset(k), mlp.fanOut(k)));
            } else {
                out.add(new Tensor(k, "layers." + k + ".bias", "bias", mlp.biasOffset(k), mlp.fanOut(k)));
            }
        }
        return out;
    }

    /**
     * The values of one tensor: minimum, maximum, mean, standard deviation (population: over its n values),
     * Euclidean norm, and the histogram in {@link #BUCKETS} equal-width buckets from the minimum to the maximum
     * ({@code buckets}; where all values are equal, every one is in bucket 0). {@code histogram} is TensorBoard's
     * form of the same counts. A tensor holding NaN or ±∞ has all of these NaN and no histogram (null).
     */
    record Summary(double min, double max, double mean, double std, double norm, long[] buckets,
            EventFile.Histogram histogram) {
        static Summary of(float[] v, int from, int count) {
            EventFile.Histogram h = EventFile.Histogram.of(v, from, count, BUCKETS);
            if (h == null) {
                return new Summary(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, null, null);
            }
            double mean = h.sum() / count;
            double squares = 0;
            for (int i = from; i < from + count; i++) {
                double d = v[i] - mean;
                squares += d * d;
            }
            long[] buckets = new long[BUCKETS];
            if (h.buckets().length == 1) {
                buckets[0] = count;
            } else {
                for (int k = 0; k < BUCKETS; k++) {
                    buckets[k] = (long) h.buckets()[k];
                }
            }
            return new Summary(h.min(), h.max(), mean, Math.sqrt(squares / count), Math.sqrt(h.sumSquares()),
                    buckets, h);
        }
    }

    /**
     * One tensor at one step: its values, its gradient's (null where no gradient was given: θ₀), the update ratio
     * ‖θₜ − θₜ₋₁‖ / ‖θₜ₋₁‖ over the tensor and over its whole layer (all of the layer's tensors together, as
     * TensorBoard's {@code update_ratio/layers.K}); NaN where θₜ₋₁ was not given or its norm is 0.
     */
    record TensorStats(Tensor tensor, Summary values, Summary gradient, double updateRatio,
            double layerUpdateRatio) {
    }

    /**
     * Every tensor's statistics.
     *
     * @param theta θ after the step's update
     * @param gradient the step's gradient, or null (θ₀: no step yet)
     * @param previous θ before the step's update, or null (no update ratios)
     */
    static List<TensorStats> of(Mlp mlp, float[] theta, float[] gradient, float[] previous) {
        List<Tensor> tensors = tensors(mlp);
        double[] ratios = new double[tensors.size()];
        double[] layerRatios = new double[tensors.size()];
        java.util.Arrays.fill(ratios, Double.NaN);
        java.util.Arrays.fill(layerRatios, Double.NaN);
        if (previous != null) {
            int first = 0;
            while (first < tensors.size()) {
                int layer = tensors.get(first).layer();
                int end = first;
                // Running sums over the layer's tensors in order (TensorBoard's ratio), and each tensor's own.
                double layerChange = 0;
                double layerNorm = 0;
                for (; end < tensors.size() && tensors.get(end).layer() == layer; end++) {
                    Tensor t = tensors.get(end);
                    double change = 0;
                    double norm = 0;
                    for (int i = t.offset(); i < t.offset() + t.count(); i++) {
                        double d = (double) theta[i] - previous[i];
                        double p = (double) previous[i] * previous[i];
                        change += d * d;
                        norm += p;
                        layerChange += d * d;
                        layerNorm += p;
                    }
                    ratios[end] = ratio(change, norm);
                }
                double layerRatio = ratio(layerChange, layerNorm);
                for (int j = first; j < end; j++) {
                    layerRatios[j] = layerRatio;
                }
                first = end;
            }
        }
        List<TensorStats> out = new ArrayList<>(tensors.size());
        for (int j = 0; j < tensors.size(); j++) {
            Tensor t = tensors.get(j);
            out.add(new TensorStats(t, Summary.of(theta, t.offset(), t.count()),
                    gradient == null ? null : Summary.of(gradient, t.offset(), t.count()), ratios[j],
                    layerRatios[j]));
        }
        return out;
    }

    /** √change / √norm; NaN where it is not finite (θₜ₋₁ = 0: no relative size). */
    private static double ratio(double change, double norm) {
        double r = Math.sqrt(change) / Math.sqrt(norm);
        return Double.isFinite(r) ? r : Double.NaN;
    }
}
