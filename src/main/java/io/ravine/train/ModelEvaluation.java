package io.ravine.train;

import java.util.Arrays;

/**
 * How a {@link TrainedModel} does on a data set: the mean loss, the accuracy and the confusion matrix.
 *
 * @param examples the number of examples evaluated
 * @param loss the mean loss per example (the loss the model was trained with)
 * @param accuracy the share of examples whose predicted class is their label; NaN for real targets
 * @param confusionMatrix {@code confusionMatrix[label][predicted]}: how many examples of each class were predicted as
 *     each class (K × K, its entries summing to {@code examples}); empty (0 × 0) for real targets
 */
public record ModelEvaluation(int examples, double loss, double accuracy, int[][] confusionMatrix) {

    /**
     * Keeps a copy of the matrix.
     *
     * @param examples the number of examples evaluated
     * @param loss the mean loss per example (the loss the model was trained with)
     * @param accuracy the share of examples whose predicted class is their label; NaN for real targets
     * @param confusionMatrix {@code confusionMatrix[label][predicted]}: how many examples of each class were
     *     predicted as each class (K × K, its entries summing to {@code examples}); empty (0 × 0) for real targets
     * @throws IllegalArgumentException if the matrix is not square
     */
    public ModelEvaluation {
        confusionMatrix = copy(confusionMatrix == null ? new int[0][0] : confusionMatrix);
        for (int[] row : confusionMatrix) {
            if (row.length != confusionMatrix.length) {
                throw new IllegalArgumentException("a confusion matrix is K × K, got a row of " + row.length
                        + " in " + confusionMatrix.length + " rows");
            }
        }
    }

    /**
     * The confusion matrix (a copy).
     *
     * @return {@code [label][predicted]} counts
     */
    @Override
    public int[][] confusionMatrix() {
        return copy(confusionMatrix);
    }

    /**
     * The number of classes K (0 for real targets).
     *
     * @return K
     */
    public int numClasses() {
        return confusionMatrix.length;
    }

    /**
     * Of the examples of class {@code k}, the share predicted as {@code k}; NaN where the data has none of them.
     *
     * @param k a class, 0 ≤ k &lt; K
     * @return the recall of class k
     */
    public double recall(int k) {
        long total = Arrays.stream(confusionMatrix[k]).asLongStream().sum();
        return total == 0 ? Double.NaN : (double) confusionMatrix[k][k] / total;
    }

    /**
     * Of the examples predicted as class {@code k}, the share that are of class {@code k}; NaN where none was.
     *
     * @param k a class, 0 ≤ k &lt; K
     * @return the precision of class k
     */
    public double precision(int k) {
        long total = 0;
        for (int[] row : confusionMatrix) {
            total += row[k];
        }
        return total == 0 ? Double.NaN : (double) confusionMatrix[k][k] / total;
    }

    private static int[][] copy(int[][] m) {
        int[][] out = new int[m.length][];
        for (int i = 0; i < m.length; i++) {
            out[i] = m[i].clone();
        }
        return out;
    }

    /** Records compare arrays by identity; two evaluations are equal when every number is. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ModelEvaluation e && examples == e.examples && Double.compare(loss, e.loss) == 0
                && Double.compare(accuracy, e.accuracy) == 0 && Arrays.deepEquals(confusionMatrix, e.confusionMatrix);
    }

    @Override
    public int hashCode() {
        return Arrays.deepHashCode(confusionMatrix) * 31 + Double.hashCode(loss);
    }

    @Override
    public String toString() {
        return "ModelEvaluation[examples=" + examples + ", loss=" + loss + ", accuracy=" + accuracy
                + ", confusionMatrix=" + Arrays.deepToString(confusionMatrix) + "]";
    }
}
