package io.ravine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input is one line (ravine: …) and exit status 2, before any task starts and before anything is written: an
 * invalid flag, an output directory that cannot be written or a URI scheme that cannot hold run directories, a GPU
 * device without GPU scheduling, an unreachable or missing master.
 */
class SparkBadInputTest {
    static SparkContext sc;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        sc = SparkTestSupport.localContext("local[2]");
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    /** The test sweep's arguments with {@code flag} set to {@code value} (added where absent). */
    private static List<String> with(Path out, String flag, String value) {
        List<String> args = new ArrayList<>(SparkTestSupport.sweepArgs(out));
        int i = args.indexOf(flag);
        if (i >= 0) {
            args.set(i + 1, value);
        } else {
            args.add(flag);
            args.add(value);
        }
        return args;
    }

    private static void assertOneLine(SparkTestSupport.Outcome r, String start) {
        assertEquals(2, r.status(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("ravine: " + start), r.err());
    }

    @Test
    void invalidFlagsAreOneLineBeforeAnyTask() {
        AtomicInteger tasks = SparkTestSupport.taskCounter(sc);
        Path out = tmp.resolve("flags");
        assertOneLine(SparkTestSupport.spark(sc, with(out, "--restarts", "0")), "--restarts must be between 1");
        assertOneLine(SparkTestSupport.spark(sc, with(out, "--lr", "0.1,x")), "--lr '0.1,x'");
        List<String> typo = new ArrayList<>(SparkTestSupport.sweepArgs(out));
        typo.add("--restart");
        assertOneLine(SparkTestSupport.spark(sc, typo), "unknown option '--restart' for 'ravine-spark sweep lr' (did you mean --restarts?)");
        assertEquals(0, tasks.get());
        assertFalse(Files.exists(out));
    }

    @Test
    void anOutputThatCannotBeWrittenIsOneLineBeforeAnyTask() throws Exception {
        AtomicInteger tasks = SparkTestSupport.taskCounter(sc);
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        // A path, written directly, and a URI, through Hadoop's FileSystem API.
        assertOneLine(SparkTestSupport.spark(sc, with(file.resolve("sweep"), "--run-dir",
                file.resolve("sweep").toString())), "--run-dir " + file.resolve("sweep"));
        assertOneLine(SparkTestSupport.spark(sc, with(file, "--run-dir", "file://" + file + "/sweep")),
                "--run-dir file://" + file + "/sweep: cannot be written (");
        assertOneLine(SparkTestSupport.spark(sc, with(file, "--run-dir", "file://" + file)),
                "--run-dir file://" + file + ": is a file, not a directory");
        assertOneLine(SparkTestSupport.spark(sc, with(file, "--run-dir", "nosuchfs://store/sweeps/lr")),
                "--run-dir nosuchfs://store/sweeps/lr: no Hadoop filesystem for nosuchfs: (");
        assertOneLine(SparkTestSupport.spark(sc, with(file, "--run-dir", "hdfs://namenode")),
                "Invalid value for option '--run-dir': 'hdfs://namenode': name a directory below the filesystem's"
                        + " root, e.g. hdfs://namenode/runs/lr");
        // Below the root, as it resolves: --overwrite would empty the directory.
        assertOneLine(SparkTestSupport.spark(sc, with(file, "--run-dir", "hdfs://namenode/runs/..")),
                "Invalid value for option '--run-dir': 'hdfs://namenode/runs/..': name a directory below the"
                        + " filesystem's root");
        assertOneLine(SparkTestSupport.spark(sc, with(file, "--run-dir", "file:///")),
                "Invalid value for option '--run-dir': 'file:///': name a directory below the filesystem's root");
        assertOneLine(SparkTestSupport.spark(sc, with(file, "--run-dir", "file://otherhost/sweeps/lr")),
                "Invalid value for option '--run-dir'");
        assertEquals(0, tasks.get());
    }

    @Test
    void aGpuDeviceWithoutGpuSchedulingIsOneLine() {
        AtomicInteger tasks = SparkTestSupport.taskCounter(sc);
        Path out = tmp.resolve("gpu");
        assertOneLine(SparkTestSupport.spark(sc, with(out, "--device", "cuda")), "--device cuda on Spark");
        List<String> study = new ArrayList<>(SparkTestSupport.studyArgs(out));
        study.add("--device");
        study.add("cuda");
        assertOneLine(SparkTestSupport.spark(sc, study), "--device cuda: on Spark");
        assertEquals(0, tasks.get());
        assertFalse(Files.exists(out));
    }

    @Test
    void helpListsTheLocalCommandsFlags() {
        SparkTestSupport.Outcome sweep = SparkTestSupport.capture(() -> SparkMain.execute("sweep", "lr", "--help"));
        assertEquals(0, sweep.status());
        assertTrue(sweep.out().contains("--restarts") && sweep.out().contains("--checkpoint-every"), sweep.out());
        SparkTestSupport.Outcome study = SparkTestSupport.capture(() -> SparkMain.execute("study", "batch-size",
                "--help"));
        assertEquals(0, study.status());
        assertTrue(study.out().contains("--step-batch-sizes") && study.out().contains("--noise-batch"), study.out());
    }

    @Test
    void anUnreachableOrMissingMasterIsOneLine() {
        Path out = tmp.resolve("master");
        List<String> args = SparkTestSupport.sweepArgs(out);
        SparkTestSupport.Outcome none = SparkTestSupport.capture(() -> SparkMain.execute(args.toArray(String[]::new)));
        assertOneLine(none, "no Spark master: run this through spark-submit --master URL");
        System.setProperty("spark.master", "spark://127.0.0.1:1");
        try {
            SparkTestSupport.Outcome r = SparkTestSupport.capture(() -> SparkMain.execute(args.toArray(String[]::new)));
            assertOneLine(r, "spark.master spark://127.0.0.1:1: the master cannot be reached (127.0.0.1:1: ");
        } finally {
            System.clearProperty("spark.master");
        }
        assertFalse(Files.exists(out));
    }
}
