package io.ravine.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Replaces a file atomically: readers (and a run resumed after a crash) see the old contents or the new, never a
 * torn mix. The new contents go to a temporary file in the target's directory (a rename is only atomic within one
 * file system), are forced to disk, and the temporary is renamed over the target; then the directory is forced so
 * the rename itself survives a power cut.
 *
 * <p>A process killed between creating the temporary and renaming it leaves the temporary behind (the target is
 * untouched). Whoever next owns the directory (a resumed run, a rerun study) removes such leftovers with {@link
 * #deleteLeftovers}.
 */
public final class AtomicFiles {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The temporaries' names: {@code .<target name>.<12 hex digits>.tmp}, see {@link #write}. */
    private static final Pattern TEMPORARY = Pattern.compile("\\..+\\.[0-9a-f]{12}\\.tmp");

    private AtomicFiles() {
    }

    /**
     * Writes {@code target} with what {@code body} writes to the stream it is given. If {@code body} or any step
     * after it fails, the temporary file is deleted, {@code target} is left as it was and the exception propagates.
     * The stream is buffered; {@code body} need not (and should not) close it.
     */
    public static void write(Path target, IOConsumer<OutputStream> body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        byte[] tag = new byte[6];
        RANDOM.nextBytes(tag);
        // A hidden name that no glob for checkpoints matches; CREATE_NEW keeps the umask's permissions, unlike
        // Files.createTempFile, which makes the file owner-only.
        Path tmp = dir.resolve("." + abs.getFileName() + "." + HexFormat.of().formatHex(tag) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
                body.accept(new FilterOutputStream(out) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len);
                    }

                    @Override
                    public void close() throws IOException {
                        flush();
                    }
                });
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot replace " + abs + " atomically on this file system", e);
            }
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        forceDirectory(dir);
    }

    /** Writes {@code text} as UTF-8, atomically. */
    public static void writeString(Path target, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(target, out -> out.write(bytes));
    }

    /** Whether {@code name} is the name {@link #write} gives its temporaries. */
    public static boolean isTemporaryName(String name) {
        return TEMPORARY.matcher(name).matches();
    }

    /**
     * Deletes the temporaries that killed writers left in {@code dir} (not in its subdirectories); returns how many.
     * Only the directory's single owner may call this: a temporary of a write still in progress would go too.
     */
    public static int deleteLeftovers(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        List<Path> leftovers;
        try (Stream<Path> files = Files.list(dir)) {
            leftovers = files.filter(p -> isTemporaryName(p.getFileName().toString()) && Files.isRegularFile(p))
                    .toList();
        }
        for (Path p : leftovers) {
            Files.deleteIfExists(p);
        }
        return leftovers.size();
    }

    private static void forceDirectory(Path dir) {
        // Linux persists a rename by fsync on the directory; other systems refuse to open a directory for this,
        // and there the rename is as durable as the platform makes it.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // Best effort, see above.
        }
    }
}
