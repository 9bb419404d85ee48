package io.ravine.backend.cuda;

/**
 * Launch shapes of the kernels whose grid is more than "enough blocks for n elements": pure functions of the operand
 * shape (and constants), so they are tested without a GPU and so that a reduction's summation order, which follows
 * from its grid, never depends on the device, the timing or {@link CudaBackend#setLaunchBlockSize}.
 */
final class LaunchGeometry {
    /** The most blocks the driver accepts in gridDim.y (and z); gridDim.x allows 2^31 − 1. */
    static final int MAX_GRID_Y = 65535;
    /** Output tile edge of ravine_sgemm_tiled (TILE in gemm.cu). */
    static final int GEMM_TILE = 64;

    /** Columns per column-sum block (one warp across 32 adjacent columns), and row lanes (COLSUM_LANES). */
    static final int COLSUM_COLS = 32;
    static final int COLSUM_LANES = 8;
    /**
     * Column-sum grids aim at this many blocks (about four per SM of a 132-SM H100/H200, enough to keep every SM
     * streaming): ⌈target / column blocks⌉ row splits, where that leaves each split at least
     * {@link #COLSUM_MIN_ROWS} rows.
     */
    static final int COLSUM_TARGET_BLOCKS = 512;
    /** Rows per split at least: 8 lanes × 4 unrolled loads × 2 iterations, so a split is worth its partial. */
    static final int COLSUM_MIN_ROWS = 64;
    /**
     * Doubles of column-sum partials any shape can need: splits > 1 only while column blocks &lt; the target, and
     * then splits · cols ≤ ⌈T/b⌉ · 32b ≤ 32(T + b) &lt; 64T. Preallocated once, so a column sum never allocates
     * (legal inside CUDA graph capture).
     */
    static final int COLSUM_PARTIALS = 2 * COLSUM_COLS * COLSUM_TARGET_BLOCKS;

    private LaunchGeometry() {
    }

    /** A 2-D grid (gridDim.x, gridDim.y). */
    record Grid(int x, int y) {
    }

    /**
     * ravine_sgemm_tiled's grid for an M×N product: ⌈N/64⌉ tile columns across gridDim.x (at most 2^25 for an int N)
     * and min(⌈M/64⌉, 65535) blocks down gridDim.y; the kernel walks tile rows y, y + gridDim.y, ..., so every one of
     * the ⌈M/64⌉ tile rows is computed by exactly one block row, for any int M.
     */
    static Grid tiledGemm(int m, int n) {
        if (m <= 0 || n <= 0) {
            throw new IllegalArgumentException("empty product " + m + "x" + n + " is not launched");
        }
        return new Grid(ceilDiv(n, GEMM_TILE), Math.min(ceilDiv(m, GEMM_TILE), MAX_GRID_Y));
    }

    /**
     * The column-sum plan for a [rows, cols] matrix: {@code columnBlocks} × {@code splits} blocks of 32 × 8 threads,
     * split s adding rows [s · rowsPerSplit, min(rows, (s + 1) · rowsPerSplit)); with one split pass 1 writes the
     * sums, otherwise it writes splits · cols double partials and ravine_column_sum_final adds them in split order.
     */
    record ColumnSumPlan(int columnBlocks, int splits, int rowsPerSplit) {
        /** Doubles of partials pass 1 writes (0 with one split: it writes the float sums directly). */
        long partials(int cols) {
            return splits == 1 ? 0 : (long) splits * cols;
        }
    }

    static ColumnSumPlan columnSum(int rows, int cols) {
        if (rows < 0 || cols <= 0) {
            throw new IllegalArgumentException("column sum of [" + rows + ", " + cols + "]");
        }
        int columnBlocks = ceilDiv(cols, COLSUM_COLS);
        int wanted = ceilDiv(COLSUM_TARGET_BLOCKS, columnBlocks);
        int bySize = Math.max(1, ceilDiv(rows, COLSUM_MIN_ROWS));
        int splits = Math.min(wanted, bySize);
        int rowsPerSplit = Math.max(1, ceilDiv(rows, splits));
        // Recount so that no split is empty (e.g. 100 rows in 2 splits of 50, not 3 of 34 with one empty).
        splits = Math.max(1, ceilDiv(rows, rowsPerSplit));
        return new ColumnSumPlan(columnBlocks, splits, rowsPerSplit);
    }

    static int ceilDiv(int a, int b) {
        return (int) (((long) a + b - 1) / b);
    }
}
