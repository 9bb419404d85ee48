package io.ravine.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.BuildInfo;
import io.ravine.io.AtomicFiles;
import io.ravine.io.StrictJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The header of a page that is not one run's report (a sweep, a study, a toy): the command line that made it, when,
 * Ravine's version and the device, as a run report's header shows them ({@link RunReport}). A directory that is
 * resumed keeps one entry per start in {@value #FILE} (the format of a run directory's {@code run.json}:
 * {@code {"format":1,"invocations":[{"command":[...],"started":ISO-8601,"ravine":VERSION,"device":DEVICE}]}}), so
 * its page names the first command and every resume.
 */
public final class PageHeader {
    private static final Logger LOG = LoggerFactory.getLogger(PageHeader.class);

    /** The record of a sweep's or study's starts, in its directory. */
    public static final String FILE = "invocations.json";

    private PageHeader() {
    }

    /**
     * One start of a command.
     *
     * @param command the words of the command line as the shell passed them ({@code ravine sweep lr ...}); null
     *     where it was started through the Java API
     * @param started when, ISO-8601 to the second
     * @param ravine Ravine's version ({@link BuildInfo#describe()})
     * @param device the device it ran on, in words
     */
    public record Invocation(List<String> command, String started, String ravine, String device) {
    }

    /**
     * This start, now, with this build's version.
     *
     * @param command the command line's words, or null for the Java API
     * @param device the device in words
     * @return the invocation
     */
    public static Invocation now(List<String> command, String device) {
        return new Invocation(command == null ? null : List.copyOf(command),
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), BuildInfo.describe(), device);
    }

    /**
     * Appends {@code now} to {@code dir}'s {@value #FILE} (written atomically) and returns every start recorded
     * there, oldest first. Best effort: the file only feeds the page's header, so one that cannot be read starts
     * again and one that cannot be written is a warning; the list returned holds {@code now} either way.
     *
     * @param dir the sweep's or study's directory (it exists)
     * @param now this start
     * @return the starts, this one last
     */
    public static List<Invocation> append(Path dir, Invocation now) {
        List<Invocation> all = new ArrayList<>(read(dir));
        all.add(now);
        Path file = dir.resolve(FILE);
        try {
            AtomicFiles.writeString(file, toJson(all));
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot write {}: {} (the report's header will lack this start)", file, e.toString());
        }
        return all;
    }

    /**
     * The starts recorded in {@code dir}'s {@value #FILE}, oldest first; none where it is missing or unreadable.
     *
     * @param dir the directory
     * @return the starts
     */
    public static List<Invocation> read(Path dir) {
        Path file = dir.resolve(FILE);
        List<Invocation> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        try {
            JsonElement root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
            if (root.isJsonObject() && root.getAsJsonObject().get("invocations") instanceof JsonArray a) {
                for (JsonElement e : a) {
                    if (e.isJsonObject()) {
                        JsonObject o = e.getAsJsonObject();
                        List<String> words = null;
                        if (o.get("command") instanceof JsonArray w) {
                            words = new ArrayList<>();
                            for (JsonElement x : w) {
                                words.add(x.getAsString());
                            }
                        }
                        out.add(new Invocation(words, string(o, "started"), string(o, "ravine"),
                                string(o, "device")));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: unreadable ({}); it is started again", file, e.getMessage());
            out.clear();
        }
        return out;
    }

    private static String string(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }

    static String toJson(List<Invocation> all) {
        JsonObject root = new JsonObject();
        root.addProperty("format", 1);
        JsonArray invocations = new JsonArray();
        for (Invocation i : all) {
            JsonObject o = new JsonObject();
            if (i.command() != null) {
                JsonArray words = new JsonArray();
                i.command().forEach(words::add);
                o.add("command", words);
            } else {
                StrictJson.missing(o, "command", "library (the Java API: no command line)");
            }
            o.addProperty("started", i.started());
            o.addProperty("ravine", i.ravine());
            o.addProperty("device", i.device());
            invocations.add(o);
        }
        root.add("invocations", invocations);
        return StrictJson.toJson(root);
    }

    /**
     * Writes the header lines into {@code page}: the first start's command, each later start's ("resumed DATE"),
     * when it started, Ravine's version and the device of the latest start. Every line is there; a value that is
     * not known says so.
     *
     * @param page the page
     * @param invocations the starts, oldest first (at least this one)
     */
    public static void write(HtmlPage page, List<Invocation> invocations) {
        if (invocations.isEmpty()) {
            page.header("command", "unknown (no record of the command that made this page)");
            page.header("started", "unknown");
            page.header("Ravine", "unknown; this page by " + BuildInfo.describe());
            page.header("device", "unknown");
            return;
        }
        Invocation first = invocations.get(0);
        Invocation last = invocations.get(invocations.size() - 1);
        page.header("command", command(first));
        for (int i = 1; i < invocations.size(); i++) {
            Invocation o = invocations.get(i);
            page.header("resumed " + known(o.started()), command(o));
        }
        page.header("started", known(first.started()));
        page.header("Ravine", known(last.ravine()));
        page.header("device", known(last.device()));
    }

    private static Object command(Invocation i) {
        return i.command() == null ? "library (started through the Java API, which has no command line)"
                : new HtmlPage.Code(RunHeader.shellWords(i.command()));
    }

    private static String known(String v) {
        return v == null || v.isBlank() ? "unknown (not recorded)" : v;
    }

    /**
     * A row name with its unit where it has one, as run reports write them: {@code batch_size (examples)}.
     *
     * @param name a setting's or quantity's name
     * @return the name, with its unit in parentheses where it has one
     */
    public static String withUnit(String name) {
        return RunHeader.withUnit(name);
    }

    /**
     * The rows of a settings or summary object as run reports show them: one per member, its name with its unit,
     * a null showing the reason its {@code _status} member gives ("- (undefined: ...)").
     *
     * @param o the JSON object
     * @return rows of (name with unit, value)
     */
    public static List<List<String>> rows(JsonObject o) {
        List<List<String>> out = new ArrayList<>();
        for (List<String> r : RunReport.rows(o)) {
            out.add(List.of(withUnit(r.get(0)), r.get(1)));
        }
        return out;
    }
}
