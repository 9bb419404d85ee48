package io.ravine.backend;

/** Element type of a backend's tensors. Training runs in F32; F64 exists on the CPU for finite-difference checks. */
public enum DType {
    F32(4),
    F64(8);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }
}
