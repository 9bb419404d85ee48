package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.cuda.CudaBackend;
import io.ravine.backend.cuda.RequiresCuda;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Device memory does not grow over a long run: 3000 steps of 784-256-10 with Adam, iterate averaging, evaluations,
 * checkpoints and the CUDA graph, sampled at every logged step. Ravine's own allocations (its live tensors) must be
 * exactly constant from the first logged step on (everything is allocated up front). The device's used memory as the
 * driver reports it must not grow by more than 2 MiB (room for driver-internal bookkeeping) after a warm-up: its
 * baseline is the first sample after step {@value #WARM_UP}, by which time every path has run once (the recorded
 * graph and its replays, the EMA update and its copies, an evaluation of θ and of the average, a checkpoint), so
 * the driver's lazily loaded kernel modules and first-use allocations are already in it. A leak of one workspace or
 * one optimizer vector per evaluation or checkpoint would be ≥ 0.8 MiB per occurrence, 10 occurrences after it.
 */
@RequiresCuda
class DeviceMemoryGpuTest {
    private static final long STEPS = 3000;
    private static final int EVERY = 250;
    /** The first evaluation and checkpoint happen at this step (the checkpoint after its logging). */
    private static final long WARM_UP = EVERY;
    private static final long SLACK = 2L << 20;

    @Test
    void memoryStaysFlatOverThousandsOfSteps(@TempDir Path tmp) {
        TrainConfig config = TrainConfig.builder().setData("embedded").optHidden(256).optBatchSize(128)
                .optSteps(STEPS).optLogEvery(50).optEvalEvery(EVERY).optCheckpointEvery(EVERY).optEma(100)
                .optSeed(3).build();
        List<long[]> samples = new ArrayList<>(); // step, tensor bytes, used bytes
        try (CudaBackend cuda = CudaBackend.open(0, false); Trainer t = new Trainer(config, cuda)) {
            t.optProgressBar(false).optRunDirectory(tmp.resolve("run")).optListener(e -> {
                long[] info = cuda.memoryInfo();
                samples.add(new long[] {e.step(), cuda.tensorBytes(), info[1] - info[0]});
            });
            TrainingResult r = t.fit();
            assertFalse(r.diverged());
            assertEquals(STEPS, r.steps());
        }
        long[] first = samples.get(0);
        long[] last = samples.get(samples.size() - 1);
        for (long[] s : samples) {
            assertEquals(first[1], s[1], "Ravine's live tensor bytes at step " + s[0]);
        }
        long[] base = samples.stream().filter(s -> s[0] > WARM_UP).findFirst().orElseThrow();
        long maxUsed = samples.stream().filter(s -> s[0] >= base[0]).mapToLong(s -> s[2]).max().orElseThrow();
        System.out.printf(Locale.ROOT, "device memory over %d steps: tensors %d B at step %d and %d B at step %d;"
                + " used %.1f MiB at step %d (before warm-up), %.1f MiB at step %d (baseline), %.1f MiB at step %d,"
                + " peak after warm-up %.1f MiB%n", STEPS, first[1], first[0], last[1], last[0],
                first[2] / 1048576.0, first[0], base[2] / 1048576.0, base[0], last[2] / 1048576.0, last[0],
                maxUsed / 1048576.0);
        assertTrue(maxUsed - base[2] <= SLACK, String.format(Locale.ROOT,
                "device memory grew by %.2f MiB between step %d (after the warm-up) and the peak",
                (maxUsed - base[2]) / 1048576.0, base[0]));
    }
}
