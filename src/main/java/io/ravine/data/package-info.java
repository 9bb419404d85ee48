/**
 * Data in memory for training: {@link io.ravine.data.Dataset} and {@link io.ravine.data.TrainTest}, the loaders
 * behind {@link io.ravine.data.DataSources} (IDX files of the MNIST family, CSV tables, and a Fashion-MNIST subset
 * shipped in the jar), and the steps between loading and the backend: {@link io.ravine.data.Normalizer} (statistics
 * from the training split only), {@link io.ravine.data.TargetEncoding} (targets in the layout a loss needs) and
 * {@link io.ravine.data.ShuffledBatches} (per-epoch orders that depend only on seed and epoch, so resume is exact).
 * Everything here runs on the host and is deterministic; user mistakes surface as one-line
 * {@link io.ravine.InvalidInputException}s that name the file or dataset and the problem.
 */
package io.ravine.data;
