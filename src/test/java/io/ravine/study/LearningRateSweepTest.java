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
                .optOptimizer(UpdateRule.SGD).optBatchSize(50).optSteps(30).optMonitorSize(200).optSeed(3).build();
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
}
