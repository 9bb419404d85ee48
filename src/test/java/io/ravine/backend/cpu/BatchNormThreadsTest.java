package io.ravine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The CPU batch-norm ops split their columns across threads ({@link BatchNormKernels}); every output is the same bits
 * for 1, 2 and 3 threads (determinism is a rule, not a tolerance), on float32 and float64, for shapes where the split
 * really happens (more than one grain of columns per thread, boundaries not on a block multiple), a shape wider
 * than one block of 256 columns, and the in-place backward (dz = dy) the model uses. And they are the column-by-column
 * definition summed in row order in double: the bits of a plain loop written out here.
 */
class BatchNormThreadsTest {
    /** [rows, cols]: 64 × 200 splits at column 96 for 2 threads; 128 × 600 crosses the 256-column blocks. */
    private static final int[][] SHAPES = {{64, 200}, {128, 600}, {7, 1000}, {2, 50}};

    @AfterEach
    void oneThreadAgain() {
        CpuParallel.setThreads(1);
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void everyThreadCountGivesTheSameBits(Activation act) {
        for (CpuBackend be : new CpuBackend[] {CpuBackend.f32(), CpuBackend.f64()}) {
            for (int[] s : SHAPES) {
                List<double[]> one = null;
                for (int threads : new int[] {1, 2, 3}) {
                    CpuParallel.setThreads(threads);
                    List<double[]> got = run(be, s[0], s[1], act);
                    if (one == null) {
                        one = got;
                        assertDefinition(be, s[0], s[1], act, got);
                    } else {
                        for (int k = 0; k < one.size(); k++) {
                            assertArrayEquals(one.get(k), got.get(k), be.dtype() + " " + act + " " + s[0] + "x"
                                    + s[1] + " output " + k + " with " + threads + " threads");
                        }
                    }
                }
            }
        }
    }

    private static double[] z(int rows, int cols) {
        SplittableRandom rng = new SplittableRandom(rows * 31L + cols);
        double[] z = new double[rows * cols];
        for (int i = 0; i < z.length; i++) {
            z[i] = 5 + 3 * rng.nextDouble() * ((i % 7) + 1); // an offset and per-column scales: |μ| ≫ σ in places
        }
        return z;
    }

    private static double[] dy(int rows, int cols) {
        return new SplittableRandom(cols).doubles(rows * cols).map(v -> v - 0.5).toArray();
    }

    private static double[] gamma(int cols) {
        return new SplittableRandom(3).doubles(cols).map(v -> 0.5 + v).toArray();
    }

    /** Outputs: y (training), mean, 1/σ, running mean, running var, y (evaluation), dz (in place), dγ, dβ. */
    private static List<double[]> run(Backend be, int rows, int cols, Activation act) {
        Tensor z = be.allocate(rows, cols);
        Tensor g = be.allocateVector(cols);
        Tensor b = be.allocateVector(cols);
        Tensor out = be.allocate(rows, cols);
        Tensor mean = be.allocateVector(cols);
        Tensor inv = be.allocateVector(cols);
        Tensor rm = be.allocateVector(cols);
        Tensor rv = be.allocateVector(cols);
        Tensor eval = be.allocate(rows, cols);
        Tensor d = be.allocate(rows, cols);
        Tensor dg = be.allocateVector(cols);
        Tensor db = be.allocateVector(cols);
        be.copyFromHost(z(rows, cols), 0, z);
        be.copyFromHost(gamma(cols), 0, g);
        be.fill(b, 0.25);
        be.fill(rm, 0.5);
        be.fill(rv, 2.0);
        be.batchNormTrainingForward(z, g, b, 1e-5, act, out, mean, inv, rm, rv, 0.1);
        be.batchNormEvaluationForward(z, g, b, rm, rv, 1e-5, act, eval);
        be.copyFromHost(dy(rows, cols), 0, d);
        be.batchNormBackward(z, g, mean, inv, d, d, dg, db);
        List<double[]> r = new ArrayList<>();
        for (Tensor t : new Tensor[] {out, mean, inv, rm, rv, eval, d, dg, db}) {
            r.add(be.toDoubleArray(t));
        }
        return r;
    }

    /** The statistics and dγ, dβ against a plain loop in double, rows in order: equal bits after rounding. */
    private static void assertDefinition(Backend be, int rows, int cols, Activation act, List<double[]> got) {
        double[] z = be.toDoubleArray(on(be, rows, cols, z(rows, cols)));
        double[] dy = be.toDoubleArray(on(be, rows, cols, dy(rows, cols)));
        for (int j = 0; j < cols; j++) {
            double mu = 0;
            for (int i = 0; i < rows; i++) {
                mu += z[i * cols + j];
            }
            mu /= rows;
            double ss = 0;
            for (int i = 0; i < rows; i++) {
                double c = z[i * cols + j] - mu;
                ss += c * c;
            }
            double r = 1.0 / Math.sqrt(ss / rows + 1e-5);
            // The backward reads μ and 1/σ back from the saved tensors, rounded to their type.
            double muSaved = rounded(be, mu);
            double rSaved = rounded(be, r);
            double sumDy = 0;
            double sumDyXhat = 0;
            for (int i = 0; i < rows; i++) {
                sumDy += dy[i * cols + j];
                sumDyXhat += dy[i * cols + j] * ((z[i * cols + j] - muSaved) * rSaved);
            }
            assertEquals(rounded(be, mu), got.get(1)[j]);
            assertEquals(rounded(be, r), got.get(2)[j]);
            assertEquals(rounded(be, sumDyXhat), got.get(7)[j]);
            assertEquals(rounded(be, sumDy), got.get(8)[j]);
        }
    }

    private static Tensor on(Backend be, int rows, int cols, double[] v) {
        Tensor t = be.allocate(rows, cols);
        be.copyFromHost(v, 0, t);
        return t;
    }

    private static double rounded(Backend be, double v) {
        return be.dtype() == io.ravine.backend.DType.F32 ? (float) v : v;
    }
}
