package io.ravine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sweep lr} on local[2] (two task slots in this JVM, each failed task retried up to 4 times) against the
 * local command: the same files, bit for bit, except measured times; finished runs skipped; a first attempt that
 * fails after a checkpoint resumed from it.
 */
class SparkSweepTest {
    static SparkContext sc;
    @TempDir
    static Path tmp;
    static Path localSweep;

    @BeforeAll
    static void start() {
        sc = SparkTestSupport.localContext("local[2,4]");
        localSweep = tmp.resolve("local");
        SparkTestSupport.Outcome local = SparkTestSupport.local(SparkTestSupport.sweepArgs(localSweep));
        assertEquals(0, local.status(), local.err());
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    @Test
    void twelveRunSweepGivesTheLocalSweepsFilesAndSkipsFinishedRuns() throws IOException {
        Path dir = tmp.resolve("spark");
        AtomicInteger tasks = SparkTestSupport.taskCounter(sc);
        SparkTestSupport.Outcome r = SparkTestSupport.spark(sc,
                SparkTestSupport.sweepArgs(SparkTestSupport.uri(dir)));
        assertEquals(0, r.status(), r.err());
        assertEquals(12, tasks.get(), "one task per run");
        SparkTestSupport.assertSameResults(localSweep, dir);
        // The same stdout as the local command's (the table and the best run), but for the directory.
        SparkTestSupport.Outcome local = SparkTestSupport.local(SparkTestSupport.sweepArgs(localSweep));
        assertEquals(local.out().replace(localSweep.toString(), "DIR"), r.out().replace("file://" + dir, "DIR"));

        // A rerun trains nothing; with one run directory removed, it trains that run alone.
        Map<String, String> before = SparkTestSupport.snapshot(dir);
        tasks.set(0);
        assertEquals(0, SparkTestSupport.spark(sc, SparkTestSupport.sweepArgs(dir)).status());
        assertEquals(0, tasks.get(), "a finished sweep starts no task");
        io.ravine.io.OutputDirectories.deleteTree(dir.resolve("lr-0.01-seed-2"));
        assertEquals(0, SparkTestSupport.spark(sc, SparkTestSupport.sweepArgs(dir)).status());
        assertEquals(1, tasks.get(), "only the removed run is trained again");
        assertEquals(before, SparkTestSupport.snapshot(dir));
    }

    @Test
    void aFirstAttemptThatFailsAfterACheckpointIsRetriedFromThatCheckpoint() throws IOException {
        Path dir = tmp.resolve("faults");
        sc.setLocalProperty(Faults.TRIALS, "lr-0.03-seed-1,lr-0.001-seed-2");
        sc.setLocalProperty(Faults.STEP, "25");
        AtomicInteger tasks = SparkTestSupport.taskCounter(sc);
        SparkTestSupport.Outcome r;
        try {
            r = SparkTestSupport.spark(sc, SparkTestSupport.sweepArgs(dir));
        } finally {
            sc.setLocalProperty(Faults.TRIALS, null);
            sc.setLocalProperty(Faults.STEP, null);
        }
        assertEquals(0, r.status(), r.err());
        assertEquals(14, tasks.get(), "12 runs, 2 of them twice");
        SparkTestSupport.assertSameResults(localSweep, dir);
        for (String run : List.of("lr-0.03-seed-1", "lr-0.001-seed-2")) {
            assertEquals(List.of(0L, 20L), startSteps(dir.resolve(run)), run + ": started, then resumed at the"
                    + " checkpoint of step 20");
        }
        assertEquals(List.of(0L), startSteps(dir.resolve("lr-0.03-seed-2")));
    }

    /** The step each invocation of a run started at (run.json). */
    static List<Long> startSteps(Path runDir) throws IOException {
        List<Long> steps = new ArrayList<>();
        JsonParser.parseString(Files.readString(runDir.resolve("run.json"))).getAsJsonObject()
                .getAsJsonArray("invocations").forEach(i -> steps.add(i.getAsJsonObject().get("start_step")
                        .getAsLong()));
        return steps;
    }
}
