package io.ravine.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LearningRateSweepTest {

    @Test
    void divergedRunsAreReportedAndTheBestCompletedRunIsNamed(@TempDir Path tmp) throws Exception {
        // Plain SGD on z-scored inputs: lr 1e3 blows up (a NaN loss within a few steps), 0.03 trains.
        TrainConfig base = TrainConfig.builder().setData("embedded").optLimit(300).optHidden(16)
                .optOptimizer(UpdateRule.SGD).optBatchSize(50).optSteps(30).optSubset(200).optSeed(3).build();
        Path dir = tmp.resolve("sweep");
        LearningRateSweep sweep = new LearningRateSweep(base, new double[] {1e3, 0.03, 0.003}, 2, dir, "train_loss")
                .optProgressBar(false);
        LearningRateSweep.Result r;
        try (CpuBackend backend = CpuBackend.f32()) {
            r = sweep.run(backend);
        }
        assertEquals(6, r.runs().size());
        List<LearningRateSweep.Run> big = r.runs().stream().filter(x -> x.learningRate() == 1e3).toList();
        assertTrue(big.stream().allMatch(x -> x.status().equals("diverged")), big.toString());
        assertEquals(List.of(3L, 4L), r.runs().stream().filter(x -> x.learningRate() == 0.03).map(x -> x.seed())
                .toList());
        assertNotNull(r.best());
        double lowest = r.runs().stream().filter(x -> x.status().equals("completed"))
                .mapToDouble(LearningRateSweep.Run::finalTrainLoss).min().orElseThrow();
        assertEquals(lowest, r.best().finalTrainLoss());
        for (LearningRateSweep.Run run : r.runs()) {
            assertTrue(Files.exists(run.runDir().resolve("summary.json")), run.runDir().toString());
        }
        List<String> csv = Files.readAllLines(dir.resolve("sweep.csv"));
        assertEquals(7, csv.size());
        assertTrue(csv.stream().filter(l -> l.contains(",diverged,")).count() == 2);
        assertTrue(Files.size(dir.resolve("final-loss-vs-lr.png")) > 0);
        assertTrue(Files.readString(dir.resolve("sweep.json")).contains("\"best\""));

        // Rerunning reuses every finished run directory.
        try (CpuBackend backend = CpuBackend.f32()) {
            LearningRateSweep.Result again = sweep.run(backend);
            assertTrue(again.ranNow().isEmpty());
            assertEquals(r.best().runDir(), again.best().runDir());
        }
    }

    @Test
    void theClosureRulesSweepTheirStepLengthThroughTheCli(@TempDir Path tmp) throws Exception {
        // lr scales L-BFGS's step (torch's lr) and Newton-CG's CG solution: each run is a full run of the rule, its
        // own settings given with the same flags as train's.
        for (String rule : List.of("lbfgs", "newton-cg")) {
            Path dir = tmp.resolve(rule);
            List<String> args = new java.util.ArrayList<>(List.of("sweep", "lr", "--data", "embedded", "--limit",
                    "300", "--hidden", "8", "--optimizer", rule, "--batch-size", "full", "--steps", "4",
                    "--subset", "200", "--lr", "1,0.3", "--run-dir", dir.toString(), "--progress", "off"));
            args.addAll(rule.equals("lbfgs") ? List.of("--max-iter", "5", "--history-size", "5")
                    : List.of("--cg-max-iter", "20", "--curvature-batch", "100"));
            io.ravine.cli.CliTestSupport.Result r = io.ravine.cli.CliTestSupport.run(args.toArray(String[]::new));
            assertEquals(0, r.status(), rule + ": " + r.err());
            assertTrue(r.out().contains("best: "), r.out());
            List<String> csv = Files.readAllLines(dir.resolve("sweep.csv"));
            assertEquals(3, csv.size(), csv.toString());
            assertTrue(csv.stream().skip(1).allMatch(l -> l.contains(",completed,")), csv.toString());
            // The runs are the rule's: its name is in each run's config.json.
            try (java.util.stream.Stream<Path> configs = Files.walk(dir)) {
                List<Path> found = configs.filter(f -> f.getFileName().toString().equals("config.json")).toList();
                assertEquals(2, found.size());
                for (Path c : found) {
                    assertTrue(Files.readString(c).contains("\"optimizer\": \"" + UpdateRule.parse(rule).name()
                            + "\""), Files.readString(c));
                }
            }
        }
    }

    @Test
    void aSweepRefusesAFlagTheClosureRuleDoesNotRead(@TempDir Path tmp) {
        io.ravine.cli.CliTestSupport.Result r = io.ravine.cli.CliTestSupport.run("sweep", "lr", "--data", "embedded",
                "--optimizer", "lbfgs", "--momentum", "0.9", "--run-dir", tmp.resolve("s").toString());
        assertEquals(2, r.status(), r.err());
        assertEquals(1, r.errorLines().size(), r.err());
        assertTrue(r.errorLines().get(0).contains("--momentum"), r.err());
    }
}
