package io.ravine.optim;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;

/**
 * An exponential moving average of the iterates,
 * <pre>
 *   θ̃₀ = θ₀,   θ̃_k = (1 − 1/τ) θ̃_{k−1} + (1/τ) θ_k
 * </pre>
 * i.e. θ̃_k = d^k θ₀ + (1 − d) Σ_{j=1..k} d^{k−j} θ_j with d = 1 − 1/τ. Averaging cancels much of the noise of
 * stochastic iterates bouncing around a minimum (Polyak &amp; Juditsky 1992); the finite window τ forgets the
 * early, far-off iterates that a plain running mean would keep. τ = 1 tracks θ exactly.
 */
public final class IterateAverage implements AutoCloseable {
    private final Backend backend;
    private final Tensor average;
    private final double tau;
    private final double decay;
    private long updates;

    /**
     * Starts the average as a copy of {@code theta0}; τ ≥ 1 is the averaging window in updates.
     *
     * @param backend where θ̃ lives
     * @param theta0 the starting iterate
     * @param tau τ ≥ 1
     */
    public IterateAverage(Backend backend, Tensor theta0, double tau) {
        if (!(tau >= 1) || Double.isInfinite(tau)) {
            throw new IllegalArgumentException("averaging window tau must be >= 1 and finite, got " + tau);
        }
        this.backend = backend;
        this.tau = tau;
        this.decay = 1 - 1 / tau;
        this.average = backend.allocateVector(theta0.length());
        backend.copy(theta0, average);
    }

    /**
     * Folds in the current iterate θ_k.
     *
     * @param theta θ_k
     */
    public void update(Tensor theta) {
        backend.emaUpdate(average, theta, decay);
        updates++;
    }

    /**
     * θ̃, a flat vector on the backend owned by this object (live: it changes with every update).
     *
     * @return θ̃
     */
    public Tensor average() {
        return average;
    }

    /**
     * The averaging window τ.
     *
     * @return τ
     */
    public double tau() {
        return tau;
    }

    /**
     * d = 1 − 1/τ, the weight of the previous average.
     *
     * @return d
     */
    public double decay() {
        return decay;
    }

    /** Counts one update applied outside {@link #update} (inside a replayed CUDA graph). */
    public void countReplayedUpdate() {
        updates++;
    }

    /**
     * How many iterates have been folded in since the start (or the last restore).
     *
     * @return the count
     */
    public long updates() {
        return updates;
    }

    /**
     * Replaces θ̃ from a checkpoint.
     *
     * @param updates the iterates it averages
     * @param values θ̃
     */
    public void restore(long updates, float[] values) {
        checkLength(values.length);
        backend.copyFromHost(values, 0, average);
        this.updates = updates;
    }

    /**
     * Replaces θ̃ from a checkpoint, in double.
     *
     * @param updates the iterates it averages
     * @param values θ̃
     */
    public void restore(long updates, double[] values) {
        checkLength(values.length);
        backend.copyFromHost(values, 0, average);
        this.updates = updates;
    }

    private void checkLength(int n) {
        if (n != average.length()) {
            throw new InvalidInputException("iterate average has " + n + " values, expected "
                    + average.length());
        }
    }

    /**
     * Frees θ̃.
     */
    @Override
    public void close() {
        average.close();
    }
}
