package io.ravine.train;

import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import io.ravine.data.Dataset;
import io.ravine.nn.Model;

/**
 * Loss and accuracy of a model's current θ over a data set, in chunks of a workspace's capacity. The class of an
 * example is read back from its encoded target (index, one-hot row, or 0/1 for binary logistic), and the prediction
 * is the arg-max score (or z &gt; 0 for one logistic output).
 */
final class Evaluator {
    private Evaluator() {
    }

    static Evaluation evaluate(Model model, Dataset data, int capacity) {
        return evaluate(model, data, capacity, null);
    }

    /**
     * As {@link #evaluate(Model, Dataset, int)}, also counting each example into {@code confusion[label][predicted]}
     * (a K × K matrix, K = the data's number of classes) when it is not null.
     */
    static Evaluation evaluate(Model model, Dataset data, int capacity, int[][] confusion) {
        return evaluate(model, data, capacity, confusion, false);
    }

    /**
     * Mean loss and accuracy as training sees them: with batch norm, the whole data set is one batch normalized by
     * its own statistics (the running statistics are neither used nor changed); without batch norm the same as
     * {@link #evaluate(Model, Dataset, int)}.
     */
    static Evaluation evaluateTraining(Model model, Dataset data, int capacity) {
        boolean whole = model.mlp().batchNorm();
        return evaluate(model, data, whole ? data.n() : capacity, null, whole);
    }

    private static Evaluation evaluate(Model model, Dataset data, int capacity, int[][] confusion,
            boolean training) {
        Backend backend = model.backend();
        Model.Workspace ws = model.workspace(capacity);
        int in = data.featureDim();
        int tc = data.targetCols();
        int k = model.mlp().outputDim();
        boolean classify = data.numClasses() > 0;
        float[] out = new float[capacity * k];
        double lossSum = 0;
        long correct = 0;
        for (int start = 0; start < data.n(); start += capacity) {
            int rows = Math.min(capacity, data.n() - start);
            backend.copyFromHost(data.features(), start * in, ws.input().firstRows(rows));
            backend.copyFromHost(data.targets(), start * tc, ws.target().firstRows(rows));
            Tensor scores = training ? model.evaluateTraining(ws, rows) : model.evaluate(ws, rows);
            lossSum += backend.sum(ws.lossPerRow().firstRows(rows));
            if (classify) {
                backend.copyToHost(scores, out, 0);
                for (int r = 0; r < rows; r++) {
                    int predicted = predicted(out, r, k);
                    int label = label(data.targets(), start + r, tc);
                    if (predicted == label) {
                        correct++;
                    }
                    if (confusion != null) {
                        confusion[label][predicted]++;
                    }
                }
            }
        }
        return new Evaluation(lossSum / data.n(), classify ? (double) correct / data.n() : Double.NaN);
    }

    /** The class of row {@code row} of [*, k] scores: the arg-max (lowest index on ties), or z &gt; 0 when k = 1. */
    static int predicted(float[] scores, int row, int k) {
        if (k == 1) {
            return scores[row] > 0 ? 1 : 0;
        }
        int best = 0;
        for (int j = 1; j < k; j++) {
            if (scores[row * k + j] > scores[row * k + best]) {
                best = j;
            }
        }
        return best;
    }

    private static int label(float[] targets, int row, int tc) {
        if (tc == 1) {
            return Math.round(targets[row]);
        }
        int best = 0;
        for (int j = 1; j < tc; j++) {
            if (targets[row * tc + j] > targets[row * tc + best]) {
                best = j;
            }
        }
        return best;
    }
}
