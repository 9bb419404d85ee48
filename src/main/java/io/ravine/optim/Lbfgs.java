package io.ravine.optim;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.RefusedUpdate;
import io.ravine.backend.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * L-BFGS with the semantics of {@code torch.optim.LBFGS} (PyTorch 1.13, {@code torch/optim/lbfgs.py}), line for
 * line: per {@link #step}, up to {@code maxIter} iterations of the two-loop recursion (Nocedal &amp; Wright,
 * Numerical Optimization, Algorithm 7.4) over the last {@code historySize} pairs (s, y) with yᵀs &gt; 1e-10, the
 * initial inverse Hessian γI with γ = yᵀs / yᵀy, a first step length min(1, 1/‖g‖₁)·lr and lr after it, and
 * either a fixed step or torch's strong-Wolfe line search ({@code _strong_wolfe}: c₁ = 1e-4, c₂ = 0.9, 25
 * evaluations, cubic interpolation of {@code _cubic_interpolate}). The step stops, as torch's does, at
 * {@code maxIter} iterations, {@code maxEval} evaluations, ‖g‖∞ ≤ toleranceGrad, a directional derivative above
 * −toleranceChange, a step with ‖t·d‖∞ ≤ toleranceChange, or a loss change below toleranceChange.
 *
 * <p>The state that outlives a step is torch's ({@code d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad,
 * prev_loss, n_iter, func_evals}); {@link #snapshot()} and {@link #restore} carry it through a checkpoint, so a
 * resumed run continues with the same bits. Every vector operation is a {@link Backend} call (axpy, dot, scale,
 * copy and the ‖·‖₁, ‖·‖∞ reductions): nothing per element runs on the host.
 *
 * <p>Guard. torch lets a NaN loss or gradient through; here θ is copied at the start of each step and copied back
 * when the step meets a non-finite loss or gradient, or ends with a non-finite θ, and the step is reported refused
 * ({@link ClosureStep#refused()}), so no NaN reaches θ.
 */
public final class Lbfgs implements AutoCloseable {
    /** torch's strong-Wolfe constants ({@code _strong_wolfe}'s defaults, which LBFGS does not override). */
    private static final double C1 = 1e-4;
    private static final double C2 = 0.9;
    private static final int MAX_LS = 25;

    /** {@code line_search_fn}: None or 'strong_wolfe'. */
    public enum LineSearch {
        /** A fixed step of length t (torch's {@code line_search_fn=None}). */
        NONE,
        /** torch's {@code _strong_wolfe}. */
        STRONG_WOLFE;

        /**
         * The name in settings: none or strong-wolfe.
         *
         * @return the lower-case name
         */
        public String cliName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /**
         * The line search a name names.
         *
         * @param name none or strong-wolfe (strong_wolfe too, torch's spelling)
         * @return the line search
         */
        public static LineSearch parse(String name) {
            String n = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            for (LineSearch l : values()) {
                if (l.cliName().equals(n)) {
                    return l;
                }
            }
            throw new IllegalArgumentException("unknown line search '" + name + "' (expected none or strong-wolfe)");
        }
    }

    private final Backend backend;
    private final int p;
    private final double lr;
    private final int maxIter;
    private final int maxEval;
    private final double toleranceGrad;
    private final double toleranceChange;
    private final int historySize;
    private final LineSearch lineSearch;

    private final Tensor flatGrad;
    private final Tensor savedTheta;
    private final Tensor xInit;
    private final Tensor[] lsBuffers = new Tensor[4];
    private Tensor d;
    private Tensor prevFlatGrad;
    /** The history, oldest first: y (torch's old_dirs) and s (old_stps). */
    private final List<Tensor> oldDirs = new ArrayList<>();
    private final List<Tensor> oldStps = new ArrayList<>();
    private final List<Double> ro = new ArrayList<>();
    private Tensor spareY;
    private Tensor spareS;
    private final double[] al;
    private double t = Double.NaN;
    private double hDiag = Double.NaN;
    private double prevLoss = Double.NaN;
    private long nIter;
    private long funcEvals;
    /** Whether torch's state holds d, t, …: after the first iteration. */
    private boolean started;

    /**
     * @param backend where θ lives
     * @param paramCount θ's length
     * @param opt an {@code lbfgs} optimizer (its lr, maxIter, maxEval, tolerances, historySize, lineSearch)
     */
    public Lbfgs(Backend backend, int paramCount, Optimizer opt) {
        this.backend = backend;
        this.p = paramCount;
        this.lr = opt.baseLearningRate();
        this.maxIter = opt.maxIter();
        this.maxEval = opt.resolvedMaxEval();
        this.toleranceGrad = opt.toleranceGrad();
        this.toleranceChange = opt.toleranceChange();
        this.historySize = opt.historySize();
        this.lineSearch = opt.lineSearch();
        this.al = new double[historySize];
        flatGrad = backend.allocateVector(p);
        savedTheta = backend.allocateVector(p);
        xInit = lineSearch == LineSearch.STRONG_WOLFE ? backend.allocateVector(p) : null;
        for (int i = 0; i < lsBuffers.length && lineSearch == LineSearch.STRONG_WOLFE; i++) {
            lsBuffers[i] = backend.allocateVector(p);
        }
    }

    /**
     * One {@code optimizer.step(closure)}: moves θ in place.
     *
     * @param theta θ
     * @param f the closure, evaluated at θ's current value
     * @return the loss at the start, ‖g‖ there, and a refusal if a non-finite value was met (θ then as it was)
     */
    public ClosureStep step(Tensor theta, Objective f) {
        backend.copy(theta, savedTheta);
        int[] evals = {0};
        Objective counted = g -> {
            evals[0]++;
            return f.lossAndGradient(g);
        };
        double origLoss = counted.lossAndGradient(flatGrad);
        double gradNorm = Math.sqrt(backend.sumOfSquares(flatGrad));
        RefusedUpdate bad = nonFinite(origLoss, gradNorm);
        if (bad != null) {
            return new ClosureStep(origLoss, gradNorm, bad, evals[0]);
        }
        double loss = origLoss;
        int currentEvals = 1;
        funcEvals++;
        boolean optCond = backend.maxAbs(flatGrad) <= toleranceGrad;
        if (optCond) {
            return new ClosureStep(origLoss, gradNorm, null, evals[0]);
        }
        int n = 0;
        while (n < maxIter) {
            n++;
            nIter++;
            if (nIter == 1) {
                ensureStarted();
                backend.copy(flatGrad, d);
                backend.scale(-1.0, d);
                clearHistory();
                hDiag = 1;
            } else {
                updateHistoryAndDirection();
            }
            backend.copy(flatGrad, prevFlatGrad);
            prevLoss = loss;
            t = nIter == 1 ? Math.min(1.0, 1.0 / backend.sumOfAbs(flatGrad)) * lr : lr;
            double gtd = backend.dot(flatGrad, d);
            if (gtd > -toleranceChange) {
                break;
            }
            int lsEvals = 0;
            if (lineSearch == LineSearch.STRONG_WOLFE) {
                backend.copy(theta, xInit);
                double[] out = strongWolfe(theta, counted, t, loss, gtd);
                loss = out[0];
                t = out[1];
                lsEvals = (int) out[2];
                backend.axpy(t, d, theta);
                optCond = backend.maxAbs(flatGrad) <= toleranceGrad;
            } else {
                backend.axpy(t, d, theta);
                if (n != maxIter) {
                    loss = counted.lossAndGradient(flatGrad);
                    optCond = backend.maxAbs(flatGrad) <= toleranceGrad;
                    lsEvals = 1;
                }
            }
            currentEvals += lsEvals;
            funcEvals += lsEvals;
            bad = nonFinite(loss, Math.sqrt(backend.sumOfSquares(flatGrad)));
            if (bad != null) {
                backend.copy(savedTheta, theta);
                return new ClosureStep(origLoss, gradNorm, bad, evals[0]);
            }
            if (n == maxIter || currentEvals >= maxEval || optCond) {
                break;
            }
            if (Math.abs(t) * backend.maxAbs(d) <= toleranceChange) {
                break;
            }
            if (Math.abs(loss - prevLoss) < toleranceChange) {
                break;
            }
        }
        if (!Double.isFinite(backend.sumOfSquares(theta))) {
            backend.copy(savedTheta, theta);
            return new ClosureStep(origLoss, gradNorm, new RefusedUpdate(0, RefusedUpdate.Cause.GRADIENT),
                    evals[0]);
        }
        return new ClosureStep(origLoss, gradNorm, null, evals[0]);
    }

    private static RefusedUpdate nonFinite(double loss, double gradNorm) {
        if (!Double.isFinite(loss)) {
            return new RefusedUpdate(0, RefusedUpdate.Cause.LOSS);
        }
        if (!Double.isFinite(gradNorm)) {
            return new RefusedUpdate(0, RefusedUpdate.Cause.GRADIENT);
        }
        return null;
    }

    private void ensureStarted() {
        if (!started) {
            d = backend.allocateVector(p);
            prevFlatGrad = backend.allocateVector(p);
            started = true;
        }
    }

    private void clearHistory() {
        if (spareY != null) {
            spareY.close();
            spareS.close();
            spareY = null;
            spareS = null;
        }
        oldDirs.forEach(Tensor::close);
        oldStps.forEach(Tensor::close);
        oldDirs.clear();
        oldStps.clear();
        ro.clear();
    }

    /** torch's "do lbfgs update (update memory)" and the two-loop recursion into d. */
    private void updateHistoryAndDirection() {
        // y and s are computed into a spare pair: a pair with yᵀs ≤ 1e-10 is dropped without touching the history.
        if (spareY == null) {
            spareY = backend.allocateVector(p);
            spareS = backend.allocateVector(p);
        }
        Tensor y = spareY;
        Tensor s = spareS;
        backend.copy(flatGrad, y);
        backend.axpy(-1.0, prevFlatGrad, y);
        backend.copy(d, s);
        backend.scale(t, s);
        double ys = backend.dot(y, s);
        if (ys > 1e-10) {
            if (oldDirs.size() == historySize) {
                spareY = oldDirs.remove(0);
                spareS = oldStps.remove(0);
                ro.remove(0);
            } else {
                spareY = null;
                spareS = null;
            }
            oldDirs.add(y);
            oldStps.add(s);
            ro.add(1.0 / ys);
            hDiag = ys / backend.dot(y, y);
        }
        int num = oldDirs.size();
        Tensor q = d; // torch's q = −g, then d = r = q·H_diag: one buffer, as the two loops never need both
        backend.copy(flatGrad, q);
        backend.scale(-1.0, q);
        for (int i = num - 1; i >= 0; i--) {
            al[i] = backend.dot(oldStps.get(i), q) * ro.get(i);
            backend.axpy(-al[i], oldDirs.get(i), q);
        }
        backend.scale(hDiag, d);
        for (int i = 0; i < num; i++) {
            double be = backend.dot(oldDirs.get(i), d) * ro.get(i);
            backend.axpy(al[i] - be, oldStps.get(i), d);
        }
    }

    /**
     * torch's {@code _strong_wolfe}: θ is at x (= {@link #xInit}) on entry and on return; the gradient of the
     * returned point is left in {@link #flatGrad}. Returns {f_new, t, ls_func_evals}.
     */
    private double[] strongWolfe(Tensor theta, Objective f, double t0, double f0, double gtd0) {
        double t = t0;
        double dNorm = backend.maxAbs(d);
        Tensor g = flatGrad; // read only until the end
        Tensor gNew = free(g, null, null, null);
        double fNew = directional(theta, f, t, gNew);
        int lsFuncEvals = 1;
        double gtdNew = backend.dot(gNew, d);
        double tPrev = 0;
        double fPrev = f0;
        Tensor gPrev = g;
        double gtdPrev = gtd0;
        boolean done = false;
        int lsIter = 0;
        double[] bracket = null;
        double[] bracketF = null;
        Tensor[] bracketG = null;
        double[] bracketGtd = null;
        while (lsIter < MAX_LS) {
            if (fNew > f0 + C1 * t * gtd0 || (lsIter > 1 && fNew >= fPrev)) {
                bracket = new double[] {tPrev, t};
                bracketF = new double[] {fPrev, fNew};
                bracketG = new Tensor[] {gPrev, gNew};
                bracketGtd = new double[] {gtdPrev, gtdNew};
                break;
            }
            if (Math.abs(gtdNew) <= -C2 * gtd0) {
                bracket = new double[] {t};
                bracketF = new double[] {fNew};
                bracketG = new Tensor[] {gNew};
                done = true;
                break;
            }
            if (gtdNew >= 0) {
                bracket = new double[] {tPrev, t};
                bracketF = new double[] {fPrev, fNew};
                bracketG = new Tensor[] {gPrev, gNew};
                bracketGtd = new double[] {gtdPrev, gtdNew};
                break;
            }
            double minStep = t + 0.01 * (t - tPrev);
            double maxStep = t * 10;
            double tmp = t;
            t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, minStep, maxStep);
            tPrev = tmp;
            fPrev = fNew;
            gPrev = gNew;
            gtdPrev = gtdNew;
            gNew = free(g, gPrev, null, null);
            fNew = directional(theta, f, t, gNew);
            lsFuncEvals++;
            gtdNew = backend.dot(gNew, d);
            lsIter++;
        }
        if (lsIter == MAX_LS) {
            bracket = new double[] {0, t};
            bracketF = new double[] {f0, fNew};
            bracketG = new Tensor[] {g, gNew};
            // torch leaves bracket_gtd as it was (possibly unset): it is read only in the zoom, which this skips
        }
        boolean insufProgress = false;
        int lowPos = bracketF[0] <= bracketF[bracketF.length - 1] ? 0 : 1;
        int highPos = 1 - lowPos;
        while (!done && lsIter < MAX_LS) {
            if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) {
                break;
            }
            t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1],
                    Double.NaN, Double.NaN);
            double hi = Math.max(bracket[0], bracket[1]);
            double lo = Math.min(bracket[0], bracket[1]);
            double eps = 0.1 * (hi - lo);
            if (Math.min(hi - t, t - lo) < eps) {
                if (insufProgress || t >= hi || t <= lo) {
                    t = Math.abs(t - hi) < Math.abs(t - lo) ? hi - eps : lo + eps;
                    insufProgress = false;
                } else {
                    insufProgress = true;
                }
            } else {
                insufProgress = false;
            }
            gNew = free(g, bracketG[0], bracketG[1], null);
            fNew = directional(theta, f, t, gNew);
            lsFuncEvals++;
            gtdNew = backend.dot(gNew, d);
            lsIter++;
            if (fNew > f0 + C1 * t * gtd0 || fNew >= bracketF[lowPos]) {
                bracket[highPos] = t;
                bracketF[highPos] = fNew;
                bracketG[highPos] = gNew;
                bracketGtd[highPos] = gtdNew;
                lowPos = bracketF[0] <= bracketF[1] ? 0 : 1;
                highPos = 1 - lowPos;
            } else {
                if (Math.abs(gtdNew) <= -C2 * gtd0) {
                    done = true;
                } else if (gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0) {
                    bracket[highPos] = bracket[lowPos];
                    bracketF[highPos] = bracketF[lowPos];
                    bracketG[highPos] = bracketG[lowPos];
                    bracketGtd[highPos] = bracketGtd[lowPos];
                }
                bracket[lowPos] = t;
                bracketF[lowPos] = fNew;
                bracketG[lowPos] = gNew;
                bracketGtd[lowPos] = gtdNew;
            }
        }
        double tOut = bracket[lowPos];
        double fOut = bracketF[lowPos];
        Tensor gOut = bracketG[lowPos];
        if (gOut != flatGrad) {
            backend.copy(gOut, flatGrad);
        }
        return new double[] {fOut, tOut, lsFuncEvals};
    }

    /** A line-search buffer other than the live ones (at most four are live: g, g_prev or the bracket's two, g_new). */
    private Tensor free(Tensor a, Tensor b, Tensor c, Tensor e) {
        for (Tensor buf : lsBuffers) {
            if (buf != a && buf != b && buf != c && buf != e) {
                return buf;
            }
        }
        throw new IllegalStateException("no free line-search buffer");
    }

    /** torch's {@code _directional_evaluate}: J and ∇J at x + t·d, θ back to x afterwards. */
    private double directional(Tensor theta, Objective f, double step, Tensor grad) {
        backend.axpy(step, d, theta);
        double loss = f.lossAndGradient(grad);
        backend.copy(xInit, theta);
        return loss;
    }

    /**
     * torch's {@code _cubic_interpolate} (from torch/optim's polyinterp.lua): the minimizer of the cubic through
     * (x1, f1, g1) and (x2, f2, g2), clamped to the bounds (the two points where NaN bounds are given).
     */
    static double cubicInterpolate(double x1, double f1, double g1, double x2, double f2, double g2, double xmin,
            double xmax) {
        double minBound;
        double maxBound;
        if (!Double.isNaN(xmin)) {
            minBound = xmin;
            maxBound = xmax;
        } else if (x1 <= x2) {
            minBound = x1;
            maxBound = x2;
        } else {
            minBound = x2;
            maxBound = x1;
        }
        double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
        double d2Square = d1 * d1 - g1 * g2;
        if (d2Square >= 0) {
            double d2 = Math.sqrt(d2Square);
            double minPos;
            if (x1 <= x2) {
                minPos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
            } else {
                minPos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
            }
            return Math.min(Math.max(minPos, minBound), maxBound);
        }
        return (minBound + maxBound) / 2.0;
    }

    /**
     * torch's {@code n_iter}: iterations over all steps.
     *
     * @return the count
     */
    public long iterations() {
        return nIter;
    }

    /**
     * torch's {@code func_evals}: closure evaluations over all steps.
     *
     * @return the count
     */
    public long functionEvaluations() {
        return funcEvals;
    }

    /**
     * The state for a checkpoint, under torch's names: vectors {@code d}, {@code prev_flat_grad}, {@code old_dirs}
     * and {@code old_stps} (the pairs one after another, oldest first, [m·P]); reals {@code t}, {@code H_diag},
     * {@code prev_loss}, {@code ro} [m]; counters {@code n_iter}, {@code func_evals}. Before the first iteration
     * only the counters.
     *
     * @return the state
     */
    public ClosureState snapshot() {
        Map<String, float[]> vectors = new LinkedHashMap<>();
        Map<String, double[]> reals = new LinkedHashMap<>();
        Map<String, long[]> counters = new LinkedHashMap<>();
        counters.put("n_iter", new long[] {nIter});
        counters.put("func_evals", new long[] {funcEvals});
        if (started) {
            vectors.put("d", backend.toFloatArray(d));
            vectors.put("prev_flat_grad", backend.toFloatArray(prevFlatGrad));
            vectors.put("old_dirs", concat(oldDirs));
            vectors.put("old_stps", concat(oldStps));
            double[] r = new double[ro.size()];
            for (int i = 0; i < r.length; i++) {
                r[i] = ro.get(i);
            }
            reals.put("ro", r);
            reals.put("t", new double[] {t});
            reals.put("H_diag", new double[] {hDiag});
            reals.put("prev_loss", new double[] {prevLoss});
        }
        return new ClosureState(vectors, reals, counters);
    }

    private float[] concat(List<Tensor> pairs) {
        float[] out = new float[pairs.size() * p];
        float[] one = new float[p];
        for (int i = 0; i < pairs.size(); i++) {
            backend.copyToHost(pairs.get(i), one, 0);
            System.arraycopy(one, 0, out, i * p, p);
        }
        return out;
    }

    /**
     * Resumes from {@link #snapshot()}'s state, checked in full first (an {@link InvalidInputException} naming what
     * is wrong; nothing changes then).
     *
     * @param s the saved state
     */
    public void restore(ClosureState s) {
        long n = s.counter("n_iter");
        long evals = s.counter("func_evals");
        if (n < 0 || evals < 0) {
            throw new InvalidInputException("lbfgs state: negative n_iter or func_evals");
        }
        if (n == 0) {
            s.requireNames(List.of(), List.of(), "lbfgs before its first iteration");
        } else {
            s.requireNames(List.of("d", "prev_flat_grad", "old_dirs", "old_stps"),
                    List.of("ro", "t", "H_diag", "prev_loss"), "lbfgs");
            s.requireLength("d", p);
            s.requireLength("prev_flat_grad", p);
            int m = s.reals().get("ro").length;
            if (m > historySize) {
                throw new InvalidInputException("lbfgs state holds " + m + " pairs, more than historySize "
                        + historySize);
            }
            s.requireLength("old_dirs", m * p);
            s.requireLength("old_stps", m * p);
            for (String r : List.of("t", "H_diag", "prev_loss")) {
                if (s.reals().get(r).length != 1) {
                    throw new InvalidInputException("lbfgs state '" + r + "' must hold one value");
                }
            }
        }
        clearHistory();
        nIter = n;
        funcEvals = evals;
        if (n == 0) {
            return;
        }
        ensureStarted();
        backend.copyFromHost(s.vectors().get("d"), 0, d);
        backend.copyFromHost(s.vectors().get("prev_flat_grad"), 0, prevFlatGrad);
        double[] r = s.reals().get("ro");
        for (int i = 0; i < r.length; i++) {
            Tensor y = backend.allocateVector(p);
            Tensor st = backend.allocateVector(p);
            backend.copyFromHost(s.vectors().get("old_dirs"), i * p, y);
            backend.copyFromHost(s.vectors().get("old_stps"), i * p, st);
            oldDirs.add(y);
            oldStps.add(st);
            ro.add(r[i]);
        }
        t = s.reals().get("t")[0];
        hDiag = s.reals().get("H_diag")[0];
        prevLoss = s.reals().get("prev_loss")[0];
    }

    @Override
    public void close() {
        clearHistory();
        flatGrad.close();
        savedTheta.close();
        if (xInit != null) {
            xInit.close();
        }
        for (Tensor b : lsBuffers) {
            if (b != null) {
                b.close();
            }
        }
        if (started) {
            d.close();
            prevFlatGrad.close();
        }
    }
}
