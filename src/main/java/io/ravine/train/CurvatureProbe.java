package io.ravine.train;

import io.ravine.data.Dataset;
import io.ravine.nn.Model;

/**
 * What {@code --diagnose-every N} measures at θ on the fixed monitoring subset (Goodfellow et al., Deep Learning
 * §8.2.1: "monitor the squared gradient norm gᵀg and the gᵀHg term"): gᵀg, the curvature along the gradient gᵀHg,
 * the optimal step ε* = gᵀg / gᵀHg, and for a gradient step of the current α the second-order model's change of the
 * loss, ½α²gᵀHg − αgᵀg, against the change measured by evaluating the loss at θ − αg. Injected (the diagnostics sit
 * above training; {@code io.ravine.diagnose.Curvature::probe} is Ravine's), so the trainer only calls it; it must
 * leave θ unchanged, bit for bit.
 */
@FunctionalInterface
public interface CurvatureProbe {

    /**
     * The numbers; {@code optimalStep} is NaN where gᵀHg ≤ 0, and the two changes are NaN where no step was given.
     *
     * @param gradientNorm ‖g‖ on the subset (√gᵀg)
     * @param gHg gᵀHg
     * @param optimalStep ε* = gᵀg / gᵀHg
     * @param step the α of the checked step (NaN: none)
     * @param predictedChange ½α²gᵀHg − αgᵀg
     * @param actualChange J(θ − αg) − J(θ) on the subset, measured
     */
    record Measurement(double gradientNorm, double gHg, double optimalStep, double step, double predictedChange,
            double actualChange) {

        /**
         * A measurement without a checked step.
         *
         * @param gradientNorm ‖g‖
         * @param gHg gᵀHg
         * @param optimalStep ε*
         */
        public Measurement(double gradientNorm, double gHg, double optimalStep) {
            this(gradientNorm, gHg, optimalStep, Double.NaN, Double.NaN, Double.NaN);
        }

        /**
         * gᵀg, the subset's squared gradient norm.
         *
         * @return ‖g‖²
         */
        public double gg() {
            return gradientNorm * gradientNorm;
        }
    }

    /**
     * Measures at the model's current θ, leaving θ as it was.
     *
     * @param model the model being trained
     * @param subset the monitoring subset (normalized, encoded)
     * @param capacity the largest batch the probe may use
     * @param learningRate α of the step to check against the second-order model (the logged step's {@code lr});
     *     NaN or ≤ 0: no check
     * @return the measurement
     */
    Measurement measure(Model model, Dataset subset, int capacity, double learningRate);
}
