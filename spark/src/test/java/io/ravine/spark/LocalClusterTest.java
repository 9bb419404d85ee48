package io.ravine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * local-cluster[2,1,1024]: a standalone master and two workers in this JVM, each launching an executor JVM of its
 * own (one core, 1 GiB), as on a real cluster. The 12-run sweep and the study give the local commands' files bit for
 * bit across processes, also when an executor JVM dies in the middle of a run (after its checkpoint of step 20):
 * Spark retries the task on an executor that lives, and it resumes the run from that checkpoint. GPU scheduling is on
 * (a pretend GPU per worker, one per task): a task that cannot open the GPU it was assigned fails with one line on
 * every attempt, and never trains on the CPU instead.
 *
 * <p>A worker builds its executor's command line from a Spark home ({@code spark.test.home} while
 * {@code spark.testing} is set: Spark's own tests do the same); the home here is an empty {@code jars/} directory
 * and the directory the launcher reads the Scala version from, and the executors get this test's class path as {@code spark.executor.extraClassPath}.
 */
class LocalClusterTest {
    static SparkContext sc;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws IOException {
        Path home = Path.of(System.getProperty("ravine.spark.test.dir", "target/spark-test"), "home")
                .toAbsolutePath();
        Files.createDirectories(home.resolve("jars"));
        // Where the launcher looks for the Scala version of a Spark build (AbstractCommandBuilder.getScalaVersion).
        Files.createDirectories(home.resolve("launcher/target/scala-2.13"));
        System.setProperty("spark.testing", "true");
        System.setProperty("spark.test.home", home.toString());
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        // Every worker has one (pretend) GPU, and every executor and task asks for one, as on a GPU cluster: the
        // CPU runs below ignore it (--device cpu); the GPU test asks for it.
        Path gpuScript = Files.writeString(home.resolve("one-gpu.sh"),
                "#!/bin/sh\necho '{\"name\": \"gpu\", \"addresses\": [\"0\"]}'\n");
        Files.setPosixFilePermissions(gpuScript, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        sc = new SparkContext(new SparkConf().setMaster("local-cluster[2,1,1024]").setAppName("ravine-local-cluster")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.executor.extraClassPath", classPath)
                .set("spark.executor.extraJavaOptions", "-Djava.awt.headless=true"
                        + " -Dlog4j2.configurationFile=" + log4jConfig())
                .set("spark.task.maxFailures", "4")
                .set("spark.worker.resource.gpu.amount", "1")
                .set("spark.worker.resource.gpu.discoveryScript", gpuScript.toString())
                .set("spark.executor.resource.gpu.amount", "1")
                .set("spark.task.resource.gpu.amount", "1"));
    }

    /** The tests' Log4j configuration (WARN) for the executors too. */
    private static String log4jConfig() {
        return new File(LocalClusterTest.class.getResource("/log4j2-test.properties").getFile()).getAbsolutePath();
    }

    @AfterAll
    static void stop() {
        sc.stop();
        System.clearProperty("spark.testing");
        System.clearProperty("spark.test.home");
    }

    @Test
    void sweepAcrossExecutorJvmsOneOfWhichDiesMidRunGivesTheLocalSweep() throws IOException {
        Path local = tmp.resolve("local");
        assertEquals(0, SparkTestSupport.local(SparkTestSupport.sweepArgs(local)).status());
        Path dir = tmp.resolve("cluster");
        sc.setLocalProperty(Faults.TRIALS, "lr-0.1-seed-2");
        sc.setLocalProperty(Faults.STEP, "25");
        sc.setLocalProperty(Faults.MODE, "halt");
        SparkTestSupport.Outcome r;
        try {
            // Through Hadoop's FileSystem API (a file: URI): the dead attempt had published its checkpoint of
            // step 20 there, and the retry, on another executor, copies it and resumes from it.
            r = SparkTestSupport.spark(sc, SparkTestSupport.sweepArgs(SparkTestSupport.uri(dir)));
        } finally {
            sc.setLocalProperty(Faults.TRIALS, null);
            sc.setLocalProperty(Faults.STEP, null);
            sc.setLocalProperty(Faults.MODE, null);
        }
        assertEquals(0, r.status(), r.err());
        SparkTestSupport.assertSameResults(local, dir);
        assertEquals(List.of(0L, 20L), SparkSweepTest.startSteps(dir.resolve("lr-0.1-seed-2")),
                "the run whose executor died resumed from its checkpoint of step 20");
    }

    @Test
    void studyAcrossExecutorJvmsGivesTheLocalStudy() {
        // A smaller study than local[2]'s (its 13 trials run there): 2 batch sizes at 3 rates and the noise trial.
        Path local = tmp.resolve("study-local");
        assertEquals(0, SparkTestSupport.local(smallStudy(local)).status());
        Path dir = tmp.resolve("study-cluster");
        SparkTestSupport.Outcome r = SparkTestSupport.spark(sc, smallStudy(dir));
        assertEquals(0, r.status(), r.err());
        SparkTestSupport.assertSameResults(local, dir);
    }

    @Test
    void aTaskWhoseAssignedGpuCannotBeOpenedFailsWithOneLineAndNeverUsesTheCpu() {
        Path out = tmp.resolve("gpu");
        List<String> args = new java.util.ArrayList<>(SparkTestSupport.sweepArgs(out));
        args.set(args.indexOf("--device") + 1, "auto");
        args.set(args.indexOf("--lr") + 1, "0.01");
        args.set(args.indexOf("--restarts") + 1, "1");
        SparkTestSupport.Outcome r = SparkTestSupport.spark(sc, args);
        assertEquals(3, r.status(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("ravine: a trial failed on the cluster (4 attempts): lr-0.01-seed-1 (attempt"
                + " 4, "), r.err());
        assertTrue(r.err().contains(": cannot open GPU 0 that Spark assigned to this task: "), r.err());
        assertFalse(Files.exists(out.resolve("lr-0.01-seed-1").resolve("metrics.csv")), "no step on the CPU");
    }

    private static List<String> smallStudy(Path out) {
        List<String> args = new java.util.ArrayList<>(SparkTestSupport.studyArgs(out));
        args.set(args.indexOf("--step-batch-sizes") + 1, "32,128");
        return args;
    }
}
