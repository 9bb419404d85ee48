package io.ravine.diagnose;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.data.Dataset;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import java.util.ArrayList;
import java.util.List;

/**
 * Activation statistics of every hidden layer over a subset of examples (Grosse, lecture 8 §4.7: "look at a
 * histogram of the average activations, and make sure they're not concentrated at the endpoints").
 *
 * <ul>
 *   <li>Histogram of all activations of a layer over the subset, {@link #BINS} equal bins over the activation's
 *       range: [0, 1] for the logistic, [−1, 1] for tanh, [0, max] for ReLU and [min, max] for the identity, the
 *       extremes taken over the subset and rounded outwards to m × 10ⁿ with m in 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 (round bin edges).</li>
 *   <li>Histogram of the per-unit mean activations, on the same bins.</li>
 *   <li>Dead fraction (ReLU layers): units whose output is 0 on every example of the subset. Their incoming
 *       weights get exactly zero gradient from this data, so nothing revives them.</li>
 *   <li>Saturated fraction (logistic and tanh layers): units whose output is within {@link #SATURATION_MARGIN} of
 *       the range's width from either end on at least {@link #SATURATED_EXAMPLE_SHARE} of the examples. At that
 *       margin φ'(z) is below 10% of its maximum (logistic: y ≤ 0.025 gives φ' ≤ 0.0244 against 0.25; tanh:
 *       |y| ≥ 0.95 gives φ' ≤ 0.0975 against 1), so backprop through the unit is damped tenfold.</li>
 * </ul>
 * Two forward passes over the subset (the first finds the ReLU range, the second fills the histograms).
 */
public final class UnitStatistics {
    /** Bins of every histogram. */
    public static final int BINS = 50;
    /** Distance from a range end, as a fraction of the range's width, that counts as saturated. */
    public static final double SATURATION_MARGIN = 0.025;
    /** Share of the examples on which a unit must be saturated to count as a saturated unit. */
    public static final double SATURATED_EXAMPLE_SHARE = 0.95;

    private static final double[] ROUND_MANTISSAS = {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};

    private UnitStatistics() {
    }

    /** {@code counts[i]} values fell in [edges[i], edges[i + 1]) (the last bin includes its right edge). */
    public record Histogram(double[] edges, long[] counts) {
    }

    /**
     * Statistics of one hidden layer.
     *
     * @param layer the layer index k (its outputs a_k)
     * @param activation the layer's nonlinearity
     * @param units the layer's width
     * @param deadUnits ReLU units never active on the subset (0 for other activations)
     * @param deadFraction deadUnits / units for ReLU layers, null otherwise
     * @param saturatedUnits logistic/tanh units saturated on ≥ 95% of the examples (0 for other activations)
     * @param saturatedFraction saturatedUnits / units for logistic/tanh layers, null otherwise
     * @param histogram all activations of the layer over the subset
     * @param meanActivationHistogram the per-unit means over the subset (units with a non-finite output left out)
     * @param nonFiniteActivations outputs of the layer over the subset that are NaN or ±Inf (θ blew up or holds
     *     NaN); they are left out of the histograms, and where there are any, dead and saturated units are not
     *     counted (deadFraction and saturatedFraction null): a unit whose output is not a number is neither
     */
    public record Layer(int layer, Activation activation, int units, int deadUnits, Double deadFraction,
            int saturatedUnits, Double saturatedFraction, Histogram histogram, Histogram meanActivationHistogram,
            long nonFiniteActivations) {
    }

    /** Statistics of every hidden layer of {@code model} at its current θ over {@code subset}. */
    public static List<Layer> measure(Model model, Dataset subset, int capacity) {
        Mlp mlp = model.mlp();
        Backend b = model.backend();
        int hidden = mlp.layerCount() - 1;
        int cap = Math.max(1, Math.min(capacity, subset.n()));
        Model.Workspace ws = model.workspace(cap);
        int n = subset.n();
        long[][] active = new long[hidden][];
        long[][] saturated = new long[hidden][];
        long[][] nonFinite = new long[hidden][];
        long[] layerNonFinite = new long[hidden];
        double[][] sums = new double[hidden][];
        double[] min = new double[hidden];
        double[] max = new double[hidden];
        for (int k = 0; k < hidden; k++) {
            active[k] = new long[mlp.fanOut(k)];
            saturated[k] = new long[mlp.fanOut(k)];
            nonFinite[k] = new long[mlp.fanOut(k)];
            sums[k] = new double[mlp.fanOut(k)];
            min[k] = Double.POSITIVE_INFINITY;
            max[k] = Double.NEGATIVE_INFINITY;
        }
        float[] host = new float[cap * maxWidth(mlp, hidden)];
        // Pass 1: per-unit counts and sums, per-layer extremes.
        for (int start = 0; start < n; start += cap) {
            int rows = forward(model, ws, subset, start, cap);
            for (int k = 0; k < hidden; k++) {
                int w = mlp.fanOut(k);
                Activation act = mlp.activation(k);
                double lowCut = act.lowerEnd() + SATURATION_MARGIN * (act.upperEnd() - act.lowerEnd());
                double highCut = act.upperEnd() - SATURATION_MARGIN * (act.upperEnd() - act.lowerEnd());
                b.copyToHost(ws.activation(k).firstRows(rows), host, 0);
                for (int r = 0; r < rows; r++) {
                    for (int u = 0; u < w; u++) {
                        double y = host[r * w + u];
                        if (!Double.isFinite(y)) {
                            nonFinite[k][u]++;
                            layerNonFinite[k]++;
                            continue;
                        }
                        sums[k][u] += y;
                        if (y > 0) {
                            active[k][u]++;
                        }
                        if (y <= lowCut || y >= highCut) {
                            saturated[k][u]++;
                        }
                        min[k] = Math.min(min[k], y);
                        max[k] = Math.max(max[k], y);
                    }
                }
            }
        }
        double[][] ranges = new double[hidden][];
        long[][] counts = new long[hidden][BINS];
        for (int k = 0; k < hidden; k++) {
            ranges[k] = range(mlp.activation(k), min[k], max[k]);
        }
        // Pass 2: the histograms of all activations, on ranges now known.
        for (int start = 0; start < n; start += cap) {
            int rows = forward(model, ws, subset, start, cap);
            for (int k = 0; k < hidden; k++) {
                int w = mlp.fanOut(k);
                b.copyToHost(ws.activation(k).firstRows(rows), host, 0);
                for (int i = 0, m = rows * w; i < m; i++) {
                    if (Float.isFinite(host[i])) {
                        counts[k][bin(host[i], ranges[k])]++;
                    }
                }
            }
        }
        List<Layer> out = new ArrayList<>();
        for (int k = 0; k < hidden; k++) {
            Activation act = mlp.activation(k);
            int w = mlp.fanOut(k);
            long[] meanCounts = new long[BINS];
            int dead = 0;
            int sat = 0;
            for (int u = 0; u < w; u++) {
                if (nonFinite[k][u] > 0) {
                    continue;
                }
                meanCounts[bin(sums[k][u] / n, ranges[k])]++;
                if (active[k][u] == 0) {
                    dead++;
                }
                if (saturated[k][u] >= SATURATED_EXAMPLE_SHARE * n) {
                    sat++;
                }
            }
            boolean measured = layerNonFinite[k] == 0;
            boolean relu = act == Activation.RELU && measured;
            boolean squashing = (act == Activation.LOGISTIC || act == Activation.TANH) && measured;
            double[] edges = edges(ranges[k]);
            out.add(new Layer(k, act, w, relu ? dead : 0, relu ? (double) dead / w : null,
                    squashing ? sat : 0, squashing ? (double) sat / w : null,
                    new Histogram(edges, counts[k]), new Histogram(edges.clone(), meanCounts), layerNonFinite[k]));
        }
        return out;
    }

    private static int maxWidth(Mlp mlp, int hidden) {
        int w = 1;
        for (int k = 0; k < hidden; k++) {
            w = Math.max(w, mlp.fanOut(k));
        }
        return w;
    }

    private static int forward(Model model, Model.Workspace ws, Dataset subset, int start, int cap) {
        Backend b = model.backend();
        int rows = Math.min(cap, subset.n() - start);
        b.copyFromHost(subset.features(), start * subset.featureDim(), ws.input().firstRows(rows));
        model.forward(ws, rows);
        return rows;
    }

    /** The histogram range: the activation's own where finite, the subset's extremes where not. */
    private static double[] range(Activation act, double min, double max) {
        double lo = Double.isFinite(act.lowerEnd()) ? act.lowerEnd() : roundOutward(min, false);
        double hi = Double.isFinite(act.upperEnd()) ? act.upperEnd() : roundOutward(max, true);
        if (!Double.isFinite(lo)) {
            // No finite value at all (every output NaN/Inf): any range will do, the histogram is empty.
            lo = 0;
        }
        if (!(hi > lo) || !Double.isFinite(hi)) {
            // All values equal (e.g. an all-dead ReLU layer): a unit-wide range keeps the bins well defined.
            hi = lo + 1.0;
        }
        return new double[] {lo, hi};
    }

    /** v rounded towards −∞ (down) or +∞ (up) to the nearest m × 10ⁿ with m ∈ {1, 2, 2.5, 5}; 0 stays 0. */
    static double roundOutward(double v, boolean up) {
        if (v == 0 || !Double.isFinite(v)) {
            return v;
        }
        // Rounding up a positive value (or down a negative one) grows |v|; the other way shrinks it.
        boolean grow = up == (v > 0);
        double a = Math.abs(v);
        double p = Math.pow(10, Math.floor(Math.log10(a)));
        double r = grow ? 10 * p : p;
        for (double m : ROUND_MANTISSAS) {
            if (grow && m * p >= a) {
                r = m * p;
                break;
            }
            if (!grow && m * p <= a) {
                r = m * p;
            }
        }
        return Math.copySign(r, v);
    }

    private static int bin(double v, double[] range) {
        int i = (int) Math.floor((v - range[0]) / (range[1] - range[0]) * BINS);
        return Math.max(0, Math.min(BINS - 1, i));
    }

    private static double[] edges(double[] range) {
        double[] e = new double[BINS + 1];
        for (int i = 0; i <= BINS; i++) {
            e[i] = range[0] + (range[1] - range[0]) * i / BINS;
        }
        return e;
    }
}
