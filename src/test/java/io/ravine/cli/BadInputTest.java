package io.ravine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gets one line naming the problem, a non-zero exit, no stack trace, and leaves no half-written files. */
class BadInputTest {
    @TempDir
    Path tmp;

    private void assertRejected(String expectedFragment, String... args) {
        List<String> all = new ArrayList<>(List.of("train", "--device", "cpu", "--progress", "off", "--run-dir",
                tmp.resolve("run").toString()));
        all.addAll(List.of(args));
        CliTestSupport.Result r = CliTestSupport.run(all.toArray(String[]::new));
        assertEquals(Main.EXIT_BAD_INPUT, r.status(), "exit status; stderr: " + r.err());
        assertEquals(1, r.errorLines().size(), "exactly one error line: " + r.err());
        String line = r.errorLines().get(0).toLowerCase(Locale.ROOT);
        assertTrue(line.contains(expectedFragment.toLowerCase(Locale.ROOT)),
                "'" + line + "' should mention '" + expectedFragment + "'");
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
    }

    private Path csv(String name, String content) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    @Test
    void unknownFlag() {
        assertRejected("--bogus", "--bogus", "3");
    }

    @Test
    void badBatchSize() {
        assertRejected("--batch-size", "--batch-size", "zero");
    }

    @Test
    void negativeHistogramInterval() {
        assertRejected("--histogram-every must be ≥ 0 (0 = no histograms), got -2", "--histogram-every", "-2");
        assertFalse(java.nio.file.Files.exists(tmp.resolve("run")), "nothing written");
    }

    @Test
    void negativeLearningRate() {
        assertRejected("--lr", "--lr", "-1");
    }

    @Test
    void unknownOptimizer() {
        assertRejected("optimizer", "--optimizer", "adagrad");
    }

    @Test
    void unknownActivation() {
        assertRejected("activation", "--activation", "swish");
    }

    @Test
    void badSchedule() {
        assertRejected("schedule", "--schedule", "cosine:abc");
    }

    @Test
    void missingDataFile() {
        assertRejected("nope.csv", "--data", tmp.resolve("nope.csv").toString());
    }

    @Test
    void nanInData() throws IOException {
        Path p = csv("nan.csv", "a,b,label\n1,2,0\n3,NaN,1\n5,6,1\n7,8,0\n9,1,1\n");
        assertRejected("nan", "--data", p.toString());
    }

    @Test
    void truncatedIdx() throws IOException {
        Path dir = tmp.resolve("idx");
        Files.createDirectories(dir);
        // Headers that promise 10 images of 28×28 but deliver only 5 bytes of pixels.
        byte[] images = new byte[16 + 5];
        images[2] = 8;
        images[3] = 3;
        images[7] = 10;
        images[11] = 28;
        images[15] = 28;
        Files.write(dir.resolve("train-images-idx3-ubyte"), images);
        Files.write(dir.resolve("t10k-images-idx3-ubyte"), images);
        byte[] labels = new byte[8 + 10];
        labels[2] = 8;
        labels[3] = 1;
        labels[7] = 10;
        Files.write(dir.resolve("train-labels-idx1-ubyte"), labels);
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), labels);
        assertRejected("truncated", "--data", dir.toString());
    }

    @Test
    void testLabelOutOfRange() throws IOException {
        Path train = csv("train.csv", "a,b,label\n1,2,0\n3,4,1\n5,6,2\n7,8,0\n");
        Path test = csv("test.csv", "a,b,label\n1,2,0\n3,4,7\n");
        assertRejected("label", "--data", train.toString(), "--test-data", test.toString());
    }

    @Test
    void dimensionMismatchBetweenTrainAndTest() throws IOException {
        Path train = csv("train.csv", "a,b,label\n1,2,0\n3,4,1\n5,6,1\n7,8,0\n");
        Path test = csv("test.csv", "a,b,c,label\n1,2,3,0\n");
        assertRejected("feature", "--data", train.toString(), "--test-data", test.toString());
    }

    @Test
    void cudaWithoutAGpu() {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                io.ravine.backend.Devices.cudaUnavailableReason().isPresent(), "a GPU is present here");
        List<String> args = List.of("train", "--device", "cuda", "--steps", "1", "--progress", "off", "--run-dir",
                tmp.resolve("run").toString());
        CliTestSupport.Result r = CliTestSupport.run(args.toArray(String[]::new));
        assertEquals(Main.EXIT_BAD_INPUT, r.status());
        assertEquals(1, r.errorLines().size(), r.err());
        assertTrue(r.errorLines().get(0).toLowerCase(Locale.ROOT).contains("cuda"), r.err());
    }

    @Test
    void resumeFromNowhere() {
        CliTestSupport.Result r = CliTestSupport.run("train", "--resume", "--run-dir", tmp.resolve("missing")
                .toString());
        assertEquals(Main.EXIT_BAD_INPUT, r.status());
        assertEquals(List.of("ravine: run directory " + tmp.resolve("missing") + " does not exist"), r.errorLines(),
                r.err());
    }

    @Test
    void aRejectedRunWritesNothing() throws IOException {
        Path p = csv("nan.csv", "a,b,label\n1,2,0\n3,inf,1\n");
        assertRejected("inf", "--data", p.toString());
        assertFalse(Files.exists(tmp.resolve("run")), "no run directory for a run that never started");
    }
}
