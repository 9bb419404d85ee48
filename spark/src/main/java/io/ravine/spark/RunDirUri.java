package io.ravine.spark;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine;

/**
 * Output directories on a cluster: a {@code file:} URI or a path, naming a directory on a filesystem that the driver
 * and every executor mount at the same place (NFS, CephFS, Lustre, GPFS, a cloud file share). A run directory's rules
 * rest on two POSIX properties: an {@code fcntl} lock that the operating system releases when its process dies (one
 * writer per directory, {@link io.ravine.io.DirectoryLock}) and an atomic rename (crash-safe writes). Object stores
 * (S3, GCS, ABFS through Hadoop's connectors) have neither, and HDFS has no {@code fcntl} lock, so {@code hdfs:},
 * {@code s3a:} and the other Hadoop schemes are refused with one line rather than half-supported (docs/spark.md).
 */
final class RunDirUri {
    private RunDirUri() {
    }

    /**
     * The local path of {@code value}: a {@code file:} URI's path, or a path, resolved against {@code cwd} when
     * relative (the driver's working directory, so that executors with other working directories agree).
     */
    static Path toPath(String value, String cwd) {
        int colon = value.indexOf(':');
        int slash = value.indexOf('/');
        boolean hasScheme = colon > 1 && (slash < 0 || colon < slash)
                && value.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.-]*");
        if (!hasScheme) {
            return Path.of(cwd).resolve(value).normalize();
        }
        String scheme = value.substring(0, colon).toLowerCase(Locale.ROOT);
        if (!scheme.equals("file")) {
            throw new CommandLine.TypeConversionException("'" + value + "': " + scheme + ": is not supported for"
                    + " run directories: give a file: URI or a path on a filesystem that the driver and every"
                    + " executor mount at the same place (NFS, CephFS, Lustre); HDFS and object stores lack the"
                    + " POSIX lock and atomic rename that a run directory's one-writer and crash-safety rules need"
                    + " (docs/spark.md)");
        }
        try {
            URI uri = new URI(value);
            if (uri.getAuthority() != null && !uri.getAuthority().isEmpty()
                    && !uri.getAuthority().equals("localhost")) {
                throw new CommandLine.TypeConversionException("'" + value + "': a file: URI names a path on every"
                        + " machine, not on host " + uri.getAuthority() + ": write file:///path");
            }
            if (uri.getPath() == null || !uri.getPath().startsWith("/")) {
                throw new CommandLine.TypeConversionException("'" + value + "': a file: URI needs an absolute path,"
                        + " e.g. file:///shared/sweeps/lr");
            }
            return Path.of(uri.getPath()).normalize();
        } catch (URISyntaxException e) {
            throw new CommandLine.TypeConversionException("'" + value + "': not a URI (" + e.getReason() + ")");
        }
    }
}
