package io.ravine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import io.ravine.backend.cpu.CpuBackend;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class OptimizerStateTest {
    private static final int N = 5;

    static Stream<Optimizer> optimizers() {
        return Stream.of(Optimizer.sgd().optLearningRate(0.05).build(),
                Optimizer.momentum().optLearningRate(0.05).build(),
                Optimizer.nesterov().optLearningRate(0.05).build(),
                Optimizer.rmsprop().optLearningRate(0.01).build(),
                // Adam's bias corrections depend on the restored step count; a warm-up schedule on the counter too.
                Optimizer.adam().optLearningRateTracker(Schedules.parse("warmup:3:exp:2:4", 0.05)).build(),
                Optimizer.adamW().optLearningRate(0.05).optClipGradNorm(0.5).build());
    }

    private static double[] gradient(int k) {
        double[] g = new double[N];
        for (int i = 0; i < N; i++) {
            g[i] = Math.sin(0.7 * k + i) * (i + 1);
        }
        return g;
    }

    /** Runs updates {@code from+1 … to} on θ (given in double) and returns the final θ. */
    private static double[] run(Backend b, Optimizer opt, OptimizerState s, Tensor theta, int from, int to) {
        try (Tensor g = b.allocateVector(N)) {
            for (int k = from; k < to; k++) {
                b.copyFromHost(gradient(k), 0, g);
                opt.step(b, theta, g, s);
            }
        }
        return b.toDoubleArray(theta);
    }

    @ParameterizedTest(name = "{0} f64")
    @MethodSource("optimizers")
    void restoredStateContinuesIdenticallyInF64(Optimizer opt) {
        Backend b = CpuBackend.f64();
        double[] theta0 = {0.5, -1, 2, 0, 3};
        try (Tensor straight = OptimizerStepTest.vector(b, theta0); OptimizerState s = opt.init(b, N)) {
            run(b, opt, s, straight, 0, 6);
            double[] thetaMid = b.toDoubleArray(straight);
            Map<String, double[]> saved = s.snapshotDoubles();
            long savedStep = s.step();
            double[] expected = run(b, opt, s, straight, 6, 12);

            try (Tensor resumed = OptimizerStepTest.vector(b, thetaMid); OptimizerState r = opt.init(b, N)) {
                r.restoreDoubles(savedStep, saved);
                assertEquals(6, r.step());
                assertArrayEquals(expected, run(b, opt, r, resumed, 6, 12), 0.0);
                assertEquals(12, r.step());
            }
        }
    }

    @ParameterizedTest(name = "{0} f32")
    @MethodSource("optimizers")
    void restoredStateContinuesIdenticallyInF32(Optimizer opt) {
        // float[] snapshots of a float32 backend are exact, so the resumed run matches bit for bit.
        Backend b = CpuBackend.f32();
        double[] theta0 = {0.5, -1, 2, 0, 3};
        try (Tensor straight = OptimizerStepTest.vector(b, theta0); OptimizerState s = opt.init(b, N)) {
            run(b, opt, s, straight, 0, 6);
            float[] thetaMid = b.toFloatArray(straight);
            Map<String, float[]> saved = s.snapshot();
            double[] expected = run(b, opt, s, straight, 6, 12);

            try (Tensor resumed = b.allocateVector(N); OptimizerState r = opt.init(b, N)) {
                b.copyFromHost(thetaMid, 0, resumed);
                r.restore(6, saved);
                assertArrayEquals(expected, run(b, opt, r, resumed, 6, 12), 0.0);
            }
        }
    }

    @Test
    void freshStateIsZeroWithNamedVectors() {
        Backend b = CpuBackend.f32();
        try (OptimizerState s = Optimizer.rmsprop().build().init(b, 3);
                OptimizerState sgd = Optimizer.sgd().build().init(b, 3)) {
            assertEquals(0, s.step());
            assertEquals(List.of("square_avg"), s.names());
            assertArrayEquals(new float[3], s.snapshot().get("square_avg"));
            assertEquals(List.of(), sgd.names());
            assertEquals(Map.of(), sgd.snapshot());
            assertThrows(IllegalArgumentException.class, () -> s.tensor("exp_avg"));
        }
    }

    @Test
    void restoreRejectsMismatchesAndLeavesStateAlone() {
        Backend b = CpuBackend.f64();
        try (OptimizerState s = Optimizer.adam().build().init(b, 2)) {
            Map<String, float[]> wrongName = new LinkedHashMap<>();
            wrongName.put("exp_avg", new float[2]);
            wrongName.put("velocity", new float[2]);
            assertThrows(InvalidInputException.class, () -> s.restore(3, wrongName));

            Map<String, float[]> missing = Map.of("exp_avg", new float[2]);
            assertThrows(InvalidInputException.class, () -> s.restore(3, missing));

            Map<String, float[]> wrongLength = Map.of("exp_avg", new float[] {1, 2}, "exp_avg_sq", new float[3]);
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.restore(3, wrongLength));
            assertEquals("optimizer state 'exp_avg_sq' has 3 values, expected 2", e.getMessage());

            Map<String, float[]> ok = Map.of("exp_avg", new float[2], "exp_avg_sq", new float[2]);
            assertThrows(InvalidInputException.class, () -> s.restore(-1, ok));
            assertEquals(0, s.step());
            assertArrayEquals(new double[2], b.toDoubleArray(s.tensor("exp_avg")), 0.0);
        }
    }
}
