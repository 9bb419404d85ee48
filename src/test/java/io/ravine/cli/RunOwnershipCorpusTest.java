package io.ravine.cli;

import static io.ravine.cli.BadInputCorpusTest.assertRejected;
import static io.ravine.cli.ResumeCorpusTest.hashes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.InvalidInputException;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.io.DirectoryLock;
import io.ravine.io.SafeTensors;
import io.ravine.train.RunDirectories;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import io.ravine.train.TrainingResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A run directory belongs to one run, has one writer, and a resume checks what it resumes (issue 12): through the
 * CLI and the library API. Every refusal is exit 2 with exactly one {@code ravine:} line naming the flag, file or
 * setting, the rule and the values, and leaves every file that was there byte-identical (SHA-256 of the whole tree,
 * the lock file included, before and after). The cases that succeed say what they must have done.
 *
 * <p>One base run, copied per case: 40 rows of a 3-feature CSV (32 for training, batches of 8: 4 steps per epoch),
 * 6 Adam steps of a 3-8-3 MLP with checkpoints at 0 (initial), 2, 4, 6 and final, then a diagnosis and a landscape
 * line of it.
 */
class RunOwnershipCorpusTest {
    @TempDir
    static Path shared;

    private static Path csv;
    private static Path otherCsv;
    private static Path base;

    @TempDir
    Path tmp;

    @BeforeAll
    static void trainTheBaseRun() throws IOException {
        csv = shared.resolve("data.csv");
        otherCsv = shared.resolve("other.csv");
        StringBuilder a = new StringBuilder("x1,x2,x3,label\n");
        StringBuilder b = new StringBuilder("x1,x2,x3,label\n");
        for (int i = 0; i < 40; i++) {
            a.append(i % 7 - 3).append(',').append(i % 5 - 2).append(',').append(i % 11 * 0.1).append(',')
                    .append(i % 3).append('\n');
            b.append(i % 5 - 2).append(',').append(i % 7 - 3).append(',').append(i % 13 * 0.1).append(',')
                    .append(i % 3).append('\n');
        }
        Files.writeString(csv, a);
        Files.writeString(otherCsv, b);
        base = shared.resolve("base");
        ok(train(base, 6, "--save-initial"));
        ok(diagnose(base));
        ok(CliTestSupport.run("landscape", "--run-dir", base.toString(), "--device", "cpu", "--plane", "none",
                "--points", "3", "--subset", "16"));
    }

    private static CliTestSupport.Result ok(CliTestSupport.Result r) {
        assertEquals(0, r.status(), r.err());
        assertEquals(List.of(), r.errorLines(), r.err());
        return r;
    }

    private static String[] trainArgs(Path run, long steps, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--device", "cpu", "--progress", "off", "--data",
                csv.toString(), "--batch-size", "8", "--steps", Long.toString(steps), "--checkpoint-every", "2",
                "--subset", "16", "--hidden", "8", "--run-dir", run.toString()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    private static CliTestSupport.Result train(Path run, long steps, String... more) {
        return CliTestSupport.run(trainArgs(run, steps, more));
    }

    private static CliTestSupport.Result diagnose(Path run, String... more) {
        List<String> args = new ArrayList<>(List.of("diagnose", "--run-dir", run.toString(), "--device", "cpu",
                "--subset", "16", "--lanczos-steps", "3", "--top-k", "2"));
        args.addAll(List.of(more));
        return CliTestSupport.run(args.toArray(String[]::new));
    }

    private static String[] resume(Path run, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--resume", "--run-dir", run.toString(), "--progress",
                "off"));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /** A copy of {@code from} (hidden files included) at {@code to}. */
    static Path copyTree(Path from, Path to) throws IOException {
        return CliTestSupport.copyTree(from, to);
    }

    private Path copyOfBase() throws IOException {
        return copyTree(base, tmp.resolve("run"));
    }

    // ---- refusals through the CLI: one line, exit 2, every file as it was ----

    /** A refusal: the arguments, the directory whose files must stay as they were, and what the line must say. */
    record Refusal(String[] args, Path tree, String culprit, List<String> says) {
        static Refusal of(String[] args, Path tree, String culprit, String... says) {
            return new Refusal(args, tree, culprit, List.of(says));
        }
    }

    @FunctionalInterface
    interface Setup {
        Refusal make(Path run, Path tmp) throws IOException;
    }

    private static Arguments refusal(String name, Setup setup) {
        return Arguments.of(name, setup);
    }

    /** Rewrites config.json of {@code run} with {@code edit} applied to its text. */
    private static void editConfig(Path run, UnaryOperator<String> edit) throws IOException {
        Path f = run.resolve("config.json");
        String before = Files.readString(f);
        String after = edit.apply(before);
        assertFalse(before.equals(after), "the edit must change config.json");
        Files.writeString(f, after);
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                refusal("train --run-dir naming a run", (run, tmp) -> Refusal.of(trainArgs(run, 6), run,
                        "--run-dir " + run, "already holds files", "belongs to one run", "--resume --run-dir " + run,
                        "--overwrite")),
                refusal("train --run-dir naming a directory with any file", (run, tmp) -> {
                    Path dir = tmp.resolve("notes");
                    Files.createDirectories(dir);
                    Files.writeString(dir.resolve("notes.txt"), "mine\n");
                    return Refusal.of(trainArgs(dir, 6), dir, "--run-dir " + dir, "already holds files (notes.txt)",
                            "--overwrite");
                }),
                refusal("resume with a shorter --steps", (run, tmp) -> Refusal.of(resume(run, "--steps", "4"), run,
                        "--steps 4", "has already done 6 steps", "cannot shorten")),
                refusal("resume with a shorter --epochs", (run, tmp) -> Refusal.of(resume(run, "--epochs", "1"), run,
                        "--epochs 1 (4 steps)", "has already done 6 steps", "cannot shorten")),
                refusal("resume with three maths flags changed", (run, tmp) -> Refusal.of(resume(run, "--hidden",
                        "64", "--lr", "0.5", "--seed", "9", "--steps", "8"), run, "--run-dir " + run,
                        "other settings", "--hidden 8 (saved) vs 64 (given)", "--lr 0.001 (saved) vs 0.5 (given)",
                        "--seed 1 (saved) vs 9 (given)", "only --epochs, --steps")),
                refusal("resume with --overwrite", (run, tmp) -> Refusal.of(resume(run, "--overwrite"), run,
                        "--overwrite and --resume", "do not go together")),
                refusal("config.json without seed", (run, tmp) -> {
                    editConfig(run, s -> s.replaceFirst("\\s*\"seed\": \\d+,", ""));
                    return Refusal.of(resume(run, "--steps", "8"), run, run.resolve("config.json").toString(),
                            "'seed' is missing", "none is defaulted");
                }),
                refusal("config.json without learningRate", (run, tmp) -> {
                    editConfig(run, s -> s.replaceFirst(",\\s*\"learningRate\": null", ""));
                    return Refusal.of(resume(run, "--steps", "8"), run, run.resolve("config.json").toString(),
                            "'learningRate' is missing");
                }),
                refusal("config.json with steps -5", (run, tmp) -> {
                    editConfig(run, s -> s.replace("\"steps\": 6", "\"steps\": -5"));
                    return Refusal.of(resume(run), run, run.resolve("config.json").toString(),
                            "'steps' must be an integer ≥ 0, not -5");
                }),
                refusal("config.json that is null", (run, tmp) -> {
                    Files.writeString(run.resolve("config.json"), "null\n");
                    return Refusal.of(resume(run), run, run.resolve("config.json").toString(), "holds null");
                }),
                refusal("config.json with a word for a number", (run, tmp) -> {
                    editConfig(run, s -> s.replace("\"momentum\": 0.9", "\"momentum\": \"high\""));
                    return Refusal.of(resume(run), run, run.resolve("config.json").toString(),
                            "'momentum' must be a number in [0, 1), not \"high\"");
                }),
                refusal("resume while another writer holds the run", (run, tmp) -> lockedWhile(run,
                        resume(run, "--steps", "8"))),
                refusal("train --overwrite while another writer holds the run", (run, tmp) -> lockedWhile(run,
                        trainArgs(run, 6, "--overwrite"))),
                refusal("diagnose --overwrite while another writer holds the run", (run, tmp) -> lockedWhile(run,
                        new String[] {"diagnose", "--run-dir", run.toString(), "--overwrite", "--device", "cpu",
                                "--subset", "16", "--lanczos-steps", "3"})),
                refusal("landscape --overwrite while another writer holds the run", (run, tmp) -> lockedWhile(run,
                        new String[] {"landscape", "--run-dir", run.toString(), "--overwrite", "--device", "cpu",
                                "--plane", "none", "--points", "3"})),
                refusal("diagnose over an existing diagnosis", (run, tmp) -> Refusal.of(new String[] {"diagnose",
                        "--run-dir", run.toString(), "--device", "cpu", "--subset", "16", "--lanczos-steps", "3"},
                        run, "--run-dir " + run, run.resolve("diagnosis.json") + " already holds a diagnosis",
                        "--overwrite")),
                refusal("landscape over an existing landscape", (run, tmp) -> Refusal.of(new String[] {"landscape",
                        "--run-dir", run.toString(), "--device", "cpu", "--plane", "none", "--points", "3"}, run,
                        "--run-dir " + run, run.resolve("landscape") + " already holds a landscape (landscape.json,"
                                + " line.csv", "--overwrite")),
                refusal("toy --run-dir naming a directory with files", (run, tmp) -> {
                    Path out = tmp.resolve("toy");
                    Files.createDirectories(out);
                    Files.writeString(out.resolve("toy.json"), "{}\n");
                    return Refusal.of(new String[] {"toy", "--steps", "5", "--run-dir", out.toString()}, out,
                            "--run-dir " + out, "already holds files (toy.json)", "--overwrite");
                }),
                refusal("study --run-dir with files that are not a study's", (run, tmp) -> {
                    Path out = tmp.resolve("study");
                    Files.createDirectories(out);
                    Files.writeString(out.resolve("results.csv"), "a,b\n1,2\n");
                    return Refusal.of(new String[] {"study", "batch-size", "--parts", "hardware", "--batch-sizes",
                            "1,2,4", "--hidden", "4", "--inputs", "3", "--timed-steps", "1", "--warmup-steps",
                            "0", "--progress", "off", "--run-dir", out.toString()}, out, "--run-dir " + out,
                            "not a study's (results.csv; no study-config.json)", "--overwrite");
                }),
                refusal("sweep --run-dir with files that are not a sweep's", (run, tmp) -> {
                    Path out = tmp.resolve("sweep");
                    Files.createDirectories(out);
                    Files.writeString(out.resolve("results.csv"), "a,b\n1,2\n");
                    return Refusal.of(sweepArgs(out), out, "--run-dir " + out, "not a learning-rate sweep's"
                            + " (results.csv)", "--overwrite");
                }),
                refusal("sweep --run-dir whose run has other settings", (run, tmp) -> {
                    Path out = tmp.resolve("sweep");
                    // The base run (hidden 8, lr 0.001) where the sweep's lr-0.01-seed-1 run would go.
                    copyTree(run, out.resolve("lr-0.01-seed-1"));
                    return Refusal.of(sweepArgs(out), out, out.resolve("lr-0.01-seed-1").toString(),
                            "holds a run with other settings (hidden [8] (saved) vs [4] (given)", "--overwrite");
                }));
    }

    private static String[] sweepArgs(Path out) {
        return new String[] {"sweep", "lr", "--lr", "0.01", "--device", "cpu", "--data", csv.toString(),
                "--batch-size", "8", "--steps", "2", "--hidden", "4", "--subset", "16", "--progress", "off",
                "--run-dir", out.toString()};
    }

    /**
     * {@code args} while this JVM holds {@code run}'s lock on another thread: the refusal names the holder. The
     * lock is released after the case, in {@link #refusedWithOneLineAndNothingChanged}.
     */
    private static Refusal lockedWhile(Path run, String[] args) {
        HELD.set(holdOnAnotherThread(run));
        return Refusal.of(args, run, run.toString(), "is being written by another process (pid "
                + ProcessHandle.current().pid() + " on ", "one writer at a time");
    }

    private static final ThreadLocal<AutoCloseable> HELD = new ThreadLocal<>();

    /** Locks {@code dir} on a thread of its own (as another writer would) and returns how to release it. */
    static AutoCloseable holdOnAnotherThread(Path dir) {
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            DirectoryLock lock = writer.submit(() -> DirectoryLock.acquire(dir)).get();
            return () -> {
                writer.submit(lock::close).get();
                writer.shutdown();
            };
        } catch (Exception e) {
            writer.shutdown();
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refusedWithOneLineAndNothingChanged(String name, Setup setup) throws Exception {
        Path run = copyOfBase();
        Refusal c;
        try {
            c = setup.make(run, tmp);
            Map<String, String> before = hashes(c.tree());
            CliTestSupport.Result r = CliTestSupport.run(c.args());
            assertRejected(r, c.culprit(), c.says().get(0));
            String line = r.errorLines().get(0);
            for (String s : c.says()) {
                assertTrue(line.contains(s), "'" + line + "' should say '" + s + "'");
            }
            assertFalse(line.contains("com.google") || line.contains("Gson") || line.contains("[I@"),
                    "no library internals: " + line);
            assertEquals(before, hashes(c.tree()), "every file as it was");
            assertEquals(before.keySet(), hashes(c.tree()).keySet(), "no file added or removed");
        } finally {
            AutoCloseable held = HELD.get();
            HELD.remove();
            if (held != null) {
                held.close();
            }
        }
        // Nothing beside the tree either (no hidden sibling of a half-done replacement).
        try (Stream<Path> siblings = Files.list(c.tree().getParent())) {
            assertEquals(List.of(), siblings.map(p -> p.getFileName().toString()).filter(n -> n.contains(
                    ".replaced-")).toList());
        }
    }

    /** Each flag that enters the run's maths, given with another value on resume: refused, naming it. */
    static Stream<Arguments> mathsFlags() {
        return Stream.of(
                Arguments.of("--data", otherCsvName(), "'" + csvName() + "' (saved) vs '" + otherCsvName()
                        + "' (given)"),
                Arguments.of("--test-data", otherCsvName(), "unset (saved) vs '" + otherCsvName() + "' (given)"),
                Arguments.of("--hidden", "8,4", "8 (saved) vs 8,4 (given)"),
                Arguments.of("--activation", "tanh", "relu (saved) vs tanh (given)"),
                Arguments.of("--loss", "mse", "softmax-ce (saved) vs mse (given)"),
                Arguments.of("--optimizer", "sgd", "adam (saved) vs sgd (given)"),
                Arguments.of("--lr", "0.01", "0.001 (saved) vs 0.01 (given)"),
                Arguments.of("--momentum", "0.5", "0.9 (saved) vs 0.5 (given)"),
                Arguments.of("--beta1", "0.8", "0.9 (saved) vs 0.8 (given)"),
                Arguments.of("--beta2", "0.99", "0.999 (saved) vs 0.99 (given)"),
                Arguments.of("--eps", "1e-6", "1.0E-8 (saved) vs 1.0E-6 (given)"),
                Arguments.of("--gamma", "0.1", "0.01 (saved) vs 0.1 (given)"),
                Arguments.of("--weight-decay", "0.1", "0.0 (saved) vs 0.1 (given)"),
                Arguments.of("--clip-norm", "1", "0.0 (saved) vs 1.0 (given)"),
                Arguments.of("--schedule", "cosine:10", "'constant' (saved) vs 'cosine:10' (given)"),
                Arguments.of("--ema", "5", "0.0 (saved) vs 5.0 (given)"),
                Arguments.of("--init", "xavier", "'he' (saved) vs 'xavier' (given)"),
                Arguments.of("--bias-init", "0.1", "0.0 (saved) vs 0.1 (given)"),
                Arguments.of("--normalize", "none", "'zscore' (saved) vs 'none' (given)"),
                Arguments.of("--batch-size", "16", "8 (saved) vs 16 (given)"),
                Arguments.of("--limit", "20", "0 (saved) vs 20 (given)"),
                Arguments.of("--seed", "2", "1 (saved) vs 2 (given)"),
                Arguments.of("--subset", "8", "16 (saved) vs 8 (given)"));
    }

    // The CSV paths are only known once @BeforeAll ran; the names are resolved at use.
    private static String csvName() {
        return "@CSV@";
    }

    private static String otherCsvName() {
        return "@OTHER@";
    }

    private static String resolveNames(String s) {
        return s.replace("@CSV@", csv.toString()).replace("@OTHER@", otherCsv.toString());
    }

    @ParameterizedTest(name = "resume {0} {1}")
    @MethodSource("mathsFlags")
    void aResumeThatWouldChangeTheMathsIsRefusedNamingTheFlagAndBothValues(String flag, String value, String values)
            throws IOException {
        Path run = copyOfBase();
        Map<String, String> before = hashes(run);
        CliTestSupport.Result r = CliTestSupport.run(resume(run, flag, resolveNames(value), "--steps", "8"));
        assertRejected(r, flag + " " + resolveNames(values), "other settings");
        assertEquals(before, hashes(run), "every file as it was");
    }

    @Test
    void everyTrainingFlagSetsOneSettingAndEverySettingHasAFlag() {
        // A flag added without its setting would escape the resume check (it would be neither compared nor let
        // through); this keeps the table whole.
        Set<String> flags = Stream.of(TrainingFlags.class, LearningRateFlag.class)
                .flatMap(c -> Stream.of(c.getDeclaredFields()))
                .map(f -> f.getAnnotation(picocli.CommandLine.Option.class)).filter(java.util.Objects::nonNull)
                .map(o -> o.names()[0]).collect(Collectors.toSet());
        assertEquals(flags, TrainingFlags.SETTING_OF_FLAG.keySet());
        assertEquals(configKeys().filter(k -> !TrainingFlags.JAVA_ONLY_SETTINGS.contains(k))
                .collect(Collectors.toSet()), Set.copyOf(TrainingFlags.SETTING_OF_FLAG.values()));
    }

    // ---- what succeeds through the CLI ----

    @Test
    void resumingACompletedRunIsANoOpThatPrintsItsSummary() throws IOException {
        Path run = copyOfBase();
        Map<String, String> before = hashes(run);
        JsonObject summary = JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
        String expected = String.format(Locale.ROOT, "test accuracy %.4f, test loss %.4f, train loss %.4f"
                + " (accuracy %.4f), 6 steps", summary.get("test_accuracy").getAsDouble(),
                summary.get("test_loss").getAsDouble(), summary.get("final_train_loss").getAsDouble(),
                summary.get("final_train_accuracy").getAsDouble());
        // As a retried job would: the same command, or the same flags of the run's maths given again.
        for (String[] args : List.of(resume(run), resume(run, "--steps", "6"), resume(run, "--hidden", "8",
                "--lr", "0.001", "--data", csv.toString(), "--batch-size", "8", "--device", "cpu"))) {
            CliTestSupport.Result r = ok(CliTestSupport.run(args));
            assertTrue(r.out().contains(expected), r.out());
            assertTrue(r.out().contains("complete: nothing to do"), r.out());
            assertFalse(r.out().contains("NaN"), r.out());
            assertEquals(before, hashes(run), "every file as it was: " + String.join(" ", args));
        }
    }

    @Test
    void aLongerRunExtendsBitIdenticallyAndTheOutputFlagsMayChange() throws IOException {
        Path run = copyOfBase();
        ok(CliTestSupport.run(resume(run, "--steps", "8", "--checkpoint-every", "1", "--log-every", "1")));
        Path straight = tmp.resolve("straight");
        ok(train(straight, 8, "--save-initial"));
        assertArrayEquals(SafeTensors.read(straight.resolve("checkpoints/final.safetensors"))
                .get("layers.0.weight").floats(), SafeTensors.read(run.resolve("checkpoints/final.safetensors"))
                .get("layers.0.weight").floats(), "6 steps, then 2 more = 8 straight, bit for bit");
        assertTrue(Files.exists(run.resolve("checkpoints/step-00000007.safetensors")), "--checkpoint-every 1 took");
        JsonObject config = JsonParser.parseString(Files.readString(run.resolve("config.json"))).getAsJsonObject()
                .getAsJsonObject("config");
        assertEquals(8, config.get("steps").getAsLong(), "config.json says the new length");
    }

    @Test
    void overwriteReplacesTheWholeRunAndLeavesNothingOfTheOld() throws IOException {
        Path run = copyOfBase();
        // What an earlier --overwrite killed between its rename and its clean-up left: removed by the next one.
        Path stale = tmp.resolve(".run.replaced-0123456789ab");
        copyTree(base, stale);
        CliTestSupport.Result r = ok(CliTestSupport.run(trainArgs(run, 4, "--overwrite", "--seed", "5")));
        assertTrue(r.out().contains("4 steps"), r.out());
        for (String gone : List.of("checkpoints/initial.safetensors", "checkpoints/step-00000006.safetensors",
                "diagnosis.json", "landscape/landscape.json", "plots/hessian-eigenvalues.png")) {
            assertFalse(Files.exists(run.resolve(gone)), gone + " of the old run must not survive");
        }
        assertEquals(5, RunDirectories.readConfig(run).seed());
        assertEquals(4, RunDirectories.readSummary(run).steps());
        try (Stream<Path> siblings = Files.list(run.getParent())) {
            assertEquals(List.of("run"), siblings.map(p -> p.getFileName().toString()).toList(),
                    "the old run, moved aside, is removed");
        }
    }

    @Test
    void diagnoseAndLandscapeReplaceTheirOwnOutputsWholeWithOverwrite() throws IOException {
        Path run = copyOfBase();
        // The base diagnosis drew the spectral density (--density-probes 1); the new one does not, and the old
        // chart must not stay beside it.
        assertTrue(Files.exists(run.resolve("plots/hessian-density.png")));
        ok(diagnose(run, "--overwrite", "--density-probes", "0", "--checkpoint", "step-00000004"));
        assertEquals("step-00000004", JsonParser.parseString(Files.readString(run.resolve("diagnosis.json")))
                .getAsJsonObject().get("checkpoint").getAsString());
        assertFalse(Files.exists(run.resolve("plots/hessian-density.png")), "the replaced diagnosis's chart");
        assertTrue(Files.exists(run.resolve("plots/hessian-eigenvalues.png")));

        String[] landscape = {"landscape", "--run-dir", run.toString(), "--device", "cpu", "--points", "3",
            "--subset", "16", "--overwrite", "--plane"};
        ok(CliTestSupport.run(Stream.concat(Stream.of(landscape), Stream.of("random", "--grid", "3"))
                .toArray(String[]::new)));
        assertTrue(Files.exists(run.resolve("landscape/plane.csv")));
        ok(CliTestSupport.run(Stream.concat(Stream.of(landscape), Stream.of("none")).toArray(String[]::new)));
        assertFalse(Files.exists(run.resolve("landscape/plane.csv")), "replaced whole: no plane of the old one");
        assertTrue(Files.exists(run.resolve("landscape/line.csv")));
    }

    @Test
    void toyStudyAndSweepReplaceTheirRunDirWithOverwrite() throws IOException {
        Path toy = tmp.resolve("toy");
        Files.createDirectories(toy);
        Files.writeString(toy.resolve("stale.txt"), "old\n");
        ok(CliTestSupport.run("toy", "--steps", "5", "--run-dir", toy.toString(), "--overwrite"));
        assertTrue(Files.exists(toy.resolve("toy.json")));
        assertFalse(Files.exists(toy.resolve("stale.txt")));

        Path sweep = tmp.resolve("sweep");
        Files.createDirectories(sweep);
        Files.writeString(sweep.resolve("stale.txt"), "old\n");
        List<String> args = new ArrayList<>(List.of(sweepArgs(sweep)));
        args.add("--overwrite");
        ok(CliTestSupport.run(args.toArray(String[]::new)));
        assertTrue(Files.exists(sweep.resolve("sweep.json")));
        assertFalse(Files.exists(sweep.resolve("stale.txt")));
        // Rerun without --overwrite: the sweep's own resume rule, nothing trained again.
        Map<String, String> before = hashes(sweep.resolve("lr-0.01-seed-1"));
        ok(CliTestSupport.run(sweepArgs(sweep)));
        assertEquals(before, hashes(sweep.resolve("lr-0.01-seed-1")), "the finished run is reused as it is");
    }

    @Test
    void overwriteNeverReplacesTheWorkingDirectory() throws Exception {
        // In a child JVM whose working directory is a scratch directory: were the guard missing, only that would go.
        Path work = Files.createDirectories(tmp.resolve("work"));
        Files.writeString(work.resolve("project.txt"), "mine\n");
        Map<String, String> before = hashes(tmp);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.ravine.cli.Main", "toy",
                "--steps", "5", "--run-dir", ".", "--overwrite"));
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(Main.EXIT_BAD_INPUT, p.exitValue(), out);
        List<String> lines = out.lines().filter(l -> l.startsWith("ravine:")).toList();
        assertEquals(List.of("ravine: . is the working directory or holds it: it is not replaced (--overwrite"
                + " replaces a directory of results; give one of its own)"), lines, out);
        assertEquals(before, hashes(tmp), "every file as it was");
    }

    // ---- the library API: the same rules, naming settings rather than flags ----

    private static TrainConfig.Builder baseConfig() {
        return RunDirectories.readConfig(base).toBuilder();
    }

    private static TrainingResult libraryResume(Path run, TrainConfig config) {
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            return t.optRunDirectory(run).optProgressBar(false).resume();
        }
    }

    static Stream<Arguments> libraryRefusals() {
        return Stream.of(
                Arguments.of("another learning rate", (UnaryOperator<TrainConfig.Builder>) b -> b
                        .optLearningRate(0.5), "learningRate 0.001 (saved) vs 0.5 (given)"),
                Arguments.of("other widths and seed", (UnaryOperator<TrainConfig.Builder>) b -> b.optHidden(16)
                        .optSeed(4), "hidden [8] (saved) vs [16] (given), seed 1 (saved) vs 4 (given)"),
                Arguments.of("another optimizer", (UnaryOperator<TrainConfig.Builder>) b -> b
                        .optOptimizer(io.ravine.backend.UpdateRule.SGD), "optimizer ADAM (saved) vs SGD (given)"),
                Arguments.of("a shorter run", (UnaryOperator<TrainConfig.Builder>) b -> b.optSteps(4),
                        "steps 4: the run in"));
    }

    @ParameterizedTest(name = "library: {0}")
    @MethodSource("libraryRefusals")
    void theLibraryRefusesTheSameResumesNamingSettings(String name, UnaryOperator<TrainConfig.Builder> change,
            String says) throws IOException {
        Path run = copyOfBase();
        Map<String, String> before = hashes(run);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> libraryResume(run, change.apply(baseConfig()).build()));
        assertTrue(e.getMessage().contains(says), e.getMessage());
        assertFalse(e.getMessage().contains("--"), "settings, not flags: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertEquals(before, hashes(run), "every file as it was");
    }

    @Test
    void theLibraryLeavesACompletedRunAsItIsAndReturnsItsResult() throws IOException {
        Path run = copyOfBase();
        Map<String, String> before = hashes(run);
        TrainingResult r = libraryResume(run, baseConfig().build());
        JsonObject summary = JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
        assertEquals(6, r.steps());
        assertEquals(summary.get("test_accuracy").getAsDouble(), r.testAccuracy());
        assertEquals(summary.get("final_train_loss").getAsDouble(), r.finalTrainLoss());
        assertEquals(before, hashes(run), "every file as it was");
    }

    @Test
    void theLibraryFitsOnlyIntoAnEmptyDirectoryUnlessToldToOverwrite() throws IOException {
        Path run = copyOfBase();
        Map<String, String> before = hashes(run);
        TrainConfig config = baseConfig().optSteps(2).optSaveInitial(false).build();
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> {
            try (Trainer t = new Trainer(config, CpuBackend.f32())) {
                t.optRunDirectory(run).optProgressBar(false).fit();
            }
        });
        assertTrue(e.getMessage().contains("runDirectory " + run + " already holds files"), e.getMessage());
        assertTrue(e.getMessage().contains("resume()") && e.getMessage().contains("optOverwrite"), e.getMessage());
        assertEquals(before, hashes(run), "every file as it was");

        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            assertEquals(2, t.optRunDirectory(run).optOverwrite(true).optProgressBar(false).fit().steps());
        }
        assertFalse(Files.exists(run.resolve("diagnosis.json")));
        assertFalse(Files.exists(run.resolve("checkpoints/initial.safetensors")));
        assertEquals(config, RunDirectories.readConfig(run));
    }

    @Test
    void theLibraryRefusesASecondWriter() throws Exception {
        Path run = copyOfBase();
        try (AutoCloseable held = holdOnAnotherThread(run)) {
            Map<String, String> before = hashes(run);
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> libraryResume(run, baseConfig().optSteps(8).build()));
            assertTrue(e.getMessage().contains(run + " is being written by another process (pid "
                    + ProcessHandle.current().pid()), e.getMessage());
            assertEquals(before, hashes(run), "every file as it was");
        }
    }

    /**
     * Every setting is a key of config.json (Gson writes each record component under its name) and is required:
     * each one removed is refused, naming the file and the key. A setting config.json did not hold would not be
     * refused when removed, so this also shows that every one is written.
     */
    static Stream<String> configKeys() {
        return Stream.of(TrainConfig.class.getRecordComponents()).map(java.lang.reflect.RecordComponent::getName);
    }

    @ParameterizedTest(name = "config.json without {0}")
    @MethodSource("configKeys")
    void aConfigWithoutAnyKeyIsRefusedNamingIt(String key) throws IOException {
        Path run = copyOfBase();
        Path file = run.resolve("config.json");
        JsonObject root = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        root.getAsJsonObject("config").remove(key);
        Files.writeString(file, root.toString());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> RunDirectories.readConfig(run));
        assertEquals(file + ": '" + key + "' is missing (a run's config.json names every setting; none is"
                + " defaulted)", e.getMessage());
    }
}
