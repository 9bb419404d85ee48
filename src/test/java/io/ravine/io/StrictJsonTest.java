package io.ravine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@link StrictJson}: every non-finite number comes out as null with a status, whatever the writer forgot; reasons a
 * writer gives are kept; the strict parser the tests use refuses what strict readers refuse; and no main source
 * writes JSON text any other way.
 */
class StrictJsonTest {

    @Test
    void nonFiniteNumbersBecomeNullWithAStatusNextToThem() {
        JsonObject o = new JsonObject();
        o.addProperty("a", 1.5);
        o.addProperty("nan", Double.NaN);
        o.addProperty("inf", Double.POSITIVE_INFINITY);
        o.addProperty("minus", Float.NEGATIVE_INFINITY);
        o.addProperty("after", "x");
        String text = StrictJson.toJson(o);
        JsonObject back = StrictJson.parseStrict(text).getAsJsonObject();
        assertEquals(List.of("a", "nan", "nan_status", "inf", "inf_status", "minus", "minus_status", "after"),
                new ArrayList<>(back.keySet()), "each status right after its value: " + text);
        assertTrue(back.get("nan").isJsonNull());
        assertEquals("not finite: NaN", back.get("nan_status").getAsString());
        assertEquals("not finite: +Infinity", back.get("inf_status").getAsString());
        assertEquals("not finite: -Infinity", back.get("minus_status").getAsString());
        assertEquals(1.5, back.get("a").getAsDouble());
        assertEquals(List.of(), StrictJson.unexplainedNulls(back));
        assertTrue(text.endsWith("}\n"));
        // The writer's own tree is not changed.
        assertTrue(Double.isNaN(o.get("nan").getAsDouble()));
    }

    @Test
    void aReasonTheWriterGaveIsKept() {
        JsonObject o = new JsonObject();
        StrictJson.number(o, "test_loss", Double.NaN, "not measured: the run was interrupted");
        StrictJson.number(o, "loss", 0.25, "never used");
        StrictJson.number(o, "kappa", (Double) null, "undefined: lambda_min <= 0");
        StrictJson.missing(o, "best", "none: every run diverged");
        JsonObject back = StrictJson.parseStrict(StrictJson.toJson(o)).getAsJsonObject();
        assertEquals("not measured: the run was interrupted", back.get("test_loss_status").getAsString());
        assertEquals(0.25, back.get("loss").getAsDouble());
        assertFalse(back.has("loss_status"), "a finite value has no status");
        assertEquals("undefined: lambda_min <= 0", back.get("kappa_status").getAsString());
        assertTrue(back.get("best").isJsonNull());
        assertThrows(IllegalArgumentException.class, () -> StrictJson.missing(o, "x", " "));
    }

    @Test
    void arraysAndNestedArraysAreCleanedAndExplainedAtTheirMember() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("values", new double[] {1, Double.NaN, 3, Double.POSITIVE_INFINITY});
        m.put("trajectory", new double[][] {{0, 1}, {Double.NaN, 2}});
        m.put("points", List.of(Map.of("x", Double.NaN)));
        JsonObject back = StrictJson.parseStrict(StrictJson.toJson(m)).getAsJsonObject();
        JsonArray values = back.getAsJsonArray("values");
        assertTrue(values.get(1).isJsonNull() && values.get(3).isJsonNull());
        assertEquals(3.0, values.get(2).getAsDouble());
        assertEquals("not finite: 2 of 4 values are NaN or ±Infinity, written as null",
                back.get("values_status").getAsString());
        assertEquals("not finite: 1 of 4 values are NaN or ±Infinity, written as null",
                back.get("trajectory_status").getAsString());
        JsonObject point = back.getAsJsonArray("points").get(0).getAsJsonObject();
        assertEquals("not finite: NaN", point.get("x_status").getAsString());
        assertEquals(List.of(), StrictJson.unexplainedNulls(back));
    }

    @Test
    void mapsKeepTheirNullsAndTheConventionCheckFindsOnesWithoutAReason() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("settled_step", null);
        m.put("inner", Map.of("list", List.of(1, 2)));
        JsonElement back = StrictJson.parseStrict(StrictJson.toJson(m));
        assertTrue(back.getAsJsonObject().get("settled_step").isJsonNull(), "a null result is written, not dropped");
        assertEquals(List.of("$.settled_step"), StrictJson.unexplainedNulls(back));
        JsonElement arrays = JsonParser.parseString("{\"a\": [1, null], \"b\": [{\"c\": null}], \"d\": [[null]]}");
        assertEquals(List.of("$.a", "$.b[0].c", "$.d"), StrictJson.unexplainedNulls(arrays));
    }

    @Test
    void aSettingsObjectIsNotUnderTheStatusConvention() {
        // config.json's "config": null means "not set, the default applies"; a non-finite setting becomes a bare
        // null (a _status key would read as an unknown setting), while the results beside it are explained.
        JsonObject config = new JsonObject();
        config.add("testData", com.google.gson.JsonNull.INSTANCE);
        config.addProperty("biasInit", Double.NaN);
        JsonObject root = new JsonObject();
        root.add("config", config);
        root.addProperty("loss", Double.NaN);
        JsonObject back = StrictJson.parseStrict(StrictJson.toJson(root)).getAsJsonObject();
        assertEquals(List.of("testData", "biasInit"), new ArrayList<>(back.getAsJsonObject("config").keySet()));
        assertTrue(back.getAsJsonObject("config").get("biasInit").isJsonNull());
        assertEquals("not finite: NaN", back.get("loss_status").getAsString());
        assertEquals(List.of(), StrictJson.unexplainedNulls(back));
    }

    @Test
    void settingsLeaveOutWhatIsNotSet() {
        record Settings(String data, String testData, Double learningRate, int steps) {
        }
        JsonObject tree = StrictJson.settingsTree(new Settings("embedded", null, null, 5)).getAsJsonObject();
        assertEquals(List.of("data", "steps"), new ArrayList<>(tree.keySet()));
    }

    @Test
    void theStrictParserRefusesWhatStrictReadersRefuse() {
        for (String bad : List.of("{\"a\": NaN}", "{\"a\": Infinity}", "{\"a\": -Infinity}", "[NaN]", "{a: 1}",
                "{\"a\": 'x'}", "{\"a\": 1} {\"b\": 2}", "{\"a\": 1,}", "// c\n{}", "")) {
            assertThrows(JsonParseException.class, () -> StrictJson.parseStrict(bad), bad);
        }
        assertEquals(2.0, StrictJson.parseStrict("{\"a\": [1, 2.0e0, null]}").getAsJsonObject()
                .getAsJsonArray("a").get(1).getAsDouble());
        // The control: what the project's Gson wrote before (serializeSpecialFloatingPointValues) fails it.
        String legacy = new GsonBuilder().serializeSpecialFloatingPointValues().create()
                .toJson(Map.of("test_loss", Double.NaN));
        assertEquals("{\"test_loss\":NaN}", legacy);
        assertThrows(JsonParseException.class, () -> StrictJson.parseStrict(legacy));
    }

    // ---- no JSON text is written any other way ----

    private static final Path MAIN = Path.of("src", "main", "java");

    /** Ways of turning something into JSON text (StrictJson.toJson itself excepted). */
    private static final Pattern JSON_TEXT = Pattern.compile(
            "(?<!\\bStrictJson)\\.\\s*toJson\\s*\\(|\\bnew\\s+JsonWriter\\b");

    /**
     * The only uses outside StrictJson, with how many and why none of them is a file that may hold a non-finite
     * number.
     */
    private static final Map<String, Integer> ALLOWED = new TreeMap<>(Map.of(
            // The safetensors header: dtype strings, shapes and offsets (integers), and string metadata only.
            "io/SafeTensors.java", 1,
            // toString of a config (log lines and messages, not files).
            "train/TrainConfig.java", 1,
            // equals, hashCode (two calls) and toString of a study config: comparisons and messages, not files.
            "study/BatchSizeStudyConfig.java", 4,
            // DiagnosisFile.toJson builds the tree; the command's call names that method.
            "cli/DiagnoseCommand.java", 1));

    @Test
    void noMainSourceWritesJsonTextExceptThroughStrictJson() throws IOException {
        Map<String, Integer> found = new TreeMap<>();
        List<Path> sources;
        try (Stream<Path> files = Files.walk(MAIN)) {
            sources = files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
        assertTrue(sources.size() > 50, "the main sources were not found under " + MAIN.toAbsolutePath());
        for (Path source : sources) {
            String rel = MAIN.resolve("io/ravine").relativize(source).toString().replace('\\', '/');
            if (rel.equals("io/StrictJson.java")) {
                continue;
            }
            Matcher m = JSON_TEXT.matcher(NoRawFileWritesTest.blankCommentsAndLiterals(Files.readString(source)));
            int n = 0;
            while (m.find()) {
                n++;
            }
            if (n > 0) {
                found.put(rel, n);
            }
        }
        assertEquals(ALLOWED, found, "JSON text made outside StrictJson (write JSON files with StrictJson.toJson)");
    }
}
