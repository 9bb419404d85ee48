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
 * exactly constant after the first logged step (everything is allocated up front), and the device's used memory as
 * the driver reports it must not grow by more than 2 MiB (room for driver-internal bookkeeping; a leak of one
 * workspace or one optimizer vector per evaluation or checkpoint would be ≥ 0.8 MiB per occurrence, 30 occurrences).
 */
@RequiresCuda
class DeviceMemoryGpuTest {
    private static final long STEPS = 3000;
    private static final long SLACK = 2L << 20;

    @Test
    void memoryStaysFlatOverThousandsOfSteps(@TempDir Path tmp) {
        TrainConfig config = TrainConfig.builder().setData("embedded").optHidden(256).optBatchSize(128)
                .optSteps(STEPS).optLogEvery(100).optEvalEvery(500).optCheckpointEvery(500).optEma(100)
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
        long maxUsed = samples.stream().mapToLong(s -> s[2]).max().orElseThrow();
        System.out.printf(Locale.ROOT, "device memory over %d steps: tensors %d B at step %d and %d B at step %d;"
                + " used %.1f MiB at step %d, %.1f MiB at step %d, peak %.1f MiB%n", STEPS, first[1], first[0],
                last[1], last[0], first[2] / 1048576.0, first[0], last[2] / 1048576.0, last[0], maxUsed / 1048576.0);
        for (long[] s : samples) {
            assertEquals(first[1], s[1], "Ravine's live tensor bytes at step " + s[0]);
        }
        assertTrue(maxUsed - first[2] <= SLACK, String.format(Locale.ROOT,
                "device memory grew by %.2f MiB between step %d and the peak", (maxUsed - first[2]) / 1048576.0,
                first[0]));
    }
}
