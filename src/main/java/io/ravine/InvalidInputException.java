package io.ravine;

/**
 * A problem with what the user gave Ravine (a file, a flag, a shape, a value), as opposed to a bug. The message is
 * one line that names the problem; the CLI prints it without a stack trace and exits non-zero.
 */
public class InvalidInputException extends RuntimeException {
    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
