package io.ravine.study;

/**
 * The three regions of a steps-to-target curve S(B) (Shallue et al. 2018, "Measuring the effects of data
 * parallelism on neural network training"): <em>perfect scaling</em>, where doubling the batch halves the steps
 * (S·B constant); <em>diminishing returns</em>; and <em>maximal data parallelism</em>, where a larger batch no longer
 * reduces the steps.
 *
 * <p>The rule: between consecutive measured batch sizes B_i &lt; B_{i+1}, the local scaling exponent is
 * <pre>  s_i = −(log S_{i+1} − log S_i) / (log B_{i+1} − log B_i)</pre>
 * (1 for perfect scaling, 0 for none). A segment scales perfectly when s_i ≥ {@value #PERFECT_EXPONENT} (steps fall
 * by at least 2^0.8 ≈ 1.74 per doubling, against 2 for perfect scaling: room for the noise of a measured step count
 * and the coarse learning-rate grid) and is flat when s_i ≤ {@value #FLAT_EXPONENT} (at most 2^0.2 ≈ 1.15 per
 * doubling). Perfect scaling runs from the smallest batch to the end of the leading run of perfect segments;
 * maximal parallelism from the start of the trailing run of flat segments; diminishing returns is what lies between.
 *
 * <p>For McCandlish et al.'s model S(B) = S_min(1 + B_crit/B) the exponent is 1/(1 + B/B_crit): 0.8 at B_crit/4 and
 * 0.2 at 4·B_crit, so the regions are about a factor of 4 either side of the critical batch size.
 */
public final class ScalingRegions {
    public static final double PERFECT_EXPONENT = 0.8;
    public static final double FLAT_EXPONENT = 0.2;

    /** The region a measured batch size lies in. */
    public enum Region {
        PERFECT_SCALING("perfect scaling"),
        DIMINISHING_RETURNS("diminishing returns"),
        MAXIMAL_PARALLELISM("maximal parallelism");

        private final String label;

        Region(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * @param batchSizes the batch sizes, ascending
     * @param exponents s_i of each segment [B_i, B_{i+1}]
     * @param regions the region of each batch size
     * @param perfectScalingUntil the largest batch size of the perfect-scaling region (NaN when it is empty)
     * @param maximalParallelismFrom the smallest batch size of the maximal-parallelism region (NaN when empty)
     */
    public record Classification(double[] batchSizes, double[] exponents, Region[] regions,
            double perfectScalingUntil, double maximalParallelismFrom) {
    }

    /**
     * McCandlish et al.'s fit S(B) = S_min + S_min·B_crit/B: least squares on S = c₀ + c₁/B with relative residuals
     * (weights 1/S²), so S_min = c₀, B_crit = c₁/c₀ and E_min = c₁ examples.
     *
     * @param criticalBatchSize B_crit (NaN when the fit gives no positive S_min and B_crit)
     * @param minSteps S_min
     * @param minExamples E_min = S_min·B_crit
     */
    public record CriticalBatch(double criticalBatchSize, double minSteps, double minExamples) {
    }

    private ScalingRegions() {
    }

    /** Classifies steps-to-target {@code steps[i]} at batch sizes {@code batchSizes[i]} (ascending, 2 or more). */
    public static Classification classify(double[] batchSizes, double[] steps) {
        int n = batchSizes.length;
        if (n != steps.length) {
            throw new IllegalArgumentException(n + " batch sizes, " + steps.length + " step counts");
        }
        for (int i = 0; i < n; i++) {
            if (!(batchSizes[i] > 0) || !(steps[i] > 0) || (i > 0 && !(batchSizes[i] > batchSizes[i - 1]))) {
                throw new IllegalArgumentException("batch sizes must be ascending and steps positive");
            }
        }
        double[] s = new double[Math.max(0, n - 1)];
        for (int i = 0; i + 1 < n; i++) {
            s[i] = -Math.log(steps[i + 1] / steps[i]) / Math.log(batchSizes[i + 1] / batchSizes[i]);
        }
        int leadingPerfect = 0;
        while (leadingPerfect < s.length && s[leadingPerfect] >= PERFECT_EXPONENT) {
            leadingPerfect++;
        }
        int trailingFlatStart = s.length;
        while (trailingFlatStart > leadingPerfect && s[trailingFlatStart - 1] <= FLAT_EXPONENT) {
            trailingFlatStart--;
        }
        Region[] regions = new Region[n];
        for (int i = 0; i < n; i++) {
            if (leadingPerfect > 0 && i <= leadingPerfect) {
                regions[i] = Region.PERFECT_SCALING;
            } else if (trailingFlatStart < s.length && i >= trailingFlatStart) {
                regions[i] = Region.MAXIMAL_PARALLELISM;
            } else {
                regions[i] = Region.DIMINISHING_RETURNS;
            }
        }
        // A point ending the perfect run and starting the flat run (no diminishing segment) belongs to both; the
        // boundaries below keep that, the per-point label says perfect scaling.
        double perfectUntil = leadingPerfect > 0 ? batchSizes[leadingPerfect] : Double.NaN;
        double maximalFrom = trailingFlatStart < s.length ? batchSizes[trailingFlatStart] : Double.NaN;
        return new Classification(batchSizes.clone(), s, regions, perfectUntil, maximalFrom);
    }

    /** Fits S(B) = S_min(1 + B_crit/B) to the points (2 or more distinct batch sizes). */
    public static CriticalBatch criticalBatchSize(double[] batchSizes, double[] steps) {
        // Weighted normal equations for S ≈ c0·1 + c1·u, u = 1/B, weight w = 1/S².
        double s00 = 0;
        double s01 = 0;
        double s11 = 0;
        double r0 = 0;
        double r1 = 0;
        for (int i = 0; i < batchSizes.length; i++) {
            double u = 1.0 / batchSizes[i];
            double w = 1.0 / (steps[i] * steps[i]);
            s00 += w;
            s01 += w * u;
            s11 += w * u * u;
            r0 += w * steps[i];
            r1 += w * u * steps[i];
        }
        double det = s00 * s11 - s01 * s01;
        if (batchSizes.length < 2 || !(Math.abs(det) > 0)) {
            return new CriticalBatch(Double.NaN, Double.NaN, Double.NaN);
        }
        double c0 = (r0 * s11 - r1 * s01) / det;
        double c1 = (s00 * r1 - s01 * r0) / det;
        if (!(c0 > 0) || !(c1 > 0)) {
            return new CriticalBatch(Double.NaN, Double.NaN, Double.NaN);
        }
        return new CriticalBatch(c1 / c0, c0, c1);
    }
}
