package io.ravine.study;

/**
 * Wall-clock seconds of one training update (forward, backward, optimizer step) at one batch size, over
 * {@code repeats} timed updates after warm-up.
 *
 * @param batchSize examples per update
 * @param median median seconds per update
 * @param q1 first quartile
 * @param q3 third quartile
 * @param min fastest update
 * @param max slowest update
 * @param repeats number of timed updates
 */
public record UpdateTiming(int batchSize, double median, double q1, double q3, double min, double max,
        int repeats) {

    /** Examples processed per second at the median cost. */
    public double samplesPerSecond() {
        return batchSize / median;
    }

    /** Summarises raw timings (seconds, any order). Quartiles interpolate linearly between order statistics. */
    public static UpdateTiming of(int batchSize, double[] seconds) {
        if (seconds.length == 0) {
            throw new IllegalArgumentException("no timings");
        }
        double[] s = seconds.clone();
        java.util.Arrays.sort(s);
        return new UpdateTiming(batchSize, quantile(s, 0.5), quantile(s, 0.25), quantile(s, 0.75), s[0],
                s[s.length - 1], s.length);
    }

    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
