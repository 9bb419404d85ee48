package io.ravine.examples;

import io.ravine.data.Dataset;
import io.ravine.data.TrainTest;
import io.ravine.train.ModelEvaluation;
import io.ravine.train.TrainConfig;
import io.ravine.train.TrainedModel;
import io.ravine.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Train an MLP on data held in arrays, then predict, evaluate, save and load it. */
public final class TrainAndPredict {
    public static void main(String[] args) throws Exception {
        // Three Gaussian blobs in the plane, far from the origin: raw features that need their normalization.
        SplittableRandom rng = new SplittableRandom(42);
        float[][] x = new float[900][];
        int[] labels = new int[900];
        for (int i = 0; i < x.length; i++) {
            labels[i] = i % 3;
            double angle = 2 * Math.PI * labels[i] / 3;
            x[i] = new float[] {(float) (100 + 3 * Math.cos(angle) + rng.nextGaussian()),
                    (float) (-50 + 3 * Math.sin(angle) + rng.nextGaussian())};
        }
        TrainTest data = Dataset.ofClasses(x, labels).split(0.2, 7);

        TrainConfig config = TrainConfig.builder().setData("blobs").optHidden(16).optLearningRate(0.01)
                .optBatchSize(32).optEpochs(5).optSeed(1).build();
        try (Trainer trainer = new Trainer(config, data)) {
            System.out.println(trainer.fit());
            try (TrainedModel model = trainer.trainedModel()) {
                float[][] raw = {{103f, -50f}, {98.5f, -47.4f}, {98.5f, -52.6f}};
                System.out.println("classes " + Arrays.toString(model.predictClasses(raw)));
                System.out.println("probabilities " + Arrays.deepToString(model.predict(raw)));
                ModelEvaluation e = model.evaluate(data.test());
                System.out.println(e);

                Path file = Files.createTempDirectory("ravine-example").resolve("model.safetensors");
                model.save(file);
                try (TrainedModel loaded = TrainedModel.load(file)) {
                    check(e.accuracy() > 0.9, "test accuracy above 0.9 on three separated blobs: " + e.accuracy());
                    check(Arrays.deepEquals(loaded.predict(raw), model.predict(raw)), "the same predictions after load");
                }
            }
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("failed: " + what);
            System.exit(1);
        }
    }
}
