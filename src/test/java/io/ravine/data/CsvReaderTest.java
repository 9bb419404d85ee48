package io.ravine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvReaderTest {

    @TempDir
    Path dir;

    private Path csv(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    private String classificationFailure(String content, int numClasses) throws IOException {
        Path p = csv("bad.csv", content);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> CsvReader.readClassification(p, numClasses));
        String m = e.getMessage();
        assertFalse(m.contains("\n"), "message must be one line: " + m);
        assertTrue(m.startsWith(p.toString() + ":"), "message must name the file: " + m);
        return m;
    }

    @Test
    void classification() throws IOException {
        Path p = csv("iris.csv", "a,b,\"class\"\n1.5,-2,0\n\n 3e1 , .25 ,2\n\"7\",8,1.0\n");
        Dataset d = CsvReader.readClassification(p, 0);
        assertEquals(3, d.n());
        assertEquals(2, d.featureDim());
        assertEquals(1, d.targetCols());
        assertEquals(3, d.numClasses());
        assertArrayEquals(new float[] {1.5f, -2f, 30f, 0.25f, 7f, 8f}, d.features());
        assertArrayEquals(new float[] {0, 2, 1}, d.targets());
    }

    @Test
    void givenClassCountIsKeptEvenIfLabelsAreFewer() throws IOException {
        Path p = csv("c.csv", "x,y\n1,0\n2,1\n");
        assertEquals(5, CsvReader.readClassification(p, 5).numClasses());
    }

    @Test
    void regression() throws IOException {
        Path p = csv("r.csv", "x1,x2,price\n1,2,3.75\n4,5,-0.5\n");
        Dataset d = CsvReader.readRegression(p);
        assertEquals(2, d.n());
        assertEquals(0, d.numClasses());
        assertEquals(1, d.targetCols());
        assertArrayEquals(new float[] {3.75f, -0.5f}, d.targets());
        assertArrayEquals(new float[] {1, 2, 4, 5}, d.features());
    }

    @Test
    void nonNumericCellNamesLineAndColumn() throws IOException {
        // The blank line counts: the bad cell is on line 4 of the file.
        String m = classificationFailure("a,b,c\n1,2,0\n\n1,abc,1\n", 0);
        assertTrue(m.contains("line 4, column 2 ('b')") && m.contains("'abc' is not a number"), m);
    }

    @Test
    void emptyCell() throws IOException {
        String m = classificationFailure("a,b,c\n1,,0\n", 0);
        assertTrue(m.contains("line 2, column 2") && m.contains("empty cell"), m);
    }

    @Test
    void nanAndInfinity() throws IOException {
        String m = classificationFailure("a,b,c\n1,2,0\nNaN,2,0\n", 0);
        assertTrue(m.contains("line 3, column 1 ('a')") && m.contains("not finite"), m);
        m = classificationFailure("a,b,c\n1,-Infinity,0\n", 0);
        assertTrue(m.contains("line 2, column 2 ('b')") && m.contains("not finite"), m);
        m = classificationFailure("a,b,c\n1,1e39,0\n", 0);
        assertTrue(m.contains("line 2, column 2") && m.contains("not finite"), m);
    }

    @Test
    void raggedRow() throws IOException {
        String m = classificationFailure("a,b,c\n1,2,0\n1,2\n", 0);
        assertTrue(m.contains("line 3: ragged row: 2 columns, the header has 3"), m);
    }

    @Test
    void unterminatedQuote() throws IOException {
        String m = classificationFailure("a,b\n1,0\n2,\"1\n", 0);
        assertTrue(m.contains("line 3: malformed CSV"), m);
    }

    @Test
    void emptyFile() throws IOException {
        String m = classificationFailure("", 0);
        assertTrue(m.contains("empty file"), m);
        m = classificationFailure("\n\n", 0);
        assertTrue(m.contains("empty file"), m);
    }

    @Test
    void headerOnly() throws IOException {
        String m = classificationFailure("a,b\n", 0);
        assertTrue(m.contains("no data rows"), m);
    }

    @Test
    void missingHeader() throws IOException {
        String m = classificationFailure("1,2,0\n3,4,1\n", 0);
        assertTrue(m.contains("line 1") && m.contains("no header row"), m);
    }

    @Test
    void nonIntegerClassLabel() throws IOException {
        String m = classificationFailure("a,label\n1,0\n2,1.5\n", 0);
        assertTrue(m.contains("line 3, column 2 ('label')") && m.contains("'1.5' is not an integer"), m);
    }

    @Test
    void negativeClassLabel() throws IOException {
        String m = classificationFailure("a,label\n1,-1\n", 0);
        assertTrue(m.contains("line 2, column 2") && m.contains("negative"), m);
    }

    @Test
    void classLabelBeyondGivenClassCount() throws IOException {
        String m = classificationFailure("a,label\n1,0\n1,3\n", 3);
        assertTrue(m.contains("line 3") && m.contains("out of range for 3 classes"), m);
    }

    @Test
    void regressionAcceptsFractionalAndNegativeTargets() throws IOException {
        Path p = csv("r.csv", "a,t\n1,-1.5\n");
        assertArrayEquals(new float[] {-1.5f}, CsvReader.readRegression(p).targets());
    }
}
