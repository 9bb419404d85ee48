package io.ravine.train;

/**
 * One logging step: the loss of the last mini-batch (before its update), the loss of the fixed monitoring subset,
 * and, at evaluation steps, test loss/accuracy (null otherwise) with θ and with the iterate average θ̃.
 */
public record MetricsEvent(long step, double epoch, double learningRate, double batchLoss, double trainLoss,
        Evaluation test, Evaluation emaTest, double gradientNorm) {
}
