package io.ravine.train;

import io.ravine.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Reading existing run directories: their config (to repeat or resume a run) and their checkpoints. */
public final class RunDirectories {
    private RunDirectories() {
    }

    /** The configuration a run was started with. */
    public static TrainConfig readConfig(Path runDir) {
        if (!Files.isDirectory(runDir)) {
            throw new InvalidInputException("run directory " + runDir + " does not exist");
        }
        return RunFiles.readConfig(runDir);
    }

    /** All checkpoints of a run, by step (ties: the later-written name, so final wins over its step twin). */
    public static List<Path> checkpoints(Path runDir) {
        Path dir = runDir.resolve("checkpoints");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".safetensors"))
                    .sorted(Comparator.comparingLong(RunDirectories::stepOf)
                            .thenComparing(p -> p.getFileName().toString().startsWith("final")))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /** The checkpoint with the highest step. */
    public static Path latestCheckpoint(Path runDir) {
        List<Path> all = checkpoints(runDir);
        if (all.isEmpty()) {
            throw new InvalidInputException("no checkpoint in " + runDir.resolve("checkpoints")
                    + " to resume from (train with --checkpoint-every N)");
        }
        return all.get(all.size() - 1);
    }

    /** The step a checkpoint was written at (its {@code optimizer.step} tensor). */
    public static long stepOf(Path checkpoint) {
        return Checkpoint.readStep(checkpoint);
    }

}
