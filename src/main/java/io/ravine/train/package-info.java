/**
 * Training: {@link io.ravine.train.TrainConfig} (everything that defines a run, written as the run's config.json),
 * {@link io.ravine.train.Trainer} (the loop: batches, forward/backward, fused optimizer step, evaluation on a fixed
 * monitoring subset, checkpoints, NaN guard, resume), and the run directory's files.
 */
package io.ravine.train;
