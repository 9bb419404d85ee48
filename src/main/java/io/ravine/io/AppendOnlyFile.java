package io.ravine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An existing file that a run appends to as it goes (metrics.csv, TensorBoard's event files): each {@link #append} is
 * one write of whole units (a row, whole records), so a kill leaves at most a torn last unit, which the file's reader
 * recognises; {@link #force} puts what was appended on the disk. The file itself is created, and cut back on resume,
 * through {@link AtomicFiles}; this is the one other way Ravine writes a file.
 */
public final class AppendOnlyFile implements AutoCloseable {
    private final Path file;
    private final FileChannel out;

    private AppendOnlyFile(Path file, FileChannel out) {
        this.file = file;
        this.out = out;
    }

    /**
     * Opens {@code file}, which must exist, for appending.
     *
     * @throws IOException if it cannot be opened
     */
    public static AppendOnlyFile open(Path file) throws IOException {
        return new AppendOnlyFile(file, FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
    }

    /** Appends the buffer's remaining bytes in one write (looping only where a full disk makes it return short). */
    public void append(ByteBuffer bytes) {
        try {
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Forces what was appended so far to the disk. */
    public void force() {
        try {
            out.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + file, e);
        }
    }
}
