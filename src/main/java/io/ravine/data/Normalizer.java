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

    /** What a normalizer does; its {@link #cliName()} is the {@code normalize} setting's value. */
    public enum Kind {
        /** The identity. */
        NONE,
        /** (x − mean) / std per feature, statistics of the training split. */
        ZSCORE;

        /**
         * The name in settings, config.json and checkpoints' {@code ravine.normalization}.
         *
         * @return {@code none} or {@code zscore}
         */
        public String cliName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /**
         * The kind a name names, ignoring case.
         *
         * @param name {@code zscore} or {@code none}
         * @return the kind
         * @throws io.ravine.InvalidInputException for any other name
         */
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
     *
     * @param kind what to fit
     * @param train the training examples
     * @return the fitted normalizer
     */
    public static Normalizer fit(Kind kind, Dataset train) {
        return switch (kind) {
            case NONE -> none(train.featureDim());
            case ZSCORE -> zscore(train);
        };
    }

    /**
     * The identity on {@code featureDim} features: mean 0, std 1.
     *
     * @param featureDim features per example
     * @return the identity normalizer
     */
    public static Normalizer none(int featureDim) {
        float[] zeros = new float[featureDim];
        float[] ones = new float[featureDim];
        Arrays.fill(ones, 1f);
        return new Normalizer(Kind.NONE, zeros, ones.clone(), ones);
    }

    /**
     * Per-feature mean and population standard deviation of {@code train}.
     *
     * @param train the training examples (at least one)
     * @return the z-score normalizer
     */
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

    /**
     * A normalizer with given statistics; the divisors follow the {@link #MIN_STD} rule.
     *
     * @param kind the kind
     * @param mean per-feature means
     * @param std per-feature standard deviations as measured
     * @return the normalizer
     */
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

    /**
     * A z-score normalizer with the divisors given as they are (no {@link #MIN_STD} rule applied again): what a
     * checkpoint stores in {@code normalizer.mean} and {@code normalizer.std}, so that reading it back gives the same
     * map bit for bit.
     *
     * @param mean per-feature means, finite
     * @param divisors per-feature divisors ({@link #scale()}), finite and positive
     * @return the normalizer, whose {@link #std()} and {@link #scale()} are both {@code divisors}
     * @throws IllegalArgumentException if the lengths differ or a value is not finite, or a divisor not positive
     */
    public static Normalizer ofDivisors(float[] mean, float[] divisors) {
        if (mean.length != divisors.length) {
            throw new IllegalArgumentException(mean.length + " means but " + divisors.length + " divisors");
        }
        for (int j = 0; j < mean.length; j++) {
            if (!Float.isFinite(mean[j]) || !(divisors[j] > 0) || !Float.isFinite(divisors[j])) {
                throw new IllegalArgumentException("feature " + j + ": mean " + mean[j] + ", divisor " + divisors[j]
                        + " (means must be finite, divisors finite and positive)");
            }
        }
        return new Normalizer(Kind.ZSCORE, mean.clone(), divisors.clone(), divisors.clone());
    }

    /**
     * {@code d} with each feature mapped to (x − mean) / scale; targets are untouched.
     *
     * @param d examples with this normalizer's number of features
     * @return the mapped examples ({@code d} itself for {@link Kind#NONE})
     * @throws io.ravine.InvalidInputException if {@code d} has another number of features
     */
    public Dataset apply(Dataset d) {
        if (d.featureDim() != mean.length) {
            throw new io.ravine.InvalidInputException("dataset '" + d.name() + "' has " + d.featureDim()
                    + " features but the normalizer was fitted on " + mean.length);
        }
        return kind == Kind.NONE ? d : d.withFeatures(apply(d.features()));
    }

    /**
     * Row-major features [n, featureDim] mapped to (x − mean) / scale, computed in double and rounded to float once
     * (the same bits as {@link #apply(Dataset)}).
     *
     * @param x row-major features; its length a multiple of {@link #featureDim()}
     * @return a new array (a copy for {@link Kind#NONE})
     */
    public float[] apply(float[] x) {
        int dim = mean.length;
        if (x.length % dim != 0) {
            throw new IllegalArgumentException(x.length + " values are not rows of " + dim + " features");
        }
        if (kind == Kind.NONE) {
            return x.clone();
        }
        float[] out = new float[x.length];
        for (int row = 0; row < x.length; row += dim) {
            for (int j = 0; j < dim; j++) {
                out[row + j] = (float) (((double) x[row + j] - mean[j]) / scale[j]);
            }
        }
        return out;
    }

    /**
     * Features per example this normalizer maps.
     *
     * @return the feature dimension
     */
    public int featureDim() {
        return mean.length;
    }

    /**
     * Whether {@code other} maps every input to the same bits: the same kind, means and divisors.
     *
     * @param other another normalizer
     * @return true when the two maps are the same
     */
    public boolean sameMap(Normalizer other) {
        return kind == other.kind && Arrays.equals(mean, other.mean) && Arrays.equals(scale, other.scale);
    }

    /**
     * Both splits mapped with the statistics this normalizer holds (fitted on the training split).
     *
     * @param tt the splits
     * @return the mapped splits
     */
    public TrainTest apply(TrainTest tt) {
        return new TrainTest(apply(tt.train()), apply(tt.test()));
    }

    /**
     * What this normalizer does.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * Per-feature means (a copy); zeros for {@link Kind#NONE}.
     *
     * @return the means
     */
    public float[] mean() {
        return mean.clone();
    }

    /**
     * Per-feature population standard deviations as measured (a copy); may be 0 for constant features. For a
     * normalizer read from a checkpoint ({@link #ofDivisors}) these are the stored divisors.
     *
     * @return the standard deviations
     */
    public float[] std() {
        return std.clone();
    }

    /**
     * Per-feature divisors actually applied: std, or 1 where std &lt; {@link #MIN_STD} (a copy). A checkpoint stores
     * these as {@code normalizer.std}.
     *
     * @return the divisors
     */
    public float[] scale() {
        return scale.clone();
    }
}
