package io.ravine;

/**
 * A problem with what the user gave Ravine (a file, a flag, a shape, a value), as opposed to a bug. The message is
 * one line that names the problem; the CLI prints it without a stack trace and exits non-zero.
 */
public class InvalidInputException extends RuntimeException {
    /**
     * A problem in one line.
     *
     * @param message what is wrong, naming the file, flag or setting and the value
     */
    public InvalidInputException(String message) {
        super(message);
    }

    /**
     * A problem in one line, with the failure that revealed it.
     *
     * @param message what is wrong, naming the file, flag or setting and the value
     * @param cause the underlying failure (a parser's exception, an I/O error)
     */
    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
