package io.ravine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.cpu.CpuBackend;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a training run prints: the progress line on stderr only, each message once, --quiet. */
class TerminalOutputTest {

    @Test
    void progressOnRedrawsOnStderrAndNeverTouchesStdout(@TempDir Path tmp) {
        CliTestSupport.Result r = CliTestSupport.run("train", "--device", "cpu", "--limit", "600", "--steps", "12",
                "--progress", "on", "--run-dir", tmp.resolve("run").toString());
        assertEquals(0, r.status(), r.err());
        assertFalse(r.out().contains("\r") || r.out().contains("step 12/12"), r.out());
        String progress = java.util.Arrays.stream(r.err().split("\n")).filter(l -> l.contains("\rstep ")).findFirst().orElseThrow();
        String[] draws = progress.split("\r");
        String last = draws[draws.length - 1];
        assertTrue(last.startsWith("step 12/12 100% "), last);
        for (String d : draws) {
            assertTrue(d.length() <= 79, d);
        }
    }

    @Test
    void progressRejectsOtherValuesOnEveryCommandThatHasIt(@TempDir Path tmp) {
        for (List<String> command : List.of(List.of("train"), List.of("sweep", "lr"), List.of("study", "batch-size"),
                List.of("diagnose"), List.of("landscape"), List.of("bench"))) {
            List<String> args = new java.util.ArrayList<>(command);
            args.addAll(List.of("--progress", "yes"));
            if (!command.get(0).equals("bench")) {
                args.addAll(List.of("--run-dir", tmp.resolve("o").toString()));
            }
            CliTestSupport.Result r = CliTestSupport.run(args.toArray(String[]::new));
            assertEquals(Main.EXIT_BAD_INPUT, r.status(), r.err());
            assertEquals(List.of("ravine: --progress must be auto, on or off, not 'yes'"), r.errorLines(), r.err());
        }
    }

    @Test
    void anInterruptedRunShowsTheStepItReached() {
        TrainConfig config = TrainConfig.builder().setData("embedded").optLimit(300).optHidden(8).optSteps(40)
                .optLogEvery(5).optSubset(100).build();
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        long at;
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            t.optProgressBar(true).optListener(ev -> t.requestInterrupt());
            at = t.fit().steps();
        } finally {
            System.setErr(old);
        }
        assertTrue(at > 0 && at < 40, "interrupted at " + at);
        String line = java.util.Arrays.stream(err.toString(StandardCharsets.UTF_8).split("\n"))
                .filter(l -> l.contains("\rstep ")).findFirst()
                .orElseThrow();
        String last = line.substring(line.lastIndexOf('\r') + 1);
        assertTrue(last.startsWith("step " + at + "/40 "), last);
        assertFalse(last.contains("100%"), last);
    }

    @Test
    void quietPrintsOnlyResultsAndErrors(@TempDir Path tmp) {
        CliTestSupport.Result r = CliTestSupport.run("train", "--quiet", "--device", "auto", "--limit", "600",
                "--steps", "6", "--run-dir", tmp.resolve("run").toString());
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().startsWith("test accuracy "), r.out());
        CliTestSupport.Result bad = CliTestSupport.run("-q", "train", "--hidden", "", "--run-dir",
                tmp.resolve("run2").toString());
        assertEquals(Main.EXIT_BAD_INPUT, bad.status());
        assertEquals(1, bad.err().lines().count(), bad.err());
    }

    @Test
    void aCpuOnlyMachineGetsOneShortLineAndTheDataLineCountsTheExamplesUsed(@TempDir Path tmp) {
        CliTestSupport.Result r = CliTestSupport.run("train", "--device", "auto", "--limit", "600", "--steps", "2",
                "--progress", "off", "--run-dir", tmp.resolve("run").toString());
        assertEquals(0, r.status(), r.err());
        List<String> devices = r.err().lines().filter(l -> l.contains("INFO  Devices - ")).toList();
        assertEquals(1, devices.size(), r.err());
        if (io.ravine.backend.Devices.cudaUnavailableReason().filter(w -> w.startsWith("no NVIDIA driver"))
                .isPresent()) {
            assertTrue(devices.get(0).endsWith("INFO  Devices - no NVIDIA driver: using the CPU"), devices.get(0));
        }
        assertTrue(r.err().lines().noneMatch(l -> l.contains("Error while loading") || l.length() > 400), r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.contains("data: 600 of 5000 training examples, 1000 test"
                + " examples")), r.err());
    }

    @Test
    void aDivergedRunSaysSoOnce(@TempDir Path tmp) {
        CliTestSupport.Result r = CliTestSupport.run("train", "--device", "cpu", "--limit", "600", "--steps", "30",
                "--optimizer", "sgd", "--lr", "1e6", "--progress", "off", "--run-dir", tmp.resolve("run").toString());
        assertEquals(Main.EXIT_FAILED, r.status(), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.contains("instability")).count(), r.err());
        assertTrue(r.errorLines().get(0).startsWith("ravine: instability: "), r.err());
    }
}
