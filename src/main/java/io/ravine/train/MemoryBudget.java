package io.ravine.train;

import io.ravine.InvalidSettingException;
import io.ravine.InvalidSettingException.Setting;
import io.ravine.backend.UpdateRule;
import io.ravine.nn.Mlp;
import io.ravine.optim.Optimizer;
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
 *   <li><b>All of it.</b> θ, its gradient, the optimizer's vectors (a fused rule's state; L-BFGS's history and
 *       working vectors; Newton-CG's CG vectors and its curvature batch's activations) and the iterate average (one
 *       vector each), and the activations and deltas of the training and evaluation batches, live in direct buffers
 *       on the CPU
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
     * {@code rule} at its default settings; see {@link #check(Mlp, Optimizer, boolean, int, boolean, String, int,
     * boolean, int)}.
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
        check(mlp, Optimizer.builder(rule).build(), ema, elementBytes, cpu, batchFlag, batchRows, fullBatch,
                evalRows);
    }

    /**
     * Refuses, with one line naming {@code hidden} (or the batch setting) and the sizes, a model trained with
     * {@code opt} (and an iterate average when {@code ema}) on batches of {@code batchRows} rows and evaluated on
     * batches of {@code evalRows} that this JVM cannot allocate. The optimizer's vectors are counted as it allocates
     * them: a fused rule's state vectors; L-BFGS's 2·historySize history vectors (s and y), the spare pair it fills
     * before a pair is kept, and its gradient, saved θ, direction and previous gradient (4), and with the strong-Wolfe
     * search its 5 more (the start point and 4 trial gradients); Newton-CG's 7 (g, x, r, CG's direction, the product,
     * the saved θ and the warm start), the curvature batch's activations of its Gauss-Newton products, and for
     * {@code --curvature hessian} the Hessian product's own 4 vectors and activations.
     *
     * @param mlp the model
     * @param opt the optimizer, with its settings
     * @param ema whether an iterate average is kept
     * @param elementBytes bytes per value on the backend (4 for float32)
     * @param cpu whether the backend keeps tensors in this JVM's direct memory (the CPU) rather than on a device
     * @param batchFlag the setting that set {@code batchRows}, for the message ({@code batchSize}; a front end renders
     *     it with its own name, see {@link InvalidSettingException#messageNaming})
     * @param batchRows rows of the training batch ({@code batchSize}, or the training set for full batch)
     * @param fullBatch whether {@code batchRows} comes from a batch size of 0 (the full set)
     * @param evalRows rows of the evaluation batches
     */
    public static void check(Mlp mlp, Optimizer opt, boolean ema, int elementBytes, boolean cpu, String batchFlag,
            int batchRows, boolean fullBatch, int evalRows) {
        Vectors v = vectors(mlp, opt, ema, batchRows);
        check(mlp, elementBytes, cpu, v.device(), v.heap(), v.what(), v.setting(),
                v.curvatureRowValues() * elementBytes, batchFlag, batchRows, fullBatch, evalRows, directLimit(),
                Runtime.getRuntime().maxMemory());
    }

    /**
     * What an optimizer adds to θ and its gradient: {@code device} θ-sized vectors on the backend (θ and the gradient
     * included), {@code heap} θ-sized float32 copies a checkpoint makes (θ twice, the saved state, the average), how
     * to say them, the values of the curvature products' activations (Newton-CG), and the setting besides
     * {@code hidden} that shrinks them when they dominate (L-BFGS's {@code historySize}), or null.
     */
    record Vectors(int device, int heap, String what, long curvatureRowValues, String setting) {
    }

    static Vectors vectors(Mlp mlp, Optimizer opt, boolean ema, int batchRows) {
        UpdateRule rule = opt.rule();
        List<String> what = new ArrayList<>(List.of("θ", "its gradient"));
        int device = 2;
        int saved;
        long curvature = 0;
        if (rule == UpdateRule.LBFGS) {
            int others = 4 + 2 + (opt.lineSearch() == io.ravine.optim.Lbfgs.LineSearch.STRONG_WOLFE ? 5 : 0);
            device += 2 * opt.historySize() + others;
            saved = 2 * opt.historySize() + 2;
            what.add(String.format(Locale.ROOT, "lbfgs's 2×%d history vectors and %d others", opt.historySize(),
                    others));
        } else if (rule == UpdateRule.NEWTON_CG) {
            device += 7;
            saved = 1;
            long c = Math.min(opt.curvatureBatch(), batchRows);
            long widths = 0;
            for (int k = 0; k < mlp.layerCount(); k++) {
                widths += mlp.fanOut(k);
            }
            if (opt.curvature() == io.ravine.optim.NewtonCg.Curvature.HESSIAN) {
                device += 4;
                what.add("newton-cg's 7 vectors");
                what.add("the Hessian products' 4");
                // Activations and deltas per layer, the chunk's input, targets and losses, 3 first-layer buffers.
                curvature = c * (2 * widths + mlp.inputDim() + mlp.outputDim() + 1 + 3L * mlp.fanOut(0));
            } else {
                what.add("newton-cg's 7 vectors");
                // Activations, their R-forward and backward per layer; 3 score-sized buffers and the losses.
                curvature = c * (3 * widths + 3L * mlp.outputDim() + 1);
            }
        } else {
            int stateVectors = rule.stateNames().length;
            device += stateVectors;
            saved = stateVectors;
            if (stateVectors > 0) {
                what.add(rule.cliName() + "'s " + stateVectors + " state vector" + (stateVectors > 1 ? "s" : ""));
            }
        }
        if (ema) {
            what.add("the iterate average");
            device++;
            saved++;
        }
        // The history is the setting to name once it outnumbers the other vectors (historySize 5 on; 7 with strong
        // Wolfe).
        String setting = rule == UpdateRule.LBFGS && 2 * opt.historySize() > device - 2 * opt.historySize()
                ? "historySize" : null;
        return new Vectors(device, 2 + saved, String.join(", ", what.subList(0, what.size() - 1)) + " and "
                + what.get(what.size() - 1), curvature, setting);
    }

    /**
     * {@link #check} with the JVM's limits given (tests). The limits are the whole pools, not what is free now:
     * direct buffers and heap objects that are garbage are reclaimed when an allocation needs them, so only a need
     * above the whole pool is certain to fail.
     */
    static void check(Mlp mlp, int elementBytes, boolean cpu, int vectors, String vectorsWhat, String batchFlag,
            int batchRows, boolean fullBatch, int evalRows, long directLimit, long heapLimit) {
        check(mlp, elementBytes, cpu, vectors, vectors, vectorsWhat, null, 0, batchFlag, batchRows, fullBatch,
                evalRows, directLimit, heapLimit);
    }

    /**
     * {@link #check} with the JVM's limits given, {@code vectors} θ-sized vectors on the backend, {@code heapVectors}
     * float32 copies of θ's size in a checkpoint, {@code curvatureBytes} of curvature-product activations, and
     * {@code vectorsSetting} (or null) named with {@code hidden} as the fix when the vectors are too many.
     */
    static void check(Mlp mlp, int elementBytes, boolean cpu, int vectors, int heapVectors, String vectorsWhat,
            String vectorsSetting, long curvatureBytes, String batchFlag, int batchRows, boolean fullBatch,
            int evalRows, long directLimit, long heapLimit) {
        // The settings are named apart from the text (InvalidSettingException): the library says hidden and
        // batchSize, the CLI --hidden and --batch-size.
        Setting hiddenSetting = InvalidSettingException.setting("hidden");
        Setting batchSetting = InvalidSettingException.setting(batchFlag);
        Object[] hidden = {hiddenSetting, " " + (mlp.hiddenWidths().length == 0 ? "none"
                : Arrays.stream(mlp.hiddenWidths()).mapToObj(Integer::toString).collect(Collectors.joining(",")))};
        Object[] batch = {batchSetting, " " + (fullBatch ? "full (" + batchRows + " rows)"
                : Integer.toString(batchRows))};
        Object[] batchWithHidden = concat(batch, new Object[] {" with "}, hidden);
        Object[] vectorsFix = vectorsSetting == null ? new Object[] {hiddenSetting}
                : new Object[] {InvalidSettingException.setting(vectorsSetting), " or ", hiddenSetting};
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
                + (evalRows != batchRows ? activationBytes(mlp, evalRows, elementBytes) : 0) + curvatureBytes;
        Need need = new Need(vectors * vectorBytes, activations);
        if (cpu && need.total() > directLimit) {
            throw tooBig(hidden, batchWithHidden, batchSetting, vectorsFix, mlp, vectorsWhat, need, directLimit,
                    "direct memory (-XX:MaxDirectMemorySize, by default -Xmx)", byBatch);
        }
        // A checkpoint copies θ (twice: the flat vector and its per-layer tensors), the state and the average
        // to the heap as float32: as many copies as the backend holds vectors (θ, gradient, state, average).
        long heap = (long) heapVectors * p * 4;
        if (heap > heapLimit) {
            throw InvalidSettingException.of(concat(hidden, new Object[] {String.format(Locale.ROOT, ": the model %s"
                    + " has %d parameters; a checkpoint copies θ and the optimizer's state to the heap, %d float32"
                    + " vectors of them, %s, but this JVM's heap holds at most %s; use a smaller ", mlp.describe(), p,
                    heapVectors, gib(heap), gib(heapLimit))}, vectorsFix, new Object[] {", or raise -Xmx"}));
        }
    }

    private static InvalidSettingException tooBig(Object[] hidden, Object[] batchWithHidden, Setting batchSetting,
            Object[] vectorsFix, Mlp mlp, String vectorsWhat, Need need, long limit, String pool, boolean byBatch) {
        boolean activationsDominate = need.activationBytes() > need.parameterBytes();
        boolean batchIsTheCulprit = activationsDominate && byBatch;
        Object[] fix = batchIsTheCulprit ? new Object[] {batchSetting, " or ", hidden[0]} : vectorsFix;
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
