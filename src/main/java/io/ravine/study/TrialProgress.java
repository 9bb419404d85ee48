package io.ravine.study;

import io.ravine.io.ProgressLine;

/** A progress line over a study's trials on stderr (shown where the caller decided: by default on a terminal). */
final class TrialProgress implements AutoCloseable {
    private final ProgressLine line;
    private long done;

    TrialProgress(String title, long total, long alreadyDone, boolean enabled) {
        line = enabled && total > 0 ? ProgressLine.onStderr(title, total, alreadyDone) : null;
        done = alreadyDone;
    }

    /** One more trial finished; {@code message} names it. */
    void advance(String message) {
        done++;
        if (line != null) {
            line.update(done, message);
        }
    }

    @Override
    public void close() {
        if (line != null) {
            line.end(done);
        }
    }
}
