package io.ravine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import io.ravine.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

class IterateAverageTest {

    @Test
    void matchesTheClosedForm() {
        // τ = 4, d = 0.75: θ̃₃ = d³θ₀ + (1 − d)(d²θ₁ + dθ₂ + θ₃).
        Backend b = CpuBackend.f64();
        double[][] iterates = {{1, 2}, {3, -1}, {0, 0}, {5, 5}};
        double d = 0.75;
        try (Tensor theta = OptimizerStepTest.vector(b, iterates[0]);
                IterateAverage avg = new IterateAverage(b, theta, 4)) {
            assertEquals(0.75, avg.decay(), 0.0);
            assertArrayEquals(iterates[0], b.toDoubleArray(avg.average()), 0.0, "starts at θ₀");
            for (int k = 1; k < iterates.length; k++) {
                b.copyFromHost(iterates[k], 0, theta);
                avg.update(theta);
            }
            double[] expected = new double[2];
            for (int i = 0; i < 2; i++) {
                expected[i] = d * d * d * iterates[0][i]
                        + (1 - d) * (d * d * iterates[1][i] + d * iterates[2][i] + iterates[3][i]);
            }
            // By hand: x = 0.421875 + 0.25·(1.6875 + 0 + 5) = 2.09375; y = 0.84375 + 0.25·(−0.5625 + 5) = 1.953125.
            assertArrayEquals(new double[] {2.09375, 1.953125}, expected, 1e-15);
            assertArrayEquals(expected, b.toDoubleArray(avg.average()), 1e-15);
            assertEquals(3, avg.updates());
        }
    }

    @Test
    void windowOfOneTracksTheIterate() {
        Backend b = CpuBackend.f32();
        try (Tensor theta = OptimizerStepTest.vector(b, new double[] {1, 2});
                IterateAverage avg = new IterateAverage(b, theta, 1)) {
            b.copyFromHost(new float[] {7, -3}, 0, theta);
            avg.update(theta);
            assertArrayEquals(new float[] {7, -3}, b.toFloatArray(avg.average()));
        }
    }

    @Test
    void averageIsACopyNotAView() {
        Backend b = CpuBackend.f64();
        try (Tensor theta = OptimizerStepTest.vector(b, new double[] {1, 2});
                IterateAverage avg = new IterateAverage(b, theta, 10)) {
            b.fill(theta, 100);
            assertArrayEquals(new double[] {1, 2}, b.toDoubleArray(avg.average()), 0.0);
        }
    }

    @Test
    void restoreAndValidation() {
        Backend b = CpuBackend.f64();
        try (Tensor theta = b.allocateVector(2); IterateAverage avg = new IterateAverage(b, theta, 2)) {
            avg.restore(9, new double[] {4, 5});
            assertEquals(9, avg.updates());
            avg.update(theta);
            assertArrayEquals(new double[] {2, 2.5}, b.toDoubleArray(avg.average()), 0.0);
            assertThrows(InvalidInputException.class, () -> avg.restore(1, new float[3]));
            assertThrows(IllegalArgumentException.class, () -> new IterateAverage(b, theta, 0.5));
            assertThrows(IllegalArgumentException.class, () -> new IterateAverage(b, theta, Double.NaN));
        }
    }
}
