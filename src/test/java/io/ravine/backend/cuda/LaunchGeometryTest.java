package io.ravine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The launch shapes of the tiled GEMM and the column sums, for sizes no test GPU would hold. Runs without a GPU. */
class LaunchGeometryTest {
    private static final long MAX_GRID_X = Integer.MAX_VALUE;

    /** The tile rows block row {@code y} computes: y, y + gridDim.y, ... below ⌈M/64⌉, as the kernel's loop does. */
    private static long tileRowsOf(int y, LaunchGeometry.Grid g, long tileRows) {
        return y >= tileRows ? 0 : (tileRows - 1 - y) / g.y() + 1;
    }

    @Test
    void tiledGemmCoversEveryTileRowOnceForAnyM() {
        for (int m : new int[] {1, 63, 64, 65, 4_194_240, 4_194_241, 5_000_000, 100_000_000, Integer.MAX_VALUE}) {
            for (int n : new int[] {1, 64, 1000, Integer.MAX_VALUE}) {
                LaunchGeometry.Grid g = LaunchGeometry.tiledGemm(m, n);
                long tileRows = ((long) m + 63) / 64;
                assertTrue(g.y() >= 1 && g.y() <= LaunchGeometry.MAX_GRID_Y, m + "x" + n + ": gridDim.y " + g.y());
                assertTrue(g.x() >= 1 && g.x() <= MAX_GRID_X, m + "x" + n + ": gridDim.x " + g.x());
                assertTrue((long) g.x() * 64 >= n, "columns " + n + " not covered by " + g);
                // Each tile row r is computed by block row r mod gridDim.y in iteration r / gridDim.y: exactly once.
                long covered = 0;
                for (int y = 0; y < g.y(); y++) {
                    covered += tileRowsOf(y, g, tileRows);
                }
                assertEquals(tileRows, covered, m + "x" + n);
            }
        }
        // The old grid (one block row per tile row) broke exactly here: 65536 tile rows.
        assertEquals(LaunchGeometry.MAX_GRID_Y, LaunchGeometry.tiledGemm(4_194_241, 10).y());
        assertEquals(65535, LaunchGeometry.tiledGemm(4_194_240, 10).y());
        assertEquals(1 << 25, LaunchGeometry.tiledGemm(1, Integer.MAX_VALUE).x());
    }

    @Test
    void columnSumPlanCoversEveryRowOnceAndFitsItsScratch() {
        int[] rowsList = {0, 1, 2, 63, 64, 65, 100, 1000, 8191, 8192, 8193, 100_003, 1 << 20, Integer.MAX_VALUE};
        int[] colsList = {1, 10, 31, 32, 33, 1000, 1024, 1025, 16_383, 16_384, 16_385, 100_000, Integer.MAX_VALUE};
        for (int rows : rowsList) {
            for (int cols : colsList) {
                if ((long) rows * cols > Integer.MAX_VALUE) {
                    continue;  // not a tensor
                }
                LaunchGeometry.ColumnSumPlan p = LaunchGeometry.columnSum(rows, cols);
                String at = rows + "x" + cols + " " + p;
                assertTrue((long) p.columnBlocks() * 32 >= cols && (long) (p.columnBlocks() - 1) * 32 < cols, at);
                assertTrue(p.splits() >= 1 && p.splits() <= LaunchGeometry.MAX_GRID_Y, at);
                assertTrue(p.rowsPerSplit() >= 1, at);
                assertTrue((long) p.splits() * p.rowsPerSplit() >= rows, "rows left out: " + at);
                assertTrue(rows == 0 || (long) (p.splits() - 1) * p.rowsPerSplit() < rows, "an empty split: " + at);
                assertTrue(p.partials(cols) <= LaunchGeometry.COLSUM_PARTIALS, "scratch overflow: " + at);
                // The kernel's unsigned row bound r0 + rowsPerSplit must not wrap.
                assertTrue((long) (p.splits() - 1) * p.rowsPerSplit() + p.rowsPerSplit() < (1L << 32), at);
            }
        }
    }

    @Test
    void columnSumSplitsWhereOneBlockPerColumnStripWouldStarveTheGpu() {
        // The review's cases: the 10-class output layer and a 1024-wide layer at B = 8192.
        LaunchGeometry.ColumnSumPlan out = LaunchGeometry.columnSum(8192, 10);
        assertEquals(1, out.columnBlocks());
        assertEquals(128, out.splits());  // 8192 / 64 rows
        LaunchGeometry.ColumnSumPlan wide = LaunchGeometry.columnSum(8192, 1024);
        assertEquals(32, wide.columnBlocks());
        assertEquals(16, wide.splits());  // 512 blocks in all
        assertEquals(1, LaunchGeometry.columnSum(1, 1024).splits());
        assertEquals(1, LaunchGeometry.columnSum(100, 100_000).splits());
    }
}
