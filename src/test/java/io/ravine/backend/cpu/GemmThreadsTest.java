package io.ravine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CpuBackend#gemm} gives the same bits for 1, 2 and 3 threads (determinism is a rule, not a tolerance), for
 * float32 and float64, every transpose, α/β as the callers use them (β = 0 and the accumulating β = 1), on random
 * shapes from 1 to about 1000 per side with ragged last tiles, and the shapes training, evaluation and the Hessian
 * products use; and it is the product: a sample of elements against a float64 sum within float32's (float64's)
 * rounding of a K-term sum. OpenBLAS itself is kept at one thread whatever the count asked for.
 */
class GemmThreadsTest {
    /**
     * [transA, transB, M, N, K]: the 784-64-10 and 784-256-10 steps at B = 128, a 2000-row evaluation, a Hessian
     * product's Jᵀ on 100 rows, long thin ones, an outer-product-like K = 3, and K = 0 (C ← βC).
     */
    private static final int[][] FIXED = {{0, 1, 128, 64, 784}, {1, 0, 64, 784, 128}, {0, 0, 128, 784, 64},
        {0, 1, 2000, 64, 784}, {0, 1, 128, 256, 784}, {1, 0, 256, 784, 100}, {0, 1, 1000, 10, 1000},
        {1, 0, 10, 1000, 1000}, {0, 0, 1, 1000, 900}, {0, 1, 999, 1, 1000}, {1, 1, 300, 700, 33}, {1, 1, 1000, 1000, 3}, {0, 0, 1500, 1500, 0}};

    @AfterEach
    void oneThreadAgain() {
        CpuBackend.setBlasThreads(1);
    }

    @Test
    void everyThreadCountGivesTheSameBitsAndTheProduct() {
        SplittableRandom rng = new SplittableRandom(20261201);
        int checked = 0;
        int split = 0;
        for (int i = 0; i < FIXED.length + 24; i++) {
            int[] s = i < FIXED.length ? FIXED[i] : new int[] {rng.nextInt(2), rng.nextInt(2), side(rng), side(rng),
                side(rng)};
            for (CpuBackend be : new CpuBackend[] {CpuBackend.f32(), CpuBackend.f64()}) {
                double beta = (i + (be.dtype() == io.ravine.backend.DType.F32 ? 0 : 1)) % 3 == 0 ? 1.0 : 0.0;
                check(be, s[0] == 1, s[1] == 1, s[2], s[3], s[4], i % 4 == 1 ? 0.5 : 1.0, beta, rng.nextLong());
                checked++;
            }
            if (GemmPartition.of(s[2], s[3], s[4]).tiles() > 1) {
                split++;
            }
        }
        assertEquals(2 * (FIXED.length + 24), checked);
        // Ten of the fixed shapes are cut into tiles; a third of the random ones at least.
        assertTrue(split >= 10 + 8, "only " + split + " shapes were cut into tiles");
    }

    /** 1 to 1000, half of them under 100 (tails of every kind), the others large enough to be split. */
    private static int side(SplittableRandom rng) {
        return rng.nextBoolean() ? 1 + rng.nextInt(100) : 100 + rng.nextInt(901);
    }

    private static void check(CpuBackend be, boolean ta, boolean tb, int m, int n, int k, double alpha, double beta,
            long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] a = rng.doubles((long) m * k, -1, 1).toArray();
        double[] b = rng.doubles((long) k * n, -1, 1).toArray();
        double[] c0 = rng.doubles((long) m * n, -1, 1).toArray();
        if (be.dtype() == io.ravine.backend.DType.F32) {
            round(a);
            round(b);
            round(c0);
        }
        String what = be.dtype() + " " + (ta ? "T" : "N") + (tb ? "T" : "N") + " " + m + "×" + n + "×" + k + " α "
                + alpha + " β " + beta + " (" + GemmPartition.of(m, n, k) + ")";
        double[] one = null;
        for (int threads : new int[] {1, 2, 3}) {
            CpuBackend.setBlasThreads(threads);
            assertEquals(1, CpuBackend.blasThreads(), "OpenBLAS's own threads");
            double[] got = run(be, ta, tb, m, n, k, alpha, beta, a, b, c0);
            if (one == null) {
                one = got;
            } else {
                assertArrayEquals(one, got, what + " with " + threads + " threads");
            }
        }
        // A sample of elements (and the corners) against a float64 sum.
        double unit = be.dtype() == io.ravine.backend.DType.F32 ? 0x1p-24 : 0x1p-53;
        SplittableRandom pick = new SplittableRandom(seed + 1);
        for (int q = 0; q < 64; q++) {
            int i = q == 0 ? 0 : q == 1 ? m - 1 : pick.nextInt(m);
            int j = q == 0 ? 0 : q == 1 ? n - 1 : pick.nextInt(n);
            double sum = 0;
            double abs = 0;
            for (int p = 0; p < k; p++) {
                double x = ta ? a[p * m + i] : a[i * k + p];
                double y = tb ? b[j * k + p] : b[p * n + j];
                sum += x * y;
                abs += Math.abs(x * y);
            }
            double want = alpha * sum + beta * c0[i * n + j];
            double bound = 2 * (k + 2) * unit * (Math.abs(alpha) * abs + Math.abs(beta * c0[i * n + j])) + 1e-300;
            assertEquals(want, one[i * n + j], bound, what + " element (" + i + ", " + j + ")");
        }
    }

    private static double[] run(CpuBackend be, boolean ta, boolean tb, int m, int n, int k, double alpha,
            double beta, double[] a, double[] b, double[] c0) {
        Tensor ta0 = ta ? be.allocate(k, m) : be.allocate(m, k);
        Tensor tb0 = tb ? be.allocate(n, k) : be.allocate(k, n);
        Tensor c = be.allocate(m, n);
        be.copyFromHost(a, 0, ta0);
        be.copyFromHost(b, 0, tb0);
        be.copyFromHost(c0, 0, c);
        be.gemm(ta, tb, alpha, ta0, tb0, beta, c);
        double[] out = new double[m * n];
        be.copyToHost(c, out, 0);
        return out;
    }

    private static void round(double[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) x[i];
        }
    }

    @Test
    void theTilesCoverTheProductOnceAndDependOnItsShapeAlone() {
        SplittableRandom rng = new SplittableRandom(7);
        for (int t = 0; t < 2000; t++) {
            int m = 1 + rng.nextInt(5000);
            int n = 1 + rng.nextInt(5000);
            int k = rng.nextInt(3000);
            GemmPartition p = GemmPartition.of(m, n, k);
            assertTrue(p.tiles() >= 1 && p.tiles() <= GemmPartition.MAX_TILES, p.toString());
            // Every tile but the last of its row/column is whole; the last is non-empty and no more than whole.
            assertTrue((p.rowTiles - 1) * p.tileRows < m && p.rowTiles * p.tileRows >= m, m + " rows: " + p);
            assertTrue((p.colTiles - 1) * p.tileCols < n && p.colTiles * p.tileCols >= n, n + " cols: " + p);
            assertTrue(p.tileRows == m || p.tileRows % GemmPartition.ALIGN == 0, p.toString());
            assertTrue(p.tileCols == n || p.tileCols % GemmPartition.ALIGN == 0, p.toString());
            if (k == 0) {
                assertEquals(1, p.tiles(), "K = 0: " + p);
            }
            assertEquals(0, p.tiles() & (p.tiles() - 1), "a power of two: " + p);
            assertEquals(p.tiles() > 1, (double) m * n * k >= GemmPartition.MIN_WORK, m + "×" + n + "×" + k + ": " + p);
        }
    }
}
