package io.ravine.backend.cuda;

import java.util.function.Supplier;

/**
 * Whether {@link CudaBackend#record} is capturing a CUDA graph, kept true exactly while the capture is open: set only
 * after the capture began, cleared however it ends (the body, the end of capture or the abort failing). Ops that
 * would synchronize the stream, which capture forbids, ask {@link #requireNotRecording} first. Free of JCuda: the
 * driver calls come in as functions, so the state logic is tested without a GPU.
 */
final class CaptureState {
    private boolean recording;

    boolean recording() {
        return recording;
    }

    /** Throws IllegalStateException inside a capture: {@code op} would synchronize the stream. */
    void requireNotRecording(String op) {
        if (recording) {
            throw new IllegalStateException(op + " cannot run inside record(): it would synchronize the stream");
        }
    }

    /**
     * Runs {@code begin} (cuStreamBeginCapture); only when it succeeded, marks the capture open, runs {@code body} and
     * returns {@code end}'s result (cuStreamEndCapture). When {@code body} throws, {@code abort} ends and discards the
     * capture and the body's exception is rethrown (an abort failure is attached to it as suppressed). The state is
     * not recording afterwards in every case.
     */
    <T> T capture(Runnable begin, Runnable body, Supplier<T> end, Runnable abort) {
        requireNotRecording("record");
        begin.run();
        recording = true;
        try {
            try {
                body.run();
            } catch (RuntimeException | Error e) {
                recording = false;
                try {
                    abort.run();
                } catch (RuntimeException | Error suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            recording = false;
            return end.get();
        } finally {
            recording = false;
        }
    }
}
