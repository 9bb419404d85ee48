package io.ravine.train;

import ai.djl.training.tracker.Tracker;
import io.ravine.InvalidSettingException;

/**
 * A learning-rate tracker as a run's config.json records it: its description only, since a Java object given to
 * {@link TrainConfig.Builder#optLearningRateTracker} cannot be written to a file. It stands in the configuration read
 * back (so a resume can compare descriptions, and diagnostics can rebuild the model) and refuses to be run: training
 * needs the tracker itself, from the caller.
 */
final class RecordedTracker implements Tracker {
    private final String description;

    RecordedTracker(String description) {
        this.description = description;
    }

    @Override
    public float getNewValue(int numUpdate) {
        throw notRunnable();
    }

    /** The refusal of a run that would need this tracker's values. */
    InvalidSettingException notRunnable() {
        return new InvalidSettingException("learningRateTracker", " '" + description + "' is what config.json"
                + " recorded of a Tracker given from Java, not the Tracker itself: give the run's Tracker"
                + " (TrainConfig.Builder.optLearningRateTracker) to train or resume it");
    }

    @Override
    public String toString() {
        return description;
    }
}
