package io.ravine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.DataSources;
import io.ravine.data.TrainTest;
import io.ravine.diagnose.GradientCheck;
import io.ravine.io.SafeTensors;
import io.ravine.nn.Mlp;
import io.ravine.train.Checkpoint;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Validate, then write: every command refuses bad flags, bad files and unwritable outputs before it writes or computes
 * anything. Each CLI case runs in a directory of its own that holds everything the command could touch; it must exit
 * 2 with exactly one {@code ravine:} line that names the flag or file, the rule and the value, print no stack trace
 * and no library internals, and leave that directory exactly as it was: every file byte-identical (SHA-256) and no
 * file added or removed. The library cases give the same inputs to the API and expect one-line
 * {@link InvalidInputException}s naming the setting.
 */
class ValidateBeforeWriteCorpusTest {
    @TempDir
    static Path shared;

    /** 40 rows, 3 features, 3 classes. */
    private static Path csv;
    /** A finished run (hidden 8, adam, 6 steps, batch 8) with initial and final checkpoints only. */
    private static Path run;

    @TempDir
    Path tmp;

    @BeforeAll
    static void trainTheRun() throws IOException {
        csv = shared.resolve("data.csv");
        Files.writeString(csv, table(40, 3));
        run = shared.resolve("run");
        CliTestSupport.Result r = CliTestSupport.run("train", "--device", "cpu", "--progress", "off", "--data",
                csv.toString(), "--hidden", "8", "--batch-size", "8", "--steps", "6", "--save-initial",
                "--subset", "16", "--run-dir", run.toString());
        assertEquals(0, r.status(), r.err());
    }

    /** A CSV of {@code rows} rows of {@code features} small integer features and a class label 0..2. */
    static String table(int rows, int features) {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < features; c++) {
            sb.append('x').append(c + 1).append(',');
        }
        sb.append("label\n");
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < features; c++) {
                sb.append((i * (c + 3)) % (7 + c) - 3).append(',');
            }
            sb.append(i % 3).append('\n');
        }
        return sb.toString();
    }

    /** What a case runs and what its one line must say (the flag or file, the rule, the value). */
    record Invocation(List<String> args, List<String> mustSay) {
    }

    /** Builds a case's files in its directory and returns the command to run. */
    @FunctionalInterface
    interface Setup {
        Invocation make(Path dir) throws IOException;
    }

    private static Arguments cli(String name, Setup setup) {
        return Arguments.of(name, setup);
    }

    private static Invocation inv(List<String> args, String... mustSay) {
        return new Invocation(args, List.of(mustSay));
    }

    private static List<String> train(Path dir, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--device", "cpu", "--progress", "off", "--data",
                csv.toString(), "--steps", "2", "--batch-size", "8", "--run-dir", dir.resolve("new-run").toString()));
        a.addAll(List.of(more));
        return a;
    }

    private static List<String> args(String... a) {
        return List.of(a);
    }

    /** A copy of the shared run inside {@code dir}. */
    static Path copyRun(Path dir) throws IOException {
        return CliTestSupport.copyTree(run, dir.resolve("run"));
    }

    /** Rewrites {@code file}'s optimizer.step (and, unless null, its metadata step), with a fresh valid checksum. */
    static void setStep(Path file, long step, String metadataStep) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        List<SafeTensors.Entry> entries = new ArrayList<>();
        for (SafeTensors.Entry e : c.tensors().values()) {
            entries.add(e.name().equals("optimizer.step") ? SafeTensors.Entry.i64(e.name(), e.shape(),
                    new long[] {step}) : e);
        }
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        if (metadataStep != null) {
            meta.put("step", metadataStep);
        }
        SafeTensors.write(file, entries, meta);
    }

    static byte[] gzip(byte[] plain) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(plain);
        }
        return out.toByteArray();
    }

    /** A safetensors file whose header is {@code header} (padded with spaces) and whose data buffer is empty. */
    static byte[] safetensorsWithHeader(String header) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return b.array();
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                // ---- gradcheck: every flag ----
                cli("gradcheck --step 0", d -> inv(args("gradcheck", "--step", "0"), "--step", "(0, 1)",
                        "got 0.0")),
                cli("gradcheck --threshold NaN", d -> inv(args("gradcheck", "--threshold", "NaN"), "--threshold",
                        "(0, 1)", "got NaN")),
                cli("gradcheck --examples 0", d -> inv(args("gradcheck", "--examples", "0"), "--examples",
                        "between 1 and", "got 0")),
                cli("gradcheck --classes 1 with softmax-ce", d -> inv(args("gradcheck", "--classes", "1"),
                        "--classes", "between 2 and", "got 1")),
                cli("gradcheck --hidden too many parameters", d -> inv(args("gradcheck", "--hidden", "2000,2000"),
                        "--hidden 2000,2000", "at most " + GradientCheck.MAX_PARAMETERS, "4030003 parameters")),
                cli("gradcheck --loss unknown", d -> inv(args("gradcheck", "--loss", "hinge"), "--loss",
                        "unknown loss", "'hinge'")),
                // ---- train: init, threads, schedule ----
                cli("train --bias-init NaN", d -> inv(train(d, "--bias-init", "NaN"), "--bias-init",
                        "[-100, 100]", "got NaN")),
                cli("train --init normal:1e300", d -> inv(train(d, "--init", "normal:1e300"), "--init",
                        "at most 100", "1e300")),
                cli("train --init uniform:-1", d -> inv(train(d, "--init", "uniform:-1"), "--init",
                        "positive number", "got -1")),
                cli("train --threads 100000", d -> inv(train(d, "--threads", "100000"), "--threads",
                        "between 0 (all cores) and 1024", "got 100000")),
                cli("train --schedule step:0:0.5", d -> inv(train(d, "--schedule", "step:0:0.5"), "--schedule",
                        "must be >= 1", "got 0")),
                // ---- train: memory, before anything is allocated or written ----
                cli("train --hidden 100000000: a parameter vector over 2 GiB", d -> inv(
                        train(d, "--hidden", "100000000"), "--hidden 100000000", "more than the 2 GiB one tensor",
                        "700000003 parameters")),
                cli("train --batch-size full --hidden 40000: activations over 2 GiB", d -> {
                    Path big = d.resolve("rows.csv");
                    Files.writeString(big, table(20_000, 3));
                    List<String> a = train(d, "--hidden", "40000");
                    a.set(a.indexOf(csv.toString()), big.toString());
                    a.set(a.indexOf("--batch-size") + 1, "full");
                    return inv(a, "--batch-size full (16000 rows) with --hidden 40000", "more than the 2 GiB",
                            "[16000, 40000]");
                }),
                // ---- train --resume: checkpoint fields against the config ----
                cli("checkpoint with optimizer.step 2^62", d -> {
                    Path r = copyRun(d);
                    Path f = r.resolve("checkpoints/final.safetensors");
                    setStep(f, 1L << 62, Long.toString(1L << 62));
                    return inv(args("train", "--resume", "--run-dir", r.toString(), "--steps", "8", "--progress",
                            "off"),
                            // The bound is the length of the run the checkpoint sits in (its config.json: 6 steps),
                            // checked before the step is taken for steps done.
                            f.toString(), "optimizer.step must be between 0 and the run's 6 steps",
                            "got " + (1L << 62));
                }),
                cli("checkpoint whose optimizer.step disagrees with its metadata", d -> {
                    Path r = copyRun(d);
                    Path f = r.resolve("checkpoints/final.safetensors");
                    setStep(f, 3, null);
                    return inv(args("train", "--resume", "--run-dir", r.toString(), "--steps", "8", "--progress",
                            "off"),
                            f.toString(), "optimizer.step 3 disagrees with the metadata step", "'6'");
                }),
                // ---- parse errors in the file's own terms ----
                cli("checkpoint with a non-JSON header", d -> {
                    Path r = copyRun(d);
                    Path f = r.resolve("checkpoints/final.safetensors");
                    Files.write(f, safetensorsWithHeader("{not json}      "));
                    return inv(args("train", "--resume", "--run-dir", r.toString(), "--steps", "8", "--progress",
                            "off"),
                            f.toString(), "header is not valid JSON", "line 1, column");
                }),
                cli("truncated gzipped CSV", d -> {
                    Path gz = d.resolve("data.csv.gz");
                    byte[] all = gzip(Files.readAllBytes(csv));
                    Files.write(gz, java.util.Arrays.copyOf(all, all.length / 2));
                    List<String> a = train(d);
                    a.set(a.indexOf(csv.toString()), gz.toString());
                    return inv(a, gz.toString(), "truncated gzip data", "ends early");
                }),
                cli("a binary file as CSV", d -> {
                    Path bin = d.resolve("data.csv");
                    Files.write(bin, new byte[] {'a', ',', 'b', '\n', (byte) 0xff, (byte) 0xfe, 0, 1, '\n'});
                    List<String> a = train(d);
                    a.set(a.indexOf(csv.toString()), bin.toString());
                    return inv(a, bin.toString(), "not UTF-8 text");
                }),
                // ---- landscape: validate, then compute, then write ----
                cli("landscape --plane pca with too few checkpoints", d -> {
                    Path r = copyRun(d);
                    // A landscape of 5 points, so a rewrite with the case's 3 would change line.csv's bytes.
                    CliTestSupport.Result first = CliTestSupport.run("landscape", "--run-dir", r.toString(),
                            "--device", "cpu", "--points", "5", "--grid", "3", "--subset", "16");
                    assertEquals(0, first.status(), first.err());
                    assertTrue(Files.exists(r.resolve("landscape/line.csv")));
                    // --overwrite: the existing landscape may be replaced, so only the pca check can refuse, and it
                    // must do so before the old landscape is moved aside or rewritten.
                    return inv(args("landscape", "--run-dir", r.toString(), "--device", "cpu", "--plane", "pca",
                            "--points", "3", "--grid", "3", "--subset", "16", "--overwrite"), "--plane pca",
                            "at least two checkpoints", "found 1 of 2");
                }),
                cli("landscape --alpha-max Infinity", d -> inv(args("landscape", "--run-dir", copyRun(d).toString(),
                        "--device", "cpu", "--alpha-max", "Infinity"), "--alpha-max", "finite", "Infinity")),
                cli("landscape --grid 100000", d -> inv(args("landscape", "--run-dir", copyRun(d).toString(),
                        "--device", "cpu", "--grid", "100000"), "--grid", "between 2 and 1000", "got 100000")),
                // ---- diagnose: writability before the measurements ----
                cli("diagnose where diagnosis.json is a directory", d -> {
                    Path r = copyRun(d);
                    Files.createDirectories(r.resolve("diagnosis.json"));
                    Files.writeString(r.resolve("diagnosis.json/keep"), "mine\n");
                    return inv(args("diagnose", "--run-dir", r.toString(), "--device", "cpu", "--subset", "16",
                            "--lanczos-steps", "3"), r.resolve("diagnosis.json").toString(), "is a directory");
                }),
                cli("diagnose --lanczos-steps 0", d -> inv(args("diagnose", "--run-dir", copyRun(d).toString(),
                        "--device", "cpu", "--lanczos-steps", "0"), "--lanczos-steps", "positive", "got 0")),
                cli("diagnose --threads 5000", d -> inv(args("diagnose", "--run-dir", copyRun(d).toString(),
                        "--threads", "5000"), "--threads", "1024", "got 5000")),
                // ---- study, sweep, toy, bench: outputs and inputs before any work ----
                cli("study batch-size --run-dir with a foreign study.csv", d -> {
                    Path out = d.resolve("study");
                    Files.createDirectories(out);
                    Files.writeString(out.resolve("study.csv"), "a,b\n1,2\n");
                    return inv(args("study", "batch-size", "--parts", "hardware", "--batch-sizes", "1,2,4",
                            "--hidden", "8", "--timed-steps", "1", "--warmup-steps", "0", "--progress", "off",
                            "--run-dir", out.toString()), out.toString(), "holds files that are not a study's",
                            "study.csv");
                }),
                cli("study batch-size --warmup-seconds Infinity", d -> inv(args("study", "batch-size", "--run-dir",
                        d.resolve("study").toString(), "--warmup-seconds", "Infinity"), "--warmup-seconds",
                        "≥ 0", "got Infinity")),
                cli("sweep lr with a foreign run in its second directory", d -> {
                    Path out = d.resolve("sweep");
                    Files.createDirectories(out);
                    Path foreign = copyRun(d);
                    Files.move(foreign, out.resolve("lr-0.01-seed-2"));
                    return inv(args("sweep", "lr", "--lr", "0.01", "--restarts", "2", "--run-dir", out.toString(),
                            "--data", csv.toString(), "--hidden", "4", "--steps", "2", "--batch-size", "8",
                            "--device", "cpu", "--progress", "off"), out.resolve("lr-0.01-seed-2").toString(),
                            "holds a run with other settings", "(saved) vs");
                }),
                cli("sweep lr --lr sharing a run directory", d -> inv(args("sweep", "lr", "--lr", "0.12345,0.12346",
                        "--run-dir", d.resolve("sweep").toString(), "--data", csv.toString(), "--device", "cpu"),
                        "--lr",
                        "share the run directory", "0.12345 and 0.12346")),
                cli("toy --run-dir under a file", d -> {
                    Path file = d.resolve("a-file");
                    Files.writeString(file, "keep me\n");
                    return inv(args("toy", "--run-dir", file.resolve("toy").toString()), "--run-dir", file
                            + " is a file");
                }),
                cli("bench --out where no file can be created", d -> inv(args("bench", "--peer", "none", "--out",
                        "/proc/ravine-validate-test/table.md"), "--out /proc/ravine-validate-test/table.md",
                        "cannot create files in /proc")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedBeforeAnythingIsWritten(String name, Setup setup) throws IOException {
        Path dir = tmp.resolve("case");
        Files.createDirectories(dir);
        Invocation inv = setup.make(dir);
        Map<String, String> before = ResumeCorpusTest.hashes(dir);
        long runHashBefore = ResumeCorpusTest.hashes(run).hashCode();
        CliTestSupport.Result r = CliTestSupport.run(inv.args().toArray(String[]::new));
        assertEquals(before, ResumeCorpusTest.hashes(dir), name + ": every file as it was, none added or removed");
        refused(name, r, inv.mustSay());
        assertEquals(runHashBefore, ResumeCorpusTest.hashes(run).hashCode(), "the shared run untouched");
    }

    /** Exit 2, one {@code ravine:} line saying each of {@code mustSay}, no stack trace, no library internals. */
    static void refused(String name, CliTestSupport.Result r, List<String> mustSay) {
        assertEquals(Main.EXIT_BAD_INPUT, r.status(), name + ": exit status; stderr: " + r.err());
        assertEquals(1, r.errorLines().size(), name + ": exactly one ravine: line: " + r.err());
        String line = r.errorLines().get(0);
        for (String s : mustSay) {
            assertTrue(line.contains(s), name + ": '" + line + "' should say '" + s + "'");
        }
        assertFalse(r.err().contains("\tat "), name + ": no stack trace without --verbose: " + r.err());
        assertNoInternals(name, line);
    }

    static void assertNoInternals(String name, String message) {
        String lower = message.toLowerCase(Locale.ROOT);
        for (String internal : List.of("com.google", "gson", "lenient", "org.apache", "java.", "exception",
                "input length =", "internal error")) {
            assertFalse(lower.contains(internal), name + ": '" + message + "' shows a library's internals ("
                    + internal + ")");
        }
    }

    // ---- what must still work ----

    @Test
    void aGzippedCsvTrainsExactlyAsThePlainOne() throws IOException {
        Path gz = tmp.resolve("data.csv.gz");
        Files.write(gz, gzip(Files.readAllBytes(csv)));
        CliTestSupport.Result plain = CliTestSupport.run("train", "--device", "cpu", "--progress", "off", "--data",
                csv.toString(), "--hidden", "4", "--steps", "3", "--batch-size", "8", "--run-dir",
                tmp.resolve("plain").toString());
        CliTestSupport.Result zipped = CliTestSupport.run("train", "--device", "cpu", "--progress", "off", "--data",
                gz.toString(), "--hidden", "4", "--steps", "3", "--batch-size", "8", "--run-dir",
                tmp.resolve("zipped").toString());
        assertEquals(0, plain.status(), plain.err());
        assertEquals(0, zipped.status(), zipped.err());
        assertArrayEquals(SafeTensors.read(tmp.resolve("plain/checkpoints/final.safetensors")).get("layers.0.weight")
                .floats(), SafeTensors.read(tmp.resolve("zipped/checkpoints/final.safetensors"))
                .get("layers.0.weight").floats(), "the same data, the same bits");
    }

    // ---- the library API: the same rules, naming the setting ----

    private static InvalidInputException refusedByLibrary(String name, Supplier<?> call, String... mustSay) {
        InvalidInputException e = assertThrows(InvalidInputException.class, call::get, name);
        for (String s : mustSay) {
            assertTrue(e.getMessage().contains(s), name + ": '" + e.getMessage() + "' should say '" + s + "'");
        }
        assertFalse(e.getMessage().contains("\n"), name + ": one line: " + e.getMessage());
        assertNoInternals(name, e.getMessage());
        assertFalse(e.getMessage().contains("--"), name + ": the library names settings, not flags: "
                + e.getMessage());
        return e;
    }

    @Test
    void trainConfigRefusesBiasInitInitScaleAndThreads() {
        refusedByLibrary("bias-init NaN", () -> TrainConfig.builder().optSteps(1).optBiasInit(Double.NaN).build(),
                "biasInit must", "got NaN");
        refusedByLibrary("init normal:NaN", () -> TrainConfig.builder().optSteps(1).optInit("normal:NaN").build(),
                "init 'normal:NaN'");
        refusedByLibrary("init uniform:1000", () -> TrainConfig.builder().optSteps(1).optInit("uniform:1000")
                .build(), "init 'uniform:1000'", "at most 100", "got 1000");
        refusedByLibrary("threads 100000", () -> TrainConfig.builder().optSteps(1).optThreads(100_000).build(),
                "threads must", "1024", "got 100000");
        refusedByLibrary("eps NaN", () -> TrainConfig.builder().optSteps(1).optEpsilon(Double.NaN).build(),
                "eps must", "got NaN");
    }

    @Test
    void gradientCheckRefusesItsSettings() {
        Mlp mlp = new Mlp(3, new int[] {4}, 2, Activation.TANH, LossKind.MSE);
        double[] theta = new double[mlp.parameterCount()];
        float[] x = new float[6];
        float[] y = new float[4];
        refusedByLibrary("h = 0", () -> GradientCheck.run(CpuBackend.f64(), mlp, theta, x, y, 2, 0),
                "finite-difference step h", "got 0.0");
        refusedByLibrary("h NaN", () -> GradientCheck.run(CpuBackend.f64(), mlp, theta, x, y, 2, Double.NaN),
                "finite-difference step h", "got NaN");
        refusedByLibrary("n = 0", () -> GradientCheck.run(CpuBackend.f64(), mlp, theta, x, y, 0, 1e-6),
                "example count n", "got 0");
        refusedByLibrary("x too short", () -> GradientCheck.run(CpuBackend.f64(), mlp, theta, x, y, 3, 1e-6),
                "x 6 (needs at least 3 × 3)");
        GradientCheck.TensorResult r = new GradientCheck.TensorResult("layers.0.weight", 12, 0.5, 0.1);
        refusedByLibrary("threshold NaN", () -> r.passes(Double.NaN), "gradient-check threshold", "got NaN");
        refusedByLibrary("threshold 1", () -> r.passes(1), "gradient-check threshold", "got 1.0");
    }

    @Test
    void safeTensorsNamesWhatIsWrongWithAHeaderInItsOwnTerms() throws IOException {
        for (String header : List.of("{not json}      ", "{\"a\": {\"dtype\": \"F32\",      ", "[1, 2, 3]       ",
                "{\"a\": NaN}      ")) {
            Path f = tmp.resolve("h.safetensors");
            Files.write(f, safetensorsWithHeader(header));
            InvalidInputException e = refusedByLibrary(header, () -> {
                try {
                    return SafeTensors.read(f);
                } catch (IOException io) {
                    throw new IllegalStateException(io);
                }
            }, f + ": not a valid safetensors file");
            assertFalse(e.getMessage().contains("Troubleshooting") || e.getMessage().contains("BEGIN_"),
                    e.getMessage());
        }
    }

    @Test
    void aCheckpointPastTheRunsEndIsRefusedByTheTrainer() throws IOException {
        Path r = copyRun(tmp);
        Path f = r.resolve("checkpoints/final.safetensors");
        setStep(f, 1L << 62, Long.toString(1L << 62));
        TrainConfig config = TrainConfig.builder().setData(csv.toString()).optHidden(8).optBatchSize(8).optSteps(8)
                .optSubset(16).build();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false);
            refusedByLibrary("optimizer.step 2^62", () -> t.resumeFrom(f), f.toString(), "optimizer.step",
                    "got " + (1L << 62));
        }
        refusedByLibrary("requireStepWithin", () -> {
            Checkpoint.requireStepWithin(f, -1, 8);
            return null;
        }, "optimizer.step must be between 0 and the run's 8 steps", "got -1");
    }

    @Test
    void aModelOverTwoGibibytesIsRefusedBeforeAnythingIsAllocated() {
        TrainTest data = DataSources.load(csv.toString(), null, LossKind.SOFTMAX_CE);
        TrainConfig config = TrainConfig.builder().setData(csv.toString()).optHidden(100_000_000).optSteps(1)
                .build();
        refusedByLibrary("hidden 1e8 on 3 inputs", () -> new Trainer(config, CpuBackend.f32(), data),
                "hidden 100000000", "3-100000000-3", "700000003 parameters", "2.6 GiB");
    }

    @Test
    void aModelOverTheJvmsMemoryIsOneLineNamingHidden() throws IOException {
        // 2 inputs, 2 classes: 5e8 parameters, 1.9 GiB per vector (under the 2 GiB tensor limit), 4 vectors for Adam plus
        // activations: about 10 GiB, over the test JVM's direct memory (surefire runs it with -Xmx4g).
        Assumptions.assumeTrue(Runtime.getRuntime().maxMemory() < 8L << 30,
                "this JVM's heap (and so its direct memory) could hold the model; the case needs one under 8 GiB");
        Path two = tmp.resolve("two.csv");
        Files.writeString(two, "x1,x2,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n1,1,1\n");
        CliTestSupport.Result r = CliTestSupport.run("train", "--device", "cpu", "--progress", "off", "--data",
                two.toString(), "--steps", "1", "--hidden", "100000000", "--run-dir", tmp.resolve("r").toString());
        refused("hidden 1e8 on 2 inputs", r, List.of("--hidden 100000000", "2-100000000-2",
                "adam's 2 state vectors", "direct memory"));
        assertFalse(Files.exists(tmp.resolve("r")), "no run directory");
    }
}
