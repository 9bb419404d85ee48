package io.ravine.spark;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine;

/**
 * Output directories on a cluster, given two ways:
 *
 * <ul>
 *   <li><b>A path</b>: a directory on a filesystem that the driver and every executor mount at the same place (NFS,
 *       CephFS, Lustre, GPFS, a cloud file share), written there directly. A run directory's rules rest on two POSIX
 *       properties it has: an {@code fcntl} lock that the operating system releases when its process dies (one writer
 *       per directory, {@link io.ravine.io.DirectoryLock}) and an atomic rename (crash-safe writes).</li>
 *   <li><b>A URI</b> ({@code hdfs://namenode/runs/lr}, {@code s3a://bucket/runs/lr}, {@code file:///shared/lr},
 *       any scheme Hadoop's configuration has a filesystem for): a directory on a Hadoop filesystem, which each
 *       process works on through a local directory of its own ({@link Mirror}, {@link HadoopDir}), with the locks of
 *       {@link RemoteLock}. The option's value in this process is then that local directory.</li>
 * </ul>
 */
final class RunDirUri {
    private RunDirUri() {
    }

    /** A directory given as a URI, and the local directory that stands for it in this process. */
    record Mirror(URI remote, Path local) {
        /** The URI as the files and messages show it: as given, without a trailing slash. */
        String shown() {
            return remote.toString().replaceAll("/+$", "");
        }

        /** {@code text} with the local directory's path replaced by the URI. */
        String show(String text) {
            return text == null ? null : text.replace(local.toString(), shown());
        }
    }

    /**
     * The URIs a command line gave and their local directories: fresh ones, under one temporary directory of this
     * process (in a task: in the application's directory on the executor), named as the remote directory is (a
     * report's title shows its directory's name).
     */
    static final class Mirrors {
        private final java.util.Map<Path, Mirror> byLocal = new java.util.LinkedHashMap<>();
        private Path root;

        synchronized Path local(URI remote) {
            for (Mirror m : byLocal.values()) {
                if (m.remote().equals(remote)) {
                    return m.local();
                }
            }
            try {
                if (root == null) {
                    // In a task, under the application's directory on the executor, which Spark removes when the
                    // application ends (so an executor killed in a task leaves no copy behind); on the driver,
                    // before Spark starts, in the temporary directory (removed when the command ends).
                    Path parent = org.apache.spark.SparkEnv.get() != null
                            ? Path.of(org.apache.spark.SparkFiles.getRootDirectory())
                            : Path.of(System.getProperty("java.io.tmpdir"));
                    root = java.nio.file.Files.createTempDirectory(parent, "ravine-spark-");
                }
            } catch (java.io.IOException e) {
                throw new CommandLine.TypeConversionException("'" + remote + "': no local directory to work on it in"
                        + " (" + System.getProperty("java.io.tmpdir") + ": " + e.getMessage() + ")");
            }
            String path = remote.getPath() == null ? "" : remote.getPath().replaceAll("/+$", "");
            String name = path.isEmpty() ? "root" : path.substring(path.lastIndexOf('/') + 1);
            Path local = root.resolve(Integer.toString(byLocal.size())).resolve(name);
            byLocal.put(local, new Mirror(remote, local));
            return local;
        }

        /** The mirror whose local directory {@code local} is, or null where that option was a path. */
        synchronized Mirror of(Path local) {
            return local == null ? null : byLocal.get(local);
        }

        /** Every mirror. */
        synchronized java.util.Collection<Mirror> all() {
            return java.util.List.copyOf(byLocal.values());
        }

        /** Deletes the local directories (a best effort: they are in the temporary directory). */
        synchronized void delete() {
            if (root != null) {
                try {
                    io.ravine.io.OutputDirectories.deleteTree(root);
                } catch (java.io.IOException | RuntimeException e) {
                    // Left for the temporary directory's cleaning.
                }
                root = null;
            }
        }
    }

    /**
     * The local path of {@code value}: a path resolved against {@code cwd} when relative (the driver's working
     * directory, so that executors with other working directories agree), or, for a URI, the local directory that
     * stands for it ({@link Mirrors}).
     */
    static Path toPath(String value, String cwd, Mirrors mirrors) {
        int colon = value.indexOf(':');
        int slash = value.indexOf('/');
        boolean hasScheme = colon > 1 && (slash < 0 || colon < slash)
                && value.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.-]*");
        if (!hasScheme) {
            return Path.of(cwd).resolve(value).normalize();
        }
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new CommandLine.TypeConversionException("'" + value + "': not a URI (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("file")) {
            if (uri.getAuthority() != null && !uri.getAuthority().isEmpty()
                    && !uri.getAuthority().equals("localhost")) {
                throw new CommandLine.TypeConversionException("'" + value + "': a file: URI names a path on every"
                        + " machine, not on host " + uri.getAuthority() + ": write file:///path");
            }
            if (uri.getPath() == null || !uri.getPath().startsWith("/")) {
                throw new CommandLine.TypeConversionException("'" + value + "': a file: URI needs an absolute path,"
                        + " e.g. file:///shared/sweeps/lr");
            }
            if ("localhost".equals(uri.getAuthority())) {
                // Hadoop's local filesystem knows file:///path only.
                uri = URI.create("file://" + uri.getRawPath());
            }
        }
        // The directory the path resolves to (a/../b is b) must be below the root: --overwrite empties it.
        String resolved = uri.getPath() == null ? "" : java.nio.file.Path.of("/", uri.getPath()).normalize()
                .toString();
        if (resolved.equals("/")) {
            throw new CommandLine.TypeConversionException("'" + value + "': name a directory below the"
                    + " filesystem's root, e.g. " + scheme + "://" + (uri.getAuthority() == null ? ""
                    : uri.getAuthority()) + "/runs/lr");
        }
        return mirrors.local(uri);
    }
}
