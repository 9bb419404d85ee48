package io.ravine.train;

/**
 * One logging step: the loss of the last mini-batch (before its update), the loss and accuracy of the fixed
 * monitoring subset of the training data, and, at evaluation steps, test loss/accuracy (null otherwise) with θ and
 * with the iterate average θ̃.
 *
 * @param step the step (updates done)
 * @param epoch step / steps per epoch
 * @param learningRate the learning rate of the step's update
 * @param batchLoss the mini-batch's loss before the update
 * @param trainLoss the monitoring subset's loss after the update (metrics.csv's train_loss)
 * @param trainAccuracy the monitoring subset's accuracy after the update (train_accuracy); NaN for a regression
 * @param test the test split's loss and accuracy at an evaluation step, else null
 * @param emaTest the same with the iterate average, else null
 * @param gradientNorm ‖g‖ of the mini-batch gradient
 */
public record MetricsEvent(long step, double epoch, double learningRate, double batchLoss, double trainLoss,
        double trainAccuracy, Evaluation test, Evaluation emaTest, double gradientNorm) {
}
