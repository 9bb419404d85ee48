package io.ravine.data;

import io.ravine.InvalidInputException;
import io.ravine.InvalidSettingException;
import io.ravine.backend.LossKind;

/**
 * Puts targets into the layout a loss expects (see {@link LossKind}). Loaders produce class indices ([n, 1],
 * numClasses = K ≥ 1) or real targets (numClasses = 0); this turns them into:
 * <ul>
 *   <li>{@link LossKind#SOFTMAX_CE}: [n, 1] class indices, unchanged (K ≥ 2).</li>
 *   <li>{@link LossKind#LOGISTIC_CE}: [n, 1] 0/1 when K = 2 (one logistic output), else [n, K] one-hot.</li>
 *   <li>{@link LossKind#MSE}: [n, K] one-hot for class data; real targets unchanged.</li>
 * </ul>
 * Encoded datasets keep numClasses = K so accuracy (argmax, or threshold for the single binary output) stays
 * defined. Encoding an already encoded dataset returns it unchanged.
 */
public final class TargetEncoding {

    private TargetEncoding() {
    }

    /**
     * {@code d}'s targets in the layout {@code loss} needs; K is d's own numClasses.
     *
     * @param d the dataset
     * @param loss the loss
     * @return the dataset with encoded targets
     */
    public static Dataset forLoss(Dataset d, LossKind loss) {
        return forLoss(d, loss, d.numClasses());
    }

    /**
     * Both splits encoded with the training split's number of classes; a test label the training split cannot
     * have produced is an error.
     *
     * @param tt the splits
     * @param loss the loss
     * @return the splits with encoded targets
     */
    public static TrainTest forLoss(TrainTest tt, LossKind loss) {
        Dataset train = tt.train();
        Dataset test = tt.test();
        if ((train.numClasses() > 0) != (test.numClasses() > 0)) {
            throw new InvalidInputException("training set '" + train.name() + "' and test set '" + test.name()
                    + "' disagree on whether targets are class labels or real values");
        }
        return new TrainTest(forLoss(train, loss), forLoss(test, loss, train.numClasses()));
    }

    /**
     * {@code d}'s targets in the layout {@code loss} needs for {@code numClasses} classes (the training split's,
     * when d is a test split). Class labels must be below numClasses.
     *
     * @param d the dataset
     * @param loss the loss
     * @param numClasses K
     * @return the dataset with encoded targets
     */
    public static Dataset forLoss(Dataset d, LossKind loss, int numClasses) {
        if (d.numClasses() == 0) {
            if (loss.classification()) {
                throw needsClasses(loss, d);
            }
            return d;
        }
        int k = numClasses;
        if (k < 2) {
            throw new InvalidInputException(loss.cliName() + " needs at least 2 classes, but dataset '" + d.name()
                    + "' has " + k);
        }
        if (d.targetCols() != 1) {
            if (d.targetCols() == k && d.numClasses() == k && wantsOneHot(loss, k)) {
                return d;
            }
            throw new IllegalArgumentException("dataset '" + d.name() + "' holds " + d.targetCols()
                    + " target columns, not the class indices that " + loss.cliName() + " can encode");
        }
        float[] t = d.targets();
        for (int i = 0; i < d.n(); i++) {
            float v = t[i];
            if (!(v >= 0 && v < k && v == Math.rint(v))) {
                throw new InvalidInputException("dataset '" + d.name() + "': example " + i + " has class label "
                        + v + ", but the training set has " + k + " classes (0.." + (k - 1) + ")");
            }
        }
        if (!wantsOneHot(loss, k)) {
            return sameTargets(d, k);
        }
        if ((long) d.n() * k > Integer.MAX_VALUE - 16) {
            throw new InvalidInputException("dataset '" + d.name() + "': one-hot targets for " + d.n()
                    + " examples × " + k + " classes do not fit in one array");
        }
        float[] oneHot = new float[d.n() * k];
        for (int i = 0; i < d.n(); i++) {
            oneHot[i * k + (int) t[i]] = 1f;
        }
        return new Dataset(d.name(), d.n(), d.featureDim(), d.features(), k, oneHot, k);
    }

    /**
     * Width of the network's output layer for {@code loss} on {@code d} (raw or already encoded).
     *
     * @param d the dataset
     * @param loss the loss
     * @return outputs per example
     */
    public static int outputDim(Dataset d, LossKind loss) {
        int k = d.numClasses();
        if (k == 0) {
            if (loss.classification()) {
                throw needsClasses(loss, d);
            }
            return d.targetCols();
        }
        if (k < 2) {
            throw new InvalidInputException(loss.cliName() + " needs at least 2 classes, but dataset '" + d.name()
                    + "' has " + k);
        }
        return loss == LossKind.LOGISTIC_CE && k == 2 ? 1 : k;
    }

    private static InvalidSettingException needsClasses(LossKind loss, Dataset d) {
        return InvalidSettingException.of(loss.cliName() + " needs class labels, but dataset '" + d.name()
                + "' has real-valued targets; use ", InvalidSettingException.setting("loss"), " mse for regression");
    }

    private static boolean wantsOneHot(LossKind loss, int k) {
        return switch (loss) {
            case SOFTMAX_CE -> false;
            case LOGISTIC_CE -> k > 2;
            case MSE -> true;
        };
    }

    private static Dataset sameTargets(Dataset d, int k) {
        return d.numClasses() == k ? d
                : new Dataset(d.name(), d.n(), d.featureDim(), d.features(), 1, d.targets(), k);
    }
}
