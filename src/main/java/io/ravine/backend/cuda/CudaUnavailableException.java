package io.ravine.backend.cuda;

import io.ravine.InvalidInputException;

/** The user asked for the CUDA device on a machine where it cannot be used; the message says why, in one line. */
public class CudaUnavailableException extends InvalidInputException {
    /**
     * Why CUDA cannot be used, in one line.
     *
     * @param message the reason
     */
    public CudaUnavailableException(String message) {
        super(message);
    }

    /**
     * Why CUDA cannot be used, with the failure that showed it.
     *
     * @param message the reason
     * @param cause the driver's or loader's error
     */
    public CudaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
