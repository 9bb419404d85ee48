package io.ravine.backend;

/**
 * The operand shapes each {@link Backend} operation requires, checked in one place for every backend. A mismatch is
 * a bug in the caller's layer code (a kernel or BLAS call would read or write past a buffer), so each check throws
 * {@link IllegalArgumentException} naming the shapes.
 */
public final class OperandShapes {
    private OperandShapes() {
    }

    /** The sizes of C ← α op(A) op(B) + β C: op(A) is [m, k], op(B) is [k, n], C is [m, n]. */
    public record Gemm(int m, int n, int k) {
    }

    /**
     * The sizes of a {@link Backend#gemm} with these operands, which must agree.
     *
     * @param transA use Aᵀ
     * @param transB use Bᵀ
     * @param a A
     * @param b B
     * @param c C
     * @return M, N and K
     */
    public static Gemm gemm(boolean transA, boolean transB, Tensor a, Tensor b, Tensor c) {
        int m = transA ? a.cols() : a.rows();
        int k = transA ? a.rows() : a.cols();
        int kb = transB ? b.cols() : b.rows();
        int n = transB ? b.rows() : b.cols();
        if (k != kb || c.rows() != m || c.cols() != n) {
            throw new IllegalArgumentException("gemm shapes: op(A) " + m + "x" + k + ", op(B) " + kb + "x" + n
                    + ", C " + c.rows() + "x" + c.cols());
        }
        return new Gemm(m, n, k);
    }

    /**
     * {@link Backend#biasActivationForward}: out as long as z, one bias per column of z.
     *
     * @param z [B, N]
     * @param bias [N]
     * @param out [B, N]
     */
    public static void biasActivation(Tensor z, Tensor bias, Tensor out) {
        Tensor.requireSameLength(z, out);
        if (bias.length() != z.cols()) {
            throw new IllegalArgumentException("bias " + bias + " does not match " + z);
        }
    }

    /**
     * {@link Backend#columnSum}: one sum per column of x.
     *
     * @param x [B, N]
     * @param sums [N]
     */
    public static void columnSum(Tensor x, Tensor sums) {
        if (sums.length() != x.cols()) {
            throw new IllegalArgumentException("column sums " + sums + " do not match " + x);
        }
    }

    /**
     * The batch-norm operations: z [B, N] (B ≥ 2 in training mode, where the unbiased variance needs two rows),
     * every other tensor given either [B, N] like z or one value per column.
     *
     * @param training whether batch statistics are computed (B ≥ 2)
     * @param z [B, N]
     * @param sameAsZ tensors shaped like z (null entries skipped)
     * @param perColumn tensors of N values (null entries skipped)
     */
    public static void batchNorm(boolean training, Tensor z, Tensor[] sameAsZ, Tensor[] perColumn) {
        if (training && z.rows() < 2) {
            throw new IllegalArgumentException("batch norm in training mode needs at least 2 rows (the variance of"
                    + " one example is undefined), got " + z);
        }
        for (Tensor t : sameAsZ) {
            if (t != null && (t.rows() != z.rows() || t.cols() != z.cols())) {
                throw new IllegalArgumentException("batch norm: " + t + " does not match " + z);
            }
        }
        for (Tensor t : perColumn) {
            if (t != null && t.length() != z.cols()) {
                throw new IllegalArgumentException("batch norm: " + t + " is not one value per column of " + z);
            }
        }
    }

    /**
     * {@link Backend#lossForwardBackward}: target [B, 1] (class indices) or [B, K], one loss per row, and dOut (when
     * given) shaped like the scores.
     *
     * @param loss the loss
     * @param out scores [B, K]
     * @param target targets
     * @param lossPerRow [B, 1]
     * @param dOut [B, K], or null
     */
    public static void loss(LossKind loss, Tensor out, Tensor target, Tensor lossPerRow, Tensor dOut) {
        int rows = out.rows();
        int cols = out.cols();
        int targetCols = loss.classIndexTarget() ? 1 : cols;
        if (target.rows() != rows || target.cols() != targetCols || lossPerRow.length() != rows
                || (dOut != null && (dOut.rows() != rows || dOut.cols() != cols))) {
            throw new IllegalArgumentException("loss shapes: out " + out + ", target " + target + ", loss "
                    + lossPerRow + ", dOut " + dOut);
        }
    }

    /**
     * {@link Backend#optimizerStep}: θ, the gradient and the rule's state vectors, all of one length.
     *
     * @param rule the rule
     * @param theta θ
     * @param grad ∇
     * @param state the rule's state vectors
     */
    public static void optimizerStep(UpdateRule rule, Tensor theta, Tensor grad, Tensor[] state) {
        if (rule.closureBased()) {
            throw new IllegalArgumentException(rule.cliName() + " has no fused update: it re-evaluates the loss at"
                    + " trial points (io.ravine.optim.Lbfgs, io.ravine.optim.NewtonCg)");
        }
        Tensor.requireSameLength(theta, grad);
        if (state.length != rule.stateCount()) {
            throw new IllegalArgumentException(rule + " needs " + rule.stateCount() + " state vectors");
        }
        for (Tensor s : state) {
            Tensor.requireSameLength(theta, s);
        }
    }
}
