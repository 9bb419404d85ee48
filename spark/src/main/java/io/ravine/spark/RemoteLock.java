package io.ravine.spark;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.InvalidInputException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one-writer rule of a directory on a Hadoop filesystem, which has no {@code fcntl} lock that its kernel frees
 * when the holder dies. A {@code .lock} file there names its holder (a JSON object: application, task attempt, host,
 * process, a random token) and is of two kinds:
 *
 * <ul>
 *   <li><b>A driver's lease</b> ({@link #lease}) on a sweep or study directory: taken by creating the file, which
 *       fails where it exists (atomic on HDFS and the local filesystem; on S3 a check, then a write), and renewed
 *       every {@value #RENEW_SECONDS} s. Another driver is refused with one line naming the holder while the lease is
 *       alive; a lease not renewed for {@value #LEASE_SECONDS} s belonged to a driver that died, and is taken over.
 *       A holder that finds its lease taken (it stalled for longer than the lease) stops before it writes again.</li>
 *   <li><b>A task's fence</b> ({@link #fence}) on the run it trains: the attempt writes its name over whatever is
 *       there, since Spark starts a task's next attempt only after the last one was given up for dead, and the
 *       driver's lease keeps every other application out of the directory. Before each publication the attempt
 *       checks that the run is still its own ({@link #check}): an attempt that Spark gave up for dead but that still
 *       runs (a lost executor, cut off from the driver) so stops instead of writing over its successor.</li>
 * </ul>
 */
final class RemoteLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteLock.class);
    static final String FILE = ".lock";
    static final long LEASE_SECONDS = 120;
    static final long RENEW_SECONDS = 30;

    private final HadoopDir dir;
    private final Path file;
    private final String token;
    private final JsonObject holder;
    private final String setting;
    private ScheduledExecutorService renewer;
    private volatile String lost;

    private RemoteLock(HadoopDir dir, Path file, JsonObject holder, String setting) {
        this.dir = dir;
        this.file = file;
        this.holder = holder;
        this.token = holder.get("token").getAsString();
        this.setting = setting;
    }

    /** Who this process is, for a lock's file: {@code kind} (driver, task), the application, the task attempt. */
    static JsonObject holder(String kind, String application, String task) {
        JsonObject o = new JsonObject();
        o.addProperty("holder", kind);
        o.addProperty("application", application);
        if (task != null) {
            o.addProperty("task", task);
        }
        o.addProperty("host", hostName());
        o.addProperty("pid", ProcessHandle.current().pid());
        o.addProperty("token", UUID.randomUUID().toString());
        o.addProperty("since", Instant.now().toString());
        o.addProperty("renewed_ms", System.currentTimeMillis());
        return o;
    }

    /**
     * Takes the driver's lease on the directory, creating it: refused with one line naming {@code setting} while
     * another driver's lease is alive; a lease not renewed for {@value #LEASE_SECONDS} s is taken over.
     */
    static RemoteLock lease(HadoopDir dir, JsonObject me, String setting) {
        return lease(dir, me, setting, RENEW_SECONDS * 1000);
    }

    /** {@link #lease(HadoopDir, JsonObject, String)}, renewed every {@code renewMillis} (tests use less). */
    static RemoteLock lease(HadoopDir dir, JsonObject me, String setting, long renewMillis) {
        Path file = dir.remote(FILE);
        FileSystem fs = dir.fs();
        try {
            if (!fs.mkdirs(dir.remote(""))) {
                throw new IOException("the directory cannot be created");
            }
        } catch (IOException e) {
            throw new InvalidInputException(setting + " " + dir.uri() + ": cannot be written ("
                    + SparkDriver.describe(e) + ")", e);
        }
        for (int tries = 0; ; tries++) {
            try {
                try (var out = fs.create(file, false)) {
                    out.write(me.toString().getBytes(StandardCharsets.UTF_8));
                }
                RemoteLock lock = new RemoteLock(dir, file, me, setting);
                lock.startRenewing(renewMillis);
                return lock;
            } catch (FileAlreadyExistsException e) {
                JsonObject other = read(fs, file);
                long age = other != null ? System.currentTimeMillis() - other.get("renewed_ms").getAsLong()
                        : modifiedAgo(fs, file);
                if (age <= LEASE_SECONDS * 1000 || tries > 0) {
                    throw new InvalidInputException(setting + " " + dir.uri() + ": in use by "
                            + (other == null ? "another driver (its lock is being written)" : describe(other)
                            + String.format(Locale.ROOT, ", renewed %d s ago", Math.max(0, age / 1000)))
                            + "; a lock not renewed for " + LEASE_SECONDS + " s is taken over");
                }
                LOG.warn("{}: taking over the lock of {}, not renewed for {} s (that driver died)", dir.uri(),
                        other == null ? "an unreadable holder" : describe(other), age / 1000);
                try {
                    fs.delete(file, false);
                } catch (IOException d) {
                    throw new UncheckedIOException("cannot remove the expired lock " + file.toUri(), d);
                }
            } catch (IOException e) {
                throw new InvalidInputException(setting + " " + dir.uri() + ": cannot be written ("
                        + SparkDriver.describe(e) + ")", e);
            }
        }
    }

    /** Marks the run under {@code sub} as this task attempt's, over any earlier attempt's mark. */
    static RemoteLock fence(HadoopDir dir, String sub, JsonObject me) {
        Path file = dir.remote(sub.isEmpty() ? FILE : sub + "/" + FILE);
        try {
            dir.fs().mkdirs(file.getParent());
            dir.writeRemote(sub.isEmpty() ? FILE : sub + "/" + FILE, me.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file.toUri(), e);
        }
        return new RemoteLock(dir, file, me, "--run-dir");
    }

    /**
     * Throws where this lock is no longer this process's: a driver's lease taken over after it was not renewed in
     * time, a task's run taken by a later attempt.
     */
    void check() {
        if (lost != null) {
            throw new IllegalStateException(lost);
        }
        JsonObject now = read(dir.fs(), file);
        if (now == null || !now.has("token") || !now.get("token").getAsString().equals(token)) {
            lost = file.getParent().toUri() + " is no longer this " + holder.get("holder").getAsString() + "'s: "
                    + (now == null ? "its lock was removed" : "taken over by " + describe(now));
            throw new IllegalStateException(lost);
        }
    }

    private void startRenewing(long renewMillis) {
        renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ravine-lock-renewal");
            t.setDaemon(true);
            return t;
        });
        renewer.scheduleWithFixedDelay(() -> {
            try {
                check();
                holder.addProperty("renewed_ms", System.currentTimeMillis());
                dir.writeRemote(FILE, holder.toString().getBytes(StandardCharsets.UTF_8));
            } catch (IllegalStateException e) {
                LOG.error("{} {}: {}", setting, dir.uri(), e.getMessage());
                renewer.shutdown();
            } catch (IOException | RuntimeException e) {
                LOG.warn("{} {}: cannot renew its lock ({}); trying again in {} s", setting, dir.uri(),
                        SparkDriver.describe(e), renewMillis / 1000.0);
            }
        }, renewMillis, renewMillis, TimeUnit.MILLISECONDS);
    }

    /** Stops renewing, and removes the lock where it is still this process's. */
    @Override
    public void close() {
        if (renewer != null) {
            renewer.shutdownNow();
            try {
                renewer.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        JsonObject now = read(dir.fs(), file);
        if (now != null && now.has("token") && now.get("token").getAsString().equals(token)) {
            try {
                dir.fs().delete(file, false);
            } catch (IOException e) {
                LOG.warn("cannot remove the lock {}: {}", file.toUri(), SparkDriver.describe(e));
            }
        }
    }

    /** The lock file's holder, or null where there is none or it is not (yet) whole JSON. */
    static JsonObject read(FileSystem fs, Path file) {
        try (InputStream in = fs.open(file)) {
            return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (FileNotFoundException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** How long ago the file was last written (0 where that cannot be read: it is then treated as alive). */
    private static long modifiedAgo(FileSystem fs, Path file) {
        try {
            return System.currentTimeMillis() - fs.getFileStatus(file).getModificationTime();
        } catch (IOException e) {
            return 0;
        }
    }

    static String describe(JsonObject h) {
        String task = h.has("task") ? " task " + h.get("task").getAsString() : "";
        return h.get("holder").getAsString() + " of application " + h.get("application").getAsString() + task
                + " (" + h.get("pid").getAsString() + "@" + h.get("host").getAsString() + ", since "
                + h.get("since").getAsString() + ")";
    }

    private static String hostName() {
        try {
            String n = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).trim();
            if (!n.isEmpty()) {
                return n;
            }
        } catch (IOException | RuntimeException ignored) {
            // Not Linux.
        }
        String env = System.getenv("HOSTNAME");
        return env == null || env.isBlank() ? "localhost" : env.trim();
    }
}
