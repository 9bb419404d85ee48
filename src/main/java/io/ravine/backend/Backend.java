package io.ravine.backend;

/**
 * The closed set of operations everything above this package is written against: a loop (or a BLAS call) on the
 * CPU, a kernel (or cuBLAS) on CUDA. Operations are issued in order; those that return a scalar wait for it.
 * Shapes are checked by the caller's layer code and again here where a mistake would corrupt memory.
 */
public interface Backend extends AutoCloseable {

    /**
     * The backend's kind.
     *
     * @return "cpu" or "cuda"
     */
    String name();

    /**
     * Human-readable device description for logs and summaries (e.g. the GPU's name, the CPU's thread counts).
     *
     * @return one line
     */
    String deviceDescription();

    /**
     * The element type of this backend's tensors.
     *
     * @return F32 (training) or F64 (the CPU's finite-difference checks)
     */
    DType dtype();

    /**
     * A new zero-filled [rows, cols] tensor owned by the caller.
     *
     * @param rows rows
     * @param cols columns
     * @return the tensor; close it to free its memory
     */
    Tensor allocate(int rows, int cols);

    /**
     * A new zero-filled vector [n, 1] owned by the caller.
     *
     * @param n elements
     * @return the tensor
     */
    default Tensor allocateVector(int n) {
        return allocate(n, 1);
    }

    // ---- host transfers (rare: a batch in, a result out) ----

    /**
     * dst ← {@code src[srcOffset .. srcOffset + dst.length())}, rounded to the backend's type.
     *
     * @param src host values
     * @param srcOffset the first value to copy
     * @param dst the tensor to fill
     */
    void copyFromHost(float[] src, int srcOffset, Tensor dst);

    /**
     * As {@link #copyFromHost(float[], int, Tensor)}, from doubles.
     *
     * @param src host values
     * @param srcOffset the first value to copy
     * @param dst the tensor to fill
     */
    void copyFromHost(double[] src, int srcOffset, Tensor dst);

    /**
     * {@code dst[dstOffset ..]} ← src, all of it (waits for the work that writes src).
     *
     * @param src the tensor to read
     * @param dst host array
     * @param dstOffset where the first value goes
     */
    void copyToHost(Tensor src, float[] dst, int dstOffset);

    /**
     * dst ← the batch {@code rows} (row i of dst is row {@code rows.rows()[rows.from() + i]} of the host array), of
     * exactly dst's length. A backend gathers straight into the memory its device reads (the pinned staging buffer
     * on CUDA, the tensor itself on the CPU), so a batch costs one host pass and one transfer. The default gathers
     * into a heap array and calls {@link #copyFromHost(float[], int, Tensor)}.
     *
     * @param rows the host rows to gather
     * @param dst the tensor to fill
     */
    default void copyRowsFromHost(HostRows rows, Tensor dst) {
        rows.requireLength(dst.length());
        copyFromHost(rows.toArray(), 0, dst);
    }

    /**
     * As {@link #copyToHost(Tensor, float[], int)}, into doubles.
     *
     * @param src the tensor to read
     * @param dst host array
     * @param dstOffset where the first value goes
     */
    void copyToHost(Tensor src, double[] dst, int dstOffset);

    /**
     * The tensor's values on the host, as floats.
     *
     * @param t the tensor
     * @return a new array of {@code t.length()} values
     */
    default float[] toFloatArray(Tensor t) {
        float[] out = new float[t.length()];
        copyToHost(t, out, 0);
        return out;
    }

    /**
     * The tensor's values on the host, as doubles.
     *
     * @param t the tensor
     * @return a new array of {@code t.length()} values
     */
    default double[] toDoubleArray(Tensor t) {
        double[] out = new double[t.length()];
        copyToHost(t, out, 0);
        return out;
    }

    // ---- elementwise and BLAS-1 ----

    /**
     * x ← value everywhere.
     *
     * @param x the tensor
     * @param value the value
     */
    void fill(Tensor x, double value);

    /**
     * dst ← src (same length).
     *
     * @param src the source
     * @param dst the destination
     */
    void copy(Tensor src, Tensor dst);

    /**
     * y ← y + αx.
     *
     * @param alpha α
     * @param x x
     * @param y y, updated in place
     */
    void axpy(double alpha, Tensor x, Tensor y);

    /**
     * x ← αx.
     *
     * @param alpha α
     * @param x x, updated in place
     */
    void scale(double alpha, Tensor x);

    /**
     * xᵀy, accumulated in double (waits for the device).
     *
     * @param x x
     * @param y y, of x's length
     * @return the dot product
     */
    double dot(Tensor x, Tensor y);

    /**
     * Σ x², accumulated in double (waits for the device).
     *
     * @param x x
     * @return the sum of squares
     */
    double sumOfSquares(Tensor x);

    /**
     * Σ x, accumulated in double (waits for the device).
     *
     * @param x x
     * @return the sum
     */
    double sum(Tensor x);

    /**
     * Σ |x| (the L1 norm), accumulated in double (waits for the device). L-BFGS's first step length,
     * min(1, 1/‖g‖₁)·lr, as torch.optim.LBFGS takes it.
     *
     * @param x x
     * @return the sum of absolute values
     */
    double sumOfAbs(Tensor x);

    /**
     * max |x| (the L∞ norm), NaN when any element is NaN, 0 for an empty x (waits for the device). L-BFGS's
     * tolerance tests on the gradient and on the step.
     *
     * @param x x
     * @return the largest absolute value
     */
    double maxAbs(Tensor x);

    // ---- layers ----

    /**
     * C ← α op(A) op(B) + β C, row-major, op(X) = Xᵀ when the flag is set. op(A) is [M, K], op(B) is [K, N],
     * C is [M, N].
     *
     * @param transA use Aᵀ
     * @param transB use Bᵀ
     * @param alpha α
     * @param a A
     * @param b B
     * @param beta β (0: C's old values are not read)
     * @param c C, updated in place
     */
    void gemm(boolean transA, boolean transB, double alpha, Tensor a, Tensor b, double beta, Tensor c);

    /**
     * out[i, j] ← φ(z[i, j] + bias[j]); {@code out} may be {@code z}.
     *
     * @param z pre-activations [B, N]
     * @param bias [N]
     * @param act φ
     * @param out [B, N]
     */
    void biasActivationForward(Tensor z, Tensor bias, Activation act, Tensor out);

    /**
     * dz ← dOut ⊙ φ'(out), φ' from the stored outputs; {@code dz} may be {@code dOut}.
     *
     * @param act φ
     * @param out the forward pass's outputs φ(z)
     * @param dOut ∂ℓ/∂out
     * @param dz ∂ℓ/∂z
     */
    void activationBackward(Activation act, Tensor out, Tensor dOut, Tensor dz);

    /**
     * sums[j] ← Σ_i x[i, j] (bias gradients).
     *
     * @param x [B, N]
     * @param sums [N]
     */
    void columnSum(Tensor x, Tensor sums);

    /**
     * Batch normalization in training mode (Ioffe &amp; Szegedy 2015, Alg. 1), fused with the activation, over the
     * B rows of z [B, N], per column j: μ_j = (1/B) Σ_i z[i, j], σ²_j = (1/B) Σ_i (z[i, j] − μ_j)² (the biased
     * variance, as PyTorch normalizes with), r_j = 1/√(σ²_j + ε), and
     * out[i, j] ← φ(γ_j (z[i, j] − μ_j) r_j + β_j). μ and r are written to {@code saveMean} and {@code saveInvStd}
     * for {@link #batchNormBackward}. Where {@code runningMean} is given, the running statistics follow PyTorch's
     * BatchNorm1d: runningMean ← (1 − m)·runningMean + m·μ, runningVar ← (1 − m)·runningVar + m·σ²·B/(B − 1) (the
     * unbiased variance). The per-column sums are accumulated in double in a fixed order (no float atomics), so the
     * same inputs give the same bits. {@code out} may be {@code z}.
     *
     * @param z pre-normalization values [B, N], B ≥ 2
     * @param gamma γ [N]
     * @param beta β [N]
     * @param eps ε
     * @param act φ
     * @param out [B, N]
     * @param saveMean μ [N], written
     * @param saveInvStd r [N], written
     * @param runningMean [N], updated in place; null leaves the running statistics alone (diagnostics)
     * @param runningVar [N], updated in place with runningMean
     * @param momentum m (PyTorch's 0.1)
     */
    void batchNormTrainingForward(Tensor z, Tensor gamma, Tensor beta, double eps, Activation act, Tensor out,
            Tensor saveMean, Tensor saveInvStd, Tensor runningMean, Tensor runningVar, double momentum);

    /**
     * Batch normalization in evaluation mode, fused with the activation: out[i, j] ←
     * φ(γ_j (z[i, j] − runningMean_j) / √(runningVar_j + ε) + β_j) (PyTorch's {@code model.eval()}). Elementwise;
     * {@code out} may be {@code z}.
     *
     * @param z [B, N]
     * @param gamma γ [N]
     * @param beta β [N]
     * @param runningMean [N]
     * @param runningVar [N]
     * @param eps ε
     * @param act φ
     * @param out [B, N]
     */
    void batchNormEvaluationForward(Tensor z, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
            double eps, Activation act, Tensor out);

    /**
     * The backward pass of {@link #batchNormTrainingForward} from dy = ∂ℓ/∂y, y = γx̂ + β the normalized output
     * before the activation, x̂ = (z − μ)r: per column dβ_j = Σ_i dy[i, j], dγ_j = Σ_i dy[i, j] x̂[i, j] (double,
     * fixed order), and dz[i, j] ← γ_j r_j (dy[i, j] − dβ_j/B − x̂[i, j] dγ_j/B), the standard BN backward (every
     * example's z moves μ and σ²). {@code dz} may be {@code dy}.
     *
     * @param z the forward pass's input [B, N]
     * @param gamma γ [N]
     * @param saveMean μ from the forward pass [N]
     * @param saveInvStd r from the forward pass [N]
     * @param dy ∂ℓ/∂y [B, N]
     * @param dz ∂ℓ/∂z [B, N], written
     * @param dGamma ∂ℓ/∂γ [N], written
     * @param dBeta ∂ℓ/∂β [N], written
     */
    void batchNormBackward(Tensor z, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dy, Tensor dz,
            Tensor dGamma, Tensor dBeta);

    /**
     * Per-example loss of the scores {@code out} [B, K] against {@code target} ([B, 1] class indices for softmax CE,
     * else [B, K]) into {@code lossPerRow} [B, 1]; when {@code dOut} is not null, also dOut ← gradScale · ∂ℓ/∂out.
     * See {@link LossKind} for the formulas.
     *
     * @param loss the loss
     * @param out scores [B, K]
     * @param target targets
     * @param lossPerRow per-example losses [B, 1]
     * @param dOut the gradient's destination [B, K], or null for the loss alone
     * @param gradScale the gradient's factor (1/B for a mean)
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
     *
     * @param rule the update rule
     * @param theta θ, updated in place
     * @param grad ∇
     * @param state the rule's state vectors, updated in place
     * @param p the step's scalars
     */
    void optimizerStep(UpdateRule rule, Tensor theta, Tensor grad, Tensor[] state, StepParams p);

    /**
     * Iterate averaging: avg ← decay · avg + (1 − decay) · θ (skipped while an update is refused, see above).
     *
     * @param avg θ̃, updated in place
     * @param theta θ
     * @param decay the decay, 1 − 1/τ
     */
    void emaUpdate(Tensor avg, Tensor theta, double decay);

    /**
     * The first update the guard of {@link #optimizerStep} refused since the last {@link #clearRefusedUpdate()}, or
     * null. Waits for the work issued so far (one small device-to-host copy on CUDA).
     *
     * @return the refusal, or null
     */
    RefusedUpdate refusedUpdate();

    /** Forgets a refused update and any pending non-finite loss, so updates are applied again (a new run). */
    void clearRefusedUpdate();

    /**
     * True where every operation has finished when its call returns (the CPU), so {@link #refusedUpdate()} and
     * scalar results cost nothing beyond their own arithmetic; false where operations are queued (CUDA), where a
     * caller should read them only at points where it synchronizes anyway.
     *
     * @return whether calls complete before they return
     */
    default boolean completesOnReturn() {
        return false;
    }

    /**
     * Records the operations {@code body} issues, once, into a program that replays them (a CUDA graph), or returns
     * null where the backend has no such thing (the CPU). During recording, the {@link StepParams} passed to
     * {@link #optimizerStep} are read from a slot that each {@link StepProgram#replay} refills, so a learning-rate
     * schedule and bias corrections keep working under replay.
     *
     * @param body the operations of one step
     * @return the program, or null
     */
    default StepProgram record(Runnable body) {
        return null;
    }

    /** Waits for everything issued so far. */
    void synchronize();

    /** Frees what the backend holds (its context, streams and pools on CUDA). */
    @Override
    void close();
}
