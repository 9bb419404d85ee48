package io.ravine.diagnose;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import io.ravine.data.Dataset;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;

/**
 * Curvature of the mean loss J(θ) = (1/N) Σ ℓ(x_n, θ) over a fixed subset of N examples, through Hessian-vector
 * products: the P × P Hessian is never formed, only H·v for the vectors v a diagnostic asks about.
 *
 * <p>H·v comes from central differences of gradients (Pearlmutter 1994, eq. 1; the exact R-operator would need
 * second derivatives of the losses that the {@link Backend} does not offer):
 * <pre>
 *   H v ≈ (∇J(θ + εv) − ∇J(θ − εv)) / 2ε,   ε = √ε_mach · (1 + ‖θ‖) / ‖v‖
 * </pre>
 * The step moves θ by √ε_mach · (1 + ‖θ‖) in norm: large enough that rounding θ ± εv perturbs the direction by only
 * ε_mach‖θ‖ / ε‖v‖ ≈ √ε_mach relative, small enough that the truncation error, O(ε²‖∇³J‖), stays at that level.
 * ε_mach is that of the backend's dtype (2⁻²³ for float32, so ε‖v‖ ≈ 3.5e-4 (1 + ‖θ‖); 2⁻⁵² for float64). For a
 * quadratic J (linear regression with MSE) the difference is exact up to rounding.
 *
 * <p>ReLU kinks. The gradient of a ReLU network jumps where a pre-activation crosses 0, and at float32's ε a step of
 * ±εv moves hundreds of (example, unit) pre-activations across 0 (784-256-10 on 2000 examples). Each crossing adds
 * a jump / 2ε to the difference: a contribution that does not shrink with ε and that showed up as spurious negative
 * curvature (λ_min −1.29 in float32 against −0.39 in float64 on a trained 784-256-10). So the two gradients are
 * taken with the ReLU pattern frozen at θ: a hidden ReLU unit passes z where it is active at θ and 0 elsewhere, in the
 * forward and the backward pass. With the pattern fixed the network is smooth in θ, and the difference converges to
 * the Hessian almost everywhere, the one autograd's double backward gives (ReLU'' = 0). Logistic and tanh units are
 * smooth and are not frozen.
 *
 * <p>Each gradient is the mean over the subset, computed in chunks of {@code capacity} rows in this object's own
 * buffers (so neither the model's workspaces nor {@code model.gradient()} are touched) and accumulated with weights
 * n_chunk / N. One H·v costs two gradient passes plus one forward pass (the ReLU pattern) over the subset. θ is saved
 * and copied back after every perturbation, so it comes back bit for bit (a copy, not θ + εv − εv). J is the data
 * loss only: the coupled L2 term of {@code --weight-decay} lives in the optimizer.
 */
public final class HessianVectorProduct implements SymmetricOperator, AutoCloseable {
    private final Model model;
    private final Mlp mlp;
    private final Backend backend;
    private final Dataset subset;
    private final int capacity;
    private final double machineEpsilon;
    private final boolean freezes;
    private final Tensor savedTheta;
    private final Tensor plus;
    private final Tensor minus;
    private final Tensor chunkGradient;
    private final Tensor[] weightGrads;
    private final Tensor[] biasGrads;
    private final Tensor input;
    private final Tensor target;
    private final Tensor lossPerRow;
    private final Tensor[] activations;
    private final Tensor[] deltas;
    /** The ReLU layers' outputs at θ (their sign pattern is frozen); null entries for other layers. */
    private final Tensor[] patterns;
    private long gradientPasses;

    /**
     * @param model the model whose current θ is the expansion point
     * @param subset the examples J averages over (features normalized, targets encoded as the model expects)
     * @param capacity rows per chunk
     */
    public HessianVectorProduct(Model model, Dataset subset, int capacity) {
        if (subset.n() <= 0) {
            throw new IllegalArgumentException("the subset for curvature is empty");
        }
        this.model = model;
        this.mlp = model.mlp();
        if (subset.featureDim() != mlp.inputDim()) {
            throw new IllegalArgumentException("subset has " + subset.featureDim() + " features, the model "
                    + mlp.inputDim());
        }
        this.backend = model.backend();
        this.subset = subset;
        this.capacity = Math.max(1, Math.min(capacity, subset.n()));
        machineEpsilon = switch (backend.dtype()) {
            case F32 -> Math.ulp(1.0f);
            case F64 -> Math.ulp(1.0);
        };
        int p = mlp.parameterCount();
        int layers = mlp.layerCount();
        savedTheta = backend.allocateVector(p);
        plus = backend.allocateVector(p);
        minus = backend.allocateVector(p);
        chunkGradient = backend.allocateVector(p);
        weightGrads = new Tensor[layers];
        biasGrads = new Tensor[layers];
        activations = new Tensor[layers];
        deltas = new Tensor[layers];
        patterns = new Tensor[layers];
        boolean anyRelu = false;
        for (int k = 0; k < layers; k++) {
            weightGrads[k] = chunkGradient.view(mlp.weightOffset(k), mlp.fanOut(k), mlp.fanIn(k));
            biasGrads[k] = chunkGradient.view(mlp.biasOffset(k), mlp.fanOut(k), 1);
            activations[k] = backend.allocate(this.capacity, mlp.fanOut(k));
            deltas[k] = backend.allocate(this.capacity, mlp.fanOut(k));
            if (frozen(k)) {
                patterns[k] = backend.allocate(this.capacity, mlp.fanOut(k));
                anyRelu = true;
            }
        }
        freezes = anyRelu;
        input = backend.allocate(this.capacity, mlp.inputDim());
        target = backend.allocate(this.capacity, subset.targetCols());
        lossPerRow = backend.allocateVector(this.capacity);
    }

    private boolean frozen(int layer) {
        return layer < mlp.layerCount() - 1 && mlp.activation(layer) == Activation.RELU;
    }

    public Model model() {
        return model;
    }

    public Dataset subset() {
        return subset;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public int dimension() {
        return mlp.parameterCount();
    }

    /** Gradient passes over the subset so far (one per {@link #lossAndGradient}, two per {@link #apply}). */
    public long gradientPasses() {
        return gradientPasses;
    }

    /** J(θ) at the current θ (a forward pass only). */
    public double loss() {
        double sum = 0;
        for (int start = 0; start < subset.n(); start += capacity) {
            int rows = load(start);
            Tensor out = forward(rows, false);
            backend.lossForwardBackward(mlp.loss(), out, target.firstRows(rows), lossPerRow.firstRows(rows), null,
                    1.0);
            sum += backend.sum(lossPerRow.firstRows(rows));
        }
        return sum / subset.n();
    }

    /** J(θ + step · direction), with θ restored exactly afterwards. */
    public double lossAt(Tensor direction, double step) {
        backend.copy(model.theta(), savedTheta);
        try {
            backend.axpy(step, direction, model.theta());
            return loss();
        } finally {
            backend.copy(savedTheta, model.theta());
        }
    }

    /** out ← ∇J(θ) over the subset; returns J(θ). */
    public double lossAndGradient(Tensor out) {
        gradientPasses++;
        int n = subset.n();
        double sum = 0;
        backend.fill(out, 0.0);
        for (int start = 0; start < n; start += capacity) {
            int rows = load(start);
            sum += chunkGradient(rows, false);
            // ∇ of the mean over N is the row-weighted mean of the chunks' mean gradients.
            backend.axpy((double) rows / n, chunkGradient, out);
        }
        return sum / n;
    }

    /** The finite-difference step for a direction of norm {@code directionNorm} at the current θ. */
    public double step(double directionNorm) {
        double thetaNorm = Math.sqrt(backend.sumOfSquares(model.theta()));
        return Math.sqrt(machineEpsilon) * (1.0 + thetaNorm) / directionNorm;
    }

    /** out ← H v at the current θ (θ restored exactly). A zero v gives a zero product. */
    @Override
    public void apply(Tensor v, Tensor out) {
        double vNorm = Math.sqrt(backend.sumOfSquares(v));
        if (vNorm == 0 || !Double.isFinite(vNorm)) {
            backend.fill(out, vNorm == 0 ? 0.0 : Double.NaN);
            return;
        }
        double eps = step(vNorm);
        Tensor theta = model.theta();
        int n = subset.n();
        gradientPasses += 2;
        backend.copy(theta, savedTheta);
        backend.fill(plus, 0.0);
        backend.fill(minus, 0.0);
        try {
            for (int start = 0; start < n; start += capacity) {
                int rows = load(start);
                if (freezes) {
                    forward(rows, false);
                    for (int k = 0; k < patterns.length; k++) {
                        if (patterns[k] != null) {
                            backend.copy(activations[k].firstRows(rows), patterns[k].firstRows(rows));
                        }
                    }
                }
                backend.axpy(eps, v, theta);
                chunkGradient(rows, freezes);
                backend.axpy((double) rows / n, chunkGradient, plus);
                backend.copy(savedTheta, theta);
                backend.axpy(-eps, v, theta);
                chunkGradient(rows, freezes);
                backend.axpy((double) rows / n, chunkGradient, minus);
                backend.copy(savedTheta, theta);
            }
        } finally {
            backend.copy(savedTheta, theta);
        }
        backend.copy(plus, out);
        backend.axpy(-1.0, minus, out);
        backend.scale(1.0 / (2.0 * eps), out);
    }

    private int load(int start) {
        int rows = Math.min(capacity, subset.n() - start);
        backend.copyFromHost(subset.features(), start * subset.featureDim(), input.firstRows(rows));
        backend.copyFromHost(subset.targets(), start * subset.targetCols(), target.firstRows(rows));
        return rows;
    }

    /**
     * The forward pass of {@link Model#forward} over the loaded rows; with {@code frozen}, each hidden ReLU layer
     * outputs z ⊙ 1[pattern &gt; 0] instead of max(0, z) (the mask applied by activationBackward, whose φ' is read
     * from the stored pattern).
     */
    private Tensor forward(int rows, boolean frozen) {
        Tensor a = input.firstRows(rows);
        for (int k = 0; k < mlp.layerCount(); k++) {
            Tensor z = activations[k].firstRows(rows);
            backend.gemm(false, true, 1.0, a, model.weight(k), 0.0, z);
            if (frozen && patterns[k] != null) {
                backend.biasActivationForward(z, model.bias(k), Activation.IDENTITY, z);
                backend.activationBackward(Activation.RELU, patterns[k].firstRows(rows), z, z);
            } else {
                backend.biasActivationForward(z, model.bias(k), mlp.activation(k), z);
            }
            a = z;
        }
        return a;
    }

    /**
     * Backprop of {@link Model#computeGradient} over the loaded rows into {@link #chunkGradient} (the chunk's mean
     * gradient); returns the chunk's summed loss.
     */
    private double chunkGradient(int rows, boolean frozen) {
        Tensor out = forward(rows, frozen);
        int last = mlp.layerCount() - 1;
        Tensor delta = deltas[last].firstRows(rows);
        backend.lossForwardBackward(mlp.loss(), out, target.firstRows(rows), lossPerRow.firstRows(rows), delta,
                1.0 / rows);
        for (int k = last; k >= 0; k--) {
            Tensor prev = k == 0 ? input.firstRows(rows) : activations[k - 1].firstRows(rows);
            backend.gemm(true, false, 1.0, delta, prev, 0.0, weightGrads[k]);
            backend.columnSum(delta, biasGrads[k]);
            if (k > 0) {
                Tensor prevDelta = deltas[k - 1].firstRows(rows);
                backend.gemm(false, false, 1.0, delta, model.weight(k), 0.0, prevDelta);
                Tensor derivativeSource = frozen && patterns[k - 1] != null ? patterns[k - 1].firstRows(rows) : prev;
                backend.activationBackward(mlp.activation(k - 1), derivativeSource, prevDelta, prevDelta);
                delta = prevDelta;
            }
        }
        return backend.sum(lossPerRow.firstRows(rows));
    }

    @Override
    public void close() {
        savedTheta.close();
        plus.close();
        minus.close();
        chunkGradient.close();
        input.close();
        target.close();
        lossPerRow.close();
        for (int k = 0; k < activations.length; k++) {
            activations[k].close();
            deltas[k].close();
            if (patterns[k] != null) {
                patterns[k].close();
            }
        }
    }
}
