package io.ravine.train;

import io.ravine.InvalidSettingException;
import io.ravine.InvalidSettingException.Setting;
import io.ravine.backend.UpdateRule;
import io.ravine.nn.Mlp;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a model, its optimizer state and its batches will take, checked against what this JVM can hold before any of
 * it is allocated, so a model that cannot fit is one line naming {@code hidden} (or {@code batchSize}, when the
 * activations are what is too big) and the sizes, and never an internal error or a heap exhausted half-way.
 *
 * <p>Two rules:
 * <ol>
 *   <li><b>One tensor.</b> The CPU backend keeps each tensor in one direct buffer, whose size is an {@code int}: a
 *       parameter vector or an activation matrix over 2 GiB (2³¹ − 1 bytes) cannot exist.</li>
 *   <li><b>All of it.</b> θ, its gradient, the optimizer's state vectors and the iterate average (one vector each), and
 *       the activations and deltas of the training and evaluation batches, live in direct buffers on the CPU
 *       (limited by {@code -XX:MaxDirectMemorySize}, by default the heap's maximum); a checkpoint copies θ, the state
 *       and the average to the heap once more. Either sum above its pool is refused. On CUDA the device holds
 *       the tensors and the backend reports device memory itself; the heap rule still applies.</li>
 * </ol>
 * Each sum is compared with the whole pool (the data set and the JVM's own use come on top), so a refusal is certain
 * and an acceptance is not a promise: Main's out-of-memory net stays under it.
 */
public final class MemoryBudget {
    /** Largest tensor the CPU backend can allocate: one direct buffer, sized by an int. */
    public static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE;
    private static final double GIB = 1024.0 * 1024 * 1024;

    /** What a run allocates for its model. */
    record Need(long parameterBytes, long activationBytes) {
        long total() {
            return parameterBytes + activationBytes;
        }
    }

    private MemoryBudget() {
    }

    /**
     * Refuses, with one line naming {@code hidden} (or the batch setting) and the sizes, a model trained with
     * {@code rule} (and an iterate average when {@code ema}) on batches of {@code batchRows} rows and evaluated on
     * batches of {@code evalRows} that this JVM cannot allocate.
     *
     * @param mlp the model
     * @param rule the update rule (its state vectors are parameter-sized)
     * @param ema whether an iterate average is kept
     * @param elementBytes bytes per value on the backend (4 for float32)
     * @param cpu whether the backend keeps tensors in this JVM's direct memory (the CPU) rather than on a device
     * @param batchFlag the setting that set {@code batchRows}, for the message ({@code batchSize}; a front end renders
     *     it with its own name, see {@link InvalidSettingException#messageNaming})
     * @param batchRows rows of the training batch ({@code batchSize}, or the training set for full batch)
     * @param fullBatch whether {@code batchRows} comes from a batch size of 0 (the full set)
     * @param evalRows rows of the evaluation batches
     */
    public static void check(Mlp mlp, UpdateRule rule, boolean ema, int elementBytes, boolean cpu, String batchFlag,
            int batchRows, boolean fullBatch, int evalRows) {
        int stateVectors = rule.stateNames().length;
        List<String> what = new ArrayList<>(List.of("θ", "its gradient"));
        if (stateVectors > 0) {
            what.add(rule.cliName() + "'s " + stateVectors + " state vector" + (stateVectors > 1 ? "s" : ""));
        }
        if (ema) {
            what.add("the iterate average");
        }
        check(mlp, elementBytes, cpu, 2 + stateVectors + (ema ? 1 : 0), String.join(", ", what.subList(0,
                what.size() - 1)) + " and " + what.get(what.size() - 1), batchFlag, batchRows, fullBatch, evalRows,
                directLimit(), Runtime.getRuntime().maxMemory());
    }

    /**
     * {@link #check} with the JVM's limits given (tests). The limits are the whole pools, not what is free now:
     * direct buffers and heap objects that are garbage are reclaimed when an allocation needs them, so only a need
     * above the whole pool is certain to fail.
     */
    static void check(Mlp mlp, int elementBytes, boolean cpu, int vectors, String vectorsWhat, String batchFlag,
            int batchRows, boolean fullBatch, int evalRows, long directLimit, long heapLimit) {
        // The settings are named apart from the text (InvalidSettingException): the library says hidden and
        // batchSize, the CLI --hidden and --batch-size.
        Setting hiddenSetting = InvalidSettingException.setting("hidden");
        Setting batchSetting = InvalidSettingException.setting(batchFlag);
        Object[] hidden = {hiddenSetting, " " + (mlp.hiddenWidths().length == 0 ? "none"
                : Arrays.stream(mlp.hiddenWidths()).mapToObj(Integer::toString).collect(Collectors.joining(",")))};
        Object[] batch = {batchSetting, " " + (fullBatch ? "full (" + batchRows + " rows)"
                : Integer.toString(batchRows))};
        Object[] batchWithHidden = concat(batch, new Object[] {" with "}, hidden);
        long p = mlp.parameterCount();
        long vectorBytes = p * elementBytes;
        if (cpu && vectorBytes > MAX_TENSOR_BYTES) {
            throw InvalidSettingException.of(concat(hidden, new Object[] {String.format(Locale.ROOT, ": the model %s"
                    + " has %d parameters, a %s vector of %s, more than the 2 GiB one tensor may hold (at most %d"
                    + " parameters); use a smaller ", mlp.describe(), p, elementBytes == 4 ? "float32" : "float64",
                    gib(vectorBytes), MAX_TENSOR_BYTES / elementBytes), hiddenSetting}));
        }
        int rows = Math.max(batchRows, evalRows);
        boolean byBatch = batchRows >= evalRows;
        if (cpu) {
            for (int k = -1; k < mlp.layerCount(); k++) {
                long width = k < 0 ? mlp.inputDim() : mlp.fanOut(k);
                long bytes = (long) rows * width * elementBytes;
                if (bytes > MAX_TENSOR_BYTES) {
                    String what = k < 0 ? "the input" : "layer " + (k + 1) + "'s activations";
                    throw InvalidSettingException.of(concat(byBatch ? batchWithHidden : hidden, new Object[] {
                            String.format(Locale.ROOT, ": %s for %s rows are [%d, %d] values, %s, more than the 2 GiB"
                            + " one tensor may hold; use a smaller ", what, byBatch ? "batches of " + rows
                                    : "evaluation batches of " + rows, rows, width, gib(bytes)),
                            byBatch ? batchSetting : hiddenSetting}));
                }
            }
        }
        long activations = activationBytes(mlp, batchRows, elementBytes)
                + (evalRows != batchRows ? activationBytes(mlp, evalRows, elementBytes) : 0);
        Need need = new Need(vectors * vectorBytes, activations);
        if (cpu && need.total() > directLimit) {
            throw tooBig(hidden, batchWithHidden, batchSetting, hiddenSetting, mlp, vectorsWhat, need, directLimit,
                    "direct memory (-XX:MaxDirectMemorySize, by default -Xmx)", byBatch);
        }
        // A checkpoint copies θ (twice: the flat vector and its per-layer tensors), the state and the average
        // to the heap as float32: as many copies as the backend holds vectors (θ, gradient, state, average).
        long heap = (long) vectors * p * 4;
        if (heap > heapLimit) {
            throw InvalidSettingException.of(concat(hidden, new Object[] {String.format(Locale.ROOT, ": the model %s"
                    + " has %d parameters; a checkpoint copies θ and the optimizer's state to the heap, %d float32"
                    + " vectors of them, %s, but this JVM's heap holds at most %s; use a smaller ", mlp.describe(), p,
                    vectors, gib(heap), gib(heapLimit)), hiddenSetting, ", or raise -Xmx"}));
        }
    }

    private static InvalidSettingException tooBig(Object[] hidden, Object[] batchWithHidden, Setting batchSetting,
            Setting hiddenSetting, Mlp mlp, String vectorsWhat, Need need, long limit, String pool, boolean byBatch) {
        boolean activationsDominate = need.activationBytes() > need.parameterBytes();
        boolean batchIsTheCulprit = activationsDominate && byBatch;
        Object[] fix = batchIsTheCulprit ? new Object[] {batchSetting, " or ", hiddenSetting}
                : new Object[] {hiddenSetting};
        return InvalidSettingException.of(concat(batchIsTheCulprit ? batchWithHidden : hidden,
                new Object[] {String.format(Locale.ROOT, ": the model %s needs %s (%s for %s, %d values each; %s for"
                + " the batches' activations), but this JVM holds at most %s of %s; use a smaller ", mlp.describe(),
                gib(need.total()), gib(need.parameterBytes()), vectorsWhat, mlp.parameterCount(),
                gib(need.activationBytes()), gib(limit), pool)}, fix, new Object[] {", or raise -Xmx"}));
    }

    private static Object[] concat(Object[]... parts) {
        return Arrays.stream(parts).flatMap(Arrays::stream).toArray();
    }

    /** As {@code Model.workspaceBytes}: input, targets, losses, and each layer's activations and deltas. */
    private static long activationBytes(Mlp mlp, int rows, int elementBytes) {
        long perRow = mlp.inputDim() + (mlp.loss().classIndexTarget() ? 1 : mlp.outputDim()) + 1;
        for (int k = 0; k < mlp.layerCount(); k++) {
            perRow += 2L * mlp.fanOut(k);
        }
        return perRow * rows * elementBytes;
    }

    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / GIB);
    }

    /** The most direct memory this JVM may allocate: -XX:MaxDirectMemorySize, by default the heap's maximum. */
    static long directLimit() {
        try {
            com.sun.management.HotSpotDiagnosticMXBean hs = ManagementFactory.getPlatformMXBean(
                    com.sun.management.HotSpotDiagnosticMXBean.class);
            long set = Long.parseLong(hs.getVMOption("MaxDirectMemorySize").getValue());
            if (set > 0) {
                return set;
            }
        } catch (RuntimeException | LinkageError e) {
            // Not HotSpot: the default below.
        }
        return Runtime.getRuntime().maxMemory();
    }
}
