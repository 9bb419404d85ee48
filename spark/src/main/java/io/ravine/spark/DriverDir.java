package io.ravine.spark;

import io.ravine.InvalidInputException;

/**
 * The driver's side of an output directory given as a URI ({@link RunDirUri.Mirror}): its lease ({@link RemoteLock}),
 * the copy of it that the driver works on (everything but checkpoints, which only the tasks need), and the
 * publication of what the driver writes there. For a directory given as a path every method does nothing: the
 * driver writes there directly.
 */
final class DriverDir implements AutoCloseable {
    private final RunDirUri.Mirror mirror;
    private final HadoopDir dir;
    private final RemoteLock lease;
    /** The subdirectories the driver copies: the command's own (runs, plots). */
    private final java.util.function.Predicate<String> own;
    /** Whether the directory did not exist before: then, left empty, it is removed again. */
    private final boolean created;

    private DriverDir(RunDirUri.Mirror mirror, HadoopDir dir, RemoteLock lease, boolean created,
            java.util.function.Predicate<String> own) {
        this.own = own;
        this.mirror = mirror;
        this.dir = dir;
        this.lease = lease;
        this.created = created;
    }

    /**
     * Refuses settings under which a directory given as a URI would not keep its rules: speculative execution runs
     * two attempts of a task at once, where a task's fence ({@link RemoteLock#fence}) assumes one live attempt.
     */
    static void check(RunDirUri.Mirror mirror, org.apache.spark.SparkConf conf) {
        if (mirror != null && conf.getBoolean("spark.speculation", false)) {
            throw new InvalidInputException("spark.speculation=true: with --run-dir " + mirror.shown() + " (a Hadoop"
                    + " filesystem URI) a run has one writer only if each task has one live attempt; set"
                    + " spark.speculation=false, or give --run-dir as a path on a shared POSIX filesystem"
                    + " (docs/spark.md)");
        }
    }

    /**
     * Takes the directory for this application (refused with one line while another driver holds it) and copies it
     * here, unless {@code replacing} (--overwrite: nothing of it is kept): its files and the subdirectories that
     * {@code own} accepts ({@link HadoopDir#pullOwn}).
     */
    static DriverDir open(RunDirUri.Mirror mirror, String application, boolean replacing,
            java.util.function.Predicate<String> own) {
        if (mirror == null) {
            return new DriverDir(null, null, null, false, own);
        }
        HadoopDir dir = HadoopDir.open(mirror, HadoopDir.sparkHadoopConf(), "--run-dir");
        boolean created = !dir.exists("");
        RemoteLock lease = RemoteLock.lease(dir, RemoteLock.holder("driver", application, null), "--run-dir");
        try {
            if (!replacing) {
                dir.pullOwn(own);
            }
            return new DriverDir(mirror, dir, lease, created, own);
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
    }

    /** Empties the remote directory (but its lock), for --overwrite, once the command's checks have passed. */
    void replaceRemote() {
        if (dir != null) {
            lease.check();
            dir.deleteContents("");
        }
    }

    /** Copies what the tasks published since (but checkpoints). */
    void refresh() {
        if (dir != null) {
            dir.pullOwn(own);
        }
    }

    /** Publishes what the driver wrote since the last publication, after checking that its lease holds. */
    void publish() {
        if (dir != null) {
            dir.push("", lease::check);
        }
    }

    /** {@code e} with the local directory's path replaced by the URI in its message. */
    RuntimeException shown(RuntimeException e) {
        if (mirror == null || e.getMessage() == null || !e.getMessage().contains(mirror.local().toString())) {
            return e;
        }
        // The same kind of exception, so that the command reports it as before: bad input as one line, an I/O
        // failure with its cause.
        if (e instanceof InvalidInputException) {
            return new InvalidInputException(mirror.show(e.getMessage()), e);
        }
        if (e instanceof java.io.UncheckedIOException io) {
            return new java.io.UncheckedIOException(mirror.show(e.getMessage()), io.getCause());
        }
        return e;
    }

    @Override
    public void close() {
        if (lease != null) {
            lease.close();
            if (created) {
                dir.deleteIfEmpty(""); // a command refused before it wrote anything leaves nothing
            }
        }
    }
}
