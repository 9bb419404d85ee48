package io.ravine.data;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.backend.LossKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-data corpus through the library: {@link DataSources#load} refuses every case with an
 * {@link InvalidInputException} (no other exception type) whose one-line message names the file and the problem.
 */
class BadDataCorpusTest {
    private static Path corpus;

    static List<BadDataCorpus.Case> cases() throws IOException {
        corpus = Files.createTempDirectory("ravine-bad-data");
        return BadDataCorpus.write(corpus);
    }

    @AfterAll
    static void deleteCorpus() {
        BadDataCorpus.deleteRecursively(corpus);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void libraryRefusesWithOneLineNamingTheFileAndTheProblem(BadDataCorpus.Case c) {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> DataSources.load(c.data(), c.testData(), LossKind.SOFTMAX_CE));
        assertNamesFileAndProblem(e.getMessage(), c.culprit(), c.problem());
    }

    static void assertNamesFileAndProblem(String message, String culprit, String problem) {
        assertFalse(message.contains("\n"), "one line: " + message);
        assertTrue(message.contains(culprit), "'" + message + "' should name " + culprit);
        assertTrue(message.toLowerCase(Locale.ROOT).contains(problem.toLowerCase(Locale.ROOT)),
                "'" + message + "' should say '" + problem + "'");
    }

    @Test
    void theGoodDatasetTheCasesBreakLoads(@TempDir Path dir) throws IOException {
        // Every IDX case is this directory with one file replaced: the refusals are about that file alone.
        BadDataCorpus.writeGoodIdx(dir);
        TrainTest tt = assertDoesNotThrow(() -> DataSources.load(dir.toString(), null, LossKind.SOFTMAX_CE));
        assertEquals(12, tt.train().n());
        assertEquals(BadDataCorpus.CLASSES, tt.train().numClasses());
    }

    @Test
    void fashionMnistLabelAbove9(@TempDir Path dir) throws IOException {
        BadDataCorpus.writeGoodIdx(dir);
        byte[] labels = new byte[12];
        labels[5] = 10;
        Files.write(dir.resolve("train-labels-idx1-ubyte"), BadDataCorpus.idx(new int[] {12}, labels));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> DataSources.load(DataSources.FASHION_MNIST, null, LossKind.SOFTMAX_CE, dir));
        assertNamesFileAndProblem(e.getMessage(), "train-labels-idx1-ubyte", "label 10 at index 5 is out of range");
    }

    @Test
    void unreadableFile(@TempDir Path dir) throws IOException {
        Assumptions.assumeFalse("root".equals(System.getProperty("user.name")),
                "running as root, which reads a chmod-000 file anyway; the case needs an ordinary user");
        Path f = dir.resolve("locked.csv");
        Files.writeString(f, "a,b,label\n1,2,0\n3,4,1\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("---------"));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> DataSources.load(f.toString(), null, LossKind.SOFTMAX_CE));
        assertNamesFileAndProblem(e.getMessage(), f.toString(), "permission denied");
    }
}
