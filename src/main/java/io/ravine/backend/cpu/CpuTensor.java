package io.ravine.backend.cpu;

import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * A CPU tensor: a window of an off-heap buffer. Off-heap because OpenBLAS reads a direct buffer in place, where a
 * Java array would be copied in and out on every call.
 */
abstract sealed class CpuTensor extends Tensor permits CpuTensor.F32, CpuTensor.F64 {
    final CpuBackend backend;
    final int offset;

    CpuTensor(CpuBackend backend, int offset, int rows, int cols) {
        super(rows, cols);
        this.backend = backend;
        this.offset = offset;
    }

    abstract double get(int i);

    abstract void set(int i, double v);

    @Override
    public Backend backend() {
        return backend;
    }

    static final class F32 extends CpuTensor {
        final FloatBuffer buf;
        /** The same memory as raw IEEE-754 bits, for checks on the exponent that the JIT vectorizes as int code. */
        final IntBuffer bits;

        F32(CpuBackend backend, FloatBuffer buf, IntBuffer bits, int offset, int rows, int cols) {
            super(backend, offset, rows, cols);
            this.buf = buf;
            this.bits = bits;
        }

        static F32 allocate(CpuBackend backend, int rows, int cols) {
            long bytes = (long) rows * cols * 4L;
            if (bytes > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tensor [" + rows + ", " + cols + "] is larger than 2 GiB");
            }
            ByteBuffer b = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
            return new F32(backend, b.asFloatBuffer(), b.asIntBuffer(), 0, rows, cols);
        }

        @Override
        double get(int i) {
            return buf.get(offset + i);
        }

        @Override
        void set(int i, double v) {
            buf.put(offset + i, (float) v);
        }

        float getFloat(int i) {
            return buf.get(offset + i);
        }

        void setFloat(int i, float v) {
            buf.put(offset + i, v);
        }

        /** The buffer positioned at this tensor's element {@code i}, as BLAS wants it (a duplicate: any thread). */
        FloatBuffer positioned(int i) {
            return buf.duplicate().position(offset + i);
        }

        @Override
        public Tensor view(int off, int r, int c) {
            CpuBackend.checkView(this, off, r, c);
            return new F32(backend, buf, bits, offset + off, r, c);
        }
    }

    static final class F64 extends CpuTensor {
        final DoubleBuffer buf;

        F64(CpuBackend backend, DoubleBuffer buf, int offset, int rows, int cols) {
            super(backend, offset, rows, cols);
            this.buf = buf;
        }

        static F64 allocate(CpuBackend backend, int rows, int cols) {
            long bytes = (long) rows * cols * 8L;
            if (bytes > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tensor [" + rows + ", " + cols + "] is larger than 2 GiB");
            }
            DoubleBuffer b = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder()).asDoubleBuffer();
            return new F64(backend, b, 0, rows, cols);
        }

        @Override
        double get(int i) {
            return buf.get(offset + i);
        }

        @Override
        void set(int i, double v) {
            buf.put(offset + i, v);
        }

        /** The buffer positioned at this tensor's element {@code i}, as BLAS wants it (a duplicate: any thread). */
        DoubleBuffer positioned(int i) {
            return buf.duplicate().position(offset + i);
        }

        @Override
        public Tensor view(int off, int r, int c) {
            CpuBackend.checkView(this, off, r, c);
            return new F64(backend, buf, offset + off, r, c);
        }
    }
}
