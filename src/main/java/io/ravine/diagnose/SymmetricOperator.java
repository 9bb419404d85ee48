package io.ravine.diagnose;

import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;

/**
 * A symmetric linear map on flat vectors of one backend, known only through its products (optax's
 * {@code power_iteration} takes a matrix-vector function the same way): the Hessian of a model's loss, a test's
 * explicit matrix.
 */
public interface SymmetricOperator {
    Backend backend();

    /** The length of the vectors it maps. */
    int dimension();

    /** out ← A v; {@code out} and {@code v} are distinct [dimension, 1] tensors of {@link #backend()}. */
    void apply(Tensor v, Tensor out);
}
