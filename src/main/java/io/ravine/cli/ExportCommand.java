package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.export.CheckpointReader;
import io.ravine.export.ExportSpec;
import io.ravine.export.OnnxExport;
import io.ravine.export.TorchExport;
import io.ravine.io.AtomicFiles;
import io.ravine.train.RunDirectories;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ravine export}: a checkpoint as a PyTorch state dict or an ONNX model that takes raw features (docs/export.md).
 * Everything is checked (flags, the output path, the whole checkpoint, the normalization) before the one atomic write.
 */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Export a checkpoint as a PyTorch state dict (safetensors, for nn.Sequential) or an ONNX model;"
                + " both take raw features (the input normalization is inside).")
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "FILE",
            description = "a Ravine checkpoint (RUN_DIR/checkpoints/final.safetensors, ...)")
    Path checkpoint;

    @Option(names = "--format", required = true, paramLabel = "torch|onnx",
            description = "torch: safetensors state dict of nn.Sequential(Linear, act, ..., Linear), the normalization"
                    + " folded into layer 0; onnx: ONNX model (opset 17), the normalization as Sub/Div nodes")
    String format;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "the file to write")
    Path out;

    @Option(names = "--normalization", paramLabel = "FILE",
            description = "for a checkpoint that does not carry its input normalization: a safetensors file holding"
                    + " normalizer.mean and normalizer.std (F32 [input features]; std as applied)")
    Path normalization;

    @Option(names = "--no-normalization",
            description = "for a checkpoint that does not carry its input normalization: the model was trained with"
                    + " --normalize none and takes its features as they are")
    boolean noNormalization;

    @Option(names = "--overwrite", description = "replace --out if it exists")
    boolean overwrite;

    @Override
    public Integer call() {
        String fmt = format.trim().toLowerCase(Locale.ROOT);
        if (!fmt.equals("torch") && !fmt.equals("onnx")) {
            throw new InvalidInputException("--format '" + format + "': expected torch or onnx");
        }
        if (normalization != null && noNormalization) {
            throw new InvalidInputException("--normalization and --no-normalization do not go together (the first"
                    + " gives the statistics, the second says there are none)");
        }
        checkOutput();
        CheckpointReader.Read read = CheckpointReader.read(checkpoint);
        ExportSpec spec = resolveNormalization(read);
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

    /** --out: absent or --overwrite, a file whose directory accepts files, and not one of the inputs. */
    private void checkOutput() {
        for (Path input : normalization == null ? new Path[] {checkpoint} : new Path[] {checkpoint, normalization}) {
            if (sameFile(out, input)) {
                throw new InvalidInputException("--out " + out + " is the input " + input + "; write the export to"
                        + " another file");
            }
        }
        if (!overwrite && Files.exists(out, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(out)) {
            throw new InvalidInputException("--out " + out + " already exists: replace it with --overwrite, or choose"
                    + " another file");
        }
        OutputCheck.requireWritableFile("--out", out);
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            if (Files.exists(a) && Files.exists(b)) {
                return Files.isSameFile(a, b);
            }
        } catch (IOException e) {
            // Unreadable: fall through to comparing the paths.
        }
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    /** The spec with the normalization the checkpoint carries, or the one the flags give where it carries none. */
    private ExportSpec resolveNormalization(CheckpointReader.Read read) {
        String key = CheckpointReader.NORMALIZATION_KEY;
        switch (read.normalization()) {
            case ZSCORE -> {
                if (normalization != null) {
                    throw new InvalidInputException("--normalization " + normalization + ": " + checkpoint
                            + " carries its own input normalization (" + key + " zscore); drop --normalization");
                }
                if (noNormalization) {
                    throw new InvalidInputException("--no-normalization: " + checkpoint + " was trained on z-score"
                            + " normalized inputs and carries the statistics (" + key + " zscore); drop"
                            + " --no-normalization");
                }
                return read.spec();
            }
            case NONE -> {
                if (normalization != null) {
                    throw new InvalidInputException("--normalization " + normalization + ": " + checkpoint
                            + " says its model was trained without input normalization (" + key + " none); drop"
                            + " --normalization");
                }
                return read.spec();
            }
            default -> {
                // A checkpoint in its run directory: the run's config.json says how the model was trained, so a
                // flag that contradicts it is refused (a wrong --no-normalization would export a model that
                // predicts wrongly on every raw input) and a run trained without normalization needs no flag.
                Optional<String> run = runNormalization();
                String config = run.isPresent() ? checkpoint.toAbsolutePath().getParent().getParent()
                        .resolve("config.json").toString() : null;
                if (noNormalization) {
                    if (run.isPresent() && run.get().equals("zscore")) {
                        throw new InvalidInputException("--no-normalization: " + checkpoint + " is of a run trained"
                                + " with --normalize zscore (" + config + "), so its model expects normalized inputs;"
                                + " pass --normalization FILE with the statistics of its training data");
                    }
                    return read.specWithoutNormalization();
                }
                if (normalization == null) {
                    if (run.isPresent() && run.get().equals("none")) {
                        return read.specWithoutNormalization();
                    }
                    throw new InvalidInputException(checkpoint + ": the checkpoint does not carry its input"
                            + " normalization (written before Ravine stored it); pass --normalization FILE (a"
                            + " safetensors file holding " + CheckpointReader.MEAN + " and " + CheckpointReader.STD
                            + ", F32 [" + read.inputDim() + "]) or, for a model trained with --normalize none,"
                            + " --no-normalization");
                }
                if (run.isPresent() && run.get().equals("none")) {
                    throw new InvalidInputException("--normalization " + normalization + ": " + checkpoint
                            + " is of a run trained with --normalize none (" + config + "); drop --normalization");
                }
                float[][] stats = CheckpointReader.readStatistics(normalization, read.inputDim());
                return read.spec(stats[0], stats[1]);
            }
        }
    }

    /**
     * The {@code --normalize} of the run the checkpoint belongs to, when it sits in RUN_DIR/checkpoints/ and
     * RUN_DIR/config.json reads; empty otherwise (a checkpoint copied elsewhere: the flags alone decide).
     */
    private Optional<String> runNormalization() {
        Path dir = checkpoint.toAbsolutePath().normalize().getParent();
        if (dir == null || dir.getFileName() == null || !dir.getFileName().toString().equals("checkpoints")
                || dir.getParent() == null || !Files.isRegularFile(dir.getParent().resolve("config.json"))) {
            return Optional.empty();
        }
        try {
            return Optional.of(RunDirectories.readConfig(dir.getParent()).normalize());
        } catch (InvalidInputException e) {
            return Optional.empty();
        }
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
