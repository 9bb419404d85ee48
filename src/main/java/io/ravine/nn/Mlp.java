package io.ravine.nn;

import io.ravine.InvalidInputException;
import io.ravine.InvalidSettingException;
import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A multilayer perceptron: dense layers of the given widths, a hidden activation, a linear output layer and a loss.
 * With no hidden layers it is a linear model (linear/logistic/softmax regression, by the loss).
 *
 * <p>θ layout (PyTorch's {@code nn.Linear} order, so checkpoints map one to one): for each layer k in order, the
 * weight [out_k, in_k] row-major, then the bias [out_k].
 *
 * <p>With batch normalization ({@link #batchNorm()}), every hidden layer is z = x Wᵀ (no bias: under BN a bias is
 * subtracted again with the batch mean, so its gradient is 0 and it would only add a null direction to the Hessian;
 * β takes its place), then BN's affine y = γ ⊙ x̂ + β, then the activation. Such a layer's θ segment is the weight
 * [out_k, in_k], then γ_k [out_k], then β_k [out_k]: PyTorch's {@code nn.Linear(in, out, bias=False)} followed by
 * {@code nn.BatchNorm1d(out)}. The output layer keeps its bias and has no BN.
 */
public final class Mlp {
    private final int[] widths;
    private final Activation hidden;
    private final LossKind loss;
    private final int[] weightOffsets;
    private final int[] biasOffsets;
    private final boolean batchNorm;
    private final int parameterCount;

    /**
     * @param inputDim features per example
     * @param hiddenWidths widths of the hidden layers (empty for a linear model)
     * @param outputDim outputs per example
     * @param hidden activation of every hidden layer
     * @param loss the loss (its output nonlinearity is fused into it)
     */
    public Mlp(int inputDim, int[] hiddenWidths, int outputDim, Activation hidden, LossKind loss) {
        this(inputDim, hiddenWidths, outputDim, hidden, loss, false);
    }

    /**
     * @param inputDim features per example
     * @param hiddenWidths widths of the hidden layers (at least one with {@code batchNorm})
     * @param outputDim outputs per example
     * @param hidden activation of every hidden layer
     * @param loss the loss (its output nonlinearity is fused into it)
     * @param batchNorm batch normalization in every hidden layer, before the activation
     * @throws InvalidSettingException naming batchNorm when there is no hidden layer to normalize
     */
    public Mlp(int inputDim, int[] hiddenWidths, int outputDim, Activation hidden, LossKind loss, boolean batchNorm) {
        if (batchNorm && hiddenWidths.length == 0) {
            throw InvalidSettingException.of(InvalidSettingException.setting("batchNorm"), " normalizes hidden"
                    + " layers, but the model has none (", InvalidSettingException.setting("hidden"), " none); give"
                    + " hidden widths or drop it");
        }
        this.batchNorm = batchNorm;
        widths = new int[hiddenWidths.length + 2];
        widths[0] = inputDim;
        System.arraycopy(hiddenWidths, 0, widths, 1, hiddenWidths.length);
        widths[widths.length - 1] = outputDim;
        for (int w : widths) {
            if (w <= 0) {
                throw new InvalidInputException("layer widths must be positive: " + Arrays.toString(widths));
            }
        }
        this.hidden = hidden;
        this.loss = loss;
        int layers = widths.length - 1;
        weightOffsets = new int[layers];
        biasOffsets = new int[layers];
        long offset = 0;
        for (int k = 0; k < layers; k++) {
            weightOffsets[k] = (int) offset;
            offset += (long) widths[k] * widths[k + 1];
            biasOffsets[k] = (int) offset;
            // A BN layer's γ and β where its bias would be: twice the width.
            offset += (batchNorm && k < layers - 1 ? 2L : 1L) * widths[k + 1];
            if (offset > Integer.MAX_VALUE) {
                throw InvalidSettingException.of("model " + java.util.Arrays.toString(widths)
                        + " has more than 2^31 parameters (reduce ", InvalidSettingException.setting("hidden"), ")");
            }
        }
        parameterCount = (int) offset;
    }

    /**
     * The model a {@link #describe()} line describes, e.g. {@code 784-256-10 relu softmax-ce}: the widths from input
     * to output joined by {@code -}, the hidden activation, the loss. Checkpoints carry this line as their
     * {@code architecture} metadata, so a checkpoint names its model by itself. A fourth word {@code batch-norm}
     * marks batch normalization in the hidden layers.
     *
     * @param description the line
     * @return the model
     * @throws InvalidInputException if the line is not such a description
     */
    public static Mlp parse(String description) {
        String[] parts = description == null ? new String[0] : description.trim().split("\\s+");
        if (parts.length != 3 && !(parts.length == 4 && parts[3].equals(BATCH_NORM_WORD))) {
            throw new InvalidInputException("architecture '" + description + "' is not WIDTHS ACTIVATION LOSS"
                    + " [batch-norm] (e.g. 784-256-10 relu softmax-ce)");
        }
        String[] w = parts[0].split("-", -1);
        if (w.length < 2) {
            throw new InvalidInputException("architecture '" + description + "': at least an input and an output"
                    + " width are needed (e.g. 784-10)");
        }
        int[] widths = new int[w.length];
        try {
            for (int i = 0; i < w.length; i++) {
                widths[i] = Integer.parseInt(w[i]);
            }
            return new Mlp(widths[0], Arrays.copyOfRange(widths, 1, widths.length - 1), widths[widths.length - 1],
                    Activation.parse(parts[1]), LossKind.parse(parts[2]), parts.length == 4);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("architecture '" + description + "': " + e.getMessage(), e);
        }
    }

    /** The word {@link #describe()} appends for a model with batch normalization. */
    public static final String BATCH_NORM_WORD = "batch-norm";

    /**
     * Whether the hidden layers are batch-normalized (before their activation).
     *
     * @return whether BN is on
     */
    public boolean batchNorm() {
        return batchNorm;
    }

    /**
     * Whether layer k is batch-normalized: a hidden layer of a {@link #batchNorm()} model.
     *
     * @param layer k, 0-based
     * @return whether layer k has γ, β and running statistics instead of a bias
     */
    public boolean hasBatchNorm(int layer) {
        return batchNorm && layer < layerCount() - 1;
    }

    /**
     * Where layer k's BN scale γ starts in θ (right after its weight).
     *
     * @param layer k, a BN layer
     * @return the offset in elements
     */
    public int gammaOffset(int layer) {
        requireBatchNorm(layer);
        return biasOffsets[layer];
    }

    /**
     * Where layer k's BN shift β starts in θ (right after γ).
     *
     * @param layer k, a BN layer
     * @return the offset in elements
     */
    public int betaOffset(int layer) {
        requireBatchNorm(layer);
        return biasOffsets[layer] + widths[layer + 1];
    }

    private void requireBatchNorm(int layer) {
        if (!hasBatchNorm(layer)) {
            throw new IllegalArgumentException("layer " + layer + " of " + describe() + " has no batch norm");
        }
    }

    /**
     * All layer widths, input first, output last.
     *
     * @return a copy of the widths
     */
    public int[] widths() {
        return widths.clone();
    }

    /**
     * Parses {@code 256,128}; empty or {@code none} means no hidden layer.
     *
     * @param spec the widths, comma-separated
     * @return the hidden widths
     */
    public static int[] parseHidden(String spec) {
        String s = spec == null ? "" : spec.trim();
        if (s.isEmpty() || s.equalsIgnoreCase("none")) {
            return new int[0];
        }
        List<Integer> out = new ArrayList<>();
        for (String part : s.split(",")) {
            try {
                int w = Integer.parseInt(part.trim());
                if (w <= 0) {
                    throw new NumberFormatException();
                }
                out.add(w);
            } catch (NumberFormatException e) {
                throw new InvalidSettingException("hidden", " '" + spec + "': widths must be positive integers, e.g."
                        + " 256,128");
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Dense layers, hidden and output.
     *
     * @return the number of layers
     */
    public int layerCount() {
        return widths.length - 1;
    }

    /**
     * Features per example.
     *
     * @return the input width
     */
    public int inputDim() {
        return widths[0];
    }

    /**
     * Outputs per example.
     *
     * @return the output width
     */
    public int outputDim() {
        return widths[widths.length - 1];
    }

    /**
     * Inputs of a layer.
     *
     * @param layer k, 0-based
     * @return in_k
     */
    public int fanIn(int layer) {
        return widths[layer];
    }

    /**
     * Outputs of a layer.
     *
     * @param layer k, 0-based
     * @return out_k
     */
    public int fanOut(int layer) {
        return widths[layer + 1];
    }

    /**
     * The hidden layers' widths (empty for a linear model).
     *
     * @return a copy of the widths
     */
    public int[] hiddenWidths() {
        return Arrays.copyOfRange(widths, 1, widths.length - 1);
    }

    /**
     * The activation applied after layer k: the hidden activation, identity for the output layer.
     *
     * @param layer k, 0-based
     * @return φ_k
     */
    public Activation activation(int layer) {
        return layer == layerCount() - 1 ? Activation.IDENTITY : hidden;
    }

    /**
     * The activation of every hidden layer.
     *
     * @return the activation
     */
    public Activation hiddenActivation() {
        return hidden;
    }

    /**
     * The loss (its output nonlinearity fused).
     *
     * @return the loss
     */
    public LossKind loss() {
        return loss;
    }

    /**
     * Where layer k's weight starts in θ.
     *
     * @param layer k, 0-based
     * @return the offset in elements
     */
    public int weightOffset(int layer) {
        return weightOffsets[layer];
    }

    /**
     * Where layer k's bias starts in θ (right after its weight).
     *
     * @param layer k, 0-based, a layer with a bias (not a BN layer: {@link #hasBatchNorm})
     * @return the offset in elements
     */
    public int biasOffset(int layer) {
        if (hasBatchNorm(layer)) {
            throw new IllegalArgumentException("layer " + layer + " of " + describe() + " has no bias (batch norm's"
                    + " β takes its place: betaOffset)");
        }
        return biasOffsets[layer];
    }

    /**
     * The length of θ.
     *
     * @return P
     */
    public int parameterCount() {
        return parameterCount;
    }

    /**
     * The model in one line, e.g. {@code 784-256-10 relu softmax-ce} (what checkpoints store as {@code architecture};
     * {@link #parse} reads it back).
     *
     * @return the description
     */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < widths.length; i++) {
            sb.append(i == 0 ? "" : "-").append(widths[i]);
        }
        return sb + " " + hidden.name().toLowerCase(java.util.Locale.ROOT) + " " + loss.cliName()
                + (batchNorm ? " " + BATCH_NORM_WORD : "");
    }

    /**
     * Initial θ on the host: weights from {@code init} (one seeded stream, layer by layer), biases all
     * {@code biasInit}; BN's γ = 1 and β = 0 (PyTorch's BatchNorm1d), whatever {@code biasInit}. The weights are the
     * same values with and without BN (the stream is the same), so the two start from the same W.
     *
     * @param init the weights' initializer
     * @param biasInit every bias's value
     * @param seed the stream's seed
     * @return θ₀
     */
    public float[] initialParameters(Initializer init, double biasInit, long seed) {
        float[] theta = new float[parameterCount];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        for (int k = 0; k < layerCount(); k++) {
            init.fill(theta, weightOffsets[k], fanIn(k), fanOut(k), rng);
            if (hasBatchNorm(k)) {
                Arrays.fill(theta, gammaOffset(k), gammaOffset(k) + fanOut(k), 1f);
            } else {
                Arrays.fill(theta, biasOffsets[k], biasOffsets[k] + fanOut(k), (float) biasInit);
            }
        }
        return theta;
    }
}
