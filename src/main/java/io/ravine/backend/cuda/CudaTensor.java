package io.ravine.backend.cuda;

import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import jcuda.driver.CUdeviceptr;

/**
 * A float32 tensor in device memory: a base allocation plus an element offset. The tensor that made the allocation
 * owns it and frees it (cuMemFree) on close; views share the base and own nothing.
 */
public final class CudaTensor extends Tensor {
    private final CudaBackend backend;
    private final CUdeviceptr base;
    private final long offset;
    private final boolean owner;
    private boolean closed;

    CudaTensor(CudaBackend backend, CUdeviceptr base, long offset, int rows, int cols, boolean owner) {
        super(rows, cols);
        this.backend = backend;
        this.base = base;
        this.offset = offset;
        this.owner = owner;
    }

    /** The device address of element {@code i} (JCuda carries the byte offset into kernel and cuBLAS arguments). */
    CUdeviceptr pointer(long i) {
        long bytes = (offset + i) * Float.BYTES;
        return bytes == 0 ? base : base.withByteOffset(bytes);
    }

    CUdeviceptr pointer() {
        return pointer(0);
    }

    CUdeviceptr base() {
        return base;
    }

    boolean isOwner() {
        return owner;
    }

    @Override
    public Tensor view(int off, int r, int c) {
        if (off < 0 || r < 0 || c < 0 || (long) off + (long) r * c > length()) {
            throw new IllegalArgumentException("view at " + off + " of [" + r + ", " + c + "] exceeds " + this);
        }
        return new CudaTensor(backend, base, offset + off, r, c, false);
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public void close() {
        if (owner && !closed) {
            backend.free(this);  // throws inside record(); the tensor then stays open
            closed = true;
        }
    }

    /** Marks the memory as released by the backend itself (on backend close), so a later close() does nothing. */
    void markClosed() {
        closed = true;
    }
}
