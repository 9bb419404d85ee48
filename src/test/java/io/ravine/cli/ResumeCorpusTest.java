package io.ravine.cli;

import static io.ravine.cli.BadInputCorpusTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code train --resume} (and {@code diagnose}) on broken run directories: one line naming the file and the problem,
 * exit 2, and every file of the run exactly as it was (hashed before and after). Also the two resumes that must
 * work: from one named checkpoint file, and from a run killed before its first checkpoint.
 */
class ResumeCorpusTest {
    @TempDir
    static Path dir;

    private static Path csv;
    /** Runs of 6 steps with checkpoints every 2: adam hidden 8, adam hidden 16, momentum hidden 8. */
    private static Path adam8;
    private static Path adam16;
    private static Path momentum8;

    @TempDir
    Path tmp;

    @BeforeAll
    static void trainTheRuns() throws IOException {
        csv = dir.resolve("data.csv");
        StringBuilder sb = new StringBuilder("x1,x2,x3,label\n");
        for (int i = 0; i < 40; i++) {
            sb.append(i % 7 - 3).append(',').append(i % 5 - 2).append(',').append(i % 11 * 0.1).append(',')
                    .append(i % 3).append('\n');
        }
        Files.writeString(csv, sb);
        adam8 = trainRun("adam8", "--hidden", "8");
        adam16 = trainRun("adam16", "--hidden", "16");
        momentum8 = trainRun("momentum8", "--hidden", "8", "--optimizer", "momentum");
    }

    private static List<String> trainArgs(Path run, long steps, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--device", "cpu", "--progress", "off", "--data",
                csv.toString(), "--batch-size", "8", "--steps", Long.toString(steps), "--checkpoint-every", "2",
                "--subset", "16", "--run-dir", run.toString()));
        args.addAll(List.of(more));
        return args;
    }

    private static Path trainRun(String name, String... more) {
        Path run = dir.resolve(name);
        CliTestSupport.Result r = CliTestSupport.run(trainArgs(run, 6, more).toArray(String[]::new));
        assertEquals(0, r.status(), r.err());
        return run;
    }

    /** A copy of {@code run} to break. */
    private Path copy(Path run) throws IOException {
        return CliTestSupport.copyTree(run, tmp.resolve("run"));
    }

    /** SHA-256 of every file under {@code root}, by relative path. */
    static Map<String, String> hashes(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        if (!Files.exists(root)) {
            return out;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString(), HexFormat.of().formatHex(
                        MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static void flipBit(Path file, long bit) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[(int) (bit >>> 3)] ^= (byte) (1 << (bit & 7));
        Files.write(file, b);
    }

    /** How to break a copy of a run; returns the path to give --run-dir and what the error must say. */
    @FunctionalInterface
    interface Breakage {
        Arguments apply(Path run) throws IOException;
    }

    static Stream<Arguments> breakages() {
        return Stream.of(
                Arguments.of("missing directory", (Breakage) run -> {
                    Path missing = run.resolveSibling("no-such-run");
                    return Arguments.of(missing, missing.toString(), "does not exist");
                }),
                Arguments.of("no config.json", (Breakage) run -> {
                    Files.delete(run.resolve("config.json"));
                    return Arguments.of(run, run.toString(), "no config.json");
                }),
                Arguments.of("truncated config.json", (Breakage) run -> {
                    String json = Files.readString(run.resolve("config.json"));
                    // Cut just inside a key (the first quote after a line break past the middle): an unterminated
                    // string, wherever the middle falls as config.json grows.
                    int key = json.indexOf('"', json.indexOf('\n', json.length() / 2));
                    Files.writeString(run.resolve("config.json"), json.substring(0, key + 2));
                    return Arguments.of(run, "config.json", "not valid JSON (unterminated");
                }),
                Arguments.of("config.json with wrong types", (Breakage) run -> {
                    String json = Files.readString(run.resolve("config.json"));
                    Files.writeString(run.resolve("config.json"), json.replaceFirst("\"hidden\": \\[[^]]*]",
                            "\"hidden\": \"eight\""));
                    return Arguments.of(run, "config.json", "'hidden' must be a list of positive integers");
                }),
                Arguments.of("config.json with an unknown optimizer", (Breakage) run -> {
                    String json = Files.readString(run.resolve("config.json"));
                    Files.writeString(run.resolve("config.json"), json.replaceFirst("\"optimizer\": \"[A-Z]+\"",
                            "\"optimizer\": \"ADAGRAD\""));
                    return Arguments.of(run, "config.json", "'optimizer' must be one of SGD,");
                }),
                Arguments.of("config.json without a config object", (Breakage) run -> {
                    Files.writeString(run.resolve("config.json"), "{\"resolved\": {}}\n");
                    return Arguments.of(run, "config.json", "no \"config\" object");
                }),
                Arguments.of("truncated checkpoint", (Breakage) run -> {
                    Path f = run.resolve("checkpoints/final.safetensors");
                    byte[] b = Files.readAllBytes(f);
                    Files.write(f, java.util.Arrays.copyOf(b, b.length - 100));
                    return Arguments.of(run, f.toString(), "not a valid safetensors file");
                }),
                Arguments.of("checkpoint cut inside its header", (Breakage) run -> {
                    Path f = run.resolve("checkpoints/final.safetensors");
                    Files.write(f, java.util.Arrays.copyOf(Files.readAllBytes(f), 40));
                    return Arguments.of(run, f.toString(), "not a valid safetensors file");
                }),
                Arguments.of("bit-flipped checkpoint", (Breakage) run -> {
                    Path f = run.resolve("checkpoints/final.safetensors");
                    flipBit(f, (Files.size(f) - 10) * 8 + 3);
                    return Arguments.of(run, f.toString(), "checksum mismatch");
                }),
                Arguments.of("checkpoint of another architecture", (Breakage) run -> {
                    Path f = run.resolve("checkpoints/final.safetensors");
                    Files.copy(adam8.resolve("checkpoints/final.safetensors"), f,
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    return Arguments.of(run, f.toString(), "wrong architecture");
                }),
                Arguments.of("checkpoint of another optimizer", (Breakage) run -> {
                    Path f = run.resolve("checkpoints/final.safetensors");
                    Files.copy(adam8.resolve("checkpoints/final.safetensors"), f,
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    return Arguments.of(run, f.toString(), "optimizer adam, but this run uses momentum");
                }),
                Arguments.of("checkpoint with NaN in theta", (Breakage) run -> {
                    Path f = run.resolve("checkpoints/final.safetensors");
                    SafeTensors.Contents c = SafeTensors.read(f);
                    List<SafeTensors.Entry> entries = new ArrayList<>();
                    for (SafeTensors.Entry e : c.tensors().values()) {
                        if (e.name().equals("layers.0.weight")) {
                            float[] v = e.floats().clone();
                            v[3] = Float.NaN;
                            e = SafeTensors.Entry.f32(e.name(), e.shape(), v);
                        }
                        entries.add(e);
                    }
                    SafeTensors.write(f, entries, c.metadata());
                    return Arguments.of(run, f.toString(), "not finite");
                }),
                Arguments.of("a file, not a run directory", (Breakage) run -> {
                    Path f = run.resolve("config.json");
                    return Arguments.of(f, f.toString(), "is not a directory");
                }));
    }

    /** Which run a breakage starts from (the architecture and optimizer cases need the other run). */
    private Path base(String name) {
        return name.contains("architecture") ? adam16 : name.contains("optimizer") && name.contains("checkpoint")
                ? momentum8 : adam8;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("breakages")
    void resumeRefusesAndChangesNothing(String name, Breakage breakage) throws IOException {
        Path run = copy(base(name));
        Object[] how = breakage.apply(run).get();
        Path resume = (Path) how[0];
        Map<String, String> before = hashes(run);
        CliTestSupport.Result r = CliTestSupport.run("train", "--resume", "--run-dir", resume.toString(), "--steps",
                "8", "--progress", "off");
        assertRejected(r, (String) how[1], (String) how[2]);
        assertEquals(before, hashes(run), "every file of the run as it was");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("breakages")
    void diagnoseRefusesTheSameRuns(String name, Breakage breakage) throws IOException {
        Path run = copy(base(name));
        Object[] how = breakage.apply(run).get();
        Path resume = (Path) how[0];
        if (name.contains("another optimizer") || name.contains("NaN in theta")) {
            // diagnose loads θ alone, which another optimizer's checkpoint of the same model provides correctly; a
            // θ with NaN in it is diagnosed, not refused (the non_finite finding: StrictJsonAndDivergenceCorpusTest).
            return;
        }
        Map<String, String> before = hashes(run);
        CliTestSupport.Result r = CliTestSupport.run("diagnose", "--run-dir", resume.toString(), "--device", "cpu",
                "--lanczos-steps", "3", "--subset", "16");
        assertRejected(r, (String) how[1], (String) how[2]);
        assertEquals(before, hashes(run), "every file of the run as it was");
    }

    @Test
    void resumeFromOneCheckpointFileGivesTheUninterruptedRun() throws IOException {
        Path run = copy(adam8);
        CliTestSupport.Result r = CliTestSupport.run("train", "--resume", "--run-dir", run.toString(),
                "--checkpoint", "step-00000004", "--steps", "8", "--progress", "off");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("resuming from " + run.resolve("checkpoints/step-00000004.safetensors")
                + " at step 4"), r.err());
        Path straight = tmp.resolve("straight");
        assertEquals(0, CliTestSupport.run(trainArgs(straight, 8, "--hidden", "8").toArray(String[]::new))
                .status());
        assertArrayEquals(SafeTensors.read(straight.resolve("checkpoints/final.safetensors")).get("layers.0.weight")
                .floats(), SafeTensors.read(run.resolve("checkpoints/final.safetensors")).get("layers.0.weight")
                .floats(), "resumed at step 4 of 8 = trained 8 straight, bit for bit");
    }

    @Test
    void aRunKilledBeforeItsFirstCheckpointStartsAgain() throws IOException {
        Path run = copy(adam8);
        try (Stream<Path> ckpts = Files.list(run.resolve("checkpoints"))) {
            for (Path p : ckpts.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(run.resolve("summary.json"));
        CliTestSupport.Result r = CliTestSupport.run("train", "--resume", "--run-dir", run.toString(), "--progress",
                "off");
        assertEquals(0, r.status(), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.contains("has no checkpoint yet")).count(), r.err());
        assertEquals(hashes(adam8).get("checkpoints/final.safetensors"),
                hashes(run).get("checkpoints/final.safetensors"), "the same seed gives the same run");
    }

    @Test
    void resumeNeedsItsRunDirAndCheckpointNeedsResume() {
        assertRejected(CliTestSupport.run("train", "--resume", "--steps", "8"), "--resume continues the run in"
                + " --run-dir", "give --run-dir DIR");
        assertRejected(CliTestSupport.run("train", "--run-dir", tmp.resolve("x").toString(), "--checkpoint",
                "final"), "--checkpoint final", "give it with --resume --run-dir DIR");
        assertFalse(Files.exists(tmp.resolve("x")), "nothing created");
    }

    @Test
    void aCheckpointNameTheRunDoesNotHaveIsRefusedListingTheOnesItHas() throws IOException {
        Path run = copy(adam8);
        Map<String, String> before = hashes(run);
        assertRejected(CliTestSupport.run("train", "--resume", "--run-dir", run.toString(), "--checkpoint",
                "step-00000099", "--steps", "8", "--progress", "off"), "--checkpoint step-00000099: no checkpoint"
                + " 'step-00000099' in " + run.resolve("checkpoints"), "(it has: ");
        assertEquals(before, hashes(run), "every file of the run as it was");
    }

    @Test
    void theOldResumeWithAValueGetsOneLineNamingTheNewForm() {
        CliTestSupport.Result r = CliTestSupport.run("train", "--resume", adam8.toString(), "--steps", "8");
        assertEquals(List.of("ravine: --resume takes no value: continue a run with --resume --run-dir DIR (and"
                + " --checkpoint NAME for another checkpoint than the latest), not --resume " + adam8),
                r.errorLines(), r.err());
        assertEquals(Main.EXIT_BAD_INPUT, r.status());
    }
}
