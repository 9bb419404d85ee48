package io.ravine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Suggestions for typos, --version on every command, train's help sections and UTF-8 output under any locale. */
class CliBasicsTest {

    @Test
    void aMistypedCommandGetsOneLineWithTheNearestCommand() {
        CliTestSupport.Result r = CliTestSupport.run("trian");
        assertEquals(Main.EXIT_BAD_INPUT, r.status());
        assertEquals(List.of("ravine: unknown command 'trian' (did you mean train?)"), r.errorLines(), r.err());
    }

    @Test
    void aMistypedOptionGetsOneLineWithTheNearestOption() {
        CliTestSupport.Result r = CliTestSupport.run("train", "--optimzer", "adam");
        assertEquals(Main.EXIT_BAD_INPUT, r.status());
        assertEquals(List.of("ravine: unknown option '--optimzer' for 'ravine train' (did you mean --optimizer?)"),
                r.errorLines(), r.err());
        CliTestSupport.Result eq = CliTestSupport.run("diagnose", "--run-dri=x");
        assertEquals(List.of("ravine: unknown option '--run-dri' for 'ravine diagnose' (did you mean --run-dir?)"),
                eq.errorLines(), eq.err());
    }

    @Test
    void aNameFarFromEveryOptionGetsNoGuess() {
        CliTestSupport.Result r = CliTestSupport.run("train", "--zzzzzzzz");
        assertEquals(Main.EXIT_BAD_INPUT, r.status());
        assertEquals(List.of("ravine: unknown option '--zzzzzzzz' for 'ravine train' (ravine train --help lists"
                + " them)"), r.errorLines(), r.err());
    }

    @Test
    void editDistanceCountsASwapAsOneEdit() {
        assertEquals(1, Suggestions.distance("trian", "train"));
        assertEquals(1, Suggestions.distance("--optimzer", "--optimizer"));
        assertEquals(Optional.empty(), Suggestions.nearest("--xyz", List.of("--lr", "--optimizer")));
    }

    @Test
    void everyCommandPrintsTheVersionJavaOpenBlasAndCuda() {
        CommandLine cli = new CommandLine(new Main());
        List<String> commands = new java.util.ArrayList<>(List.of(""));
        cli.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                commands.add(name);
                sub.getSubcommands().keySet().forEach(s -> commands.add(name + " " + s));
            }
        });
        for (String command : commands) {
            List<String> args = new java.util.ArrayList<>(command.isEmpty() ? List.of() : List.of(command.split(" ")));
            args.add("--version");
            CliTestSupport.Result r = CliTestSupport.run(args.toArray(String[]::new));
            assertEquals(0, r.status(), command + ": " + r.err());
            List<String> lines = r.out().lines().toList();
            assertEquals(4, lines.size(), command + ": " + r.out());
            assertTrue(lines.get(0).startsWith("ravine "), r.out());
            assertTrue(lines.get(1).startsWith("Java " + System.getProperty("java.version")), r.out());
            assertTrue(lines.get(2).matches("OpenBLAS \\d+\\.\\d+\\.\\d+ \\(org\\.bytedeco:openblas .*\\)"), r.out());
            assertTrue(lines.get(3).startsWith("CUDA: "), r.out());
            // One short line: never the dynamic loader's words or a stack trace.
            assertTrue(lines.get(3).length() < 200 && !lines.get(3).contains("Error while loading"), lines.get(3));
            assertEquals("", r.err(), command);
        }
    }

    @Test
    void theVersionLineComesFromTheManifest() {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, "0.1.0-SNAPSHOT");
        m.getMainAttributes().putValue("Build-Commit", "0123456789ab-dirty");
        m.getMainAttributes().putValue("Build-Date", "2026-11-30T12:00:00Z");
        assertEquals("ravine 0.1.0-SNAPSHOT (commit 0123456789ab-dirty, built 2026-11-30T12:00:00Z)",
                VersionInfo.ravineLine(Optional.of(m)));
        // Built without git: Maven leaves the property unexpanded.
        m.getMainAttributes().putValue("Build-Commit", "${ravine.git.commit}");
        assertEquals("ravine 0.1.0-SNAPSHOT (commit unknown, built 2026-11-30T12:00:00Z)",
                VersionInfo.ravineLine(Optional.of(m)));
        assertEquals("ravine (version unknown: not run from its jar)", VersionInfo.ravineLine(Optional.empty()));
    }

    @Test
    void trainHelpHasAShortSynopsisAndEveryOptionOnceInASection() {
        CliTestSupport.Result r = CliTestSupport.run("train", "--help");
        assertEquals(0, r.status(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("Usage: ravine train [OPTIONS]", lines.get(0));
        List<String> headings = lines.stream().filter(l -> l.matches("[A-Z][^ ].*:")).toList();
        List<String> expected = new java.util.ArrayList<>();
        TrainCommand.HELP_SECTIONS.keySet().forEach(h -> expected.add(h + ":"));
        expected.add("General:");
        // A flag added without a section would land in "Other options": place it in TrainCommand.HELP_SECTIONS.
        assertEquals(expected, headings, r.out());
        CommandLine train = new CommandLine(new Main()).getSubcommands().get("train");
        for (CommandLine.Model.OptionSpec o : train.getCommandSpec().options()) {
            String name = o.longestName();
            long shown = lines.stream().filter(l -> l.matches("\\s+(-\\w, )?" + java.util.regex.Pattern.quote(name)
                    + "([= ].*)?")).count();
            assertEquals(1, shown, name + " in\n" + r.out());
        }
    }

    @Test
    void greekLettersArePrintedAsUtf8UnderTheCLocale(@TempDir Path tmp) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "train", "--help").directory(tmp.toFile());
        pb.environment().put("LANG", "C");
        pb.environment().put("LC_ALL", "C");
        Path out = tmp.resolve("out");
        Process p = pb.redirectOutput(out.toFile()).redirectError(tmp.resolve("err").toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("err")));
        String help = new String(Files.readAllBytes(out), StandardCharsets.UTF_8);
        assertTrue(help.contains("μ for momentum") && help.contains("Adam β₁") && help.contains("‖g‖∞"), help);
        assertTrue(!help.contains("?"), "a '?' in the help: " + help);
    }
}
