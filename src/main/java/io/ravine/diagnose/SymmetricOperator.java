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

    /**
     * The rounding noise of a product relative to ‖A‖‖v‖: eigenvalues smaller than this times ‖A‖ cannot be told
     * from 0. By default that of an explicit product in the backend's dtype with margin for its sums: 1e-6 in
     * float32 (ε_f32 ≈ 1.2e-7 times a few), 1e-12 in float64; {@link HessianVectorProduct} derives its own.
     */
    default double relativeFloor() {
        return backend().dtype() == io.ravine.backend.DType.F32 ? 1e-6 : 1e-12;
    }
}
