package io.ravine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.spark.SparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules of a directory on a Hadoop filesystem ({@link HadoopDir}, {@link RemoteLock}), on Hadoop's local
 * filesystem: one driver at a time (a live lease refuses a second, an expired one is taken over), an attempt whose run
 * was taken by a later attempt writes nothing more, and a publication's order (what a crash in the middle of one
 * leaves is what a killed local run leaves).
 */
class HadoopRunDirTest {
    static SparkContext sc;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        sc = SparkTestSupport.localContext("local[2]");
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    /** A two-run sweep (two rates, one seed) of the tests' settings into {@code runDir}. */
    private static List<String> smallSweep(String runDir) {
        List<String> args = new ArrayList<>(SparkTestSupport.sweepArgs(runDir));
        args.set(args.indexOf("--lr") + 1, "0.1,0.01");
        args.set(args.indexOf("--restarts") + 1, "1");
        return args;
    }

    private static HadoopDir dir(Path remote, Path local) {
        return HadoopDir.open(new RunDirUri.Mirror(URI.create("file://" + remote), local), new Configuration(),
                "--run-dir");
    }

    @Test
    void aSecondDriverIsRefusedWhileTheFirstsLeaseLivesAndAnExpiredLeaseIsTakenOver() throws IOException {
        Path remote = tmp.resolve("leased");
        AtomicInteger tasks = SparkTestSupport.taskCounter(sc);
        HadoopDir other = dir(remote, tmp.resolve("other-driver"));
        try (RemoteLock held = RemoteLock.lease(other, RemoteLock.holder("driver", "app-other", null), "--run-dir")) {
            SparkTestSupport.Outcome r = SparkTestSupport.spark(sc, smallSweep(SparkTestSupport.uri(remote)));
            assertEquals(2, r.status(), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("ravine: --run-dir file://" + remote + ": in use by driver of application"
                    + " app-other ("), r.err());
            assertTrue(r.err().contains("renewed 0 s ago; a lock not renewed for 120 s is taken over"), r.err());
            assertEquals(0, tasks.get(), "no task while another driver holds the directory");
            held.check(); // still the other driver's
        }
        assertEquals(List.of(), leases(remote), "a driver's lock goes when it closes");

        // A driver that died 10 minutes ago left its lock, not renewed since: the next driver takes it over.
        JsonObject dead = RemoteLock.holder("driver", "app-dead", null);
        dead.addProperty("renewed_ms", System.currentTimeMillis() - 600_000);
        Files.writeString(remote.resolve(RemoteLock.LEASE + "7"), dead.toString());
        SparkTestSupport.Outcome r = SparkTestSupport.spark(sc, smallSweep(SparkTestSupport.uri(remote)));
        assertEquals(0, r.status(), r.err());
        assertEquals(2, tasks.get());
        assertTrue(Files.exists(remote.resolve("lr-0.1-seed-1/summary.json")));
        assertTrue(Files.exists(remote.resolve("sweep.csv")));
        assertEquals(List.of(), leases(remote), "the dead driver's lock was taken over, and the new one went");
        assertFalse(Files.exists(remote.resolve("lr-0.1-seed-1").resolve(RemoteLock.FILE)), "a task's mark goes"
                + " when its run is published");
        try (var files = Files.walk(remote)) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(),
                    "no temporary left");
        }
        // sweep.csv names the runs where they are: under the URI.
        assertTrue(Files.readString(remote.resolve("sweep.csv")).contains("file://" + remote + "/lr-0.1-seed-1"));
        assertTrue(r.out().contains("sweep directory: file://" + remote + ";"), r.out());

        // --overwrite through the URI: the directory's old contents go, the sweep runs again.
        Files.writeString(remote.resolve("notes.txt"), "not the sweep's");
        List<String> again = new ArrayList<>(smallSweep(SparkTestSupport.uri(remote)));
        SparkTestSupport.Outcome refused = SparkTestSupport.spark(sc, again);
        assertEquals(2, refused.status());
        assertTrue(refused.err().startsWith("ravine: --run-dir file://" + remote + ": holds files that are not a"
                + " learning-rate sweep's (notes.txt)"), refused.err());
        again.add("--overwrite");
        tasks.set(0);
        assertEquals(0, SparkTestSupport.spark(sc, again).status());
        assertEquals(2, tasks.get(), "every run again");
        assertFalse(Files.exists(remote.resolve("notes.txt")));
        assertTrue(Files.exists(remote.resolve("lr-0.01-seed-1/summary.json")));
    }

    /** The lease files in {@code dir}, by name. */
    private static List<String> leases(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(RemoteLock.LEASE)).sorted()
                    .toList();
        }
    }

    @Test
    void aLeaseIsRenewedWhileHeldAndItsHolderLearnsWhenItWasTakenOver() throws Exception {
        Path remote = tmp.resolve("renewed");
        HadoopDir dir = dir(remote, tmp.resolve("renewed-local"));
        try (RemoteLock lease = RemoteLock.lease(dir, RemoteLock.holder("driver", "app-1", null), "--run-dir", 50)) {
            assertEquals(List.of(RemoteLock.LEASE + "1"), leases(remote));
            org.apache.hadoop.fs.Path mine = dir.remote(RemoteLock.LEASE + "1");
            long first = RemoteLock.read(dir.fs(), mine).get("renewed_ms").getAsLong();
            long deadline = System.currentTimeMillis() + 10_000;
            long now = first;
            while (now == first && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
                JsonObject h = RemoteLock.read(dir.fs(), mine);
                now = h == null ? first : h.get("renewed_ms").getAsLong();
            }
            assertTrue(now > first, "the holder renews its lease");
            lease.check();

            // It stalled past its lease and another driver took the directory with the next generation: it learns
            // so, and its renewals write only its own, older generation, never the new holder's.
            JsonObject other = RemoteLock.holder("driver", "app-2", null);
            Files.writeString(remote.resolve(RemoteLock.LEASE + "2"), other.toString());
            IllegalStateException e = assertThrows(IllegalStateException.class, lease::check);
            assertTrue(e.getMessage().contains("is no longer this driver's: taken over by driver of application"
                    + " app-2"), e.getMessage());
            Thread.sleep(200);
            assertEquals(other.toString(), Files.readString(remote.resolve(RemoteLock.LEASE + "2")));
        }
        assertEquals(List.of(RemoteLock.LEASE + "2"), leases(remote), "closing leaves the new holder's lock");
    }

    @Test
    void ofDriversTakingAnExpiredLeaseAtOnceOneWinsAndAnEarlierAttemptOfTheSameApplicationIsTakenOverAtOnce()
            throws Exception {
        for (int round = 0; round < 20; round++) {
            Path remote = tmp.resolve("raced-" + round);
            Files.createDirectories(remote);
            JsonObject dead = RemoteLock.holder("driver", "app-dead", null);
            dead.addProperty("renewed_ms", System.currentTimeMillis() - 600_000);
            Files.writeString(remote.resolve(RemoteLock.LEASE + "3"), dead.toString());
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
            List<java.util.concurrent.Future<RemoteLock>> takers = new ArrayList<>();
            for (String app : List.of("app-a", "app-b")) {
                HadoopDir d = dir(remote, tmp.resolve("raced-local-" + round + "-" + app));
                takers.add(pool.submit(() -> {
                    start.await();
                    try {
                        return RemoteLock.lease(d, RemoteLock.holder("driver", app, null), "--run-dir");
                    } catch (io.ravine.InvalidInputException refused) {
                        return null;
                    }
                }));
            }
            List<RemoteLock> won = new ArrayList<>();
            for (var f : takers) {
                if (f.get() != null) {
                    won.add(f.get());
                }
            }
            pool.shutdown();
            assertEquals(1, won.size(), "round " + round + ": one driver holds the directory");
            won.get(0).check();
            won.forEach(RemoteLock::close);
        }

        // YARN restarts a lost driver with the same application ID: its new attempt takes the lease at once.
        Path remote = tmp.resolve("restarted");
        HadoopDir first = dir(remote, tmp.resolve("restarted-1"));
        RemoteLock lost = RemoteLock.lease(first, RemoteLock.holder("driver", "app-yarn", null), "--run-dir");
        HadoopDir second = dir(remote, tmp.resolve("restarted-2"));
        try (RemoteLock again = RemoteLock.lease(second, RemoteLock.holder("driver", "app-yarn", null), "--run-dir")) {
            again.check();
            assertThrows(IllegalStateException.class, lost::check);
            assertEquals(List.of(RemoteLock.LEASE + "1", RemoteLock.LEASE + "2"), leases(remote),
                    "the generation taken over stays while the new one is held");
            lost.close();
            assertEquals(List.of(RemoteLock.LEASE + "2"), leases(remote));
        }
        assertEquals(List.of(), leases(remote));
    }

    @Test
    void theDriverCopiesItsOwnSubdirectoriesAndOnlyTheNamesOfOthers() throws IOException {
        Path remote = tmp.resolve("mixed");
        Files.createDirectories(remote.resolve("lr-0.1-seed-1/checkpoints"));
        Files.writeString(remote.resolve("lr-0.1-seed-1/summary.json"), "{}");
        Files.writeString(remote.resolve("lr-0.1-seed-1/checkpoints/final.safetensors"), "θ");
        Files.createDirectories(remote.resolve("photos/2026"));
        Files.writeString(remote.resolve("photos/2026/a.jpg"), "not a sweep's");
        Files.writeString(remote.resolve("sweep.csv"), "learning_rate\n");
        Path local = tmp.resolve("mixed-local");
        HadoopDir dir = dir(remote, local);
        assertEquals(2, dir.pullOwn(name -> name.startsWith("lr-")), "sweep.csv and the run's summary");
        assertTrue(Files.exists(local.resolve("lr-0.1-seed-1/summary.json")));
        assertFalse(Files.exists(local.resolve("lr-0.1-seed-1/checkpoints/final.safetensors")), "no checkpoints");
        assertTrue(Files.isDirectory(local.resolve("photos")), "its name, for the check that refuses it");
        assertFalse(Files.exists(local.resolve("photos/2026")), "not what it holds");
    }

    @Test
    void aTasksFailureNamesTheUriNotItsLocalCopy() {
        RunDirUri.Mirror m = new RunDirUri.Mirror(URI.create("hdfs://nn:8020/runs/lr/"), tmp.resolve("copy/lr"));
        RuntimeException e = TaskDir.shown(m, new io.ravine.InvalidInputException(tmp.resolve("copy/lr")
                + "/lr-0.1-seed-1 holds a run with another configuration; use another --run-dir"));
        assertEquals("hdfs://nn:8020/runs/lr/lr-0.1-seed-1 holds a run with another configuration; use another"
                + " --run-dir", e.getMessage());
        RuntimeException other = new IllegalStateException("no path in it");
        assertTrue(TaskDir.shown(m, other) == other && TaskDir.shown(null, other) == other);
    }

    @Test
    void aFileUriOnLocalhostIsTheLocalFilesystemsPath() {
        RunDirUri.Mirrors mirrors = new RunDirUri.Mirrors();
        try {
            Path local = RunDirUri.toPath("file://localhost" + tmp.resolve("lh"), "/", mirrors);
            RunDirUri.Mirror m = mirrors.of(local);
            assertEquals(URI.create("file://" + tmp.resolve("lh")), m.remote());
            // Hadoop's local filesystem takes it (file://localhost/… it refuses as another filesystem).
            HadoopDir.open(m, new Configuration(), "--run-dir");
        } finally {
            mirrors.delete();
        }
    }

    @Test
    void speculativeExecutionIsRefusedWithAUriAndAllowedWithAPath() {
        RunDirUri.Mirror uri = new RunDirUri.Mirror(URI.create("hdfs://nn:8020/runs/lr"), tmp.resolve("spec"));
        org.apache.spark.SparkConf speculative = new org.apache.spark.SparkConf(false).set("spark.speculation", "true");
        io.ravine.InvalidInputException e = assertThrows(io.ravine.InvalidInputException.class,
                () -> DriverDir.check(uri, speculative));
        assertTrue(e.getMessage().startsWith("spark.speculation=true: with --run-dir hdfs://nn:8020/runs/lr (a Hadoop"
                + " filesystem URI)"), e.getMessage());
        DriverDir.check(null, speculative); // a path: the run's fcntl lock refuses a speculative copy
        DriverDir.check(uri, new org.apache.spark.SparkConf(false));
    }

    @Test
    void anAttemptWhoseRunWasTakenByALaterAttemptWritesNothingMore() throws IOException {
        Path remote = tmp.resolve("fenced");
        HadoopDir first = dir(remote, tmp.resolve("attempt-1"));
        HadoopDir second = dir(remote, tmp.resolve("attempt-2"));
        RemoteLock a = RemoteLock.fence(first, "lr-0.1-seed-1", RemoteLock.holder("task", "app-1", "attempt 0"));
        Path metrics = Files.createDirectories(tmp.resolve("attempt-1/lr-0.1-seed-1")).resolve("metrics.csv");
        Files.writeString(metrics, "step,loss\n0,2.3\n");
        first.push("lr-0.1-seed-1", a::check);
        assertEquals("step,loss\n0,2.3\n", Files.readString(remote.resolve("lr-0.1-seed-1/metrics.csv")));

        // Spark gave the first attempt up for dead and started another, which takes the run; the first had been
        // killed in the middle of publishing a checkpoint, leaving its temporary, which the second removes.
        Path left = Files.createDirectories(remote.resolve("lr-0.1-seed-1/checkpoints"))
                .resolve(".step-00000020.safetensors.0123456789ab.tmp");
        Files.writeString(left, "half a checkpoint");
        RemoteLock b = RemoteLock.fence(second, "lr-0.1-seed-1", RemoteLock.holder("task", "app-1", "attempt 1"));
        assertEquals(1, second.deleteTemporaries("lr-0.1-seed-1"));
        assertFalse(Files.exists(left));
        second.pull("lr-0.1-seed-1", HadoopDir.Checkpoints.ALL);
        Files.writeString(metrics, "step,loss\n0,2.3\n10,1.9\n");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> first.push("lr-0.1-seed-1", a::check));
        assertTrue(e.getMessage().contains("taken over by task of application app-1 task attempt 1"), e.getMessage());
        assertEquals("step,loss\n0,2.3\n", Files.readString(remote.resolve("lr-0.1-seed-1/metrics.csv")),
                "the first attempt wrote nothing more");
        a.close(); // leaves the second attempt's mark
        b.check();
        b.close();
        assertFalse(Files.exists(remote.resolve("lr-0.1-seed-1").resolve(RemoteLock.FILE)));
    }

    @Test
    void aPublicationWritesCheckpointsAfterTheRowsAndTheSummaryLast() throws IOException {
        Path remote = tmp.resolve("ordered");
        Path local = tmp.resolve("ordered-local");
        Configuration conf = new Configuration();
        conf.set("fs.s3a.impl", RecordingFileSystem.class.getName());
        conf.setBoolean("fs.s3a.impl.disable.cache", true);
        HadoopDir dir = HadoopDir.open(new RunDirUri.Mirror(URI.create("s3a://" + remote), local), conf,
                "--run-dir");
        Path run = Files.createDirectories(local.resolve("run/checkpoints")).getParent();
        Files.writeString(run.resolve("config.json"), "{}");
        Files.writeString(run.resolve("metrics.csv"), "step\n10\n");
        Files.write(run.resolve("checkpoints/step-00000010.safetensors"), new byte[] {1, 2, 3});
        Files.writeString(run.resolve(".lock"), "local lock");
        RecordingFileSystem.LOG.clear();
        dir.push("run", () -> { });
        assertEquals(List.of("write run/config.json", "write run/metrics.csv",
                "write run/checkpoints/step-00000010.safetensors"), RecordingFileSystem.events(remote),
                "rows first, then the checkpoint they lead to; no hidden file; on an object store, each file written"
                        + " straight to its name (no rename, which is a copy there)");

        // The end of the run: more rows, the final checkpoint, an old checkpoint removed, the summary.
        Files.writeString(run.resolve("metrics.csv"), "step\n10\n20\n");
        Files.write(run.resolve("checkpoints/final.safetensors"), new byte[] {4});
        Files.delete(run.resolve("checkpoints/step-00000010.safetensors"));
        Files.writeString(run.resolve("summary.json"), "{\"last_good_checkpoint\": \"" + run
                + "/checkpoints/final.safetensors\"}");
        RecordingFileSystem.LOG.clear();
        dir.push("run", () -> { });
        assertEquals(List.of("write run/metrics.csv", "write run/checkpoints/final.safetensors",
                "delete run/checkpoints/step-00000010.safetensors", "write run/summary.json"),
                RecordingFileSystem.events(remote));
        // The summary names the checkpoint where it is published.
        assertEquals("{\"last_good_checkpoint\": \"s3a://" + remote + "/run/checkpoints/final.safetensors\"}",
                Files.readString(remote.resolve("run/summary.json"), StandardCharsets.UTF_8));
        RecordingFileSystem.LOG.clear();
        dir.push("run", () -> { });
        assertEquals(List.of(), RecordingFileSystem.events(remote), "nothing changed, nothing written");

        // Another process copies it back with the local names.
        Path elsewhere = tmp.resolve("ordered-copy");
        HadoopDir copy = HadoopDir.open(new RunDirUri.Mirror(URI.create("s3a://" + remote), elsewhere), conf,
                "--run-dir");
        // A resuming task copies the checkpoint a resume starts from, not the older ones.
        Files.write(remote.resolve("run/checkpoints/step-00000005.safetensors"), new byte[] {5});
        assertEquals(4, copy.pull("run", HadoopDir.Checkpoints.LATEST), "config, metrics, summary, final");
        assertEquals("{\"last_good_checkpoint\": \"" + elsewhere.resolve("run/checkpoints/final.safetensors")
                + "\"}", Files.readString(elsewhere.resolve("run/summary.json")));
        assertFalse(Files.exists(elsewhere.resolve("run/checkpoints/step-00000010.safetensors")));
    }

    /**
     * Hadoop's raw local filesystem as {@code s3a:} (an object store to Ravine, which writes its files straight to
     * their names there), recording the writes and deletes of visible files.
     */
    public static final class RecordingFileSystem extends RawLocalFileSystem {
        static final List<String> LOG = Collections.synchronizedList(new ArrayList<>());

        @Override
        public URI getUri() {
            return URI.create("s3a:///");
        }

        @Override
        public String getScheme() {
            return "s3a";
        }

        @Override
        public org.apache.hadoop.fs.FSDataOutputStream create(org.apache.hadoop.fs.Path f, boolean overwrite,
                int bufferSize, short replication, long blockSize, org.apache.hadoop.util.Progressable progress)
                throws IOException {
            if (!f.getName().startsWith(".")) {
                LOG.add("write " + f.toUri().getPath());
            }
            return super.create(f, overwrite, bufferSize, replication, blockSize, progress);
        }

        @Override
        public boolean rename(org.apache.hadoop.fs.Path src, org.apache.hadoop.fs.Path dst) throws IOException {
            LOG.add("rename " + dst.toUri().getPath());
            return super.rename(src, dst);
        }

        /** Plain statuses: the raw local filesystem's read their permissions through a file: URI. */
        @Override
        public org.apache.hadoop.fs.FileStatus[] listStatus(org.apache.hadoop.fs.Path f) throws IOException {
            org.apache.hadoop.fs.FileStatus[] all = super.listStatus(f);
            for (int i = 0; i < all.length; i++) {
                all[i] = plain(all[i]);
            }
            return all;
        }

        @Override
        public org.apache.hadoop.fs.FileStatus getFileStatus(org.apache.hadoop.fs.Path f) throws IOException {
            return plain(super.getFileStatus(f));
        }

        private static org.apache.hadoop.fs.FileStatus plain(org.apache.hadoop.fs.FileStatus s) {
            return new org.apache.hadoop.fs.FileStatus(s.getLen(), s.isDirectory(), 1, s.getBlockSize(),
                    s.getModificationTime(), s.getPath());
        }

        @Override
        public boolean delete(org.apache.hadoop.fs.Path p, boolean recursive) throws IOException {
            if (!p.getName().startsWith(".") && exists(p)) {
                LOG.add("delete " + p.toUri().getPath());
            }
            return super.delete(p, recursive);
        }

        /** The events on files under {@code root}, with paths relative to it. */
        static List<String> events(Path root) {
            synchronized (LOG) {
                return LOG.stream().map(e -> e.replace(root + "/", "")).toList();
            }
        }
    }
}
