package io.ravine.train;

/** Receives each logged row of metrics as training runs (for progress displays, studies, tests). */
@FunctionalInterface
public interface TrainingListener {
    void onMetrics(MetricsEvent event);
}
