package io.ravine.backend;

/**
 * The closed set of operations everything above this package is written against: a loop (or a BLAS call) on the
 * CPU, a kernel (or cuBLAS) on CUDA. Operations are issued in order; those that return a scalar wait for it.
 * Shapes are checked by the caller's layer code and again here where a mistake would corrupt memory.
 */
public interface Backend extends AutoCloseable {

    /** "cpu" or "cuda". */
    String name();

    /** Human-readable device description for logs and summaries (e.g. the GPU's name). */
    String deviceDescription();

    DType dtype();

    /** A new zero-filled [rows, cols] tensor owned by the caller. */
    Tensor allocate(int rows, int cols);

    default Tensor allocateVector(int n) {
        return allocate(n, 1);
    }

    // ---- host transfers (rare: a batch in, a result out) ----

    void copyFromHost(float[] src, int srcOffset, Tensor dst);

    void copyFromHost(double[] src, int srcOffset, Tensor dst);

    void copyToHost(Tensor src, float[] dst, int dstOffset);

    /**
     * dst ← the batch {@code rows} (row i of dst is row {@code rows.rows()[rows.from() + i]} of the host array), of
     * exactly dst's length. A backend gathers straight into the memory its device reads (the pinned staging buffer
     * on CUDA, the tensor itself on the CPU), so a batch costs one host pass and one transfer. The default gathers
     * into a heap array and calls {@link #copyFromHost(float[], int, Tensor)}.
     */
    default void copyRowsFromHost(HostRows rows, Tensor dst) {
        rows.requireLength(dst.length());
        copyFromHost(rows.toArray(), 0, dst);
    }

    void copyToHost(Tensor src, double[] dst, int dstOffset);

    default float[] toFloatArray(Tensor t) {
        float[] out = new float[t.length()];
        copyToHost(t, out, 0);
        return out;
    }

    default double[] toDoubleArray(Tensor t) {
        double[] out = new double[t.length()];
        copyToHost(t, out, 0);
        return out;
    }

    // ---- elementwise and BLAS-1 ----

    void fill(Tensor x, double value);

    /** dst ← src (same length). */
    void copy(Tensor src, Tensor dst);

    /** y ← y + αx. */
    void axpy(double alpha, Tensor x, Tensor y);

    /** x ← αx. */
    void scale(double alpha, Tensor x);

    /** xᵀy, accumulated in double. */
    double dot(Tensor x, Tensor y);

    /** Σ x², accumulated in double. */
    double sumOfSquares(Tensor x);

    /** Σ x, accumulated in double. */
    double sum(Tensor x);

    // ---- layers ----

    /**
     * C ← α op(A) op(B) + β C, row-major, op(X) = Xᵀ when the flag is set. op(A) is [M, K], op(B) is [K, N],
     * C is [M, N].
     */
    void gemm(boolean transA, boolean transB, double alpha, Tensor a, Tensor b, double beta, Tensor c);

    /** out[i, j] ← φ(z[i, j] + bias[j]); {@code out} may be {@code z}. */
    void biasActivationForward(Tensor z, Tensor bias, Activation act, Tensor out);

    /** dz ← dOut ⊙ φ'(out), φ' from the stored outputs; {@code dz} may be {@code dOut}. */
    void activationBackward(Activation act, Tensor out, Tensor dOut, Tensor dz);

    /** sums[j] ← Σ_i x[i, j] (bias gradients). */
    void columnSum(Tensor x, Tensor sums);

    /**
     * Per-example loss of the scores {@code out} [B, K] against {@code target} ([B, 1] class indices for softmax CE,
     * else [B, K]) into {@code lossPerRow} [B, 1]; when {@code dOut} is not null, also dOut ← gradScale · ∂ℓ/∂out.
     * See {@link LossKind} for the formulas.
     */
    void lossForwardBackward(LossKind loss, Tensor out, Tensor target, Tensor lossPerRow, Tensor dOut,
            double gradScale);

    // ---- optimizers ----

    /**
     * One fused update of θ and the rule's state vectors; see {@link UpdateRule} for the formulas. Where
     * {@code p.clipNorm() > 0} the backend first computes ‖∇‖ and the clipping factor itself.
     *
     * <p><b>Guard.</b> The update is applied only if it is finite. Before touching θ the backend checks Σ∇² (in
     * double, so it is finite exactly when every gradient element is) and whether {@link #lossForwardBackward}, since
     * the previous update, produced a non-finite per-example loss while computing a gradient ({@code dOut} given).
     * If either is not finite, θ and the state are left as they were and the backend latches
     * {@code p.step()} as the {@link #refusedUpdate()}; once latched, every later update and {@link #emaUpdate} is
     * skipped too, until {@link #clearRefusedUpdate()}. The check runs on the device inside the step (and inside a
     * recorded {@link StepProgram}), so a diverging step is caught at that step without a host round trip, and a
     * NaN can never reach θ, the optimizer state or the iterate average.
     */
    void optimizerStep(UpdateRule rule, Tensor theta, Tensor grad, Tensor[] state, StepParams p);

    /** Iterate averaging: avg ← decay · avg + (1 − decay) · θ (skipped while an update is refused, see above). */
    void emaUpdate(Tensor avg, Tensor theta, double decay);

    /**
     * The first update the guard of {@link #optimizerStep} refused since the last {@link #clearRefusedUpdate()}, or
     * null. Waits for the work issued so far (one small device-to-host copy on CUDA).
     */
    RefusedUpdate refusedUpdate();

    /** Forgets a refused update and any pending non-finite loss, so updates are applied again (a new run). */
    void clearRefusedUpdate();

    /**
     * True where every operation has finished when its call returns (the CPU), so {@link #refusedUpdate()} and
     * scalar results cost nothing beyond their own arithmetic; false where operations are queued (CUDA), where a
     * caller should read them only at points where it synchronizes anyway.
     */
    default boolean completesOnReturn() {
        return false;
    }

    /**
     * Records the operations {@code body} issues, once, into a program that replays them (a CUDA graph), or returns
     * null where the backend has no such thing (the CPU). During recording, the {@link StepParams} passed to
     * {@link #optimizerStep} are read from a slot that each {@link StepProgram#replay} refills, so a learning-rate
     * schedule and bias corrections keep working under replay.
     */
    default StepProgram record(Runnable body) {
        return null;
    }

    /** Waits for everything issued so far. */
    void synchronize();

    @Override
    void close();
}
