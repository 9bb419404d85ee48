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
 * <p>Cost. The first layer's input X is the data, fixed, so its pre-activation is linear in θ:
 * z₁(θ ± εv) = z₁(θ) ± ε(X V₁ᵀ + v_b₁), and the difference of its weight gradients is (δ₁⁺ − δ₁⁻)ᵀ X. z₁(θ) is
 * computed once per θ and kept for the whole subset (when it fits in {@link #CACHE_LIMIT} values), so one H·v costs
 * two products with X (X V₁ᵀ and Δδ₁ᵀ X) where two plain gradients cost four; the layers above are run twice as
 * usual. For a 784-256-10 network that makes one H·v about as expensive as one gradient. Everything runs in chunks
 * of {@code capacity} rows in this object's own buffers (neither the model's workspaces nor {@code model.gradient()}
 * are touched), accumulated with weights n_chunk / N. θ is saved and copied back after every perturbation, so it
 * comes back bit for bit (a copy, not θ + εv − εv). J is the data loss only: the coupled L2 term of
 * {@code --weight-decay} lives in the optimizer.
 */
public final class HessianVectorProduct implements SymmetricOperator, AutoCloseable {
    /** Largest N × width₁ kept as the first layer's pre-activation cache (256 MB in float32). */
    public static final long CACHE_LIMIT = 64L << 20;

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
    private final Tensor zeroBias;
    private final Tensor firstLayerOwn;
    private final Tensor firstLayerChange;
    private final Tensor deltaMinus;
    /** z₁(θ) for every row of the subset, or null when over {@link #CACHE_LIMIT}. */
    private final Tensor firstLayerCache;
    private final Tensor expansionPoint;
    private boolean cacheFilled;
    private long gradientPasses;
    private long products;

    /**
     * @param model the model whose current θ is the expansion point
     * @param subset the examples J averages over (features normalized, targets encoded as the model expects)
     * @param capacity rows per chunk
     */
    public HessianVectorProduct(Model model, Dataset subset, int capacity) {
        this(model, subset, capacity, true);
    }

    /** As above; {@code cacheFirstLayer} false recomputes z₁(θ) in every product (tests of both paths). */
    HessianVectorProduct(Model model, Dataset subset, int capacity, boolean cacheFirstLayer) {
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
        int w1 = mlp.fanOut(0);
        zeroBias = backend.allocateVector(w1);
        firstLayerOwn = backend.allocate(this.capacity, w1);
        firstLayerChange = backend.allocate(this.capacity, w1);
        deltaMinus = backend.allocate(this.capacity, w1);
        boolean cache = cacheFirstLayer && (long) subset.n() * w1 <= CACHE_LIMIT;
        firstLayerCache = cache ? backend.allocate(subset.n(), w1) : null;
        expansionPoint = cache ? backend.allocateVector(p) : null;
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

    /** Gradient passes over the subset so far ({@link #lossAndGradient} calls). */
    public long gradientPasses() {
        return gradientPasses;
    }

    /** Hessian-vector products so far ({@link #apply} calls). */
    public long products() {
        return products;
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

    /**
     * out ← H v at the current θ (θ restored exactly). A zero v gives a zero product; a non-finite v, or a θ whose
     * norm is not finite, gives NaN everywhere (the caller reports it; nothing throws).
     */
    @Override
    public void apply(Tensor v, Tensor out) {
        double vNorm = Math.sqrt(backend.sumOfSquares(v));
        if (vNorm == 0 || !Double.isFinite(vNorm)) {
            backend.fill(out, vNorm == 0 ? 0.0 : Double.NaN);
            return;
        }
        products++;
        double eps = step(vNorm);
        if (!Double.isFinite(eps)) {
            // θ itself is not finite (a checkpoint that blew up past float or holds NaN): no product to take.
            backend.fill(out, Double.NaN);
            return;
        }
        Tensor theta = model.theta();
        int n = subset.n();
        int w1 = mlp.fanOut(0);
        Tensor v1 = v.view(mlp.weightOffset(0), w1, mlp.inputDim());
        Tensor vb1 = v.view(mlp.biasOffset(0), w1, 1);
        refreshCache();
        backend.copy(theta, savedTheta);
        backend.fill(plus, 0.0);
        backend.fill(minus, 0.0);
        try {
            for (int start = 0; start < n; start += capacity) {
                int rows = load(start);
                Tensor x = input.firstRows(rows);
                Tensor z1;
                if (firstLayerCache != null) {
                    z1 = firstLayerCache.view(start * w1, rows, w1);
                } else {
                    z1 = firstLayerOwn.firstRows(rows);
                    firstLayerPreActivation(rows, z1);
                }
                if (freezes) {
                    recordPatterns(rows, z1);
                }
                // Rz₁ = X V₁ᵀ + v_b₁: the first layer's pre-activation moves by ±ε Rz₁.
                Tensor rz1 = firstLayerChange.firstRows(rows);
                backend.gemm(false, true, 1.0, x, v1, 0.0, rz1);
                backend.biasActivationForward(rz1, vb1, Activation.IDENTITY, rz1);
                for (int sign = -1; sign <= 1; sign += 2) {
                    backend.copy(savedTheta, theta);
                    backend.axpy(sign * eps, v, theta);
                    perturbedGradientAbove(rows, z1, rz1, sign * eps);
                    Tensor delta1 = deltas[0].firstRows(rows);
                    if (sign < 0) {
                        backend.copy(delta1, deltaMinus.firstRows(rows));
                        backend.fill(weightGrads[0], 0.0);
                        backend.fill(biasGrads[0], 0.0);
                        backend.axpy((double) rows / n, chunkGradient, minus);
                    } else {
                        // The first layer's weight-gradient difference in one product: (δ₁⁺ − δ₁⁻)ᵀ X.
                        backend.axpy(-1.0, deltaMinus.firstRows(rows), delta1);
                        backend.gemm(true, false, 1.0, delta1, x, 0.0, weightGrads[0]);
                        backend.columnSum(delta1, biasGrads[0]);
                        backend.axpy((double) rows / n, chunkGradient, plus);
                    }
                }
                backend.copy(savedTheta, theta);
            }
        } finally {
            backend.copy(savedTheta, theta);
        }
        backend.copy(plus, out);
        backend.axpy(-1.0, minus, out);
        backend.scale(1.0 / (2.0 * eps), out);
    }

    /** Fills the z₁(θ) cache when θ differs from the θ it was filled at (checked exactly, O(P)). */
    private void refreshCache() {
        if (firstLayerCache == null) {
            return;
        }
        if (cacheFilled) {
            backend.copy(model.theta(), plus);
            backend.axpy(-1.0, expansionPoint, plus);
            if (backend.sumOfSquares(plus) == 0.0) {
                return;
            }
        }
        int w1 = mlp.fanOut(0);
        for (int start = 0; start < subset.n(); start += capacity) {
            int rows = load(start);
            firstLayerPreActivation(rows, firstLayerCache.view(start * w1, rows, w1));
        }
        backend.copy(model.theta(), expansionPoint);
        cacheFilled = true;
    }

    /** z₁ = X W₁ᵀ + b₁ for the loaded rows at the current θ. */
    private void firstLayerPreActivation(int rows, Tensor z1) {
        backend.gemm(false, true, 1.0, input.firstRows(rows), model.weight(0), 0.0, z1);
        backend.biasActivationForward(z1, model.bias(0), Activation.IDENTITY, z1);
    }

    /** The hidden ReLU layers' outputs at θ (θ unperturbed), from the first layer's pre-activation z₁(θ). */
    private void recordPatterns(int rows, Tensor z1) {
        Tensor a = activations[0].firstRows(rows);
        backend.biasActivationForward(z1, zeroBias, mlp.activation(0), a);
        if (patterns[0] != null) {
            backend.copy(a, patterns[0].firstRows(rows));
        }
        for (int k = 1; k < mlp.layerCount() - 1; k++) {
            Tensor z = activations[k].firstRows(rows);
            backend.gemm(false, true, 1.0, a, model.weight(k), 0.0, z);
            backend.biasActivationForward(z, model.bias(k), mlp.activation(k), z);
            if (patterns[k] != null) {
                backend.copy(z, patterns[k].firstRows(rows));
            }
            a = z;
        }
    }

    /**
     * At θ + step·v (already set): the first layer's output from z₁ + step·Rz₁, the layers above as usual (ReLU
     * patterns frozen), and backprop into {@link #chunkGradient} for every layer but the first, whose δ₁ is left in
     * {@code deltas[0]}.
     */
    private void perturbedGradientAbove(int rows, Tensor z1, Tensor rz1, double step) {
        Tensor a = activations[0].firstRows(rows);
        backend.copy(z1, a);
        backend.axpy(step, rz1, a);
        applyActivation(0, a, rows, freezes);
        for (int k = 1; k < mlp.layerCount(); k++) {
            Tensor z = activations[k].firstRows(rows);
            backend.gemm(false, true, 1.0, a, model.weight(k), 0.0, z);
            if (freezes && patterns[k] != null) {
                backend.biasActivationForward(z, model.bias(k), Activation.IDENTITY, z);
                backend.activationBackward(Activation.RELU, patterns[k].firstRows(rows), z, z);
            } else {
                backend.biasActivationForward(z, model.bias(k), mlp.activation(k), z);
            }
            a = z;
        }
        backward(rows, a, freezes, 1);
    }

    /** a ← φ(a) in place for layer k (its bias already added); frozen ReLU layers multiply by their pattern. */
    private void applyActivation(int k, Tensor a, int rows, boolean frozen) {
        if (frozen && patterns[k] != null) {
            backend.activationBackward(Activation.RELU, patterns[k].firstRows(rows), a, a);
        } else if (mlp.activation(k) != Activation.IDENTITY) {
            backend.biasActivationForward(a, zeroBias.firstRows(mlp.fanOut(k)), mlp.activation(k), a);
        }
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
        backward(rows, out, frozen, 0);
        return backend.sum(lossPerRow.firstRows(rows));
    }

    /**
     * From the output scores: the loss's δ, then ∂W_k, ∂b_k into {@link #chunkGradient} for layers k ≥ {@code lowest}
     * and δ down to layer {@code lowest} (left in {@code deltas[lowest]}).
     */
    private void backward(int rows, Tensor out, boolean frozen, int lowest) {
        int last = mlp.layerCount() - 1;
        Tensor delta = deltas[last].firstRows(rows);
        backend.lossForwardBackward(mlp.loss(), out, target.firstRows(rows), lossPerRow.firstRows(rows), delta,
                1.0 / rows);
        for (int k = last; k >= lowest; k--) {
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
        zeroBias.close();
        firstLayerOwn.close();
        firstLayerChange.close();
        deltaMinus.close();
        if (firstLayerCache != null) {
            firstLayerCache.close();
            expansionPoint.close();
        }
        for (int k = 0; k < activations.length; k++) {
            activations[k].close();
            deltas[k].close();
            if (patterns[k] != null) {
                patterns[k].close();
            }
        }
    }
}
