package io.ravine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * target/ravine-spark.jar run the way a cluster runs it: {@code org.apache.spark.deploy.SparkSubmit} (what
 * {@code bin/spark-submit} launches) in a JVM of its own, on Spark's class path alone (target/spark-classpath.txt:
 * spark-core and its dependencies in Spark's versions), with the jar as the application jar, which SparkSubmit
 * loads in a child class loader that asks Spark's first. So Ravine's own dependencies come from the jar, and where
 * Spark has a class of the same name, Spark's is the one loaded unless the jar relocated its copy. The in-process
 * tests ({@link SparkSweepTest}, {@link SparkStudyTest}) have everything on one class path and cannot see that.
 *
 * <p>A sweep and a small study on {@code --master local[2]} give the local commands' files, bit for bit but for
 * measured times, and their stdout; an invalid flag is one line and exit status 2, before anything is written.
 */
class SparkSubmitIT {
    @TempDir
    static Path tmp;

    /** Exit status, stdout and stderr of a spark-submit. */
    record Submitted(int status, String out, String err) {
    }

    /**
     * {@code java <opens> -cp <Spark> org.apache.spark.deploy.SparkSubmit --master local[2] --class SparkMain
     * ravine-spark.jar <args>}, in {@code tmp}, Spark's log at WARN (the tests' log4j2-test.properties, as
     * {@code --driver-java-options} would set it: in client mode the driver is this JVM).
     */
    static Submitted submit(List<String> args) throws IOException, InterruptedException {
        return submit("local[2]", List.of(), List.of(), args);
    }

    /**
     * {@link #submit(List)} on {@code master}, with further JVM options for the driver ({@code javaOptions}, as
     * {@code --driver-java-options}) and further spark-submit options ({@code options}).
     */
    static Submitted submit(String master, List<String> javaOptions, List<String> options, List<String> args)
            throws IOException, InterruptedException {
        Path jar = Path.of(property("ravine.spark.jar"));
        Path classPathFile = Path.of(property("ravine.spark.classpath"));
        assertTrue(Files.isRegularFile(jar), jar + ": built at package");
        assertTrue(Files.isRegularFile(classPathFile), classPathFile + ": written at package (maven-invoker-plugin,"
                + " src/it/spark-classpath)");
        String sparkClassPath = Files.readString(classPathFile).strip();
        for (String entry : sparkClassPath.split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            assertFalse(name.startsWith("ravine") || name.startsWith("picocli") || name.startsWith("openblas"),
                    "Spark's class path holds only Spark and its dependencies: " + entry);
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx1g");
        command.addAll(Arrays.asList(property("ravine.spark.java.options").trim().split("\\s+")));
        command.add("-Dlog4j2.configurationFile=" + Path.of(resource("/log4j2-test.properties")));
        command.addAll(javaOptions);
        command.addAll(List.of("-cp", sparkClassPath, "org.apache.spark.deploy.SparkSubmit",
                "--master", master, "--class", "io.ravine.spark.SparkMain",
                "--conf", "spark.ui.enabled=false",
                "--conf", "spark.driver.host=127.0.0.1",
                "--conf", "spark.driver.bindAddress=127.0.0.1"));
        command.addAll(options);
        command.add(jar.toString());
        command.addAll(args);
        Path work = Files.createTempDirectory(tmp, "submit");
        Path out = work.resolve("stdout");
        Path err = work.resolve("stderr");
        Process p = new ProcessBuilder(command).directory(work.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        // A guard against a hung driver, not a time limit on the work: the whole class takes well under a minute.
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
            fail("spark-submit did not exit; stderr:\n" + Files.readString(err));
        }
        Submitted s = new Submitted(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        if (s.status() != 0) {
            System.err.println("spark-submit exited " + s.status() + "; stderr:\n" + s.err());
        }
        return s;
    }

    private static String property(String name) {
        String v = System.getProperty(name);
        assertTrue(v != null && !v.isBlank(), name + ": set by failsafe (spark/pom.xml)");
        return v;
    }

    private static String resource(String name) {
        try {
            return Path.of(SparkSubmitIT.class.getResource(name).toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The jar holds no class that Spark's class path also holds: SparkSubmit's class loader would load Spark's copy
     * (Gson, Commons IO and Codec, in Spark's versions) in place of the one Ravine was built and tested with.
     */
    @Test
    void theJarSharesNoClassWithSpark() throws IOException {
        Set<String> spark = new HashSet<>();
        for (String entry : Files.readString(Path.of(property("ravine.spark.classpath"))).strip()
                .split(File.pathSeparator)) {
            spark.addAll(classes(Path.of(entry)));
        }
        Set<String> shared = new TreeSet<>(classes(Path.of(property("ravine.spark.jar"))));
        shared.retainAll(spark);
        assertEquals(Set.of(), shared, "classes of target/ravine-spark.jar that Spark's class path has too");
    }

    /** The class files of a jar, but for multi-release versions and module descriptors. */
    private static Set<String> classes(Path jar) throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            return j.stream().map(JarEntry::getName).filter(n -> n.endsWith(".class") && !n.startsWith("META-INF/")
                    && !n.endsWith("module-info.class")).collect(Collectors.toSet());
        }
    }

    @Test
    void sweepThroughSparkSubmitGivesTheLocalSweepsFilesAndStdout() throws Exception {
        Path local = tmp.resolve("sweep-local");
        SparkTestSupport.Outcome l = SparkTestSupport.local(SparkTestSupport.sweepArgs(local));
        assertEquals(0, l.status(), l.err());
        Path dir = tmp.resolve("sweep-spark");
        Submitted s = submit(SparkTestSupport.sweepArgs(SparkTestSupport.uri(dir)));
        assertEquals(0, s.status(), s.err());
        SparkTestSupport.assertSameResults(local, dir);
        // The same table and best run; the directory as given (a file: URI) in place of the local path.
        assertEquals(l.out().replace(local.toString(), "DIR"), s.out().replace(SparkTestSupport.uri(dir), "DIR"));
    }

    /**
     * On a cluster of two workers (local-cluster: a master and two workers in the driver's JVM, each executor a JVM
     * of its own, launched on Spark's class path alone, which fetches the application jar from the driver as a
     * cluster's executors do), into a Hadoop filesystem URI, with the executor JVM of one run halted after that run
     * published its checkpoint of step 20: the run is retried on the other executor from that checkpoint, and the
     * sweep's files are the local command's bits.
     */
    @Test
    void sweepOnAClusterThroughSparkSubmitSurvivesAKilledExecutor() throws Exception {
        Path local = tmp.resolve("cluster-local");
        SparkTestSupport.Outcome l = SparkTestSupport.local(SparkTestSupport.sweepArgs(local));
        assertEquals(0, l.status(), l.err());
        // local-cluster launches executors from a Spark home: an empty one, as Spark's own tests make it.
        Path home = tmp.resolve("spark-home");
        Files.createDirectories(home.resolve("jars"));
        Files.createDirectories(home.resolve("launcher/target/scala-2.13"));
        String log4j = "-Dlog4j2.configurationFile=" + Path.of(resource("/log4j2-test.properties"));
        Path dir = tmp.resolve("cluster-spark");
        Submitted s = submit("local-cluster[2,1,1024]",
                List.of("-Dspark.testing=true", "-Dspark.test.home=" + home),
                List.of("--conf", "spark.executor.extraClassPath=" + Files.readString(
                                Path.of(property("ravine.spark.classpath"))).strip(),
                        "--conf", "spark.executor.extraJavaOptions=-Djava.awt.headless=true " + log4j,
                        "--conf", "spark.task.maxFailures=4",
                        "--conf", Faults.TRIALS + "=lr-0.1-seed-2",
                        "--conf", Faults.STEP + "=25",
                        "--conf", Faults.MODE + "=halt"),
                SparkTestSupport.sweepArgs(SparkTestSupport.uri(dir)));
        assertEquals(0, s.status(), s.err());
        SparkTestSupport.assertSameResults(local, dir);
        assertEquals(List.of(0L, 20L), SparkSweepTest.startSteps(dir.resolve("lr-0.1-seed-2")),
                "the run whose executor died resumed from its published checkpoint of step 20");
        assertEquals(l.out().replace(local.toString(), "DIR"), s.out().replace(SparkTestSupport.uri(dir), "DIR"));
    }

    @Test
    void studyThroughSparkSubmitGivesTheLocalStudysFilesAndStdout() throws Exception {
        Path local = tmp.resolve("study-local");
        SparkTestSupport.Outcome l = SparkTestSupport.local(smallStudy(local.toString()));
        assertEquals(0, l.status(), l.err());
        Path dir = tmp.resolve("study-spark");
        Submitted s = submit(smallStudy(SparkTestSupport.uri(dir)));
        assertEquals(0, s.status(), s.err());
        SparkTestSupport.assertSameResults(local, dir);
        // The same findings; the last line (trials run and the time taken) differs in the time.
        assertEquals(withoutLastLine(l.out().replace(local.toString(), "DIR")),
                withoutLastLine(s.out().replace(SparkTestSupport.uri(dir), "DIR")));
        assertTrue(s.out().contains("7 trials run, 0 already done"), s.out());
    }

    @Test
    void anInvalidFlagIsOneLineAndStatusTwoBeforeAnything() throws Exception {
        Path dir = tmp.resolve("bad");
        List<String> args = new ArrayList<>(SparkTestSupport.sweepArgs(SparkTestSupport.uri(dir)));
        args.set(args.indexOf("--restarts") + 1, "0");
        Submitted s = submit(args);
        assertEquals(2, s.status(), s.err());
        // Spark logs to stderr too (at WARN here): the command's own lines are those starting "ravine: ".
        List<String> ravine = s.err().lines().filter(line -> line.startsWith("ravine: ")).toList();
        assertEquals(1, ravine.size(), s.err());
        assertTrue(ravine.get(0).startsWith("ravine: --restarts must be between 1"), s.err());
        assertEquals("", s.out());
        assertFalse(Files.exists(dir), "nothing written, so no task started");
    }

    /** The tests' study with 2 batch sizes (6 trials of steps and the noise trial), to keep the submit short. */
    private static List<String> smallStudy(String runDir) {
        List<String> args = new ArrayList<>(SparkTestSupport.studyArgs(runDir));
        args.set(args.indexOf("--step-batch-sizes") + 1, "32,128");
        return args;
    }

    private static String withoutLastLine(String s) {
        List<String> lines = s.lines().toList();
        return String.join("\n", lines.subList(0, lines.size() - 1));
    }
}
