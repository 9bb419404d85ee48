package io.ravine.bench;

import io.ravine.InvalidInputException;
import io.ravine.backend.LossKind;
import io.ravine.data.DataSources;
import io.ravine.data.Dataset;
import io.ravine.data.Normalizer;
import io.ravine.data.SyntheticData;
import io.ravine.data.TargetEncoding;
import java.nio.file.Files;
import java.util.SplittableRandom;

/**
 * The training examples a benchmark runs on: real Fashion-MNIST (z-scored, class-index targets) where the data set
 * is installed, otherwise {@code synthetic} ({@link SyntheticData}: the same shapes, standard normal features). The
 * values do not change the speed of a dense MLP step; only the shapes do.
 */
public final class BenchData {
    private BenchData() {
    }

    /**
     * @param source {@code fashion-mnist}, {@code synthetic}, or {@code auto} (Fashion-MNIST when installed)
     * @param limit use at most this many examples (0 = all)
     */
    public static Dataset load(String source, int limit, long seed) {
        String s = resolve(source);
        Dataset d;
        if (s.equals(DataSources.FASHION_MNIST)) {
            Dataset raw = DataSources.loadFashionMnist(DataSources.fashionMnistDir()).train();
            raw = limit > 0 ? raw.limit(limit) : raw;
            d = TargetEncoding.forLoss(Normalizer.fit(Normalizer.Kind.ZSCORE, raw).apply(raw), LossKind.SOFTMAX_CE);
        } else {
            int n = limit > 0 ? Math.min(limit, SyntheticData.TRAIN) : SyntheticData.TRAIN;
            d = SyntheticData.split(n, 1).train();
        }
        return d;
    }

    /** {@code fashion-mnist} or {@code synthetic}: what {@code auto} stands for on this host. */
    public static String resolve(String source) {
        return switch (source) {
            case DataSources.FASHION_MNIST, DataSources.SYNTHETIC -> source;
            case "auto" -> Files.isDirectory(DataSources.fashionMnistDir())
                    && Files.exists(DataSources.fashionMnistDir().resolve("train-images-idx3-ubyte.gz"))
                    ? DataSources.FASHION_MNIST : DataSources.SYNTHETIC;
            default -> throw new InvalidInputException("--data must be auto, fashion-mnist or synthetic, not '"
                    + source + "'");
        };
    }

    /** n examples of {@code dim} standard normal features with uniform labels in [0, classes). */
    public static Dataset synthetic(int n, int dim, int classes, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[n * dim];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) gaussian(rng);
        }
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(classes);
        }
        return new Dataset("synthetic", n, dim, x, 1, y, classes);
    }

    /** Box–Muller; SplittableRandom has no nextGaussian in Java 17. */
    private static double gaussian(SplittableRandom rng) {
        double u = 1.0 - rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble());
    }
}
