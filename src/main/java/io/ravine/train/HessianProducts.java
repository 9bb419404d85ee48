package io.ravine.train;

import io.ravine.data.Dataset;
import io.ravine.nn.Model;
import io.ravine.optim.CurvatureOperator;

/**
 * Exact-Hessian products for {@code newton-cg --curvature hessian}, found through {@link java.util.ServiceLoader}:
 * the Hessian-vector product lives in {@code io.ravine.diagnose} (the R-operator in float64, central differences in
 * float32), above training, so training reaches it as it reaches the HTML report ({@link RunReporter}).
 */
public interface HessianProducts {

    /**
     * H·v of the mean loss over {@code subset} at the model's current θ.
     *
     * @param model the model
     * @param subset the curvature mini-batch (normalized, encoded)
     * @param capacity rows per chunk
     * @return the operator; closing it frees its buffers
     */
    Operator open(Model model, Dataset subset, int capacity);

    /** A curvature operator that owns buffers. */
    interface Operator extends CurvatureOperator, AutoCloseable {
        @Override
        void close();
    }
}
