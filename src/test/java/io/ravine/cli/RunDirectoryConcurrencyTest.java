package io.ravine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.io.DirectoryLock;
import io.ravine.io.OutputDirectories;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One writer per run directory and automatic names that never collide, with real processes: {@code ravine train}
 * child JVMs (as {@code CrashResumeTest} starts them), killed with SIGKILL where the test needs it.
 */
class RunDirectoryConcurrencyTest {
    /** How long a child may take to do what the test waits for (JVM start-up on a loaded 2-core machine). */
    private static final long PATIENCE_SECONDS = 120;

    @TempDir
    Path tmp;

    private Path csv() throws IOException {
        Path csv = tmp.resolve("data.csv");
        StringBuilder sb = new StringBuilder("x1,x2,x3,label\n");
        for (int i = 0; i < 40; i++) {
            sb.append(i % 7 - 3).append(',').append(i % 5 - 2).append(',').append(i % 11 * 0.1).append(',')
                    .append(i % 3).append('\n');
        }
        Files.writeString(csv, sb);
        return csv;
    }

    private static List<String> ravine(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.ravine.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static Process start(List<String> cmd, Path workDir, Path log) throws IOException {
        return new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
    }

    /** Runs {@code cmd} to its end; returns the exit status and what it printed. */
    private static String[] runToEnd(List<String> cmd, Path workDir, Path log) throws Exception {
        Process p = start(cmd, workDir, log);
        try {
            assertTrue(p.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS), "did not end: " + cmd);
            return new String[] {Integer.toString(p.exitValue()), Files.readString(log)};
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aSecondWriterIsRefusedNamingTheHoldersPidAndHostAndKill9ReleasesTheLock() throws Exception {
        Path csv = csv();
        Path run = tmp.resolve("run");
        List<String> train = List.of("train", "--device", "cpu", "--data", csv.toString(), "--batch-size", "8",
                "--hidden", "8", "--subset", "16", "--threads", "1", "--progress", "off", "--run-dir",
                run.toString());
        List<String> first = new ArrayList<>(train);
        // Far more steps than the test lasts: it is killed while it trains.
        first.addAll(List.of("--steps", "100000000", "--log-every", "1000000"));
        Process writer = start(ravine(first.toArray(String[]::new)), tmp, tmp.resolve("first.log"));
        String holder;
        try {
            Path lockFile = run.resolve(DirectoryLock.FILE);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PATIENCE_SECONDS);
            while (!(Files.exists(lockFile) && Files.readString(lockFile).startsWith(writer.pid() + "@"))) {
                assertTrue(writer.isAlive(), "the first writer ended: " + Files.readString(tmp.resolve("first.log")));
                assertTrue(System.nanoTime() < deadline, "the first writer never took the lock");
                Thread.sleep(20);
            }
            holder = Files.readString(lockFile).trim();
            String host = holder.substring(holder.indexOf('@') + 1, holder.indexOf(' '));
            String expected = run + " is being written by another process (pid " + writer.pid() + " on " + host
                    + ", since ";

            // A second writer, in two forms: continuing the run, and replacing it.
            List<String> replace = new ArrayList<>(train);
            replace.addAll(List.of("--steps", "5", "--overwrite"));
            List<String> resume = List.of("train", "--resume", "--run-dir", run.toString(), "--progress", "off");
            for (List<String> second : List.of(resume, replace)) {
                String[] r = runToEnd(ravine(second.toArray(String[]::new)), tmp, tmp.resolve("second.log"));
                List<String> lines = r[1].lines().filter(l -> l.startsWith("ravine:")).toList();
                assertEquals("2", r[0], String.join(" ", second) + ": " + r[1]);
                assertEquals(1, lines.size(), r[1]);
                assertTrue(lines.get(0).contains(expected), lines.get(0) + " should contain " + expected);
            }
            assertTrue(writer.isAlive(), "the first writer goes on");
            assertTrue(Files.readString(lockFile).startsWith(writer.pid() + "@"), "and still holds the lock");
            // A reader asks without taking it, and is told who holds it.
            assertEquals(holder, DirectoryLock.holder(run).orElseThrow());
        } finally {
            writer.destroyForcibly();
        }
        assertEquals(137, writer.waitFor(), "SIGKILL");

        // The operating system released the lock with the process: no one holds it, and this process can take it.
        assertTrue(DirectoryLock.holder(run).isEmpty(), "a killed writer holds nothing");
        try (DirectoryLock lock = DirectoryLock.acquire(run)) {
            assertTrue(lock.holderText().startsWith(ProcessHandle.current().pid() + "@"), lock.holderText());
        }
    }

    @Test
    void automaticRunDirectoriesNeverCollideAcrossProcesses() throws Exception {
        Path csv = csv();
        // Three runs started together in one working directory, without --run-dir: each gets its own
        // runs/train-DATE-TIME[-N], whatever second each starts in. Their seeds tell them apart afterwards.
        List<Process> processes = new ArrayList<>();
        for (int seed = 1; seed <= 3; seed++) {
            processes.add(start(ravine("train", "--device", "cpu", "--data", csv.toString(), "--batch-size", "8",
                    "--hidden", "4", "--steps", "3", "--subset", "16", "--threads", "1", "--progress", "off",
                    "--seed", Integer.toString(seed)), tmp, tmp.resolve("run-" + seed + ".log")));
        }
        for (int i = 0; i < processes.size(); i++) {
            Process p = processes.get(i);
            assertTrue(p.waitFor(PATIENCE_SECONDS, TimeUnit.SECONDS), "run " + (i + 1) + " did not end");
            assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("run-" + (i + 1) + ".log")));
        }
        List<Path> dirs;
        try (Stream<Path> list = Files.list(tmp.resolve("runs"))) {
            dirs = list.sorted().toList();
        }
        Set<Long> seeds = new TreeSet<>();
        for (Path d : dirs) {
            assertTrue(d.getFileName().toString().matches("train-\\d{8}-\\d{6}(-\\d+)?"), d.toString());
            JsonObject config = JsonParser.parseString(Files.readString(d.resolve("config.json"))).getAsJsonObject()
                    .getAsJsonObject("config");
            JsonObject summary = JsonParser.parseString(Files.readString(d.resolve("summary.json")))
                    .getAsJsonObject();
            assertEquals("completed", summary.get("status").getAsString(), d.toString());
            assertEquals(3, summary.get("steps").getAsLong(), d.toString());
            seeds.add(config.get("seed").getAsLong());
        }
        assertEquals(3, dirs.size(), "one directory per run: " + dirs);
        assertEquals(Set.of(1L, 2L, 3L), seeds, "each run in its own directory");
    }

    @Test
    void automaticNamesNeverCollideAcrossThreadsInTheSameSecond() throws Exception {
        // The same base name (as runs started in one second get) from 16 threads at once, 8 times each.
        Path parent = tmp.resolve("runs");
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Callable<Path>> tasks = new ArrayList<>();
            for (int i = 0; i < 128; i++) {
                tasks.add(() -> OutputDirectories.createFresh(parent, "train-20260101-000000"));
            }
            Set<Path> created = new HashSet<>();
            for (Future<Path> f : pool.invokeAll(tasks)) {
                created.add(f.get());
            }
            assertEquals(128, created.size(), "128 calls, 128 directories");
            try (Stream<Path> list = Files.list(parent)) {
                assertEquals(128, list.count());
            }
            assertTrue(created.contains(parent.resolve("train-20260101-000000")));
            assertTrue(created.contains(parent.resolve("train-20260101-000000-128")));
        } finally {
            pool.shutdownNow();
        }
    }
}
