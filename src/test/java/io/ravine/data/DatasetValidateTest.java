package io.ravine.data;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;

import org.junit.jupiter.api.Test;

class DatasetValidateTest {

    private static Dataset withFeature(float bad) {
        float[] x = new float[3 * 2];
        x[2 * 2 + 1] = bad;
        return new Dataset("mine", 3, 2, x, 1, new float[] {0, 1, 0}, 2);
    }

    @Test
    void finiteDataPasses() {
        Dataset d = withFeature(0.5f);
        assertSame(d, d.validate());
    }

    @Test
    void nanAndInfinityNameDatasetAndExample() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> withFeature(bad).validate());
            assertTrue(e.getMessage().contains("'mine'") && e.getMessage().contains("example 2"), e.getMessage());
        }
    }

    @Test
    void classLabelsMustBeInRange() {
        Dataset d = new Dataset("labels", 2, 1, new float[2], 1, new float[] {0, 2}, 2);
        InvalidInputException e = assertThrows(InvalidInputException.class, d::validate);
        assertTrue(e.getMessage().contains("example 1"), e.getMessage());
    }

    @Test
    void nonFiniteRegressionTarget() {
        Dataset d = new Dataset("reg", 2, 1, new float[2], 1, new float[] {0, Float.NaN}, 0);
        InvalidInputException e = assertThrows(InvalidInputException.class, d::validate);
        assertTrue(e.getMessage().contains("example 1"), e.getMessage());
    }
}
