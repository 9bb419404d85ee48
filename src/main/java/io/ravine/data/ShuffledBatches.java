package io.ravine.data;

import java.util.SplittableRandom;

/**
 * The order in which an epoch visits n examples in batches of B. The last batch of an epoch may be partial (like
 * PyTorch's DataLoader with drop_last=False). Each epoch's permutation depends only on (seed, epoch), never on what
 * earlier epochs drew, so a resumed run regenerates exactly the order it would have used: this is what keeps resume
 * bit-identical. Changing {@link #permutation(int)} changes every recorded run, so treat it as frozen.
 */
public final class ShuffledBatches {

    private final int n;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;

    /**
     * Shuffled batches; {@code batchSize} ≥ n means one full batch per epoch.
     *
     * @param n examples
     * @param batchSize B (capped at n)
     * @param seed the orders' seed
     */
    public ShuffledBatches(int n, int batchSize, long seed) {
        this(n, batchSize, seed, true);
    }

    /**
     * With {@code shuffle} false every epoch visits the examples in stored order.
     *
     * @param n examples
     * @param batchSize B (capped at n)
     * @param seed the orders' seed
     * @param shuffle whether to shuffle each epoch
     */
    public ShuffledBatches(int n, int batchSize, long seed, boolean shuffle) {
        if (n <= 0) {
            throw new IllegalArgumentException("need at least one example, got n = " + n);
        }
        if (batchSize <= 0) {
            throw new io.ravine.InvalidInputException("batch size must be positive, got " + batchSize);
        }
        this.n = n;
        this.batchSize = Math.min(batchSize, n);
        this.seed = seed;
        this.shuffle = shuffle;
    }

    /**
     * Examples in the data set.
     *
     * @return n
     */
    public int n() {
        return n;
    }

    /**
     * The batch size in use: the one asked for, capped at n.
     *
     * @return B
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * The seed the orders derive from.
     *
     * @return the seed
     */
    public long seed() {
        return seed;
    }

    /**
     * Whether each epoch's order is shuffled (else the identity).
     *
     * @return whether orders are shuffled
     */
    public boolean shuffle() {
        return shuffle;
    }

    /**
     * Batches per epoch, ⌈n / B⌉.
     *
     * @return the number of batches
     */
    public int batchesPerEpoch() {
        return (n + batchSize - 1) / batchSize;
    }

    /**
     * Rows in batch {@code batchIndex}: B, except possibly fewer in the last batch.
     *
     * @param batchIndex the batch within the epoch
     * @return its rows
     */
    public int batchRows(int batchIndex) {
        if (batchIndex < 0 || batchIndex >= batchesPerEpoch()) {
            throw new IndexOutOfBoundsException("batch " + batchIndex + " of " + batchesPerEpoch());
        }
        return Math.min(batchSize, n - batchIndex * batchSize);
    }

    /**
     * The order of examples in {@code epoch}: a Fisher–Yates shuffle (i from n−1 down to 1, swap i with
     * nextInt(i + 1)) driven by a {@link SplittableRandom} seeded with {@link #epochSeed(long, int)}; the identity
     * when shuffling is off.
     *
     * @param epoch the epoch, 0-based
     * @return the order of the examples
     */
    public int[] permutation(int epoch) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        if (!shuffle) {
            return perm;
        }
        SplittableRandom rng = new SplittableRandom(epochSeed(seed, epoch));
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return perm;
    }

    /**
     * The generator seed of one epoch. SplittableRandom streams from nearby seeds are shifted copies of each other,
     * so (seed, epoch) is pushed through the SplitMix64 finalizer twice rather than added.
     *
     * @param seed the run's seed
     * @param epoch the epoch
     * @return the epoch's seed
     */
    public static long epochSeed(long seed, int epoch) {
        return mix64(mix64(seed) ^ (epoch * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L));
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Copies the rows of batch {@code batchIndex} of {@code perm} into {@code xOut} ([rows, featureDim]) and
     * {@code yOut} ([rows, targetCols]), both preallocated for a full batch, and returns the row count. Entries past
     * the returned rows are left as they were.
     *
     * @param d the data
     * @param perm the epoch's order
     * @param batchIndex the batch
     * @param xOut the features' destination
     * @param yOut the targets' destination
     * @return the batch's rows
     */
    public int gather(Dataset d, int[] perm, int batchIndex, float[] xOut, float[] yOut) {
        checkFor(d, perm);
        int rows = batchRows(batchIndex);
        int fd = d.featureDim();
        int tc = d.targetCols();
        if (xOut.length < rows * fd || yOut.length < rows * tc) {
            throw new IllegalArgumentException("batch buffers too small: " + xOut.length + " / " + yOut.length
                    + " floats for " + rows + " rows of " + fd + " features / " + tc + " targets");
        }
        float[] x = d.features();
        float[] y = d.targets();
        int start = batchIndex * batchSize;
        for (int r = 0; r < rows; r++) {
            int ex = perm[start + r];
            System.arraycopy(x, ex * fd, xOut, r * fd, fd);
            System.arraycopy(y, ex * tc, yOut, r * tc, tc);
        }
        return rows;
    }

    /**
     * Index into the permutation of the first example of batch {@code batchIndex}.
     *
     * @param batchIndex the batch
     * @return its first position in the epoch's order
     */
    public int batchStart(int batchIndex) {
        batchRows(batchIndex); // range check
        return batchIndex * batchSize;
    }

    /**
     * Throws unless {@code d} and {@code perm} are the n examples these batches are for.
     *
     * @param d the data
     * @param perm an order
     */
    public void checkFor(Dataset d, int[] perm) {
        if (d.n() != n || perm.length != n) {
            throw new IllegalArgumentException("dataset '" + d.name() + "' has " + d.n() + " examples and the"
                    + " permutation " + perm.length + ", but these batches are for " + n);
        }
    }
}
