package io.ravine.data;

import java.util.Arrays;

/**
 * A per-feature affine map x ↦ (x − mean) / scale, fitted on the training examples only so that nothing about the
 * test set leaks into training. {@link Kind#ZSCORE} uses the mean and the population standard deviation (divided by
 * n) of each feature; a feature whose standard deviation is below {@link #MIN_STD} (such as a border pixel that is
 * always 0) is only centred, because dividing by a near-zero std would blow its few non-constant values up.
 * {@link Kind#NONE} is the identity. Statistics are accumulated in double in a fixed order, so the same data gives
 * bit-identical results.
 */
public final class Normalizer {

    /** Standard deviations below this leave the feature unscaled. */
    public static final double MIN_STD = 1e-6;

    public enum Kind {
        NONE,
        ZSCORE;

        public String cliName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Kind parse(String name) {
            for (Kind k : values()) {
                if (k.cliName().equalsIgnoreCase(name.trim())) {
                    return k;
                }
            }
            throw new io.ravine.InvalidInputException("unknown normalization '" + name + "' (expected zscore or none)");
        }
    }

    private final Kind kind;
    private final float[] mean;
    private final float[] std;
    private final float[] scale;

    private Normalizer(Kind kind, float[] mean, float[] std, float[] scale) {
        this.kind = kind;
        this.mean = mean;
        this.std = std;
        this.scale = scale;
    }

    /**
     * Fits {@code kind} on {@code train}: pass the training examples actually used (after any limit), never the
     * test set.
     */
    public static Normalizer fit(Kind kind, Dataset train) {
        return switch (kind) {
            case NONE -> none(train.featureDim());
            case ZSCORE -> zscore(train);
        };
    }

    /** The identity on {@code featureDim} features: mean 0, std 1. */
    public static Normalizer none(int featureDim) {
        float[] zeros = new float[featureDim];
        float[] ones = new float[featureDim];
        Arrays.fill(ones, 1f);
        return new Normalizer(Kind.NONE, zeros, ones.clone(), ones);
    }

    /** Per-feature mean and population standard deviation of {@code train}. */
    public static Normalizer zscore(Dataset train) {
        int n = train.n();
        int d = train.featureDim();
        if (n == 0) {
            throw new IllegalArgumentException(train.name() + ": cannot fit a normalizer on no examples");
        }
        float[] x = train.features();
        double[] sum = new double[d];
        for (int i = 0; i < n; i++) {
            int row = i * d;
            for (int j = 0; j < d; j++) {
                sum[j] += x[row + j];
            }
        }
        double[] mu = new double[d];
        for (int j = 0; j < d; j++) {
            mu[j] = sum[j] / n;
        }
        // Two passes rather than E[x²] − E[x]², which cancels catastrophically for large, nearly constant features.
        double[] sq = new double[d];
        for (int i = 0; i < n; i++) {
            int row = i * d;
            for (int j = 0; j < d; j++) {
                double c = x[row + j] - mu[j];
                sq[j] += c * c;
            }
        }
        float[] mean = new float[d];
        float[] std = new float[d];
        float[] scale = new float[d];
        for (int j = 0; j < d; j++) {
            double s = Math.sqrt(sq[j] / n);
            mean[j] = (float) mu[j];
            std[j] = (float) s;
            scale[j] = s < MIN_STD ? 1f : (float) s;
        }
        return new Normalizer(Kind.ZSCORE, mean, std, scale);
    }

    /** A normalizer with given statistics (read back from a run's config); scale follows the {@link #MIN_STD} rule. */
    public static Normalizer of(Kind kind, float[] mean, float[] std) {
        if (mean.length != std.length) {
            throw new IllegalArgumentException(mean.length + " means but " + std.length + " standard deviations");
        }
        float[] scale = new float[std.length];
        for (int j = 0; j < std.length; j++) {
            scale[j] = std[j] < MIN_STD ? 1f : std[j];
        }
        return new Normalizer(kind, mean.clone(), std.clone(), scale);
    }

    /** {@code d} with each feature mapped to (x − mean) / scale; targets are untouched. */
    public Dataset apply(Dataset d) {
        int dim = mean.length;
        if (d.featureDim() != dim) {
            throw new io.ravine.InvalidInputException("dataset '" + d.name() + "' has " + d.featureDim()
                    + " features but the normalizer was fitted on " + dim);
        }
        if (kind == Kind.NONE) {
            return d;
        }
        float[] x = d.features();
        float[] out = new float[x.length];
        for (int i = 0; i < d.n(); i++) {
            int row = i * dim;
            for (int j = 0; j < dim; j++) {
                out[row + j] = (float) (((double) x[row + j] - mean[j]) / scale[j]);
            }
        }
        return d.withFeatures(out);
    }

    /** Both splits mapped with the statistics this normalizer holds (fitted on the training split). */
    public TrainTest apply(TrainTest tt) {
        return new TrainTest(apply(tt.train()), apply(tt.test()));
    }

    public Kind kind() {
        return kind;
    }

    /** Per-feature means (a copy). */
    public float[] mean() {
        return mean.clone();
    }

    /** Per-feature population standard deviations as measured (a copy); may be 0 for constant features. */
    public float[] std() {
        return std.clone();
    }

    /** Per-feature divisors actually applied: std, or 1 where std < {@link #MIN_STD} (a copy). */
    public float[] scale() {
        return scale.clone();
    }
}
