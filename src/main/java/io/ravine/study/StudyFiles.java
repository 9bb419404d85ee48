package io.ravine.study;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.ravine.InvalidInputException;
import io.ravine.io.AtomicFiles;
import io.ravine.io.DirectoryLock;
import io.ravine.io.OutputDirectories;
import io.ravine.io.ParseErrors;
import io.ravine.io.StrictJson;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A study directory: {@code study-config.json} (what defines the trials) and {@code study.csv} (one row per finished
 * trial). After each trial the whole CSV is rewritten atomically (it is small), so a killed study leaves the rows of
 * every finished trial and nothing half-written; the trial in flight is simply run again. Reopening the directory
 * removes the temporaries of writes a kill interrupted, and a study.csv that ends in a torn row (not something
 * Ravine writes, but a truncated copy can) loses only that row.
 */
final class StudyFiles implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StudyFiles.class);
    static final Gson GSON = StrictJson.gson();
    static final String CONFIG_FILE = "study-config.json";
    static final String TRIALS_FILE = "study.csv";

    private final Path dir;
    private final Map<String, TrialRow> rows = new LinkedHashMap<>();
    private DirectoryLock lock;

    private StudyFiles(Path dir) {
        this.dir = dir;
    }

    /**
     * Opens (or creates) the study directory for {@code config} and locks it until {@link #close()}. A directory
     * holding another study's definition, or files that are not a study's, is refused (naming the settings that
     * differ, or the files) unless {@code overwrite}, which replaces it whole.
     */
    static StudyFiles open(Path dir, BatchSizeStudyConfig config, boolean overwrite) {
        StudyFiles files = new StudyFiles(dir);
        OutputDirectories.Replacement old = null;
        try {
            if (overwrite) {
                old = OutputDirectories.replace(dir);
            } else if (!OutputDirectories.isEmpty(dir) && Files.isDirectory(dir)
                    && !Files.exists(dir.resolve(CONFIG_FILE))) {
                throw new InvalidInputException("--run-dir " + dir + ": holds files that are not a study's ("
                        + OutputDirectories.describe(OutputDirectories.contents(dir)) + "; no " + CONFIG_FILE
                        + "): choose another --run-dir, or replace it with --overwrite");
            }
            Path configFile = dir.resolve(CONFIG_FILE);
            JsonObject now = StrictJson.settingsTree(config).getAsJsonObject();
            // Everything the directory holds is read and checked before anything is written into it: a foreign or
            // damaged study.csv, noise-scale.csv or study-config.json leaves the directory as it was.
            if (Files.exists(configFile)) {
                JsonElement saved = readJson(configFile);
                if (!saved.isJsonObject()) {
                    throw new InvalidInputException(configFile + ": not a study's configuration (expected a JSON"
                            + " object with a \"config\" object)");
                }
                JsonElement b = saved.getAsJsonObject().get("config");
                JsonObject before = b != null && b.isJsonObject() ? b.getAsJsonObject() : new JsonObject();
                if (b != null && b.isJsonObject() && !before.has("batchNorm")) {
                    // Studies from before --batch-norm existed in study: they ran without it.
                    before = before.deepCopy();
                    before.addProperty("batchNorm", false);
                }
                if (before.has("monitorSize") && !before.has("subset")) {
                    // Studies from before the subset's size was named subset (the CLI's --subset).
                    before = before.deepCopy();
                    before.add("subset", before.remove("monitorSize"));
                }
                TreeSet<String> differ = new TreeSet<>();
                for (String key : union(before, now)) {
                    if (!BatchSizeStudyConfig.SELECTION.contains(key)
                            && !java.util.Objects.equals(before.get(key), now.get(key))) {
                        differ.add(key);
                    }
                }
                if (!differ.isEmpty()) {
                    throw new InvalidInputException("the study in " + dir + " was run with other settings ("
                            + String.join(", ", differ) + "): rerun it with the same ones, choose another --run-dir, or"
                            + " replace it with --overwrite");
                }
            }
            Path trials = dir.resolve(TRIALS_FILE);
            if (Files.exists(trials)) {
                files.read(trials);
            }
            files.readNoise();
            // Checked before anything is written; then this process owns the directory.
            Files.createDirectories(dir);
            files.lock = DirectoryLock.acquire(dir);
            // A study killed in an atomic write left its temporary; this process owns the directory now.
            int leftovers = AtomicFiles.deleteLeftovers(dir) + AtomicFiles.deleteLeftovers(dir.resolve("plots"));
            if (leftovers > 0) {
                LOG.info("{}: removed {} temporary file(s) left by an interrupted study", dir, leftovers);
            }
            JsonObject root = new JsonObject();
            root.add("config", now);
            AtomicFiles.writeString(configFile, StrictJson.toJson(root));
            if (old != null) {
                old.discard();
                old = null;
            }
        } catch (IOException e) {
            files.close();
            throw new UncheckedIOException("cannot open the study directory " + dir, e);
        } catch (RuntimeException e) {
            files.close();
            throw e;
        } finally {
            if (old != null) {
                old.restore();
            }
        }
        return files;
    }

    /** Releases the study directory's lock. */
    @Override
    public void close() {
        if (lock != null) {
            lock.close();
            lock = null;
        }
    }

    private static List<String> union(JsonObject a, JsonObject b) {
        List<String> keys = new ArrayList<>(a.keySet());
        for (String k : b.keySet()) {
            if (!keys.contains(k)) {
                keys.add(k);
            }
        }
        return keys;
    }

    static JsonElement readJson(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + file + ": " + ParseErrors.io(e), e);
        }
        JsonElement json;
        try {
            json = GSON.fromJson(text, JsonElement.class);
        } catch (RuntimeException e) {
            throw new InvalidInputException(file + ": not valid JSON: " + ParseErrors.json(e), e);
        }
        if (json == null) {
            throw new InvalidInputException(file + ": empty (expected a JSON object)");
        }
        return json;
    }

    private void read(Path trials) throws IOException {
        String text = Files.readString(trials, StandardCharsets.UTF_8);
        // We replace the file atomically, so it never ends in a torn row; a copy cut short or a hand edit can. The
        // text after the last newline is such a row: left out, and its trial runs again.
        int complete = text.lastIndexOf('\n') + 1;
        if (complete < text.length()) {
            LOG.warn("{}: the last line is torn (no newline): left out, that trial runs again", trials);
            text = text.substring(0, complete);
        }
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build();
        try (CSVParser parser = CSVParser.parse(text, format)) {
            if (!parser.getHeaderNames().equals(TrialRow.COLUMNS)) {
                throw new InvalidInputException(trials + ": not a study's trials file: its columns are "
                        + parser.getHeaderNames() + ", a study writes " + TrialRow.COLUMNS + " (choose another --run-dir)");
            }
            for (CSVRecord rec : parser) {
                try {
                    TrialRow row = TrialRow.parse(rec::get);
                    rows.put(row.trial(), row);
                } catch (RuntimeException e) {
                    // A damaged row costs only time: its trial runs again and the rewrite replaces the row.
                    LOG.warn("{} line {}: unreadable row ({}); that trial runs again", trials,
                            rec.getRecordNumber() + 1, e.getMessage());
                }
            }
        } catch (UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            // Commons CSV's complaints about the file as a whole (an unterminated quote, a repeated header name).
            throw new InvalidInputException(trials + ": malformed CSV: " + ParseErrors.csv(e), e);
        }
    }

    Path dir() {
        return dir;
    }

    boolean finished(String trial) {
        return rows.containsKey(trial);
    }

    TrialRow row(String trial) {
        return rows.get(trial);
    }

    /** Records a finished trial (replacing an older row of the same key) and rewrites study.csv atomically. */
    void append(TrialRow row) {
        rows.put(row.trial(), row);
        write();
    }

    /** Puts the rows in the order of {@code plan} (trials not in it follow, as found), so reruns give one order. */
    void reorder(List<String> plan) {
        Map<String, TrialRow> ordered = new LinkedHashMap<>();
        for (String t : plan) {
            if (rows.containsKey(t)) {
                ordered.put(t, rows.get(t));
            }
        }
        ordered.putAll(rows);
        rows.clear();
        rows.putAll(ordered);
        write();
    }

    private void write() {
        StringWriter out = new StringWriter();
        try (CSVPrinter printer = new CSVPrinter(out, CSVFormat.DEFAULT.builder()
                .setHeader(TrialRow.COLUMNS.toArray(String[]::new)).setRecordSeparator("\n").build())) {
            for (TrialRow r : rows.values()) {
                printer.printRecord(r.cells());
            }
            printer.flush();
            AtomicFiles.writeString(dir.resolve(TRIALS_FILE), out.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(TRIALS_FILE), e);
        }
    }

    static final String NOISE_FILE = "noise-scale.csv";

    /** Writes the noise trial's series (before its row, so a row always has its series on disk). */
    void writeNoise(List<NoiseSample> series) {
        StringWriter out = new StringWriter();
        try (CSVPrinter printer = new CSVPrinter(out, CSVFormat.DEFAULT.builder()
                .setHeader(NoiseSample.COLUMNS.toArray(String[]::new)).setRecordSeparator("\n").build())) {
            for (NoiseSample n : series) {
                printer.printRecord(n.cells());
            }
            printer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot format the noise-scale series", e);
        }
        writeString(NOISE_FILE, out.toString());
    }

    /** The noise trial's series, empty when there is none. */
    List<NoiseSample> readNoise() {
        Path file = dir.resolve(NOISE_FILE);
        List<NoiseSample> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build();
        try (Reader r = Files.newBufferedReader(file); CSVParser parser = CSVParser.parse(r, format)) {
            if (!parser.getHeaderNames().containsAll(NoiseSample.COLUMNS)) {
                throw new InvalidInputException(file + ": not the noise-scale series a study writes: its columns are "
                        + parser.getHeaderNames() + ", a study writes " + NoiseSample.COLUMNS);
            }
            for (CSVRecord rec : parser) {
                try {
                    out.add(NoiseSample.parse(rec::get));
                } catch (NumberFormatException e) {
                    throw new InvalidInputException(file + ": line " + (rec.getRecordNumber() + 1) + ": "
                            + ParseErrors.number(e), e);
                }
            }
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + file + ": " + ParseErrors.io(e), e);
        } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
            throw new InvalidInputException(file + ": not the noise-scale series a study writes: "
                    + ParseErrors.csv(e), e);
        }
        return out;
    }

    /** Removes a file of the study that this run's results no longer include, if it is there. */
    void delete(String name) {
        try {
            Files.deleteIfExists(dir.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the outdated " + dir.resolve(name), e);
        }
    }

    /** Writes a text file of the study atomically. */
    void writeString(String name, String text) {
        try {
            Path file = dir.resolve(name);
            Files.createDirectories(file.toAbsolutePath().getParent());
            AtomicFiles.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(name), e);
        }
    }
}
