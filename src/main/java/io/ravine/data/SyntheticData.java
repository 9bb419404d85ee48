package io.ravine.data;

import java.util.SplittableRandom;

/**
 * {@code --data synthetic}: examples of Fashion-MNIST's shape (60,000 training and 10,000 test examples of 784
 * features, 10 classes) made from a fixed seed, for measuring speed where the real data set is not installed (a GPU
 * host with no network). Features are standard normal; each label is the arg-max of a fixed random linear map of the
 * features (a "teacher"), so the classes are learnable and accuracy means something, while the speed of a dense MLP
 * step depends only on the shapes. The same data every time: the seed is part of the definition, not {@code --seed}.
 */
public final class SyntheticData {
    /** Training examples. */
    public static final int TRAIN = 60_000;
    /** Test examples. */
    public static final int TEST = 10_000;
    /** Features per example. */
    public static final int FEATURES = 784;
    /** Classes. */
    public static final int CLASSES = 10;
    private static final long SEED = 0x5eedL;

    private SyntheticData() {
    }

    /**
     * The full synthetic data set: {@value #TRAIN} training and {@value #TEST} test examples.
     *
     * @return the splits
     */
    public static TrainTest fashionMnistShaped() {
        return split(TRAIN, TEST);
    }

    /**
     * The first {@code train} training and {@code test} test examples of the same data set.
     *
     * @param train training examples
     * @param test test examples
     * @return the splits
     */
    public static TrainTest split(int train, int test) {
        float[] teacher = gaussians(new SplittableRandom(SEED), CLASSES * FEATURES);
        // Each split draws from its own stream, so a shorter split is a prefix of the longer one.
        Dataset tr = make("synthetic/train", train, teacher, new SplittableRandom(SEED + 1));
        Dataset te = make("synthetic/test", test, teacher, new SplittableRandom(SEED + 2));
        return new TrainTest(tr, te);
    }

    private static Dataset make(String name, int n, float[] teacher, SplittableRandom rng) {
        float[] x = gaussians(rng, n * FEATURES);
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < CLASSES; c++) {
                double s = 0;
                for (int j = 0; j < FEATURES; j++) {
                    s += teacher[c * FEATURES + j] * x[i * FEATURES + j];
                }
                if (s > bestScore) {
                    bestScore = s;
                    best = c;
                }
            }
            y[i] = best;
        }
        return new Dataset(name, n, FEATURES, x, 1, y, CLASSES);
    }

    /** n standard normal floats by Box–Muller, two per pair of uniforms. */
    static float[] gaussians(SplittableRandom rng, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i += 2) {
            double u = 1.0 - rng.nextDouble();
            double r = Math.sqrt(-2 * Math.log(u));
            double a = 2 * Math.PI * rng.nextDouble();
            out[i] = (float) (r * Math.cos(a));
            if (i + 1 < n) {
                out[i + 1] = (float) (r * Math.sin(a));
            }
        }
        return out;
    }
}
