package io.ravine.backend;

/**
 * A row-major [rows, cols] block of a backend's memory; a flat vector is [n, 1]. A tensor may be a view into a
 * larger one (the layers' weights are views into the one parameter buffer θ). Only the backend that made a tensor
 * may operate on it. Closing the tensor that owns the memory frees it; views own nothing.
 */
public abstract class Tensor implements AutoCloseable {
    private final int rows;
    private final int cols;

    /**
     * A tensor of this shape (for backends).
     *
     * @param rows rows, ≥ 0
     * @param cols columns, ≥ 0
     */
    protected Tensor(int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative shape [" + rows + ", " + cols + "]");
        }
        this.rows = rows;
        this.cols = cols;
    }

    /**
     * Rows.
     *
     * @return the first dimension
     */
    public final int rows() {
        return rows;
    }

    /**
     * Columns.
     *
     * @return the second dimension
     */
    public final int cols() {
        return cols;
    }

    /**
     * Elements: rows × cols.
     *
     * @return the element count
     */
    public final int length() {
        return rows * cols;
    }

    /**
     * A view of {@code rows × cols} elements starting {@code offset} elements after this tensor's first.
     *
     * @param offset elements after this tensor's first
     * @param rows the view's rows
     * @param cols the view's columns
     * @return the view (owning nothing)
     */
    public abstract Tensor view(int offset, int rows, int cols);

    /**
     * A view of the same memory as a flat [length, 1] vector.
     *
     * @return the view
     */
    public Tensor flat() {
        return view(0, length(), 1);
    }

    /**
     * The first {@code n} rows, as a view (a smaller batch in buffers sized for a larger one).
     *
     * @param n rows, at most {@link #rows()}
     * @return the view
     */
    public Tensor firstRows(int n) {
        return view(0, n, cols);
    }

    /**
     * The backend that made this tensor (the only one that may operate on it).
     *
     * @return the backend
     */
    public abstract Backend backend();

    /**
     * Every backend's elementwise ops need equal lengths; a mismatch is a bug in the caller's layer code.
     *
     * @param a one tensor
     * @param b the other
     * @throws IllegalArgumentException if their lengths differ
     */
    public static void requireSameLength(Tensor a, Tensor b) {
        if (a.length() != b.length()) {
            throw new IllegalArgumentException("length mismatch: " + a + " vs " + b);
        }
    }

    /** Frees the memory this tensor owns; a view owns none, and closing it does nothing. */
    @Override
    public void close() {
        // Views own nothing; owning tensors override this.
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + rows + ", " + cols + "]";
    }
}
