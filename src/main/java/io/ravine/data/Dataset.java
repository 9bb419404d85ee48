package io.ravine.data;

import io.ravine.InvalidInputException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Examples held in memory: {@code features} is row-major [n, featureDim]; {@code targets} is [n, targetCols] (one
 * class index per row for classification, stored as a float; real values for regression). {@code numClasses} is 0
 * for regression targets.
 *
 * <p>Made from Java arrays with {@link #ofClasses(float[][], int[])} (class labels) or
 * {@link #ofTargets(float[][], float[][])} (real targets), or read with {@link #fromCsv(Path)} and
 * {@link #fromIdx(Path, Path)}; {@link #split(double, long)} holds out a seeded random test split. The features are
 * raw: a {@link io.ravine.train.Trainer} fits the normalization on the training split, and a
 * {@link io.ravine.train.TrainedModel} applies it to what it is given.
 *
 * <pre>{@code
 * Dataset all = Dataset.ofClasses(x, labels);
 * TrainTest data = all.split(0.2, 7);
 * }</pre>
 *
 * @param name what messages call this dataset
 * @param n the number of examples
 * @param featureDim features per example
 * @param features row-major [n, featureDim]
 * @param targetCols target values per example (1 for class indices)
 * @param targets row-major [n, targetCols]
 * @param numClasses the number of classes K (labels 0..K−1), or 0 for real targets
 */
public record Dataset(String name, int n, int featureDim, float[] features, int targetCols, float[] targets,
        int numClasses) {

    /** Name of a dataset made from Java arrays. */
    public static final String IN_MEMORY = "in-memory";

    /**
     * Checks that the arrays hold n × featureDim features and n × targetCols targets (values are checked by
     * {@link #validate()}).
     *
     * @param name what messages call this dataset
     * @param n the number of examples
     * @param featureDim features per example
     * @param features row-major [n, featureDim]
     * @param targetCols target values per example (1 for class indices)
     * @param targets row-major [n, targetCols]
     * @param numClasses the number of classes K (labels 0..K−1), or 0 for real targets
     * @throws IllegalArgumentException if an array's length does not match its shape
     */
    public Dataset {
        if ((long) n * featureDim != features.length) {
            throw new IllegalArgumentException(name + ": " + features.length + " feature values for " + n + " × "
                    + featureDim);
        }
        if ((long) n * targetCols != targets.length) {
            throw new IllegalArgumentException(name + ": " + targets.length + " target values for " + n + " × "
                    + targetCols);
        }
    }

    /**
     * A classification dataset from rows of features and their class labels; the number of classes is the largest
     * label + 1. The arrays are copied.
     *
     * @param x one row of raw features per example, all of the same length
     * @param labels the class of each example, 0, 1, …
     * @return the dataset, validated
     * @throws InvalidInputException naming the argument and the example: no rows, ragged or empty rows, a feature
     *     that is NaN or infinite, a label count that differs from the row count, a negative label
     */
    public static Dataset ofClasses(float[][] x, int[] labels) {
        return ofClasses(x, labels, 0);
    }

    /**
     * A classification dataset with {@code numClasses} classes (so a split that lacks the last class still knows
     * it); every label must be below it.
     *
     * @param x one row of raw features per example, all of the same length
     * @param labels the class of each example, 0..numClasses−1
     * @param numClasses the number of classes K ≥ 1, or 0 for the largest label + 1
     * @return the dataset, validated
     * @throws InvalidInputException as {@link #ofClasses(float[][], int[])}, and for a label ≥ numClasses
     */
    public static Dataset ofClasses(float[][] x, int[] labels, int numClasses) {
        float[] features = rows("x", x);
        if (labels == null) {
            throw new InvalidInputException("labels is null");
        }
        if (labels.length != x.length) {
            throw new InvalidInputException("labels has " + labels.length + " entries for the " + x.length
                    + " rows of x (one label per example)");
        }
        if (numClasses < 0 || numClasses >= CsvReader.MAX_CLASS_INDEX) {
            throw new InvalidInputException("numClasses must be ≥ 1 (or 0: the largest label + 1) and below "
                    + CsvReader.MAX_CLASS_INDEX + ", got " + numClasses);
        }
        int max = -1;
        float[] targets = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            int l = labels[i];
            if (l < 0) {
                throw new InvalidInputException("labels[" + i + "] is " + l + ": class labels are 0, 1, …");
            }
            if (numClasses > 0 && l >= numClasses) {
                throw new InvalidInputException("labels[" + i + "] is " + l + ", out of range for " + numClasses
                        + " classes (0.." + (numClasses - 1) + ")");
            }
            if (l >= CsvReader.MAX_CLASS_INDEX) {
                throw new InvalidInputException("labels[" + i + "] is " + l + ", too large (at most "
                        + (CsvReader.MAX_CLASS_INDEX - 1) + ")");
            }
            max = Math.max(max, l);
            targets[i] = l;
        }
        return new Dataset(IN_MEMORY, x.length, features.length / x.length, features, 1, targets,
                numClasses > 0 ? numClasses : max + 1).validate();
    }

    /**
     * A regression dataset from rows of features and rows of real targets (for {@link io.ravine.backend.LossKind#MSE}).
     * The arrays are copied.
     *
     * @param x one row of raw features per example, all of the same length
     * @param y one row of targets per example, all of the same length
     * @return the dataset, validated
     * @throws InvalidInputException naming the argument and the example: no rows, ragged or empty rows, a value that
     *     is NaN or infinite, a row count of y that differs from x's
     */
    public static Dataset ofTargets(float[][] x, float[][] y) {
        float[] features = rows("x", x);
        float[] targets = rows("y", y);
        if (y.length != x.length) {
            throw new InvalidInputException("y has " + y.length + " rows for the " + x.length + " rows of x (one row"
                    + " of targets per example)");
        }
        return new Dataset(IN_MEMORY, x.length, features.length / x.length, features, targets.length / y.length,
                targets, 0).validate();
    }

    /**
     * Features alone, without targets: the input of {@link io.ravine.train.TrainedModel#predict(Dataset)}. The array
     * is copied.
     *
     * @param x one row of raw features per example, all of the same length
     * @return the dataset (no target columns, numClasses 0), validated
     * @throws InvalidInputException naming {@code x} and the row: no rows, ragged or empty rows, NaN or infinite
     */
    public static Dataset ofFeatures(float[][] x) {
        float[] features = rows("x", x);
        return new Dataset(IN_MEMORY, x.length, features.length / x.length, features, 0, new float[0], 0).validate();
    }

    /**
     * A CSV file whose last column holds class labels (see {@link CsvReader}: a header row, then one example per
     * row; gzip is recognised). For real targets use {@link #fromCsv(Path, CsvReader.Target)}.
     *
     * @param file the CSV file
     * @return the dataset, validated, named after the file
     * @throws InvalidInputException naming the file, the line and the column of the first problem
     */
    public static Dataset fromCsv(Path file) {
        return fromCsv(file, CsvReader.Target.CLASS_INDEX);
    }

    /**
     * A CSV file whose last column holds what {@code target} says: class labels ({@link CsvReader.Target#CLASS_INDEX},
     * K = the largest + 1) or real numbers ({@link CsvReader.Target#REAL}, for mean squared error).
     *
     * @param file the CSV file
     * @param target what the last column holds
     * @return the dataset, validated, named after the file
     * @throws InvalidInputException naming the file, the line and the column of the first problem
     */
    public static Dataset fromCsv(Path file, CsvReader.Target target) {
        return CsvReader.read(file, java.util.Objects.requireNonNull(target, "target"), 0).validate();
    }

    /**
     * An IDX image file ([n, rows, cols] unsigned bytes, pixels scaled to [0, 1]) and its label file ([n]), as MNIST
     * and Fashion-MNIST ship them, raw or gzip-compressed. The number of classes is the largest label + 1.
     *
     * @param images the image file
     * @param labels the label file
     * @return the dataset, validated, named after the image file
     * @throws InvalidInputException naming the file and the problem
     */
    public static Dataset fromIdx(Path images, Path labels) {
        return IdxReader.read(images, labels, 0, images.toString()).validate();
    }

    /**
     * A seeded random split into training and test examples: the examples are shuffled with {@code seed}
     * (Fisher–Yates, {@link SplittableRandom}), the first round(n × testFraction) of the shuffle (at least 1, at most
     * n − 1) are the test split, and each split keeps the examples in their original order. The same seed gives the
     * same split.
     *
     * @param testFraction the share of examples held out, strictly between 0 and 1
     * @param seed the shuffle's seed
     * @return the training and the test split, both with this dataset's number of classes
     * @throws InvalidInputException if testFraction is not in (0, 1) or there are fewer than 2 examples
     */
    public TrainTest split(double testFraction, long seed) {
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new InvalidInputException("testFraction must be between 0 and 1 (exclusive), got " + testFraction);
        }
        if (n < 2) {
            throw new InvalidInputException("dataset '" + name + "' has " + n + " example; a split needs at least 2");
        }
        int nTest = (int) Math.min(n - 1, Math.max(1, Math.round(n * testFraction)));
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int[] testIdx = Arrays.copyOfRange(perm, 0, nTest);
        int[] trainIdx = Arrays.copyOfRange(perm, nTest, n);
        Arrays.sort(testIdx);
        Arrays.sort(trainIdx);
        Dataset train = select(trainIdx);
        Dataset test = select(testIdx);
        return new TrainTest(new Dataset(name + " [train]", train.n, featureDim, train.features, targetCols,
                train.targets, numClasses), new Dataset(name + " [test]", test.n, featureDim, test.features,
                targetCols, test.targets, numClasses));
    }

    /**
     * The features as one array per example (a copy), as {@link io.ravine.train.TrainedModel#predict} takes them.
     *
     * @return [n][featureDim]
     */
    public float[][] featureRows() {
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = Arrays.copyOfRange(features, i * featureDim, (i + 1) * featureDim);
        }
        return out;
    }

    /**
     * The class label of each example, for a classification dataset whose targets are class indices.
     *
     * @return [n] labels
     * @throws IllegalStateException for real targets or targets already encoded (one-hot)
     */
    public int[] labels() {
        if (numClasses == 0 || targetCols != 1) {
            throw new IllegalStateException("dataset '" + name + "' holds " + (numClasses == 0 ? "real targets"
                    : targetCols + " target columns") + ", not one class label per example");
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = Math.round(targets[i]);
        }
        return out;
    }

    /** Rows of equal, non-zero length as one row-major array; messages name the argument and the row. */
    private static float[] rows(String arg, float[][] rows) {
        if (rows == null) {
            throw new InvalidInputException(arg + " is null");
        }
        if (rows.length == 0) {
            throw new InvalidInputException(arg + " has no rows (no examples)");
        }
        if (rows[0] == null) {
            throw new InvalidInputException(arg + "[0] is null");
        }
        int d = rows[0].length;
        if (d == 0) {
            throw new InvalidInputException(arg + "[0] is empty (each row needs at least one value)");
        }
        if ((long) rows.length * d > Integer.MAX_VALUE - 16) {
            throw new InvalidInputException(arg + ": " + rows.length + " rows of " + d + " values do not fit in one"
                    + " array");
        }
        float[] out = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) {
            float[] r = rows[i];
            if (r == null) {
                throw new InvalidInputException(arg + "[" + i + "] is null");
            }
            if (r.length != d) {
                throw new InvalidInputException(arg + "[" + i + "] has " + r.length + " values, " + arg + "[0] has "
                        + d + " (ragged rows: every row needs the same number)");
            }
            for (int j = 0; j < d; j++) {
                if (!Float.isFinite(r[j])) {
                    throw new InvalidInputException(arg + "[" + i + "][" + j + "] is " + r[j] + " (values must be"
                            + " finite)");
                }
            }
            System.arraycopy(r, 0, out, i * d, d);
        }
        return out;
    }

    /**
     * The first {@code limit} examples (all of them when limit ≥ n).
     *
     * @param limit the number of examples to keep
     * @return this dataset or its first examples
     */
    public Dataset limit(int limit) {
        if (limit >= n) {
            return this;
        }
        return new Dataset(name, limit, featureDim, Arrays.copyOf(features, limit * featureDim), targetCols,
                Arrays.copyOf(targets, limit * targetCols), numClasses);
    }

    /**
     * The examples at {@code indices}, in that order.
     *
     * @param indices example indices, each in [0, n)
     * @return a new dataset with those examples
     */
    public Dataset select(int[] indices) {
        float[] f = new float[indices.length * featureDim];
        float[] t = new float[indices.length * targetCols];
        for (int r = 0; r < indices.length; r++) {
            System.arraycopy(features, indices[r] * featureDim, f, r * featureDim, featureDim);
            System.arraycopy(targets, indices[r] * targetCols, t, r * targetCols, targetCols);
        }
        return new Dataset(name, indices.length, featureDim, f, targetCols, t, numClasses);
    }

    /**
     * The same examples with other feature values (after normalization).
     *
     * @param newFeatures [n, featureDim] row-major
     * @return a new dataset with the same targets
     */
    public Dataset withFeatures(float[] newFeatures) {
        return new Dataset(name, n, featureDim, newFeatures, targetCols, targets, numClasses);
    }

    /**
     * Checks that every feature and target is finite and, for class-index targets, a whole number in
     * [0, numClasses). Returns this dataset so loaders can chain it.
     *
     * @return this dataset
     * @throws io.ravine.InvalidInputException naming this dataset and the first bad example
     */
    public Dataset validate() {
        if (n <= 0) {
            throw new io.ravine.InvalidInputException("dataset '" + name + "' has no examples");
        }
        for (int i = 0; i < features.length; i++) {
            float v = features[i];
            if (!Float.isFinite(v)) {
                throw new io.ravine.InvalidInputException("dataset '" + name + "': example " + i / featureDim
                        + " has " + v + " in feature " + i % featureDim + " (features must be finite)");
            }
        }
        for (int i = 0; i < targets.length; i++) {
            float v = targets[i];
            if (!Float.isFinite(v)) {
                throw new io.ravine.InvalidInputException("dataset '" + name + "': example " + i / targetCols
                        + " has target " + v + " (targets must be finite)");
            }
        }
        // Only a single column of targets holds class indices; wider targets are already encoded.
        if (numClasses > 0 && targetCols == 1) {
            for (int i = 0; i < n; i++) {
                float v = targets[i];
                if (v < 0 || v >= numClasses || v != Math.rint(v)) {
                    throw new io.ravine.InvalidInputException("dataset '" + name + "': example " + i
                            + " has class label " + v + ", expected a whole number in 0.." + (numClasses - 1));
                }
            }
        }
        return this;
    }
}
