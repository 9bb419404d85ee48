package io.ravine.export;

import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.data.Normalizer;
import io.ravine.io.ParseErrors;
import io.ravine.io.SafeTensors;
import io.ravine.nn.Mlp;
import io.ravine.train.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * Reads what an export needs from a Ravine checkpoint, checking everything before anything is converted; each
 * problem is one {@link InvalidInputException} naming the file, the rule and the value.
 *
 * <ul>
 *   <li>The architecture from the {@code architecture} metadata Ravine writes ({@code 784-64-10 relu softmax-ce}:
 *       widths, hidden activation, loss).</li>
 *   <li>θ from {@code layers.k.weight} [out_k, in_k] and {@code layers.k.bias} [out_k], F32 and finite, for exactly
 *       the architecture's layers (a missing layer, a shape that does not chain, or a layer beyond the last is
 *       refused). Optimizer state and the iterate average are not read.</li>
 *   <li>The input normalization, where the checkpoint carries it: tensors {@value #MEAN} and {@value #STD} (F32
 *       [inputDim]; the std is the divisor Ravine applies, at least {@link Normalizer#MIN_STD}) with metadata
 *       {@value #NORMALIZATION_KEY} = {@code zscore}, or {@value #NORMALIZATION_KEY} = {@code none} and no tensors.
 *       Checkpoints written before Ravine stored it carry neither: {@link Read#normalization()} is then
 *       {@link Stored#ABSENT}, and the caller supplies the statistics ({@link #readStatistics}) or says the model
 *       takes its inputs as they are.</li>
 *   <li>The checksum: a file of format {@code ravine-checkpoint-N} (N ≥ 2) must carry its CRC32C, which
 *       {@link SafeTensors#read} verifies.</li>
 * </ul>
 */
public final class CheckpointReader {
    /** Metadata naming the stored normalization: {@code zscore} or {@code none}. */
    public static final String NORMALIZATION_KEY = "ravine.normalization";
    /** The per-feature means. */
    public static final String MEAN = "normalizer.mean";
    /** The per-feature divisors (std after {@link Normalizer#MIN_STD}'s rule). */
    public static final String STD = "normalizer.std";

    private CheckpointReader() {
    }

    /** What the checkpoint says about its input normalization. */
    public enum Stored {
        /** z-score statistics stored in the file. */
        ZSCORE,
        /** The file says the model was trained on inputs as they are. */
        NONE,
        /** The file says nothing (written before Ravine stored the normalization). */
        ABSENT
    }

    /**
     * A checked checkpoint: architecture, θ and, when {@link Stored#ZSCORE}, the statistics (else null).
     */
    public record Read(Path file, int[] widths, Activation hidden, LossKind loss, float[] theta, Stored normalization,
            float[] mean, float[] std, io.ravine.nn.BatchNormBuffers batchNorm) {

        /** The spec with the checkpoint's own normalization ({@link Stored#ZSCORE} or {@link Stored#NONE}). */
        public ExportSpec spec() {
            if (normalization == Stored.ABSENT) {
                throw new IllegalStateException(file + " carries no normalization: supply it");
            }
            return new ExportSpec(widths, hidden, loss, theta, mean, std, batchNorm);
        }

        /** The spec with statistics from elsewhere (a checkpoint that carries none). */
        public ExportSpec spec(float[] statsMean, float[] statsStd) {
            return new ExportSpec(widths, hidden, loss, theta, statsMean, statsStd, batchNorm);
        }

        /** The spec of a model that takes its inputs as they are. */
        public ExportSpec specWithoutNormalization() {
            return new ExportSpec(widths, hidden, loss, theta, null, null, batchNorm);
        }

        public int inputDim() {
            return widths[0];
        }
    }

    /** Reads and checks {@code file} (see the class comment). */
    public static Read read(Path file) {
        SafeTensors.Contents c = contents(file);
        Map<String, String> meta = c.metadata();
        String format = meta.get("format");
        if (TorchExport.FORMAT.equals(format)) {
            throw new InvalidInputException(file + ": an exported PyTorch state dict (format " + format + "), not a"
                    + " Ravine checkpoint: export the checkpoint it came from");
        }
        if (format != null && !format.startsWith("ravine-checkpoint-")) {
            throw new InvalidInputException(file + ": format '" + oneLine(format) + "' is not a Ravine checkpoint"
                    + " (expected " + Checkpoint.FORMAT + ")");
        }
        if (format != null && !format.equals(Checkpoint.FORMAT_UNCHECKED) && !c.checksummed()) {
            throw new InvalidInputException(file + ": checksum missing (the file is corrupt: a " + oneLine(format)
                    + " checkpoint always carries " + SafeTensors.CHECKSUM_KEY + ")");
        }
        String arch = meta.get("architecture");
        if (arch == null) {
            throw new InvalidInputException(file + ": no 'architecture' metadata (Ravine writes e.g. '784-64-10 relu"
                    + " softmax-ce'): not a Ravine checkpoint, or a damaged one");
        }
        Mlp mlp = architecture(file, arch);
        int[] widths = new int[mlp.layerCount() + 1];
        for (int k = 0; k < mlp.layerCount(); k++) {
            widths[k] = mlp.fanIn(k);
        }
        widths[widths.length - 1] = mlp.outputDim();

        float[] theta = new float[mlp.parameterCount()];
        for (int k = 0; k < mlp.layerCount(); k++) {
            copy(file, c, arch, "layers." + k + ".weight", new long[] {mlp.fanOut(k), mlp.fanIn(k)}, theta,
                    mlp.weightOffset(k));
            if (mlp.hasBatchNorm(k)) {
                copy(file, c, arch, Checkpoint.normKey(k, "weight"), new long[] {mlp.fanOut(k)}, theta,
                        mlp.gammaOffset(k));
                copy(file, c, arch, Checkpoint.normKey(k, "bias"), new long[] {mlp.fanOut(k)}, theta,
                        mlp.betaOffset(k));
            } else {
                copy(file, c, arch, "layers." + k + ".bias", new long[] {mlp.fanOut(k)}, theta, mlp.biasOffset(k));
            }
        }
        io.ravine.nn.BatchNormBuffers batchNorm = mlp.batchNorm() ? Checkpoint.batchNormBuffers(file, c, mlp) : null;
        for (String name : c.tensors().keySet()) {
            if (name.matches("layers\\.\\d+\\.bias") && layerIndex(name) < mlp.layerCount()
                    && mlp.hasBatchNorm(layerIndex(name))) {
                throw new InvalidInputException(file + ": tensor '" + oneLine(name) + "' is a bias of a batch-norm"
                        + " layer of '" + arch + "', which has none (a mismatched or damaged checkpoint)");
            }
            if (name.startsWith("layers.") && !name.matches("layers\\.(\\d+)\\.(weight|bias)")
                    || name.matches("layers\\.\\d+\\..*") && layerIndex(name) >= mlp.layerCount()) {
                throw new InvalidInputException(file + ": tensor '" + oneLine(name) + "' is not a parameter of the "
                        + "architecture '" + arch + "', which has " + mlp.layerCount() + " layer(s), layers.0 to layers."
                        + (mlp.layerCount() - 1) + " (a mismatched or damaged checkpoint)");
            }
        }

        String kind = meta.get(NORMALIZATION_KEY);
        boolean hasStats = c.tensors().containsKey(MEAN) || c.tensors().containsKey(STD);
        Stored stored;
        if (kind == null) {
            stored = hasStats ? Stored.ZSCORE : Stored.ABSENT;
        } else {
            stored = switch (kind) {
                case "zscore" -> Stored.ZSCORE;
                case "none" -> Stored.NONE;
                default -> throw new InvalidInputException(file + ": metadata " + NORMALIZATION_KEY + " is '"
                        + oneLine(kind) + "', expected zscore or none");
            };
        }
        if (stored == Stored.NONE && hasStats) {
            throw new InvalidInputException(file + ": metadata " + NORMALIZATION_KEY + " says none, yet the file holds "
                    + MEAN + "/" + STD + " (a damaged or hand-made checkpoint)");
        }
        float[] mean = null;
        float[] std = null;
        if (stored == Stored.ZSCORE) {
            mean = statistic(file, c, MEAN, widths[0], "checkpoint of " + arch);
            std = statistic(file, c, STD, widths[0], "checkpoint of " + arch);
            checkStatistics(file, mean, std);
        }
        return new Read(file, widths, mlp.hiddenActivation(), mlp.loss(), theta, stored, mean, std, batchNorm);
    }

    /**
     * The normalization statistics in {@code file}: tensors {@value #MEAN} and {@value #STD}, F32 [{@code inputDim}]
     * (a checkpoint that carries them, or a file holding only them); other tensors are ignored.
     *
     * @return {mean, std}
     */
    public static float[][] readStatistics(Path file, int inputDim) {
        SafeTensors.Contents c = contents(file);
        if ("none".equals(c.metadata().get(NORMALIZATION_KEY))) {
            throw new InvalidInputException(file + ": metadata " + NORMALIZATION_KEY + " says none: it holds no"
                    + " normalization statistics");
        }
        String what = "normalization file for " + inputDim + " input features";
        float[] mean = statistic(file, c, MEAN, inputDim, what);
        float[] std = statistic(file, c, STD, inputDim, what);
        checkStatistics(file, mean, std);
        return new float[][] {mean, std};
    }

    private static SafeTensors.Contents contents(Path file) {
        try {
            return SafeTensors.read(file);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + file + ": " + ParseErrors.io(e), e);
        }
    }

    /** {@code 784-64-10 relu softmax-ce} → the Mlp. */
    static Mlp architecture(Path file, String arch) {
        String[] parts = arch.trim().split(" ");
        String bad = file + ": metadata architecture '" + oneLine(arch) + "' ";
        boolean batchNorm = parts.length == 4 && parts[3].equals(Mlp.BATCH_NORM_WORD);
        if (parts.length != 3 && !batchNorm) {
            throw new InvalidInputException(bad + "is not 'WIDTHS ACTIVATION LOSS [batch-norm]' (e.g. '784-64-10 relu"
                    + " softmax-ce')");
        }
        String[] w = parts[0].split("-", -1);
        if (w.length < 2) {
            throw new InvalidInputException(bad + "has " + w.length + " width(s); a model needs input and output"
                    + " widths (e.g. 784-64-10)");
        }
        int[] widths = new int[w.length];
        for (int i = 0; i < w.length; i++) {
            try {
                widths[i] = Integer.parseInt(w[i]);
            } catch (NumberFormatException e) {
                widths[i] = -1;
            }
            if (widths[i] <= 0) {
                throw new InvalidInputException(bad + "has width '" + w[i] + "' (widths are positive integers)");
            }
        }
        Activation hidden;
        try {
            hidden = Activation.valueOf(parts[1].toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(bad + "names unknown activation '" + parts[1]
                    + "' (expected identity, logistic, tanh or relu)");
        }
        LossKind loss;
        try {
            loss = LossKind.parse(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(bad + "names unknown loss '" + parts[2]
                    + "' (expected softmax-ce, logistic-ce or mse)");
        }
        try {
            return new Mlp(widths[0], Arrays.copyOfRange(widths, 1, widths.length - 1), widths[widths.length - 1],
                    hidden, loss, batchNorm);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(bad + "is not a model Ravine can hold: " + e.getMessage(), e);
        }
    }

    private static void copy(Path file, SafeTensors.Contents c, String arch, String name, long[] shape, float[] dst,
            int offset) {
        SafeTensors.Entry e = c.tensors().get(name);
        if (e == null) {
            throw new InvalidInputException(file + ": tensor '" + name + "' is missing (the architecture '" + arch
                    + "' needs F32 " + Arrays.toString(shape) + ")");
        }
        if (e.dtype() != SafeTensors.Dtype.F32 || !Arrays.equals(e.shape(), shape)) {
            throw new InvalidInputException(file + ": tensor '" + name + "' is " + e.dtype() + " "
                    + Arrays.toString(e.shape()) + ", the architecture '" + arch + "' needs F32 "
                    + Arrays.toString(shape) + " (the layers do not chain as the metadata says: a mismatched or"
                    + " damaged checkpoint)");
        }
        float[] v = e.floats();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new InvalidInputException(file + ": tensor '" + name + "' holds " + v[i] + " at element " + i
                        + " (not finite: a checkpoint of a diverged run? export an earlier one)");
            }
        }
        System.arraycopy(v, 0, dst, offset, v.length);
    }

    private static float[] statistic(Path file, SafeTensors.Contents c, String name, int dim, String what) {
        SafeTensors.Entry e = c.tensors().get(name);
        if (e == null) {
            throw new InvalidInputException(file + ": tensor '" + name + "' is missing (a " + what + " holds "
                    + MEAN + " and " + STD + ", F32 [" + dim + "])");
        }
        if (e.dtype() != SafeTensors.Dtype.F32 || e.shape().length != 1 || e.shape()[0] != dim) {
            throw new InvalidInputException(file + ": tensor '" + name + "' is " + e.dtype() + " "
                    + Arrays.toString(e.shape()) + ", the model's " + dim + " input features need F32 [" + dim + "]");
        }
        return e.floats();
    }

    private static void checkStatistics(Path file, float[] mean, float[] std) {
        for (int j = 0; j < mean.length; j++) {
            if (!Float.isFinite(mean[j])) {
                throw new InvalidInputException(file + ": " + MEAN + "[" + j + "] is " + mean[j] + " (not finite)");
            }
            if (!(std[j] >= Normalizer.MIN_STD) || !Float.isFinite(std[j])) {
                throw new InvalidInputException(file + ": " + STD + "[" + j + "] is " + std[j] + "; it holds the"
                        + " divisors Ravine applies, finite and at least " + Normalizer.MIN_STD + " (a feature with a"
                        + " smaller standard deviation is only centred: its divisor is 1)");
            }
        }
    }

    private static int layerIndex(String name) {
        String digits = name.substring("layers.".length(), name.indexOf('.', "layers.".length()));
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    private static String oneLine(String s) {
        String t = s.replaceAll("[\\p{Cntrl}]", "?");
        return t.length() > 80 ? t.substring(0, 77) + "..." : t;
    }
}
