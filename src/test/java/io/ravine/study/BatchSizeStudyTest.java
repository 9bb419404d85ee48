package io.ravine.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchSizeStudyTest {

    /** Every part, on a tiny model and 300 embedded examples: a few seconds in all. */
    private static BatchSizeStudyConfig small() {
        return BatchSizeStudyConfig.builder()
                .optDevices(List.of("cpu", "cuda"))
                .optBatchSizes(1, 4, 16, 64).optInputs(20).optHidden(16).optClasses(3)
                .optWarmup(1).optWarmupSeconds(0).optRepeats(3).optSecondsPerSize(0)
                .optLimit(300).optStepBatchSizes(10, 20, 40).optLrGrid(1).optLearningRate(3e-3)
                .optTargetLoss(1.2).optMaxSteps(80).optCheckEvery(5).optSubset(200)
                .optNoiseBatch(20).optNoiseSmall(4).optNoiseBig(32).optNoiseEvery(10)
                .build();
    }

    /** CUDA never opens here, whatever the machine, so the skip path is always the one tested. */
    private static Backend cpuOnly(String device) {
        if (!device.equals("cpu")) {
            throw new InvalidInputException("no " + device + " in this test");
        }
        return CpuBackend.f32();
    }

    private static BatchSizeStudyResult run(BatchSizeStudyConfig config, Path dir) {
        return new BatchSizeStudy(config, dir).optDeviceOpener(BatchSizeStudyTest::cpuOnly).optProgressBar(false)
                .run();
    }

    @Test
    void aKilledStudyResumesWithOnlyTheMissingTrialsAndEndsAsAStraightRun(@TempDir Path tmp) throws IOException {
        BatchSizeStudyConfig config = small();
        Path straight = tmp.resolve("straight");
        BatchSizeStudyResult full = run(config, straight);
        // 4 cpu timings (cuda skipped), 3 batch sizes × 3 learning rates, 1 noise run.
        assertEquals(4 + 9 + 1, full.ranTrials().size());
        assertTrue(full.ranTrials().stream().noneMatch(t -> t.contains("cuda")));
        for (String f : List.of("study.csv", "study.json", "report.html", "noise-scale.csv",
                "plots/time-per-update.png", "plots/samples-per-second.png", "plots/steps-to-target.png",
                "plots/noise-scale.png", "time-to-target.csv", "plots/time-to-target.png")) {
            assertTrue(Files.size(straight.resolve(f)) > 0, f);
        }
        // The advisor: the CPU only (cuda was skipped), its recommendation the trained size of least time.
        TimeToTarget.Advice advice = full.timeToTarget();
        assertEquals(List.of("cpu"), List.copyOf(advice.devices().keySet()));
        TimeToTarget.DeviceAdvice cpu = advice.devices().get("cpu");
        double least = cpu.rows().stream().mapToDouble(TimeToTarget.Row::timeToTargetSeconds)
                .filter(Double::isFinite).min().orElse(Double.NaN);
        assertTrue(Double.isFinite(least), "some batch size must reach the target here: " + cpu.rows());
        assertEquals(least, cpu.recommendedSeconds());
        assertEquals(List.of(), io.ravine.io.StrictJson.unexplainedNulls(io.ravine.io.StrictJson.parseStrict(
                Files.readString(straight.resolve("study.json")))));
        assertTrue(Files.readString(straight.resolve("study.json")).contains("\"cuda\": \"no hardware timings"),
                "the device that did not open is named in the advice");

        // A second directory killed half way: its trials file holds the header and the first 7 rows.
        Path killed = tmp.resolve("killed");
        run(config, killed);
        List<String> lines = Files.readAllLines(killed.resolve("study.csv"));
        Files.write(killed.resolve("study.csv"), lines.subList(0, 1 + 7));
        Files.delete(killed.resolve("study.json"));
        List<String> missing = new ArrayList<>();
        for (String line : lines.subList(1 + 7, lines.size())) {
            missing.add(line.substring(0, line.indexOf(',')));
        }
        BatchSizeStudyResult resumed = run(config, killed);
        assertEquals(missing, resumed.ranTrials());
        assertEquals(nonTimingColumns(straight.resolve("study.csv")), nonTimingColumns(killed.resolve("study.csv")));

        // Nothing left: a third run only rewrites the summary.
        assertTrue(run(config, killed).ranTrials().isEmpty());
    }

    private static List<List<String>> nonTimingColumns(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        List<String> header = List.of(lines.get(0).split(",", -1));
        Set<String> timing = Set.copyOf(TrialRow.TIMING_COLUMNS);
        List<List<String>> out = new ArrayList<>();
        for (String line : lines) {
            String[] cells = line.split(",", -1);
            List<String> kept = new ArrayList<>();
            for (int i = 0; i < cells.length; i++) {
                if (!timing.contains(header.get(i))) {
                    kept.add(cells[i]);
                }
            }
            out.add(kept);
        }
        return out;
    }

    @Test
    void theStudyFindsTheTargetAndTheBestLearningRatePerBatchSize(@TempDir Path tmp) {
        BatchSizeStudyConfig config = BatchSizeStudyConfig.builder().optParts(List.of("steps"))
                .optHidden(16).optLimit(300).optStepBatchSizes(10, 40).optLrGrid(1).optLearningRate(3e-3)
                .optTargetLoss(1.2).optMaxSteps(80).optCheckEvery(5).optSubset(200).build();
        BatchSizeStudyResult r = run(config, tmp.resolve("s"));
        for (BatchSizeStudyResult.StepsPoint p : r.stepsToTarget()) {
            List<TrialRow> trials = r.rows().stream().filter(t -> t.batchSize() == p.batchSize()).toList();
            long fewest = trials.stream().filter(t -> t.status().equals("reached")).mapToLong(TrialRow::steps).min()
                    .orElse(-1);
            assertEquals(fewest, p.steps());
            if (p.status().equals("reached")) {
                // A reached trial's step is a multiple of the check interval and its loss is at or below the target.
                TrialRow best = trials.stream().filter(t -> t.steps() == p.steps() && t.status().equals("reached"))
                        .findFirst().orElseThrow();
                assertEquals(0, best.steps() % 5);
                assertTrue(best.finalLoss() <= 1.2);
                assertEquals(best.steps() * p.batchSize(), p.examples());
            }
        }
        assertTrue(r.stepsToTarget().stream().anyMatch(p -> p.status().equals("reached")),
                "the target must be reachable in this setting, or the checks above test nothing");
    }

    @Test
    void anotherStudyInTheSameDirectoryIsRefusedButAnotherSelectionIsNot(@TempDir Path tmp) {
        Path dir = tmp.resolve("s");
        BatchSizeStudyConfig hw = BatchSizeStudyConfig.builder().optParts(List.of("hardware"))
                .optBatchSizes(1, 2, 4).optInputs(8).optHidden(4).optClasses(2).optWarmupSeconds(0).optRepeats(3)
                .build();
        run(hw, dir);
        BatchSizeStudyConfig wider = BatchSizeStudyConfig.builder().optParts(List.of("hardware"))
                .optBatchSizes(1, 2, 4, 8).optInputs(8).optHidden(4).optClasses(2).optWarmupSeconds(0).optRepeats(3)
                .build();
        assertEquals(List.of("hardware/cpu/b=8"), run(wider, dir).ranTrials());
        BatchSizeStudyConfig other = BatchSizeStudyConfig.builder().optParts(List.of("hardware"))
                .optBatchSizes(1, 2, 4).optInputs(8).optHidden(5).optClasses(2).optWarmupSeconds(0).optRepeats(3)
                .build();
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> run(other, dir));
        assertTrue(e.getMessage().contains("hidden"), e.getMessage());
    }

    @Test
    void noDeviceThatOpensIsBadInput(@TempDir Path tmp) {
        BatchSizeStudyConfig config = BatchSizeStudyConfig.builder().optParts(List.of("hardware"))
                .optDevices(List.of("cuda")).optBatchSizes(1, 2, 4).build();
        assertThrows(InvalidInputException.class, () -> run(config, tmp.resolve("s")));
    }

    @Test
    void aBatchSizeStudyOfTheFullBatchLbfgsIsRefusedInOneLine() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> BatchSizeStudyConfig.builder()
                .optParts(List.of("steps")).optOptimizer(UpdateRule.LBFGS).build());
        assertTrue(e.getMessage().startsWith("--optimizer lbfgs: study batch-size varies the mini-batch")
                && e.getMessage().contains("full-batch") && !e.getMessage().contains("\n"), e.getMessage());
        // Newton-CG has no single update for the hardware part to time; its default parts include it.
        e = assertThrows(InvalidInputException.class, () -> BatchSizeStudyConfig.builder()
                .optOptimizer(UpdateRule.NEWTON_CG).build());
        assertTrue(e.getMessage().startsWith("--optimizer newton-cg: the hardware part")
                && e.getMessage().contains("--parts steps,noise"), e.getMessage());
    }

    @Test
    void newtonCgRunsTheStepsAndNoiseParts(@TempDir Path tmp) {
        // Newton-CG's step is the CG solution (lr 1); 150-example batches of 300, curvature on all of each.
        BatchSizeStudyConfig config = BatchSizeStudyConfig.builder().optParts(List.of("steps", "noise"))
                .optOptimizer(UpdateRule.NEWTON_CG).optHidden(8).optLimit(300).optStepBatchSizes(50, 150)
                .optLrGrid(0).optLearningRate(1).optTargetLoss(1.2).optMaxSteps(20).optCheckEvery(2)
                .optSubset(200).optNoiseBatch(100).optNoiseSmall(10).optNoiseBig(100).optNoiseEvery(5).build();
        BatchSizeStudyResult r = run(config, tmp.resolve("s"));
        assertEquals(2, r.stepsToTarget().size());
        assertTrue(r.stepsToTarget().stream().anyMatch(p -> p.status().equals("reached")), r.stepsToTarget()
                .toString());
        assertTrue(!r.noise().isEmpty() && Double.isFinite(r.noise().get(r.noise().size() - 1).estimate()
                .simpleNoiseScale()), r.noise().toString());
    }

    @Test
    void theCliPrintsTheRecommendedBatchSizePerDeviceAndARerunOfOnePartDropsTheStaleAdvice(@TempDir Path tmp)
            throws IOException {
        Path dir = tmp.resolve("s");
        io.ravine.cli.CliTestSupport.Result r = io.ravine.cli.CliTestSupport.run("study", "batch-size",
                "--device", "cpu,cuda", "--batch-sizes", "1,4,16,64", "--inputs", "20", "--hidden", "16",
                "--classes", "3", "--warmup-seconds", "0", "--seconds-per-size", "0", "--limit", "300",
                "--step-batch-sizes", "10,20,40", "--lr", "3e-3", "--target-loss", "1.2", "--max-steps", "80",
                "--check-every", "5", "--parts", "hardware,steps", "--run-dir", dir.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("cpu: recommended batch size ")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("  cpu: B = ") && l.contains("reaches the target"
                + " soonest")), r.out());
        // The inputs and classes differ from the embedded data's (784, 10): said next to the advice.
        assertTrue(Files.readString(dir.resolve("study.json")).contains("the times to target mix two networks"));
        if (r.err().contains("skipping device cuda")) {
            assertTrue(r.out().lines().noneMatch(l -> l.startsWith("cuda")), r.out());
        } else {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("cuda reaches the target ")), r.out());
        }
        assertTrue(Files.exists(dir.resolve("time-to-target.csv")));
        io.ravine.cli.CliTestSupport.Result hw = io.ravine.cli.CliTestSupport.run("study", "batch-size",
                "--batch-sizes", "1,4,16,64", "--inputs", "20", "--hidden", "16", "--classes", "3",
                "--warmup-seconds", "0", "--seconds-per-size", "0", "--limit", "300", "--step-batch-sizes", "10,20,40",
                "--lr", "3e-3", "--target-loss", "1.2", "--max-steps", "80", "--check-every", "5", "--parts",
                "hardware", "--run-dir", dir.toString());
        assertEquals(0, hw.status(), hw.err());
        assertTrue(hw.out().lines().noneMatch(l -> l.contains("recommended batch size")), hw.out());
        assertTrue(!Files.exists(dir.resolve("time-to-target.csv")) && !Files.exists(dir.resolve(
                "plots/time-to-target.png")), "advice of a selection without the steps part is not left behind");
    }

    @Test
    void theCliSaysTheRefusalInOneLine(@TempDir Path tmp) {
        io.ravine.cli.CliTestSupport.Result r = io.ravine.cli.CliTestSupport.run("study", "batch-size",
                "--optimizer", "lbfgs", "--parts", "steps", "--run-dir", tmp.resolve("s").toString());
        assertEquals(2, r.status(), r.err());
        assertEquals(1, r.errorLines().size(), r.err());
        assertTrue(r.errorLines().get(0).contains("--optimizer lbfgs: study batch-size varies the mini-batch"),
                r.err());
        assertTrue(!Files.exists(tmp.resolve("s")), "nothing is written for a refused study");
    }
}
