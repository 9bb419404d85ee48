package io.ravine.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.InvalidInputException;
import io.ravine.io.DirectoryLock;
import io.ravine.optim.Schedules;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a resume may change, and what it may not. A run is its maths: the data, the model, the loss, the
 * initialisation, the optimizer and its hyperparameters, the schedule, the batches and the seed; continuing it with
 * any of them changed would give a run that is neither the old one nor a new one, so that is refused, naming each
 * setting with its saved and given values. {@link #MAY_CHANGE} lists the settings that do not enter the maths: the
 * run's length, how often it checkpoints, logs, evaluates and measures curvature, and the hardware it runs on.
 *
 * <p>The run's length may grow (it extends the run, bit-identically to an uninterrupted one on the same device) but
 * not shrink below the steps already done; a completed run asked for no more steps is left as it is.
 */
public final class ResumeCheck {
    /**
     * Settings a resume may change. The length ({@code steps}, {@code epochs}) is checked on its own (longer only);
     * {@code checkpointEvery}, {@code saveInitial}, {@code logEvery}, {@code evalEvery} and {@code diagnoseEvery} only
     * decide what is written or measured; {@code device}, {@code threads}, {@code cudaGraph} and {@code tf32} decide
     * where and how the same operations run (they may change the rounding of sums, not the algorithm).
     */
    public static final Set<String> MAY_CHANGE = Set.of("steps", "epochs", "checkpointEvery", "saveInitial",
            "logEvery", "evalEvery", "diagnoseEvery", "device", "threads", "cudaGraph", "tf32");

    private ResumeCheck() {
    }

    /** A setting that differs: its name (a {@link TrainConfig} component), the saved value and the given one. */
    public record Difference(String setting, Object saved, Object given) {
    }

    /** How far a run got: the step of its latest checkpoint (-1 when that cannot be told), and whether it finished. */
    public record Progress(long doneSteps, boolean completed, Path latestCheckpoint) {
    }

    /**
     * Every setting of {@code c} by name, in the record's order (hidden widths as a copy).
     *
     * @param c a configuration
     * @return setting → value
     */
    public static Map<String, Object> settings(TrainConfig c) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (RecordComponent rc : TrainConfig.class.getRecordComponents()) {
            try {
                Object v = rc.getAccessor().invoke(c);
                out.put(rc.getName(), v instanceof int[] a ? a.clone() : v);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    /**
     * The value a setting takes in the run's maths: the learning rate, weight decay and initializer as resolved
     * (unset = the optimizer's or activation's default), a learning-rate tracker as its description
     * ({@link Schedules#describe}), the others as they are.
     *
     * @param c a configuration
     * @param setting a setting's name
     * @return its effective value
     */
    public static Object effective(TrainConfig c, String setting) {
        return switch (setting) {
            case "learningRate" -> c.resolvedLearningRate();
            case "weightDecay" -> c.resolvedWeightDecay();
            case "init" -> c.resolvedInit();
            // A tracker is compared by its description: what config.json can hold of it.
            case "learningRateTracker" -> c.learningRateTracker() == null ? null
                    : Schedules.describe(c.learningRateTracker());
            default -> {
                Map<String, Object> all = settings(c);
                if (!all.containsKey(setting)) {
                    throw new IllegalArgumentException("no setting " + setting);
                }
                yield all.get(setting);
            }
        };
    }

    /**
     * The settings among {@code which} (all of them: {@code settings(saved).keySet()}) that are not in {@link
     * #MAY_CHANGE} and whose effective values differ between {@code saved} and {@code given}.
     *
     * @param saved the run's configuration
     * @param given the one asked for
     * @param which the settings to compare
     * @return the differences, in the record's order
     */
    public static List<Difference> differences(TrainConfig saved, TrainConfig given, Collection<String> which) {
        List<Difference> out = new ArrayList<>();
        for (String s : settings(saved).keySet()) {
            if (!which.contains(s) || MAY_CHANGE.contains(s)) {
                continue;
            }
            Object a = effective(saved, s);
            Object b = effective(given, s);
            if (!Objects.deepEquals(a, b)) {
                out.add(new Difference(s, a, b));
            }
        }
        return out;
    }

    /**
     * {@code saved} with the settings among {@code which} that {@link #MAY_CHANGE} taken from {@code given} (the run
     * length as a whole: steps and epochs together when either is named).
     *
     * @param saved the run's configuration
     * @param given the one asked for
     * @param which the settings given
     * @return the configuration to resume with
     */
    public static TrainConfig withChanges(TrainConfig saved, TrainConfig given, Collection<String> which) {
        TrainConfig.Builder b = saved.toBuilder();
        if (which.contains("steps") || which.contains("epochs")) {
            b.optEpochs(given.epochs()).optSteps(given.steps());
        }
        for (String s : which) {
            switch (s) {
                case "checkpointEvery" -> b.optCheckpointEvery(given.checkpointEvery());
                case "saveInitial" -> b.optSaveInitial(given.saveInitial());
                case "logEvery" -> b.optLogEvery(given.logEvery());
                case "evalEvery" -> b.optEvalEvery(given.evalEvery());
                case "diagnoseEvery" -> b.optDiagnoseEvery(given.diagnoseEvery());
                case "device" -> b.optDevice(given.device());
                case "threads" -> b.optThreads(given.threads());
                case "cudaGraph" -> b.optCudaGraph(given.cudaGraph());
                case "tf32" -> b.optTf32(given.tf32());
                default -> {
                    // steps and epochs above; the rest may not change.
                }
            }
        }
        return b.build();
    }

    /** {@code learningRate 0.001 (saved) vs 0.5 (given), hidden [128] (saved) vs [64] (given)}. */
    static String describe(List<Difference> differences) {
        return differences.stream().map(d -> d.setting() + " " + show(d.saved()) + " (saved) vs " + show(d.given())
                + " (given)").collect(Collectors.joining(", "));
    }

    private static String show(Object v) {
        return v instanceof int[] a ? Arrays.toString(a) : String.valueOf(v);
    }

    /**
     * How far the run in {@code runDir} got: its latest checkpoint's step, from the checkpoint names and headers
     * alone (no tensor is read), and whether {@code summary.json} says it completed at that step.
     *
     * @param runDir the run directory
     * @return how far it got
     */
    public static Progress progress(Path runDir) {
        List<Path> all = RunDirectories.checkpoints(runDir);
        if (all.isEmpty()) {
            return new Progress(0, false, null);
        }
        Path latest = all.get(all.size() - 1);
        long step = RunDirectories.stepForOrdering(latest);
        if (step < 0 || step == Long.MAX_VALUE) {
            return new Progress(-1, false, latest); // an unreadable header: loading it says what is wrong
        }
        return new Progress(step, completedAt(runDir, step), latest);
    }

    private static boolean completedAt(Path runDir, long step) {
        Path file = runDir.resolve("summary.json");
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try {
            JsonElement e = JsonParser.parseString(Files.readString(file));
            if (!e.isJsonObject()) {
                return false;
            }
            JsonObject s = e.getAsJsonObject();
            return s.has("status") && s.get("status").isJsonPrimitive()
                    && s.get("status").getAsString().equals("completed") && s.has("steps")
                    && s.get("steps").isJsonPrimitive() && s.get("steps").getAsLong() == step;
        } catch (IOException | RuntimeException e) {
            return false; // not a finished run's summary: resuming writes a new one
        }
    }

    /**
     * The library's checks before {@link Trainer} continues the run in {@code runDir} with {@code config}: the
     * saved configuration must have the same maths, and the run may not get shorter than what it has done. Returns
     * the run's recorded result when it is complete and asked for no more steps (then nothing is written); empty
     * when it is to be continued.
     */
    static Optional<TrainingResult> check(Path runDir, TrainConfig config, long totalSteps, long batchesPerEpoch,
            Path checkpoint) {
        Path file = runDir.resolve("config.json");
        TrainConfig saved = RunDirectories.readConfig(runDir);
        List<Difference> d = differences(saved, config, settings(saved).keySet());
        if (!d.isEmpty()) {
            throw new InvalidInputException(file + ": resuming with other settings than the run was trained with: "
                    + describe(d) + " (only " + String.join(", ", MAY_CHANGE.stream().sorted().toList())
                    + " may change on resume)");
        }
        Progress p = progress(runDir);
        requireWithinRun(p, lengthInSteps(saved, batchesPerEpoch));
        if (p.doneSteps() > totalSteps) {
            String length = config.steps() > 0 ? "steps " + config.steps()
                    : "epochs " + config.epochs() + " (" + totalSteps + " steps)";
            throw new InvalidInputException(length + ": the run in " + runDir + " has already done " + p.doneSteps()
                    + " steps; resuming cannot shorten a run");
        }
        return finished(runDir, p, totalSteps, checkpoint);
    }

    /**
     * The steps {@code c} asks for: {@code steps}, or {@code epochs} × the batches of an epoch.
     *
     * @param c a configuration
     * @param batchesPerEpoch batches per epoch of its data
     * @return the run's length in steps
     */
    public static long lengthInSteps(TrainConfig c, long batchesPerEpoch) {
        return c.steps() > 0 ? c.steps() : (long) c.epochs() * batchesPerEpoch;
    }

    /**
     * A latest checkpoint past the end of the run it sits in (its config.json's length) is damaged or another run's:
     * refused naming the file and its {@code optimizer.step}, before the step is taken for the steps done.
     *
     * @param p the run's progress
     * @param savedTotalSteps the length its config.json gives
     */
    public static void requireWithinRun(Progress p, long savedTotalSteps) {
        if (p.latestCheckpoint() != null && p.doneSteps() > savedTotalSteps) {
            Checkpoint.requireStepWithin(p.latestCheckpoint(), p.doneSteps(), savedTotalSteps);
        }
    }

    /**
     * The recorded result of the run in {@code runDir} when it completed exactly {@code totalSteps} steps and the
     * resume would start from its latest checkpoint ({@code checkpoint} null or that one): nothing to do. Another
     * process writing the run (extending it) is refused with the lock's line instead.
     *
     * @param runDir the run directory
     * @param p its progress
     * @param totalSteps the length asked for
     * @param checkpoint the checkpoint asked for, or null for the latest
     * @return the recorded result, or empty when there is work to do
     */
    public static Optional<TrainingResult> finished(Path runDir, Progress p, long totalSteps, Path checkpoint) {
        if (!p.completed() || p.doneSteps() != totalSteps) {
            return Optional.empty();
        }
        if (checkpoint != null && !sameFile(checkpoint, p.latestCheckpoint())) {
            return Optional.empty();
        }
        DirectoryLock.requireUnlocked(runDir);
        return Optional.of(RunDirectories.readSummary(runDir));
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }
}
