package io.ravine.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.cli.CliTestSupport;
import io.ravine.io.IOConsumer;
import io.ravine.io.OutputDirectories;
import java.awt.AWTError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writing a chart or a report never loses a run: whatever fails there (the font stack's errors, an AWT error, a
 * directory that cannot be made) is one warning line on stderr, and the command's results and exit status stay.
 * The failures are injected through {@link ReportFiles#beforeWrite}, which runs inside the one catch every chart
 * and report goes through, or made real (a file where plots/ should be).
 */
class ChartFailureKeepsTheRunTest {
    /** What the Debian JDK's libfontmanager throws on a host without FreeType. */
    private static final String NO_FREETYPE = "/usr/lib/jvm/java-17-openjdk-amd64/lib/libfontmanager.so:"
            + " libfreetype.so.6: cannot open shared object file: No such file or directory";

    private record Result(int status, String out, String err) {
        List<String> warnings() {
            return err.lines().filter(l -> l.startsWith("ravine: warning:")).toList();
        }

        List<String> stackTraceLines() {
            return err.lines().filter(l -> l.matches("\\s+at .*|Caused by: .*")).toList();
        }
    }

    @AfterEach
    void restore() {
        ReportFiles.beforeWrite = target -> { };
        ReportFiles.configure(false);
    }

    private static Result run(IOConsumer<Path> fault, String... args) {
        ReportFiles.beforeWrite = fault;
        try {
            CliTestSupport.Result r = CliTestSupport.run(args);
            return new Result(r.status(), r.out(), r.err());
        } finally {
            ReportFiles.beforeWrite = target -> { };
        }
    }

    /** Every chart fails with {@code e}; report pages are written. */
    private static IOConsumer<Path> failingPngs(Error e) {
        return target -> {
            if (target.getFileName().toString().endsWith(".png")) {
                throw e;
            }
        };
    }

    private static String[] train(Path dir, String... more) {
        return Stream.concat(Stream.of("train", "--device", "cpu", "--limit", "600", "--steps", "20",
                "--log-every", "5", "--progress", "off", "--run-dir", dir.toString()), Stream.of(more))
                .toArray(String[]::new);
    }

    private static void assertRunResultsKept(Path dir, Result r) {
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("test accuracy"), r.out());
        for (String f : List.of("config.json", "metrics.csv", "summary.json", "checkpoints/final.safetensors")) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
    }

    private static List<String> pngs(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".png")).toList();
        }
    }

    @Test
    void aBrokenFontStackCostsOneWarningLineAndKeepsTheRun(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("run");
        Result r = run(failingPngs(new UnsatisfiedLinkError(NO_FREETYPE)), train(dir));
        assertRunResultsKept(dir, r);
        // Four charts were due; the first failure says that no further charts are drawn, the rest are skipped.
        assertEquals(1, r.warnings().size(), r.err());
        String w = r.warnings().get(0);
        assertTrue(w.startsWith("ravine: warning: could not write " + dir.resolve("plots")), w);
        assertTrue(w.contains("UnsatisfiedLinkError: ") && w.contains("libfreetype.so.6"), w);
        assertTrue(w.endsWith("no further charts are drawn; the run's results are kept"), w);
        assertEquals(List.of(), r.stackTraceLines(), r.err());
        assertEquals(List.of(), pngs(dir.resolve("plots")));
        // The report is still written, and says the charts are missing instead of linking them.
        String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("loss.png could not be drawn"), html);
        assertFalse(html.contains("<img"), html);
    }

    @Test
    void theTraceComesOnlyWithVerbose(@TempDir Path tmp) {
        Path dir = tmp.resolve("run");
        Result r = run(failingPngs(new UnsatisfiedLinkError(NO_FREETYPE)), train(dir, "--verbose"));
        assertRunResultsKept(dir, r);
        assertEquals(1, r.warnings().size(), r.err());
        assertFalse(r.stackTraceLines().isEmpty(), r.err());
    }

    @Test
    void chartsAndTheReportFailingTogetherLeaveTheResultsAndExitStatus(@TempDir Path tmp) {
        Path dir = tmp.resolve("run");
        Result r = run(target -> {
            throw new AWTError("Can't connect to X11 window server");
        }, train(dir));
        assertRunResultsKept(dir, r);
        // One line for the charts (the drawing stack is broken), one for report.html.
        assertEquals(2, r.warnings().size(), r.err());
        assertTrue(r.warnings().get(1).startsWith("ravine: warning: could not write " + dir.resolve("report.html")
                + " (AWTError: Can't connect to X11 window server); the run's results are kept"), r.err());
        assertEquals(List.of(), r.stackTraceLines(), r.err());
        assertFalse(Files.exists(dir.resolve("report.html")));
    }

    @Test
    void aPlotsPathThatIsAFileIsOneLinePerChartWithTheReason(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("run");
        // A new run needs an empty directory, so the file comes between a run and its resume.
        assertRunResultsKept(dir, run(target -> { }, train(dir)));
        OutputDirectories.deleteTree(dir.resolve("plots"));
        Files.writeString(dir.resolve("plots"), "not a directory");
        Result r = run(target -> { }, "train", "--resume", "--run-dir", dir.toString(), "--steps", "30",
                "--progress", "off");
        assertRunResultsKept(dir, r);
        // A failure of one file, not of the drawing stack: each chart is tried and says why it was not written (four
        // training curves; the update ratios and, per layer of 784-128-10, the weights' and gradients' histograms).
        assertEquals(9, r.warnings().size(), r.err());
        for (String w : r.warnings()) {
            assertTrue(w.contains(dir.resolve("plots") + ": exists and is not a directory);"), w);
        }
        assertEquals(List.of(), r.stackTraceLines(), r.err());
        assertTrue(Files.isRegularFile(dir.resolve("report.html")));
    }

    @Test
    void everyCommandThatDrawsKeepsItsResults(@TempDir Path tmp) throws IOException {
        IOConsumer<Path> noFreeType = failingPngs(new UnsatisfiedLinkError(NO_FREETYPE));
        Path run = tmp.resolve("run");
        assertRunResultsKept(run, run(target -> { }, train(run, "--save-initial")));

        Result diagnose = run(noFreeType, "diagnose", "--run-dir", run.toString(), "--subset", "200",
                "--lanczos-steps", "6", "--top-k", "3", "--density-probes", "1", "--device", "cpu");
        assertEquals(0, diagnose.status(), diagnose.err());
        assertTrue(Files.isRegularFile(run.resolve("diagnosis.json")));
        assertEquals(1, diagnose.warnings().size(), diagnose.err());

        Result landscape = run(noFreeType, "landscape", "--run-dir", run.toString(), "--grid", "5", "--points",
                "5", "--device", "cpu");
        assertEquals(0, landscape.status(), landscape.err());
        assertTrue(Files.isRegularFile(run.resolve("landscape/landscape.json")));
        assertTrue(Files.isRegularFile(run.resolve("landscape/plane.csv")));
        assertEquals(1, landscape.warnings().size(), landscape.err());

        Path toy = tmp.resolve("toy");
        Result toyRun = run(noFreeType, "toy", "--problem", "quadratic", "--eigenvalues", "1,10", "--lr", "0.15",
                "--steps", "20", "--run-dir", toy.toString());
        assertEquals(0, toyRun.status(), toyRun.err());
        assertTrue(Files.isRegularFile(toy.resolve("toy.json")));
        assertEquals(1, toyRun.warnings().size(), toyRun.err());

        Path sweep = tmp.resolve("sweep");
        Result sweepRun = run(noFreeType, "sweep", "lr", "--lr", "0.01", "--limit", "300", "--steps", "5",
                "--device", "cpu", "--progress", "off", "--run-dir", sweep.toString());
        assertEquals(0, sweepRun.status(), sweepRun.err());
        assertTrue(Files.isRegularFile(sweep.resolve("sweep.json")));
        assertEquals(1, sweepRun.warnings().size(), sweepRun.err());

        for (Result r : List.of(diagnose, landscape, toyRun, sweepRun)) {
            assertTrue(r.warnings().get(0).contains("UnsatisfiedLinkError"), r.err());
            assertEquals(List.of(), r.stackTraceLines(), r.err());
        }
        assertEquals(List.of(), pngs(toy));
        assertEquals(List.of(), pngs(sweep));
    }
}
