package io.ravine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.report.ReportFiles;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library's optional dependencies (pom.xml: JCuda/JCublas, XChart) and its OpenBLAS natives, left out of the class
 * path as a user's project may leave them out: each is one line naming the artifact to add, never a
 * NoClassDefFoundError or UnsatisfiedLinkError trace. Each case runs the CLI in a fresh JVM on the test class path
 * minus that part (a class that failed to load stays failed for the JVM's life).
 */
class OptionalDependenciesTest {
    private static final String NO_CUDA =
            "CUDA support is not on the class path: add org.jcuda:jcuda and org.jcuda:jcublas 12.6.0";
    private static final String OPENBLAS_NATIVES_ARTIFACT = "org.bytedeco:openblas:0.3.23-1.5.9:linux-x86_64";

    @TempDir
    Path tmp;

    record Result(int status, String out, String err) {
        /** The CLI's own lines ("ravine: …"), after checking that nothing printed a stack trace. */
        List<String> errLines() {
            assertTrue(err.lines().noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception in thread")
                    || l.contains("NoClassDefFoundError") || l.contains("UnsatisfiedLinkError:") && !l.startsWith(
                    "ravine: ")), err);
            return err.lines().filter(l -> l.startsWith("ravine:")).toList();
        }
    }

    private static final Predicate<String> JCUDA = e -> e.contains("/org/jcuda/");
    private static final Predicate<String> XCHART = e -> e.contains("/org/knowm/xchart/");
    private static final Predicate<String> OPENBLAS_NATIVES =
            e -> Path.of(e).getFileName().toString().matches("openblas-.*-linux-x86_64\\.jar");

    @Test
    void deviceCudaWithoutJCudaIsOneLineNamingTheArtifacts() throws Exception {
        Result r = cli(JCUDA, "train", "--device", "cuda", "--limit", "300", "--steps", "2", "--progress", "off",
                "--run-dir", tmp.resolve("run").toString());
        assertEquals(2, r.status(), r.err());
        assertEquals(List.of("ravine: " + NO_CUDA), r.errLines());
    }

    @Test
    void deviceAutoWithoutJCudaTrainsOnTheCpuAfterOneLogLine() throws Exception {
        Path run = tmp.resolve("run");
        Result r = cli(JCUDA, "train", "--device", "auto", "--limit", "300", "--steps", "2", "--progress", "off",
                "--run-dir", run.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(List.of(), r.errLines());
        assertEquals(1, r.err().lines().filter(l -> l.endsWith("INFO  Devices - using the CPU: " + NO_CUDA)).count(),
                r.err());
        assertTrue(r.out().contains("test accuracy"), r.out());
        assertTrue(Files.isRegularFile(run.resolve("summary.json")));
    }

    @Test
    void selftestCudaWithoutJCudaIsOneLine() throws Exception {
        Result r = cli(JCUDA, "selftest", "--device", "cuda");
        assertEquals(2, r.status(), r.err());
        assertEquals(List.of("ravine: --device cuda: " + NO_CUDA), r.errLines());
    }

    @Test
    void aRunWithoutXChartKeepsItsResultsAndSaysOnceWhatToAdd() throws Exception {
        Path run = tmp.resolve("run");
        Result train = cli(XCHART, "train", "--device", "cpu", "--limit", "300", "--steps", "2", "--progress", "off",
                "--run-dir", run.toString());
        assertEquals(0, train.status(), train.err());
        assertEquals(List.of("ravine: warning: could not write " + run.resolve("report.html") + " (charts need XChart,"
                + " which is not on the class path: add " + ReportFiles.XCHART_ARTIFACT + "); no further charts are"
                + " drawn; the run's results are kept"), train.errLines());
        assertTrue(Files.isRegularFile(run.resolve("summary.json")));
        assertTrue(Files.isRegularFile(run.resolve("metrics.csv")));

        // diagnose draws several charts and a page: still one line.
        Result diagnose = cli(XCHART, "diagnose", "--run-dir", run.toString(), "--subset", "200", "--device", "cpu");
        assertEquals(0, diagnose.status(), diagnose.err());
        assertEquals(List.of("ravine: warning: could not write " + run.resolve("plots") + " (charts need XChart, which"
                + " is not on the class path: add " + ReportFiles.XCHART_ARTIFACT + "); no further charts are drawn;"
                + " the run's results are kept"), diagnose.errLines());
        assertTrue(Files.isRegularFile(run.resolve("diagnosis.json")));
    }

    @Test
    void aSweepWithoutXChartRunsAndSaysOnceWhatToAdd() throws Exception {
        // LearningRateSweep names no XChart class (its chart is a LinePlot built inside ReportFiles' catch), so the
        // sweep itself links without it.
        Path out = tmp.resolve("sweep");
        Result r = cli(XCHART, "sweep", "lr", "--device", "cpu", "--limit", "300", "--steps", "2", "--lr", "0.01,0.1",
                "--progress", "off", "--run-dir", out.toString());
        assertEquals(0, r.status(), r.err());
        // The first chart is the first run's report (each run writes its own); the sweep's charts and page add no
        // line.
        assertEquals(List.of("ravine: warning: could not write " + out.resolve("lr-0.01-seed-1").resolve("report.html")
                + " (charts need XChart, which is not on the class path: add " + ReportFiles.XCHART_ARTIFACT
                + "); no further charts are drawn; the run's results are kept"), r.errLines());
        assertTrue(Files.isRegularFile(out.resolve("sweep.json")));
        assertTrue(Files.isRegularFile(out.resolve("sweep.csv")));
    }

    @Test
    void theCpuBackendWithoutOpenBlasNativesIsOneLineNamingTheArtifact() throws Exception {
        Result r = cli(OPENBLAS_NATIVES, "train", "--device", "cpu", "--limit", "300", "--steps", "2", "--progress",
                "off", "--run-dir", tmp.resolve("run").toString());
        assertEquals(2, r.status(), r.err());
        List<String> lines = r.errLines();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("ravine: the CPU backend cannot run: OpenBLAS's native library for"
                + " linux-x86_64 could not be loaded (UnsatisfiedLinkError: "), r.err());
        assertTrue(lines.get(0).endsWith("): add " + OPENBLAS_NATIVES_ARTIFACT + " to the class path"), r.err());
    }

    /** The versions the messages name are the ones the pom builds with. */
    @Test
    void theArtifactsTheMessagesNameAreThePomsVersions() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        assertTrue(NO_CUDA.endsWith(" " + property(pom, "jcuda.version")), NO_CUDA);
        assertTrue(OPENBLAS_NATIVES_ARTIFACT.equals("org.bytedeco:openblas:" + property(pom, "openblas.version")
                + ":linux-x86_64"), OPENBLAS_NATIVES_ARTIFACT);
        Matcher xchart = Pattern.compile("<artifactId>xchart</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertTrue(xchart.find());
        assertEquals("org.knowm.xchart:xchart " + xchart.group(1), ReportFiles.XCHART_ARTIFACT);
    }

    private static String property(String pom, String name) {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</" + Pattern.quote(name) + ">").matcher(pom);
        assertTrue(m.find(), name + " not in pom.xml");
        return m.group(1);
    }

    /** {@code ravine ARGS} in a fresh JVM whose class path is this test's minus the entries {@code without} matches. */
    private Result cli(Predicate<String> without, String... args) throws IOException, InterruptedException {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        List<String> all = Arrays.asList(cp.split(File.pathSeparator));
        List<String> kept = all.stream().filter(without.negate()).toList();
        assertTrue(kept.size() < all.size(), "the test class path has nothing to leave out: " + cp);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-UsePerfData", "-Xmx512m", "-Djava.awt.headless=true", "-cp",
                String.join(File.pathSeparator, kept), "io.ravine.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().put("RAVINE_LOG_LEVEL", "INFO");
        Path out = tmp.resolve("child.out");
        Path err = tmp.resolve("child.err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("ravine " + String.join(" ", args) + " did not finish in 180 s");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
