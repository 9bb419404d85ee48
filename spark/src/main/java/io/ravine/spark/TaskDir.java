package io.ravine.spark;

import io.ravine.train.MetricsEvent;
import io.ravine.train.TrainingListener;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;

/**
 * A task's side of an output directory given as a URI: the run it trains ({@code sub}, e.g. {@code lr-0.01-seed-1}
 * or {@code runs/b64-lr0.003}) is marked as this attempt's ({@link RemoteLock#fence}), copied here with the
 * checkpoint a resume starts from (the latest), and published after each checkpoint ({@link #listener}) and at its end. For a
 * directory given as a path every method does nothing.
 */
final class TaskDir implements AutoCloseable {
    private final HadoopDir dir;
    private final String sub;
    private final RemoteLock fence;

    private TaskDir(HadoopDir dir, String sub, RemoteLock fence) {
        this.dir = dir;
        this.sub = sub;
        this.fence = fence;
    }

    /** Takes the run under {@code sub} for this task attempt; copies it here where {@code copy}, else empties it. */
    static TaskDir open(RunDirUri.Mirror mirror, String sub, TaskContext ctx, boolean copy) {
        if (mirror == null) {
            return new TaskDir(null, sub, null);
        }
        HadoopDir dir = HadoopDir.open(mirror, HadoopDir.sparkHadoopConf(), "--run-dir");
        SparkEnv env = SparkEnv.get();
        String application = env == null ? "unknown" : env.conf().get("spark.app.id", "unknown");
        RemoteLock fence = RemoteLock.fence(dir, sub, RemoteLock.holder("task", application, "stage " + ctx.stageId()
                + " partition " + ctx.partitionId() + " attempt " + ctx.attemptNumber()));
        // An earlier attempt killed while it published left temporaries: this attempt holds the run now.
        dir.deleteTemporaries(sub);
        if (copy) {
            dir.pull(sub, HadoopDir.Checkpoints.LATEST);
        } else {
            dir.deleteContents(sub);
        }
        return new TaskDir(dir, sub, fence);
    }

    /** Publishes what changed in the run since the last publication, if the run is still this attempt's. */
    void publish() {
        if (dir != null) {
            dir.push(sub, fence::check);
        }
    }

    /** A listener that publishes the run after each of its checkpoints; null for a directory given as a path. */
    TrainingListener listener() {
        if (dir == null) {
            return null;
        }
        return new TrainingListener() {
            @Override
            public void onMetrics(MetricsEvent event) {
            }

            @Override
            public void onCheckpoint(long step) {
                publish();
            }
        };
    }

    /**
     * {@code e} with this task's local copy's path replaced by the URI in its message (the driver reports a failed
     * trial by its message): an exception of the same meaning, as an {@link IllegalStateException} with {@code e} as
     * its cause.
     */
    static RuntimeException shown(RunDirUri.Mirror mirror, RuntimeException e) {
        if (mirror == null || e.getMessage() == null || !e.getMessage().contains(mirror.local().toString())) {
            return e;
        }
        return new IllegalStateException(mirror.show(e.getMessage()), e);
    }

    /** Removes the attempt's mark where it is still this attempt's. */
    @Override
    public void close() {
        if (fence != null) {
            fence.close();
        }
    }
}
