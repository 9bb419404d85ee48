package io.ravine.train;

/** Mean loss and accuracy (NaN for regression) of a model on a data set. */
public record Evaluation(double loss, double accuracy) {
}
