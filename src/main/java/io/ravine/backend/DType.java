package io.ravine.backend;

/** Element type of a backend's tensors. Training runs in F32; F64 exists on the CPU for finite-difference checks. */
public enum DType {
    /** 32-bit IEEE floats. */
    F32(4),
    /** 64-bit IEEE floats. */
    F64(8);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /**
     * Bytes per element.
     *
     * @return 4 or 8
     */
    public int bytes() {
        return bytes;
    }
}
