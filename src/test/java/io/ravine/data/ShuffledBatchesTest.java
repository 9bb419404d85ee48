package io.ravine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

class ShuffledBatchesTest {

    private static int[] identity(int n) {
        int[] id = new int[n];
        for (int i = 0; i < n; i++) {
            id[i] = i;
        }
        return id;
    }

    @Test
    void permutationIsAPermutation() {
        ShuffledBatches b = new ShuffledBatches(1000, 64, 42);
        for (int epoch = 0; epoch < 5; epoch++) {
            int[] p = b.permutation(epoch);
            assertFalse(Arrays.equals(identity(1000), p), "epoch " + epoch + " was not shuffled");
            int[] sorted = p.clone();
            Arrays.sort(sorted);
            assertArrayEquals(identity(1000), sorted);
        }
    }

    @Test
    void sameSeedAndEpochRegenerateTheSameOrderRegardlessOfHistory() {
        ShuffledBatches first = new ShuffledBatches(500, 32, 7);
        int[] epoch3 = first.permutation(3);
        ShuffledBatches resumed = new ShuffledBatches(500, 32, 7);
        resumed.permutation(9);
        assertArrayEquals(epoch3, resumed.permutation(3));
    }

    @Test
    void epochsAndSeedsGiveDifferentOrders() {
        ShuffledBatches b = new ShuffledBatches(500, 32, 7);
        assertFalse(Arrays.equals(b.permutation(0), b.permutation(1)));
        assertFalse(Arrays.equals(b.permutation(1), b.permutation(2)));
        assertFalse(Arrays.equals(b.permutation(0), new ShuffledBatches(500, 32, 8).permutation(0)));
    }

    // Recorded runs resume by regenerating these orders, so the algorithm must not drift. The expected arrays come
    // from an independent Python re-implementation of epochSeed, SplittableRandom.nextInt and the Fisher–Yates loop.
    @Test
    void orderIsFrozen() {
        ShuffledBatches b = new ShuffledBatches(10, 3, 42);
        assertArrayEquals(new int[] {2, 1, 6, 8, 3, 5, 4, 0, 9, 7}, b.permutation(0));
        assertArrayEquals(new int[] {2, 6, 9, 5, 0, 7, 4, 3, 1, 8}, b.permutation(1));
    }

    @Test
    void noShuffleVisitsInStoredOrder() {
        ShuffledBatches b = new ShuffledBatches(10, 3, 42, false);
        assertArrayEquals(identity(10), b.permutation(0));
        assertArrayEquals(identity(10), b.permutation(5));
    }

    @Test
    void batchesPerEpochRoundsUp() {
        assertEquals(4, new ShuffledBatches(10, 3, 0).batchesPerEpoch());
        assertEquals(2, new ShuffledBatches(10, 5, 0).batchesPerEpoch());
        assertEquals(1, new ShuffledBatches(10, 10, 0).batchesPerEpoch());
        assertEquals(1, new ShuffledBatches(10, 1000, 0).batchesPerEpoch());
        assertEquals(10, new ShuffledBatches(10, 1000, 0).batchSize());
        assertEquals(10, new ShuffledBatches(10, 1, 0).batchesPerEpoch());
    }

    @Test
    void gatherCoversEveryExampleOnceIncludingThePartialLastBatch() {
        int n = 10;
        int fd = 2;
        float[] x = new float[n * fd];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i * fd] = i;
            x[i * fd + 1] = -i;
            y[i] = 100 + i;
        }
        Dataset d = new Dataset("d", n, fd, x, 1, y, 0);
        ShuffledBatches b = new ShuffledBatches(n, 4, 99);
        for (int epoch = 0; epoch < 3; epoch++) {
            int[] perm = b.permutation(epoch);
            int[] seen = new int[n];
            float[] xb = new float[4 * fd];
            float[] yb = new float[4];
            int[] rows = new int[b.batchesPerEpoch()];
            int visited = 0;
            for (int k = 0; k < b.batchesPerEpoch(); k++) {
                rows[k] = b.gather(d, perm, k, xb, yb);
                for (int r = 0; r < rows[k]; r++) {
                    int ex = (int) xb[r * fd];
                    assertEquals(perm[visited++], ex, "batch order follows the permutation");
                    assertEquals(-ex, xb[r * fd + 1]);
                    assertEquals(100 + ex, yb[r], "target travels with its example");
                    seen[ex]++;
                }
            }
            assertArrayEquals(new int[] {4, 4, 2}, rows);
            int[] once = new int[n];
            Arrays.fill(once, 1);
            assertArrayEquals(once, seen, "epoch " + epoch);
        }
    }

    @Test
    void gatherRejectsSmallBuffers() {
        Dataset d = new Dataset("d", 4, 2, new float[8], 1, new float[4], 0);
        ShuffledBatches b = new ShuffledBatches(4, 2, 0);
        assertThrows(IllegalArgumentException.class, () -> b.gather(d, b.permutation(0), 0, new float[3], new float[2]));
    }
}
