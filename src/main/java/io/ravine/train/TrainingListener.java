package io.ravine.train;

/**
 * Receives a run's metrics as it trains (progress displays, studies, tests, early stopping through
 * {@link Trainer#requestStop()}). Listeners run on the training thread, in the order they were added.
 *
 * <p>Two kinds of call:
 * <ul>
 *   <li>{@link #onStep} after every update, with what is known without waiting for the device: the step, the
 *       epoch, the learning rate of that update, and the mini-batch's loss where reading it is free. On the CPU
 *       (a backend that {@link io.ravine.backend.Backend#completesOnReturn() completes on return}) the batch loss is
 *       there every step; on CUDA reading a scalar back would wait for the GPU and stall the pipelined steps, so it
 *       is NaN except at the steps that synchronize anyway (log, evaluation, checkpoint and diagnosis steps).</li>
 *   <li>{@link #onMetrics} at every logging step ({@link TrainConfig#logEvery()}): the synchronized metrics, the
 *       monitoring-subset loss, the gradient norm and, at evaluation steps, the test loss and accuracy. It is what
 *       metrics.csv gets.</li>
 * </ul>
 * and {@link #onCheckpoint} after each checkpoint the run writes to its run directory.
 * A lambda implements {@link #onMetrics}; override {@link #onStep} for per-step values.
 */
@FunctionalInterface
public interface TrainingListener {

    /**
     * One logging step's metrics, after that step's update.
     *
     * @param event the metrics
     */
    void onMetrics(MetricsEvent event);

    /**
     * One update's values, right after it (every step, before that step's {@link #onMetrics} where both are
     * called). The default does nothing.
     *
     * @param event the step's values
     */
    default void onStep(StepEvent event) {
    }

    /**
     * A checkpoint of the run reached its run directory: the initial one, each of {@link
     * TrainConfig#checkpointEvery()} and an interrupted run's last (not the final one, which the summary follows).
     * Everything a resumed run needs up to {@code step} is on disk then, the rows of metrics.csv up to it included,
     * so a listener can copy the directory elsewhere (Ravine on Spark publishes it to a Hadoop filesystem). Called
     * only for a run with a run directory. The default does nothing.
     *
     * @param step the step the checkpoint holds
     */
    default void onCheckpoint(long step) {
    }
}
