package io.ravine.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files, well-formed or deliberately broken, for the reader tests. */
final class IdxFiles {

    private IdxFiles() {
    }

    /** Header (magic 00 00 dtype ndim, then dims) followed by {@code body}. */
    static byte[] idx(int dtype, int[] dims, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(0);
        out.write(dtype);
        out.write(dims.length);
        for (int d : dims) {
            out.write(d >>> 24);
            out.write(d >>> 16);
            out.write(d >>> 8);
            out.write(d);
        }
        out.writeBytes(body);
        return out.toByteArray();
    }

    static byte[] ubyte(int[] dims, byte[] body) {
        return idx(0x08, dims, body);
    }

    static byte[] gzip(byte[] raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(raw);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return bytes.toByteArray();
    }

    static Path write(Path file, byte[] content) throws IOException {
        Files.write(file, content);
        return file;
    }

    /** n images of rows × cols whose pixel p of image i is (i * 31 + p * 7) mod 256. */
    static byte[] imageBody(int n, int rows, int cols) {
        byte[] b = new byte[n * rows * cols];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < rows * cols; p++) {
                b[i * rows * cols + p] = (byte) ((i * 31 + p * 7) % 256);
            }
        }
        return b;
    }

    static byte[] labelBody(int... labels) {
        byte[] b = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            b[i] = (byte) labels[i];
        }
        return b;
    }

    /** Writes the four MNIST-named files into dir, gzip-compressed or raw. */
    static void writeMnistDir(Path dir, boolean gz, int nTrain, int nTest, int rows, int cols, int numClasses)
            throws IOException {
        int[] trainLabels = new int[nTrain];
        for (int i = 0; i < nTrain; i++) {
            trainLabels[i] = i % numClasses;
        }
        int[] testLabels = new int[nTest];
        for (int i = 0; i < nTest; i++) {
            testLabels[i] = (i * 3) % numClasses;
        }
        String ext = gz ? ".gz" : "";
        writeMaybeGz(dir.resolve("train-images-idx3-ubyte" + ext), gz,
                ubyte(new int[] {nTrain, rows, cols}, imageBody(nTrain, rows, cols)));
        writeMaybeGz(dir.resolve("train-labels-idx1-ubyte" + ext), gz,
                ubyte(new int[] {nTrain}, labelBody(trainLabels)));
        writeMaybeGz(dir.resolve("t10k-images-idx3-ubyte" + ext), gz,
                ubyte(new int[] {nTest, rows, cols}, imageBody(nTest, rows, cols)));
        writeMaybeGz(dir.resolve("t10k-labels-idx1-ubyte" + ext), gz, ubyte(new int[] {nTest}, labelBody(testLabels)));
    }

    private static void writeMaybeGz(Path file, boolean gz, byte[] raw) throws IOException {
        write(file, gz ? gzip(raw) : raw);
    }
}
