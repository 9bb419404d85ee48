package io.ravine.study;

import io.ravine.InvalidInputException;

/**
 * The batch size at which the cost of one update turns from flat to linear.
 *
 * <p>The lectures' cartoon (Grosse &amp; Ba, "SGD: batch size"): an update with a small batch costs about the same as
 * one with a batch of 1 (the hardware is not yet saturated), and once the batch saturates the hardware the cost
 * grows linearly with it. We fit the two asymptotes as a two-segment model in log-log space,
 * <pre>
 *   log t(B) = max(α, β + log B),   i.e.   t(B) = max(a, b·B),  a = e^α (flat cost), b = e^β (cost per example),
 * </pre>
 * by least squares on log t (timings are multiplicative: a 10% spread weighs the same at 1 ms and at 1 s). The slope
 * of the linear part is fixed at 1 because cost linear in B is what "saturated" means. The saturation point is where
 * the asymptotes cross, B* = a/b. For a smooth curve t = a + b·B the crossing is the same B* = a/b (there the cost
 * is twice the flat cost), so the rule does not depend on which of the two shapes the hardware shows.
 *
 * <p>Fitting: for each split k of the points sorted by B (the first k on the flat part, the rest on the linear
 * part) α is the mean of log t over the flat points and β the mean of log t − log B over the others; the split whose
 * (α, β) gives the smallest squared error of the max-model wins. Each segment needs two or more points (one point
 * fits any line exactly, so a lone slowest or fastest timing would otherwise make its own segment). When no point is on the flat part the hardware is
 * saturated from the smallest batch measured ({@link Position#BELOW_RANGE}, B* reported as that batch size); when
 * all are, it never saturated within the range ({@link Position#ABOVE_RANGE}, B* reported as the largest).
 */
public final class SaturationPoint {
    /** Where the knee lies relative to the measured batch sizes. */
    public enum Position {
        BELOW_RANGE, WITHIN_RANGE, ABOVE_RANGE;

        public String jsonName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * @param batchSize the saturation point B* = a/b
     * @param flatSeconds a, the cost of an update below saturation (NaN when no point is on the flat part)
     * @param secondsPerExample b, the cost per example above saturation (NaN when no point is on the linear part)
     * @param position where B* lies relative to the measured range
     */
    public record Fit(double batchSize, double flatSeconds, double secondsPerExample, Position position) {
    }

    private SaturationPoint() {
    }

    /** Fits the knee to timings {@code seconds[i]} measured at {@code batchSizes[i]} (any order, all positive). */
    public static Fit fit(double[] batchSizes, double[] seconds) {
        int n = batchSizes.length;
        if (n != seconds.length) {
            throw new IllegalArgumentException(n + " batch sizes, " + seconds.length + " timings");
        }
        if (n < 3) {
            throw new InvalidInputException("the saturation point needs timings at 3 or more batch sizes, got " + n);
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            if (!(batchSizes[i] > 0) || !(seconds[i] > 0) || !Double.isFinite(seconds[i])) {
                throw new IllegalArgumentException("batch sizes and timings must be positive and finite");
            }
            order[i] = i;
        }
        java.util.Arrays.sort(order, (i, j) -> Double.compare(batchSizes[i], batchSizes[j]));
        double[] x = new double[n];
        double[] y = new double[n];
        double smallest = batchSizes[order[0]];
        double largest = batchSizes[order[n - 1]];
        for (int i = 0; i < n; i++) {
            x[i] = Math.log(batchSizes[order[i]]);
            y[i] = Math.log(seconds[order[i]]);
        }
        double bestSse = Double.POSITIVE_INFINITY;
        int bestK = -1;
        double bestAlpha = Double.NaN;
        double bestBeta = Double.NaN;
        for (int k = 0; k <= n; k++) {
            if (k == 1 || k == n - 1) {
                continue; // one point fits any line exactly: it cannot establish a segment
            }
            double alpha = Double.NEGATIVE_INFINITY;
            double beta = Double.NEGATIVE_INFINITY;
            if (k > 0) {
                alpha = 0;
                for (int i = 0; i < k; i++) {
                    alpha += y[i];
                }
                alpha /= k;
            }
            if (k < n) {
                beta = 0;
                for (int i = k; i < n; i++) {
                    beta += y[i] - x[i];
                }
                beta /= n - k;
            }
            double sse = 0;
            for (int i = 0; i < n; i++) {
                double r = y[i] - Math.max(alpha, beta + x[i]);
                sse += r * r;
            }
            if (sse < bestSse) {
                bestSse = sse;
                bestK = k;
                bestAlpha = alpha;
                bestBeta = beta;
            }
        }
        double a = bestK > 0 ? Math.exp(bestAlpha) : Double.NaN;
        double b = bestK < n ? Math.exp(bestBeta) : Double.NaN;
        if (bestK == 0) {
            return new Fit(smallest, a, b, Position.BELOW_RANGE);
        }
        if (bestK == n) {
            return new Fit(largest, a, b, Position.ABOVE_RANGE);
        }
        double knee = a / b;
        Position where = knee < smallest ? Position.BELOW_RANGE
                : knee > largest ? Position.ABOVE_RANGE : Position.WITHIN_RANGE;
        return new Fit(knee, a, b, where);
    }
}
