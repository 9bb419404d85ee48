package io.ravine.train;

/**
 * What a run ended with. {@code finalTrainLoss} and {@code finalTrainAccuracy} are on the fixed monitoring subset of
 * the training data at the last logged step (the accuracy NaN for a regression). The other losses and accuracies are
 * on the test split with the final θ (and with the averaged θ̃ when iterate averaging is on; NaN otherwise).
 * {@code divergence} is null unless the loss, the gradient or θ became NaN/Inf, or the monitoring loss blew up past
 * {@link Divergence#check}'s rule, and the run stopped early. {@code interrupted} means
 * {@link Trainer#requestInterrupt()} ended it early (a signal, say): its last checkpoint is at {@code steps}, and the
 * test metrics are NaN (not measured). NaN here is null with its reason in summary.json.
 */
public record TrainingResult(
        long steps,
        double epochs,
        double finalTrainLoss,
        double finalTrainAccuracy,
        double testLoss,
        double testAccuracy,
        double emaTestLoss,
        double emaTestAccuracy,
        double samplesPerSecond,
        double trainSeconds,
        String device,
        Divergence divergence,
        boolean interrupted,
        String lastGoodCheckpoint) {

    /**
     * True when the run stopped because something became NaN/Inf.
     *
     * @return whether it diverged
     */
    public boolean diverged() {
        return divergence != null;
    }
}
