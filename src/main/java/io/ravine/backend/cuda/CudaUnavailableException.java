package io.ravine.backend.cuda;

import io.ravine.InvalidInputException;

/** The user asked for the CUDA device on a machine where it cannot be used; the message says why, in one line. */
public class CudaUnavailableException extends InvalidInputException {
    public CudaUnavailableException(String message) {
        super(message);
    }

    public CudaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
