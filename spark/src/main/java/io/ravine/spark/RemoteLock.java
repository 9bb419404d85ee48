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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one-writer rule of a directory on a Hadoop filesystem, which has no {@code fcntl} lock that its kernel frees
 * when the holder dies. A lock file names its holder (a JSON object: application, task attempt, host, process, a
 * random token) and is of two kinds:
 *
 * <ul>
 *   <li><b>A driver's lease</b> ({@link #lease}) on a sweep or study directory: a generation file {@code .lease.N},
 *       created only where it does not exist (atomic on HDFS and the local filesystem; on S3 a check, then a write),
 *       renewed every {@value #RENEW_SECONDS} s by its holder, who holds the directory while its generation is the
 *       newest. Another driver is refused with one line naming the holder while the lease is alive; a lease not
 *       renewed for {@value #LEASE_SECONDS} s belonged to a driver that died, and is taken over with the next
 *       generation (so of two drivers taking it at once, one wins). A holder whose generation is no longer the newest
 *       (it stalled for longer than the lease) stops before it writes again.</li>
 *   <li><b>A task's fence</b> ({@link #fence}) on the run it trains, {@code .lock} in the run's directory: the
 *       attempt writes its name over whatever is there, since Spark starts a task's next attempt only after the last
 *       one was given up for dead, and the driver's lease keeps every other application out of the directory. Before
 *       each publication the attempt checks that the run is still its own ({@link #check}): an attempt that Spark
 *       gave up for dead but that still runs (a lost executor, cut off from the driver) so stops instead of writing
 *       over its successor.</li>
 * </ul>
 */
final class RemoteLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteLock.class);
    static final String FILE = ".lock";
    /** A driver's lease: {@code .lease.N}, N its generation. */
    static final String LEASE = ".lease.";
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
        o.addProperty("host", io.ravine.io.DirectoryLock.hostName());
        o.addProperty("pid", ProcessHandle.current().pid());
        o.addProperty("token", UUID.randomUUID().toString());
        o.addProperty("since", Instant.now().toString());
        o.addProperty("renewed_ms", System.currentTimeMillis());
        return o;
    }

    /**
     * Takes the driver's lease on the directory, creating it: refused with one line naming {@code setting} while
     * another application's lease is alive; a lease not renewed for {@value #LEASE_SECONDS} s, or one of an earlier
     * attempt of this application (YARN restarts a lost driver with the same application ID), is taken over.
     */
    static RemoteLock lease(HadoopDir dir, JsonObject me, String setting) {
        return lease(dir, me, setting, RENEW_SECONDS * 1000);
    }

    /**
     * {@link #lease(HadoopDir, JsonObject, String)}, renewed every {@code renewMillis} (tests use less).
     *
     * <p>A lease is a generation file, {@code .lease.N}, created only where it does not exist: of drivers that race
     * to take a directory (or an expired lease) with generation N, one creates the file and the others find it taken
     * and are refused. The holder renews its own file only, and holds the lease while its generation is the newest, so
     * a holder that stalled past its lease can neither write over its successor's file nor take the lease back.
     */
    static RemoteLock lease(HadoopDir dir, JsonObject me, String setting, long renewMillis) {
        FileSystem fs = dir.fs();
        try {
            if (!fs.mkdirs(dir.remote(""))) {
                throw new IOException("the directory cannot be created");
            }
        } catch (IOException e) {
            throw new InvalidInputException(setting + " " + dir.shown() + ": cannot be written ("
                    + SparkDriver.describe(e) + ")", e);
        }
        try {
            for (int tries = 0; tries < 3; tries++) {
                List<Path> held = generations(dir);
                long next = 1;
                if (!held.isEmpty()) {
                    Path newest = held.get(held.size() - 1);
                    JsonObject other = read(fs, newest);
                    long age = other != null && other.has("renewed_ms")
                            ? System.currentTimeMillis() - other.get("renewed_ms").getAsLong() : modifiedAgo(fs, newest);
                    boolean sameApplication = other != null && other.has("application")
                            && other.get("application").equals(me.get("application"));
                    if (!sameApplication && age <= LEASE_SECONDS * 1000) {
                        throw new InvalidInputException(setting + " " + dir.shown() + ": in use by "
                                + (other == null ? "another driver (its lock is being written)" : describe(other)
                                + String.format(Locale.ROOT, ", renewed %d s ago", Math.max(0, age / 1000)))
                                + "; a lock not renewed for " + LEASE_SECONDS + " s is taken over");
                    }
                    LOG.warn("{}: taking over the lock of {}, {}", dir.shown(), other == null ? "an unreadable holder"
                            : describe(other), sameApplication ? "an earlier attempt of this application"
                            : "not renewed for " + age / 1000 + " s (that driver died)");
                    next = generation(newest) + 1;
                }
                Path mine = dir.remote(LEASE + next);
                if (dir.createExclusive(mine, me.toString().getBytes(StandardCharsets.UTF_8))) {
                    // The generation taken over stays until this one is released: a driver listing the directory
                    // while this one is created and that one deleted could otherwise see no lease at all.
                    for (Path old : held.subList(0, Math.max(0, held.size() - 1))) {
                        fs.delete(old, false);
                    }
                    RemoteLock lock = new RemoteLock(dir, mine, me, setting);
                    lock.startRenewing(renewMillis);
                    return lock;
                }
                // Another driver created that generation first: look again (it is alive now, so this refuses).
            }
        } catch (IOException e) {
            throw new InvalidInputException(setting + " " + dir.shown() + ": cannot be written ("
                    + SparkDriver.describe(e) + ")", e);
        }
        throw new InvalidInputException(setting + " " + dir.shown() + ": in use by other drivers taking it at the same"
                + " time");
    }

    /** The lease generations in the directory, oldest first. */
    private static List<Path> generations(HadoopDir dir) throws IOException {
        List<Path> out = new ArrayList<>();
        for (FileStatus st : dir.fs().listStatus(dir.remote(""))) {
            String n = st.getPath().getName();
            if (n.startsWith(LEASE) && n.substring(LEASE.length()).matches("[0-9]{1,18}")) {
                out.add(st.getPath());
            }
        }
        out.sort(java.util.Comparator.comparingLong(RemoteLock::generation));
        return out;
    }

    private static long generation(Path p) {
        return Long.parseLong(p.getName().substring(LEASE.length()));
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
        try {
            if (file.getName().startsWith(LEASE)) {
                List<Path> held = generations(dir);
                Path newest = held.isEmpty() ? null : held.get(held.size() - 1);
                if (newest == null || generation(newest) != generation(file)) {
                    JsonObject other = newest == null ? null : read(dir.fs(), newest);
                    lost = dir.shown() + " is no longer this driver's: " + (newest == null ? "its lock was removed"
                            : "taken over by " + (other == null ? "another driver" : describe(other)));
                    throw new IllegalStateException(lost);
                }
                return;
            }
            JsonObject now = read(dir.fs(), file);
            if (now == null || !now.has("token") || !now.get("token").getAsString().equals(token)) {
                lost = file.getParent().toUri() + " is no longer this " + holder.get("holder").getAsString()
                        + "'s: " + (now == null ? "its lock was removed" : "taken over by " + describe(now));
                throw new IllegalStateException(lost);
            }
        } catch (IOException e) {
            // Not an answer: the lock may well still be this process's (a store that throttles, a DataNode down).
            throw new UncheckedIOException("cannot read the lock " + file.toUri(), e);
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
                // Its own generation's file, which no other driver writes.
                dir.writeRemote(file.getName(), holder.toString().getBytes(StandardCharsets.UTF_8));
            } catch (IllegalStateException e) {
                LOG.error("{} {}: {}", setting, dir.shown(), e.getMessage());
                renewer.shutdown();
            } catch (IOException | RuntimeException e) {
                LOG.warn("{} {}: cannot renew its lock ({}); trying again in {} s", setting, dir.shown(),
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
        try {
            JsonObject now = read(dir.fs(), file);
            if (now != null && now.has("token") && now.get("token").getAsString().equals(token)) {
                if (file.getName().startsWith(LEASE)) {
                    // Released: the generations it took over go with it, where it is still the newest.
                    // (A holder that lost its lease removes its own generation only: the newest holder's stays.)
                    List<Path> held = generations(dir);
                    boolean newest = !held.isEmpty() && generation(held.get(held.size() - 1)) == generation(file);
                    for (Path old : newest ? held : List.of(file)) {
                        dir.fs().delete(old, false);
                    }
                } else {
                    dir.fs().delete(file, false);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot remove the lock {}: {}", file.toUri(), SparkDriver.describe(e));
        }
    }

    /**
     * The lock file's holder, or null where there is none or it is not (yet) whole JSON; an error reading it is
     * thrown, not taken for "no lock".
     */
    static JsonObject read(FileSystem fs, Path file) throws IOException {
        byte[] bytes;
        try (InputStream in = fs.open(file)) {
            bytes = in.readAllBytes();
        } catch (FileNotFoundException e) {
            return null;
        }
        try {
            return JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
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
}
