package io.ravine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.Dataset;
import io.ravine.data.TrainTest;
import io.ravine.train.MetricsEvent;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import io.ravine.train.TrainingResult;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** What the README promises a library user, written only against the public API from outside its packages. */
class LibraryApiTest {

    @Test
    void readmeExampleTrainsOnTheEmbeddedData() {
        TrainConfig config = TrainConfig.builder()
                .setData("embedded")
                .optHidden(64).optActivation(Activation.RELU).optLoss(LossKind.SOFTMAX_CE)
                .optOptimizer(UpdateRule.ADAM).optLearningRate(1e-3)
                .optBatchSize(128).optEpochs(2).optSeed(7)
                .build();
        List<MetricsEvent> events = new ArrayList<>();
        try (Backend backend = CpuBackend.f32();
                Trainer trainer = new Trainer(config, backend)) {
            trainer.optListener(events::add).optProgressBar(false);
            TrainingResult result = trainer.fit();
            assertTrue(result.testAccuracy() > 0.75, "accuracy " + result.testAccuracy());
            assertEquals(trainer.totalSteps(), result.steps());
        }
        assertTrue(events.size() >= 10);
        assertTrue(events.get(events.size() - 1).trainLoss() < events.get(0).trainLoss());
    }

    @Test
    void trainsOnInMemoryDataTheCallerBuilt() {
        // Two Gaussian blobs, labels 0/1: binary logistic regression must separate them.
        SplittableRandom rng = new SplittableRandom(5);
        int n = 400;
        float[] x = new float[n * 2];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            int label = i % 2;
            x[2 * i] = (float) (rng.nextGaussian() + (label == 1 ? 2 : -2));
            x[2 * i + 1] = (float) rng.nextGaussian();
            y[i] = label;
        }
        Dataset all = new Dataset("blobs", n, 2, x, 1, y, 2);
        TrainTest data = new TrainTest(all.limit(300), all.select(java.util.stream.IntStream.range(300, n).toArray()));
        TrainConfig config = TrainConfig.builder().setData("in-memory").optHidden().optLoss(LossKind.LOGISTIC_CE)
                .optOptimizer(UpdateRule.SGD).optLearningRate(0.5).optBatchSize(0).optSteps(100).build();
        try (Trainer trainer = new Trainer(config, CpuBackend.f32(), data)) {
            TrainingResult result = trainer.optProgressBar(false).fit();
            assertTrue(result.testAccuracy() > 0.95, "accuracy " + result.testAccuracy());
        }
    }
}
