package io.ravine.backend;

/**
 * A row-major [rows, cols] block of a backend's memory; a flat vector is [n, 1]. A tensor may be a view into a
 * larger one (the layers' weights are views into the one parameter buffer θ). Only the backend that made a tensor
 * may operate on it. Closing the tensor that owns the memory frees it; views own nothing.
 */
public abstract class Tensor implements AutoCloseable {
    private final int rows;
    private final int cols;

    protected Tensor(int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative shape [" + rows + ", " + cols + "]");
        }
        this.rows = rows;
        this.cols = cols;
    }

    public final int rows() {
        return rows;
    }

    public final int cols() {
        return cols;
    }

    public final int length() {
        return rows * cols;
    }

    /** A view of {@code rows × cols} elements starting {@code offset} elements after this tensor's first. */
    public abstract Tensor view(int offset, int rows, int cols);

    /** A view of the same memory as a flat [length, 1] vector. */
    public Tensor flat() {
        return view(0, length(), 1);
    }

    /** The first {@code n} rows, as a view (a smaller batch in buffers sized for a larger one). */
    public Tensor firstRows(int n) {
        return view(0, n, cols);
    }

    public abstract Backend backend();

    /** Every backend's elementwise ops need equal lengths; a mismatch is a bug in the caller's layer code. */
    public static void requireSameLength(Tensor a, Tensor b) {
        if (a.length() != b.length()) {
            throw new IllegalArgumentException("length mismatch: " + a + " vs " + b);
        }
    }

    @Override
    public void close() {
        // Views own nothing; owning tensors override this.
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + rows + ", " + cols + "]";
    }
}
