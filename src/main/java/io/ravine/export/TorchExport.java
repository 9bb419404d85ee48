package io.ravine.export;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.io.SafeTensors;
import io.ravine.io.StrictJson;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ravine export --format torch}: a safetensors state dict of {@code torch.nn.Sequential(Linear, act, Linear,
 * act, ..., Linear)}.
 *
 * <ul>
 *   <li><b>Keys.</b> Ravine's layer k ({@code layers.k.weight} [out, in], {@code layers.k.bias} [out]) becomes
 *       {@code (2k).weight} and {@code (2k).bias}: the Sequential's children are numbered from 0 and every hidden
 *       layer is followed by its activation module ({@code ReLU}, {@code Tanh}, {@code Sigmoid}, or {@code Identity}
 *       for identity), which has no parameters, so the Linear modules sit at 0, 2, 4, ... and
 *       {@code load_state_dict(strict=True)} finds exactly these keys. F32, the shapes of {@code nn.Linear}.</li>
 *   <li><b>Batch normalization.</b> A model trained with {@code --batch-norm} is
 *       {@code Sequential(Linear(bias=False), BatchNorm1d, act, ..., Linear)}: hidden layer k's modules sit at 3k
 *       (Linear, {@code weight} only), 3k + 1 (BatchNorm1d: {@code weight} γ, {@code bias} β, {@code running_mean},
 *       {@code running_var}, {@code num_batches_tracked}) and 3k + 2 (activation); the output Linear at 3(L − 1).
 *       Folding the normalization into layer 0 leaves a constant −W'μ, which BN's running mean takes in
 *       (running_mean' = running_mean + W'μ), so evaluation mode is exact; in training mode the batch mean absorbs
 *       it.</li>
 *   <li><b>Normalization.</b> The z-score normalization is folded into {@code 0.weight} and {@code 0.bias}
 *       ({@link Folding}), so the model takes raw features.</li>
 *   <li><b>Output.</b> The last Linear's output: logits for softmax-ce (probabilities are {@code softmax(dim=1)}) and
 *       logistic-ce ({@code sigmoid}), the predictions themselves for mse.</li>
 *   <li><b>Metadata</b> (safetensors' string → string {@code __metadata__}): {@code format} = {@value #FORMAT},
 *       {@code architecture} (e.g. {@code 784-64-10 relu softmax-ce}), {@code normalization}, and
 *       {@value #SEQUENTIAL_KEY}: strict JSON naming the modules to build and the output nonlinearity
 *       ({@code {"modules": [{"type": "Linear", "args": {"in_features": 784, "out_features": 64}}, {"type": "ReLU",
 *       "args": {}}, ...], "output": "softmax", ...}}), so {@code nn.Sequential(*[getattr(nn, m["type"])(**m["args"])
 *       for m in modules])} rebuilds it. Plus Ravine's CRC32C entry, which other readers ignore.</li>
 * </ul>
 */
public final class TorchExport {
    /** The {@code format} metadata of an exported state dict. */
    public static final String FORMAT = "ravine-torch-export-1";
    /** The metadata key of the JSON description of the Sequential. */
    public static final String SEQUENTIAL_KEY = "ravine.sequential";

    private TorchExport() {
    }

    /** The state-dict key of Ravine's layer {@code layer}'s {@code param} ("weight" or "bias"). */
    public static String key(int layer, String param) {
        return (2 * layer) + "." + param;
    }

    /** The Sequential index of Ravine's layer {@code layer}'s Linear: 2k, or 3k with batch norm. */
    static int linearIndex(ExportSpec spec, int layer) {
        return (spec.batchNorm() != null ? 3 : 2) * layer;
    }

    /** The {@code torch.nn} module class of an activation. */
    public static String module(Activation a) {
        return switch (a) {
            case IDENTITY -> "Identity";
            case LOGISTIC -> "Sigmoid";
            case TANH -> "Tanh";
            case RELU -> "ReLU";
        };
    }

    /** What turns the last layer's output into the model's predictions: softmax, sigmoid or none. */
    public static String output(LossKind loss) {
        return switch (loss) {
            case SOFTMAX_CE -> "softmax";
            case LOGISTIC_CE -> "sigmoid";
            case MSE -> "none";
        };
    }

    /**
     * The tensors in Sequential order, the first layer folded.
     *
     * @throws ArithmeticException where folding overflows float32 (see {@link Folding#fold})
     */
    public static List<SafeTensors.Entry> tensors(ExportSpec spec) {
        List<SafeTensors.Entry> entries = new ArrayList<>();
        int[] widths = spec.widths();
        for (int k = 0; k < spec.layerCount(); k++) {
            int in = widths[k];
            int out = widths[k + 1];
            float[] w = spec.weight(k);
            boolean bn = spec.hasBatchNorm(k);
            float[] b = bn ? new float[out] : spec.bias(k);
            if (k == 0 && spec.normalized()) {
                Folding.Layer folded = Folding.fold(w, b, out, in, spec.mean(), spec.std());
                w = folded.weight();
                b = folded.bias();
            }
            int at = linearIndex(spec, k);
            entries.add(SafeTensors.Entry.f32(at + ".weight", new long[] {out, in}, w));
            if (!bn) {
                entries.add(SafeTensors.Entry.f32(at + ".bias", new long[] {out}, b));
                continue;
            }
            float[] mean = spec.batchNorm().runningMean()[k].clone();
            for (int i = 0; i < out; i++) {
                mean[i] = (float) ((double) mean[i] - b[i]); // b = −W'μ from the fold (0 without one)
            }
            long[] shape = {out};
            String bnAt = (at + 1) + ".";
            entries.add(SafeTensors.Entry.f32(bnAt + "weight", shape, spec.gamma(k)));
            entries.add(SafeTensors.Entry.f32(bnAt + "bias", shape, spec.beta(k)));
            entries.add(SafeTensors.Entry.f32(bnAt + "running_mean", shape, mean));
            entries.add(SafeTensors.Entry.f32(bnAt + "running_var", shape, spec.batchNorm().runningVar()[k]));
            entries.add(SafeTensors.Entry.i64(bnAt + "num_batches_tracked", new long[0],
                    new long[] {spec.batchNorm().batchesTracked()}));
        }
        return entries;
    }

    /** The metadata of the class comment. */
    public static Map<String, String> metadata(ExportSpec spec) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("architecture", spec.describe());
        meta.put("normalization", normalization(spec));
        JsonObject json = new JsonObject();
        json.addProperty("format", FORMAT);
        json.addProperty("architecture", spec.describe());
        JsonArray modules = new JsonArray();
        int[] widths = spec.widths();
        for (int k = 0; k < spec.layerCount(); k++) {
            JsonObject linear = new JsonObject();
            linear.addProperty("type", "Linear");
            JsonObject args = new JsonObject();
            args.addProperty("in_features", widths[k]);
            args.addProperty("out_features", widths[k + 1]);
            if (spec.hasBatchNorm(k)) {
                args.addProperty("bias", false);
            }
            linear.add("args", args);
            modules.add(linear);
            if (spec.hasBatchNorm(k)) {
                JsonObject bn = new JsonObject();
                bn.addProperty("type", "BatchNorm1d");
                JsonObject bnArgs = new JsonObject();
                bnArgs.addProperty("num_features", widths[k + 1]);
                bnArgs.addProperty("eps", io.ravine.nn.Model.BN_EPS);
                bnArgs.addProperty("momentum", io.ravine.nn.Model.BN_MOMENTUM);
                bn.add("args", bnArgs);
                modules.add(bn);
            }
            if (k < spec.layerCount() - 1) {
                JsonObject act = new JsonObject();
                act.addProperty("type", module(spec.hidden()));
                act.add("args", new JsonObject());
                modules.add(act);
            }
        }
        json.add("modules", modules);
        json.addProperty("output", output(spec.loss()));
        json.addProperty("input", spec.normalized()
                ? "raw features: the z-score normalization is folded into 0.weight and " + foldedInto(spec)
                : "features as given: the model was trained without input normalization");
        meta.put(SEQUENTIAL_KEY, StrictJson.toJson(json).strip());
        return meta;
    }

    /** The file's bytes: {@link #tensors} and {@link #metadata} as safetensors, with Ravine's checksum entry. */
    public static byte[] toBytes(ExportSpec spec) {
        return SafeTensors.toBytes(tensors(spec), metadata(spec));
    }

    /** What the file's normalization is, in words (its {@code normalization} metadata). */
    static String normalization(ExportSpec spec) {
        return spec.normalized() ? "zscore, folded into 0.weight and " + foldedInto(spec) + " (the model takes raw"
                + " features)" : "none";
    }

    /** Where the fold's constant goes: layer 0's bias, or its BatchNorm1d's running mean. */
    private static String foldedInto(ExportSpec spec) {
        return spec.hasBatchNorm(0) ? "1.running_mean" : "0.bias";
    }

    /**
     * Python that builds the Sequential, loads {@code file} into it with {@code strict=True}, and says what goes in
     * and comes out (the {@code safetensors} package's {@code load_file}).
     */
    public static String pythonSnippet(ExportSpec spec, String file) {
        StringBuilder py = new StringBuilder();
        py.append("import torch\n");
        py.append("from safetensors.torch import load_file\n\n");
        py.append("model = torch.nn.Sequential(\n");
        int[] widths = spec.widths();
        for (int k = 0; k < spec.layerCount(); k++) {
            py.append("    torch.nn.Linear(").append(widths[k]).append(", ").append(widths[k + 1])
                    .append(spec.hasBatchNorm(k) ? ", bias=False),\n" : "),\n");
            if (spec.hasBatchNorm(k)) {
                py.append("    torch.nn.BatchNorm1d(").append(widths[k + 1]).append("),\n");
            }
            if (k < spec.layerCount() - 1) {
                py.append("    torch.nn.").append(module(spec.hidden())).append("(),\n");
            }
        }
        py.append(")\n");
        py.append("model.load_state_dict(load_file(").append(pythonString(file)).append("), strict=True)\n");
        py.append("model.eval()\n");
        py.append("# x: a float32 tensor [N, ").append(spec.inputDim()).append("] of ")
                .append(spec.normalized() ? "raw features (the z-score normalization is inside layer 0)"
                        : "features as the model was trained on them (no input normalization)")
                .append("\n");
        switch (spec.loss()) {
            case SOFTMAX_CE -> py.append("# logits = model(x); probabilities = torch.softmax(logits, dim=1)\n");
            case LOGISTIC_CE -> py.append("# logits = model(x); probabilities = torch.sigmoid(logits)\n");
            case MSE -> py.append("# outputs = model(x)\n");
        }
        return py.toString();
    }

    /** {@code s} as a Python string literal (double quotes; backslash, quote and control characters escaped). */
    static String pythonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append(String.format("\\x%02x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
