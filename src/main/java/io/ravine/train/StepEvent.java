package io.ravine.train;

/**
 * What a {@link TrainingListener} learns after every update without waiting for the device.
 *
 * @param step the update just applied, t = 1, 2, …
 * @param epoch passes over the training data so far ({@code step / stepsPerEpoch})
 * @param learningRate the learning rate this update used: exactly the schedule's (or the
 *     {@link TrainConfig#learningRateTracker() tracker's}) value for it
 * @param batchLoss the mean loss of this update's mini-batch at θ before the update; NaN where reading it would wait
 *     for the device (CUDA, except at synchronizing steps), see {@link TrainingListener}
 * @param batchRows examples in this update's mini-batch
 */
public record StepEvent(long step, double epoch, double learningRate, double batchLoss, int batchRows) {

    /**
     * Whether {@link #batchLoss()} was measured (it is NaN otherwise).
     *
     * @return true when the batch loss is known at this step
     */
    public boolean hasBatchLoss() {
        return !Double.isNaN(batchLoss);
    }
}
