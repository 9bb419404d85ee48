package io.ravine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class NormalizerTest {

    private static final int D = 4;
    private static final int CONSTANT_FEATURE = 2;

    /** Features: N(shift + 3j, (j + 1)²) for j ≠ 2; feature 2 is the constant 7. */
    private static Dataset data(String name, int n, double shift, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[n * D];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < D; j++) {
                double g = gaussian(rng);
                x[i * D + j] = j == CONSTANT_FEATURE ? 7f : (float) (shift + 3 * j + (j + 1) * g);
            }
        }
        return new Dataset(name, n, D, x, 1, new float[n], 2);
    }

    private static double gaussian(SplittableRandom rng) {
        return Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble());
    }

    private static double[] columnMean(Dataset d) {
        double[] m = new double[d.featureDim()];
        for (int i = 0; i < d.n(); i++) {
            for (int j = 0; j < d.featureDim(); j++) {
                m[j] += d.features()[i * d.featureDim() + j];
            }
        }
        for (int j = 0; j < m.length; j++) {
            m[j] /= d.n();
        }
        return m;
    }

    private static double[] columnVar(Dataset d) {
        double[] m = columnMean(d);
        double[] v = new double[d.featureDim()];
        for (int i = 0; i < d.n(); i++) {
            for (int j = 0; j < d.featureDim(); j++) {
                double c = d.features()[i * d.featureDim() + j] - m[j];
                v[j] += c * c;
            }
        }
        for (int j = 0; j < v.length; j++) {
            v[j] /= d.n();
        }
        return v;
    }

    @Test
    void zscoreStandardisesTrainWithTrainStatisticsOnly() {
        Dataset train = data("train", 2000, 0, 1);
        Dataset test = data("test", 500, 5, 2);
        Normalizer norm = Normalizer.zscore(train);
        TrainTest out = norm.apply(new TrainTest(train, test));

        double[] mean = columnMean(out.train());
        double[] var = columnVar(out.train());
        for (int j = 0; j < D; j++) {
            assertEquals(0, mean[j], 1e-5, "train mean of feature " + j);
            if (j != CONSTANT_FEATURE) {
                assertEquals(1, var[j], 1e-4, "train variance of feature " + j);
            }
        }
        // The test set is shifted by +5; its own statistics were not used, so it is not centred.
        double[] testMean = columnMean(out.test());
        for (int j = 0; j < D; j++) {
            if (j != CONSTANT_FEATURE) {
                assertEquals(5.0 / (j + 1), testMean[j], 0.25, "test mean of feature " + j);
            }
        }
        double[] rawTrainMean = columnMean(train);
        for (int j = 0; j < D; j++) {
            assertEquals(rawTrainMean[j], norm.mean()[j], 1e-4);
        }
    }

    @Test
    void constantFeatureIsOnlyCentredAndStaysFinite() {
        Dataset train = data("train", 100, 0, 3);
        Dataset test = data("test", 10, 0, 4);
        Normalizer norm = Normalizer.zscore(train);
        assertEquals(0f, norm.std()[CONSTANT_FEATURE]);
        assertEquals(1f, norm.scale()[CONSTANT_FEATURE]);
        assertEquals(7f, norm.mean()[CONSTANT_FEATURE]);
        for (Dataset d : new Dataset[] {norm.apply(train), norm.apply(test)}) {
            for (int i = 0; i < d.n(); i++) {
                for (int j = 0; j < D; j++) {
                    float v = d.features()[i * D + j];
                    assertTrue(Float.isFinite(v), d.name() + " example " + i + " feature " + j);
                }
                assertEquals(0f, d.features()[i * D + CONSTANT_FEATURE]);
            }
        }
    }

    @Test
    void stdIsPopulationStdOverN() {
        // Values 1 and 3: population std 1 (sample std would be √2).
        Dataset d = new Dataset("two", 2, 1, new float[] {1, 3}, 1, new float[2], 2);
        Normalizer norm = Normalizer.zscore(d);
        assertEquals(2f, norm.mean()[0]);
        assertEquals(1f, norm.std()[0]);
        assertArrayEquals(new float[] {-1, 1}, norm.apply(d).features());
    }

    @Test
    void fitsOnTheLimitedTrainingSet() {
        Dataset train = data("train", 1000, 0, 5);
        Dataset limited = train.limit(10);
        Normalizer norm = Normalizer.fit(Normalizer.Kind.ZSCORE, limited);
        double[] limitedMean = columnMean(limited);
        for (int j = 0; j < D; j++) {
            assertEquals(limitedMean[j], norm.mean()[j], 1e-5);
        }
    }

    @Test
    void deterministic() {
        Dataset train = data("train", 777, 0, 6);
        Normalizer a = Normalizer.zscore(train);
        Normalizer b = Normalizer.zscore(train);
        assertArrayEquals(a.mean(), b.mean());
        assertArrayEquals(a.std(), b.std());
        assertArrayEquals(a.apply(train).features(), b.apply(train).features());
    }

    @Test
    void noneIsTheIdentity() {
        Dataset train = data("train", 10, 0, 7);
        Normalizer norm = Normalizer.fit(Normalizer.Kind.NONE, train);
        assertSame(train, norm.apply(train));
        assertArrayEquals(new float[D], norm.mean());
        assertEquals(Normalizer.Kind.ZSCORE, Normalizer.Kind.parse("ZScore"));
    }

    @Test
    void statisticsRoundTripThroughOf() {
        Dataset train = data("train", 50, 0, 8);
        Normalizer a = Normalizer.zscore(train);
        Normalizer b = Normalizer.of(Normalizer.Kind.ZSCORE, a.mean(), a.std());
        assertArrayEquals(a.apply(train).features(), b.apply(train).features());
    }
}
