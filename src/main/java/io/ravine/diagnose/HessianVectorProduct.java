package io.ravine.diagnose;

import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import io.ravine.data.Dataset;
import io.ravine.nn.Model;

/**
 * Curvature of the mean loss J(θ) = (1/N) Σ ℓ(x_n, θ) over a fixed subset of N examples, through Hessian-vector
 * products: the P × P Hessian is never formed, only H·v for the vectors v a diagnostic asks about.
 *
 * <p>H·v comes from central differences of gradients (Pearlmutter 1994, eq. 1; the exact R-operator would need
 * second derivatives of the losses and activations that the {@link Backend} does not offer):
 * <pre>
 *   H v ≈ (∇J(θ + εv) − ∇J(θ − εv)) / 2ε,   ε = √ε_mach · (1 + ‖θ‖) / ‖v‖
 * </pre>
 * The step moves θ by √ε_mach · (1 + ‖θ‖) in norm: large enough that θ ± εv differs from θ in about half of the
 * mantissa bits (rounding θ ± εv perturbs the direction by ε_mach‖θ‖ / ε‖v‖ ≈ √ε_mach relative), small enough that
 * the truncation error, O(ε²‖∇³J‖), stays at the same level. ε_mach is that of the backend's dtype (2⁻²³ for
 * float32, so ε‖v‖ ≈ 3.5e-4 (1 + ‖θ‖); 2⁻⁵² for float64). For a quadratic J (linear regression with MSE) the
 * gradient is linear in θ and the difference is exact up to rounding.
 *
 * <p>Each gradient is the mean over the subset, computed in chunks of the workspace capacity and accumulated in a
 * scratch vector with weights n_chunk / N. One H·v costs two gradient passes over the subset. θ is saved in a
 * scratch vector and copied back after every product, so it comes back bit for bit (a copy, not θ + εv − εv).
 * J here is the data loss only: the coupled L2 term of {@code --weight-decay} lives in the optimizer.
 *
 * <p>Uses {@code model.workspace(capacity)} and {@code model.gradient()} as scratch; both are overwritten.
 */
public final class HessianVectorProduct implements SymmetricOperator, AutoCloseable {
    private final Model model;
    private final Backend backend;
    private final Dataset subset;
    private final int capacity;
    private final Tensor savedTheta;
    private final Tensor plus;
    private final Tensor minus;
    private final double machineEpsilon;
    private long gradientPasses;

    /**
     * @param model the model whose current θ is the expansion point
     * @param subset the examples J averages over (features normalized, targets encoded as the model expects)
     * @param capacity rows per chunk (the workspace's batch capacity)
     */
    public HessianVectorProduct(Model model, Dataset subset, int capacity) {
        if (subset.n() <= 0) {
            throw new IllegalArgumentException("the subset for curvature is empty");
        }
        if (subset.featureDim() != model.mlp().inputDim()) {
            throw new IllegalArgumentException("subset has " + subset.featureDim() + " features, the model "
                    + model.mlp().inputDim());
        }
        this.model = model;
        this.backend = model.backend();
        this.subset = subset;
        this.capacity = Math.max(1, Math.min(capacity, subset.n()));
        int p = model.mlp().parameterCount();
        savedTheta = backend.allocateVector(p);
        plus = backend.allocateVector(p);
        minus = backend.allocateVector(p);
        machineEpsilon = switch (backend.dtype()) {
            case F32 -> Math.ulp(1.0f);
            case F64 -> Math.ulp(1.0);
        };
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
        return model.mlp().parameterCount();
    }

    /** Gradient passes over the subset so far (one per {@link #lossAndGradient}, two per {@link #apply}). */
    public long gradientPasses() {
        return gradientPasses;
    }

    /** J(θ) at the current θ (a forward pass only). */
    public double loss() {
        Model.Workspace ws = model.workspace(capacity);
        double sum = 0;
        for (int start = 0; start < subset.n(); start += capacity) {
            int rows = load(ws, start);
            model.evaluate(ws, rows);
            sum += backend.sum(ws.lossPerRow().firstRows(rows));
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

    /** out ← ∇J(θ) over the subset; returns J(θ). {@code out} must not be {@code model.gradient()}. */
    public double lossAndGradient(Tensor out) {
        gradientPasses++;
        Model.Workspace ws = model.workspace(capacity);
        int n = subset.n();
        double sum = 0;
        if (n > capacity) {
            backend.fill(out, 0.0);
        }
        for (int start = 0; start < n; start += capacity) {
            int rows = load(ws, start);
            model.computeGradient(ws, rows);
            sum += backend.sum(ws.lossPerRow().firstRows(rows));
            if (n <= capacity) {
                backend.copy(model.gradient(), out);
            } else {
                // ∇ of the mean over N is the row-weighted mean of the chunks' mean gradients.
                backend.axpy((double) rows / n, model.gradient(), out);
            }
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
        backend.copy(theta, savedTheta);
        try {
            backend.axpy(eps, v, theta);
            lossAndGradient(plus);
            backend.copy(savedTheta, theta);
            backend.axpy(-eps, v, theta);
            lossAndGradient(minus);
        } finally {
            backend.copy(savedTheta, theta);
        }
        backend.copy(plus, out);
        backend.axpy(-1.0, minus, out);
        backend.scale(1.0 / (2.0 * eps), out);
    }

    private int load(Model.Workspace ws, int start) {
        int rows = Math.min(capacity, subset.n() - start);
        backend.copyFromHost(subset.features(), start * subset.featureDim(), ws.input().firstRows(rows));
        backend.copyFromHost(subset.targets(), start * subset.targetCols(), ws.target().firstRows(rows));
        return rows;
    }

    @Override
    public void close() {
        savedTheta.close();
        plus.close();
        minus.close();
    }
}
