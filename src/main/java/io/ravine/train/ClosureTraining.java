package io.ravine.train;

import io.ravine.backend.UpdateRule;
import io.ravine.data.Dataset;
import io.ravine.nn.Model;
import io.ravine.optim.ClosureState;
import io.ravine.optim.ClosureStep;
import io.ravine.optim.GaussNewtonProduct;
import io.ravine.optim.Lbfgs;
import io.ravine.optim.ModelObjective;
import io.ravine.optim.NewtonCg;
import io.ravine.optim.Optimizer;
import java.util.Arrays;
import java.util.ServiceLoader;

/**
 * The trainer's step for the closure-based rules: L-BFGS on the step's batch (full-batch or large-batch, as torch's
 * LBFGS is used), Newton-CG with the gradient on the step's batch and the curvature on its first
 * {@code curvatureBatch} examples (fixed while CG runs, a new one each step, as Martens 2010 §4.3).
 */
final class ClosureTraining implements AutoCloseable {
    private final Model model;
    private final Dataset train;
    private final Lbfgs lbfgs;
    private final NewtonCg newtonCg;
    private final GaussNewtonProduct gaussNewton;
    private final HessianProducts hessian;
    private final int curvatureRows;

    ClosureTraining(Optimizer opt, Model model, Dataset train, int batchSize) {
        this.model = model;
        this.train = train;
        int p = model.mlp().parameterCount();
        if (opt.rule() == UpdateRule.LBFGS) {
            lbfgs = new Lbfgs(model.backend(), p, opt);
            newtonCg = null;
            gaussNewton = null;
            hessian = null;
            curvatureRows = 0;
        } else {
            lbfgs = null;
            newtonCg = new NewtonCg(model.backend(), p, opt);
            curvatureRows = Math.min(opt.curvatureBatch(), batchSize);
            if (opt.curvature() == NewtonCg.Curvature.GAUSS_NEWTON) {
                gaussNewton = new GaussNewtonProduct(model, curvatureRows);
                hessian = null;
            } else {
                gaussNewton = null;
                hessian = ServiceLoader.load(HessianProducts.class, ClosureTraining.class.getClassLoader())
                        .findFirst().orElseThrow(() -> new IllegalStateException("curvature hessian needs"
                                + " io.ravine.diagnose on the class path (HessianProducts service)"));
            }
        }
    }

    /** One step on the batch loaded in {@code ws} (rows {@code perm[start ..]} of the training set). */
    ClosureStep step(Model.Workspace ws, int rows, int[] perm, int start) {
        ModelObjective f = new ModelObjective(model, ws, rows);
        if (lbfgs != null) {
            return lbfgs.step(model.theta(), f);
        }
        int c = Math.min(curvatureRows, rows);
        if (gaussNewton != null) {
            gaussNewton.expandAt(ws.input(), ws.target(), c);
            return newtonCg.step(model.theta(), f, gaussNewton);
        }
        Dataset subset = train.select(Arrays.copyOfRange(perm, start, start + c));
        try (HessianProducts.Operator h = hessian.open(model, subset, c)) {
            return newtonCg.step(model.theta(), f, h);
        }
    }

    ClosureState snapshot() {
        return lbfgs != null ? lbfgs.snapshot() : newtonCg.snapshot();
    }

    void restore(ClosureState s) {
        if (lbfgs != null) {
            lbfgs.restore(s);
        } else {
            newtonCg.restore(s);
        }
    }

    /** Newton-CG's last step, or null (L-BFGS). */
    NewtonCg.Info lastNewtonStep() {
        return newtonCg == null ? null : newtonCg.lastStep();
    }

    @Override
    public void close() {
        if (lbfgs != null) {
            lbfgs.close();
        }
        if (newtonCg != null) {
            newtonCg.close();
        }
        if (gaussNewton != null) {
            gaussNewton.close();
        }
    }
}
