package io.ravine.diagnose;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.DType;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import java.util.ArrayList;
import java.util.List;

/**
 * Compares backprop's gradient with central finite differences, ∂J/∂θ_i ≈ (J(θ + h e_i) − J(θ − h e_i)) / 2h, in
 * float64 (lectures: "it's completely useless to do anything else until you're sure the gradients are correct").
 * Reported per tensor (each layer's weight and bias) as the relative error ‖g_bp − g_fd‖ / (‖g_bp‖ + ‖g_fd‖), which
 * is scale-free and stays defined when both are tiny, plus the worst single coordinate.
 */
public final class GradientCheck {
    private GradientCheck() {
    }

    /**
     * Largest finite-difference step accepted: θ's entries are O(1) at initialisation, so a step of 1 or more moves a
     * parameter by more than its own size and the central difference no longer measures a slope.
     */
    public static final double MAX_STEP = 1.0;
    /** Most parameters a check perturbs: each costs two forward passes, so the work grows as P². */
    public static final int MAX_PARAMETERS = 1_000_000;

    /** The comparison for one tensor of θ. */
    public record TensorResult(String name, int size, double relativeError, double maxAbsoluteError) {
        /**
         * Whether the relative error is at most {@code threshold}, which must be in (0, 1): the relative error is at
         * most 1 by construction, so a threshold of 1 or more passes any gradient, and NaN or 0 passes none.
         */
        public boolean passes(double threshold) {
            requireThreshold(threshold);
            return relativeError <= threshold;
        }
    }

    /** Refuses a pass threshold outside (0, 1) (see {@link TensorResult#passes}), naming the setting and the value. */
    public static void requireThreshold(double threshold) {
        if (!(threshold > 0 && threshold < 1)) {
            throw new InvalidInputException("gradient-check threshold must be in (0, 1) (the relative error is at"
                    + " most 1, so 1 or more passes any gradient), got " + threshold);
        }
    }

    /** Refuses a finite-difference step outside (0, {@value #MAX_STEP}), naming the setting and the value. */
    public static void requireStep(double h) {
        if (!(h > 0 && h < MAX_STEP)) {
            throw new InvalidInputException("finite-difference step h must be in (0, " + MAX_STEP + ") (a central"
                    + " difference needs a small positive step), got " + h);
        }
    }

    /**
     * Checks {@code mlp} at θ = {@code theta} on the examples {@code x} [n, in] with targets {@code y}, on the
     * float64 backend {@code backend}. Every coordinate is perturbed, so keep models small.
     */
    public static List<TensorResult> run(Backend backend, Mlp mlp, double[] theta, float[] x, float[] y, int n,
            double h) {
        if (backend.dtype() != DType.F64) {
            throw new IllegalArgumentException("finite-difference checks need the float64 backend");
        }
        requireStep(h);
        if (n <= 0) {
            throw new InvalidInputException("gradient check: the example count n must be positive, got " + n);
        }
        if (mlp.parameterCount() > MAX_PARAMETERS) {
            throw new InvalidInputException("gradient check: the model " + mlp.describe() + " has "
                    + mlp.parameterCount() + " parameters, more than the " + MAX_PARAMETERS + " a check perturbs one"
                    + " by one (two forward passes each)");
        }
        int targetCols = mlp.loss().classIndexTarget() ? 1 : mlp.outputDim();
        if (theta.length != mlp.parameterCount() || x.length < (long) n * mlp.inputDim()
                || y.length < (long) n * targetCols) {
            throw new InvalidInputException("gradient check: shapes do not match the model " + mlp.describe()
                    + ": theta has " + theta.length + " values (needs " + mlp.parameterCount() + "), x "
                    + x.length + " (needs at least " + n + " × " + mlp.inputDim() + "), y " + y.length + " (needs at least " + n
                    + " × " + targetCols + ")");
        }
        try (Model model = new Model(backend, mlp)) {
            Model.Workspace ws = model.workspace(n);
            ws.load(x, y, n);
            model.setParameters(theta);
            // Training mode for BN: the batch's own statistics, which the gradient differentiates through (every
            // example's output depends on all n, so the check is of the whole batch's mean loss); buffers untouched.
            model.computeGradient(ws, n, false);
            double[] analytic = backend.toDoubleArray(model.gradient());
            double[] numeric = new double[theta.length];
            double[] probe = theta.clone();
            for (int i = 0; i < theta.length; i++) {
                probe[i] = theta[i] + h;
                double plus = loss(model, ws, probe, n);
                probe[i] = theta[i] - h;
                double minus = loss(model, ws, probe, n);
                probe[i] = theta[i];
                numeric[i] = (plus - minus) / (2 * h);
            }
            List<TensorResult> results = new ArrayList<>();
            for (int k = 0; k < mlp.layerCount(); k++) {
                int wOff = mlp.weightOffset(k);
                int out = mlp.fanOut(k);
                results.add(compare("layers." + k + ".weight", analytic, numeric, wOff, out * mlp.fanIn(k)));
                if (mlp.hasBatchNorm(k)) {
                    results.add(compare("norms." + k + ".weight", analytic, numeric, mlp.gammaOffset(k), out));
                    results.add(compare("norms." + k + ".bias", analytic, numeric, mlp.betaOffset(k), out));
                } else {
                    results.add(compare("layers." + k + ".bias", analytic, numeric, mlp.biasOffset(k), out));
                }
            }
            return results;
        }
    }

    private static double loss(Model model, Model.Workspace ws, double[] theta, int n) {
        model.setParameters(theta);
        model.evaluateTraining(ws, n);
        return model.meanLoss(ws, n);
    }

    private static TensorResult compare(String name, double[] a, double[] b, int offset, int length) {
        double diff = 0;
        double na = 0;
        double nb = 0;
        double maxAbs = 0;
        for (int i = offset; i < offset + length; i++) {
            double d = a[i] - b[i];
            diff += d * d;
            na += a[i] * a[i];
            nb += b[i] * b[i];
            maxAbs = Math.max(maxAbs, Math.abs(d));
        }
        double denom = Math.sqrt(na) + Math.sqrt(nb);
        double rel = denom == 0 ? 0 : Math.sqrt(diff) / denom;
        return new TensorResult(name, length, rel, maxAbs);
    }
}
