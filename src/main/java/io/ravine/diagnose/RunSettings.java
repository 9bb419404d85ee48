package io.ravine.diagnose;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.UpdateRule;
import io.ravine.io.StrictJson;
import io.ravine.nn.Initializer;
import io.ravine.train.RunDirectories;
import io.ravine.train.TrainConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the doctor needs to know about how a run was trained, so that its advice fits the run ({@link Advice}): the
 * update rule and its hyperparameters, the schedule, iterate averaging, clipping, the input normalization, the
 * initialization and the batch size against the training set. Read from a run's {@code config.json}
 * ({@link #read}) or built from a {@link TrainConfig} ({@link #of}).
 *
 * @param optimizer the update rule
 * @param learningRate the base learning rate α (the {@code --lr} the run gave, or the rule's default)
 * @param momentum μ (momentum and Nesterov only)
 * @param weightDecay λ of weight decay (coupled for every rule but AdamW)
 * @param schedule the schedule spec ({@code constant}, {@code step:…}, {@code cosine:…}, {@code exp:…},
 *     {@code warmup:…}), or the description of a DJL tracker given from Java
 * @param emaTimescale τ of iterate averaging, 0 = off
 * @param clipNorm the gradient-norm clipping threshold, 0 = off
 * @param normalize the input normalization, {@code zscore} or {@code none}
 * @param init the initializer as resolved ({@code he}, {@code xavier}, {@code zeros}, {@code uniform:S},
 *     {@code normal:S})
 * @param biasInit the value every bias starts at
 * @param activation the hidden layers' activation
 * @param batchSize examples per update as trained (the whole training set for full batch)
 * @param trainExamples examples in the training set as trained (after {@code --limit}); 0 when unknown
 */
public record RunSettings(UpdateRule optimizer, double learningRate, double momentum, double weightDecay,
        String schedule, double emaTimescale, double clipNorm, String normalize, String init, double biasInit,
        Activation activation, int batchSize, int trainExamples) {
    private static final Logger LOG = LoggerFactory.getLogger(RunSettings.class);

    /** Whether a run's gradients are estimated from mini-batches (and so carry sampling noise). */
    public enum Batching {
        /** B &lt; n: every step sees another sample of the data, so its gradient is noisy. */
        MINI_BATCH,
        /** B = n: batch gradient descent, the same data every step, so there is no gradient noise. */
        FULL_BATCH,
        /** Not known (no configuration, no epoch column). */
        UNKNOWN
    }

    /**
     * The settings of a configuration trained on {@code trainExamples} examples (the training set after the
     * limit).
     *
     * @param c the configuration
     * @param trainExamples examples in the training set, 0 when unknown
     * @return the settings
     */
    public static RunSettings of(TrainConfig c, int trainExamples) {
        int b = c.batchSize() == 0 ? trainExamples : trainExamples > 0 ? Math.min(c.batchSize(), trainExamples)
                : c.batchSize();
        String schedule = c.schedule() != null ? c.schedule().trim()
                : "tracker " + io.ravine.optim.Schedules.describe(c.learningRateTracker());
        return new RunSettings(c.optimizer(), c.resolvedLearningRate(), c.momentum(), c.resolvedWeightDecay(),
                schedule, c.emaTimescale(), c.clipNorm(), c.normalize(), c.resolvedInit(), c.biasInit(),
                c.activation(), b, trainExamples);
    }

    /**
     * The settings of the run in {@code runDir}, from its {@code config.json} (the training set's size from the
     * {@code resolved.train_examples} the trainer records beside the configuration).
     *
     * @param runDir a run directory
     * @return the settings
     * @throws InvalidInputException if there is no readable config.json (one line naming it)
     */
    public static RunSettings read(Path runDir) {
        TrainConfig c = RunDirectories.readConfig(runDir);
        int n = 0;
        try {
            JsonElement root = StrictJson.parseStrict(Files.readString(runDir.resolve("config.json"),
                    StandardCharsets.UTF_8));
            JsonElement resolved = root.isJsonObject() ? root.getAsJsonObject().get("resolved") : null;
            if (resolved != null && resolved.isJsonObject()) {
                JsonObject r = resolved.getAsJsonObject();
                JsonElement e = r.get("train_examples");
                if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
                    n = Math.max(0, e.getAsInt());
                }
            }
        } catch (IOException | RuntimeException e) {
            // The configuration itself was read above; only the recorded size is missing: batching is then inferred.
            n = 0;
        }
        return of(c, n);
    }

    /**
     * The settings of the run whose {@code metrics.csv} this is, when a readable {@code config.json} lies beside
     * it; null otherwise (a metrics file on its own: the doctor then gives the lectures' advice unchanged, and
     * infers the batching from the file's {@code epoch} column).
     *
     * @param metricsCsv a metrics file
     * @return the run's settings, or null
     */
    public static RunSettings near(Path metricsCsv) {
        Path dir = metricsCsv.toAbsolutePath().getParent();
        if (dir == null || !Files.isRegularFile(dir.resolve("config.json"))) {
            return null;
        }
        try {
            return read(dir);
        } catch (InvalidInputException e) {
            LOG.debug("{}: the advice is the lectures' own, not the run's: {}", dir, e.getMessage());
            return null;
        }
    }

    /**
     * Mini-batch or full batch, from the batch size against the training set.
     *
     * @return the batching, {@link Batching#UNKNOWN} when the training set's size is unknown
     */
    public Batching batching() {
        if (trainExamples <= 0) {
            return Batching.UNKNOWN;
        }
        return batchSize >= trainExamples ? Batching.FULL_BATCH : Batching.MINI_BATCH;
    }

    /** Whether the rule has a velocity (heavy-ball momentum or Nesterov). */
    boolean momentumRule() {
        return optimizer == UpdateRule.MOMENTUM || optimizer == UpdateRule.NESTEROV;
    }

    /** Whether the rule divides by a running mean square (RMSprop, Adam, AdamW): per-parameter step sizes. */
    boolean adaptive() {
        return optimizer == UpdateRule.RMSPROP || optimizer == UpdateRule.ADAM || optimizer == UpdateRule.ADAMW;
    }

    /**
     * Whether α alone has no stability bound 2/λ_max: the adaptive rules, and L-BFGS and Newton-CG, whose step
     * lengths come from curvature (a line search, a damped Newton solve).
     */
    boolean unboundedByCurvature() {
        return adaptive() || optimizer.closureBased();
    }

    /** Whether the learning rate changes over the run (any schedule but {@code constant}). */
    boolean scheduleDecays() {
        String s = schedule.toLowerCase(Locale.ROOT);
        if (s.startsWith("warmup:")) {
            int inner = s.indexOf(':', "warmup:".length());
            return inner > 0 && !s.substring(inner + 1).trim().equals("constant");
        }
        return !s.equals("constant");
    }

    /** Whether θ₀'s weights are not random (a constant start: every hidden unit the same). */
    boolean constantInit() {
        return Initializer.parse(init).kind() == Initializer.Kind.ZEROS;
    }

    /** Whether the weights start at a scale set by the fan-in (He, Xavier) rather than a fixed one. */
    boolean scaledInit() {
        Initializer.Kind k = Initializer.parse(init).kind();
        return k == Initializer.Kind.HE || k == Initializer.Kind.XAVIER;
    }
}
