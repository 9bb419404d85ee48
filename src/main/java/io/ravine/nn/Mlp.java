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
 */
public final class Mlp {
    private final int[] widths;
    private final Activation hidden;
    private final LossKind loss;
    private final int[] weightOffsets;
    private final int[] biasOffsets;
    private final int parameterCount;

    /**
     * @param inputDim features per example
     * @param hiddenWidths widths of the hidden layers (empty for a linear model)
     * @param outputDim outputs per example
     * @param hidden activation of every hidden layer
     * @param loss the loss (its output nonlinearity is fused into it)
     */
    public Mlp(int inputDim, int[] hiddenWidths, int outputDim, Activation hidden, LossKind loss) {
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
            offset += widths[k + 1];
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
     * {@code architecture} metadata, so a checkpoint names its model by itself.
     *
     * @param description the line
     * @return the model
     * @throws InvalidInputException if the line is not such a description
     */
    public static Mlp parse(String description) {
        String[] parts = description == null ? new String[0] : description.trim().split("\\s+");
        if (parts.length != 3) {
            throw new InvalidInputException("architecture '" + description + "' is not WIDTHS ACTIVATION LOSS (e.g."
                    + " 784-256-10 relu softmax-ce)");
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
                    Activation.parse(parts[1]), LossKind.parse(parts[2]));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("architecture '" + description + "': " + e.getMessage(), e);
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
     * @param layer k, 0-based
     * @return the offset in elements
     */
    public int biasOffset(int layer) {
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
        return sb + " " + hidden.name().toLowerCase(java.util.Locale.ROOT) + " " + loss.cliName();
    }

    /**
     * Initial θ on the host: weights from {@code init} (one seeded stream, layer by layer), biases all
     * {@code biasInit}.
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
            Arrays.fill(theta, biasOffsets[k], biasOffsets[k] + fanOut(k), (float) biasInit);
        }
        return theta;
    }
}
