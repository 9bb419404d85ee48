package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.backend.LossKind;
import io.ravine.data.Normalizer;
import io.ravine.export.CheckpointReader;
import io.ravine.export.ExportSpec;
import io.ravine.train.RunDirectories;
import io.ravine.train.TrainedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The flags of the commands that use a trained model ({@code predict}, {@code evaluate}, {@code export}): the
 * checkpoint, and, for a checkpoint written before Ravine stored the input normalization in it, where the
 * normalization comes from ({@code --normalization FILE} or {@code --no-normalization}; a checkpoint still in its run
 * directory is checked against that run's config.json). A checkpoint that stores its normalization needs neither, and
 * a flag that contradicts what it stores is refused.
 */
final class ModelFlags {
    @Option(names = "--checkpoint", required = true, paramLabel = "FILE",
            description = "a Ravine checkpoint (RUN_DIR/checkpoints/final.safetensors, ...)")
    Path checkpoint;

    @Option(names = "--normalization", paramLabel = "FILE",
            description = "for a checkpoint that does not carry its input normalization: a safetensors file holding"
                    + " normalizer.mean and normalizer.std (F32 [input features]; std as applied)")
    Path normalization;

    @Option(names = "--no-normalization",
            description = "for a checkpoint that does not carry its input normalization: the model was trained with"
                    + " --normalize none and takes its features as they are")
    boolean noNormalization;

    /** Refuses contradictory flags (before anything is read). */
    void validate() {
        if (normalization != null && noNormalization) {
            throw new InvalidInputException("--normalization and --no-normalization do not go together (the first"
                    + " gives the statistics, the second says there are none)");
        }
    }

    /** The files these flags read. */
    Path[] inputs() {
        return normalization == null ? new Path[] {checkpoint} : new Path[] {checkpoint, normalization};
    }

    /** The whole checkpoint, checked, with the normalization it stores or the flags give. */
    ExportSpec spec() {
        validate();
        return resolveNormalization(CheckpointReader.read(checkpoint));
    }

    /**
     * The trained model (on the CPU) the flags name: architecture, θ and the input normalization, so it takes raw
     * features.
     */
    TrainedModel model() {
        ExportSpec spec = spec();
        Normalizer normalizer = spec.normalized() ? Normalizer.ofDivisors(spec.mean(), spec.std())
                : Normalizer.none(spec.inputDim());
        // Classes: a classifier's come from its outputs (K for softmax, 2 for one logistic output); MSE has none.
        int classes = spec.loss() == LossKind.MSE ? 0 : spec.outputDim() == 1 ? 2 : spec.outputDim();
        return spec.batchNorm() == null ? TrainedModel.of(spec.mlp(), spec.theta(), normalizer, classes)
                : TrainedModel.of(spec.mlp(), spec.theta(), spec.batchNorm(), normalizer, classes);
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

}
