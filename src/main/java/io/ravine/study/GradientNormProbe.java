package io.ravine.study;

import io.ravine.data.Dataset;
import io.ravine.nn.Model;
import java.util.SplittableRandom;

/**
 * Squared norms |G_B|² of mini-batch gradients at a model's current θ, for the noise-scale estimator. Each batch is
 * drawn uniformly <em>with replacement</em> from the data set, so its examples are independent and
 * E|G_B|² = |G|² + tr(Σ)/B holds exactly, with G the mean gradient over the data set and Σ the covariance of the
 * per-example gradients (normalised by n). The gradient is computed by {@link Model#computeGradient}, the code the
 * trainer uses; it overwrites the model's gradient buffer, which the trainer recomputes before its next update.
 *
 * <p>With batch normalization the probe's batch is normalized by its own statistics (training mode, as the
 * trainer's batches are) and the running statistics are left alone: the probe must not change what training does.
 * The gradient of such a batch is then not a mean of independent per-example gradients (each example's output
 * depends on the batch's mean and variance), so the identity above holds only up to terms of order 1/B: B_simple
 * measured with BN is the noise scale of BN's own batch gradients, comparable across batch sizes well above 1.
 */
public final class GradientNormProbe {
    private final Model model;
    private final Dataset data;
    private final SplittableRandom rng;

    /**
     * @param model the model, on any backend
     * @param data examples in the layout the model's loss expects (the trainer's encoded training data)
     * @param seed seed of the batch draws
     */
    public GradientNormProbe(Model model, Dataset data, long seed) {
        this.model = model;
        this.data = data;
        this.rng = new SplittableRandom(seed);
    }

    /** |∇ of the mean loss over a fresh batch of {@code batchSize} examples|², in double. */
    public double squaredNorm(int batchSize) {
        int in = data.featureDim();
        int tc = data.targetCols();
        float[] x = new float[batchSize * in];
        float[] y = new float[batchSize * tc];
        for (int r = 0; r < batchSize; r++) {
            int i = rng.nextInt(data.n());
            System.arraycopy(data.features(), i * in, x, r * in, in);
            System.arraycopy(data.targets(), i * tc, y, r * tc, tc);
        }
        Model.Workspace ws = model.workspace(batchSize);
        ws.load(x, y, batchSize);
        model.computeGradient(ws, batchSize, false);
        return model.backend().sumOfSquares(model.gradient());
    }
}
