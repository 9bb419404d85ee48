package io.ravine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/** Running the local and the Spark commands in this JVM, and comparing their directories. */
final class SparkTestSupport {
    private SparkTestSupport() {
    }

    /**
     * The flags of the tests' sweep: 6 learning rates × 2 seeds = 12 runs of 40 steps on the embedded subset, one
     * checkpoint every 10 steps, on the CPU with one thread. In one place, so that a renamed flag is one edit.
     */
    static List<String> sweepArgs(Path out) {
        return sweepArgs(out.toString());
    }

    /** {@link #sweepArgs(Path)} into {@code runDir}, a path or a URI. */
    static List<String> sweepArgs(String runDir) {
        return List.of("sweep", "lr", "--lr", "0.3,0.1,0.03,0.01,0.003,0.001", "--restarts", "2", "--hidden", "16",
                "--steps", "40", "--batch-size", "32", "--limit", "600", "--checkpoint-every", "10", "--device",
                "cpu", "--threads", "1", "--progress", "off", "--run-dir", runDir);
    }

    /** {@code dir} as a {@code file:} URI, which the Spark commands reach through Hadoop's FileSystem API. */
    static String uri(Path dir) {
        return "file://" + dir.toAbsolutePath();
    }

    /** The tests' study: steps to a train loss of 0.9 at 4 batch sizes × 3 learning rates, and the noise part. */
    static List<String> studyArgs(Path out) {
        return studyArgs(out.toString());
    }

    /** {@link #studyArgs(Path)} into {@code runDir}, a path or a URI. */
    static List<String> studyArgs(String runDir) {
        return List.of("study", "batch-size", "--parts", "steps,noise", "--hidden", "16", "--limit", "600",
                "--step-batch-sizes", "16,32,64,128", "--lr", "3e-3", "--lr-grid", "1", "--target-loss", "0.9",
                "--check-every", "5", "--max-steps", "150", "--subset", "300", "--noise-batch", "32",
                "--noise-small", "8", "--noise-big", "128", "--noise-every", "10", "--threads", "1", "--progress",
                "off", "--run-dir", runDir);
    }

    /** A local-mode context whose tasks are retried (local[N] alone fails a job at a task's first failure). */
    static SparkContext localContext(String master) {
        return new SparkContext(new SparkConf().setMaster(master).setAppName("ravine-spark-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1"));
    }

    /** Exit status, stdout and stderr of a command. */
    record Outcome(int status, String out, String err) {
    }

    /** Runs {@code command} with stdout and stderr captured. */
    static synchronized Outcome capture(Supplier<Integer> command) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        int status;
        try {
            status = command.get();
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        Outcome r = new Outcome(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        if (status != 0) {
            System.err.println("exit " + status + "; stderr:\n" + r.err());
        }
        return r;
    }

    /** The local command, in this JVM. */
    static Outcome local(List<String> args) {
        return capture(() -> io.ravine.cli.Main.execute(args.toArray(String[]::new)));
    }

    /** The Spark command on {@code sc}. */
    static Outcome spark(SparkContext sc, List<String> args) {
        return capture(() -> SparkMain.execute(sc, args.toArray(String[]::new)));
    }

    /** Counts the tasks started on {@code sc} from now on. */
    static AtomicInteger taskCounter(SparkContext sc) {
        AtomicInteger started = new AtomicInteger();
        sc.addSparkListener(new SparkListener() {
            @Override
            public void onTaskStart(SparkListenerTaskStart taskStart) {
                started.incrementAndGet();
            }
        });
        return started;
    }

    /**
     * What two runs of the same sweep or study must share, by file (relative path): text files with the directory's
     * own path replaced by {@code DIR} and the measured times left out (metrics.csv's wall_seconds, summary.json's
     * samples_per_second and train_seconds, study.csv's timing columns); every other file (checkpoints, charts) as
     * a SHA-256 of its bytes. Present, contents not compared: invocations.json
     * (dates and command lines) and the report.html pages (their headers show those dates, command lines and
     * devices; their numbers and charts come from the files compared here). Left out: the lock files, run.json
     * (dates and invocations) and TensorBoard event files (wall times in every event).
     */
    static Map<String, String> snapshot(Path dir) {
        Map<String, String> out = new TreeMap<>();
        String prefix = dir.toAbsolutePath().toString();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String rel = dir.relativize(f).toString();
                String name = f.getFileName().toString();
                if (name.equals(".lock") || name.equals("run.json") || rel.contains("tensorboard")) {
                    continue;
                }
                if (name.equals("invocations.json") || name.equals("report.html")) {
                    out.put(rel, "present");
                    continue;
                }
                if (name.endsWith(".csv") || name.endsWith(".json")) {
                    // A directory given as a file: URI is named so in the files (sweep.csv's run_dir).
                    String text = Files.readString(f).replace("file://" + prefix, "DIR").replace(prefix, "DIR");
                    out.put(rel, withoutTimes(name, text));
                } else {
                    out.put(rel, sha256(Files.readAllBytes(f)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static String withoutTimes(String name, String text) {
        switch (name) {
            case "metrics.csv":
                return dropColumns(text, List.of("wall_seconds"));
            case "study.csv":
                return dropColumns(text, io.ravine.study.TrialRow.TIMING_COLUMNS);
            case "summary.json":
                return text.lines().filter(l -> !l.contains("\"samples_per_second\"") && !l.contains("\"train_seconds\""))
                        .collect(Collectors.joining("\n"));
            default:
                return text;
        }
    }

    /** The CSV without the named columns (the tests' CSVs have no quoted commas in these files' numbers). */
    static String dropColumns(String csv, List<String> columns) {
        List<String> lines = csv.lines().toList();
        if (lines.isEmpty()) {
            return csv;
        }
        List<String> header = Arrays.asList(lines.get(0).split(",", -1));
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < header.size(); i++) {
            if (!columns.contains(header.get(i))) {
                keep.add(i);
            }
        }
        return lines.stream().map(l -> {
            String[] cells = l.split(",", -1);
            return keep.stream().map(i -> i < cells.length ? cells[i] : "").collect(Collectors.joining(","));
        }).collect(Collectors.joining("\n"));
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Asserts that two directories hold the same files with the same contents (as {@link #snapshot}). */
    static void assertSameResults(Path expected, Path actual) {
        Map<String, String> a = snapshot(expected);
        Map<String, String> b = snapshot(actual);
        assertEquals(a.keySet(), b.keySet(), "the same files");
        for (String k : a.keySet()) {
            assertEquals(a.get(k), b.get(k), k);
        }
    }
}
