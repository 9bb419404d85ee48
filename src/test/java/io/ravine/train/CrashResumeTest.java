package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.io.AtomicFiles;
import io.ravine.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a real {@code ravine train} process with SIGKILL at random moments, resumes it each time, and checks that
 * the run ends exactly where an uninterrupted run with the same seed ends: the same bits in every checkpoint, the
 * same metrics rows (bar wall time), no temporary files, a readable summary.
 *
 * <p>The run: 4000 Adam steps of a 784-32-10 MLP on the embedded data, a checkpoint every 20 steps and a metrics
 * row every 5. The thread count changes no bit on the CPU, so it changes along the way: the uninterrupted run uses
 * 2 threads, the killed one starts on 1 and each resume asks for 3, 1, 2, 3, … ({@code --threads} may change on
 * resume). On the 2-core build machine the JVM reaches its first checkpoint about 0.7 s after launch
 * and trains for about 2.6 s. The kill times scale with the machine: the early kills come within 1.5 × the time
 * the uninterrupted run took to reach its first checkpoint, the others 1 to 3 checkpoints (20 to 60 steps) into
 * a segment plus up to 30 ms, so 6 kills take a few hundred of the 4000 steps on a machine of any speed and the
 * run is still going when the last kill comes. {@link Process#destroyForcibly} sends SIGKILL on Linux (the JVM gets no chance to clean up, as
 * with {@code kill -9} or the OOM killer); the exit status 137 = 128 + 9 checks that it did.
 *
 * <p>Kill times come from a {@link Random} whose seed is in every failure message: rerun with
 * {@code -Dravine.crash.seed=SEED} to repeat the plan (the moments a kill lands still vary with the machine's
 * timing, which is the point of killing at random).
 */
@Tag("crash")
class CrashResumeTest {
    private static final int STEPS = 4000;
    private static final int CHECKPOINT_EVERY = 20;
    private static final int KILLS = 6;
    /**
     * Kills 0 and 3 come at a random time after launch, up to 1.5 × the time the uninterrupted run took to write its
     * first checkpoint (so they land in JVM start-up, data loading or early training on a machine of any speed).
     */
    private static final double EARLY_KILL_SPAN = 1.5;
    /** The others wait for 1 to this many new checkpoints of the segment, then up to {@link #LATE_KILL_MAX_MS}. */
    private static final int LATE_KILL_MAX_CHECKPOINTS = 3;
    private static final int LATE_KILL_MAX_MS = 30;

    @TempDir
    Path tmp;

    private long seed;
    private Path log;

    /** Resumes so far: the next one's thread count. */
    private int resumes;

    private List<String> trainCommand(Path runDir) {
        return command("train", "--device", "cpu", "--data", "embedded", "--hidden", "32", "--optimizer", "adam",
                "--seed", "7", "--steps", Integer.toString(STEPS), "--checkpoint-every",
                Integer.toString(CHECKPOINT_EVERY), "--log-every", "5", "--threads",
                runDir.getFileName().toString().equals("straight") ? "2" : "1", "--progress", "off",
                "--run-dir", runDir.toString());
    }

    private List<String> resumeCommand(Path runDir) {
        String threads = Integer.toString(1 + (2 + resumes++) % 3);
        return command("train", "--resume", "--run-dir", runDir.toString(), "--threads", threads, "--progress", "off");
    }

    private static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), "io.ravine.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private Process start(List<String> cmd) throws IOException {
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(
                ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    @Test
    void aRunKilledAtRandomMomentsAndResumedEndsBitIdenticalToAnUninterruptedRun() throws Exception {
        seed = Long.getLong("ravine.crash.seed", System.nanoTime());
        Random random = new Random(seed);
        log = tmp.resolve("processes.log");
        long started = System.nanoTime();

        Path straight = tmp.resolve("straight");
        long firstCheckpointMs = runToCompletion(trainCommand(straight), checkpoint(straight, CHECKPOINT_EVERY));
        int earlyKillMaxMs = (int) Math.max(50, EARLY_KILL_SPAN * firstCheckpointMs);

        Path killed = tmp.resolve("killed");
        int kills = 0;
        int midTraining = 0;
        List<String> plan = new ArrayList<>();
        for (int k = 0; k < KILLS; k++) {
            long before = latestStep(killed);
            // --resume also takes a run killed before its first checkpoint (it starts that run again); a run killed
            // before it wrote its config.json is not a run yet, and the original command starts it.
            Process p = start(Files.exists(killed.resolve("config.json")) ? resumeCommand(killed)
                    : trainCommand(killed));
            try {
                String when;
                if (k == 0 || k == 3) {
                    int ms = random.nextInt(earlyKillMaxMs);
                    when = ms + " ms after launch";
                    p.waitFor(ms, TimeUnit.MILLISECONDS);
                } else {
                    long from = Math.max(before, 0);
                    int ahead = 1 + random.nextInt(LATE_KILL_MAX_CHECKPOINTS);
                    Path next = checkpoint(killed, from - from % CHECKPOINT_EVERY + (long) ahead * CHECKPOINT_EVERY);
                    while (p.isAlive() && !Files.exists(next)) {
                        Thread.sleep(1);
                    }
                    int ms = random.nextInt(LATE_KILL_MAX_MS);
                    when = ms + " ms after " + next.getFileName();
                    p.waitFor(ms, TimeUnit.MILLISECONDS);
                }
                boolean alive = p.isAlive();
                p.destroyForcibly();
                int status = p.waitFor();
                if (!alive && status == 0) {
                    plan.add("kill " + k + " (" + when + "): the run had finished");
                    break;
                }
                assertEquals(137, status, message("kill " + k + " (" + when + ") should end the process by SIGKILL;"
                        + " any other status is the process failing on its own"));
                kills++;
                // Mid-training: this process had trained (written a checkpoint) and had not finished.
                long at = latestStep(killed);
                boolean mid = at > before && at < STEPS && !Files.exists(checkpoint(killed, -1));
                midTraining += mid ? 1 : 0;
                plan.add("kill " + k + " (" + when + "): latest checkpoint step " + at + (mid ? ", mid-training"
                        : ""));
            } finally {
                p.destroyForcibly();
            }
        }
        String interruptCheckpoint = sigterm(killed, random, plan);
        runToCompletion(Files.exists(killed.resolve("config.json")) ? resumeCommand(killed) : trainCommand(killed),
                null);
        String what = String.join("; ", plan);
        assertTrue(kills >= 4, message("only " + kills + " kills landed before the run finished: " + what));
        assertTrue(midTraining >= 2, message("only " + midTraining + " kills landed mid-training: " + what));

        try (Stream<Path> files = Files.walk(killed)) {
            List<String> temporaries = files.map(f -> f.getFileName().toString())
                    .filter(n -> AtomicFiles.isTemporaryName(n) || n.endsWith(".tmp")).toList();
            assertEquals(List.of(), temporaries, message("temporary files left: " + what));
        }
        assertSameCheckpoints(straight, killed, interruptCheckpoint, what);
        assertSameMetrics(straight, killed, what);
        JsonObject summary = JsonParser.parseString(Files.readString(killed.resolve("summary.json")))
                .getAsJsonObject();
        assertEquals("completed", summary.get("status").getAsString(), message(what));
        assertEquals(STEPS, summary.get("steps").getAsLong(), message(what));
        System.out.printf("CrashResumeTest: seed %d, %d kills (%d mid-training) in %.1f s: %s%n", seed, kills,
                midTraining, (System.nanoTime() - started) / 1e9, what);
    }

    /**
     * One more interruption, by SIGTERM, which the JVM can catch: the run ends after the step in progress, writes a
     * checkpoint of that step and an "interrupted" summary, and exits with 143; the final resume then starts from
     * that step, so nothing after the last periodic checkpoint is lost. Returns the name of that checkpoint when it
     * falls between two periodic ones (null otherwise).
     */
    private String sigterm(Path killed, Random random, List<String> plan) throws Exception {
        long before = Math.max(latestStep(killed), 0);
        Process p = start(Files.exists(killed.resolve("config.json")) ? resumeCommand(killed) : trainCommand(killed));
        try {
            // Past the next periodic checkpoint by two logged rows, so the steps a SIGTERM saves are steps that a
            // periodic checkpoint does not hold.
            long past = before - before % CHECKPOINT_EVERY + CHECKPOINT_EVERY + 10;
            while (p.isAlive() && latestLoggedStep(killed) < past) {
                Thread.sleep(1);
            }
            p.waitFor(random.nextInt(5), TimeUnit.MILLISECONDS);
            p.destroy(); // SIGTERM on Linux
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), message("SIGTERM: the process did not end in 60 s"));
        } finally {
            p.destroyForcibly();
        }
        JsonObject summary = JsonParser.parseString(Files.readString(killed.resolve("summary.json")))
                .getAsJsonObject();
        if (summary.get("status").getAsString().equals("completed")) {
            plan.add("SIGTERM: the run had finished");
            return null;
        }
        assertEquals(143, p.exitValue(), message("SIGTERM should end the run with 128 + 15"));
        assertEquals("interrupted", summary.get("status").getAsString(), message("summary after SIGTERM"));
        long at = summary.get("steps").getAsLong();
        Path written = checkpoint(killed, at);
        assertTrue(at >= before + CHECKPOINT_EVERY + 10 && Files.exists(written), message("SIGTERM at step " + at
                + ": its checkpoint " + written.getFileName() + " should exist, past the periodic ones"));
        assertEquals(written.toString(), summary.get("last_good_checkpoint").getAsString());
        assertEquals(at, SafeTensors.read(written).get("optimizer.step").longs()[0]);
        assertTrue(Files.readString(log).contains("interrupted after step " + at), message("the one line"));
        plan.add("SIGTERM after " + written.getFileName() + ": checkpoint of step " + at + " written");
        return at % CHECKPOINT_EVERY == 0 ? null : written.getFileName().toString();
    }

    /**
     * Runs {@code cmd} to its end; returns the milliseconds from launch until {@code watch} appeared (0 when
     * {@code watch} is null or never appeared).
     */
    private long runToCompletion(List<String> cmd, Path watch) throws Exception {
        long launched = System.nanoTime();
        long seenMs = 0;
        Process p = start(cmd);
        try {
            while (watch != null && seenMs == 0 && p.isAlive()) {
                if (Files.exists(watch)) {
                    seenMs = (System.nanoTime() - launched) / 1_000_000;
                }
                Thread.sleep(1);
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                fail(message("the run did not finish in 120 s: " + cmd));
            }
            assertEquals(0, p.exitValue(), message("the run failed: " + cmd));
        } finally {
            p.destroyForcibly();
        }
        if (watch != null && seenMs == 0) {
            fail(message(watch + " never appeared while the uninterrupted run ran"));
        }
        return seenMs;
    }

    /** The step of the last complete row of {@code metrics.csv} (−1 when there is none yet). */
    private static long latestLoggedStep(Path runDir) throws IOException {
        Path csv = runDir.resolve("metrics.csv");
        if (!Files.exists(csv)) {
            return -1;
        }
        String text = Files.readString(csv);
        int end = text.lastIndexOf('\n');
        int start = text.lastIndexOf('\n', end - 1) + 1;
        if (end <= 0 || text.startsWith("step", start)) {
            return -1;
        }
        return Long.parseLong(text.substring(start, text.indexOf(',', start)));
    }

    /** {@code checkpoints/step-NNNNNNNN.safetensors}, or {@code final.safetensors} for a negative step. */
    private static Path checkpoint(Path runDir, long step) {
        return runDir.resolve("checkpoints").resolve(step < 0 ? "final.safetensors"
                : String.format("step-%08d.safetensors", step));
    }

    /** The highest step among the run's step checkpoints (from their names); −1 when there is none. */
    private static long latestStep(Path runDir) throws IOException {
        Path dir = runDir.resolve("checkpoints");
        if (!Files.isDirectory(dir)) {
            return -1;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.matches("step-\\d{8}\\.safetensors"))
                    .mapToLong(n -> Long.parseLong(n.substring(5, 13))).max().orElse(-1);
        }
    }

    private static List<String> checkpointNames(Path runDir) throws IOException {
        try (Stream<Path> files = Files.list(runDir.resolve("checkpoints"))) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * Every checkpoint, final included, holds the same tensors bit for bit (θ, Adam's m and v, the step); the killed
     * run has one more where a SIGTERM wrote one between two periodic ones ({@code extra}, null if none).
     */
    private void assertSameCheckpoints(Path straight, Path killed, String extra, String what) throws IOException {
        List<String> names = checkpointNames(straight);
        assertEquals(STEPS / CHECKPOINT_EVERY + 1, names.size());
        List<String> expected = new ArrayList<>(names);
        if (extra != null) {
            expected.add(extra);
            expected.sort(null);
        }
        assertEquals(expected, checkpointNames(killed), message(what));
        for (String name : names) {
            SafeTensors.Contents a = SafeTensors.read(straight.resolve("checkpoints").resolve(name));
            SafeTensors.Contents b = SafeTensors.read(killed.resolve("checkpoints").resolve(name));
            assertEquals(a.tensors().keySet(), b.tensors().keySet(), () -> message(name));
            assertTrue(a.tensors().containsKey("optimizer.step"), name + ": " + a.tensors().keySet());
            for (SafeTensors.Entry ea : a.tensors().values()) {
                SafeTensors.Entry eb = b.get(ea.name());
                assertEquals(ea.dtype(), eb.dtype(), () -> message(name + " " + ea.name()));
                assertEquals(List.of(boxed(ea.shape())), List.of(boxed(eb.shape())), () -> message(name + " " + ea.name()));
                long[] ra = rawBits(ea);
                long[] rb = rawBits(eb);
                for (int i = 0; i < ra.length; i++) {
                    if (ra[i] != rb[i]) {
                        fail(message(name + " " + ea.name() + "[" + i + "] differs: " + ra[i] + " vs " + rb[i]
                                + " (" + what + ")"));
                    }
                }
            }
        }
    }

    private static Long[] boxed(long[] a) {
        return java.util.Arrays.stream(a).boxed().toArray(Long[]::new);
    }

    private static long[] rawBits(SafeTensors.Entry e) {
        return switch (e.dtype()) {
            case F32 -> {
                float[] f = e.floats();
                long[] bits = new long[f.length];
                for (int i = 0; i < f.length; i++) {
                    bits[i] = Float.floatToRawIntBits(f[i]);
                }
                yield bits;
            }
            case F64 -> java.util.Arrays.stream(e.doubles()).mapToLong(Double::doubleToRawLongBits).toArray();
            case I64 -> e.longs();
        };
    }

    /** The same rows, in order, cell for cell as text, except wall_seconds (the last column); none torn. */
    private void assertSameMetrics(Path straight, Path killed, String what) throws IOException {
        String a = Files.readString(straight.resolve("metrics.csv"));
        String b = Files.readString(killed.resolve("metrics.csv"));
        assertTrue(b.endsWith("\n"), message("torn last row: " + what));
        List<String> ra = withoutWallTime(a);
        List<String> rb = withoutWallTime(b);
        assertEquals(STEPS / 5 + 2, ra.size(), "the header, the row of step 0 (θ₀), one row per 5 steps");
        assertEquals(ra.size(), rb.size(), message("rows missing or repeated: " + what));
        for (int i = 0; i < ra.size(); i++) {
            int line = i + 1;
            assertEquals(ra.get(i), rb.get(i), () -> message("metrics.csv line " + line + ": " + what));
        }
    }

    private static List<String> withoutWallTime(String csv) {
        return csv.lines().map(l -> l.substring(0, l.lastIndexOf(','))).toList();
    }

    private String message(String what) {
        String tail;
        try {
            List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
            tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            tail = "(no process log: " + e + ")";
        }
        return what + " [seed " + seed + "; rerun with -Dravine.crash.seed=" + seed + "]\nlast process output:\n"
                + tail;
    }
}
