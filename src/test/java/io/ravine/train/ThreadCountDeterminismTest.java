package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Backend;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.optim.Lbfgs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The project's rule: the same seed gives the same run on the CPU, bit for bit, for any thread count. Training runs
 * of a few steps on 1, 2 and 3 threads (3 is more than this machine's cores: the rule is about how work is split,
 * not about the cores) write the same bytes in every checkpoint and the same metrics.csv bar its wall-clock column:
 * Adam on 784-64-10 with batches of 128 (matrix products split into several tiles) and of 100 (ragged tiles), with
 * batch norm, on float32 and float64, and full-batch L-BFGS (its line search reads sums of the gradient).
 */
class ThreadCountDeterminismTest {
    @TempDir
    Path tmp;

    @AfterEach
    void oneThreadAgain() {
        CpuBackend.setBlasThreads(1);
    }

    private static TrainConfig.Builder config(String optimizer, int batch, boolean batchNorm) {
        TrainConfig.Builder b = TrainConfig.builder().setData("embedded").optLimit(600).optHidden(64).optSeed(17)
                .optSubset(300).optBatchNorm(batchNorm).optCheckpointEvery(3).optLogEvery(1).optEvalEvery(3);
        return optimizer.equals("lbfgs")
                ? b.optOptimizer(UpdateRule.LBFGS).optBatchSize(0).optMaxIter(4).optHistorySize(3)
                        .optLineSearch(Lbfgs.LineSearch.STRONG_WOLFE).optSteps(3)
                : b.optOptimizer(UpdateRule.parse(optimizer)).optLearningRate(0.01).optBatchSize(batch).optSteps(7);
    }

    @ParameterizedTest(name = "{0} B={1} batch norm {2} {3}")
    @CsvSource({"adam, 128, false, f32", "adam, 100, false, f32", "adam, 128, true, f32", "adam, 100, true, f64",
        "adam, 128, false, f64", "lbfgs, 0, false, f32"})
    void oneTwoAndThreeThreadsWriteTheSameRun(String optimizer, int batch, boolean batchNorm, String dtype)
            throws IOException {
        Map<String, byte[]> one = null;
        for (int threads = 1; threads <= 3; threads++) {
            Path dir = tmp.resolve("threads-" + threads);
            TrainConfig c = config(optimizer, batch, batchNorm).optThreads(threads).build();
            Map<String, byte[]> files;
            if (dtype.equals("f32")) {
                // The trainer opens the configuration's backend with its thread count.
                try (Trainer t = new Trainer(c).optProgressBar(false).optReport(false).optRunDirectory(dir)) {
                    t.fit();
                }
            } else {
                CpuBackend.setBlasThreads(threads);
                try (Backend be = CpuBackend.f64();
                        Trainer t = new Trainer(c, be).optProgressBar(false).optReport(false)
                                .optRunDirectory(dir)) {
                    t.fit();
                }
            }
            files = outputs(dir);
            if (one == null) {
                one = files;
                assertTrue(one.size() >= 3, "checkpoints and metrics: " + one.keySet());
            } else {
                assertEquals(one.keySet(), files.keySet(), threads + " threads");
                for (Map.Entry<String, byte[]> e : one.entrySet()) {
                    assertArrayEquals(e.getValue(), files.get(e.getKey()), e.getKey() + " with " + threads
                            + " threads differs from 1 thread's");
                }
            }
        }
    }

    /** Every checkpoint's bytes, and metrics.csv's without its last column (wall_seconds). */
    private static Map<String, byte[]> outputs(Path dir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir.resolve("checkpoints"))) {
            for (Path p : s.toList()) {
                out.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        StringBuilder metrics = new StringBuilder();
        for (String line : Files.readAllLines(dir.resolve("metrics.csv"))) {
            assertTrue(line.contains(","), line);
            metrics.append(line, 0, line.lastIndexOf(',')).append('\n');
        }
        assertTrue(Files.readAllLines(dir.resolve("metrics.csv")).get(0).endsWith(",wall_seconds"));
        out.put("metrics.csv", metrics.toString().getBytes(StandardCharsets.UTF_8));
        return out;
    }
}
