package io.ravine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.data.BadDataCorpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input corpus through the real CLI, in-process: every case exits 2 with exactly one "ravine:" line naming
 * the file (or flag) and the problem, prints no stack trace (unless --verbose), and creates no run directory.
 */
class BadInputCorpusTest {
    private static Path corpus;

    @TempDir
    Path tmp;

    private static List<BadDataCorpus.Case> cases;

    /** Written once for both parameterised tests (JUnit calls each factory before the tests run). */
    static synchronized List<BadDataCorpus.Case> dataCases() throws IOException {
        if (cases == null) {
            corpus = Files.createTempDirectory("ravine-bad-cli");
            cases = BadDataCorpus.write(corpus);
        }
        return cases;
    }

    static Stream<BadDataCorpus.Case> dataCasesWithoutTestFile() throws IOException {
        return dataCases().stream().filter(c -> c.testData() == null);
    }

    @AfterAll
    static void deleteCorpus() {
        BadDataCorpus.deleteRecursively(corpus);
    }

    /** The CLI's answer to bad input: status 2, one line naming what and why, no trace. */
    static CliTestSupport.Result assertRejected(CliTestSupport.Result r, String culprit, String problem) {
        assertEquals(Main.EXIT_BAD_INPUT, r.status(), "exit status; stderr: " + r.err());
        assertEquals(1, r.errorLines().size(), "exactly one error line: " + r.err());
        String line = r.errorLines().get(0);
        assertTrue(line.contains(culprit), "'" + line + "' should name " + culprit);
        assertTrue(line.toLowerCase(Locale.ROOT).contains(problem.toLowerCase(Locale.ROOT)),
                "'" + line + "' should say '" + problem + "'");
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
        return r;
    }

    /** {@code train --device cpu} with {@code args}, and defaults for the flags args do not give. */
    private List<String> train(String... args) {
        List<String> all = new ArrayList<>(List.of("train", "--device", "cpu"));
        all.addAll(List.of(args));
        addUnlessGiven(all, "--progress", "off");
        addUnlessGiven(all, "--steps", "2");
        addUnlessGiven(all, "--run-dir", tmp.resolve("run").toString());
        return all;
    }

    private static void addUnlessGiven(List<String> args, String flag, String value) {
        if (args.stream().noneMatch(a -> a.equals(flag) || a.startsWith(flag + "="))) {
            args.add(flag);
            args.add(value);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dataCases")
    void trainRefusesBadData(BadDataCorpus.Case c) {
        List<String> args = train("--data", c.data());
        if (c.testData() != null) {
            args.addAll(List.of("--test-data", c.testData()));
        }
        assertRejected(CliTestSupport.run(args.toArray(String[]::new)), c.culprit(), c.problem());
        assertFalse(Files.exists(tmp.resolve("run")), "no run directory for a run that never started");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dataCasesWithoutTestFile")
    void gradcheckRefusesTheSameData(BadDataCorpus.Case c) {
        assertRejected(CliTestSupport.run("gradcheck", "--data", c.data()), c.culprit(), c.problem());
    }

    static Stream<Arguments> badFlags() {
        return Stream.of(
                Arguments.of("hidden 0", List.of("--hidden", "0"), "--hidden", "positive"),
                Arguments.of("hidden negative", List.of("--hidden=-4"), "--hidden", "positive"),
                Arguments.of("hidden 12,abc", List.of("--hidden", "12,abc"), "--hidden", "positive integers"),
                Arguments.of("hidden empty", List.of("--hidden", ""), "--hidden", "empty"),
                Arguments.of("hidden empty width", List.of("--hidden", "12,,4"), "--hidden", "empty width"),
                Arguments.of("hidden 2^31", List.of("--hidden", "2147483648"), "--hidden", "too large"),
                Arguments.of("hidden 10^30", List.of("--hidden", "1000000000000000000000000000000"), "--hidden",
                        "too large"),
                Arguments.of("hidden layers over 2^31 weights", List.of("--hidden", "100000,100000"), "--hidden",
                        "too large"),
                // Fits the flag check; the model (784 inputs) has over 2³¹ parameters, refused before allocating.
                Arguments.of("hidden 10^8 on 784 inputs", List.of("--hidden", "100000000"), "2^31",
                        "more than"),
                Arguments.of("lr 0", List.of("--lr", "0"), "--lr", "positive"),
                Arguments.of("lr negative", List.of("--lr=-0.1"), "--lr", "positive"),
                Arguments.of("lr NaN", List.of("--lr", "NaN"), "--lr", "positive"),
                Arguments.of("lr Infinity", List.of("--lr", "Infinity"), "--lr", "positive"),
                Arguments.of("lr abc", List.of("--lr", "abc"), "--lr", "invalid value"),
                Arguments.of("batch-size 0", List.of("--batch-size", "0"), "--batch-size", "positive integer"),
                Arguments.of("batch-size negative", List.of("--batch-size=-8"), "--batch-size", "positive integer"),
                Arguments.of("batch-size abc", List.of("--batch-size", "abc"), "--batch-size", "positive integer"),
                Arguments.of("batch-size beyond int", List.of("--batch-size", "99999999999"), "--batch-size",
                        "too large"),
                Arguments.of("steps negative", List.of("--steps=-3"), "--steps", "positive"),
                Arguments.of("steps abc", List.of("--steps", "abc"), "--steps", "invalid value"),
                Arguments.of("steps beyond long", List.of("--steps", "99999999999999999999"), "--steps",
                        "invalid value"),
                Arguments.of("epochs negative", List.of("--epochs=-1"), "--epochs", "positive"),
                Arguments.of("epochs abc", List.of("--epochs", "abc"), "--epochs", "invalid value"),
                Arguments.of("unknown flag", List.of("--bogus", "3"), "--bogus", "unknown option"),
                Arguments.of("misspelt flag", List.of("--hiden", "8"), "--hiden", "unknown option"),
                Arguments.of("unknown optimizer", List.of("--optimizer", "adagrad"), "adagrad", "optimizer"),
                Arguments.of("progress", List.of("--progress", "sometimes"), "--progress", "auto, on or off"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFlags")
    void trainRefusesBadFlags(String name, List<String> flags, String culprit, String problem) {
        List<String> args = train(flags.toArray(String[]::new));
        assertRejected(CliTestSupport.run(args.toArray(String[]::new)), culprit, problem);
        assertFalse(Files.exists(tmp.resolve("run")), "no run directory for a run that never started");
    }

    @Test
    void unknownSubcommand() {
        assertRejected(CliTestSupport.run("trian", "--steps", "2"), "trian", "unmatched argument");
    }

    @Test
    void gradcheckRefusesBadHidden() {
        assertRejected(CliTestSupport.run("gradcheck", "--hidden", "2147483648"), "--hidden", "too large");
    }

    @Test
    void verbosePrintsTheStackTrace() throws IOException {
        Path f = tmp.resolve("nan.csv");
        Files.writeString(f, "a,b,label\n1,2,0\n3,NaN,1\n");
        CliTestSupport.Result r = CliTestSupport.run(train("--data", f.toString(), "--verbose")
                .toArray(String[]::new));
        assertEquals(Main.EXIT_BAD_INPUT, r.status());
        assertEquals(1, r.errorLines().size(), r.err());
        assertTrue(r.err().contains("\tat io.ravine.data.CsvReader"), "--verbose shows where: " + r.err());
    }

    // ---- --run-dir that cannot be one ----

    @Test
    void runDirIsAFile() throws IOException {
        Path file = tmp.resolve("a-file");
        Files.writeString(file, "keep me\n");
        assertRejected(CliTestSupport.run(train("--run-dir", file.toString()).toArray(String[]::new)),
                file.toString(), "not a directory");
        assertEquals("keep me\n", Files.readString(file), "the file is untouched");
    }

    @Test
    void runDirUnderAFile() throws IOException {
        Path file = tmp.resolve("a-file");
        Files.writeString(file, "keep me\n");
        Path under = file.resolve("runs").resolve("r1");
        assertRejected(CliTestSupport.run(train("--run-dir", under.toString()).toArray(String[]::new)),
                file + " is a file", "not a directory");
        assertEquals("keep me\n", Files.readString(file));
    }

    @Test
    void runDirWhereNoOneCanWrite() {
        // Root-proof: even root cannot create files in /proc.
        Path dir = Path.of("/proc/ravine-bad-input-test/run");
        assertRejected(CliTestSupport.run(train("--run-dir", dir.toString()).toArray(String[]::new)),
                dir.toString(), "cannot create files in /proc");
        assertFalse(Files.exists(dir));
    }

    @Test
    void runDirInAReadOnlyDirectory() throws IOException {
        Assumptions.assumeFalse("root".equals(System.getProperty("user.name")),
                "running as root, which writes into a chmod-555 directory anyway; runDirWhereNoOneCanWrite covers"
                        + " the case for root");
        Path locked = tmp.resolve("locked");
        Files.createDirectories(locked);
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assertRejected(CliTestSupport.run(train("--run-dir", locked.resolve("run").toString())
                    .toArray(String[]::new)), locked.toString(), "permission denied");
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
