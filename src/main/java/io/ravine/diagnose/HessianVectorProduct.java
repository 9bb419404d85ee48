package io.ravine.diagnose;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import io.ravine.data.Dataset;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;

/**
 * Curvature of the mean loss J(θ) = (1/N) Σ ℓ(x_n, θ) over a fixed subset of N examples, through Hessian-vector
 * products: the P × P Hessian is never formed, only H·v for the vectors v a diagnostic asks about. Two methods
 * ({@link Method}): the exact R-operator on the float64 CPU backend, central differences of gradients elsewhere.
 *
 * <p><b>R-operator</b> (Pearlmutter 1994, "Fast exact multiplication by the Hessian", §3–4): R{f} = ∂f(θ + rv)/∂r
 * at r = 0, pushed forward through the forward pass and then through backprop. With layer k's input a_{k−1}
 * (a_{−1} = X, fixed), z_k = a_{k−1}W_kᵀ + b_k, a_k = φ_k(z_k) (the output layer's φ is the identity) and v split as
 * θ is, (V_k, v_b,k):
 * <pre>
 *   forward   Rz_k = Ra_{k−1} W_kᵀ + a_{k−1} V_kᵀ + v_b,k        (Ra_{−1} = 0)
 *             Ra_k = φ_k'(z_k) ⊙ Rz_k
 *   loss      δ_L = ∂ℓ/∂z_L / N,   Rδ_L = (∂²ℓ/∂z_L²) Rz_L / N
 *             MSE: Rδ = Rz;  logistic-ce: Rδ = σ(z)(1 − σ(z)) ⊙ Rz;  softmax-ce: Rδ = p ⊙ Rz − p (pᵀRz)
 *   backward  (H v)_{W_k} = Rδ_kᵀ a_{k−1} + δ_kᵀ Ra_{k−1},   (H v)_{b_k} = Σ_rows Rδ_k
 *             e = δ_k W_k,   δ_{k−1} = e ⊙ φ'(z_{k−1})
 *             Rδ_{k−1} = (Rδ_k W_k + δ_k V_k) ⊙ φ'(z_{k−1}) + e ⊙ φ''(z_{k−1}) ⊙ Rz_{k−1}
 * </pre>
 * with φ'' from the output y: logistic φ'' = φ'(1 − 2y), tanh φ'' = −2yφ', identity and ReLU 0 (ReLU's second
 * derivative is 0 wherever it exists, so the product is the Hessian almost everywhere, the one the frozen-pattern
 * differences below converge to). This is the full Hessian, not the Gauss-Newton matrix: the e ⊙ φ'' term and the
 * δ_k V_k, δ_kᵀ Ra_{k−1} terms are the parts Gauss-Newton drops. Exact up to rounding: no step, no truncation, so
 * its error is that of the sums it makes (see {@link #relativeFloor}). It needs the losses' second derivatives and
 * φ'', which the {@link Backend} interface does not have: they run on the host, on the float64 CPU backend only
 * (matrix products stay in OpenBLAS). Cost: per chunk, the forward pass, the R forward pass and the two backward
 * passes, i.e. about one and a half gradients; with the first layer's z₁ cached (below), the products with the data
 * X are two, X V₁ᵀ and Rδ₁ᵀ X, as for the differences.
 *
 * <p><b>Central differences</b> (Pearlmutter 1994, eq. 1), on float32 backends (CPU and CUDA):
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
 * computed once per θ and kept for the whole subset (when it fits in {@link #CACHE_LIMIT_BYTES}), so one H·v costs
 * two products with X (X V₁ᵀ and Δδ₁ᵀ X) where two plain gradients cost four; the layers above are run twice as
 * usual. For a 784-256-10 network that makes one H·v about as expensive as one gradient. Everything runs in chunks
 * of {@code capacity} rows in this object's own buffers (neither the model's workspaces nor {@code model.gradient()}
 * are touched), accumulated with weights n_chunk / N. θ is saved and copied back after every perturbation, so it
 * comes back bit for bit (a copy, not θ + εv − εv); the R-operator never moves θ. J is the data loss only: the
 * coupled L2 term of {@code --weight-decay} lives in the optimizer.
 *
 * <p><b>Batch normalization</b> ({@link Mlp#batchNorm()}). J is the training-mode loss of the subset: the subset is
 * one batch normalized by its own mean and variance (the function training minimizes; a θ away from the trained one
 * has no running statistics of its own), and θ = (W, γ, β). The running statistics are neither read nor written, by
 * either method. Since every example's output depends on the whole subset through its statistics, the subset is
 * processed as one chunk whatever {@code capacity} is given (it needs at least 2 examples). The R-operator adds BN's
 * R-forward (R{μ}, R{σ²}, R{x̂}: {@link #batchNormRForward}) and R-backward (the R-derivative of BN's backward,
 * including its dependence on the statistics: {@link #batchNormRBackward}), on the host in double; the central
 * differences run BN's training-mode forward and backward at θ ± εv (statistics recomputed there; ReLU patterns of
 * the normalized outputs frozen at θ, as above).
 */
public final class HessianVectorProduct implements SymmetricOperator, AutoCloseable {
    /**
     * Largest first-layer pre-activation cache, N × width₁ values, in bytes: 256 MiB (64 M float32 values, 32 M
     * float64 ones).
     */
    public static final long CACHE_LIMIT_BYTES = 256L << 20;


    /** How a product is computed. */
    public enum Method {
        /** Pearlmutter's R-operator: exact up to rounding; the float64 CPU backend only. */
        R_OPERATOR("R-operator (exact)"),
        /** Central differences of two gradients, ReLU patterns frozen: any backend. */
        CENTRAL_DIFFERENCES("central differences");

        private final String description;

        Method(String description) {
            this.description = description;
        }

        /** The words diagnosis.json uses for it. */
        public String description() {
            return description;
        }

        /** The R-operator on the float64 CPU backend, central differences on any other. */
        public static Method bestFor(Backend backend) {
            return supportsROperator(backend) ? R_OPERATOR : CENTRAL_DIFFERENCES;
        }

        static boolean supportsROperator(Backend backend) {
            return backend.name().equals("cpu") && backend.dtype() == io.ravine.backend.DType.F64;
        }
    }

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
    /** BN layers only (null elsewhere): γ and β gradients (views into the chunk gradient). */
    private final Tensor[] gammaGrads;
    private final Tensor[] betaGrads;
    /** BN layers only: z = a Wᵀ before normalization, and the subset's mean and 1/σ from the last forward pass. */
    private final Tensor[] preNorm;
    private final Tensor[] saveMean;
    private final Tensor[] saveInvStd;
    /** R-operator, BN layers only: x̂ and R{x̂} [N, w] on the host, from the R-forward pass to the R-backward. */
    private final double[][] bnXhat;
    private final double[][] bnRxhat;
    /** R-operator, BN layers only: ρ = mean(x̂ ⊙ Rz) per column (Rs = −s²ρ). */
    private final double[][] bnRho;
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
    /** z₁(θ) for every row of the subset, or null when over {@link #CACHE_LIMIT_BYTES}. */
    private final Tensor firstLayerCache;
    private final Tensor expansionPoint;
    private boolean cacheFilled;
    private long gradientPasses;
    private long products;
    private final Method method;
    /** R-operator only: Ra_k per layer (Rz_k for the output layer), Rδ_k per layer, e = δ_k W_k per hidden layer. */
    private final Tensor[] rActivations;
    private final Tensor[] rDeltas;
    private final Tensor[] backScratch;
    /** R-operator only: host rows for the elementwise second-derivative terms. */
    private final double[] hostA;
    private final double[] hostB;
    private final double[] hostC;
    private final double[] hostD;

    /**
     * @param model the model whose current θ is the expansion point
     * @param subset the examples J averages over (features normalized, targets encoded as the model expects)
     * @param capacity rows per chunk
     */
    public HessianVectorProduct(Model model, Dataset subset, int capacity) {
        this(model, subset, capacity, Method.bestFor(model.backend()), true);
    }

    /**
     * With a chosen method.
     *
     * @throws IllegalArgumentException for the R-operator on a backend other than the float64 CPU one
     */
    public HessianVectorProduct(Model model, Dataset subset, int capacity, Method method) {
        this(model, subset, capacity, method, true);
    }

    /** As above; {@code cacheFirstLayer} false recomputes z₁(θ) in every product (tests of both paths). */
    HessianVectorProduct(Model model, Dataset subset, int capacity, Method method, boolean cacheFirstLayer) {
        if (method == Method.R_OPERATOR && !Method.supportsROperator(model.backend())) {
            throw new IllegalArgumentException("the R-operator Hessian-vector product needs the float64 CPU backend,"
                    + " not " + model.backend().name() + " " + model.backend().dtype() + " (precision f64)");
        }
        this.method = method;
        if (subset.n() <= 0) {
            throw new IllegalArgumentException("the subset for curvature is empty");
        }
        this.model = model;
        this.mlp = model.mlp();
        if (subset.featureDim() != mlp.inputDim()) {
            throw new IllegalArgumentException("subset has " + subset.featureDim() + " features, the model "
                    + mlp.inputDim());
        }
        if (mlp.batchNorm() && subset.n() < 2) {
            throw new io.ravine.InvalidInputException("batch norm: the curvature subset is one batch normalized by its"
                    + " own statistics and needs at least 2 examples, got " + subset.n());
        }
        this.backend = model.backend();
        this.subset = subset;
        // With BN the subset is one batch (its own statistics couple every example), so it is one chunk.
        this.capacity = mlp.batchNorm() ? subset.n() : Math.max(1, Math.min(capacity, subset.n()));
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
        gammaGrads = new Tensor[layers];
        betaGrads = new Tensor[layers];
        preNorm = new Tensor[layers];
        saveMean = new Tensor[layers];
        saveInvStd = new Tensor[layers];
        bnXhat = new double[layers][];
        bnRxhat = new double[layers][];
        bnRho = new double[layers][];
        activations = new Tensor[layers];
        deltas = new Tensor[layers];
        patterns = new Tensor[layers];
        boolean anyRelu = false;
        for (int k = 0; k < layers; k++) {
            weightGrads[k] = chunkGradient.view(mlp.weightOffset(k), mlp.fanOut(k), mlp.fanIn(k));
            if (mlp.hasBatchNorm(k)) {
                gammaGrads[k] = chunkGradient.view(mlp.gammaOffset(k), mlp.fanOut(k), 1);
                betaGrads[k] = chunkGradient.view(mlp.betaOffset(k), mlp.fanOut(k), 1);
                preNorm[k] = backend.allocate(this.capacity, mlp.fanOut(k));
                saveMean[k] = backend.allocateVector(mlp.fanOut(k));
                saveInvStd[k] = backend.allocateVector(mlp.fanOut(k));
            } else {
                biasGrads[k] = chunkGradient.view(mlp.biasOffset(k), mlp.fanOut(k), 1);
            }
            activations[k] = backend.allocate(this.capacity, mlp.fanOut(k));
            deltas[k] = backend.allocate(this.capacity, mlp.fanOut(k));
            if (frozen(k) && method == Method.CENTRAL_DIFFERENCES) {
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
        boolean cache = cacheFirstLayer
                && (long) subset.n() * w1 * backend.dtype().bytes() <= CACHE_LIMIT_BYTES;
        firstLayerCache = cache ? backend.allocate(subset.n(), w1) : null;
        expansionPoint = cache ? backend.allocateVector(p) : null;
        if (method == Method.R_OPERATOR) {
            rActivations = new Tensor[layers];
            rDeltas = new Tensor[layers];
            backScratch = new Tensor[layers];
            int widest = 0;
            for (int k = 0; k < layers; k++) {
                rActivations[k] = backend.allocate(this.capacity, mlp.fanOut(k));
                rDeltas[k] = backend.allocate(this.capacity, mlp.fanOut(k));
                if (k < layers - 1) {
                    backScratch[k] = backend.allocate(this.capacity, mlp.fanOut(k));
                }
                widest = Math.max(widest, mlp.fanOut(k));
            }
            int host = this.capacity * widest;
            hostA = new double[host];
            hostB = new double[host];
            hostC = new double[host];
            hostD = new double[host];
        } else {
            rActivations = null;
            rDeltas = null;
            backScratch = null;
            hostA = null;
            hostB = null;
            hostC = null;
            hostD = null;
        }
    }

    /** How this object computes its products. */
    public Method method() {
        return method;
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
        if (method == Method.R_OPERATOR) {
            rOperator(v, out);
            return;
        }
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
        boolean bn0 = mlp.hasBatchNorm(0);
        Tensor vb1 = bn0 ? null : v.view(mlp.biasOffset(0), w1, 1);
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
                // Rz₁ = X V₁ᵀ + v_b₁ (no bias under BN): the first layer's pre-activation moves by ±ε Rz₁.
                Tensor rz1 = firstLayerChange.firstRows(rows);
                backend.gemm(false, true, 1.0, x, v1, 0.0, rz1);
                if (!bn0) {
                    backend.biasActivationForward(rz1, vb1, Activation.IDENTITY, rz1);
                }
                for (int sign = -1; sign <= 1; sign += 2) {
                    backend.copy(savedTheta, theta);
                    backend.axpy(sign * eps, v, theta);
                    perturbedGradientAbove(rows, z1, rz1, sign * eps);
                    Tensor delta1 = deltas[0].firstRows(rows);
                    // (Under BN, layer 0's γ and β gradients at each point are in the chunk gradient already.)
                    if (sign < 0) {
                        backend.copy(delta1, deltaMinus.firstRows(rows));
                        backend.fill(weightGrads[0], 0.0);
                        if (!bn0) {
                            backend.fill(biasGrads[0], 0.0);
                        }
                        backend.axpy((double) rows / n, chunkGradient, minus);
                    } else {
                        // The first layer's weight-gradient difference in one product: (δ₁⁺ − δ₁⁻)ᵀ X.
                        backend.axpy(-1.0, deltaMinus.firstRows(rows), delta1);
                        backend.gemm(true, false, 1.0, delta1, x, 0.0, weightGrads[0]);
                        if (!bn0) {
                            backend.columnSum(delta1, biasGrads[0]);
                        }
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

    /**
     * out ← H v by the R-operator (see the class comment): per chunk the forward pass at θ and along v, then backprop
     * and its R-derivative, accumulated over the subset with the 1/N of the mean folded into δ. θ is not moved.
     */
    private void rOperator(Tensor v, Tensor out) {
        int n = subset.n();
        int layers = mlp.layerCount();
        int last = layers - 1;
        refreshCache();
        backend.fill(out, 0.0);
        Tensor[] outW = new Tensor[layers];
        Tensor[] outB = new Tensor[layers];
        Tensor[] vw = new Tensor[layers];
        Tensor[] vb = new Tensor[layers];
        for (int k = 0; k < layers; k++) {
            outW[k] = out.view(mlp.weightOffset(k), mlp.fanOut(k), mlp.fanIn(k));
            vw[k] = v.view(mlp.weightOffset(k), mlp.fanOut(k), mlp.fanIn(k));
            if (!mlp.hasBatchNorm(k)) {
                outB[k] = out.view(mlp.biasOffset(k), mlp.fanOut(k), 1);
                vb[k] = v.view(mlp.biasOffset(k), mlp.fanOut(k), 1);
            }
        }
        int w1 = mlp.fanOut(0);
        for (int start = 0; start < n; start += capacity) {
            int rows = load(start);
            Tensor x = input.firstRows(rows);
            for (int k = 0; k < layers; k++) {
                boolean bn = mlp.hasBatchNorm(k);
                Tensor z = (bn ? preNorm[k] : activations[k]).firstRows(rows);
                Tensor rz = rActivations[k].firstRows(rows);
                Tensor bias;
                if (k == 0) {
                    if (firstLayerCache != null) {
                        backend.copy(firstLayerCache.view(start * w1, rows, w1), z);
                    } else {
                        firstLayerPreActivation(rows, z);
                    }
                    bias = zeroBias;
                    backend.gemm(false, true, 1.0, x, vw[0], 0.0, rz);
                } else {
                    Tensor a = activations[k - 1].firstRows(rows);
                    backend.gemm(false, true, 1.0, a, model.weight(k), 0.0, z);
                    bias = bn ? null : model.bias(k);
                    backend.gemm(false, true, 1.0, rActivations[k - 1].firstRows(rows), model.weight(k), 0.0, rz);
                    backend.gemm(false, true, 1.0, a, vw[k], 1.0, rz);
                }
                Activation act = mlp.activation(k);
                Tensor y = activations[k].firstRows(rows);
                if (bn) {
                    // Training mode on the whole subset, running statistics untouched; Ry from BN's R-forward.
                    backend.batchNormTrainingForward(z, model.gamma(k), model.beta(k), Model.BN_EPS, act, y,
                            saveMean[k], saveInvStd[k], null, null, Model.BN_MOMENTUM);
                    batchNormRForward(k, z, rz, v);
                } else {
                    backend.biasActivationForward(rz, vb[k], Activation.IDENTITY, rz);
                    backend.biasActivationForward(z, bias, act, z);
                }
                if (act != Activation.IDENTITY) {
                    backend.activationBackward(act, y, rz, rz); // Ra_k = φ'(·) ⊙ R(pre-activation)
                }
            }
            Tensor scores = activations[last].firstRows(rows);
            Tensor delta = deltas[last].firstRows(rows);
            backend.lossForwardBackward(mlp.loss(), scores, target.firstRows(rows), lossPerRow.firstRows(rows), delta,
                    1.0 / n);
            Tensor rDelta = rDeltas[last].firstRows(rows);
            lossHessianTimes(scores, rActivations[last].firstRows(rows), rDelta, rows, 1.0 / n);
            for (int k = last; k >= 0; k--) {
                Tensor prev = k == 0 ? x : activations[k - 1].firstRows(rows);
                if (mlp.hasBatchNorm(k)) {
                    // delta, rDelta hold ∂/∂y and R{∂/∂y}; BN's R-backward turns them into ∂/∂z and R{∂/∂z} in
                    // place and adds (Hv) for γ and β.
                    batchNormRBackward(k, delta, rDelta, v, out);
                }
                backend.gemm(true, false, 1.0, rDelta, prev, 1.0, outW[k]);
                if (k > 0) {
                    backend.gemm(true, false, 1.0, delta, rActivations[k - 1].firstRows(rows), 1.0, outW[k]);
                }
                if (!mlp.hasBatchNorm(k)) {
                    backend.columnSum(rDelta, biasGrads[k]);
                    backend.axpy(1.0, biasGrads[k], outB[k]);
                }
                if (k == 0) {
                    break;
                }
                Activation act = mlp.activation(k - 1);
                Tensor y = activations[k - 1].firstRows(rows);
                Tensor e = backScratch[k - 1].firstRows(rows);
                Tensor rPrev = rDeltas[k - 1].firstRows(rows);
                Tensor dPrev = deltas[k - 1].firstRows(rows);
                backend.gemm(false, false, 1.0, delta, model.weight(k), 0.0, e);
                backend.gemm(false, false, 1.0, rDelta, model.weight(k), 0.0, rPrev);
                backend.gemm(false, false, 1.0, delta, vw[k], 1.0, rPrev);
                backend.activationBackward(act, y, e, dPrev);
                backend.activationBackward(act, y, rPrev, rPrev);
                if (act == Activation.LOGISTIC || act == Activation.TANH) {
                    addCurvatureOfActivation(act, y, e, rActivations[k - 1].firstRows(rows), rPrev);
                }
                delta = dPrev;
                rDelta = rPrev;
            }
        }
    }

    /**
     * BN's R-forward for layer k over the whole subset (one batch, N rows), on the host in double. With x̂ = (z − μ)s,
     * s = (σ² + ε)^(−1/2), per column:
     * <pre>
     *   Rμ = mean(Rz),   Rσ² = 2·mean((z − μ)(Rz − Rμ)) = (2/s)·ρ,   ρ = mean(x̂ ⊙ Rz)
     *   Rs = −½ s³ Rσ² = −s² ρ
     *   Rx̂ = s(Rz − Rμ) + (z − μ) Rs = s (Rz − Rμ − x̂ ρ)
     *   Ry = γ Rx̂ + v_γ x̂ + v_β
     * </pre>
     * (Rx̂ is BN's own Jacobian applied to Rz, the same map its backward applies to ∂/∂x̂: the Jacobian is
     * symmetric.) rz holds Rz on entry and Ry on return; x̂ and Rx̂ are kept for {@link #batchNormRBackward}.
     */
    private void batchNormRForward(int k, Tensor z, Tensor rz, Tensor v) {
        int rows = z.rows();
        int w = z.cols();
        int len = rows * w;
        if (bnXhat[k] == null) {
            bnXhat[k] = new double[len];
            bnRxhat[k] = new double[len];
        }
        double[] xhat = bnXhat[k];
        double[] rxhat = bnRxhat[k];
        backend.copyToHost(z, xhat, 0);
        backend.copyToHost(rz, rxhat, 0);
        double[] mean = backend.toDoubleArray(saveMean[k]);
        double[] s = backend.toDoubleArray(saveInvStd[k]);
        double[] g = backend.toDoubleArray(model.gamma(k));
        double[] vg = host(v, mlp.gammaOffset(k), w);
        double[] vbeta = host(v, mlp.betaOffset(k), w);
        double[] rMean = new double[w];
        double[] rho = new double[w];
        for (int i = 0; i < rows; i++) {
            int base = i * w;
            for (int j = 0; j < w; j++) {
                double xh = (xhat[base + j] - mean[j]) * s[j];
                xhat[base + j] = xh;
                rMean[j] += rxhat[base + j];
                rho[j] += xh * rxhat[base + j];
            }
        }
        for (int j = 0; j < w; j++) {
            rMean[j] /= rows;
            rho[j] /= rows;
        }
        bnRho[k] = rho;
        double[] ry = hostC;
        for (int i = 0; i < rows; i++) {
            int base = i * w;
            for (int j = 0; j < w; j++) {
                double rx = s[j] * (rxhat[base + j] - rMean[j] - xhat[base + j] * rho[j]);
                rxhat[base + j] = rx;
                ry[base + j] = g[j] * rx + vg[j] * xhat[base + j] + vbeta[j];
            }
        }
        backend.copyFromHost(ry, 0, rz);
    }

    /**
     * BN's R-backward for layer k (Pearlmutter's R{·} of BN's backward, including its dependence on the batch
     * statistics). On entry {@code delta} = g_y = ∂J/∂y and {@code rDelta} = R{g_y}; per column, with the x̂, Rx̂ and
     * s of the R-forward pass and ρ = mean(x̂ ⊙ Rz) = −(Rs)/s² :
     * <pre>
     *   (Hv)_γ = Σ_i (R{g_y} x̂ + g_y Rx̂),   (Hv)_β = Σ_i R{g_y}
     *   g_x̂ = γ g_y,   R{g_x̂} = v_γ g_y + γ R{g_y}
     *   m₁ = mean(g_x̂),   m₂ = mean(g_x̂ x̂),   R{m₁} = mean(R{g_x̂}),   R{m₂} = mean(R{g_x̂} x̂ + g_x̂ Rx̂)
     *   g_z = s (g_x̂ − m₁ − x̂ m₂)                                        (BN's backward)
     *   R{g_z} = (Rs/s) g_z + s (R{g_x̂} − R{m₁} − Rx̂ m₂ − x̂ R{m₂}),   Rs/s = −s ρ
     * </pre>
     * On return {@code delta} = g_z and {@code rDelta} = R{g_z}, and (Hv)_γ, (Hv)_β are added to {@code out}.
     */
    private void batchNormRBackward(int k, Tensor delta, Tensor rDelta, Tensor v, Tensor out) {
        int rows = delta.rows();
        int w = delta.cols();
        double[] xhat = bnXhat[k];
        double[] rxhat = bnRxhat[k];
        double[] gy = hostA;
        double[] rgy = hostB;
        backend.copyToHost(delta, gy, 0);
        backend.copyToHost(rDelta, rgy, 0);
        double[] s = backend.toDoubleArray(saveInvStd[k]);
        double[] g = backend.toDoubleArray(model.gamma(k));
        double[] vg = host(v, mlp.gammaOffset(k), w);
        double[] hvGamma = new double[w];
        double[] hvBeta = new double[w];
        double[] m1 = new double[w];
        double[] m2 = new double[w];
        double[] rm1 = new double[w];
        double[] rm2 = new double[w];
        for (int i = 0; i < rows; i++) {
            int base = i * w;
            for (int j = 0; j < w; j++) {
                double xh = xhat[base + j];
                double gyv = gy[base + j];
                double rgyv = rgy[base + j];
                hvGamma[j] += rgyv * xh + gyv * rxhat[base + j];
                hvBeta[j] += rgyv;
                double gx = g[j] * gyv;
                double rgx = vg[j] * gyv + g[j] * rgyv;
                m1[j] += gx;
                m2[j] += gx * xh;
                rm1[j] += rgx;
                rm2[j] += rgx * xh + gx * rxhat[base + j];
            }
        }
        for (int j = 0; j < w; j++) {
            m1[j] /= rows;
            m2[j] /= rows;
            rm1[j] /= rows;
            rm2[j] /= rows;
        }
        double[] rho = bnRho[k];
        double[] gz = hostC;
        double[] rgz = hostD;
        for (int i = 0; i < rows; i++) {
            int base = i * w;
            for (int j = 0; j < w; j++) {
                double xh = xhat[base + j];
                double gx = g[j] * gy[base + j];
                double rgx = vg[j] * gy[base + j] + g[j] * rgy[base + j];
                double gzv = s[j] * (gx - m1[j] - xh * m2[j]);
                gz[base + j] = gzv;
                rgz[base + j] = -s[j] * rho[j] * gzv
                        + s[j] * (rgx - rm1[j] - rxhat[base + j] * m2[j] - xh * rm2[j]);
            }
        }
        backend.copyFromHost(gz, 0, delta);
        backend.copyFromHost(rgz, 0, rDelta);
        addToHost(out, mlp.gammaOffset(k), hvGamma);
        addToHost(out, mlp.betaOffset(k), hvBeta);
    }

    /** out[offset, offset + n) += values. */
    private void addToHost(Tensor out, int offset, double[] values) {
        Tensor seg = out.view(offset, values.length, 1);
        double[] cur = new double[values.length];
        backend.copyToHost(seg, cur, 0);
        for (int j = 0; j < cur.length; j++) {
            cur[j] += values[j];
        }
        backend.copyFromHost(cur, 0, seg);
    }

    /** v's elements [offset, offset + n) on the host. */
    private double[] host(Tensor v, int offset, int n) {
        double[] out = new double[n];
        backend.copyToHost(v.view(offset, n, 1), out, 0);
        return out;
    }

    /**
     * rPrev ← rPrev + e ⊙ φ''(z) ⊙ Rz, with φ''·Rz written through the stored output y and Ra = φ'(z) ⊙ Rz:
     * logistic φ'' = φ'(1 − 2y), so φ''Rz = (1 − 2y) Ra; tanh φ'' = −2yφ', so φ''Rz = −2y Ra.
     */
    private void addCurvatureOfActivation(Activation act, Tensor y, Tensor e, Tensor ra, Tensor rPrev) {
        int len = y.length();
        backend.copyToHost(y, hostA, 0);
        backend.copyToHost(e, hostB, 0);
        backend.copyToHost(ra, hostC, 0);
        backend.copyToHost(rPrev, hostD, 0);
        boolean logistic = act == Activation.LOGISTIC;
        for (int i = 0; i < len; i++) {
            double yi = hostA[i];
            double factor = logistic ? 1.0 - 2.0 * yi : -2.0 * yi;
            hostD[i] += hostB[i] * factor * hostC[i];
        }
        backend.copyFromHost(hostD, 0, rPrev);
    }

    /**
     * rDelta ← scale · (∂²ℓ/∂z²) Rz, row by row: the Hessian of each loss in its scores z (with its output
     * nonlinearity): MSE I; logistic-ce diag(σ(z)(1 − σ(z))); softmax-ce diag(p) − ppᵀ with p = softmax(z).
     */
    private void lossHessianTimes(Tensor scores, Tensor rz, Tensor rDelta, int rows, double scale) {
        int k = scores.cols();
        backend.copyToHost(scores, hostA, 0);
        backend.copyToHost(rz, hostB, 0);
        io.ravine.nn.LossHessian.times(mlp.loss(), hostA, hostB, hostC, rows, k, scale, hostD);
        backend.copyFromHost(hostC, 0, rDelta);
    }

    /**
     * The relative size of the rounding in one product, as a multiple of ‖H‖‖v‖: eigenvalues (Ritz values) of
     * magnitude below this times ‖H‖ cannot be told from 0, nor their sign known (the "resolvable floor").
     * <ul>
     *   <li>R-operator, float64: exact but for rounding; each entry of H·v and each Rayleigh quotient qᵀHq is a
     *       sum over the N examples, over a layer's width, and over the P entries of the vectors, and a sum of n
     *       terms is accurate to γ_n ≈ n·u relative to the sum of the terms' magnitudes, u = ε_mach/2 (Higham,
     *       Accuracy and Stability of Numerical Algorithms, §3.1). So (N + w_max + P)·u. Taken relative to ‖H‖,
     *       this assumes the terms' magnitudes are of the order of ‖H‖ (no cancellation worse than H's own): true
     *       for the non-negative inputs of the lectures' examples, where |X|ᵀ|X| = XᵀX.</li>
     *   <li>Central differences: rounding θ ± εv to the dtype moves each point by up to u‖θ‖; the difference
     *       divides those moves by the step ε‖v‖ = √ε_mach(1 + ‖θ‖), an error of up to ½√ε_mach·‖H‖‖v‖, and the
     *       two gradients' own rounding, divided by the same step, is of the same order where the gradient's terms
     *       are no larger than ‖H‖(1 + ‖θ‖). So √ε_mach: 3.5e-4 in float32 (= ε_f32 · 2896, the factor being
     *       1/√ε_f32), 1.5e-8 in float64.</li>
     * </ul>
     */
    @Override
    public double relativeFloor() {
        double eps = machineEpsilon;
        if (method == Method.R_OPERATOR) {
            int widest = 0;
            for (int k = 0; k < mlp.layerCount(); k++) {
                widest = Math.max(widest, Math.max(mlp.fanIn(k), mlp.fanOut(k)));
            }
            return ((double) subset.n() + widest + mlp.parameterCount()) * eps / 2;
        }
        return Math.sqrt(eps);
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

    /** z₁ = X W₁ᵀ + b₁ (X W₁ᵀ under BN, which has no bias) for the loaded rows at the current θ. */
    private void firstLayerPreActivation(int rows, Tensor z1) {
        backend.gemm(false, true, 1.0, input.firstRows(rows), model.weight(0), 0.0, z1);
        if (!mlp.hasBatchNorm(0)) {
            backend.biasActivationForward(z1, model.bias(0), Activation.IDENTITY, z1);
        }
    }

    /**
     * Layer k's output a_k from its product z = a_{k−1}W_kᵀ: φ(z + b_k), or under BN φ(BN(z)) in training mode with
     * the rows' own statistics (running statistics untouched; z must not be {@code out}). With {@code frozen}, a
     * hidden ReLU layer multiplies by its pattern at θ instead of applying max(0, ·).
     */
    private void finishLayer(int k, Tensor z, Tensor out, int rows, boolean frozen) {
        boolean mask = frozen && patterns[k] != null;
        Activation act = mask ? Activation.IDENTITY : mlp.activation(k);
        if (mlp.hasBatchNorm(k)) {
            backend.batchNormTrainingForward(z, model.gamma(k), model.beta(k), Model.BN_EPS, act, out, saveMean[k],
                    saveInvStd[k], null, null, Model.BN_MOMENTUM);
        } else {
            backend.biasActivationForward(z, model.bias(k), act, out);
        }
        if (mask) {
            backend.activationBackward(Activation.RELU, patterns[k].firstRows(rows), out, out);
        }
    }

    /** Where layer k's product a_{k−1}W_kᵀ goes: its own buffer under BN (kept for the backward), else the output. */
    private Tensor product(int k, int rows) {
        return (mlp.hasBatchNorm(k) ? preNorm[k] : activations[k]).firstRows(rows);
    }

    /** The hidden ReLU layers' outputs at θ (θ unperturbed), from the first layer's pre-activation z₁(θ). */
    private void recordPatterns(int rows, Tensor z1) {
        Tensor a = activations[0].firstRows(rows);
        if (mlp.hasBatchNorm(0)) {
            finishLayer(0, z1, a, rows, false);
        } else {
            backend.biasActivationForward(z1, zeroBias, mlp.activation(0), a);
        }
        if (patterns[0] != null) {
            backend.copy(a, patterns[0].firstRows(rows));
        }
        for (int k = 1; k < mlp.layerCount() - 1; k++) {
            Tensor z = product(k, rows);
            backend.gemm(false, true, 1.0, a, model.weight(k), 0.0, z);
            Tensor out = activations[k].firstRows(rows);
            finishLayer(k, z, out, rows, false);
            if (patterns[k] != null) {
                backend.copy(out, patterns[k].firstRows(rows));
            }
            a = out;
        }
    }

    /**
     * At θ + step·v (already set): the first layer's output from z₁ + step·Rz₁, the layers above as usual (ReLU
     * patterns frozen), and backprop into {@link #chunkGradient} for every layer but the first, whose δ₁ is left in
     * {@code deltas[0]}.
     */
    private void perturbedGradientAbove(int rows, Tensor z1, Tensor rz1, double step) {
        Tensor a = activations[0].firstRows(rows);
        Tensor first = product(0, rows);
        backend.copy(z1, first);
        backend.axpy(step, rz1, first);
        if (mlp.hasBatchNorm(0)) {
            finishLayer(0, first, a, rows, freezes); // γ₁, β₁ and the statistics at θ + step·v
        } else {
            applyActivation(0, a, rows, freezes);
        }
        for (int k = 1; k < mlp.layerCount(); k++) {
            Tensor z = product(k, rows);
            backend.gemm(false, true, 1.0, a, model.weight(k), 0.0, z);
            Tensor out = activations[k].firstRows(rows);
            finishLayer(k, z, out, rows, freezes);
            a = out;
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
            Tensor z = product(k, rows);
            backend.gemm(false, true, 1.0, a, model.weight(k), 0.0, z);
            Tensor out = activations[k].firstRows(rows);
            finishLayer(k, z, out, rows, frozen);
            a = out;
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
            if (mlp.hasBatchNorm(k)) {
                batchNormBackward(k, delta, rows);
            }
            backend.gemm(true, false, 1.0, delta, prev, 0.0, weightGrads[k]);
            if (!mlp.hasBatchNorm(k)) {
                backend.columnSum(delta, biasGrads[k]);
            }
            if (k > 0) {
                Tensor prevDelta = deltas[k - 1].firstRows(rows);
                backend.gemm(false, false, 1.0, delta, model.weight(k), 0.0, prevDelta);
                Tensor derivativeSource = frozen && patterns[k - 1] != null ? patterns[k - 1].firstRows(rows) : prev;
                backend.activationBackward(mlp.activation(k - 1), derivativeSource, prevDelta, prevDelta);
                delta = prevDelta;
            }
        }
        if (lowest == 1 && mlp.hasBatchNorm(0)) {
            // δ₁ below layer 0's BN (its weight gradient is taken by the caller) and its γ, β gradients.
            batchNormBackward(0, deltas[0].firstRows(rows), rows);
        }
    }

    /** delta: ∂/∂y → ∂/∂z in place through layer k's BN (training mode), its γ and β gradients into the chunk's. */
    private void batchNormBackward(int k, Tensor delta, int rows) {
        backend.batchNormBackward(preNorm[k].firstRows(rows), model.gamma(k), saveMean[k], saveInvStd[k], delta,
                delta, gammaGrads[k], betaGrads[k]);
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
            if (preNorm[k] != null) {
                preNorm[k].close();
                saveMean[k].close();
                saveInvStd[k].close();
            }
            if (patterns[k] != null) {
                patterns[k].close();
            }
            if (rActivations != null) {
                rActivations[k].close();
                rDeltas[k].close();
                if (backScratch[k] != null) {
                    backScratch[k].close();
                }
            }
        }
    }
}
