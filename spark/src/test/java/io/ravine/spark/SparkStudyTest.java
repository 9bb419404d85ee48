package io.ravine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * {@code study batch-size} (steps to target and the noise scale) on local[2,4] against the local command: the same
 * study.csv but for its timing columns, the same noise-scale.csv, study.json and plots; a rerun skips finished
 * trials; a trial whose first attempt fails runs again with the same result.
 */
class SparkStudyTest {
    static SparkContext sc;
    @TempDir
    static Path tmp;
    static Path localStudy;

    @BeforeAll
    static void start() {
        sc = SparkTestSupport.localContext("local[2,4]");
        localStudy = tmp.resolve("local");
        SparkTestSupport.Outcome local = SparkTestSupport.local(SparkTestSupport.studyArgs(localStudy));
        assertEquals(0, local.status(), local.err());
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    @Test
    void studyGivesTheLocalStudysResultsAndSkipsFinishedTrials() throws Exception {
        Path dir = tmp.resolve("spark");
        AtomicInteger tasks = SparkTestSupport.taskCounter(sc);
        sc.setLocalProperty(Faults.TRIALS, "steps/b=32/lr=0.003,noise/b=32");
        SparkTestSupport.Outcome r;
        try {
            // Through Hadoop's FileSystem API (a file: URI), as on HDFS or S3.
            r = SparkTestSupport.spark(sc, SparkTestSupport.studyArgs(SparkTestSupport.uri(dir)));
        } finally {
            sc.setLocalProperty(Faults.TRIALS, null);
        }
        assertEquals(0, r.status(), r.err());
        assertEquals(13 + 2, tasks.get(), "12 steps trials and the noise trial, two of them twice");
        SparkTestSupport.assertSameResults(localStudy, dir);
        // stdout: the same findings; the last line's count and time differ only in the time.
        SparkTestSupport.Outcome local = SparkTestSupport.local(SparkTestSupport.studyArgs(localStudy));
        assertEquals(withoutLastLine(local.out()), withoutLastLine(r.out()));
        assertTrue(r.out().contains("13 trials run, 0 already done"), r.out());

        tasks.set(0);
        SparkTestSupport.Outcome again = SparkTestSupport.spark(sc, SparkTestSupport.studyArgs(
                SparkTestSupport.uri(dir)));
        assertEquals(0, again.status(), again.err());
        assertEquals(0, tasks.get(), "a finished study starts no task");
        assertTrue(again.out().contains("0 trials run, 13 already done"), again.out());
        SparkTestSupport.assertSameResults(localStudy, dir);
    }

    @Test
    void theDefaultPartsOnSparkAreStepsAndNoiseAndTheHardwarePartIsRefused() throws Exception {
        List<String> args = new ArrayList<>(SparkTestSupport.studyArgs(tmp.resolve("hw")));
        int i = args.indexOf("--parts");
        args.set(i + 1, "hardware,steps");
        AtomicInteger tasks = SparkTestSupport.taskCounter(sc);
        SparkTestSupport.Outcome r = SparkTestSupport.spark(sc, args);
        assertEquals(2, r.status());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("ravine: --parts hardware: "), r.err());
        assertEquals(0, tasks.get());
        assertTrue(!Files.exists(tmp.resolve("hw")), "nothing written");
    }

    private static String withoutLastLine(String s) {
        List<String> lines = s.lines().toList();
        return String.join("\n", lines.subList(0, lines.size() - 1));
    }
}
