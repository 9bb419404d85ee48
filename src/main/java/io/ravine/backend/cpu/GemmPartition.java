package io.ravine.backend.cpu;

/**
 * How {@link CpuBackend#gemm} cuts a matrix product C[M×N] ← α·op(A)·op(B) + β·C (inner dimension K) into tiles of
 * C, each computed by its own single-threaded OpenBLAS call, the tiles spread over {@link CpuParallel}'s threads.
 *
 * <p><b>Why: the same bits for every thread count.</b> OpenBLAS run with several threads splits a product its own way
 * for the count it is given (and picks its K blocking, and even its kernel, by the count), so one element's sum over
 * K came out rounded differently at 1 and 2 threads. Here the tiles are a function of (M, N, K) alone, never of the
 * thread count, and each tile is one OpenBLAS call with OpenBLAS set to one thread: every element of C is computed by
 * a call of the same shape, on the same data at the same addresses, whichever thread runs it and however many there
 * are. Each element is in exactly one tile, and its whole sum over K is done inside that call (K is never split).
 *
 * <p><b>The tiles: few, and only where they pay.</b> Each OpenBLAS call copies ("packs") its share of both operands
 * before multiplying, so cutting C into r × c tiles packs op(A) c times and op(B) r times instead of once each, and
 * narrower tiles run OpenBLAS's kernels less efficiently. Measured on one core of the build machine, cutting a
 * 1024×1024×1024 product in 2 cost 3–5 %, in 4 5–9 %, in 8 6–14 %; a 128×256×784 one (784-256-10's first layer at
 * B = 128) 2 % in 2 column tiles, 10 % in 2 row tiles. So: a product under {@link #MIN_WORK} multiply-adds is one call
 * (a second thread would gain less than the hand-over costs); above it, 2 tiles, and twice as many for every
 * further factor 8 of work from 2³³ multiply-adds on (4 tiles for 2048³, 8 for 4096³, at most {@link #MAX_TILES}),
 * cut the way that packs the least (rows repack op(B), columns op(A)), sides multiples of {@link #ALIGN}. Products
 * of up to about 2³³ multiply-adds therefore use at most 2 threads: the price of the same bits for every count.
 * The last tile of a row or column of tiles may be shorter; it is the same tile at every thread count. Each
 * concurrent call takes one of OpenBLAS's preallocated buffers, of which there are at least 50.
 */
final class GemmPartition {
    /** Tile sides are multiples of this (whole 64-byte lines of floats, whole register blocks of the kernels). */
    static final int ALIGN = 16;
    /** Multiply-adds below which a product is one call (≈ 50 µs on one core). */
    static final long MIN_WORK = 1L << 21;
    /** Multiply-adds from which a product gets 4 tiles (then 8 from 8 times this, …). */
    static final double FOUR_TILES_WORK = 0x1p33;
    /** The most tiles. */
    static final int MAX_TILES = 32;

    /** Rows of C per tile (the last row of tiles may have fewer). */
    final int tileRows;
    /** Columns of C per tile (the last column of tiles may have fewer). */
    final int tileCols;
    /** Tiles down. */
    final int rowTiles;
    /** Tiles across. */
    final int colTiles;

    private GemmPartition(int m, int n, int tileRows, int tileCols) {
        this.tileRows = tileRows;
        this.tileCols = tileCols;
        this.rowTiles = ceilDiv(m, tileRows);
        this.colTiles = ceilDiv(n, tileCols);
    }

    /**
     * The tiles of an M×N product with inner dimension K: a function of the three alone.
     *
     * @param m rows of C, ≥ 1
     * @param n columns of C, ≥ 1
     * @param k the inner dimension, ≥ 0 (0: one tile, so no operand is positioned past its empty end)
     * @return the partition
     */
    static GemmPartition of(int m, int n, int k) {
        double work = (double) m * n * k;
        int count = 1;
        if (work >= MIN_WORK) {
            count = 2;
            for (double w = FOUR_TILES_WORK; work >= w && count < MAX_TILES; w *= 8) {
                count *= 2;
            }
        }
        GemmPartition best = new GemmPartition(m, n, m, n);
        double bestPacking = Double.MAX_VALUE;
        // r row tiles × count/r column tiles, for r = 1, 2, 4, … count: the least repacking, fewer row tiles on a tie.
        for (int r = 1; count > 1 && r <= count; r *= 2) {
            int c = count / r;
            GemmPartition p = new GemmPartition(m, n, side(m, r), side(n, c));
            if (p.rowTiles != r || p.colTiles != c) {
                continue; // a side too short for that many aligned tiles
            }
            double packing = (double) (r - 1) * k * n + (double) (c - 1) * m * k;
            if (packing < bestPacking) {
                best = p;
                bestPacking = packing;
            }
        }
        return best;
    }

    /** A tile side that cuts {@code length} into {@code parts}: whole, or a multiple of {@link #ALIGN}. */
    private static int side(int length, int parts) {
        return parts == 1 ? length : Math.max(ALIGN, ceilDiv(ceilDiv(length, parts), ALIGN) * ALIGN);
    }

    /** The number of tiles. */
    int tiles() {
        return rowTiles * colTiles;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    @Override
    public String toString() {
        return rowTiles + "×" + colTiles + " tiles of " + tileRows + "×" + tileCols;
    }
}
