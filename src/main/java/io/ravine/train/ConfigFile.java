package io.ravine.train;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.backend.UpdateRule;
import io.ravine.nn.Initializer;
import io.ravine.optim.Lbfgs;
import io.ravine.optim.NewtonCg;
import io.ravine.optim.Schedules;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoublePredicate;
import java.util.stream.Collectors;

/**
 * Reads a run's {@code config.json} strictly: every setting must be there, of its type and in its range, or the file
 * is refused with one line naming the file and the key. Nothing is defaulted: a config that lost its {@code seed} or
 * its {@code learningRate} would otherwise resume as another run.
 *
 * <p>Files that say {@code "format": "ravine-run-5"} (what Ravine writes now) hold every key, the optional ones as
 * {@code null}; {@code schedule} is null exactly when {@code learningRateTracker} holds the description of a
 * {@link ai.djl.training.tracker.Tracker} given from Java. {@code "ravine-run-4"} files are the same but for one
 * name: they call {@code subset} {@code monitorSize} (as every older format does). {@code "ravine-run-3"} files were
 * written before batch normalization existed and hold every key but {@code batchNorm}, which is false for them.
 * {@code "ravine-run-2"} files (before trackers were accepted) hold every key but {@code learningRateTracker}; older
 * files (no format) left the optional ones ({@link #NULLABLE}) out when unset, so there, and only there, an absent
 * optional key means unset.
 */
final class ConfigFile {
    /** The format Ravine writes: every key present, unset optional ones as null. */
    static final String FORMAT = "ravine-run-5";
    /** The format before {@code monitorSize} was renamed {@code subset} (the CLI's --subset): otherwise the same. */
    static final String FORMAT_BEFORE_SUBSET = "ravine-run-4";
    /** The name older formats give {@code subset}. */
    static final String OLD_SUBSET_KEY = "monitorSize";
    /**
     * The format before {@code batchNorm} and the second-order settings (maxIter … curvatureBatch): every other key
     * present; absent there means no batch normalization and the defaults.
     */
    static final String FORMAT_BEFORE_BATCH_NORM = "ravine-run-3";
    /** The format before {@code learningRateTracker}: every key of its time present (still read). */
    static final String FORMAT_BEFORE_TRACKERS = "ravine-run-2";
    /**
     * Settings whose value may be null (unset: the optimizer's default, the data set's own test split, no tracker;
     * the schedule when a tracker is given).
     */
    static final List<String> NULLABLE = List.of("testData", "learningRate", "weightDecay", "schedule",
            "learningRateTracker");

    private final Path file;
    private final JsonObject config;
    private final boolean everyKey;
    private final boolean trackers;
    private final boolean batchNorms;
    private final boolean secondOrder;
    /** The key of the subset's size in this file: {@code subset}, or {@code monitorSize} in the older formats. */
    private final String subsetKey;

    private ConfigFile(Path file, JsonObject config, boolean everyKey, boolean trackers, boolean batchNorms,
            String subsetKey) {
        this.file = file;
        this.config = config;
        this.everyKey = everyKey;
        this.trackers = trackers;
        this.batchNorms = batchNorms;
        this.secondOrder = batchNorms;
        this.subsetKey = subsetKey;
    }

    /** The configuration {@code file} holds; an {@link InvalidInputException} naming the file and key otherwise. */
    static TrainConfig read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (CharacterCodingException e) {
            throw new InvalidInputException(file + ": not UTF-8 text (a run's config.json is JSON)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        if (text.isBlank()) {
            throw new InvalidInputException(file + ": empty file (a run's config.json holds a JSON object)");
        }
        JsonElement root;
        try {
            root = JsonParser.parseString(text);
        } catch (JsonParseException e) {
            throw new InvalidInputException(file + ": not valid JSON (" + jsonProblem(e) + ")", e);
        }
        if (!root.isJsonObject()) {
            throw new InvalidInputException(file + ": holds " + kind(root) + ", not the JSON object of a run's"
                    + " configuration");
        }
        JsonObject r = root.getAsJsonObject();
        JsonElement c = r.get("config");
        if (c == null || !c.isJsonObject()) {
            throw new InvalidInputException(file + ": invalid config: no \"config\" object");
        }
        JsonElement format = r.get("format");
        boolean current = format != null && format.isJsonPrimitive() && format.getAsString().equals(FORMAT);
        boolean beforeSubset = format != null && format.isJsonPrimitive()
                && format.getAsString().equals(FORMAT_BEFORE_SUBSET);
        boolean beforeTrackers = format != null && format.isJsonPrimitive()
                && format.getAsString().equals(FORMAT_BEFORE_TRACKERS);
        boolean beforeBatchNorm = format != null && format.isJsonPrimitive()
                && format.getAsString().equals(FORMAT_BEFORE_BATCH_NORM);
        if (format != null && !current && !beforeSubset && !beforeTrackers && !beforeBatchNorm) {
            throw new InvalidInputException(file + ": 'format' is " + format + ", expected \"" + FORMAT + "\" (or"
                    + " \"" + FORMAT_BEFORE_SUBSET + "\", \"" + FORMAT_BEFORE_BATCH_NORM + "\", \""
                    + FORMAT_BEFORE_TRACKERS + "\"; a newer Ravine's run?)");
        }
        boolean withBatchNorm = current || beforeSubset;
        return new ConfigFile(file, c.getAsJsonObject(), format != null, withBatchNorm || beforeBatchNorm,
                withBatchNorm, current ? "subset" : OLD_SUBSET_KEY).parse();
    }

    /** What is wrong with the text, in the file's terms: the parser's words up to its line and column. */
    static String jsonProblem(JsonParseException e) {
        Throwable t = e.getCause() != null ? e.getCause() : e;
        String m = t.getMessage() == null ? "malformed" : t.getMessage();
        m = m.lines().findFirst().orElse(m);
        int path = m.indexOf(" path $");
        if (path > 0) {
            m = m.substring(0, path);
        }
        if (t instanceof java.io.EOFException && !m.contains("line")) {
            m = "ends early (" + m + ")";
        }
        return m.isEmpty() ? "malformed" : Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }

    private static String kind(JsonElement e) {
        return e.isJsonNull() ? "null" : e.isJsonArray() ? "an array" : "a single value (" + e + ")";
    }

    private TrainConfig parse() {
        TrainConfig.Builder b = TrainConfig.builder()
                .setData(string("data"))
                .optTestData(nullableString("testData"))
                .optHidden(widths("hidden"))
                .optActivation(enumValue("activation", Activation.class))
                // Files of a format before batch norm have no batchNorm key: none of their runs normalized.
                .optBatchNorm(batchNorms && bool("batchNorm"))
                .optLoss(enumValue("loss", LossKind.class))
                .optOptimizer(enumValue("optimizer", UpdateRule.class))
                .optMomentum(number("momentum", v -> v >= 0 && v < 1, "a number in [0, 1)"))
                .optBeta1(number("beta1", v -> v >= 0 && v < 1, "a number in [0, 1)"))
                .optBeta2(number("beta2", v -> v >= 0 && v < 1, "a number in [0, 1)"))
                .optEpsilon(number("eps", v -> v > 0, "a positive number"))
                .optGamma(number("gamma", v -> v > 0 && v <= 1, "a number in (0, 1]"))
                .optClipNorm(number("clipNorm", v -> v >= 0, "a number ≥ 0 (0 = off)"))
                .optEma(number("emaTimescale", v -> v == 0 || v >= 1, "0 (off) or a number ≥ 1"))
                .optInit(string("init"))
                .optBiasInit(number("biasInit", v -> true, "a finite number"))
                .optNormalize(oneOf("normalize", "zscore", "none"))
                .optBatchSize((int) integer("batchSize", 0, Integer.MAX_VALUE, "(0 = the full training set)"))
                .optEpochs((int) integer("epochs", 0, Integer.MAX_VALUE, ""))
                .optSteps(integer("steps", 0, Long.MAX_VALUE, ""))
                .optLimit((int) integer("limit", 0, Integer.MAX_VALUE, "(0 = all)"))
                .optSeed(integer("seed", Long.MIN_VALUE, Long.MAX_VALUE, ""))
                .optDevice(oneOf("device", "auto", "cpu", "cuda"))
                .optThreads((int) integer("threads", 0, Integer.MAX_VALUE, "(0 = all cores)"))
                .optCudaGraph(bool("cudaGraph"))
                .optTf32(bool("tf32"))
                .optCheckpointEvery((int) integer("checkpointEvery", 0, Integer.MAX_VALUE, ""))
                .optSaveInitial(bool("saveInitial"))
                .optLogEvery((int) integer("logEvery", 0, Integer.MAX_VALUE, ""))
                .optEvalEvery((int) integer("evalEvery", 0, Integer.MAX_VALUE, ""))
                .optSubset((int) integer(subsetKey, 1, Integer.MAX_VALUE, ""))
                .optDiagnoseEvery((int) integer("diagnoseEvery", 0, Integer.MAX_VALUE, ""));
        if (secondOrder) {
            // Files before these settings were runs of first-order rules: the defaults are what they ran with.
            b.optMaxIter((int) integer("maxIter", 1, Integer.MAX_VALUE, ""))
                    .optMaxEval((int) integer("maxEval", 0, Integer.MAX_VALUE, "(0 = maxIter·5/4)"))
                    .optToleranceGrad(number("toleranceGrad", v -> v >= 0, "a number ≥ 0"))
                    .optToleranceChange(number("toleranceChange", v -> v >= 0, "a number ≥ 0"))
                    .optHistorySize((int) integer("historySize", 1, Integer.MAX_VALUE, ""))
                    .optLineSearch(enumValue("lineSearch", Lbfgs.LineSearch.class))
                    .optCurvature(enumValue("curvature", NewtonCg.Curvature.class))
                    .optDamping(number("damping", v -> v > 0, "a positive number"))
                    .optCgMaxIter((int) integer("cgMaxIter", 1, Integer.MAX_VALUE, ""))
                    .optCurvatureBatch((int) integer("curvatureBatch", 1, Integer.MAX_VALUE, ""));
        }
        Double lr = nullableNumber("learningRate", v -> v > 0, "a positive number, or null for the optimizer's"
                + " default");
        if (lr != null) {
            b.optLearningRate(lr);
        }
        Double wd = nullableNumber("weightDecay", v -> v >= 0, "a number ≥ 0, or null for the optimizer's default");
        if (wd != null) {
            b.optWeightDecay(wd);
        }
        // Files of a format before trackers have no learningRateTracker key: none was given.
        String tracker = trackers ? nullableString("learningRateTracker") : null;
        if (tracker != null) {
            JsonElement schedule = optional("schedule");
            if (schedule != null && !schedule.isJsonNull()) {
                throw new InvalidInputException(file + ": 'schedule' " + schedule + " and 'learningRateTracker' are"
                        + " both set (a run has one learning-rate schedule; schedule is null with a tracker)");
            }
            b.optLearningRateTracker(new RecordedTracker(tracker));
        } else {
            b.optSchedule(string("schedule"));
        }
        if (config.get("epochs").getAsLong() == 0 && config.get("steps").getAsLong() == 0) {
            throw new InvalidInputException(file + ": 'epochs' and 'steps' are both 0 (one of them must be positive)");
        }
        TrainConfig c;
        try {
            c = b.build();
        } catch (InvalidInputException e) {
            throw new InvalidInputException(file + ": invalid config: " + e.getMessage(), e);
        }
        // The specs are checked here, so that a bad one names this file and key rather than a flag.
        try {
            if (c.schedule() != null) {
                Schedules.parse(c.schedule(), c.resolvedLearningRate());
            }
        } catch (InvalidInputException | IllegalArgumentException e) {
            throw new InvalidInputException(file + ": 'schedule' " + config.get("schedule") + " is not a schedule ("
                    + e.getMessage() + ")", e);
        }
        try {
            Initializer.parse(c.resolvedInit());
        } catch (InvalidInputException | IllegalArgumentException e) {
            throw new InvalidInputException(file + ": 'init' " + config.get("init") + " is not an initializer"
                    + " (expected auto, xavier, he, zeros, uniform:SCALE or normal:SCALE)", e);
        }
        return c;
    }

    private JsonElement required(String key) {
        JsonElement v = config.get(key);
        if (v == null) {
            throw new InvalidInputException(file + ": '" + key + "' is missing (a run's config.json names every"
                    + " setting; none is defaulted)");
        }
        return v;
    }

    private InvalidInputException wrong(String key, String rule, JsonElement v) {
        return new InvalidInputException(file + ": '" + key + "' must be " + rule + ", not " + v);
    }

    private String string(String key) {
        JsonElement v = required(key);
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString() || v.getAsString().isBlank()) {
            throw wrong(key, "a non-empty string", v);
        }
        return v.getAsString();
    }

    private String nullableString(String key) {
        JsonElement v = optional(key);
        return v == null || v.isJsonNull() ? null : string(key);
    }

    /** A nullable key: absent is refused in the current format, and means null in the older one. */
    private JsonElement optional(String key) {
        JsonElement v = config.get(key);
        return v == null && everyKey ? required(key) : v;
    }

    private String oneOf(String key, String... values) {
        JsonElement v = required(key);
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString() || !Arrays.asList(values).contains(
                v.getAsString())) {
            throw wrong(key, "one of " + String.join(", ", values), v);
        }
        return v.getAsString();
    }

    private <E extends Enum<E>> E enumValue(String key, Class<E> type) {
        JsonElement v = required(key);
        if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isString()) {
            for (E e : type.getEnumConstants()) {
                if (e.name().equals(v.getAsString())) {
                    return e;
                }
            }
        }
        throw wrong(key, "one of " + Arrays.stream(type.getEnumConstants()).map(Enum::name)
                .collect(Collectors.joining(", ")), v);
    }

    private double number(String key, DoublePredicate ok, String rule) {
        JsonElement v = required(key);
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            throw wrong(key, rule, v);
        }
        double d;
        try {
            d = v.getAsDouble();
        } catch (NumberFormatException e) {
            throw wrong(key, rule, v);
        }
        if (!Double.isFinite(d) || !ok.test(d)) {
            throw wrong(key, rule, v);
        }
        return d;
    }

    private Double nullableNumber(String key, DoublePredicate ok, String rule) {
        JsonElement v = optional(key);
        return v == null || v.isJsonNull() ? null : number(key, ok, rule);
    }

    private long integer(String key, long min, long max, String note) {
        JsonElement v = required(key);
        String rule = (min == Long.MIN_VALUE ? "a 64-bit integer" : max == Long.MAX_VALUE ? "an integer ≥ " + min
                : "an integer in [" + min + ", " + max + "]") + (note.isEmpty() ? "" : " " + note);
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            throw wrong(key, rule, v);
        }
        BigInteger n;
        try {
            n = new BigDecimal(v.getAsJsonPrimitive().getAsString()).toBigIntegerExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw wrong(key, rule, v);
        }
        if (n.compareTo(BigInteger.valueOf(min)) < 0 || n.compareTo(BigInteger.valueOf(max)) > 0) {
            throw wrong(key, rule, v);
        }
        return n.longValueExact();
    }

    private boolean bool(String key) {
        JsonElement v = required(key);
        if (!(v instanceof JsonPrimitive p) || !p.isBoolean()) {
            throw wrong(key, "true or false", v);
        }
        return p.getAsBoolean();
    }

    private int[] widths(String key) {
        JsonElement v = required(key);
        String rule = "a list of positive integers (the hidden widths; [] for a linear model)";
        if (!v.isJsonArray()) {
            throw wrong(key, rule, v);
        }
        JsonArray a = v.getAsJsonArray();
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement w = a.get(i);
            try {
                if (!w.isJsonPrimitive() || !w.getAsJsonPrimitive().isNumber()) {
                    throw new NumberFormatException();
                }
                out[i] = new BigDecimal(w.getAsString()).intValueExact();
            } catch (NumberFormatException | ArithmeticException e) {
                throw wrong(key, rule, v);
            }
            if (out[i] <= 0) {
                throw wrong(key, rule, v);
            }
        }
        return out;
    }

}
