package io.ravine.train;

import io.ravine.InvalidInputException;
import io.ravine.data.Normalizer;
import io.ravine.backend.UpdateRule;
import io.ravine.io.ParseErrors;
import io.ravine.io.SafeTensors;
import io.ravine.nn.BatchNormBuffers;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import io.ravine.optim.ClosureState;
import io.ravine.optim.IterateAverage;
import io.ravine.optim.OptimizerState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checkpoints as safetensors, loadable by PyTorch's {@code safetensors.torch.load_file} unchanged:
 * {@code layers.{k}.weight} [out, in] and {@code layers.{k}.bias} [out] (PyTorch's {@code nn.Linear} layout, so
 * {@code model.load_state_dict} of an {@code nn.Sequential}-like module with a {@code layers} list maps directly);
 * the optimizer's state vectors as flat {@code optimizer.{name}} (PyTorch's names: exp_avg, exp_avg_sq, …), the
 * step counter as I64 {@code optimizer.step}, and the iterate average as {@code ema.theta}.
 *
 * <p>A model with batch normalization ({@link Mlp#batchNorm()}) stores, for each hidden layer k, {@code layers.k.weight}
 * alone (no bias: {@code nn.Linear(in, out, bias=False)}) and PyTorch's {@code nn.BatchNorm1d} state under
 * {@code norms.k.}: {@code weight} (γ) and {@code bias} (β) from θ, and the buffers {@code running_mean},
 * {@code running_var} (F32 [out]) and {@code num_batches_tracked} (I64, shape []): a module with a {@code layers} and
 * a {@code norms} {@code ModuleList} loads it with {@code load_state_dict}. Resume restores the buffers bit for bit.
 *
 * <p>What the model needs to predict is in the file alone:
 * <ul>
 *   <li>metadata {@value #ARCHITECTURE}: the model, {@code 784-256-10 relu softmax-ce} (widths from input to output,
 *       hidden activation, loss; {@link Mlp#parse});</li>
 *   <li>metadata {@value #NORMALIZATION}: {@code zscore} or {@code none}, the input normalization, and for
 *       {@code zscore} the F32 tensors {@value #NORMALIZER_MEAN} and {@value #NORMALIZER_STD} of shape [inputDim]:
 *       the model's input is (x − mean) / std, std being the divisor applied (a feature whose measured standard
 *       deviation is below {@link Normalizer#MIN_STD} has 1); no tensors for {@code none}. Checkpoints written before
 *       this entry have neither, and {@link TrainedModel#load(Path)} refuses them, naming the way to supply the
 *       statistics;</li>
 *   <li>metadata {@value #CLASSES}: the number of classes K of the training labels, 0 for real targets.</li>
 * </ul>
 * Every checkpoint a run writes (initial, step, final) carries them; {@link TrainedModel#save} writes the same file
 * without the optimizer's tensors.
 *
 * <p>Format {@value #FORMAT} files carry {@link SafeTensors}'s CRC32C entry and are refused without it (or with a
 * mismatch), so a flipped bit is an error rather than silently wrong weights; {@value #FORMAT_UNCHECKED} files (older
 * Ravine) and files from other writers load without one. The normalization entries did not change the format:
 * readers that do not know them ignore them. Loading also refuses a checkpoint of another optimizer or
 * architecture, and one holding NaN or Inf, each with a line naming the file.
 */
public final class Checkpoint {
    /** The format Ravine writes: with the checksum entry. */
    public static final String FORMAT = "ravine-checkpoint-2";
    /** The format of checkpoints written before the checksum (still loaded). */
    public static final String FORMAT_UNCHECKED = "ravine-checkpoint-1";
    /** Metadata key of the model's description ({@link Mlp#describe()}). */
    public static final String ARCHITECTURE = "architecture";
    /** Metadata key of the input normalization's kind: {@code zscore} or {@code none}. */
    public static final String NORMALIZATION = "ravine.normalization";
    /** Tensor of the per-feature means subtracted from the raw input (F32 [inputDim], zscore only). */
    public static final String NORMALIZER_MEAN = "normalizer.mean";
    /** Tensor of the per-feature divisors applied after the mean (F32 [inputDim], zscore only). */
    public static final String NORMALIZER_STD = "normalizer.std";
    /** Metadata key of the number of classes of the training labels (0: real targets). */
    public static final String CLASSES = "ravine.classes";

    private Checkpoint() {
    }

    /** What a checkpoint restores: θ, the optimizer state vectors by name, the step, the iterate average. */
    public record Contents(float[] theta, Map<String, float[]> optimizerState, long step, float[] ema,
            BatchNormBuffers batchNorm, ClosureState closureState) {
    }

    /**
     * What a checkpoint holds of the model: its architecture, θ, the input normalization (null when the file
     * predates it) and the number of classes (-1 when the file does not say).
     */
    record Stored(Mlp mlp, float[] theta, BatchNormBuffers batchNorm, Normalizer normalizer, int numClasses) {
    }

    /**
     * The safetensors name of a BN layer's tensor, PyTorch's {@code BatchNorm1d} name under {@code norms.k.}.
     *
     * @param layer k
     * @param param weight, bias, running_mean, running_var or num_batches_tracked
     * @return {@code norms.k.param}
     */
    public static String normKey(int layer, String param) {
        return "norms." + layer + "." + param;
    }

    static void save(Path file, Model model, OptimizerState state, IterateAverage ema, long step,
            Normalizer normalizer, int numClasses, Map<String, String> metadata) {
        Mlp mlp = model.mlp();
        List<SafeTensors.Entry> entries = modelEntries(mlp, model.parameters(), model.batchNormBuffers(), normalizer);
        for (Map.Entry<String, float[]> s : state.snapshot().entrySet()) {
            entries.add(SafeTensors.Entry.f32("optimizer." + s.getKey(), new long[] {s.getValue().length},
                    s.getValue()));
        }
        ClosureState closure = state.closureSnapshot();
        if (closure != null) {
            // L-BFGS's and Newton-CG's own state under torch's names (optimizer.d, optimizer.old_dirs, …).
            closure.vectors().forEach((name, v) -> entries.add(SafeTensors.Entry.f32("optimizer." + name,
                    new long[] {v.length}, v)));
            closure.reals().forEach((name, v) -> entries.add(SafeTensors.Entry.f64("optimizer." + name,
                    new long[] {v.length}, v)));
            closure.counters().forEach((name, v) -> entries.add(SafeTensors.Entry.i64("optimizer." + name,
                    new long[] {v.length}, v)));
        }
        entries.add(SafeTensors.Entry.i64("optimizer.step", new long[] {1}, new long[] {step}));
        if (ema != null) {
            float[] avg = model.backend().toFloatArray(ema.average());
            entries.add(SafeTensors.Entry.f32("ema.theta", new long[] {avg.length}, avg));
        }
        Map<String, String> meta = modelMetadata(mlp, normalizer, numClasses, metadata);
        meta.put("optimizer", state.rule().cliName());
        meta.put("step", Long.toString(step));
        write(file, entries, meta);
    }

    /** A model alone (no optimizer state: it cannot be resumed), as {@link TrainedModel#save} writes it. */
    static void saveModel(Path file, Mlp mlp, float[] theta, BatchNormBuffers batchNorm, Normalizer normalizer,
            int numClasses, Map<String, String> metadata) {
        write(file, modelEntries(mlp, theta, batchNorm, normalizer), modelMetadata(mlp, normalizer, numClasses,
                metadata));
    }

    private static void write(Path file, List<SafeTensors.Entry> entries, Map<String, String> meta) {
        try {
            SafeTensors.write(file, entries, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + file, e);
        }
    }

    private static List<SafeTensors.Entry> modelEntries(Mlp mlp, float[] theta, BatchNormBuffers batchNorm,
            Normalizer normalizer) {
        batchNorm.requireFits(mlp);
        if (normalizer.featureDim() != mlp.inputDim()) {
            throw new IllegalArgumentException("a normalizer of " + normalizer.featureDim() + " features for the"
                    + " model " + mlp.describe());
        }
        List<SafeTensors.Entry> entries = new ArrayList<>();
        for (int k = 0; k < mlp.layerCount(); k++) {
            int in = mlp.fanIn(k);
            int out = mlp.fanOut(k);
            float[] w = new float[out * in];
            System.arraycopy(theta, mlp.weightOffset(k), w, 0, w.length);
            entries.add(SafeTensors.Entry.f32("layers." + k + ".weight", new long[] {out, in}, w));
            if (mlp.hasBatchNorm(k)) {
                long[] shape = {out};
                entries.add(SafeTensors.Entry.f32(normKey(k, "weight"), shape,
                        Arrays.copyOfRange(theta, mlp.gammaOffset(k), mlp.gammaOffset(k) + out)));
                entries.add(SafeTensors.Entry.f32(normKey(k, "bias"), shape,
                        Arrays.copyOfRange(theta, mlp.betaOffset(k), mlp.betaOffset(k) + out)));
                entries.add(SafeTensors.Entry.f32(normKey(k, "running_mean"), shape, batchNorm.runningMean()[k]));
                entries.add(SafeTensors.Entry.f32(normKey(k, "running_var"), shape, batchNorm.runningVar()[k]));
                entries.add(SafeTensors.Entry.i64(normKey(k, "num_batches_tracked"), new long[0],
                        new long[] {batchNorm.batchesTracked()}));
            } else {
                float[] b = new float[out];
                System.arraycopy(theta, mlp.biasOffset(k), b, 0, out);
                entries.add(SafeTensors.Entry.f32("layers." + k + ".bias", new long[] {out}, b));
            }
        }
        if (normalizer.kind() == Normalizer.Kind.ZSCORE) {
            long[] shape = {normalizer.featureDim()};
            entries.add(SafeTensors.Entry.f32(NORMALIZER_MEAN, shape, normalizer.mean()));
            entries.add(SafeTensors.Entry.f32(NORMALIZER_STD, shape, normalizer.scale()));
        }
        return entries;
    }

    private static Map<String, String> modelMetadata(Mlp mlp, Normalizer normalizer, int numClasses,
            Map<String, String> metadata) {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("format", FORMAT);
        meta.put(ARCHITECTURE, mlp.describe());
        meta.put(NORMALIZATION, normalizer.kind().cliName());
        meta.put(CLASSES, Integer.toString(numClasses));
        return meta;
    }

    /**
     * The model in {@code file}: architecture (from its {@value #ARCHITECTURE} metadata), θ, normalization and
     * classes, each checked (integrity, shapes, finiteness), each failure one line naming the file.
     */
    static Stored readModel(Path file) {
        SafeTensors.Contents c = read(file);
        String description = c.metadata().get(ARCHITECTURE);
        if (description == null) {
            throw new InvalidInputException(file + ": no '" + ARCHITECTURE + "' metadata: not a checkpoint Ravine"
                    + " wrote (it names the model, e.g. 784-256-10 relu softmax-ce)");
        }
        Mlp mlp;
        try {
            mlp = Mlp.parse(description);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(file + ": " + e.getMessage(), e);
        }
        float[] theta = parameters(file, c, mlp);
        String kind = c.metadata().get(NORMALIZATION);
        boolean hasTensors = c.tensors().containsKey(NORMALIZER_MEAN) || c.tensors().containsKey(NORMALIZER_STD);
        Normalizer normalizer = null;
        if (kind == null) {
            if (hasTensors) {
                throw new InvalidInputException(file + ": holds normalizer tensors but no '" + NORMALIZATION
                        + "' metadata (a damaged or hand-made checkpoint)");
            }
        } else if (kind.equals(Normalizer.Kind.NONE.cliName())) {
            if (hasTensors) {
                throw new InvalidInputException(file + ": '" + NORMALIZATION + "' is none but the file holds"
                        + " normalizer tensors (a damaged or hand-made checkpoint)");
            }
            normalizer = Normalizer.none(mlp.inputDim());
        } else if (kind.equals(Normalizer.Kind.ZSCORE.cliName())) {
            float[] mean = new float[mlp.inputDim()];
            float[] std = new float[mlp.inputDim()];
            long[] shape = {mlp.inputDim()};
            copyInto(file, c, mlp, NORMALIZER_MEAN, shape, mean, 0);
            copyInto(file, c, mlp, NORMALIZER_STD, shape, std, 0);
            for (int j = 0; j < std.length; j++) {
                if (!(std[j] > 0)) {
                    throw new InvalidInputException(file + ": tensor '" + NORMALIZER_STD + "' holds " + std[j]
                            + " at element " + j + " (a divisor must be positive)");
                }
            }
            normalizer = Normalizer.ofDivisors(mean, std);
        } else {
            throw new InvalidInputException(file + ": '" + NORMALIZATION + "' is '" + kind + "', expected zscore or"
                    + " none");
        }
        String classes = c.metadata().get(CLASSES);
        int numClasses = -1;
        if (classes != null) {
            try {
                numClasses = Integer.parseInt(classes);
            } catch (NumberFormatException e) {
                numClasses = -2;
            }
            if (numClasses < 0) {
                throw new InvalidInputException(file + ": '" + CLASSES + "' is '" + classes + "', not a number of"
                        + " classes ≥ 0");
            }
        }
        return new Stored(mlp, theta, batchNormBuffers(file, c, mlp), normalizer, numClasses);
    }

    /**
     * Loads a checkpoint of {@code mlp} trained with {@code rule}; integrity, optimizer, shapes, names and finiteness
     * are checked, each failure an {@link InvalidInputException} naming the file.
     *
     * @param file the checkpoint
     * @param mlp the run's model
     * @param rule the run's update rule
     * @param withEma whether to read the iterate average
     * @return what it restores
     */
    public static Contents load(Path file, Mlp mlp, UpdateRule rule, boolean withEma) {
        SafeTensors.Contents c = read(file);
        if (c.metadata().get(ARCHITECTURE) != null && c.metadata().get("optimizer") == null
                && !c.tensors().containsKey("optimizer.step")) {
            throw new InvalidInputException(file + ": a trained model without optimizer state (as TrainedModel.save"
                    + " writes it): it predicts, but a run resumes from its own checkpoints");
        }
        String savedRule = c.metadata().get("optimizer");
        if (savedRule != null && !savedRule.equals(rule.cliName())) {
            throw new InvalidInputException(file + ": a checkpoint of optimizer " + savedRule + ", but this run uses "
                    + rule.cliName() + " (its state does not carry over; resume with the run's own checkpoints)");
        }
        float[] theta = parameters(file, c, mlp);
        Map<String, float[]> state = new LinkedHashMap<>();
        for (String name : rule.stateNames()) {
            float[] v = new float[mlp.parameterCount()];
            copyInto(file, c, mlp, "optimizer." + name, new long[] {v.length}, v, 0);
            state.put(name, v);
        }
        float[] ema = null;
        if (withEma) {
            ema = new float[mlp.parameterCount()];
            copyInto(file, c, mlp, "ema.theta", new long[] {ema.length}, ema, 0);
        }
        long step = step(file, c);
        if (step < 0) {
            throw new InvalidInputException(file + ": optimizer.step must be ≥ 0, got " + step);
        }
        String saved = c.metadata().get("step");
        if (saved != null && !saved.equals(Long.toString(step))) {
            throw new InvalidInputException(file + ": optimizer.step " + step + " disagrees with the metadata step '"
                    + saved + "' (the two are written together: a damaged or hand-made checkpoint)");
        }
        return new Contents(theta, state, step, ema, batchNormBuffers(file, c, mlp),
                rule.closureBased() ? closureState(file, c) : null);
    }

    /**
     * The BN buffers of {@code mlp} in a checkpoint's contents (empty for a model without BN), each checked.
     *
     * @param file the file, for messages
     * @param c its contents
     * @param mlp the model it holds
     * @return the buffers
     */
    public static BatchNormBuffers batchNormBuffers(Path file, SafeTensors.Contents c, Mlp mlp) {
        BatchNormBuffers b = BatchNormBuffers.initial(mlp);
        long tracked = 0;
        for (int k = 0; k < mlp.layerCount(); k++) {
            if (!mlp.hasBatchNorm(k)) {
                continue;
            }
            long[] shape = {mlp.fanOut(k)};
            copyInto(file, c, mlp, normKey(k, "running_mean"), shape, b.runningMean()[k], 0);
            copyInto(file, c, mlp, normKey(k, "running_var"), shape, b.runningVar()[k], 0);
            for (int j = 0; j < shape[0]; j++) {
                if (!(b.runningVar()[k][j] >= 0)) {
                    throw new InvalidInputException(file + ": tensor '" + normKey(k, "running_var") + "' holds "
                            + b.runningVar()[k][j] + " at element " + j + " (a variance is ≥ 0)");
                }
            }
            String name = normKey(k, "num_batches_tracked");
            SafeTensors.Entry e = c.tensors().get(name);
            if (e == null || e.dtype() != SafeTensors.Dtype.I64 || e.elementCount() != 1 || e.longs()[0] < 0) {
                throw new InvalidInputException(file + ": no I64 scalar '" + name + "' ≥ 0 in the checkpoint (a"
                        + " batch-norm layer's count of tracked batches)");
            }
            // Every BN layer sees every training batch: one count, stored per layer as PyTorch does.
            if (k > 0 && e.longs()[0] != tracked) {
                throw new InvalidInputException(file + ": '" + name + "' is " + e.longs()[0] + ", layer 0's is "
                        + tracked + " (every batch-norm layer tracks the same batches)");
            }
            tracked = e.longs()[0];
        }
        return new BatchNormBuffers(b.runningMean(), b.runningVar(), tracked);
    }

    /** Every optimizer.* entry but the step, by dtype: F32 vectors, F64 reals, I64 counters (checked by the rule). */
    private static ClosureState closureState(Path file, SafeTensors.Contents c) {
        Map<String, float[]> vectors = new LinkedHashMap<>();
        Map<String, double[]> reals = new LinkedHashMap<>();
        Map<String, long[]> counters = new LinkedHashMap<>();
        for (SafeTensors.Entry e : c.tensors().values()) {
            if (!e.name().startsWith("optimizer.") || e.name().equals("optimizer.step")) {
                continue;
            }
            String name = e.name().substring("optimizer.".length());
            switch (e.dtype()) {
                case F32 -> {
                    float[] v = e.floats();
                    for (int i = 0; i < v.length; i++) {
                        if (!Float.isFinite(v[i])) {
                            throw new InvalidInputException(file + ": tensor '" + e.name() + "' holds " + v[i]
                                    + " at element " + i + " (not finite)");
                        }
                    }
                    vectors.put(name, v);
                }
                case F64 -> reals.put(name, e.doubles());
                case I64 -> counters.put(name, e.longs());
                default -> throw new InvalidInputException(file + ": tensor '" + e.name() + "' is " + e.dtype());
            }
        }
        return new ClosureState(vectors, reals, counters);
    }

    /**
     * Refuses a checkpoint whose step lies outside the run it is loaded into: {@code optimizer.step} must be in
     * [0, {@code totalSteps}], the run's length from its configuration (a step beyond it would "finish" a run that
     * never trained, and drive the step-dependent bias corrections and schedules to where they are meaningless).
     *
     * @param file the checkpoint, for the message
     * @param step its optimizer.step
     * @param totalSteps the run's length
     */
    public static void requireStepWithin(Path file, long step, long totalSteps) {
        if (step < 0 || step > totalSteps) {
            throw new InvalidInputException(file + ": optimizer.step must be between 0 and the run's " + totalSteps
                    + " steps, got " + step + " (a checkpoint past the run's end: of another run, or damaged)");
        }
    }

    /**
     * The step a checkpoint was written at (reads and verifies the whole file).
     *
     * @param file the checkpoint
     * @return its optimizer.step
     */
    public static long readStep(Path file) {
        return step(file, read(file));
    }

    /**
     * The step a checkpoint says it was written at, from its header alone (its {@code step} metadata; files without
     * one are read whole). For ordering many checkpoints without reading gigabytes; {@link #load} verifies.
     *
     * @param file the checkpoint
     * @return its step
     */
    public static long readStepFromHeader(Path file) {
        Map<String, String> meta;
        try {
            meta = SafeTensors.readMetadata(file);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read checkpoint " + file + ": " + ParseErrors.io(e), e);
        }
        String step = meta.get("step");
        if (step == null) {
            return readStep(file);
        }
        try {
            return Long.parseLong(step);
        } catch (NumberFormatException e) {
            throw new InvalidInputException(file + ": metadata step '" + step + "' is not an integer");
        }
    }

    /**
     * θ alone, flattened in Ravine's layout (for diagnostics that only need parameters).
     *
     * @param file the checkpoint
     * @param mlp the model it is of
     * @return θ
     */
    public static float[] loadParameters(Path file, Mlp mlp) {
        return parameters(file, read(file), mlp, true);
    }

    /**
     * θ alone, NaN and ±Inf values included (integrity, names and shapes still checked): for {@code diagnose},
     * whose job includes looking at a checkpoint of a run that blew up and saying what is not finite in it.
     *
     * @param file the checkpoint
     * @param mlp the model it is of
     * @return θ
     */
    public static float[] loadParametersAsStored(Path file, Mlp mlp) {
        return parameters(file, read(file), mlp, false);
    }

    private static float[] parameters(Path file, SafeTensors.Contents c, Mlp mlp) {
        return parameters(file, c, mlp, true);
    }

    private static float[] parameters(Path file, SafeTensors.Contents c, Mlp mlp, boolean requireFinite) {
        float[] theta = new float[mlp.parameterCount()];
        for (int k = 0; k < mlp.layerCount(); k++) {
            copyInto(file, c, mlp, "layers." + k + ".weight", new long[] {mlp.fanOut(k), mlp.fanIn(k)}, theta,
                    mlp.weightOffset(k), requireFinite);
            if (mlp.hasBatchNorm(k)) {
                long[] shape = {mlp.fanOut(k)};
                copyInto(file, c, mlp, normKey(k, "weight"), shape, theta, mlp.gammaOffset(k), requireFinite);
                copyInto(file, c, mlp, normKey(k, "bias"), shape, theta, mlp.betaOffset(k), requireFinite);
            } else {
                copyInto(file, c, mlp, "layers." + k + ".bias", new long[] {mlp.fanOut(k)}, theta,
                        mlp.biasOffset(k), requireFinite);
            }
        }
        return theta;
    }

    static SafeTensors.Contents read(Path file) {
        SafeTensors.Contents c;
        try {
            c = SafeTensors.read(file);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read checkpoint " + file + ": " + ParseErrors.io(e), e);
        }
        // The checksum entry's key is itself a string in the header: a flipped bit there would drop the check
        // without a mismatch, so the format that always has one must have it.
        if (FORMAT.equals(c.metadata().get("format")) && !c.checksummed()) {
            throw new InvalidInputException(file + ": checksum missing (the file is corrupt: a " + FORMAT
                    + " checkpoint always carries " + SafeTensors.CHECKSUM_KEY + ")");
        }
        return c;
    }

    private static long step(Path file, SafeTensors.Contents c) {
        SafeTensors.Entry e = c.tensors().get("optimizer.step");
        if (e == null || e.dtype() != SafeTensors.Dtype.I64 || e.elementCount() != 1) {
            throw new InvalidInputException(file + ": no I64 'optimizer.step' in the checkpoint");
        }
        return e.longs()[0];
    }

    private static void copyInto(Path file, SafeTensors.Contents c, Mlp mlp, String name, long[] shape,
            float[] dst, int offset) {
        copyInto(file, c, mlp, name, shape, dst, offset, true);
    }

    private static void copyInto(Path file, SafeTensors.Contents c, Mlp mlp, String name, long[] shape,
            float[] dst, int offset, boolean requireFinite) {
        SafeTensors.Entry e = c.tensors().get(name);
        String saved = c.metadata().get(ARCHITECTURE);
        String why = saved != null && !saved.equals(mlp.describe())
                ? "wrong architecture: the checkpoint is of " + saved + ", this run's model is " + mlp.describe()
                : "is this a checkpoint of the same model and optimizer?";
        if (e == null) {
            throw new InvalidInputException(file + ": tensor '" + name + "' is missing (" + why + ")");
        }
        if (!Arrays.equals(e.shape(), shape) || e.dtype() != SafeTensors.Dtype.F32) {
            throw new InvalidInputException(file + ": tensor '" + name + "' is " + e.dtype() + " "
                    + Arrays.toString(e.shape()) + ", this run needs F32 " + Arrays.toString(shape) + " ("
                    + (why.startsWith("wrong") ? why : "wrong architecture") + ")");
        }
        float[] values = e.floats();
        for (int i = 0; i < values.length && requireFinite; i++) {
            if (!Float.isFinite(values[i])) {
                throw new InvalidInputException(file + ": tensor '" + name + "' holds " + values[i] + " at element "
                        + i + " (not finite: a checkpoint of a diverged run? resume from an earlier one)");
            }
        }
        System.arraycopy(values, 0, dst, offset, values.length);
    }
}
