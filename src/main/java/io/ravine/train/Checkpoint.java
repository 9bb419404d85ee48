package io.ravine.train;

import io.ravine.InvalidInputException;
import io.ravine.backend.UpdateRule;
import io.ravine.io.SafeTensors;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import io.ravine.optim.IterateAverage;
import io.ravine.optim.OptimizerState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checkpoints as safetensors, loadable by PyTorch's {@code safetensors.torch.load_file} unchanged:
 * {@code layers.{k}.weight} [out, in] and {@code layers.{k}.bias} [out] (PyTorch's {@code nn.Linear} layout, so
 * {@code model.load_state_dict} of an {@code nn.Sequential}-like module with a {@code layers} list maps directly);
 * the optimizer's state vectors as flat {@code optimizer.{name}} (PyTorch's names: exp_avg, exp_avg_sq, …), the
 * step counter as I64 {@code optimizer.step}, and the iterate average as {@code ema.theta}.
 */
public final class Checkpoint {
    private Checkpoint() {
    }

    /** What a checkpoint restores: θ, the optimizer state vectors by name, the step, the iterate average. */
    public record Contents(float[] theta, Map<String, float[]> optimizerState, long step, float[] ema) {
    }

    static void save(Path file, Model model, OptimizerState state, IterateAverage ema, long step,
            Map<String, String> metadata) {
        Mlp mlp = model.mlp();
        float[] theta = model.parameters();
        List<SafeTensors.Entry> entries = new ArrayList<>();
        for (int k = 0; k < mlp.layerCount(); k++) {
            int in = mlp.fanIn(k);
            int out = mlp.fanOut(k);
            float[] w = new float[out * in];
            System.arraycopy(theta, mlp.weightOffset(k), w, 0, w.length);
            float[] b = new float[out];
            System.arraycopy(theta, mlp.biasOffset(k), b, 0, out);
            entries.add(SafeTensors.Entry.f32("layers." + k + ".weight", new long[] {out, in}, w));
            entries.add(SafeTensors.Entry.f32("layers." + k + ".bias", new long[] {out}, b));
        }
        for (Map.Entry<String, float[]> s : state.snapshot().entrySet()) {
            entries.add(SafeTensors.Entry.f32("optimizer." + s.getKey(), new long[] {s.getValue().length},
                    s.getValue()));
        }
        entries.add(SafeTensors.Entry.i64("optimizer.step", new long[] {1}, new long[] {step}));
        if (ema != null) {
            float[] avg = model.backend().toFloatArray(ema.average());
            entries.add(SafeTensors.Entry.f32("ema.theta", new long[] {avg.length}, avg));
        }
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("format", "ravine-checkpoint-1");
        meta.put("optimizer", state.rule().cliName());
        meta.put("step", Long.toString(step));
        try {
            SafeTensors.write(file, entries, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + file, e);
        }
    }

    /** Loads a checkpoint of {@code mlp} trained with {@code rule}; shapes and names are checked. */
    public static Contents load(Path file, Mlp mlp, UpdateRule rule, boolean withEma) {
        SafeTensors.Contents c = read(file);
        float[] theta = new float[mlp.parameterCount()];
        for (int k = 0; k < mlp.layerCount(); k++) {
            int in = mlp.fanIn(k);
            int out = mlp.fanOut(k);
            copyInto(file, c, "layers." + k + ".weight", new long[] {out, in}, theta, mlp.weightOffset(k));
            copyInto(file, c, "layers." + k + ".bias", new long[] {out}, theta, mlp.biasOffset(k));
        }
        Map<String, float[]> state = new LinkedHashMap<>();
        for (String name : rule.stateNames()) {
            float[] v = new float[mlp.parameterCount()];
            copyInto(file, c, "optimizer." + name, new long[] {v.length}, v, 0);
            state.put(name, v);
        }
        float[] ema = null;
        if (withEma) {
            ema = new float[mlp.parameterCount()];
            copyInto(file, c, "ema.theta", new long[] {ema.length}, ema, 0);
        }
        return new Contents(theta, state, step(file, c), ema);
    }

    /** The step a checkpoint was written at. */
    public static long readStep(Path file) {
        return step(file, read(file));
    }

    /** θ alone, flattened in Ravine's layout (for diagnostics that only need parameters). */
    public static float[] loadParameters(Path file, Mlp mlp) {
        SafeTensors.Contents c = read(file);
        float[] theta = new float[mlp.parameterCount()];
        for (int k = 0; k < mlp.layerCount(); k++) {
            copyInto(file, c, "layers." + k + ".weight", new long[] {mlp.fanOut(k), mlp.fanIn(k)}, theta,
                    mlp.weightOffset(k));
            copyInto(file, c, "layers." + k + ".bias", new long[] {mlp.fanOut(k)}, theta, mlp.biasOffset(k));
        }
        return theta;
    }

    private static SafeTensors.Contents read(Path file) {
        try {
            return SafeTensors.read(file);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    private static long step(Path file, SafeTensors.Contents c) {
        SafeTensors.Entry e = c.tensors().get("optimizer.step");
        if (e == null || e.dtype() != SafeTensors.Dtype.I64 || e.elementCount() != 1) {
            throw new InvalidInputException(file + ": no I64 'optimizer.step' in the checkpoint");
        }
        return e.longs()[0];
    }

    private static void copyInto(Path file, SafeTensors.Contents c, String name, long[] shape, float[] dst,
            int offset) {
        SafeTensors.Entry e = c.tensors().get(name);
        if (e == null) {
            throw new InvalidInputException(file + ": tensor '" + name + "' is missing (is this a checkpoint of "
                    + "the same model and optimizer?)");
        }
        if (!java.util.Arrays.equals(e.shape(), shape) || e.dtype() != SafeTensors.Dtype.F32) {
            throw new InvalidInputException(file + ": tensor '" + name + "' is " + e.dtype() + " "
                    + java.util.Arrays.toString(e.shape()) + ", expected F32 " + java.util.Arrays.toString(shape));
        }
        System.arraycopy(e.floats(), 0, dst, offset, e.elementCount());
    }
}
