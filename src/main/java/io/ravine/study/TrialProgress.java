package io.ravine.study;

import ai.djl.training.util.ProgressBar;

/** A DJL progress bar over a study's trials, shown only on a terminal (a log file would fill with redraws). */
final class TrialProgress implements AutoCloseable {
    private final ProgressBar bar;
    private long done;

    TrialProgress(String title, long total, long alreadyDone, boolean enabled) {
        bar = enabled && System.console() != null && total > 0 ? new ProgressBar(title, total) : null;
        done = alreadyDone;
        if (bar != null) {
            bar.start(alreadyDone);
        }
    }

    /** One more trial finished; {@code message} names it. */
    void advance(String message) {
        done++;
        if (bar != null) {
            bar.update(done, message);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.end();
        }
    }
}
