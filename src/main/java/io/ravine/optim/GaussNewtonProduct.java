package io.ravine.optim;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.DType;
import io.ravine.backend.Tensor;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;

/**
 * Gauss-Newton-vector products G v = Jᵀ H_L J v of the mean loss over a batch of N rows (Schraudolph 2002, "Fast
 * curvature matrix-vector products"; Martens 2010 §4.2), J the Jacobian of the output scores in θ and H_L the
 * Hessian of the loss in the scores (with its output nonlinearity: softmax-ce diag(p) − ppᵀ, logistic-ce
 * diag(σ(1 − σ)), MSE I): positive semi-definite, as every loss here is convex in its scores.
 *
 * <p>Three passes, per product, over the batch:
 * <pre>
 *   J v    forward R-pass (Pearlmutter 1994, as {@code diagnose.HessianVectorProduct}'s R-operator):
 *            Rz_k = Ra_{k−1} W_kᵀ + a_{k−1} V_kᵀ + v_b,k   (Ra_{−1} = 0),   Ra_k = φ'(z_k) ⊙ Rz_k
 *   H_L    u = H_L Rz_L / N, row by row
 *   Jᵀ u   backprop of u: (Gv)_{W_k} = u_kᵀ a_{k−1}, (Gv)_{b_k} = Σ_rows u_k, u_{k−1} = (u_k W_k) ⊙ φ'(z_{k−1})
 * </pre>
 * This is the R-operator with the terms Gauss-Newton drops (δ_k V_k, δ_kᵀRa_{k−1}, e ⊙ φ''Rz) left out. The forward
 * R-pass and the backprop are exact and run as {@link Backend} ops (gemm, biasActivationForward,
 * activationBackward, columnSum) on every backend. H_L u:
 * <ul>
 *   <li>on the float64 CPU backend, exactly, from the formulas above (host arithmetic, as the R-operator's);</li>
 *   <li>elsewhere (float32, CUDA), by central differences of the loss's gradient in the scores,
 *       (∂ℓ/∂z(z + εu) − ∂ℓ/∂z(z − εu)) / 2ε through {@link Backend#lossForwardBackward}, with ε·‖u‖∞ =
 *       ε_mach^{1/3} (4.9e-3 in float32): exact but for rounding for MSE (its gradient is linear); for softmax and
 *       logistic the truncation error is O(ε²‖u‖²) ≈ 2e-5 relative, and rounding z ± εu costs |z|·ε_mach/(ε‖u‖∞),
 *       about 2e-5 per unit of |z|. Differencing only the loss in its K scores, never the network, keeps ReLU
 *       kinks out of it (J v is exact).</li>
 * </ul>
 * The forward pass at θ is done once by {@link #expandAt} (θ fixed while CG runs); each product then costs one
 * R-forward and one backward pass, about one gradient.
 *
 * <p><b>Batch normalization</b> ({@link Mlp#batchNorm()}): J is the Jacobian of the training-mode scores, the batch
 * normalized by its own statistics (what a Newton-CG step's loss is), in θ = (W, γ, β); the running statistics are
 * not touched. A BN layer, z = a_{k−1}W_kᵀ, x̂ = (z − μ)s, y = γx̂ + β, a = φ(y), means over the batch's rows:
 * <pre>
 *   J v    Rz = Ra_{k−1}W_kᵀ + a_{k−1}V_kᵀ,   Rx̂ = s(Rz − mean(Rz) − x̂·mean(x̂ ⊙ Rz)),
 *          Ry = γRx̂ + v_γx̂ + v_β,   Ra = φ'(y) ⊙ Ry
 *   Jᵀ u   (Gv)_γ = Σ_rows u_y x̂,   (Gv)_β = Σ_rows u_y,   u_z = γs(u_y − mean(u_y) − x̂·mean(u_y ⊙ x̂))
 * </pre>
 * BN's Jacobian ∂x̂/∂z is symmetric, so γRx̂ is BN's own backward applied to Rz, and u_z its backward of u_y: both
 * are {@link Backend#batchNormBackward} calls, and v_γx̂ + v_β a training-mode forward with (v_γ, v_β) in place of
 * (γ, β): backend ops on every backend, no host loop. There is no second-order term here (Gauss-Newton drops the
 * curvature of the network, BN's included).
 */
public final class GaussNewtonProduct implements CurvatureOperator, AutoCloseable {
    private final Model model;
    private final Mlp mlp;
    private final Backend backend;
    private final int capacity;
    private final boolean exactLossHessian;
    private final Tensor[] activations;
    private final Tensor[] rActivations;
    private final Tensor[] back;
    /** BN layers only (null elsewhere): z before normalization, the batch's mean and 1/σ, and scratch. */
    private final Tensor[] preNorm;
    private final Tensor[] saveMean;
    private final Tensor[] saveInvStd;
    private final Tensor[] scratch;
    private final Tensor scratchMean;
    private final Tensor scratchInvStd;
    private final Tensor scratchGamma;
    private final Tensor scratchBeta;
    private final Tensor zeroBias;
    private final Tensor scoresPlus;
    private final Tensor scoresMinus;
    private final Tensor gradMinus;
    private final Tensor lossPerRow;
    private final double[] hostA;
    private final double[] hostB;
    private final double[] hostC;
    private final double[] hostD;
    private Tensor input;
    private Tensor target;
    private int rows;

    /**
     * @param model the model (its θ is the expansion point at {@link #expandAt})
     * @param capacity the most rows a batch may have
     */
    public GaussNewtonProduct(Model model, int capacity) {
        this.model = model;
        this.mlp = model.mlp();
        this.backend = model.backend();
        this.capacity = capacity;
        this.exactLossHessian = backend.name().equals("cpu") && backend.dtype() == DType.F64;
        int layers = mlp.layerCount();
        activations = new Tensor[layers];
        rActivations = new Tensor[layers];
        back = new Tensor[layers];
        preNorm = new Tensor[layers];
        saveMean = new Tensor[layers];
        saveInvStd = new Tensor[layers];
        scratch = new Tensor[layers];
        int widest = 1;
        for (int k = 0; k < layers; k++) {
            activations[k] = backend.allocate(capacity, mlp.fanOut(k));
            rActivations[k] = backend.allocate(capacity, mlp.fanOut(k));
            back[k] = backend.allocate(capacity, mlp.fanOut(k));
            if (mlp.hasBatchNorm(k)) {
                preNorm[k] = backend.allocate(capacity, mlp.fanOut(k));
                saveMean[k] = backend.allocateVector(mlp.fanOut(k));
                saveInvStd[k] = backend.allocateVector(mlp.fanOut(k));
                scratch[k] = backend.allocate(capacity, mlp.fanOut(k));
            }
            widest = Math.max(widest, mlp.fanOut(k));
        }
        zeroBias = backend.allocateVector(widest);
        boolean bn = mlp.batchNorm();
        scratchMean = bn ? backend.allocateVector(widest) : null;
        scratchInvStd = bn ? backend.allocateVector(widest) : null;
        scratchGamma = bn ? backend.allocateVector(widest) : null;
        scratchBeta = bn ? backend.allocateVector(widest) : null;
        int k = mlp.outputDim();
        scoresPlus = backend.allocate(capacity, k);
        scoresMinus = backend.allocate(capacity, k);
        gradMinus = backend.allocate(capacity, k);
        lossPerRow = backend.allocateVector(capacity);
        int host = exactLossHessian ? capacity * k : 0;
        hostA = new double[host];
        hostB = new double[host];
        hostC = new double[host];
        hostD = new double[exactLossHessian ? k : 0];
    }

    /**
     * Fixes the batch and the expansion point: the forward pass at the current θ over {@code rows} rows of
     * {@code input} and {@code target} (device tensors, e.g. views of a workspace's loaded batch, which must keep
     * their values while products are taken).
     *
     * @param input [≥ rows, inputDim] features
     * @param target targets in the loss's layout
     * @param rows N, at most the capacity
     */
    public void expandAt(Tensor input, Tensor target, int rows) {
        if (rows <= 0 || rows > capacity) {
            throw new IllegalArgumentException("a curvature batch of " + rows + " rows, capacity " + capacity);
        }
        if (mlp.batchNorm() && rows < 2) {
            throw new IllegalArgumentException("a batch-norm curvature batch needs at least 2 rows, got " + rows);
        }
        this.input = input.firstRows(rows);
        this.target = target.firstRows(rows);
        this.rows = rows;
        Tensor a = this.input;
        for (int k = 0; k < mlp.layerCount(); k++) {
            Tensor out = activations[k].firstRows(rows);
            if (mlp.hasBatchNorm(k)) {
                Tensor z = preNorm[k].firstRows(rows);
                backend.gemm(false, true, 1.0, a, model.weight(k), 0.0, z);
                backend.batchNormTrainingForward(z, model.gamma(k), model.beta(k), Model.BN_EPS, mlp.activation(k),
                        out, saveMean[k], saveInvStd[k], null, null, Model.BN_MOMENTUM);
            } else {
                backend.gemm(false, true, 1.0, a, model.weight(k), 0.0, out);
                backend.biasActivationForward(out, model.bias(k), mlp.activation(k), out);
            }
            a = out;
        }
    }

    /** Layer k's γ-sized vector segment of {@code t} at {@code offset}. */
    private static Tensor segment(Tensor t, int offset, int n) {
        return t.view(offset, n, 1);
    }

    /** rz ← Ry = γRx̂ + v_γx̂ + v_β from rz = Rz, for BN layer k (see the class comment). */
    private void batchNormRForward(int k, Tensor v, Tensor rz) {
        int w = mlp.fanOut(k);
        Tensor z = preNorm[k].firstRows(rows);
        Tensor tmp = scratch[k].firstRows(rows);
        Tensor dg = scratchGamma.firstRows(w);
        Tensor db = scratchBeta.firstRows(w);
        // γRx̂: BN's backward of Rz (its Jacobian is symmetric).
        backend.batchNormBackward(z, model.gamma(k), saveMean[k], saveInvStd[k], rz, tmp, dg, db);
        // v_γx̂ + v_β: the normalization with (v_γ, v_β) as its affine parameters (same statistics, same bits).
        backend.batchNormTrainingForward(z, segment(v, mlp.gammaOffset(k), w), segment(v, mlp.betaOffset(k), w),
                Model.BN_EPS, Activation.IDENTITY, rz, scratchMean.firstRows(w), scratchInvStd.firstRows(w), null,
                null, Model.BN_MOMENTUM);
        backend.axpy(1.0, tmp, rz);
    }

    /**
     * out ← G v at the θ of the last {@link #expandAt} (θ must not have moved since).
     *
     * @param v the direction
     * @param out G v
     */
    @Override
    public void apply(Tensor v, Tensor out) {
        if (rows == 0) {
            throw new IllegalStateException("expandAt first");
        }
        int layers = mlp.layerCount();
        int last = layers - 1;
        for (int k = 0; k < layers; k++) {
            Tensor vw = v.view(mlp.weightOffset(k), mlp.fanOut(k), mlp.fanIn(k));
            Tensor rz = rActivations[k].firstRows(rows);
            Tensor prev = k == 0 ? input : activations[k - 1].firstRows(rows);
            backend.gemm(false, true, 1.0, prev, vw, 0.0, rz);
            if (k > 0) {
                backend.gemm(false, true, 1.0, rActivations[k - 1].firstRows(rows), model.weight(k), 1.0, rz);
            }
            if (mlp.hasBatchNorm(k)) {
                batchNormRForward(k, v, rz);
            } else {
                backend.biasActivationForward(rz, v.view(mlp.biasOffset(k), mlp.fanOut(k), 1), Activation.IDENTITY,
                        rz);
            }
            Activation act = mlp.activation(k);
            if (act != Activation.IDENTITY) {
                backend.activationBackward(act, activations[k].firstRows(rows), rz, rz);
            }
        }
        Tensor u = back[last].firstRows(rows);
        lossHessianTimes(activations[last].firstRows(rows), rActivations[last].firstRows(rows), u, 1.0 / rows);
        for (int k = last; k >= 0; k--) {
            Tensor prev = k == 0 ? input : activations[k - 1].firstRows(rows);
            if (mlp.hasBatchNorm(k)) {
                // u_y → u_z through BN's backward, (Gv)_γ and (Gv)_β on the way.
                int w = mlp.fanOut(k);
                backend.batchNormBackward(preNorm[k].firstRows(rows), model.gamma(k), saveMean[k], saveInvStd[k], u,
                        u, segment(out, mlp.gammaOffset(k), w), segment(out, mlp.betaOffset(k), w));
            }
            backend.gemm(true, false, 1.0, u, prev, 0.0, out.view(mlp.weightOffset(k), mlp.fanOut(k), mlp.fanIn(k)));
            if (!mlp.hasBatchNorm(k)) {
                backend.columnSum(u, out.view(mlp.biasOffset(k), mlp.fanOut(k), 1));
            }
            if (k > 0) {
                Tensor below = back[k - 1].firstRows(rows);
                backend.gemm(false, false, 1.0, u, model.weight(k), 0.0, below);
                backend.activationBackward(mlp.activation(k - 1), activations[k - 1].firstRows(rows), below, below);
                u = below;
            }
        }
    }

    /** out ← scale · H_L(z) rz, row by row; see the class comment for the two ways. */
    private void lossHessianTimes(Tensor z, Tensor rz, Tensor out, double scale) {
        if (exactLossHessian) {
            exactLossHessianTimes(z, rz, out, scale);
            return;
        }
        double uMax = backend.maxAbs(rz);
        if (uMax == 0 || !Double.isFinite(uMax)) {
            backend.fill(out, uMax == 0 ? 0.0 : Double.NaN);
            return;
        }
        double machine = backend.dtype() == DType.F32 ? Math.ulp(1.0f) : Math.ulp(1.0);
        double eps = Math.cbrt(machine) / uMax;
        Tensor plus = scoresPlus.firstRows(rows);
        Tensor minus = scoresMinus.firstRows(rows);
        backend.copy(z, plus);
        backend.axpy(eps, rz, plus);
        backend.copy(z, minus);
        backend.axpy(-eps, rz, minus);
        Tensor lossRows = lossPerRow.firstRows(rows);
        Tensor gm = gradMinus.firstRows(rows);
        backend.lossForwardBackward(mlp.loss(), plus, target, lossRows, out, scale / (2 * eps));
        backend.lossForwardBackward(mlp.loss(), minus, target, lossRows, gm, scale / (2 * eps));
        backend.axpy(-1.0, gm, out);
    }

    private void exactLossHessianTimes(Tensor scores, Tensor rz, Tensor out, double scale) {
        int k = scores.cols();
        backend.copyToHost(scores, hostA, 0);
        backend.copyToHost(rz, hostB, 0);
        io.ravine.nn.LossHessian.times(mlp.loss(), hostA, hostB, hostC, rows, k, scale, hostD);
        backend.copyFromHost(hostC, 0, out);
    }

    @Override
    public void close() {
        for (int k = 0; k < activations.length; k++) {
            activations[k].close();
            rActivations[k].close();
            back[k].close();
            if (preNorm[k] != null) {
                preNorm[k].close();
                saveMean[k].close();
                saveInvStd[k].close();
                scratch[k].close();
            }
        }
        if (scratchMean != null) {
            scratchMean.close();
            scratchInvStd.close();
            scratchGamma.close();
            scratchBeta.close();
        }
        zeroBias.close();
        scoresPlus.close();
        scoresMinus.close();
        gradMinus.close();
        lossPerRow.close();
    }
}
