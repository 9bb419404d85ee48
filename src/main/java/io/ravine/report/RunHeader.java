package io.ravine.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.ravine.BuildInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The header of a run's {@code report.html} (the command line that made the run, when it started, Ravine's version,
 * the device: from {@code run.json}, which the trainer writes at every start and resume, falling back on
 * {@code summary.json} and {@code config.json} for runs from before it), its list of checkpoints, and the units of
 * the rows of its tables.
 */
final class RunHeader {
    private RunHeader() {
    }

    /** The run's record of its starts (written by the trainer, io.ravine.train.RunFiles). */
    static final String RUN_RECORD = "run.json";

    /** Units by setting or quantity name, shown after the name: {@code batchSize (examples)}. */
    private static final Map<String, String> UNITS = Map.ofEntries(
            Map.entry("learningRate", "lr"), Map.entry("learning_rate", "lr"),
            Map.entry("batchSize", "examples"), Map.entry("batch_size", "examples"),
            Map.entry("limit", "examples"), Map.entry("subset", "examples"),
            Map.entry("curvatureBatch", "examples"), Map.entry("train_examples", "examples"),
            Map.entry("test_examples", "examples"), Map.entry("subset_size", "examples"),
            Map.entry("steps", "steps"), Map.entry("total_steps", "steps"), Map.entry("steps_per_epoch", "steps"),
            Map.entry("checkpointEvery", "steps"), Map.entry("logEvery", "steps"), Map.entry("evalEvery", "steps"),
            Map.entry("diagnoseEvery", "steps"), Map.entry("emaTimescale", "steps"),
            Map.entry("train_seconds", "seconds"), Map.entry("samples_per_second", "samples/s"),
            Map.entry("threads", "threads"), Map.entry("parameters", "weights and biases"));

    /** A row name with its unit where it has one: {@code train_seconds (seconds)}. */
    static String withUnit(String name) {
        String unit = UNITS.get(name);
        return unit == null ? name : name + " (" + unit + ")";
    }

    /** The name of a row written by {@link #withUnit}. */
    static String withoutUnit(String label) {
        int i = label.indexOf(" (");
        return i < 0 ? label : label.substring(0, i);
    }

    /** Writes the header lines into {@code page}. */
    static void write(HtmlPage page, Path runDir) {
        JsonObject record = json(runDir.resolve(RUN_RECORD));
        JsonArray invocations = record != null && record.get("invocations") instanceof JsonArray a ? a
                : new JsonArray();
        JsonObject first = invocations.size() > 0 && invocations.get(0).isJsonObject()
                ? invocations.get(0).getAsJsonObject() : null;
        JsonObject last = invocations.size() > 0 && invocations.get(invocations.size() - 1).isJsonObject()
                ? invocations.get(invocations.size() - 1).getAsJsonObject() : null;
        if (first == null) {
            page.header("command", "unknown (no run.json: the run is from before Ravine recorded it)");
        } else {
            page.header("command", command(first));
            for (int i = 1; i < invocations.size(); i++) {
                if (invocations.get(i).isJsonObject()) {
                    JsonObject o = invocations.get(i).getAsJsonObject();
                    page.header("resumed at step " + RunReport.text(o.get("start_step")) + ", "
                            + RunReport.text(o.get("started")), command(o));
                }
            }
        }
        String started = first != null && first.has("started") ? RunReport.text(first.get("started"))
                : modified(runDir.resolve("config.json")).map(t -> t + " (config.json written)").orElse("unknown");
        page.header("started", started);
        page.header("Ravine", last != null && last.has("ravine") ? RunReport.text(last.get("ravine"))
                : "unknown (no run.json); this report by " + BuildInfo.describe());
        page.header("device", device(runDir, last));
        List<Object> links = new ArrayList<>();
        if (Files.exists(runDir.resolve("diagnosis.json"))) {
            links.add(new HtmlPage.Link("Diagnosis", "#" + HtmlPage.anchor("Diagnosis")));
        }
        if (Files.exists(runDir.resolve("landscape").resolve("landscape.json"))) {
            if (!links.isEmpty()) {
                links.add(", ");
            }
            links.add(new HtmlPage.Link("Loss landscape", "#" + HtmlPage.anchor("Loss landscape")));
        }
        if (!links.isEmpty()) {
            page.header("see", links);
        }
    }

    /** An invocation's command line as code, or "library" where the run was started through the Java API. */
    private static Object command(JsonObject invocation) {
        if (invocation.get("command") instanceof JsonArray words) {
            List<String> w = new ArrayList<>();
            for (JsonElement e : words) {
                w.add(e.getAsString());
            }
            return new HtmlPage.Code(shellWords(w));
        }
        return "library (started through the Java API, which has no command line)";
    }

    private static final Pattern PLAIN_WORD = Pattern.compile("[A-Za-z0-9_./:=,+@%^-]+");

    /** The words as a shell line that gives them back: a word with other characters in single quotes. */
    static String shellWords(List<String> words) {
        StringBuilder b = new StringBuilder();
        for (String w : words) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(PLAIN_WORD.matcher(w).matches() ? w : "'" + w.replace("'", "'\\''") + "'");
        }
        return b.toString();
    }

    /** The device: summary.json's (the end of the run), else config.json's resolved, else run.json's. */
    private static String device(Path runDir, JsonObject last) {
        JsonObject summary = json(runDir.resolve("summary.json"));
        if (summary != null && summary.has("device")) {
            return RunReport.text(summary.get("device"));
        }
        JsonObject config = json(runDir.resolve("config.json"));
        JsonObject resolved = config == null ? null : RunReport.object(config, "resolved");
        if (resolved != null && resolved.has("device")) {
            return RunReport.text(resolved.get("device"));
        }
        return last != null && last.has("device") ? RunReport.text(last.get("device")) : "unknown";
    }

    /** The checkpoints section: a link to each file in checkpoints/, its size, the last good one marked. */
    static void checkpoints(HtmlPage page, Path runDir) throws IOException {
        Path dir = runDir.resolve("checkpoints");
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (var list = Files.list(dir)) {
                list.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().forEach(files::add);
            }
        }
        if (files.isEmpty()) {
            page.paragraph("No checkpoints (--checkpoint-every N keeps some).");
            return;
        }
        JsonObject summary = json(runDir.resolve("summary.json"));
        JsonElement good = summary == null ? null : summary.get("last_good_checkpoint");
        String lastGood = good != null && good.isJsonPrimitive() ? Path.of(good.getAsString()).getFileName()
                .toString() : null;
        List<List<Object>> rows = new ArrayList<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            rows.add(List.of(new HtmlPage.Link(name, "checkpoints/" + name),
                    String.format(Locale.ROOT, "%.2f", Files.size(f) / 1e6),
                    name.equals(lastGood) ? "last good (summary.json)" : ""));
        }
        page.table(List.of("file", "size (MB)", "note"), rows);
    }

    /** A link to the checkpoint a summary names, where it is a file in the run's checkpoints/. */
    static Optional<Object> checkpointLink(Path runDir, String value) {
        try {
            String name = Path.of(value).getFileName().toString();
            if (Files.isRegularFile(runDir.resolve("checkpoints").resolve(name))) {
                return Optional.of(new HtmlPage.Link(name, "checkpoints/" + name));
            }
        } catch (RuntimeException e) {
            // not a path: shown as text
        }
        return Optional.empty();
    }

    private static Optional<String> modified(Path file) {
        try {
            return Optional.of(Files.getLastModifiedTime(file).toInstant().truncatedTo(ChronoUnit.SECONDS)
                    .toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A JSON object file, or null where it is missing or unreadable. */
    private static JsonObject json(Path file) {
        try {
            return Files.exists(file) ? RunReport.readJson(file) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

}
