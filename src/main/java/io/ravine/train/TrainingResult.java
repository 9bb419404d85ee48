package io.ravine.train;

/**
 * What a run ended with. Loss and accuracy are on the test split with the final θ (and with the averaged θ̃ when
 * iterate averaging is on; NaN otherwise). {@code diverged} means the loss became NaN/Inf and the run stopped early.
 */
public record TrainingResult(
        long steps,
        double epochs,
        double finalTrainLoss,
        double testLoss,
        double testAccuracy,
        double emaTestLoss,
        double emaTestAccuracy,
        double samplesPerSecond,
        double trainSeconds,
        String device,
        boolean diverged,
        String lastGoodCheckpoint) {
}
