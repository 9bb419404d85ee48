package io.ravine.optim;

import ai.djl.training.tracker.Tracker;

/**
 * Step decay, α_t = α₀ · f^⌊t / N⌋ with t the number of completed updates.
 *
 * <p>Not DJL's: its {@code FactorTracker} multiplies by f at every update, and its {@code MultiFactorTracker} keeps
 * a cursor that only advances by one boundary per call, so its value depends on the call history and is wrong after
 * resuming from a checkpoint. This one is a pure function of t.
 */
public final class StepDecayTracker implements Tracker {
    private final double baseValue;
    private final long every;
    private final double factor;

    /**
     * α₀ · f^⌊t / N⌋.
     *
     * @param baseValue α₀ &gt;= 0
     * @param every N &gt;= 1 updates between decays
     * @param factor f ∈ (0, 1]
     */
    public StepDecayTracker(double baseValue, long every, double factor) {
        if (!(baseValue >= 0) || Double.isInfinite(baseValue)) {
            throw new IllegalArgumentException("base value must be non-negative and finite, got " + baseValue);
        }
        if (every < 1) {
            throw new IllegalArgumentException("decay interval must be >= 1 update, got " + every);
        }
        if (!(factor > 0 && factor <= 1)) {
            throw new IllegalArgumentException("decay factor must be in (0, 1], got " + factor);
        }
        this.baseValue = baseValue;
        this.every = every;
        this.factor = factor;
    }

    /**
     * The value in double, before DJL's interface rounds it to float.
     *
     * @param numUpdate completed updates t
     * @return α_t
     */
    public double value(long numUpdate) {
        return baseValue * Math.pow(factor, Math.max(0, numUpdate) / every);
    }

    @Override
    public float getNewValue(int numUpdate) {
        return (float) value(numUpdate);
    }

    @Override
    public String toString() {
        return "step:" + every + ":" + factor;
    }
}
