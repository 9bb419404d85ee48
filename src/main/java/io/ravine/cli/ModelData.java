package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.backend.LossKind;
import io.ravine.data.CsvReader;
import io.ravine.data.DataSources;
import io.ravine.data.Dataset;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The examples {@code predict} and {@code evaluate} run a trained model on, from {@code --data} in the vocabulary of
 * {@code train}: {@code embedded}, {@code fashion-mnist}, {@code synthetic} or an IDX directory give their test split;
 * a CSV file gives all its rows (header, features, then the target in the last column, as for training; for
 * {@code predict} the target column may be left out). Features are raw: the model applies its own normalization.
 */
final class ModelData {
    private ModelData() {
    }

    /**
     * @param spec the {@code --data} value
     * @param inputDim the model's input features
     * @param loss the model's loss (class labels or real targets)
     * @param needTargets evaluate (targets required) or predict (a features-only CSV allowed)
     */
    static Dataset load(String spec, int inputDim, LossKind loss, boolean needTargets) {
        Path path = Path.of(spec);
        Dataset d;
        if (Files.isRegularFile(path)) {
            CsvReader.Target target = loss.classification() && needTargets ? CsvReader.Target.CLASS_INDEX
                    : CsvReader.Target.REAL;
            d = CsvReader.read(path, target, 0);
            if (!needTargets && d.featureDim() == inputDim - 1 && d.targetCols() == 1) {
                d = withTargetAsFeature(d); // a features-only file: its last column is a feature
            }
        } else {
            d = DataSources.load(spec, null, loss).test();
        }
        if (d.featureDim() != inputDim) {
            throw new InvalidInputException("--data " + spec + ": " + d.featureDim() + " features per example, the"
                    + " model takes " + inputDim + (Files.isRegularFile(path) ? " (a CSV file holds the features,"
                    + " then the target in its last column" + (needTargets ? ")" : ", which predict may leave out)")
                    : ""));
        }
        return d;
    }

    /** {@code d} read with its last column as the target, with that column put back as the last feature. */
    private static Dataset withTargetAsFeature(Dataset d) {
        int f = d.featureDim();
        float[] x = new float[d.n() * (f + 1)];
        for (int i = 0; i < d.n(); i++) {
            System.arraycopy(d.features(), i * f, x, i * (f + 1), f);
            x[i * (f + 1) + f] = d.targets()[i];
        }
        return Dataset.ofFeatures(rows(x, d.n(), f + 1));
    }

    private static float[][] rows(float[] x, int n, int cols) {
        float[][] out = new float[n][cols];
        for (int i = 0; i < n; i++) {
            System.arraycopy(x, i * cols, out[i], 0, cols);
        }
        return out;
    }
}
