package io.ravine.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.ravine.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Reading existing run directories: their config (to repeat or resume a run) and their checkpoints. */
public final class RunDirectories {
    /** The names the trainer gives checkpoints: step-%08d (periodic), initial (step 0), final (any step). */
    private static final Pattern STEP_NAME = Pattern.compile("step-(\\d{1,18})\\.safetensors");
    private static final String INITIAL = "initial.safetensors";
    private static final String FINAL = "final.safetensors";

    private RunDirectories() {
    }

    /**
     * Where {@code train --resume --run-dir DIR [--checkpoint NAME]} continues: the run directory, and the
     * checkpoint to load, or null when the run has a config.json but no checkpoint yet (killed before its first one:
     * it starts again from step 0).
     */
    public record ResumePoint(Path runDir, Path checkpoint) {
    }

    /**
     * Resolves where a resume starts: a run directory (its latest checkpoint) or one checkpoint file inside
     * {@code RUN/checkpoints/} (that one).
     *
     * @param path a run directory or a checkpoint in it
     * @return where to resume
     */
    public static ResumePoint resumePoint(Path path) {
        if (Files.isRegularFile(path)) {
            Path parent = path.toAbsolutePath().getParent();
            if (!path.getFileName().toString().endsWith(".safetensors") || parent == null
                    || !parent.getFileName().toString().equals("checkpoints")) {
                throw new InvalidInputException(path + ": not a run directory nor a checkpoint in a"
                        + " run's checkpoints/ directory (RUN/checkpoints/NAME.safetensors)");
            }
            Path runDir = parent.getParent();
            readConfig(runDir);
            return new ResumePoint(runDir, path);
        }
        readConfig(path);
        List<Path> all = checkpoints(path);
        return new ResumePoint(path, all.isEmpty() ? null : all.get(all.size() - 1));
    }

    /**
     * The configuration a run was started with; every problem is one line naming the directory or the file.
     *
     * @param runDir the run directory
     * @return its configuration
     */
    public static TrainConfig readConfig(Path runDir) {
        if (!Files.exists(runDir)) {
            throw new InvalidInputException("run directory " + runDir + " does not exist");
        }
        if (!Files.isDirectory(runDir)) {
            throw new InvalidInputException("run directory " + runDir + " is not a directory");
        }
        Path file = runDir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException(runDir + ": no config.json (not a run directory, or a run that never"
                    + " started)");
        }
        return ConfigFile.read(file);
    }

    /**
     * The result a finished run recorded in its {@code summary.json} (numbers it does not hold, or holds as null,
     * are NaN); one line naming the file when it is missing or unreadable.
     *
     * @param runDir the run directory
     * @return its recorded result
     */
    public static TrainingResult readSummary(Path runDir) {
        Path file = runDir.resolve("summary.json");
        JsonObject s;
        try {
            JsonElement e = JsonParser.parseString(Files.readString(file));
            if (!e.isJsonObject()) {
                throw new InvalidInputException(file + ": not a run's summary (a JSON object)");
            }
            s = e.getAsJsonObject();
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file + ": no such file (the run has not finished)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (JsonParseException e) {
            throw new InvalidInputException(file + ": not valid JSON (" + ConfigFile.jsonProblem(e) + ")", e);
        }
        JsonElement device = s.get("device");
        JsonElement last = s.get("last_good_checkpoint");
        return new TrainingResult((long) number(s, "steps"), number(s, "epochs"), number(s, "final_train_loss"),
                number(s, "final_train_accuracy"), number(s, "test_loss"), number(s, "test_accuracy"),
                number(s, "ema_test_loss"), number(s, "ema_test_accuracy"), number(s, "samples_per_second"), number(s, "train_seconds"),
                device != null && device.isJsonPrimitive() ? device.getAsString() : "",
                null, false, last != null && last.isJsonPrimitive() ? last.getAsString() : null);
    }

    private static double number(JsonObject o, String key) {
        JsonElement v = o.get(key);
        if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            return Double.NaN;
        }
        try {
            return v.getAsDouble();
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /**
     * All checkpoints of a run, by step (ties: final after its step twin). The order comes from the names the
     * trainer gives (step-%08d, initial = 0) and, for final.safetensors and foreign names, from the file's header
     * alone: listing reads no tensor data, so a long run's resume does not read gigabytes and one corrupt old
     * checkpoint does not stop a resume from a newer one (see {@link #stepForOrdering} for unreadable headers).
     *
     * @param runDir the run directory
     * @return its checkpoints, oldest step first
     */
    public static List<Path> checkpoints(Path runDir) {
        Path dir = runDir.resolve("checkpoints");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".safetensors")
                    && !p.getFileName().toString().startsWith(".")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        List<Ordered> ordered = new ArrayList<>();
        for (Path p : files) {
            ordered.add(new Ordered(p, stepForOrdering(p), p.getFileName().toString().equals(FINAL)));
        }
        ordered.sort(Comparator.comparingLong(Ordered::step).thenComparing(Ordered::isFinal)
                .thenComparing(o -> o.path().getFileName().toString()));
        return ordered.stream().map(Ordered::path).toList();
    }

    private record Ordered(Path path, long step, boolean isFinal) {
    }

    /**
     * The step a checkpoint sorts by. From the name where the trainer's naming gives it; otherwise from the header.
     * A final.safetensors whose header cannot be read sorts last (it is the last file a run writes), so resuming
     * reports its corruption instead of silently going back to an older checkpoint; the user can then name an
     * older one with {@code --resume --run-dir RUN --checkpoint step-N}. Other unreadable foreign files sort
     * first, out of the way.
     */
    static long stepForOrdering(Path checkpoint) {
        String name = checkpoint.getFileName().toString();
        Matcher m = STEP_NAME.matcher(name);
        if (m.matches()) {
            return Long.parseLong(m.group(1));
        }
        if (name.equals(INITIAL)) {
            return 0;
        }
        try {
            return Checkpoint.readStepFromHeader(checkpoint);
        } catch (InvalidInputException e) {
            return name.equals(FINAL) ? Long.MAX_VALUE : -1;
        }
    }

    /**
     * The checkpoint with the highest step.
     *
     * @param runDir the run directory
     * @return the latest checkpoint
     */
    public static Path latestCheckpoint(Path runDir) {
        List<Path> all = checkpoints(runDir);
        if (all.isEmpty()) {
            throw new InvalidInputException("no checkpoint in " + runDir.resolve("checkpoints")
                    + " to resume from (train with --checkpoint-every N)");
        }
        return all.get(all.size() - 1);
    }

    /**
     * The step a checkpoint was written at (its {@code optimizer.step} tensor; reads and verifies the file).
     *
     * @param checkpoint a checkpoint file
     * @return its step
     */
    public static long stepOf(Path checkpoint) {
        return Checkpoint.readStep(checkpoint);
    }
}
