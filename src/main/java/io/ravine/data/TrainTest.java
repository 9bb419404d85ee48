package io.ravine.data;

/** A training split and the held-out split that the trainer evaluates on. */
public record TrainTest(Dataset train, Dataset test) {
}
