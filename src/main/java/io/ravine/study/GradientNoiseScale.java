package io.ravine.study;

/**
 * The simple gradient noise scale B_simple = tr(Σ)/|G|² (McCandlish, Kaplan, Amodei et al. 2018, "An empirical
 * model of large-batch training", §2.2 and Appendix A), estimated from gradient norms at two batch sizes.
 *
 * <p>G is the full-batch gradient and Σ the per-example covariance, so a batch of B examples drawn independently
 * has E|G_B|² = |G|² + tr(Σ)/B. Two batch sizes B_small &lt; B_big give two such equations, solved for unbiased
 * estimates (Appendix A, eqs. A.1–A.2):
 * <pre>
 *   |G|²  ≈ (B_big·|G_big|² − B_small·|G_small|²) / (B_big − B_small)
 *   tr(Σ) ≈ (|G_small|² − |G_big|²) / (1/B_small − 1/B_big)
 * </pre>
 * Each is unbiased, but a single estimate is noisy (|G|²'s can even be negative), and the ratio of two noisy
 * estimates is biased; so, as in the paper, each is averaged with an exponential moving average before the ratio is
 * taken. Both averages get the same bias correction 1 − βᵗ (which the ratio cancels; it matters only for the
 * averages reported on their own).
 */
public final class GradientNoiseScale {
    private final int smallBatch;
    private final int bigBatch;
    private final double decay;
    private double gradSqAverage;
    private double traceAverage;
    private long count;

    /**
     * One estimate of the series.
     *
     * @param gradNormSquared this estimate of |G|²
     * @param trace this estimate of tr(Σ)
     * @param averageGradNormSquared the moving average of the |G|² estimates
     * @param averageTrace the moving average of the tr(Σ) estimates
     * @param simpleNoiseScale B_simple = averageTrace / averageGradNormSquared
     */
    public record Estimate(double gradNormSquared, double trace, double averageGradNormSquared,
            double averageTrace, double simpleNoiseScale) {
    }

    /**
     * @param smallBatch B_small
     * @param bigBatch B_big &gt; B_small
     * @param decay β of the moving averages, in [0, 1) (0 = no averaging)
     */
    public GradientNoiseScale(int smallBatch, int bigBatch, double decay) {
        if (smallBatch < 1 || bigBatch <= smallBatch) {
            throw new io.ravine.InvalidInputException("the noise scale needs 1 ≤ B_small < B_big, got B_small="
                    + smallBatch + ", B_big=" + bigBatch);
        }
        if (!(decay >= 0 && decay < 1)) {
            throw new io.ravine.InvalidInputException("the noise-scale averaging β must be in [0, 1), got " + decay);
        }
        this.smallBatch = smallBatch;
        this.bigBatch = bigBatch;
        this.decay = decay;
    }

    public int smallBatch() {
        return smallBatch;
    }

    public int bigBatch() {
        return bigBatch;
    }

    /** The unbiased estimate of |G|² from |G_small|² and |G_big|² (Appendix A). */
    public static double gradNormSquared(double smallSq, int smallBatch, double bigSq, int bigBatch) {
        return ((double) bigBatch * bigSq - (double) smallBatch * smallSq) / (bigBatch - smallBatch);
    }

    /** The unbiased estimate of tr(Σ) from |G_small|² and |G_big|² (Appendix A). */
    public static double trace(double smallSq, int smallBatch, double bigSq, int bigBatch) {
        return (smallSq - bigSq) / (1.0 / smallBatch - 1.0 / bigBatch);
    }

    /** Adds one pair of squared gradient norms, measured at the same θ, and returns the updated estimate. */
    public Estimate update(double smallSq, double bigSq) {
        double g = gradNormSquared(smallSq, smallBatch, bigSq, bigBatch);
        double s = trace(smallSq, smallBatch, bigSq, bigBatch);
        count++;
        gradSqAverage = decay * gradSqAverage + (1 - decay) * g;
        traceAverage = decay * traceAverage + (1 - decay) * s;
        double correction = 1 - Math.pow(decay, count);
        double avgG = gradSqAverage / correction;
        double avgS = traceAverage / correction;
        return new Estimate(g, s, avgG, avgS, avgS / avgG);
    }
}
