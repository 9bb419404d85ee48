package io.ravine.backend;

import io.ravine.InvalidInputException;

/**
 * A device allocation failed for lack of memory. The message names the bytes requested and the device's free and
 * total memory at that moment, so the user can pick a smaller batch or model; callers that know the batch size
 * wrap this with it.
 */
public class OutOfDeviceMemoryException extends InvalidInputException {
    private final long requestedBytes;
    private final long freeBytes;
    private final long totalBytes;

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

    public long requestedBytes() {
        return requestedBytes;
    }

    public long freeBytes() {
        return freeBytes;
    }

    public long totalBytes() {
        return totalBytes;
    }
}
