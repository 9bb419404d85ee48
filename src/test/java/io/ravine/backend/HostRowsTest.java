package io.ravine.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.Dataset;
import io.ravine.data.ShuffledBatches;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A batch gathered straight into a backend's memory is the batch {@link ShuffledBatches#gather} makes. */
class HostRowsTest {
    private static final SplittableRandom RNG = new SplittableRandom(3);

    private static float[] random(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) RNG.nextGaussian();
        }
        return v;
    }

    @Test
    void anyElementRangeIsThatPartOfTheGatheredBatch() {
        int rowLength = 7;
        float[] src = random(50 * rowLength);
        int[] perm = new ShuffledBatches(50, 13, 5).permutation(2);
        HostRows batch = new HostRows(src, rowLength, perm, 13, 13);
        float[] whole = new float[13 * rowLength];
        for (int r = 0; r < 13; r++) {
            System.arraycopy(src, perm[13 + r] * rowLength, whole, r * rowLength, rowLength);
        }
        assertArrayEquals(whole, batch.toArray());
        // Ranges that start and end inside rows, as a chunked transfer cuts them, land at the given index.
        for (int[] range : new int[][] {{0, 91}, {3, 4}, {6, 2}, {20, 50}, {89, 2}, {0, 1}}) {
            FloatBuffer dst = FloatBuffer.allocate(100);
            batch.copyRange(range[0], range[1], dst, 5);
            for (int i = 0; i < range[1]; i++) {
                assertEquals(whole[range[0] + i], dst.get(5 + i), "range " + range[0] + "+" + range[1] + " at " + i);
            }
        }
    }

    @Test
    void badIndicesAreRefusedBeforeAnythingIsCopied() {
        float[] src = new float[10 * 4];
        assertThrows(IndexOutOfBoundsException.class, () -> new HostRows(src, 4, new int[] {0, 10}, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> new HostRows(src, 4, new int[] {0, 1}, 1, 2));
        assertThrows(IllegalArgumentException.class, () -> CpuBackend.f32().copyRowsFromHost(
                new HostRows(src, 4, new int[] {0, 1}, 0, 2), CpuBackend.f32().allocate(3, 4)));
    }

    @Test
    void everyBackendLoadsTheSameBitsAsGatherThenCopy() {
        int n = 40;
        int dim = 9;
        Dataset d = new Dataset("random", n, dim, random(n * dim), 1, new float[n], 0);
        ShuffledBatches batches = new ShuffledBatches(n, 16, 7);
        int[] perm = batches.permutation(1);
        for (Backend b : new Backend[] {CpuBackend.f32(), CpuBackend.f64()}) {
            for (int bi = 0; bi < batches.batchesPerEpoch(); bi++) {
                float[] xb = new float[16 * dim];
                float[] yb = new float[16];
                int rows = batches.gather(d, perm, bi, xb, yb);
                try (Tensor viaGather = b.allocate(rows, dim); Tensor direct = b.allocate(rows, dim)) {
                    b.copyFromHost(xb, 0, viaGather);
                    b.copyRowsFromHost(new HostRows(d.features(), dim, perm, batches.batchStart(bi), rows), direct);
                    assertArrayEquals(b.toFloatArray(viaGather), b.toFloatArray(direct), b + " batch " + bi);
                }
            }
        }
    }
}
