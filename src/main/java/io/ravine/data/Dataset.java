package io.ravine.data;

import java.util.Arrays;

/**
 * Examples held in memory: {@code features} is row-major [n, featureDim]; {@code targets} is [n, targetCols] (one
 * class index per row for classification, stored as a float; real values for regression). {@code numClasses} is 0
 * for regression targets.
 */
public record Dataset(String name, int n, int featureDim, float[] features, int targetCols, float[] targets,
        int numClasses) {

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

    /** The first {@code limit} examples (all of them when limit ≥ n). */
    public Dataset limit(int limit) {
        if (limit >= n) {
            return this;
        }
        return new Dataset(name, limit, featureDim, Arrays.copyOf(features, limit * featureDim), targetCols,
                Arrays.copyOf(targets, limit * targetCols), numClasses);
    }

    /** The examples at {@code indices}, in that order. */
    public Dataset select(int[] indices) {
        float[] f = new float[indices.length * featureDim];
        float[] t = new float[indices.length * targetCols];
        for (int r = 0; r < indices.length; r++) {
            System.arraycopy(features, indices[r] * featureDim, f, r * featureDim, featureDim);
            System.arraycopy(targets, indices[r] * targetCols, t, r * targetCols, targetCols);
        }
        return new Dataset(name, indices.length, featureDim, f, targetCols, t, numClasses);
    }

    /** The same examples with other feature values (after normalization). */
    public Dataset withFeatures(float[] newFeatures) {
        return new Dataset(name, n, featureDim, newFeatures, targetCols, targets, numClasses);
    }

    /**
     * Checks that every feature and target is finite and, for class-index targets, a whole number in
     * [0, numClasses). Returns this dataset so loaders can chain it.
     *
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
