package io.ravine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.backend.LossKind;

import org.junit.jupiter.api.Test;

class TargetEncodingTest {

    private static Dataset classes(int numClasses, float... labels) {
        return new Dataset("c", labels.length, 1, new float[labels.length], 1, labels, numClasses);
    }

    private static Dataset regression(float... targets) {
        return new Dataset("r", targets.length, 1, new float[targets.length], 1, targets, 0);
    }

    @Test
    void softmaxKeepsClassIndices() {
        Dataset d = classes(3, 2, 0, 1);
        Dataset e = TargetEncoding.forLoss(d, LossKind.SOFTMAX_CE);
        assertEquals(1, e.targetCols());
        assertArrayEquals(new float[] {2, 0, 1}, e.targets());
        assertEquals(3, TargetEncoding.outputDim(d, LossKind.SOFTMAX_CE));
    }

    @Test
    void softmaxNeedsTwoClasses() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> TargetEncoding.forLoss(classes(1, 0, 0), LossKind.SOFTMAX_CE));
        assertTrue(e.getMessage().contains("at least 2 classes"), e.getMessage());
    }

    @Test
    void logisticBinaryIsOneColumn() {
        Dataset d = classes(2, 1, 0, 1);
        Dataset e = TargetEncoding.forLoss(d, LossKind.LOGISTIC_CE);
        assertEquals(1, e.targetCols());
        assertArrayEquals(new float[] {1, 0, 1}, e.targets());
        assertEquals(1, TargetEncoding.outputDim(d, LossKind.LOGISTIC_CE));
        assertEquals(1, TargetEncoding.outputDim(e, LossKind.LOGISTIC_CE));
    }

    @Test
    void logisticMulticlassIsOneHot() {
        Dataset d = classes(3, 2, 0);
        Dataset e = TargetEncoding.forLoss(d, LossKind.LOGISTIC_CE);
        assertEquals(3, e.targetCols());
        assertEquals(3, e.numClasses());
        assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0}, e.targets());
        assertEquals(3, TargetEncoding.outputDim(d, LossKind.LOGISTIC_CE));
        assertSame(e, TargetEncoding.forLoss(e, LossKind.LOGISTIC_CE), "encoding twice changes nothing");
    }

    @Test
    void mseOnClassesIsOneHotEvenForTwoClasses() {
        Dataset d = classes(2, 1, 0);
        Dataset e = TargetEncoding.forLoss(d, LossKind.MSE);
        assertEquals(2, e.targetCols());
        assertArrayEquals(new float[] {0, 1, 1, 0}, e.targets());
        assertEquals(2, TargetEncoding.outputDim(d, LossKind.MSE));
        e.validate();
    }

    @Test
    void mseOnRegressionIsUnchanged() {
        Dataset d = regression(1.5f, -2f);
        assertSame(d, TargetEncoding.forLoss(d, LossKind.MSE));
        assertEquals(1, TargetEncoding.outputDim(d, LossKind.MSE));
    }

    @Test
    void crossEntropyOnRegressionIsAnError() {
        for (LossKind loss : new LossKind[] {LossKind.SOFTMAX_CE, LossKind.LOGISTIC_CE}) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> TargetEncoding.forLoss(regression(1.5f), loss));
            assertTrue(e.getMessage().contains(loss.cliName()) && e.getMessage().contains("real-valued"),
                    e.getMessage());
            assertThrows(InvalidInputException.class, () -> TargetEncoding.outputDim(regression(1f), loss));
        }
    }

    @Test
    void testSplitIsEncodedWithTheTrainingClassCount() {
        Dataset train = classes(4, 0, 1, 2, 3);
        Dataset test = classes(2, 1, 0);
        TrainTest e = TargetEncoding.forLoss(new TrainTest(train, test), LossKind.MSE);
        assertEquals(4, e.test().targetCols());
        assertEquals(4, e.test().numClasses());
        assertArrayEquals(new float[] {0, 1, 0, 0, 1, 0, 0, 0}, e.test().targets());
    }

    @Test
    void testLabelBeyondTrainingClassesIsAnError() {
        Dataset train = classes(3, 0, 1, 2);
        Dataset test = classes(5, 1, 4);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> TargetEncoding.forLoss(new TrainTest(train, test), LossKind.SOFTMAX_CE));
        assertTrue(e.getMessage().contains("example 1") && e.getMessage().contains("3 classes"), e.getMessage());
    }
}
