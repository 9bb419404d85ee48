package io.ravine.train;

import io.ravine.data.ShuffledBatches;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Data that make a run diverge at a step known in advance: linear regression y = 3·x₂ + 5 where feature x₁ is 0 in
 * every row but one, which holds x₁ = 3·10³⁸ (finite). With w₁ starting at 0, w₁ never moves (its gradient is 0 on
 * every other row), so on the bad row the prediction stays finite and so does the loss, but ∂ℓ/∂w₁ = (y − t)·3·10³⁸
 * overflows float32: an infinite gradient with a finite loss, the case a loss check alone would miss. With a random
 * w₁ instead, the prediction itself overflows and the loss is infinite. With batch size 1 and seed {@link #SEED} the
 * bad row is used at step {@link #badStep()} (its position in epoch 0's shuffled order, plus 1).
 */
public final class OverflowingData {
    public static final int ROWS = 64;
    public static final int BAD_ROW = 20;
    public static final long SEED = 5;

    private OverflowingData() {
    }

    /** Writes train.csv (with the bad row) and a clean test.csv into {@code dir}; returns train.csv. */
    public static Path write(Path dir) throws IOException {
        SplittableRandom rng = new SplittableRandom(1);
        StringBuilder train = new StringBuilder("x1,x2,y\n");
        for (int i = 0; i < ROWS; i++) {
            double x2 = rng.nextGaussian();
            train.append(i == BAD_ROW ? "3e38" : "0").append(',').append(x2).append(',').append(3 * x2 + 5)
                    .append('\n');
        }
        StringBuilder test = new StringBuilder("x1,x2,y\n");
        for (int i = 0; i < 16; i++) {
            double x2 = rng.nextGaussian();
            test.append("0,").append(x2).append(',').append(3 * x2 + 5).append('\n');
        }
        Files.writeString(dir.resolve("test.csv"), test);
        Path file = dir.resolve("train.csv");
        Files.writeString(file, train);
        return file;
    }

    /** The step at which the bad row is the mini-batch (batch size 1). */
    public static long badStep() {
        int[] perm = new ShuffledBatches(ROWS, 1, SEED).permutation(0);
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] == BAD_ROW) {
                return i + 1;
            }
        }
        throw new AssertionError("row " + BAD_ROW + " is not in the permutation");
    }
}
