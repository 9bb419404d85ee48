package io.ravine.backend;

import java.nio.FloatBuffer;

/**
 * A batch of rows picked out of a row-major host array (the training set), seen as one virtual array of
 * {@code count × rowLength} floats: row i of the batch is row {@code rows[from + i]} of {@code src}. Backends copy
 * any element range of it straight into their transfer buffer, so a batch is gathered once, into memory the device
 * reads, instead of into a heap array first and copied again.
 *
 * @param src the host array, {@code rowLength} floats per row
 * @param rowLength floats per row
 * @param rows row indices into {@code src}
 * @param from first index into {@code rows}
 * @param count rows in the batch
 */
public record HostRows(float[] src, int rowLength, int[] rows, int from, int count) {

    /**
     * Checks that the rows exist in {@code src}.
     *
     * @param src the host array, {@code rowLength} floats per row
     * @param rowLength floats per row
     * @param rows row indices into {@code src}
     * @param from first index into {@code rows}
     * @param count rows in the batch
     * @throws IllegalArgumentException if the range or row length is impossible
     * @throws IndexOutOfBoundsException if a row index is outside {@code src}
     */
    public HostRows {
        if (rowLength <= 0 || count < 0 || from < 0 || (long) from + count > rows.length) {
            throw new IllegalArgumentException("rows [" + from + ", " + ((long) from + count) + ") of " + rows.length
                    + " indices, row length " + rowLength);
        }
        long srcRows = src.length / rowLength;
        for (int i = from; i < from + count; i++) {
            if (rows[i] < 0 || rows[i] >= srcRows) {
                throw new IndexOutOfBoundsException("row " + rows[i] + " of a host array with " + srcRows + " rows");
            }
        }
    }

    /**
     * Floats in the batch.
     *
     * @return count × rowLength
     */
    public long length() {
        return (long) count * rowLength;
    }

    /**
     * Throws unless the batch is exactly {@code tensorLength} floats (the tensor it is copied into).
     *
     * @param tensorLength the tensor's length
     */
    public void requireLength(long tensorLength) {
        if (length() != tensorLength) {
            throw new IllegalArgumentException("a batch of " + count + " rows of " + rowLength
                    + " floats into a tensor of " + tensorLength);
        }
    }

    /**
     * Copies batch elements [start, start + n) to {@code dst} at {@code dstIndex} (absolute puts: thread-safe).
     *
     * @param start the first batch element
     * @param n elements
     * @param dst the destination
     * @param dstIndex where the first goes
     */
    public void copyRange(long start, int n, FloatBuffer dst, int dstIndex) {
        long end = start + n;
        long e = start;
        while (e < end) {
            int row = (int) (e / rowLength);
            int col = (int) (e % rowLength);
            int len = (int) Math.min(rowLength - col, end - e);
            dst.put(dstIndex + (int) (e - start), src, rows[from + row] * rowLength + col, len);
            e += len;
        }
    }

    /**
     * Copies batch elements [start, start + n) to {@code dst} at {@code dstIndex}.
     *
     * @param start the first batch element
     * @param n elements
     * @param dst the destination
     * @param dstIndex where the first goes
     */
    public void copyRange(long start, int n, float[] dst, int dstIndex) {
        copyRange(start, n, FloatBuffer.wrap(dst), dstIndex);
    }

    /**
     * The whole batch as a new array (the fallback for backends without a transfer buffer of their own).
     *
     * @return the batch, row-major
     */
    public float[] toArray() {
        float[] out = new float[Math.toIntExact(length())];
        copyRange(0, out.length, out, 0);
        return out;
    }
}
