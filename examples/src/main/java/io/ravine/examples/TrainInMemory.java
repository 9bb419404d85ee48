package io.ravine.examples;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.Devices;
import io.ravine.backend.LossKind;
import io.ravine.backend.UpdateRule;
import io.ravine.data.Dataset;
import io.ravine.data.TrainTest;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import io.ravine.train.TrainingResult;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Trains a small MLP on data held in arrays (three Gaussian blobs in the plane) and checks its test accuracy. Runs
 * with nothing but io.ravine:ravine and an SLF4J binding on the class path: no JCuda, so device "auto" logs one line
 * and uses the CPU.
 */
public final class TrainInMemory {
    public static void main(String[] args) {
        int n = 900;
        int classes = 3;
        float[] x = new float[n * 2];
        float[] y = new float[n];
        SplittableRandom rng = new SplittableRandom(42);
        for (int i = 0; i < n; i++) {
            int label = i % classes;
            double angle = 2 * Math.PI * label / classes;
            x[2 * i] = (float) (3 * Math.cos(angle) + rng.nextGaussian());
            x[2 * i + 1] = (float) (3 * Math.sin(angle) + rng.nextGaussian());
            y[i] = label;
        }
        Dataset all = new Dataset("blobs", n, 2, x, 1, y, classes);
        TrainTest data = new TrainTest(all.limit(600), all.select(IntStream.range(600, n).toArray()));

        TrainConfig config = TrainConfig.builder()
                .setData("in-memory")
                .optHidden(16).optActivation(Activation.TANH).optLoss(LossKind.SOFTMAX_CE)
                .optOptimizer(UpdateRule.ADAM).optLearningRate(0.01)
                .optBatchSize(32).optEpochs(5).optSeed(1)
                .build();
        try (Backend backend = Devices.open("auto", false, 1);
                Trainer trainer = new Trainer(config, backend, data)) {
            TrainingResult result = trainer.optProgressBar(false).fit();
            System.out.printf("test accuracy %.3f after %d steps on %s%n", result.testAccuracy(), result.steps(),
                    backend.name());
            if (!(result.testAccuracy() > 0.9)) {
                System.err.println("expected a test accuracy above 0.9 on three separated blobs");
                System.exit(1);
            }
        }
    }
}
