package io.ravine.cli;

import picocli.CommandLine.Option;

/**
 * {@code train --lr}: the one learning rate of a run, the {@link io.ravine.train.TrainConfig} setting
 * {@code learningRate} (listed in {@link TrainingFlags#SETTING_OF_FLAG} with the other training flags). Declared
 * apart from {@link TrainingFlags} because {@code sweep lr} shares those flags but takes {@code --lr} as the list of
 * its grid.
 */
final class LearningRateFlag {
    @Option(names = "--lr", description = "learning rate (default 1e-3 for adam/adamw, 1 for lbfgs and newton-cg,"
            + " else 0.01)")
    Double lr;
}
