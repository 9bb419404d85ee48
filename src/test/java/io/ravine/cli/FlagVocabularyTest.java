package io.ravine.cli;

import static io.ravine.cli.ResumeCorpusTest.hashes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.bench.BenchCase;
import io.ravine.io.SafeTensors;
import io.ravine.train.RunDirectories;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * One flag vocabulary on every command (README, "One vocabulary"): the same concept has the same flag everywhere,
 * renamed flags get one line with the new name, the long option lists are grouped, the defaults the descriptions
 * state are the code's, and what the renames touched (config.json's subset, a resume's checkpoint, landscape's
 * --checkpoint FROM,TO, bench's cases) behaves as documented.
 */
class FlagVocabularyTest {
    @TempDir
    static Path shared;

    /** A run with initial, step-00000002, step-00000004 and final checkpoints. */
    private static Path run;

    @TempDir
    Path tmp;

    @BeforeAll
    static void trainTheRun() {
        run = shared.resolve("run");
        CliTestSupport.Result r = CliTestSupport.run(train(run, 4).toArray(String[]::new));
        assertEquals(0, r.status(), r.err());
    }

    private static List<String> train(Path dir, int steps) {
        return new ArrayList<>(List.of("train", "--device", "cpu", "--progress", "off", "--limit", "200", "--hidden",
                "4", "--batch-size", "20", "--steps", Integer.toString(steps), "--checkpoint-every", "2",
                "--save-initial", "--subset", "50", "--threads", "1", "--run-dir", dir.toString()));
    }

    /** Every command and subcommand (qualified name → its spec), help excepted. */
    private static Map<String, CommandSpec> commands() {
        Map<String, CommandSpec> all = new LinkedHashMap<>();
        collect(new CommandLine(new Main()), all);
        all.remove("ravine");
        all.remove("ravine help");
        return all;
    }

    private static void collect(CommandLine cli, Map<String, CommandSpec> into) {
        into.put(cli.getCommandSpec().qualifiedName(), cli.getCommandSpec());
        cli.getSubcommands().values().forEach(c -> collect(c, into));
    }

    // ---- the renamed flags ----

    static Stream<Arguments> renamed() {
        List<Arguments> out = new ArrayList<>();
        Suggestions.RENAMED.forEach((command, flags) -> flags.forEach((old, now) -> out.add(Arguments.of(command,
                old, now))));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("renamed")
    void anOldFlagGetsOneLineWithItsNewName(String command, String old, String now) {
        assertNull(commands().get(command).findOption(old), old + " is gone from " + command);
        assertNotNull(commands().get(command).findOption(now.split(" ")[0]), now + " exists in " + command);
        List<String> args = new ArrayList<>(List.of(command.replaceFirst("^ravine ", "").split(" ")));
        args.addAll(List.of(old, "1"));
        CliTestSupport.Result r = CliTestSupport.run(args.toArray(String[]::new));
        assertEquals(Main.EXIT_BAD_INPUT, r.status(), r.err());
        assertEquals(List.of("ravine: " + old + " was renamed " + now), r.errorLines(), r.err());
    }

    @Test
    void theExamplesOfTheIssueReadAsAsked() {
        assertEquals(List.of("ravine: --monitor-size was renamed --subset"),
                CliTestSupport.run("train", "--monitor-size", "16").errorLines());
        assertEquals(List.of("ravine: --out was renamed --run-dir"),
                CliTestSupport.run("toy", "--out", tmp.resolve("t").toString()).errorLines());
        assertEquals(List.of("ravine: --repeats was renamed --rounds"),
                CliTestSupport.run("bench", "--repeats", "5").errorLines());
        assertFalse(Files.exists(tmp.resolve("t")));
    }

    // ---- one name per concept ----

    @Test
    void everyCommandNamesTheSameConceptTheSameWay() {
        Map<String, CommandSpec> all = commands();
        for (String c : List.of("ravine train", "ravine diagnose", "ravine landscape", "ravine toy",
                "ravine study batch-size", "ravine sweep lr")) {
            assertNotNull(all.get(c).findOption("--run-dir"), c + " --run-dir");
            assertNull(all.get(c).findOption("--out"), c + " writes a directory: --run-dir, not --out");
        }
        for (String c : List.of("ravine bench", "ravine export", "ravine predict")) {
            assertEquals("FILE", all.get(c).findOption("--out").paramLabel(), c + " --out is a file");
        }
        for (String c : List.of("ravine train", "ravine diagnose", "ravine landscape", "ravine study batch-size",
                "ravine sweep lr")) {
            assertNotNull(all.get(c).findOption("--subset"), c + " --subset");
        }
        for (String c : List.of("ravine train", "ravine diagnose", "ravine landscape", "ravine study batch-size",
                "ravine sweep lr", "ravine bench")) {
            assertNotNull(all.get(c).findOption("--progress"), c + " --progress");
        }
        for (Map.Entry<String, CommandSpec> e : all.entrySet()) {
            OptionSpec device = e.getValue().findOption("--device");
            if (device != null) {
                assertEquals("auto", String.valueOf(device.initialValue()), e.getKey() + " --device defaults to auto");
                assertTrue(device.description()[0].startsWith("auto (default"), e.getKey() + ": "
                        + device.description()[0]);
            }
            OptionSpec overwrite = e.getValue().findOption("--overwrite");
            if (overwrite != null) {
                assertTrue(overwrite.description()[0].startsWith("replace"), e.getKey() + ": "
                        + overwrite.description()[0]);
            }
        }
        for (String c : List.of("ravine bench", "ravine study batch-size")) {
            assertNotNull(all.get(c).findOption("--warmup-steps"), c);
            assertNotNull(all.get(c).findOption("--timed-steps"), c);
        }
    }

    /**
     * A description's "(default N)" or "default N" with one number is the option's initial value: the help says what
     * the code does.
     */
    @Test
    void everyNumericDefaultADescriptionStatesIsTheCodes() {
        Pattern stated = Pattern.compile("(?:\\(|; )default (-?[0-9][0-9.e+-]*)[);:]");
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (Map.Entry<String, CommandSpec> e : commands().entrySet()) {
            for (OptionSpec o : e.getValue().options()) {
                String text = String.join(" ", o.description());
                Matcher m = stated.matcher(text);
                Object initial = o.initialValue();
                if (!m.find() || !(initial instanceof Number n)) {
                    continue;
                }
                checked++;
                if (Double.parseDouble(m.group(1)) != n.doubleValue()) {
                    wrong.add(e.getKey() + " " + o.longestName() + ": says " + m.group(1) + ", is " + initial);
                }
            }
        }
        assertTrue(checked > 40, "the pattern finds the defaults: " + checked);
        assertEquals(List.of(), wrong);
    }

    // ---- grouped help ----

    static Stream<Arguments> groupedCommands() {
        return Stream.of(Arguments.of(List.of("sweep", "lr"), SweepCommand.LearningRate.HELP_SECTIONS),
                Arguments.of(List.of("study", "batch-size"), StudyCommand.BatchSize.HELP_SECTIONS),
                Arguments.of(List.of("train"), TrainCommand.HELP_SECTIONS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("groupedCommands")
    void theHelpListsEveryOptionOnceInASection(List<String> command, Map<String, List<String>> sections) {
        List<String> args = new ArrayList<>(command);
        args.add("--help");
        CliTestSupport.Result r = CliTestSupport.run(args.toArray(String[]::new));
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("Usage: ravine " + String.join(" ", command) + " [OPTIONS]", lines.get(0));
        List<String> headings = lines.stream().filter(l -> l.matches("[A-Z][^ ].*:")).toList();
        assertFalse(headings.contains("Other options:"), "a flag in no section: place it in HELP_SECTIONS\n"
                + r.out());
        assertEquals("General:", headings.get(headings.size() - 1));
        assertTrue(sections.keySet().containsAll(headings.subList(0, headings.size() - 1).stream()
                .map(h -> h.substring(0, h.length() - 1)).toList()), headings.toString());
        CommandSpec spec = commands().get("ravine " + String.join(" ", command));
        for (OptionSpec o : spec.options()) {
            String name = o.longestName();
            long shown = lines.stream().filter(l -> l.matches("\\s+(-\\w, )?" + Pattern.quote(name) + "([= ].*)?"))
                    .count();
            assertEquals(1, shown, name + " in\n" + r.out());
        }
    }

    // ---- config.json: subset, and the files of older versions ----

    @Test
    void configJsonNamesTheSubsetAndAnOlderRunsMonitorSizeStillResumes() throws IOException {
        String config = Files.readString(run.resolve("config.json"));
        assertTrue(config.contains("\"format\": \"ravine-run-5\""), config);
        assertTrue(config.contains("\"subset\": 50") && !config.contains("monitorSize"), config);

        // The run as an older Ravine wrote it: format ravine-run-4, the subset under its old name.
        Path old = CliTestSupport.copyTree(run, tmp.resolve("old"));
        Files.delete(old.resolve("checkpoints/final.safetensors"));
        Files.delete(old.resolve("summary.json"));
        Files.writeString(old.resolve("config.json"), config.replace("\"ravine-run-5\"", "\"ravine-run-4\"")
                .replace("\"subset\":", "\"monitorSize\":"));
        assertEquals(50, RunDirectories.readConfig(old).subset());

        // Resumed from its last periodic checkpoint to 6 steps: the run trained 6 steps straight, bit for bit.
        CliTestSupport.Result r = CliTestSupport.run("train", "--resume", "--run-dir", old.toString(), "--steps", "6",
                "--progress", "off");
        assertEquals(0, r.status(), r.err());
        Path straight = tmp.resolve("straight");
        assertEquals(0, CliTestSupport.run(train(straight, 6).toArray(String[]::new)).status());
        assertArrayEquals(SafeTensors.read(straight.resolve("checkpoints/final.safetensors")).get("layers.0.weight")
                .floats(), SafeTensors.read(old.resolve("checkpoints/final.safetensors")).get("layers.0.weight")
                .floats());
        // A changed --subset is still refused on resume, in the new name.
        BadInputCorpusTest.assertRejected(CliTestSupport.run("train", "--resume", "--run-dir", old.toString(),
                "--steps", "8", "--subset", "20", "--progress", "off"), "--subset 50 (saved) vs 20 (given)",
                "other settings");
    }

    @Test
    void aStudyOfAnOlderVersionWithMonitorSizeIsRerunNotRefused() throws IOException {
        Path dir = tmp.resolve("study");
        String[] study = {"study", "batch-size", "--parts", "hardware", "--device", "cpu", "--batch-sizes", "1,2,4",
            "--hidden", "4", "--inputs", "3", "--classes", "2", "--timed-steps", "1", "--warmup-steps", "0",
            "--warmup-seconds", "0", "--seconds-per-size", "0", "--threads", "1", "--progress", "off", "--run-dir",
            dir.toString()};
        assertEquals(0, CliTestSupport.run(study).status());
        Path file = dir.resolve("study-config.json");
        String text = Files.readString(file);
        assertTrue(text.contains("\"subset\": 1000"), text);
        Files.writeString(file, text.replace("\"subset\":", "\"monitorSize\":"));
        CliTestSupport.Result again = CliTestSupport.run(study);
        assertEquals(0, again.status(), again.err());
        assertTrue(again.out().contains("0 trials run, 3 already done"), again.out());
    }

    @Test
    void studyDeviceAutoStandsAlone() {
        BadInputCorpusTest.assertRejected(CliTestSupport.run("study", "batch-size", "--device", "auto,cuda",
                "--run-dir", tmp.resolve("s").toString()), "--device auto", "give it alone");
        assertFalse(Files.exists(tmp.resolve("s")));
    }

    // ---- landscape --checkpoint FROM,TO ----

    @Test
    void landscapeCheckpointTakesFromAndToOrOneNameFromInitial() throws IOException {
        Path r = CliTestSupport.copyTree(run, tmp.resolve("r"));
        CliTestSupport.Result both = CliTestSupport.run("landscape", "--run-dir", r.toString(), "--device", "cpu",
                "--checkpoint", "step-00000002,final", "--plane", "none", "--points", "3", "--subset", "20",
                "--progress", "off");
        assertEquals(0, both.status(), both.err());
        assertTrue(both.out().contains("line step-00000002 → final"), both.out());
        JsonObject json = JsonParser.parseString(Files.readString(r.resolve("landscape/landscape.json")))
                .getAsJsonObject();
        assertTrue(json.toString().contains("step-00000002.safetensors"), json.toString());

        CliTestSupport.Result one = CliTestSupport.run("landscape", "--run-dir", r.toString(), "--device", "cpu",
                "--checkpoint", "step-00000002", "--plane", "none", "--points", "3", "--subset", "20",
                "--progress", "off", "--overwrite");
        assertEquals(0, one.status(), one.err());
        assertTrue(one.out().contains("line initial → step-00000002"), one.out());

        Map<String, String> before = hashes(r);
        BadInputCorpusTest.assertRejected(CliTestSupport.run("landscape", "--run-dir", r.toString(), "--checkpoint",
                "initial,step-00000002,final", "--overwrite"), "--checkpoint takes FROM,TO", "initial,step-00000002");
        assertEquals(before, hashes(r));
    }

    // ---- progress where it was missing ----

    @Test
    void landscapeAndDiagnoseDrawTheirProgressToTheEnd() throws IOException {
        Path r = CliTestSupport.copyTree(run, tmp.resolve("r"));
        int checkpoints = RunDirectories.checkpoints(r).size();
        // The count the line is drawn against is the evaluations made: it ends at N/N, 100%. 5 points (α = 0 and 1
        // on the grid or not), a 3×3 plane with the checkpoints and θ₀, θ₁, the random walk's points.
        CliTestSupport.Result land = CliTestSupport.run("landscape", "--run-dir", r.toString(), "--device", "cpu",
                "--points", "5", "--alpha-min", "-0.5", "--alpha-max", "1.5", "--grid", "3", "--subset", "20",
                "--random-walk-control", "--progress", "on");
        assertEquals(0, land.status(), land.err());
        Matcher last = Pattern.compile("\rloss (\\d+)/(\\d+) (\\d+)% ").matcher(land.err());
        String end = null;
        while (last.find()) {
            end = last.group(1) + "/" + last.group(2) + " " + last.group(3) + "%";
        }
        int atLeast = 2 * 5 + 9 + checkpoints + 2 + checkpoints;
        assertTrue(end != null && end.matches("(\\d+)/\\1 100%") && Integer.parseInt(end.split("/")[0]) >= atLeast,
                end + " in " + land.err());
        assertFalse(land.out().contains("\r"), land.out());

        CliTestSupport.Result diagnose = CliTestSupport.run("diagnose", "--run-dir", r.toString(), "--device", "cpu",
                "--all-checkpoints", "--lanczos-steps", "3", "--subset", "20", "--progress", "on");
        assertEquals(0, diagnose.status(), diagnose.err());
        assertTrue(diagnose.err().contains("\rcheckpoint " + checkpoints + "/" + checkpoints + " 100% "),
                diagnose.err());
        assertEquals(checkpoints, diagnose.out().lines().filter(l -> l.contains("(step ")).count(), diagnose.out());
        assertFalse(diagnose.out().contains("\r"), diagnose.out());
    }

    // ---- bench's cases ----

    @Test
    void benchCasesAreEveryModelAtEveryBatchSizeAndTheDefaultsAreUnchanged() {
        assertEquals(BenchCase.cpuDefaults(), BenchCommand.cases(null, null, false));
        assertEquals(List.of("784-256-10 B=128", "784-1024-1024-10 B=1024"),
                BenchCommand.cases(null, null, false).stream().map(BenchCase::label).toList());
        assertEquals(BenchCase.gpuDefaults(), BenchCommand.cases(null, null, true));
        assertEquals(List.of("784-256-10 B=64", "784-256-10 B=512", "784-1024-1024-10 B=64",
                "784-1024-1024-10 B=512"), BenchCommand.cases(List.of("256", "1024,1024"), "64,512", false).stream()
                .map(BenchCase::label).toList());
        assertEquals(List.of("784-32-10 B=128", "784-32-10 B=1024"), BenchCommand.cases(List.of("32"), null, false)
                .stream().map(BenchCase::label).toList());
        assertEquals(List.of("784-10 B=16"), BenchCommand.cases(List.of("none"), "16", true).stream()
                .map(BenchCase::label).toList());
    }
}
