package io.ravine.diagnose;

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

    /** The comparison for one tensor of θ. */
    public record TensorResult(String name, int size, double relativeError, double maxAbsoluteError) {
        public boolean passes(double threshold) {
            return relativeError <= threshold;
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
        try (Model model = new Model(backend, mlp)) {
            Model.Workspace ws = model.workspace(n);
            ws.load(x, y, n);
            model.setParameters(theta);
            model.computeGradient(ws, n);
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
                int bOff = mlp.biasOffset(k);
                int out = mlp.fanOut(k);
                results.add(compare("layers." + k + ".weight", analytic, numeric, wOff, bOff - wOff));
                results.add(compare("layers." + k + ".bias", analytic, numeric, bOff, out));
            }
            return results;
        }
    }

    private static double loss(Model model, Model.Workspace ws, double[] theta, int n) {
        model.setParameters(theta);
        model.evaluate(ws, n);
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
