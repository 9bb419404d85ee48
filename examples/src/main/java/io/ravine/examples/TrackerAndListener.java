package io.ravine.examples;

import ai.djl.training.tracker.Tracker;
import io.ravine.data.DataSources;
import io.ravine.train.MetricsEvent;
import io.ravine.train.StepEvent;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import io.ravine.train.TrainingListener;
import java.util.ArrayList;
import java.util.List;

/** A DJL learning-rate Tracker as the schedule, and a listener that collects the metrics of every step. */
public final class TrackerAndListener {
    public static void main(String[] args) {
        // Cosine decay from 3e-3 to 1e-4 over 200 updates, as a DJL user writes it.
        Tracker cosine = Tracker.cosine().setBaseValue(3e-3f).optFinalValue(1e-4f).setMaxUpdates(200).build();
        TrainConfig config = TrainConfig.builder().setData(DataSources.EMBEDDED).optLimit(2000).optHidden(64)
                .optLearningRateTracker(cosine).optBatchSize(50).optSteps(200).optLogEvery(20).optSeed(3).build();

        List<StepEvent> steps = new ArrayList<>();
        List<MetricsEvent> logged = new ArrayList<>();
        try (Trainer trainer = new Trainer(config)) {
            trainer.optProgressBar(false).optListener(new TrainingListener() {
                @Override
                public void onStep(StepEvent e) {
                    steps.add(e);
                }

                @Override
                public void onMetrics(MetricsEvent e) {
                    logged.add(e);
                }
            });
            System.out.println(trainer.fit());
        }
        System.out.println("| step | learning rate | monitoring loss |");
        for (MetricsEvent e : logged) {
            System.out.printf("| %d | %.6f | %.4f |%n", e.step(), e.learningRate(), e.trainLoss());
        }
        Tracker twin = Tracker.cosine().setBaseValue(3e-3f).optFinalValue(1e-4f).setMaxUpdates(200).build();
        for (StepEvent e : steps) {
            TrainAndPredict.check(Math.abs(e.learningRate() - twin.getNewValue((int) e.step() - 1)) < 1e-9,
                    "step " + e.step() + " used the tracker's rate");
        }
        TrainAndPredict.check(steps.size() == 200, "a step event for every update: " + steps.size());
        TrainAndPredict.check(logged.get(logged.size() - 1).trainLoss() < logged.get(0).trainLoss(),
                "the monitoring loss fell");
    }
}
