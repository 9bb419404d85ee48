package io.ravine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.LossKind;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import io.ravine.train.TrainingResult;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@code --data synthetic}: Fashion-MNIST's shape, the same bits every time, and classes a model can learn. */
class SyntheticDataTest {

    @Test
    void hasFashionMnistsShapeAndIsTheSameEveryTime() {
        TrainTest a = DataSources.load(DataSources.SYNTHETIC, null, LossKind.SOFTMAX_CE);
        assertEquals(60_000, a.train().n());
        assertEquals(10_000, a.test().n());
        assertEquals(784, a.train().featureDim());
        assertEquals(10, a.train().numClasses());
        TrainTest b = SyntheticData.fashionMnistShaped();
        assertArrayEquals(a.train().features(), b.train().features());
        assertArrayEquals(a.test().targets(), b.test().targets());
        // A shorter split is a prefix of the full one (bench --limit takes the first examples).
        TrainTest small = SyntheticData.split(100, 10);
        assertArrayEquals(Arrays.copyOf(a.train().features(), 100 * 784), small.train().features());
        assertArrayEquals(Arrays.copyOf(a.test().targets(), 10), small.test().targets());
        // Train and test are different draws.
        assertTrue(a.train().features()[0] != a.test().features()[0]);
    }

    @Test
    void everyClassIsPresentAndFeaturesAreStandardNormal() {
        Dataset d = SyntheticData.split(20_000, 1).train();
        int[] counts = new int[10];
        for (float y : d.targets()) {
            counts[(int) y]++;
        }
        for (int c = 0; c < 10; c++) {
            assertTrue(counts[c] > 20_000 * 0.05 && counts[c] < 20_000 * 0.15, "class " + c + ": " + counts[c]);
        }
        double sum = 0;
        double sq = 0;
        for (float v : d.features()) {
            sum += v;
            sq += (double) v * v;
        }
        int n = d.features().length;
        assertEquals(0.0, sum / n, 0.01);
        assertEquals(1.0, sq / n - (sum / n) * (sum / n), 0.01);
    }

    @Test
    void theLabelsAreLearnable() {
        // A linear teacher of 7,850 weights made the labels: 300 Adam steps on 5,000 examples reach about 0.5, five
        // times chance (0.1); labels unrelated to the features would stay near 0.1.
        TrainConfig config = TrainConfig.builder().setData(DataSources.SYNTHETIC).optLimit(5000).optHidden(32)
                .optBatchSize(100).optSteps(300).optLearningRate(3e-3).optSeed(1).build();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            TrainingResult r = t.optProgressBar(false).fit();
            assertTrue(r.testAccuracy() > 0.3, "test accuracy " + r.testAccuracy());
        }
    }
}
