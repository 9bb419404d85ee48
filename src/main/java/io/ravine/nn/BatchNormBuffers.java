package io.ravine.nn;

import io.ravine.InvalidInputException;

/**
 * Batch normalization's buffers: per BN layer the running mean and running variance (PyTorch's
 * {@code running_mean}, {@code running_var}), and the number of training batches that updated them
 * ({@code num_batches_tracked}). Not parameters: they are not in θ, no optimizer or diagnostic sees them; checkpoints
 * store them next to θ, and evaluation mode normalizes with them.
 *
 * @param runningMean per layer k, the running mean [out_k], or null for a layer without BN
 * @param runningVar per layer k, the running variance [out_k], or null for a layer without BN
 * @param batchesTracked training batches counted
 */
public record BatchNormBuffers(float[][] runningMean, float[][] runningVar, long batchesTracked) {

    /**
     * PyTorch's initial buffers: running mean 0, running variance 1, nothing tracked (empty for a model without BN).
     *
     * @param mlp the architecture
     * @return the buffers
     */
    public static BatchNormBuffers initial(Mlp mlp) {
        int layers = mlp.layerCount();
        float[][] mean = new float[layers][];
        float[][] var = new float[layers][];
        for (int k = 0; k < layers; k++) {
            if (mlp.hasBatchNorm(k)) {
                mean[k] = new float[mlp.fanOut(k)];
                var[k] = new float[mlp.fanOut(k)];
                java.util.Arrays.fill(var[k], 1f);
            }
        }
        return new BatchNormBuffers(mean, var, 0);
    }

    /**
     * Checks the buffers against the architecture: one pair per BN layer of its width, none elsewhere, a count ≥ 0.
     *
     * @param mlp the architecture
     * @throws InvalidInputException naming what does not fit
     */
    public void requireFits(Mlp mlp) {
        if (runningMean.length != mlp.layerCount() || runningVar.length != mlp.layerCount()) {
            throw new InvalidInputException("batch-norm buffers for " + runningMean.length + " layers, the model "
                    + mlp.describe() + " has " + mlp.layerCount());
        }
        for (int k = 0; k < mlp.layerCount(); k++) {
            boolean bn = mlp.hasBatchNorm(k);
            for (float[] b : new float[][] {runningMean[k], runningVar[k]}) {
                if (bn ? b == null || b.length != mlp.fanOut(k) : b != null) {
                    throw new InvalidInputException("batch-norm buffers of layer " + k + " do not fit the model "
                            + mlp.describe());
                }
            }
        }
        if (batchesTracked < 0) {
            throw new InvalidInputException("num_batches_tracked must be ≥ 0, got " + batchesTracked);
        }
    }
}
