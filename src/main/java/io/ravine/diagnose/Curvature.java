package io.ravine.diagnose;

import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import io.ravine.data.Dataset;
import io.ravine.nn.Model;
import java.util.ArrayList;
import java.util.List;

/**
 * Curvature along the gradient (Goodfellow, "Gradient descent and the structure of neural network cost
 * functions", 2015; Goodfellow, Bengio &amp; Courville §8.2.1). The second-order Taylor series of J along a gradient
 * step −εg is
 * <pre>
 *   J(θ − εg) ≈ J(θ) − ε gᵀg + ½ ε² gᵀHg
 * </pre>
 * so where gᵀHg &gt; 0 the step that minimises the model is ε* = gᵀg / gᵀHg, and where gᵀHg ≤ 0 the model predicts
 * that every step improves (ε* undefined, reported as NaN). Monitoring gᵀg and ε·gᵀHg during training shows
 * ill-conditioning: when ½ε²gᵀHg outgrows εgᵀg the step goes uphill even though the gradient is large.
 *
 * <p>gᵀHg costs one gradient and one {@link HessianVectorProduct} (three gradient passes over the subset).
 */
public final class Curvature {
    private Curvature() {
    }

    /**
     * @param gradientNorm ‖g‖
     * @param gHg gᵀHg
     * @param optimalStep ε* = gᵀg / gᵀHg, NaN where gᵀHg ≤ 0
     */
    public record AlongGradient(double gradientNorm, double gHg, double optimalStep) {
    }

    /**
     * The second-order prediction for one step size against the truth.
     *
     * @param step ε
     * @param predictedChange −ε gᵀg + ½ ε² gᵀHg
     * @param actualChange J(θ − εg) − J(θ), measured
     */
    public record StepCheck(double step, double predictedChange, double actualChange) {
    }

    /**
     * The full picture along −g: J(θ), the curvature, checks at chosen steps, and J on a line of steps next to the
     * quadratic model.
     */
    public record GradientStudy(double loss, AlongGradient along, List<StepCheck> checks, double[] curveSteps,
            double[] curveActual, double[] curveQuadratic) {
    }

    /**
     * The cheap per-step measurement for {@code train --diagnose-every N}: ‖g‖, gᵀHg and ε* of the mean loss over
     * {@code subset} at the model's current θ (three gradient passes over the subset, in chunks of
     * {@code capacity} rows, in buffers of its own: neither {@code model.gradient()} nor the model's workspaces are
     * touched). Leaves θ exactly as it was.
     */
    public static AlongGradient alongGradient(Model model, Dataset subset, int capacity) {
        try (HessianVectorProduct hvp = new HessianVectorProduct(model, subset, capacity)) {
            return alongGradient(hvp);
        }
    }

    /**
     * {@code train --diagnose-every N}'s probe ({@link io.ravine.train.CurvatureProbe}, as {@code Curvature::probe}):
     * ‖g‖, gᵀHg and ε* on {@code subset}, and for a step of {@code step} along −g the predicted change
     * ½α²gᵀHg − αgᵀg against the measured J(θ − αg) − J(θ) (one more forward pass over the subset). One gradient,
     * one Hessian-vector product; θ is left exactly as it was, bit for bit.
     *
     * @param model the model being trained
     * @param subset the monitoring subset
     * @param capacity rows per chunk
     * @param step α of the step to check (NaN or ≤ 0: none)
     * @return the measurement
     */
    public static io.ravine.train.CurvatureProbe.Measurement probe(Model model, Dataset subset, int capacity,
            double step) {
        try (HessianVectorProduct hvp = new HessianVectorProduct(model, subset, capacity)) {
            Backend b = hvp.backend();
            try (Tensor g = b.allocateVector(hvp.dimension()); Tensor hg = b.allocateVector(hvp.dimension())) {
                double j0 = hvp.lossAndGradient(g);
                AlongGradient a = curvatureAlong(hvp, g, hg);
                boolean check = Double.isFinite(step) && step > 0;
                return new io.ravine.train.CurvatureProbe.Measurement(a.gradientNorm(), a.gHg(), a.optimalStep(),
                        check ? step : Double.NaN, check ? predictedChange(a, step) : Double.NaN,
                        check ? hvp.lossAt(g, -step) - j0 : Double.NaN);
            }
        }
    }

    /** The same with an existing product (its scratch vectors reused; two more P-vectors allocated). */
    public static AlongGradient alongGradient(HessianVectorProduct hvp) {
        Backend b = hvp.backend();
        try (Tensor g = b.allocateVector(hvp.dimension()); Tensor hg = b.allocateVector(hvp.dimension())) {
            hvp.lossAndGradient(g);
            return curvatureAlong(hvp, g, hg);
        }
    }

    private static AlongGradient curvatureAlong(HessianVectorProduct hvp, Tensor g, Tensor hg) {
        Backend b = hvp.backend();
        double gg = b.sumOfSquares(g);
        hvp.apply(g, hg);
        double gHg = b.dot(g, hg);
        double optimal = gHg > 0 ? gg / gHg : Double.NaN;
        return new AlongGradient(Math.sqrt(gg), gHg, optimal);
    }

    /** −ε gᵀg + ½ ε² gᵀHg. */
    public static double predictedChange(AlongGradient a, double step) {
        double gg = a.gradientNorm() * a.gradientNorm();
        return -step * gg + 0.5 * step * step * a.gHg();
    }

    /**
     * Curvature along −g, the predicted and actual change of J for each of {@code steps} (non-finite or
     * non-positive ones are skipped; ε* is always checked when defined), and J(θ − εg) at {@code curvePoints}
     * evenly spaced ε from 0 to twice the largest checked step. θ is left exactly as it was.
     */
    public static GradientStudy study(HessianVectorProduct hvp, double[] steps, int curvePoints) {
        Backend b = hvp.backend();
        try (Tensor g = b.allocateVector(hvp.dimension()); Tensor hg = b.allocateVector(hvp.dimension())) {
            double j0 = hvp.lossAndGradient(g);
            AlongGradient along = curvatureAlong(hvp, g, hg);
            List<Double> toCheck = new ArrayList<>();
            if (Double.isFinite(along.optimalStep())) {
                toCheck.add(along.optimalStep());
            }
            for (double s : steps) {
                if (Double.isFinite(s) && s > 0) {
                    toCheck.add(s);
                }
            }
            List<StepCheck> checks = new ArrayList<>();
            double largest = 0;
            for (double s : toCheck) {
                checks.add(new StepCheck(s, predictedChange(along, s), hvp.lossAt(g, -s) - j0));
                largest = Math.max(largest, s);
            }
            int n = Math.max(curvePoints, 2);
            double[] xs = new double[n];
            double[] actual = new double[n];
            double[] quadratic = new double[n];
            double end = largest > 0 ? 2 * largest : 1.0;
            for (int i = 0; i < n; i++) {
                double s = end * i / (n - 1);
                xs[i] = s;
                actual[i] = i == 0 ? j0 : hvp.lossAt(g, -s);
                quadratic[i] = j0 + predictedChange(along, s);
            }
            return new GradientStudy(j0, along, checks, xs, actual, quadratic);
        }
    }
}
