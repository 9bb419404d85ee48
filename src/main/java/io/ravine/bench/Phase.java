package io.ravine.bench;

/** Where a training step spends its time, by the kind of backend operation (plus host-side data work). */
public enum Phase {
    /** Matrix products (BLAS sgemm / cuBLAS). */
    GEMM,
    /** Bias + activation, activation backward, column sums, the fused loss, fill/copy/axpy/scale and reductions. */
    ELEMENTWISE,
    /** The fused optimizer update and the iterate average. */
    OPTIMIZER,
    /** Host batch gather and the host-to-device copy of the batch. */
    DATA;

    /** Column heading in the table. */
    public String heading() {
        return switch (this) {
            case GEMM -> "GEMM";
            case ELEMENTWISE -> "elementwise";
            case OPTIMIZER -> "optimizer";
            case DATA -> "data";
        };
    }
}
