package io.ravine.data;

/**
 * A training split and the held-out split that the trainer evaluates on, both raw (the trainer normalizes them with
 * statistics of the training split). Made by {@link Dataset#split} or from two datasets.
 *
 * @param train the examples the model is trained on
 * @param test the held-out examples it is evaluated on
 */
public record TrainTest(Dataset train, Dataset test) {
}
