package io.ravine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ravine.InvalidInputException;
import io.ravine.backend.LossKind;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSourcesTest {

    @TempDir
    Path dir;

    private static void assertPixelsAndLabels(Dataset d) {
        for (float v : d.features()) {
            assertTrue(v >= 0 && v <= 1, d.name() + " pixel " + v);
        }
        boolean[] present = new boolean[10];
        for (float t : d.targets()) {
            present[(int) t] = true;
        }
        for (int k = 0; k < 10; k++) {
            assertTrue(present[k], d.name() + " lacks class " + k);
        }
    }

    @Test
    void embeddedIsAFashionMnistSubset() {
        TrainTest tt = DataSources.load("embedded", null, LossKind.SOFTMAX_CE);
        assertEquals(5000, tt.train().n());
        assertEquals(1000, tt.test().n());
        assertEquals(784, tt.train().featureDim());
        assertEquals(784, tt.test().featureDim());
        assertEquals(10, tt.train().numClasses());
        assertEquals(10, tt.test().numClasses());
        assertPixelsAndLabels(tt.train());
        assertPixelsAndLabels(tt.test());
        TrainTest byDefault = DataSources.load(null, null, LossKind.SOFTMAX_CE);
        assertArrayEquals(tt.train().targets(), byDefault.train().targets());
    }

    @Test
    void fullFashionMnistWhenInstalled() {
        Path base = DataSources.fashionMnistDir();
        assumeTrue(Files.isDirectory(base), "Fashion-MNIST is not installed in " + base
                + " (apt-get install dataset-fashion-mnist); skipping");
        TrainTest tt = DataSources.load("fashion-mnist", null, LossKind.SOFTMAX_CE);
        assertEquals(60000, tt.train().n());
        assertEquals(10000, tt.test().n());
        assertEquals(784, tt.train().featureDim());
        assertEquals(10, tt.train().numClasses());
        // The embedded subset must be exactly the first examples of the full set.
        TrainTest embedded = DataSources.loadEmbedded();
        assertArrayEquals(embedded.train().features(), tt.train().limit(5000).features());
        assertArrayEquals(embedded.train().targets(), tt.train().limit(5000).targets());
        assertArrayEquals(embedded.test().features(), tt.test().limit(1000).features());
    }

    @Test
    void missingFashionMnistSaysHowToGetIt() {
        for (Path base : new Path[] {dir, dir.resolve("does-not-exist")}) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> DataSources.load("fashion-mnist", null, LossKind.SOFTMAX_CE, base));
            String m = e.getMessage();
            assertFalse(m.contains("\n"), m);
            assertTrue(m.startsWith("Fashion-MNIST not found in " + base), m);
            assertTrue(m.endsWith("install it with 'apt-get install dataset-fashion-mnist' or set data to a"
                    + " directory of its IDX files"), m);
        }
    }

    @Test
    void fashionMnistDirFollowsTheEnvironment() {
        String env = System.getenv(DataSources.FASHION_MNIST_ENV);
        Path expected = Path.of(env != null && !env.isBlank() ? env : "/usr/share/datasets/fashion-mnist");
        assertEquals(expected, DataSources.fashionMnistDir());
    }

    @Test
    void idxDirectoryWithRawOrGzipNames() throws IOException {
        for (boolean gz : new boolean[] {true, false}) {
            Path d = Files.createDirectory(dir.resolve(gz ? "gz" : "raw"));
            IdxFiles.writeMnistDir(d, gz, 12, 5, 3, 2, 4);
            TrainTest tt = DataSources.load(d.toString(), null, LossKind.SOFTMAX_CE);
            assertEquals(12, tt.train().n());
            assertEquals(5, tt.test().n());
            assertEquals(6, tt.train().featureDim());
            assertEquals(4, tt.train().numClasses());
            assertEquals(4, tt.test().numClasses());
            // Same dataset as fashion-mnist, through the base-directory overload.
            assertEquals(12, DataSources.load("fashion-mnist", null, LossKind.MSE, d).train().n());
        }
    }

    @Test
    void idxDirectoryMissingAFile() throws IOException {
        IdxFiles.writeMnistDir(dir, true, 4, 2, 1, 1, 2);
        Files.delete(dir.resolve("t10k-labels-idx1-ubyte.gz"));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> DataSources.load(dir.toString(), null, LossKind.SOFTMAX_CE));
        assertTrue(e.getMessage().contains("t10k-labels-idx1-ubyte"), e.getMessage());
    }

    private Path csv(String name, int rows, int labelOffset) throws IOException {
        StringBuilder sb = new StringBuilder("x1,x2,y\n");
        for (int i = 0; i < rows; i++) {
            sb.append(i).append(',').append(i * 0.5).append(',').append((i + labelOffset) % 3).append('\n');
        }
        Path p = dir.resolve(name);
        Files.writeString(p, sb);
        return p;
    }

    @Test
    void csvWithoutTestFileHoldsOutTheLastFifth() throws IOException {
        Path p = csv("t.csv", 10, 0);
        TrainTest tt = DataSources.load(p.toString(), null, LossKind.SOFTMAX_CE);
        assertEquals(8, tt.train().n());
        assertEquals(2, tt.test().n());
        assertEquals(3, tt.train().numClasses());
        assertArrayEquals(new float[] {8, 4, 9, 4.5f}, tt.test().features(), "the test split is the last rows");
        assertArrayEquals(new float[] {2, 0}, tt.test().targets());
        assertEquals(1, DataSources.load(csv("tiny.csv", 2, 0).toString(), null, LossKind.MSE).test().n());
    }

    @Test
    void csvLossDecidesClassesOrRealTargets() throws IOException {
        Path p = csv("t.csv", 10, 0);
        assertEquals(0, DataSources.load(p.toString(), null, LossKind.MSE).train().numClasses());
        Path reg = dir.resolve("reg.csv");
        Files.writeString(reg, "a,y\n1,0.5\n2,1.5\n3,2.5\n");
        assertEquals(0.5f, DataSources.load(reg.toString(), null, LossKind.MSE).train().targets()[0]);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> DataSources.load(reg.toString(), null, LossKind.SOFTMAX_CE));
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("not an integer"), e.getMessage());
    }

    @Test
    void csvWithTestFile() throws IOException {
        Path train = csv("train.csv", 9, 0);
        Path test = csv("test.csv", 4, 1);
        TrainTest tt = DataSources.load(train.toString(), test.toString(), LossKind.LOGISTIC_CE);
        assertEquals(9, tt.train().n());
        assertEquals(4, tt.test().n());
        assertEquals(3, tt.test().numClasses());
    }

    @Test
    void csvTestLabelUnknownToTraining() throws IOException {
        Path train = dir.resolve("train.csv");
        Files.writeString(train, "a,y\n1,0\n2,1\n");
        Path test = dir.resolve("test.csv");
        Files.writeString(test, "a,y\n1,0\n2,2\n");
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> DataSources.load(train.toString(), test.toString(), LossKind.SOFTMAX_CE));
        assertTrue(e.getMessage().startsWith(test + ": line 3") && e.getMessage().contains("2 classes"),
                e.getMessage());
    }

    @Test
    void csvTestFileWithOtherColumns() throws IOException {
        Path train = csv("train.csv", 4, 0);
        Path test = dir.resolve("test.csv");
        Files.writeString(test, "a,y\n1,0\n");
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> DataSources.load(train.toString(), test.toString(), LossKind.SOFTMAX_CE));
        assertTrue(e.getMessage().contains("feature columns"), e.getMessage());
    }

    @Test
    void unknownSourceAndMisplacedTestFile() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> DataSources.load(dir.resolve("nothing-here").toString(), null, LossKind.SOFTMAX_CE));
        assertTrue(e.getMessage().startsWith(dir.resolve("nothing-here") + ": no such file or directory"),
                e.getMessage());
        e = assertThrows(InvalidInputException.class,
                () -> DataSources.load("embedded", "test.csv", LossKind.SOFTMAX_CE));
        assertTrue(e.getMessage().contains("CSV"), e.getMessage());
    }

    @Test
    void idxTestLabelsAreCheckedAgainstTrainingClasses() throws IOException {
        IdxFiles.writeMnistDir(dir, false, 6, 3, 1, 1, 3);
        Path testLabels = dir.resolve("t10k-labels-idx1-ubyte");
        IdxFiles.write(testLabels, IdxFiles.ubyte(new int[] {3}, IdxFiles.labelBody(0, 3, 1)));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> DataSources.load(dir.toString(), null, LossKind.SOFTMAX_CE));
        assertTrue(e.getMessage().startsWith(testLabels.toString()) && e.getMessage().contains("label 3 at index 1"),
                e.getMessage());
    }
}
