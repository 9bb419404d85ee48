package io.ravine.export;

import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.data.Normalizer;
import io.ravine.nn.BatchNormBuffers;
import io.ravine.nn.Mlp;
import java.util.Arrays;
import java.util.Objects;

/**
 * What an export needs: the architecture, θ and the input normalization, and nothing else (no optimizer state, no
 * file). The converters ({@link TorchExport}, {@link OnnxExport}) are pure functions of it.
 *
 * <p>Build one from a trained model in memory with {@link #of(Mlp, float[], Normalizer)}, or from a checkpoint file
 * with {@link CheckpointReader}. The arrays are copied in and out, so a spec cannot change after it is made.
 *
 * @param widths layer widths, input first and output last (at least 2: a linear model has no hidden layer)
 * @param hidden the activation after every hidden layer (unused without hidden layers)
 * @param loss the loss the model was trained with; it decides the output nonlinearity of the exports
 *     (softmax for softmax-ce, sigmoid for logistic-ce, none for mse)
 * @param theta θ in Ravine's layout ({@link Mlp}: per layer k, weight [out_k, in_k] row-major, then bias [out_k])
 * @param mean per-feature means of the z-score normalization, or null when inputs are used as they are
 * @param std per-feature divisors of the normalization as applied ({@link Normalizer#scale()}: the standard deviation,
 *     or 1 where it is below {@link Normalizer#MIN_STD}); null exactly when {@code mean} is
 * @param batchNorm batch normalization's running statistics for a model with BN in its hidden layers
 *     ({@link Mlp#batchNorm()}: θ then holds γ and β in place of those layers' biases), or null for a model without
 */
public record ExportSpec(int[] widths, Activation hidden, LossKind loss, float[] theta, float[] mean, float[] std,
        BatchNormBuffers batchNorm) {

    /** A model without batch normalization. */
    public ExportSpec(int[] widths, Activation hidden, LossKind loss, float[] theta, float[] mean, float[] std) {
        this(widths, hidden, loss, theta, mean, std, null);
    }

    /** Checks the shapes and values (a caller's bug, not a user's file: files are checked by the reader first). */
    public ExportSpec {
        Objects.requireNonNull(widths, "widths");
        Objects.requireNonNull(hidden, "hidden");
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(theta, "theta");
        if (widths.length < 2) {
            throw new IllegalArgumentException("widths need an input and an output width, got "
                    + Arrays.toString(widths));
        }
        widths = widths.clone();
        Mlp mlp = new Mlp(widths[0], Arrays.copyOfRange(widths, 1, widths.length - 1), widths[widths.length - 1],
                hidden, loss, batchNorm != null);
        if (batchNorm != null) {
            batchNorm.requireFits(mlp);
        }
        if (theta.length != mlp.parameterCount()) {
            throw new IllegalArgumentException("theta has " + theta.length + " values, " + mlp.describe() + " has "
                    + mlp.parameterCount());
        }
        theta = theta.clone();
        for (int i = 0; i < theta.length; i++) {
            if (!Float.isFinite(theta[i])) {
                throw new IllegalArgumentException("theta[" + i + "] is " + theta[i] + " (not finite)");
            }
        }
        if ((mean == null) != (std == null)) {
            throw new IllegalArgumentException("mean and std go together (both null: no normalization)");
        }
        if (mean != null) {
            if (mean.length != widths[0] || std.length != widths[0]) {
                throw new IllegalArgumentException("normalization of " + mean.length + " means and " + std.length
                        + " divisors for " + widths[0] + " input features");
            }
            mean = mean.clone();
            std = std.clone();
            for (int j = 0; j < mean.length; j++) {
                if (!Float.isFinite(mean[j]) || !Float.isFinite(std[j]) || std[j] < Normalizer.MIN_STD) {
                    throw new IllegalArgumentException("feature " + j + ": mean " + mean[j] + ", divisor " + std[j]
                            + " (finite values and divisors of at least " + Normalizer.MIN_STD + " needed)");
                }
            }
        }
    }

    /**
     * The spec of a model in memory: {@code mlp}'s architecture, its θ, and {@code normalizer}'s mean and divisors
     * ({@link Normalizer#scale()}), or no normalization where its kind is {@link Normalizer.Kind#NONE} (or it is
     * null).
     */
    public static ExportSpec of(Mlp mlp, float[] theta, Normalizer normalizer) {
        return of(mlp, theta, mlp.batchNorm() ? BatchNormBuffers.initial(mlp) : null, normalizer);
    }

    /** As {@link #of(Mlp, float[], Normalizer)}, with BN's running statistics (null for a model without BN). */
    public static ExportSpec of(Mlp mlp, float[] theta, BatchNormBuffers batchNorm, Normalizer normalizer) {
        int[] widths = new int[mlp.layerCount() + 1];
        for (int k = 0; k < mlp.layerCount(); k++) {
            widths[k] = mlp.fanIn(k);
        }
        widths[widths.length - 1] = mlp.outputDim();
        boolean normalized = normalizer != null && normalizer.kind() != Normalizer.Kind.NONE;
        return new ExportSpec(widths, mlp.hiddenActivation(), mlp.loss(), theta,
                normalized ? normalizer.mean() : null, normalized ? normalizer.scale() : null,
                mlp.batchNorm() ? batchNorm : null);
    }

    /** The architecture ({@link Mlp}: offsets of each layer's weight and bias in θ). */
    public Mlp mlp() {
        return new Mlp(widths[0], Arrays.copyOfRange(widths, 1, widths.length - 1), widths[widths.length - 1], hidden,
                loss, batchNorm != null);
    }

    /** Whether layer k is batch-normalized (no bias; γ, β and running statistics). */
    public boolean hasBatchNorm(int k) {
        return mlp().hasBatchNorm(k);
    }

    /** BN layer k's γ [out_k] (a copy). */
    public float[] gamma(int k) {
        Mlp mlp = mlp();
        return Arrays.copyOfRange(theta, mlp.gammaOffset(k), mlp.gammaOffset(k) + mlp.fanOut(k));
    }

    /** BN layer k's β [out_k] (a copy). */
    public float[] beta(int k) {
        Mlp mlp = mlp();
        return Arrays.copyOfRange(theta, mlp.betaOffset(k), mlp.betaOffset(k) + mlp.fanOut(k));
    }

    /**
     * Layer k as one affine map in evaluation mode, weight [out_k, in_k] then bias [out_k]: the layer itself, or for
     * a BN layer BN folded in, W' = diag(s) W and b' = β − s ⊙ running_mean with s = γ / √(running_var + ε)
     * (computed in double, rounded once). What ONNX and any inference engine needs: eval-mode BN is affine.
     *
     * @param k the layer
     * @return {weight, bias}
     */
    public float[][] evaluationAffine(int k) {
        if (!hasBatchNorm(k)) {
            return new float[][] {weight(k), bias(k)};
        }
        int out = widths[k + 1];
        int in = widths[k];
        float[] w = weight(k);
        float[] g = gamma(k);
        float[] b = beta(k);
        float[] rm = batchNorm.runningMean()[k];
        float[] rv = batchNorm.runningVar()[k];
        float[] bias = new float[out];
        for (int i = 0; i < out; i++) {
            double s = g[i] / Math.sqrt((double) rv[i] + io.ravine.nn.Model.BN_EPS);
            for (int j = 0; j < in; j++) {
                w[i * in + j] = (float) (s * w[i * in + j]);
            }
            bias[i] = (float) (b[i] - s * rm[i]);
        }
        return new float[][] {w, bias};
    }

    /** e.g. {@code 784-64-10 relu softmax-ce}, as checkpoints name it. */
    public String describe() {
        return mlp().describe();
    }

    public int layerCount() {
        return widths.length - 1;
    }

    public int inputDim() {
        return widths[0];
    }

    public int outputDim() {
        return widths[widths.length - 1];
    }

    /** Whether the model expects z-score normalized inputs (and the exports put the normalization inside). */
    public boolean normalized() {
        return mean != null;
    }

    /** Layer k's weight [out_k, in_k], row-major (a copy). */
    public float[] weight(int k) {
        Mlp mlp = mlp();
        return Arrays.copyOfRange(theta, mlp.weightOffset(k), mlp.weightOffset(k) + mlp.fanOut(k) * mlp.fanIn(k));
    }

    /** Layer k's bias [out_k] (a copy). */
    public float[] bias(int k) {
        Mlp mlp = mlp();
        return Arrays.copyOfRange(theta, mlp.biasOffset(k), mlp.biasOffset(k) + mlp.fanOut(k));
    }

    @Override
    public int[] widths() {
        return widths.clone();
    }

    @Override
    public float[] theta() {
        return theta.clone();
    }

    /** Per-feature means (a copy), or null without normalization. */
    @Override
    public float[] mean() {
        return mean == null ? null : mean.clone();
    }

    /** Per-feature divisors (a copy), or null without normalization. */
    @Override
    public float[] std() {
        return std == null ? null : std.clone();
    }

    /** Equal architecture, θ, normalization and BN buffers (compared by value: the running statistics export too). */
    @Override
    public boolean equals(Object o) {
        return o instanceof ExportSpec s && Arrays.equals(widths, s.widths) && hidden == s.hidden && loss == s.loss
                && Arrays.equals(theta, s.theta) && Arrays.equals(mean, s.mean) && Arrays.equals(std, s.std)
                && sameBuffers(batchNorm, s.batchNorm);
    }

    private static boolean sameBuffers(BatchNormBuffers a, BatchNormBuffers b) {
        if (a == null || b == null) {
            return a == b;
        }
        return Arrays.deepEquals(a.runningMean(), b.runningMean()) && Arrays.deepEquals(a.runningVar(),
                b.runningVar()) && a.batchesTracked() == b.batchesTracked();
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(widths), hidden, loss, Arrays.hashCode(theta), Arrays.hashCode(mean),
                Arrays.hashCode(std), batchNorm == null ? 0 : Arrays.deepHashCode(batchNorm.runningMean()));
    }

    @Override
    public String toString() {
        return "ExportSpec[" + describe() + ", " + theta.length + " parameters, "
                + (normalized() ? "z-score normalization" : "no normalization") + "]";
    }
}
