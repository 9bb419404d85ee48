package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.export.ExportSpec;
import io.ravine.export.OnnxExport;
import io.ravine.export.TorchExport;
import io.ravine.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ravine export}: a checkpoint as a PyTorch state dict or an ONNX model that takes raw features (docs/export.md).
 * Everything is checked (flags, the output path, the whole checkpoint, the normalization) before the one atomic write.
 */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Export a checkpoint as a PyTorch state dict (safetensors, for nn.Sequential) or an ONNX model;"
                + " both take raw features (the input normalization is inside).")
public final class ExportCommand implements Callable<Integer> {
    @Mixin
    ModelFlags model;

    @Option(names = "--format", required = true, paramLabel = "torch|onnx",
            description = "torch: safetensors state dict of nn.Sequential(Linear, act, ..., Linear), the normalization"
                    + " folded into layer 0; onnx: ONNX model (opset 17), the normalization as Sub/Div nodes")
    String format;

    @Mixin
    OutputFileFlags output;

    @Override
    public Integer call() {
        String fmt = format.trim().toLowerCase(Locale.ROOT);
        if (!fmt.equals("torch") && !fmt.equals("onnx")) {
            throw new InvalidInputException("--format '" + format + "': expected torch or onnx");
        }
        model.validate();
        output.check(model.inputs());
        Path out = output.out;
        ExportSpec spec = model.spec();
        Path checkpoint = model.checkpoint;
        byte[] bytes;
        try {
            bytes = fmt.equals("torch") ? TorchExport.toBytes(spec) : OnnxExport.toBytes(spec);
        } catch (ArithmeticException e) {
            throw new InvalidInputException(checkpoint + ": cannot fold the normalization into layer 0: "
                    + e.getMessage() + " (--format onnx keeps the normalization as separate Sub/Div nodes)", e);
        }
        Path abs = out.toAbsolutePath();
        try {
            Files.createDirectories(abs.getParent());
            AtomicFiles.write(abs, o -> o.write(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write --out " + out, e);
        }
        String file = out.toString();
        if (fmt.equals("torch")) {
            System.out.println("wrote " + file + ": a PyTorch state dict (safetensors) of " + spec.describe()
                    + " for nn.Sequential, keys " + keys(spec) + "; " + (spec.normalized()
                            ? "the z-score normalization is folded into 0.weight and 0.bias, so it takes raw features"
                            : "no input normalization (the model takes its features as they are)"));
            System.out.println("Load it in Python (pip install safetensors):");
            System.out.println();
            System.out.print(TorchExport.pythonSnippet(spec, file));
        } else {
            System.out.println("wrote " + file + ": an ONNX model (IR " + OnnxExport.IR_VERSION + ", opset "
                    + OnnxExport.OPSET + ") of " + spec.describe() + "; input '" + OnnxExport.INPUT + "' [N, "
                    + spec.inputDim() + "] " + (spec.normalized() ? "raw features (the z-score normalization is"
                            + " inside, as Sub and Div nodes)" : "(no input normalization)") + ", output(s) "
                    + String.join(", ", OnnxExport.outputNames(spec.loss()).stream().map(n -> "'" + n + "'")
                            .toList()) + " [N, " + spec.outputDim() + "]");
            System.out.println("Run it in Python (pip install onnxruntime):");
            System.out.println();
            System.out.print(OnnxExport.pythonSnippet(spec, file));
        }
        return 0;
    }

    private static String keys(ExportSpec spec) {
        int last = spec.layerCount() - 1;
        List<String> keys = new java.util.ArrayList<>();
        for (int k = 0; k <= last; k++) {
            if (last < 3 || k == 0 || k == last) {
                keys.add(TorchExport.key(k, "weight") + ", " + TorchExport.key(k, "bias"));
            } else if (k == 1) {
                keys.add("...");
            }
        }
        return String.join(", ", keys);
    }
}
