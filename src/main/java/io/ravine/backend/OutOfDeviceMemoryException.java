package io.ravine.backend;

import io.ravine.InvalidInputException;

/**
 * A device allocation failed for lack of memory. The message names the bytes requested and the device's free and
 * total memory at that moment, so the user can pick a smaller batch or model; callers that know the batch size
 * wrap this with it.
 */
public class OutOfDeviceMemoryException extends InvalidInputException {
    /** Bytes the failed allocation asked for. */
    private final long requestedBytes;
    /** Bytes free on the device when it failed. */
    private final long freeBytes;
    /** The device's memory. */
    private final long totalBytes;

    /**
     * An allocation of {@code requestedBytes} on {@code device} that failed.
     *
     * @param device the device's name
     * @param requestedBytes bytes asked for
     * @param freeBytes bytes free at that moment
     * @param totalBytes the device's memory
     * @param cause the driver's error
     */
    public OutOfDeviceMemoryException(String device, long requestedBytes, long freeBytes, long totalBytes,
            Throwable cause) {
        super(String.format("out of GPU memory on %s: requested %s, %s free of %s", device, mib(requestedBytes),
                mib(freeBytes), mib(totalBytes)), cause);
        this.requestedBytes = requestedBytes;
        this.freeBytes = freeBytes;
        this.totalBytes = totalBytes;
    }

    static String mib(long bytes) {
        return String.format("%.1f MiB (%d bytes)", bytes / (1024.0 * 1024.0), bytes);
    }

    /**
     * Bytes the failed allocation asked for.
     *
     * @return the bytes requested
     */
    public long requestedBytes() {
        return requestedBytes;
    }

    /**
     * Bytes free on the device when it failed.
     *
     * @return the free bytes
     */
    public long freeBytes() {
        return freeBytes;
    }

    /**
     * The device's memory.
     *
     * @return the total bytes
     */
    public long totalBytes() {
        return totalBytes;
    }
}
