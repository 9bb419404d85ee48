package io.ravine.optim;

import ai.djl.training.tracker.Tracker;

/**
 * Constant, then exponential decay:
 * <pre>
 *   α_t = α₀                      for t &lt; t₀
 *   α_t = α₀ · e^{−(t − t₀)/τ}    for t ≥ t₀
 * </pre>
 * with t the number of completed updates. Grosse's advice (CSC 421/2516, "Optimization" lecture): a large rate makes
 * fast progress but leaves the iterate bouncing at a noise floor set by α; decaying early slows the progress, so keep
 * α high and decay only near the end. Pure in t, so a resumed run gets the same values.
 */
public final class LateExponentialDecayTracker implements Tracker {
    private final double baseValue;
    private final long decayStart;
    private final double timeConstant;

    /**
     * α₀ until update t₀, then α₀ e^{−(t − t₀)/τ}.
     *
     * @param baseValue α₀ &gt;= 0
     * @param decayStart t₀ &gt;= 0, the update at which decay begins
     * @param timeConstant τ &gt; 0, updates per factor of e
     */
    public LateExponentialDecayTracker(double baseValue, long decayStart, double timeConstant) {
        if (!(baseValue >= 0) || Double.isInfinite(baseValue)) {
            throw new IllegalArgumentException("base value must be non-negative and finite, got " + baseValue);
        }
        if (decayStart < 0) {
            throw new IllegalArgumentException("decay start must be >= 0, got " + decayStart);
        }
        if (!(timeConstant > 0) || Double.isInfinite(timeConstant)) {
            throw new IllegalArgumentException("time constant must be positive and finite, got " + timeConstant);
        }
        this.baseValue = baseValue;
        this.decayStart = decayStart;
        this.timeConstant = timeConstant;
    }

    /**
     * The value in double, before DJL's interface rounds it to float.
     *
     * @param numUpdate completed updates t
     * @return α_t
     */
    public double value(long numUpdate) {
        if (numUpdate < decayStart) {
            return baseValue;
        }
        return baseValue * Math.exp(-(numUpdate - decayStart) / timeConstant);
    }

    @Override
    public float getNewValue(int numUpdate) {
        return (float) value(numUpdate);
    }

    /**
     * α₀.
     *
     * @return α₀
     */
    public double baseValue() {
        return baseValue;
    }

    /**
     * The update t₀ where the decay starts.
     *
     * @return t₀
     */
    public long decayStart() {
        return decayStart;
    }

    /**
     * The decay's time constant τ.
     *
     * @return τ
     */
    public double timeConstant() {
        return timeConstant;
    }

    @Override
    public String toString() {
        return "exp:" + decayStart + ":" + timeConstant;
    }
}
