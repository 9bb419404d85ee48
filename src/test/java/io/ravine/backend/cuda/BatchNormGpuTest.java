package io.ravine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Tolerances;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.nn.BatchNormBuffers;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import org.junit.jupiter.api.Test;

/**
 * Whole training runs with batch normalization on CUDA, with the step replayed as a CUDA graph and issued directly,
 * against the CPU: θ and the running statistics within TRAINING_STEPS_F32 (float32 rounding over the steps), and the
 * batches tracked counted by the replays too. The kernels alone, outputs poisoned, are {@link SelfTest}'s batchnorm
 * rows ({@link SelfTestRowsGpuTest}).
 */
@RequiresCuda
class BatchNormGpuTest {

    private static final int STEPS = 12;

    private static TrainConfig config(boolean graph) {
        return TrainConfig.builder().setData("embedded").optLimit(1000).optHidden(64, 32).optBatchNorm(true)
                .optBatchSize(100).optSteps(STEPS).optOptimizer(UpdateRule.ADAM).optSeed(11).optCudaGraph(graph)
                .optLogEvery(6).optEvalEvery(STEPS).build();
    }

    private record Run(float[] theta, BatchNormBuffers buffers) {
    }

    private static Run train(io.ravine.backend.Backend backend, boolean graph) {
        try (Trainer t = new Trainer(config(graph), backend)) {
            t.optProgressBar(false).fit();
            return new Run(t.model().parameters(), t.model().batchNormBuffers());
        }
    }

    @Test
    void cudaTrainingMatchesTheCpuWithAndWithoutGraphs() {
        Run cpu = train(CpuBackend.f32(), false);
        try (CudaBackend cuda = CudaBackend.open(0, false)) {
            for (boolean graph : new boolean[] {true, false}) {
                Run gpu = train(cuda, graph);
                double err = Tolerances.relativeError(gpu.theta(), cpu.theta());
                assertTrue(err < Tolerances.TRAINING_STEPS_F32, "θ after " + STEPS + " steps (graph " + graph + "): "
                        + err);
                for (int k = 0; k < 2; k++) {
                    double m = Tolerances.relativeError(gpu.buffers().runningMean()[k], cpu.buffers().runningMean()[k]);
                    double v = Tolerances.relativeError(gpu.buffers().runningVar()[k], cpu.buffers().runningVar()[k]);
                    assertTrue(m < Tolerances.TRAINING_STEPS_F32 && v < Tolerances.TRAINING_STEPS_F32,
                            "running statistics of layer " + k + " (graph " + graph + "): " + m + ", " + v);
                }
                assertEquals(STEPS, gpu.buffers().batchesTracked(), "graph " + graph);
            }
        }
    }
}
