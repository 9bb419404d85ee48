package io.ravine.nn;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.HostRows;
import io.ravine.backend.LossKind;
import io.ravine.backend.Tensor;

/**
 * An {@link Mlp} on a backend: one flat parameter buffer θ, one gradient buffer of the same length, the layers'
 * weights and biases as views into them, and a {@link Workspace} of activation buffers sized for one batch
 * capacity (allocated once; a smaller batch uses the first rows).
 *
 * <p>Forward, for layer k with input a_{k−1} [n, in] and weight W_k [out, in]:
 * z_k = a_{k−1} W_kᵀ + b_k, a_k = φ_k(z_k) (bias and activation fused, in place).
 * Backward, from δ_L = ∂ℓ/∂z_L / n (fused into the loss):
 * ∂W_k = δ_kᵀ a_{k−1}, ∂b_k = Σ_rows δ_k, δ_{k−1} = (δ_k W_k) ⊙ φ'(a_{k−1}).
 *
 * <p><b>Batch normalization</b> ({@link Mlp#batchNorm()}): a hidden layer computes z_k = a_{k−1} W_kᵀ (kept in the
 * workspace), then a_k = φ(BN(z_k)) in one fused operation. Two modes, as PyTorch's {@code train()}/{@code eval()}:
 * <ul>
 *   <li>training ({@link #computeGradient}, {@link #evaluateTraining}): BN uses the batch's own mean and biased
 *       variance, and the gradient flows through them (every example's output depends on the whole batch); the
 *       training step also updates the running statistics ({@link #BN_MOMENTUM}, unbiased variance) and counts the
 *       batch ({@link #batchesTracked()});</li>
 *   <li>evaluation ({@link #forward}, {@link #evaluate}: test loss, the monitoring loss, predict, evaluate): BN uses
 *       the running statistics, so an example's output depends on it alone.</li>
 * </ul>
 * The running statistics are buffers of this model, not part of θ: the optimizer, gradient norm and curvature see
 * γ and β (in θ) only.
 */
public final class Model implements AutoCloseable {
    private final Mlp mlp;
    private final Backend backend;
    private final Tensor theta;
    private final Tensor gradient;
    private final Tensor[] weights;
    private final Tensor[] biases;
    private final Tensor[] weightGrads;
    private final Tensor[] biasGrads;
    /** BN layers only (null entries elsewhere): γ, β, their gradients, running mean and variance. */
    private final Tensor[] gammas;
    private final Tensor[] betas;
    private final Tensor[] gammaGrads;
    private final Tensor[] betaGrads;
    private final Tensor[] runningMeans;
    private final Tensor[] runningVars;
    private long batchesTracked;
    private final java.util.Map<Integer, Workspace> workspaces = new java.util.HashMap<>();

    /** PyTorch's BatchNorm1d default momentum of the running statistics. */
    public static final double BN_MOMENTUM = 0.1;
    /** PyTorch's BatchNorm1d default ε added to the variance. */
    public static final double BN_EPS = 1e-5;

    /**
     * Allocates θ and its gradient (zeros) for {@code mlp} on {@code backend}.
     *
     * @param backend where the model lives
     * @param mlp the architecture
     */
    public Model(Backend backend, Mlp mlp) {
        this.backend = backend;
        this.mlp = mlp;
        int p = mlp.parameterCount();
        theta = backend.allocateVector(p);
        gradient = backend.allocateVector(p);
        int layers = mlp.layerCount();
        weights = new Tensor[layers];
        biases = new Tensor[layers];
        weightGrads = new Tensor[layers];
        biasGrads = new Tensor[layers];
        gammas = new Tensor[layers];
        betas = new Tensor[layers];
        gammaGrads = new Tensor[layers];
        betaGrads = new Tensor[layers];
        runningMeans = new Tensor[layers];
        runningVars = new Tensor[layers];
        for (int k = 0; k < layers; k++) {
            int in = mlp.fanIn(k);
            int out = mlp.fanOut(k);
            weights[k] = theta.view(mlp.weightOffset(k), out, in);
            weightGrads[k] = gradient.view(mlp.weightOffset(k), out, in);
            if (mlp.hasBatchNorm(k)) {
                gammas[k] = theta.view(mlp.gammaOffset(k), out, 1);
                betas[k] = theta.view(mlp.betaOffset(k), out, 1);
                gammaGrads[k] = gradient.view(mlp.gammaOffset(k), out, 1);
                betaGrads[k] = gradient.view(mlp.betaOffset(k), out, 1);
                runningMeans[k] = backend.allocateVector(out);
                runningVars[k] = backend.allocateVector(out);
            } else {
                biases[k] = theta.view(mlp.biasOffset(k), out, 1);
                biasGrads[k] = gradient.view(mlp.biasOffset(k), out, 1);
            }
        }
        resetBatchNormStatistics();
    }

    /** Running mean 0, running variance 1, no batch tracked: PyTorch's BatchNorm1d at construction. */
    public void resetBatchNormStatistics() {
        for (int k = 0; k < mlp.layerCount(); k++) {
            if (runningMeans[k] != null) {
                backend.fill(runningMeans[k], 0.0);
                backend.fill(runningVars[k], 1.0);
            }
        }
        batchesTracked = 0;
    }

    /**
     * The BN buffers on the host (empty for a model without BN).
     *
     * @return running means and variances per BN layer, and the batches tracked
     */
    public BatchNormBuffers batchNormBuffers() {
        int layers = mlp.layerCount();
        float[][] mean = new float[layers][];
        float[][] var = new float[layers][];
        for (int k = 0; k < layers; k++) {
            if (runningMeans[k] != null) {
                mean[k] = backend.toFloatArray(runningMeans[k]);
                var[k] = backend.toFloatArray(runningVars[k]);
            }
        }
        return new BatchNormBuffers(mean, var, batchesTracked);
    }

    /**
     * Restores the BN buffers (a checkpoint's, a trained model's).
     *
     * @param buffers buffers of this architecture ({@link BatchNormBuffers#requireFits})
     */
    public void setBatchNormBuffers(BatchNormBuffers buffers) {
        buffers.requireFits(mlp);
        for (int k = 0; k < mlp.layerCount(); k++) {
            if (runningMeans[k] != null) {
                backend.copyFromHost(buffers.runningMean()[k], 0, runningMeans[k]);
                backend.copyFromHost(buffers.runningVar()[k], 0, runningVars[k]);
            }
        }
        batchesTracked = buffers.batchesTracked();
    }

    /**
     * Training batches that updated the running statistics (PyTorch's {@code num_batches_tracked}).
     *
     * @return the count
     */
    public long batchesTracked() {
        return batchesTracked;
    }

    /**
     * Counts one training batch whose running-statistics update ran outside {@link #computeGradient}: a replayed
     * step program (its recording counted nothing, see {@link #computeGradient(Workspace, int, boolean)}).
     */
    public void countReplayedBatch() {
        if (mlp.batchNorm()) {
            batchesTracked++;
        }
    }

    /**
     * Sets the batches-tracked counter (a trainer puts it back after recording a step program, which issued no work).
     *
     * @param count the count
     */
    public void setBatchesTracked(long count) {
        batchesTracked = count;
    }

    /**
     * Layer k's BN scale γ, a view into θ.
     *
     * @param layer k, a BN layer
     * @return γ_k [out, 1]
     */
    public Tensor gamma(int layer) {
        return requireBn(gammas, layer);
    }

    /**
     * Layer k's BN shift β, a view into θ.
     *
     * @param layer k, a BN layer
     * @return β_k [out, 1]
     */
    public Tensor beta(int layer) {
        return requireBn(betas, layer);
    }

    /**
     * Layer k's running mean (a buffer, not in θ).
     *
     * @param layer k, a BN layer
     * @return [out, 1]
     */
    public Tensor runningMean(int layer) {
        return requireBn(runningMeans, layer);
    }

    /**
     * Layer k's running variance (a buffer, not in θ).
     *
     * @param layer k, a BN layer
     * @return [out, 1]
     */
    public Tensor runningVar(int layer) {
        return requireBn(runningVars, layer);
    }

    private Tensor requireBn(Tensor[] of, int layer) {
        if (of[layer] == null) {
            throw new IllegalArgumentException("layer " + layer + " of " + mlp.describe() + " has no batch norm");
        }
        return of[layer];
    }

    /**
     * The architecture.
     *
     * @return the model's {@link Mlp}
     */
    public Mlp mlp() {
        return mlp;
    }

    /**
     * The backend θ lives on.
     *
     * @return the backend
     */
    public Backend backend() {
        return backend;
    }

    /**
     * The flat parameter vector θ.
     *
     * @return θ, [P, 1]
     */
    public Tensor theta() {
        return theta;
    }

    /**
     * ∇θ of the mean loss of the last {@link #computeGradient} call.
     *
     * @return the gradient, [P, 1]
     */
    public Tensor gradient() {
        return gradient;
    }

    /**
     * Layer k's weight, a view into θ.
     *
     * @param layer k, 0-based
     * @return W_k [out, in]
     */
    public Tensor weight(int layer) {
        return weights[layer];
    }

    /**
     * Layer k's bias, a view into θ.
     *
     * @param layer k, 0-based, not a BN layer
     * @return b_k [out, 1]
     */
    public Tensor bias(int layer) {
        if (biases[layer] == null) {
            throw new IllegalArgumentException("layer " + layer + " of " + mlp.describe() + " has no bias (batch"
                    + " norm's β takes its place)");
        }
        return biases[layer];
    }

    /**
     * θ ← values.
     *
     * @param values P values in θ's layout ({@link Mlp})
     */
    public void setParameters(float[] values) {
        checkLength(values.length);
        backend.copyFromHost(values, 0, theta);
    }

    /**
     * θ ← values, rounded to the backend's type.
     *
     * @param values P values in θ's layout
     */
    public void setParameters(double[] values) {
        checkLength(values.length);
        backend.copyFromHost(values, 0, theta);
    }

    /**
     * θ on the host.
     *
     * @return a new array of P values
     */
    public float[] parameters() {
        return backend.toFloatArray(theta);
    }

    private void checkLength(int n) {
        if (n != mlp.parameterCount()) {
            throw new InvalidInputException("parameter vector has " + n + " values, the model " + mlp.describe()
                    + " has " + mlp.parameterCount());
        }
    }

    /**
     * The activation buffers for batches of up to {@code capacity} rows, allocated on the first use of a capacity and
     * kept (training and evaluation each use one, so nothing is allocated in the steady state).
     *
     * @param capacity the most rows a batch will have
     * @return the workspace, owned by this model
     */
    public Workspace workspace(int capacity) {
        return workspaces.computeIfAbsent(capacity, Workspace::new);
    }

    /**
     * Bytes a {@link Workspace} of {@code capacity} rows takes: input, targets, losses, activations and deltas.
     *
     * @param capacity rows
     * @return bytes on the backend
     */
    public long workspaceBytes(int capacity) {
        long perRow = mlp.inputDim() + (mlp.loss().classIndexTarget() ? 1 : mlp.outputDim()) + 1;
        for (int k = 0; k < mlp.layerCount(); k++) {
            perRow += (mlp.hasBatchNorm(k) ? 3L : 2L) * mlp.fanOut(k);
        }
        return perRow * capacity * backend.dtype().bytes();
    }

    /**
     * Forward pass over the first {@code n} rows of the workspace's input, in evaluation mode (BN with the running
     * statistics; without BN there is one mode).
     *
     * @param ws the workspace, its input loaded
     * @param n rows
     * @return the output scores [n, K] (a view into the workspace)
     */
    public Tensor forward(Workspace ws, int n) {
        return forward(ws, n, false, false);
    }

    /**
     * Forward pass in training mode: BN with the batch's statistics (n ≥ 2 where the model has BN).
     *
     * @param ws the workspace, its input loaded
     * @param n rows
     * @param updateRunningStatistics whether BN's running statistics take this batch in (and it is counted)
     * @return the output scores [n, K]
     */
    public Tensor forwardTraining(Workspace ws, int n, boolean updateRunningStatistics) {
        return forward(ws, n, true, updateRunningStatistics);
    }

    private Tensor forward(Workspace ws, int n, boolean training, boolean update) {
        ws.checkRows(n);
        Tensor a = ws.input.firstRows(n);
        for (int k = 0; k < mlp.layerCount(); k++) {
            Tensor out = ws.activations[k].firstRows(n);
            if (mlp.hasBatchNorm(k)) {
                Tensor z = ws.preNorm[k].firstRows(n);
                backend.gemm(false, true, 1.0, a, weights[k], 0.0, z);
                if (training) {
                    backend.batchNormTrainingForward(z, gammas[k], betas[k], BN_EPS, mlp.activation(k), out,
                            ws.saveMean[k], ws.saveInvStd[k], update ? runningMeans[k] : null,
                            update ? runningVars[k] : null, BN_MOMENTUM);
                } else {
                    backend.batchNormEvaluationForward(z, gammas[k], betas[k], runningMeans[k], runningVars[k],
                            BN_EPS, mlp.activation(k), out);
                }
            } else {
                backend.gemm(false, true, 1.0, a, weights[k], 0.0, out);
                backend.biasActivationForward(out, biases[k], mlp.activation(k), out);
            }
            a = out;
        }
        if (training && update && mlp.batchNorm()) {
            batchesTracked++;
        }
        return a;
    }

    /**
     * Per-example losses of the first {@code n} rows into the workspace's loss buffer, without gradients (for
     * evaluation: BN in evaluation mode).
     *
     * @param ws the workspace, its input and targets loaded
     * @param n rows
     * @return the output scores [n, K]
     */
    public Tensor evaluate(Workspace ws, int n) {
        Tensor out = forward(ws, n);
        backend.lossForwardBackward(mlp.loss(), out, ws.target.firstRows(n), ws.lossPerRow.firstRows(n), null, 1.0);
        return out;
    }

    /**
     * Per-example losses as training sees them (BN with the n rows' own statistics, running statistics untouched):
     * the function {@link #computeGradient} differentiates, for gradient checks and loss landscapes. Without BN the
     * same as {@link #evaluate}.
     *
     * @param ws the workspace, its input and targets loaded
     * @param n rows
     * @return the output scores [n, K]
     */
    public Tensor evaluateTraining(Workspace ws, int n) {
        Tensor out = forward(ws, n, true, false);
        backend.lossForwardBackward(mlp.loss(), out, ws.target.firstRows(n), ws.lossPerRow.firstRows(n), null, 1.0);
        return out;
    }

    /**
     * Forward and backward over the first {@code n} rows: fills {@link #gradient()} with ∇ of the mean loss and the
     * workspace's per-example losses. Issues work only; nothing comes back to the host. A training step: BN in
     * training mode, running statistics updated.
     *
     * @param ws the workspace, its input and targets loaded
     * @param n rows
     */
    public void computeGradient(Workspace ws, int n) {
        computeGradient(ws, n, true);
    }

    /**
     * As {@link #computeGradient(Workspace, int)}; {@code updateRunningStatistics} false leaves BN's running
     * statistics and counter as they are (a diagnostic's gradient, a probe's).
     *
     * @param ws the workspace, its input and targets loaded
     * @param n rows
     * @param updateRunningStatistics whether BN's running statistics take this batch in
     */
    public void computeGradient(Workspace ws, int n, boolean updateRunningStatistics) {
        Tensor out = forward(ws, n, true, updateRunningStatistics);
        int last = mlp.layerCount() - 1;
        Tensor delta = ws.deltas[last].firstRows(n);
        backend.lossForwardBackward(mlp.loss(), out, ws.target.firstRows(n), ws.lossPerRow.firstRows(n), delta,
                1.0 / n);
        for (int k = last; k >= 0; k--) {
            Tensor prev = k == 0 ? ws.input.firstRows(n) : ws.activations[k - 1].firstRows(n);
            if (mlp.hasBatchNorm(k)) {
                // delta holds ∂ℓ/∂y (y = BN's output before φ); BN's backward turns it into ∂ℓ/∂z in place.
                backend.batchNormBackward(ws.preNorm[k].firstRows(n), gammas[k], ws.saveMean[k], ws.saveInvStd[k],
                        delta, delta, gammaGrads[k], betaGrads[k]);
                backend.gemm(true, false, 1.0, delta, prev, 0.0, weightGrads[k]);
            } else {
                backend.gemm(true, false, 1.0, delta, prev, 0.0, weightGrads[k]);
                backend.columnSum(delta, biasGrads[k]);
            }
            if (k > 0) {
                Tensor prevDelta = ws.deltas[k - 1].firstRows(n);
                backend.gemm(false, false, 1.0, delta, weights[k], 0.0, prevDelta);
                backend.activationBackward(mlp.activation(k - 1), prev, prevDelta, prevDelta);
                delta = prevDelta;
            }
        }
    }

    /**
     * Mean of the per-example losses of the last call over {@code n} rows (waits for the device).
     *
     * @param ws the workspace of that call
     * @param n its rows
     * @return the mean loss
     */
    public double meanLoss(Workspace ws, int n) {
        return backend.sum(ws.lossPerRow.firstRows(n)) / n;
    }

    /** Frees θ, the gradient and every workspace. */
    @Override
    public void close() {
        workspaces.values().forEach(Workspace::close);
        workspaces.clear();
        for (int k = 0; k < runningMeans.length; k++) {
            if (runningMeans[k] != null) {
                runningMeans[k].close();
                runningVars[k].close();
            }
        }
        theta.close();
        gradient.close();
    }

    /**
     * Buffers for one batch capacity: input, targets, per-layer activations and deltas, per-example losses; for BN
     * layers also z before normalization and the batch's mean and 1/σ.
     */
    public final class Workspace implements AutoCloseable {
        private final int capacity;
        private final Tensor input;
        private final Tensor target;
        private final Tensor lossPerRow;
        private final Tensor[] activations;
        private final Tensor[] deltas;
        private final Tensor[] preNorm;
        private final Tensor[] saveMean;
        private final Tensor[] saveInvStd;

        private Workspace(int capacity) {
            if (capacity <= 0) {
                throw new IllegalArgumentException("batch capacity must be positive");
            }
            this.capacity = capacity;
            input = backend.allocate(capacity, mlp.inputDim());
            LossKind loss = mlp.loss();
            target = backend.allocate(capacity, loss.classIndexTarget() ? 1 : mlp.outputDim());
            lossPerRow = backend.allocateVector(capacity);
            int layers = mlp.layerCount();
            activations = new Tensor[layers];
            deltas = new Tensor[layers];
            preNorm = new Tensor[layers];
            saveMean = new Tensor[layers];
            saveInvStd = new Tensor[layers];
            for (int k = 0; k < layers; k++) {
                activations[k] = backend.allocate(capacity, mlp.fanOut(k));
                deltas[k] = backend.allocate(capacity, mlp.fanOut(k));
                if (mlp.hasBatchNorm(k)) {
                    preNorm[k] = backend.allocate(capacity, mlp.fanOut(k));
                    saveMean[k] = backend.allocateVector(mlp.fanOut(k));
                    saveInvStd[k] = backend.allocateVector(mlp.fanOut(k));
                }
            }
        }

        /**
         * Layer k's z before batch normalization, from the last forward pass.
         *
         * @param layer k, a BN layer
         * @return [capacity, out_k]
         */
        public Tensor preNormalization(int layer) {
            if (preNorm[layer] == null) {
                throw new IllegalArgumentException("layer " + layer + " has no batch norm");
            }
            return preNorm[layer];
        }

        /**
         * The most rows a batch may have.
         *
         * @return the capacity
         */
        public int capacity() {
            return capacity;
        }

        /**
         * The input buffer [capacity, inputDim]; fill its first rows with a batch.
         *
         * @return the input tensor
         */
        public Tensor input() {
            return input;
        }

        /**
         * The target buffer [capacity, 1] (class indices) or [capacity, K].
         *
         * @return the target tensor
         */
        public Tensor target() {
            return target;
        }

        /**
         * The per-example losses of the last forward pass with targets.
         *
         * @return [capacity, 1]
         */
        public Tensor lossPerRow() {
            return lossPerRow;
        }

        /**
         * The outputs a_k of layer k from the last forward pass.
         *
         * @param layer k, 0-based
         * @return [capacity, out_k]
         */
        public Tensor activation(int layer) {
            return activations[layer];
        }

        /**
         * Copies a host batch of {@code n} rows into the input and target buffers.
         *
         * @param x n rows of features, row-major
         * @param y n rows of targets, row-major
         * @param n rows
         */
        public void load(float[] x, float[] y, int n) {
            checkRows(n);
            backend.copyFromHost(x, 0, input.firstRows(n));
            backend.copyFromHost(y, 0, target.firstRows(n));
        }

        /**
         * Loads batch {@code batchIndex} of {@code batches}' order {@code perm} over {@code data} straight from the
         * data set's arrays into the input and target buffers (one host pass each; see
         * {@link Backend#copyRowsFromHost}).
         *
         * @param data the (normalized, encoded) training data
         * @param batches the batch schedule
         * @param perm the epoch's order, from {@code batches}
         * @param batchIndex the batch within the epoch
         * @return the batch's row count
         */
        public int loadBatch(io.ravine.data.Dataset data, io.ravine.data.ShuffledBatches batches, int[] perm,
                int batchIndex) {
            batches.checkFor(data, perm);
            int n = batches.batchRows(batchIndex);
            checkRows(n);
            int start = batches.batchStart(batchIndex);
            backend.copyRowsFromHost(new HostRows(data.features(), data.featureDim(), perm, start, n),
                    input.firstRows(n));
            backend.copyRowsFromHost(new HostRows(data.targets(), data.targetCols(), perm, start, n),
                    target.firstRows(n));
            return n;
        }

        void checkRows(int n) {
            if (n <= 0 || n > capacity) {
                throw new IllegalArgumentException("batch of " + n + " rows in a workspace for " + capacity);
            }
        }

        /** Frees the buffers. */
        @Override
        public void close() {
            input.close();
            target.close();
            lossPerRow.close();
            for (int k = 0; k < activations.length; k++) {
                activations[k].close();
                deltas[k].close();
                if (preNorm[k] != null) {
                    preNorm[k].close();
                    saveMean[k].close();
                    saveInvStd[k].close();
                }
            }
        }
    }
}
