package io.ravine.optim;

import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import io.ravine.nn.Model;

/**
 * The mean loss of a model over the rows loaded in one of its workspaces, as an {@link Objective} of θ =
 * {@link Model#theta()}: the closure that {@link Lbfgs} and {@link NewtonCg} call.
 *
 * <p>With batch normalization the objective is the training-mode loss (the rows normalized by their own statistics),
 * for the loss as for the gradient: a line search or Newton-CG's decrease ratio that compared a training-mode
 * gradient with an evaluation-mode loss would be comparing two functions. The running statistics take the batch in
 * once per step, at the first gradient (θ at the step's start, what a fused rule's step does), and are counted once;
 * the closure's further evaluations leave them alone. (torch.optim.LBFGS's closure updates them at every call.)
 */
public final class ModelObjective implements Objective {
    private final Model model;
    private final Model.Workspace ws;
    private final int rows;
    private long gradients;
    private long losses;
    private boolean statisticsTaken;

    /**
     * @param model the model; the optimizer moves its θ
     * @param ws a workspace of the model with {@code rows} rows loaded
     * @param rows the rows J averages over
     */
    public ModelObjective(Model model, Model.Workspace ws, int rows) {
        this.model = model;
        this.ws = ws;
        this.rows = rows;
    }

    @Override
    public double lossAndGradient(Tensor grad) {
        gradients++;
        model.computeGradient(ws, rows, !statisticsTaken);
        statisticsTaken = true;
        Backend backend = model.backend();
        if (grad != model.gradient()) {
            backend.copy(model.gradient(), grad);
        }
        return model.meanLoss(ws, rows);
    }

    @Override
    public double loss(Tensor scratch) {
        losses++;
        model.evaluateTraining(ws, rows); // without BN the same as evaluate
        return model.meanLoss(ws, rows);
    }

    /**
     * Gradient evaluations so far (forward and backward passes over the rows).
     *
     * @return the count
     */
    public long gradients() {
        return gradients;
    }

    /**
     * Loss-only evaluations so far (forward passes).
     *
     * @return the count
     */
    public long losses() {
        return losses;
    }
}
