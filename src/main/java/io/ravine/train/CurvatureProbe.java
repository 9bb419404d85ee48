package io.ravine.train;

import io.ravine.data.Dataset;
import io.ravine.nn.Model;

/**
 * What {@code --diagnose-every N} measures at θ on the fixed monitoring subset: the gradient norm, the curvature
 * along the gradient gᵀHg and the optimal step ε* = gᵀg / gᵀHg (Goodfellow et al., Deep Learning §8.2.1). Injected
 * (the diagnostics sit above training), so the trainer only calls it; it must leave θ unchanged.
 */
@FunctionalInterface
public interface CurvatureProbe {

    /**
     * The three numbers; {@code optimalStep} is NaN where gᵀHg ≤ 0.
     *
     * @param gradientNorm ‖g‖
     * @param gHg gᵀHg
     * @param optimalStep ε* = gᵀg / gᵀHg
     */
    record Measurement(double gradientNorm, double gHg, double optimalStep) {
    }

    /**
     * Measures at the model's current θ, leaving θ as it was.
     *
     * @param model the model being trained
     * @param subset the monitoring subset (normalized, encoded)
     * @param capacity the largest batch the probe may use
     * @return the measurement
     */
    Measurement measure(Model model, Dataset subset, int capacity);
}
