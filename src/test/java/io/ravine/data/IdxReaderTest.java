package io.ravine.data;

import static io.ravine.data.IdxFiles.gzip;
import static io.ravine.data.IdxFiles.imageBody;
import static io.ravine.data.IdxFiles.labelBody;
import static io.ravine.data.IdxFiles.ubyte;
import static io.ravine.data.IdxFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxReaderTest {

    @TempDir
    Path dir;

    private Path goodLabels(String name, int... labels) throws IOException {
        return write(dir.resolve(name), ubyte(new int[] {labels.length}, labelBody(labels)));
    }

    /** Runs the reader, expects a one-line InvalidInputException naming {@code file}, and returns the message. */
    private static String failure(Path images, Path labels, Path named) {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> IdxReader.read(images, labels, 10, "t"));
        String m = e.getMessage();
        assertFalse(m.contains("\n"), "message must be one line: " + m);
        assertTrue(m.contains(named.toString()), "message must name " + named + ": " + m);
        return m;
    }

    // The compressed copy is named as raw and the raw copy as .gz: the reader must go by content, not name.
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void roundTripsValuesAndShapes(boolean gz) throws IOException {
        byte[] body = imageBody(3, 2, 4);
        body[0] = 0;
        body[1] = (byte) 255;
        body[2] = (byte) 128;
        byte[] images = ubyte(new int[] {3, 2, 4}, body);
        byte[] labels = ubyte(new int[] {3}, labelBody(9, 0, 4));
        Path ip = write(dir.resolve(gz ? "images.idx" : "images.idx.gz"), gz ? gzip(images) : images);
        Path lp = write(dir.resolve(gz ? "labels.idx" : "labels.idx.gz"), gz ? gzip(labels) : labels);

        Dataset d = IdxReader.read(ip, lp, 10, "t");

        assertEquals(3, d.n());
        assertEquals(8, d.featureDim());
        assertEquals(1, d.targetCols());
        assertEquals(10, d.numClasses());
        assertEquals(0f, d.features()[0]);
        assertEquals(1f, d.features()[1]);
        assertEquals(128 / 255f, d.features()[2]);
        for (int i = 0; i < body.length; i++) {
            assertEquals((body[i] & 0xff) / 255f, d.features()[i], "pixel " + i);
        }
        assertArrayEquals(new float[] {9, 0, 4}, d.targets());
    }

    @Test
    void infersClassCountWhenNotGiven() throws IOException {
        Path ip = write(dir.resolve("i"), ubyte(new int[] {2, 1, 1}, new byte[] {1, 2}));
        Dataset d = IdxReader.read(ip, goodLabels("l", 3, 5), 0, "t");
        assertEquals(6, d.numClasses());
    }

    @Test
    void badMagic() throws IOException {
        byte[] bytes = ubyte(new int[] {1, 1, 1}, new byte[] {0});
        bytes[0] = 0x12;
        Path ip = write(dir.resolve("bad-magic"), bytes);
        String m = failure(ip, goodLabels("l", 0), ip);
        assertTrue(m.contains("bad magic number 0x12000803"), m);
    }

    @Test
    void wrongDtypeCode() throws IOException {
        Path ip = write(dir.resolve("floats"), IdxFiles.idx(0x0D, new int[] {1, 1, 1}, new byte[4]));
        String m = failure(ip, goodLabels("l", 0), ip);
        assertTrue(m.contains("wrong dtype code 0x0D"), m);
    }

    @Test
    void truncatedData() throws IOException {
        byte[] full = ubyte(new int[] {3, 2, 2}, imageBody(3, 2, 2));
        Path ip = write(dir.resolve("short"), Arrays.copyOf(full, full.length - 2));
        String m = failure(ip, goodLabels("l", 0, 1, 2), ip);
        assertTrue(m.contains("truncated data") && m.contains("need 12 bytes, found 10"), m);
    }

    @Test
    void truncatedHeader() throws IOException {
        byte[] full = ubyte(new int[] {3, 2, 2}, imageBody(3, 2, 2));
        Path ip = write(dir.resolve("short-header"), Arrays.copyOf(full, 9));
        String m = failure(ip, goodLabels("l", 0, 1, 2), ip);
        assertTrue(m.contains("truncated header"), m);
    }

    @Test
    void truncatedGzipStream() throws IOException {
        byte[] gz = gzip(ubyte(new int[] {50, 4, 4}, imageBody(50, 4, 4)));
        Path ip = write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length / 2));
        String m = failure(ip, goodLabels("l", 0), ip);
        assertTrue(m.contains("truncated"), m);
    }

    @Test
    void trailingGarbage() throws IOException {
        byte[] good = ubyte(new int[] {1, 2, 2}, imageBody(1, 2, 2));
        byte[] withTail = Arrays.copyOf(good, good.length + 3);
        Path ip = write(dir.resolve("tail.gz"), gzip(withTail));
        String m = failure(ip, goodLabels("l", 0), ip);
        assertTrue(m.contains("trailing garbage: 3 bytes"), m);
    }

    @Test
    void imageLabelCountMismatch() throws IOException {
        Path ip = write(dir.resolve("three-images"), ubyte(new int[] {3, 1, 2}, imageBody(3, 1, 2)));
        Path lp = goodLabels("two-labels", 1, 2);
        String m = failure(ip, lp, ip);
        assertTrue(m.contains("3 images") && m.contains("2 labels") && m.contains(lp.toString()), m);
    }

    @Test
    void labelOutOfRange() throws IOException {
        Path ip = write(dir.resolve("i"), ubyte(new int[] {3, 1, 1}, new byte[3]));
        Path lp = goodLabels("labels-with-10", 0, 10, 3);
        String m = failure(ip, lp, lp);
        assertTrue(m.contains("label 10 at index 1 is out of range for 10 classes"), m);
    }

    @Test
    void labelsGivenAsImages() throws IOException {
        Path lp = goodLabels("labels", 1, 2);
        String m = failure(lp, lp, lp);
        assertTrue(m.contains("needs 3 dimensions"), m);
    }

    @Test
    void emptyFile() throws IOException {
        Path ip = write(dir.resolve("empty"), new byte[0]);
        String m = failure(ip, goodLabels("l", 0), ip);
        assertTrue(m.contains("empty file"), m);
    }

    @Test
    void missingFile() throws IOException {
        Path ip = dir.resolve("nope");
        String m = failure(ip, goodLabels("l", 0), ip);
        assertTrue(m.contains("no such file"), m);
    }
}
