package io.ravine.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The one way Ravine writes JSON: strict JSON (RFC 8259), which has no NaN and no Infinity, so every file parses in
 * JavaScript, Python's {@code json} with {@code allow_nan=False}, jq, and any other strict reader.
 *
 * <p><b>The convention.</b> A quantity that was not measured, is undefined, or is not finite is written as
 * {@code null}, and a string member named {@code <name>_status} next to it says why, e.g.
 * <pre>
 *   "test_loss": null,
 *   "test_loss_status": "not measured: the run was interrupted after step 12, before its final evaluation",
 * </pre>
 * The status is there exactly when the value is null (a finite value needs no explanation). For an array that holds
 * nulls, the status sits next to the array's member ({@code "values_status": "2 of 21 values are not finite"}).
 * Reasons begin with one of {@code "not measured: "}, {@code "undefined: "}, {@code "not finite: "} or
 * {@code "none: "}, so a reader can tell them apart without parsing the prose.
 *
 * <p>Writers give the reason where they know it ({@link #number}, {@link #missing}). {@link #toJson} then checks the
 * whole tree: any number that is still NaN or ±Infinity becomes null with a {@code not finite} status (when the
 * writer gave none), and the text is produced by a Gson writer set to {@link Strictness#STRICT}, which refuses a
 * non-finite number outright. So no file can carry a NaN literal whatever a writer forgets.
 *
 * <p>Settings objects (configs) are turned into trees by {@link #settingsTree}, which leaves out fields that are not
 * set (null): an unset setting is not a missing measurement, and config files read back the same as before. A
 * settings object inside a file (a member named as in {@link #SETTINGS}) is not under the status convention: a null
 * there means "not set, the default applies", and a non-finite number in it becomes a bare null (no
 * {@code _status} key, which a reader of settings would take for an unknown setting).
 */
public final class StrictJson {
    /** Suffix of the member that explains a null: {@code test_loss} → {@code test_loss_status}. */
    public static final String STATUS_SUFFIX = "_status";

    /**
     * Members that hold settings, not results: {@code config} (config.json, study-config.json, study.json) and
     * {@code train_config} (sweep.json).
     */
    public static final Set<String> SETTINGS = Set.of("config", "train_config");

    /**
     * Settings to trees and back, and the text of objects in messages and logs ({@code toString}); never the text
     * of a file (that is {@link #toJson}). Non-finite numbers are allowed into trees so that converting never
     * throws; {@link #toJson} deals with them.
     */
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .disableHtmlEscaping().create();

    /** Results (maps, records) to trees: nulls kept, since a null result is written with its status. */
    private static final Gson RESULTS = new GsonBuilder().serializeNulls().serializeSpecialFloatingPointValues()
            .disableHtmlEscaping().create();

    /** The text of every JSON file: pretty, nulls kept, and a STRICT writer that refuses NaN and Infinity. */
    private static final Gson WRITER = new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping()
            .setStrictness(Strictness.STRICT).create();

    private StrictJson() {
    }

    /** Ravine's Gson configuration for settings objects and for reading its own files (see the class comment). */
    public static Gson gson() {
        return GSON;
    }

    /** A settings object (a config) as a tree; fields that are not set are left out. */
    public static JsonElement settingsTree(Object settings) {
        return GSON.toJsonTree(settings);
    }

    /**
     * The text of a JSON file holding {@code value} (a {@link JsonElement}, a map or a record), newline-terminated:
     * strict JSON under the convention of the class comment. {@code value} itself is not changed.
     */
    public static String toJson(Object value) {
        JsonElement tree = value instanceof JsonElement e ? e.deepCopy() : RESULTS.toJsonTree(value);
        sanitize(tree);
        return WRITER.toJson(tree) + "\n";
    }

    /** {@code v} where finite, else JSON null (for array elements; {@link #toJson} adds the array's status). */
    public static JsonElement finiteOrNull(double v) {
        return Double.isFinite(v) ? new JsonPrimitive(v) : JsonNull.INSTANCE;
    }

    /**
     * Adds {@code name: v}; where {@code v} is not finite, {@code name: null} and {@code name_status: reason}
     * ({@code reason} of null: {@code "not finite: NaN"} or {@code "not finite: +Infinity"}).
     */
    public static void number(JsonObject o, String name, double v, String reason) {
        if (Double.isFinite(v)) {
            o.addProperty(name, v);
        } else {
            missing(o, name, reason != null ? reason : notFinite(v));
        }
    }

    /** As {@link #number}, for a value that may be absent altogether ({@code null}: not measured or undefined). */
    public static void number(JsonObject o, String name, Double v, String reason) {
        if (v != null && Double.isFinite(v)) {
            o.addProperty(name, v);
        } else {
            missing(o, name, reason != null ? reason : notFinite(v == null ? Double.NaN : v));
        }
    }

    /** Adds {@code name: value}, or {@code name: null} with its status where {@code value} is null. */
    public static void add(JsonObject o, String name, JsonElement value, String reasonIfNull) {
        if (value == null || value.isJsonNull()) {
            missing(o, name, reasonIfNull);
        } else {
            o.add(name, value);
        }
    }

    /** Adds {@code name: null} and {@code name_status: reason}. */
    public static void missing(JsonObject o, String name, String reason) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("a null '" + name + "' needs a reason");
        }
        o.add(name, JsonNull.INSTANCE);
        o.addProperty(name + STATUS_SUFFIX, reason);
    }

    /** The reason for a non-finite number: {@code "not finite: NaN"}, {@code "not finite: +Infinity"}, ... */
    public static String notFinite(double v) {
        return "not finite: " + (Double.isNaN(v) ? "NaN" : v > 0 ? "+Infinity" : "-Infinity");
    }

    /**
     * Replaces every non-finite number in {@code e} by null, adding the {@code _status} members the convention asks
     * for where the writer gave none; returns how many values were replaced in {@code e} itself when it is an array
     * (its owner then explains them).
     */
    static int sanitize(JsonElement e) {
        if (e.isJsonObject()) {
            JsonObject o = e.getAsJsonObject();
            List<Map.Entry<String, JsonElement>> entries = new ArrayList<>(o.entrySet());
            boolean changed = false;
            List<Map.Entry<String, JsonElement>> out = new ArrayList<>();
            for (Map.Entry<String, JsonElement> m : entries) {
                String name = m.getKey();
                JsonElement v = m.getValue();
                String status = null;
                if (SETTINGS.contains(name) && v.isJsonObject()) {
                    bareNulls(v);
                } else if (nonFinite(v)) {
                    status = notFinite(v.getAsDouble());
                    v = JsonNull.INSTANCE;
                    changed = true;
                } else if (v.isJsonArray() || v.isJsonObject()) {
                    int values = v.isJsonArray() ? arrayValues(v.getAsJsonArray()) : 0;
                    int replaced = sanitize(v);
                    if (replaced > 0) {
                        status = String.format(Locale.ROOT, "not finite: %d of %d values are NaN or ±Infinity,"
                                + " written as null", replaced, values);
                    }
                }
                out.add(Map.entry(name, v));
                if (status != null && !o.has(name + STATUS_SUFFIX)) {
                    out.add(Map.entry(name + STATUS_SUFFIX, new JsonPrimitive(status)));
                    changed = true;
                }
            }
            if (changed) {
                for (Map.Entry<String, JsonElement> m : entries) {
                    o.remove(m.getKey());
                }
                for (Map.Entry<String, JsonElement> m : out) {
                    o.add(m.getKey(), m.getValue());
                }
            }
            return 0;
        }
        if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            int replaced = 0;
            for (int i = 0; i < a.size(); i++) {
                JsonElement v = a.get(i);
                if (nonFinite(v)) {
                    a.set(i, JsonNull.INSTANCE);
                    replaced++;
                } else {
                    replaced += sanitize(v);
                }
            }
            return replaced;
        }
        return 0;
    }

    /** Non-finite numbers → null, nothing added (inside a settings object). */
    private static void bareNulls(JsonElement e) {
        if (e.isJsonObject()) {
            for (Map.Entry<String, JsonElement> m : e.getAsJsonObject().entrySet()) {
                if (nonFinite(m.getValue())) {
                    m.setValue(JsonNull.INSTANCE);
                } else {
                    bareNulls(m.getValue());
                }
            }
        } else if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            for (int i = 0; i < a.size(); i++) {
                if (nonFinite(a.get(i))) {
                    a.set(i, JsonNull.INSTANCE);
                } else {
                    bareNulls(a.get(i));
                }
            }
        }
    }

    /** Values at any depth of nested arrays (objects inside are not counted: they explain themselves). */
    private static int arrayValues(JsonArray a) {
        int n = 0;
        for (JsonElement v : a) {
            if (v.isJsonArray()) {
                n += arrayValues(v.getAsJsonArray());
            } else if (v.isJsonPrimitive() || v.isJsonNull()) {
                n++;
            }
        }
        return n;
    }

    private static boolean nonFinite(JsonElement v) {
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            return false;
        }
        Number n = v.getAsNumber();
        return (n instanceof Double || n instanceof Float) && !Double.isFinite(n.doubleValue());
    }

    /**
     * Parses {@code text} as strict JSON (one value, nothing after it; no NaN, no Infinity, no unquoted strings,
     * no comments), as the tests and any strict reader do.
     *
     * @throws JsonParseException naming the position of the first violation
     */
    public static JsonElement parseStrict(String text) {
        try (JsonReader r = new JsonReader(new StringReader(text))) {
            r.setStrictness(Strictness.STRICT);
            // Not JsonParser.parseReader, which parses leniently whatever the reader says.
            JsonElement value = GSON.getAdapter(JsonElement.class).read(r);
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException("data after the JSON value at " + r.getPath());
            }
            return value;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new JsonParseException(e.getMessage(), e);
        }
    }

    /**
     * Where {@code e} breaks the convention: each null member without a string {@code _status} beside it, and each
     * array holding nulls without one, as a path ({@code $.line.test_loss}); settings objects ({@link #SETTINGS})
     * are not looked into. Empty when the convention holds.
     */
    public static List<String> unexplainedNulls(JsonElement e) {
        List<String> out = new ArrayList<>();
        unexplained(e, "$", out);
        return out;
    }

    private static void unexplained(JsonElement e, String path, List<String> out) {
        if (e.isJsonObject()) {
            JsonObject o = e.getAsJsonObject();
            for (Map.Entry<String, JsonElement> m : o.entrySet()) {
                String p = path + "." + m.getKey();
                JsonElement v = m.getValue();
                if (SETTINGS.contains(m.getKey()) && v.isJsonObject()) {
                    continue;
                }
                JsonElement status = o.get(m.getKey() + STATUS_SUFFIX);
                boolean explained = status != null && status.isJsonPrimitive()
                        && status.getAsJsonPrimitive().isString() && !status.getAsString().isBlank();
                if ((v.isJsonNull() || v.isJsonArray() && holdsNull(v.getAsJsonArray())) && !explained) {
                    out.add(p);
                }
                if (v.isJsonObject()) {
                    unexplained(v, p, out);
                } else if (v.isJsonArray()) {
                    arrayObjects(v.getAsJsonArray(), p, out);
                }
            }
        } else if (e.isJsonArray()) {
            if (holdsNull(e.getAsJsonArray())) {
                out.add(path);
            }
            arrayObjects(e.getAsJsonArray(), path, out);
        } else if (e.isJsonNull()) {
            out.add(path);
        }
    }

    private static void arrayObjects(JsonArray a, String path, List<String> out) {
        for (int i = 0; i < a.size(); i++) {
            JsonElement v = a.get(i);
            if (v.isJsonObject()) {
                unexplained(v, path + "[" + i + "]", out);
            } else if (v.isJsonArray()) {
                arrayObjects(v.getAsJsonArray(), path + "[" + i + "]", out);
            }
        }
    }

    private static boolean holdsNull(JsonArray a) {
        for (JsonElement v : a) {
            if (v.isJsonNull() || v.isJsonArray() && holdsNull(v.getAsJsonArray())) {
                return true;
            }
        }
        return false;
    }
}
