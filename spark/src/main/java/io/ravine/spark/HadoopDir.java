package io.ravine.spark;

import io.ravine.InvalidInputException;
import io.ravine.io.AtomicFiles;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.spark.SparkEnv;
import scala.Tuple2;

/**
 * A run, sweep or study directory on a Hadoop filesystem (HDFS, S3A, GCS, ABFS, the local filesystem through
 * {@code file:}), worked on through a local directory that stands for it in this process: Ravine's run directories
 * are written with POSIX file operations (a lock, appends, temporary files renamed into place), so a process
 * {@linkplain #pull copies} what it needs of the remote directory into its local one, works there with the library's
 * own code, and {@linkplain #push publishes} what changed. A reader never sees half a published file: it is written
 * to a hidden temporary name and renamed over its target where the filesystem renames atomically (HDFS, the local
 * filesystem), and written straight to its target on an object store, whose new object appears whole.
 *
 * <p>Hidden names (a leading dot: locks, temporaries) are neither copied nor published. A publication orders its
 * files as a crash wants them (see {@link #push}). In the text files (JSON, CSV, HTML) the local directory's path is
 * written as the URI, and read back as the local path: summary.json names its checkpoint, sweep.csv its runs, where
 * they are.
 */
final class HadoopDir {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final URI uri;
    private final org.apache.hadoop.fs.Path root;
    private final FileSystem fs;
    private final Configuration conf;
    private FileContext fc;
    private final Path local;
    /** The URI as files name it (no trailing slash). */
    private final String shown;
    /** What each local file was when it was last copied in or published (relative path to its stamp). */
    private final Map<String, Stamp> known = new HashMap<>();

    private HadoopDir(URI uri, FileSystem fs, Configuration conf, Path local, String shown) {
        this.uri = uri;
        this.shown = shown;
        this.fs = fs;
        this.conf = conf;
        this.root = fs.makeQualified(new org.apache.hadoop.fs.Path(uri));
        this.local = local;
    }

    /**
     * The directory {@code mirror} names, on the filesystem Hadoop's configuration gives its scheme. A scheme
     * without a filesystem, or a path that is a file, is one line naming {@code setting}.
     */
    static HadoopDir open(RunDirUri.Mirror mirror, Configuration conf, String setting) {
        URI uri = mirror.remote();
        FileSystem fs;
        try {
            fs = FileSystem.get(uri, conf);
        } catch (org.apache.hadoop.fs.UnsupportedFileSystemException e) {
            throw new InvalidInputException(setting + " " + uri + ": no Hadoop filesystem for " + uri.getScheme()
                    + ": (" + SparkDriver.describe(e) + "; its connector must be on the class path and configured,"
                    + " e.g. hadoop-aws for s3a:)", e);
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException(setting + " " + uri + ": cannot be reached (" + SparkDriver.describe(e)
                    + ")", e);
        }
        // The local filesystem without its .crc side files: the directory holds the files a local run writes.
        if (fs instanceof LocalFileSystem lfs) {
            fs = lfs.getRaw();
        }
        HadoopDir dir = new HadoopDir(uri, fs, conf, mirror.local(), mirror.shown());
        try {
            FileStatus st = fs.getFileStatus(dir.root);
            if (!st.isDirectory()) {
                throw new InvalidInputException(setting + " " + uri + ": is a file, not a directory");
            }
        } catch (FileNotFoundException e) {
            // Created with its lock.
        } catch (IOException e) {
            throw new InvalidInputException(setting + " " + uri + ": cannot be read (" + SparkDriver.describe(e)
                    + ")", e);
        }
        return dir;
    }

    /**
     * Hadoop's configuration as Spark gives it to this process: the class path's {@code core-site.xml} and
     * {@code hdfs-site.xml}, overridden by the application's {@code spark.hadoop.*} settings (what Spark's own
     * readers and writers use, on the driver and on every executor).
     */
    static Configuration sparkHadoopConf() {
        Configuration c = new Configuration();
        SparkEnv env = SparkEnv.get();
        if (env != null) {
            for (Tuple2<String, String> kv : env.conf().getAllWithPrefix("spark.hadoop.")) {
                c.set(kv._1(), kv._2());
            }
        }
        return c;
    }

    /** The directory's URI, as given. */
    URI uri() {
        return uri;
    }

    /** The directory's URI as messages and files show it: as given, without a trailing slash. */
    String shown() {
        return shown;
    }

    /**
     * Creates {@code file} holding {@code bytes} only where it does not exist yet; false where it does. One step on
     * HDFS (the NameNode's create) and on the local filesystem (an exclusive create: Hadoop's local filesystem checks,
     * then creates); a check and then a write on object stores.
     */
    boolean createExclusive(org.apache.hadoop.fs.Path file, byte[] bytes) throws IOException {
        if ("file".equals(fs.getUri().getScheme())) {
            try {
                Files.write(Path.of(file.toUri().getPath()), bytes, java.nio.file.StandardOpenOption.CREATE_NEW,
                        java.nio.file.StandardOpenOption.WRITE);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                return false;
            }
        }
        try (OutputStream out = fs.create(file, false)) {
            out.write(bytes);
            return true;
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        }
    }

    /** The local directory that stands for it. */
    Path local() {
        return local;
    }

    FileSystem fs() {
        return fs;
    }

    /** The remote path of {@code rel} ("" for the directory itself). */
    org.apache.hadoop.fs.Path remote(String rel) {
        return rel.isEmpty() ? root : new org.apache.hadoop.fs.Path(root, rel);
    }

    /** Which checkpoints a copy takes: none (the driver), the latest (a task that resumes), all. */
    enum Checkpoints { NONE, LATEST, ALL }

    /**
     * Copies the files under {@code sub} ("" for all) of the remote directory into the local one, with the
     * checkpoints {@code which} says, but files unchanged since this object last copied or published them. Returns
     * how many files it copied.
     */
    int pull(String sub, Checkpoints which) {
        org.apache.hadoop.fs.Path from = remote(sub);
        try {
            if (!fs.exists(from)) {
                return 0;
            }
            List<FileStatus> all = files(from, false);
            java.util.Set<String> latest = which == Checkpoints.LATEST ? latestCheckpoints(all) : null;
            int copied = 0;
            for (FileStatus st : all) {
                String rel = rel(st);
                if (rel == null || inCheckpoints(rel) && (which == Checkpoints.NONE
                        || latest != null && !latest.contains(rel))) {
                    continue;
                }
                copied += copyIn(st, rel);
            }
            return copied;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + from.toUri() + " here", e);
        }
    }

    /**
     * The driver's copy of the whole directory: its files, without checkpoints, and of its subdirectories those that
     * {@code own} accepts (a sweep's runs; a study's runs and plots); every other subdirectory is made here empty, so
     * that the command's check of the directory's contents sees its name and refuses it, without copying what a
     * --run-dir given by mistake holds.
     */
    int pullOwn(java.util.function.Predicate<String> own) {
        try {
            if (!fs.exists(root)) {
                return 0;
            }
            int copied = 0;
            List<FileStatus> dirs = new ArrayList<>();
            for (FileStatus st : fs.listStatus(root)) {
                String name = st.getPath().getName();
                if (name.startsWith(".")) {
                    continue;
                }
                if (st.isDirectory()) {
                    dirs.add(st);
                } else {
                    copied += copyIn(st, name);
                }
            }
            for (FileStatus st : dirs) {
                String name = st.getPath().getName();
                if (own.test(name)) {
                    copied += pull(name, Checkpoints.NONE);
                } else {
                    Files.createDirectories(local.resolve(name));
                }
            }
            return copied;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + root.toUri() + " here", e);
        }
    }

    /**
     * Of each run's checkpoints (in {@code checkpoints/} directories), the one a resume starts from: {@code final},
     * else the highest {@code step-N}, else {@code initial}; all of a directory's where one has another name.
     */
    private java.util.Set<String> latestCheckpoints(List<FileStatus> all) {
        java.util.Map<String, List<String>> byDir = new java.util.TreeMap<>();
        for (FileStatus st : all) {
            String rel = rel(st);
            if (rel != null && inCheckpoints(rel) && rel.endsWith(".safetensors")) {
                byDir.computeIfAbsent(rel.substring(0, rel.lastIndexOf('/')), k -> new ArrayList<>()).add(rel);
            }
        }
        java.util.Set<String> keep = new java.util.HashSet<>();
        for (List<String> files : byDir.values()) {
            String best = null;
            long bestRank = Long.MIN_VALUE;
            boolean known = true;
            for (String rel : files) {
                String name = rel.substring(rel.lastIndexOf('/') + 1, rel.length() - ".safetensors".length());
                long rank = name.equals("final") ? Long.MAX_VALUE : name.equals("initial") ? -1
                        : name.matches("step-[0-9]{1,18}") ? Long.parseLong(name.substring(5)) : Long.MIN_VALUE;
                known &= rank != Long.MIN_VALUE;
                if (rank > bestRank) {
                    bestRank = rank;
                    best = rel;
                }
            }
            if (known) {
                keep.add(best);
            } else {
                keep.addAll(files);
            }
        }
        return keep;
    }

    private String rel(FileStatus st) {
        return relative(root.toUri().getPath(), st.getPath().toUri().getPath());
    }

    /** Copies one remote file to its local place, unless unchanged since known; 1 if copied. */
    private int copyIn(FileStatus st, String rel) throws IOException {
        Path target = local.resolve(rel);
        Stamp before = known.get(rel);
        if (before != null && before.remoteLength == st.getLen()
                && before.remoteModified == st.getModificationTime() && Objects.equals(before, stamp(target))) {
            return 0;
        }
        Files.createDirectories(target.getParent());
        try (InputStream in = fs.open(st.getPath())) {
            if (names(rel)) {
                byte[] text = renamed(in.readAllBytes(), shown, local.toString());
                AtomicFiles.write(target, out -> out.write(text));
            } else {
                AtomicFiles.write(target, in::transferTo);
            }
        }
        known.put(rel, stamp(target).withRemote(st.getLen(), st.getModificationTime()));
        return 1;
    }

    /**
     * Publishes what changed under {@code sub} ("" for all) of the local directory since it was copied in or last
     * published, in the order a crash at any moment wants: first the files that only grow or describe the run
     * (metrics.csv, run.json, the TensorBoard events, the report), then the checkpoints, then the deletions of files
     * removed here, and {@code summary.json}, which marks a finished run, last. A run whose publication is cut short
     * is so left as a killed local run is: rows ahead of its latest checkpoint, which a resume drops. {@code fence}
     * runs before anything is written (a task's check that the run is still its own).
     */
    void push(String sub, Runnable fence) {
        Path from = sub.isEmpty() ? local : local.resolve(sub);
        if (!Files.isDirectory(from)) {
            return;
        }
        List<String> files;
        try (Stream<Path> walk = Files.walk(from)) {
            files = walk.filter(Files::isRegularFile).map(p -> local.relativize(p).toString().replace('\\', '/'))
                    .filter(rel -> !hidden(rel)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + from, e);
        }
        List<String> changed = new ArrayList<>();
        for (String rel : files) {
            Stamp s = stamp(local.resolve(rel));
            Stamp k = known.get(rel);
            if (s != null && (k == null || !k.sameLocal(s))) {
                changed.add(rel);
            }
        }
        String prefix = sub.isEmpty() ? "" : sub + "/";
        List<String> removed = known.keySet().stream().filter(rel -> rel.startsWith(prefix) && !files.contains(rel))
                .sorted().toList();
        if (changed.isEmpty() && removed.isEmpty()) {
            return;
        }
        fence.run();
        changed = new ArrayList<>(changed);
        changed.sort(Comparator.comparingInt(HadoopDir::rank));
        try {
            for (String rel : changed) {
                if (rank(rel) == 3) {
                    for (String gone : removed) {
                        delete(gone);
                    }
                    removed = List.of();
                }
                upload(rel);
            }
            for (String gone : removed) {
                delete(gone);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot publish " + from + " to " + remote(sub).toUri(), e);
        }
    }

    /** Publication order: 0 the rest, 1 checkpoints, 3 a run's summary.json (deletions come before it). */
    private static int rank(String rel) {
        if (inCheckpoints(rel)) {
            return 1;
        }
        String name = rel.substring(rel.lastIndexOf('/') + 1);
        return name.equals("summary.json") ? 3 : 0;
    }

    private void upload(String rel) throws IOException {
        Path file = local.resolve(rel);
        Stamp before = stamp(file);
        if (before == null) {
            return; // removed while this publication ran; the next one deletes it
        }
        byte[] text = names(rel) ? renamed(Files.readAllBytes(file), local.toString(), shown) : null;
        write(rel, out -> {
            if (text != null) {
                out.write(text);
            } else {
                Files.copy(file, out);
            }
        });
        FileStatus st = fs.getFileStatus(remote(rel));
        known.put(rel, before.withRemote(st.getLen(), st.getModificationTime()));
    }

    private void delete(String rel) throws IOException {
        fs.delete(remote(rel), false);
        known.remove(rel);
    }

    /** Writes {@code text} to {@code rel} of the remote directory, whole or not at all ({@link #write}). */
    void writeRemote(String rel, byte[] text) throws IOException {
        write(rel, out -> out.write(text));
    }

    /**
     * Writes {@code rel} of the remote directory so that a reader sees the old file or the new one, never a part. On an
     * object store (S3A, GCS, Azure Blob, OSS, COS: {@link #OBJECT_STORES}) straight to the target, whose new object
     * appears only whole, when its upload completes (a rename there is a copy and a delete). Everywhere else (the
     * local filesystem, HDFS, ABFS, any other scheme), whose {@code create} makes the file at once and fills it as
     * it is written, to a hidden temporary renamed over the target: one step on the local filesystem and HDFS;
     * elsewhere Hadoop's rename with OVERWRITE, which may delete the target first.
     */
    private void write(String rel, io.ravine.io.IOConsumer<OutputStream> body) throws IOException {
        org.apache.hadoop.fs.Path target = remote(rel);
        String scheme = fs.getUri().getScheme();
        if (OBJECT_STORES.contains(scheme)) {
            try (OutputStream out = fs.create(target, true)) {
                body.accept(out);
            }
            return;
        }
        org.apache.hadoop.fs.Path tmp = temporary(target);
        try {
            try (OutputStream out = fs.create(tmp, false)) {
                body.accept(out);
            }
            if (scheme.equals("file")) {
                // The raw local filesystem's rename is rename(2), which replaces the target atomically.
                if (!fs.rename(tmp, target)) {
                    throw new IOException("rename " + tmp + " to " + target + " failed");
                }
            } else if (fs instanceof org.apache.hadoop.hdfs.DistributedFileSystem dfs) {
                // The NameNode's rename with OVERWRITE: one step, on this (cached) client.
                dfs.rename(tmp, target, Options.Rename.OVERWRITE);
            } else {
                fileContext().rename(tmp, target, Options.Rename.OVERWRITE);
            }
        } catch (IOException | RuntimeException e) {
            fs.delete(tmp, false);
            throw e;
        }
    }

    /** One FileContext per directory object (each makes a client of its own), made on first use. */
    private synchronized FileContext fileContext() throws IOException {
        if (fc == null) {
            fc = FileContext.getFileContext(fs.getUri(), conf);
        }
        return fc;
    }

    /**
     * The files under {@code dir}, its subdirectories' included, hidden ones (and hidden directories') left out
     * unless {@code hidden}, listed a directory at a time: plain statuses (a located listing reads each file's
     * permissions, which Hadoop's local filesystem does by running {@code ls} per file where Hadoop's native library
     * is missing).
     */
    private List<FileStatus> files(org.apache.hadoop.fs.Path dir, boolean hidden) throws IOException {
        List<FileStatus> out = new ArrayList<>();
        java.util.ArrayDeque<org.apache.hadoop.fs.Path> todo = new java.util.ArrayDeque<>(List.of(dir));
        while (!todo.isEmpty()) {
            for (FileStatus st : fs.listStatus(todo.pop())) {
                if (!hidden && st.getPath().getName().startsWith(".")) {
                    continue;
                }
                if (st.isDirectory()) {
                    todo.push(st.getPath());
                } else {
                    out.add(st);
                }
            }
        }
        return out;
    }

    /**
     * The object stores, whose new object appears whole when its upload completes, so a file is written straight to
     * its name: S3 (s3a and the older names), Google Cloud Storage, Azure Blob Storage (wasb), Alibaba OSS, Tencent
     * COS, Huawei OBS.
     */
    static final java.util.Set<String> OBJECT_STORES = java.util.Set.of("s3a", "s3", "s3n", "gs", "wasb", "wasbs",
            "oss", "cosn", "obs");

    /**
     * Deletes the temporaries that killed publications left under {@code sub} (hidden {@code .NAME.HEX.tmp} files);
     * only the writer that holds {@code sub} may call it. Returns how many.
     */
    int deleteTemporaries(String sub) {
        int n = 0;
        try {
            if (!fs.exists(remote(sub))) {
                return 0;
            }
            for (FileStatus st : files(remote(sub), true)) {
                if (AtomicFiles.isTemporaryName(st.getPath().getName())) {
                    fs.delete(st.getPath(), false);
                    n++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + remote(sub).toUri(), e);
        }
        return n;
    }

    /** Whether {@code sub} exists remotely. */
    boolean exists(String sub) {
        try {
            return fs.exists(remote(sub));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + remote(sub).toUri(), e);
        }
    }

    /** Deletes the remote directory {@code sub} where it holds nothing (a best effort). */
    void deleteIfEmpty(String sub) {
        try {
            if (fs.listStatus(remote(sub)).length == 0) {
                fs.delete(remote(sub), false);
            }
        } catch (IOException e) {
            // Left: an empty directory.
        }
    }

    /**
     * Deletes everything under {@code sub} of the remote directory but its hidden files (its lock), for a run or a
     * directory that starts again; forgets what this object knew of it.
     */
    void deleteContents(String sub) {
        org.apache.hadoop.fs.Path dir = remote(sub);
        try {
            if (!fs.exists(dir)) {
                return;
            }
            for (FileStatus st : fs.listStatus(dir)) {
                if (!st.getPath().getName().startsWith(".")) {
                    fs.delete(st.getPath(), true);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the contents of " + dir.toUri(), e);
        }
        String prefix = sub.isEmpty() ? "" : sub + "/";
        known.keySet().removeIf(rel -> rel.startsWith(prefix));
    }

    /** A hidden sibling of {@code target}, named as {@link AtomicFiles} names its temporaries. */
    private static org.apache.hadoop.fs.Path temporary(org.apache.hadoop.fs.Path target) {
        byte[] tag = new byte[6];
        RANDOM.nextBytes(tag);
        return new org.apache.hadoop.fs.Path(target.getParent(), "." + target.getName() + "."
                + HexFormat.of().formatHex(tag) + ".tmp");
    }

    /**
     * Whether a file may name its directory (summary.json's last checkpoint, sweep.csv's run directories, a report's
     * links and header): the text files, in which the local directory's path and the URI stand for each other.
     */
    private static boolean names(String rel) {
        return rel.endsWith(".json") || rel.endsWith(".csv") || rel.endsWith(".html");
    }

    private static byte[] renamed(byte[] text, String from, String to) {
        String s = new String(text, java.nio.charset.StandardCharsets.UTF_8);
        return s.contains(from) ? s.replace(from, to).getBytes(java.nio.charset.StandardCharsets.UTF_8) : text;
    }

    private static String relative(String base, String path) {
        String b = base.endsWith("/") ? base : base + "/";
        return path.startsWith(b) ? path.substring(b.length()) : null;
    }

    /** Whether a path has a hidden component: a lock, a temporary, a directory moved aside. */
    static boolean hidden(String rel) {
        for (String part : rel.split("/")) {
            if (part.startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static boolean inCheckpoints(String rel) {
        return rel.startsWith("checkpoints/") || rel.contains("/checkpoints/");
    }

    /** A local file's identity and contents' stamp (size, modification time, inode), and its remote copy's. */
    private record Stamp(long size, long modifiedNanos, Object key, long remoteLength, long remoteModified) {
        boolean sameLocal(Stamp o) {
            return size == o.size && modifiedNanos == o.modifiedNanos && Objects.equals(key, o.key);
        }

        Stamp withRemote(long length, long modified) {
            return new Stamp(size, modifiedNanos, key, length, modified);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Stamp s && sameLocal(s);
        }

        @Override
        public int hashCode() {
            return Objects.hash(size, modifiedNanos, key);
        }
    }

    private static Stamp stamp(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            return new Stamp(a.size(), a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS),
                    a.fileKey(), -1, -1);
        } catch (IOException e) {
            return null;
        }
    }
}
