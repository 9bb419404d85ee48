package io.ravine.io;

import io.ravine.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One writer per directory: an operating-system lock ({@link FileChannel#tryLock}, {@code fcntl} on Linux) on the file
 * {@value #FILE} inside it, held for as long as the writer writes. The operating system releases it when the process
 * ends in any way, {@code kill -9} included, so a crash never leaves a directory locked; the file itself stays (it
 * holds no data, and deleting it would let two writers lock two different files of the same name).
 *
 * <p>The holder writes {@code PID@HOST START-TIME} into the file once it has the lock, so a refused writer can name
 * it. A second writer, in another process or in another thread of this one, is refused at once with one line naming
 * the holder; nothing waits. Reading a directory takes no lock: {@link #holder} only looks.
 *
 * <p>POSIX releases all of a process's {@code fcntl} locks on a file when any descriptor of that file is closed, so
 * the holding process must not open the lock file by other means; {@link #holder} answers from this JVM's own locks
 * before it opens anything for that reason.
 */
public final class DirectoryLock implements AutoCloseable {
    /** The lock file's name inside the locked directory. */
    public static final String FILE = ".lock";
    /** The locks this JVM holds (the OS lock is per process, so threads of one JVM are told apart here). */
    private static final Map<Path, DirectoryLock> HELD = new HashMap<>();

    private Path key;
    private final FileChannel channel;
    private final FileLock lock;
    private final String holderText;

    private DirectoryLock(Path key, FileChannel channel, FileLock lock, String holderText) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
        this.holderText = holderText;
    }

    /**
     * Locks {@code dir} (an existing directory) for this process. Another writer holding it is an
     * {@link InvalidInputException} naming the directory and the holder's PID and host; a directory where the lock
     * file cannot be created is an {@link UncheckedIOException}.
     */
    public static DirectoryLock acquire(Path dir) {
        Path key = key(dir);
        synchronized (HELD) {
            DirectoryLock mine = HELD.get(key);
            if (mine != null) {
                throw locked(dir, mine.holderText + " (this process)");
            }
            FileChannel ch;
            try {
                ch = FileChannel.open(dir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.READ);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot lock " + dir + " for writing (its lock file " + FILE + ")", e);
            }
            try {
                FileLock l;
                try {
                    l = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    l = null; // held by this JVM through another path; the registry normally catches that first
                }
                if (l == null) {
                    String holder = readHolder(ch);
                    ch.close();
                    throw locked(dir, holder);
                }
                String text = ProcessHandle.current().pid() + "@" + Host.name() + " "
                        + Instant.now().truncatedTo(ChronoUnit.SECONDS);
                ch.truncate(0);
                ch.write(ByteBuffer.wrap((text + "\n").getBytes(StandardCharsets.UTF_8)), 0);
                ch.force(false);
                DirectoryLock held = new DirectoryLock(key, ch, l, text);
                HELD.put(key, held);
                return held;
            } catch (IOException e) {
                closeQuietly(ch);
                throw new UncheckedIOException("cannot lock " + dir + " for writing (its lock file " + FILE + ")", e);
            } catch (RuntimeException e) {
                closeQuietly(ch);
                throw e;
            }
        }
    }

    /**
     * Who holds {@code dir}'s lock now, as {@code PID@HOST START-TIME}, or empty when no one does. Looks only: the
     * lock file is neither created nor changed (a shared lock on a read-only channel is tried and released at once).
     */
    public static Optional<String> holder(Path dir) {
        synchronized (HELD) {
            DirectoryLock mine = HELD.get(key(dir));
            if (mine != null) {
                return Optional.of(mine.holderText);
            }
            Path file = dir.resolve(FILE);
            if (!Files.isRegularFile(file)) {
                return Optional.empty();
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                FileLock probe = ch.tryLock(0, Long.MAX_VALUE, true);
                if (probe != null) {
                    probe.release();
                    return Optional.empty();
                }
                return Optional.of(readHolder(ch));
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (IOException | OverlappingFileLockException e) {
                return Optional.empty(); // cannot be read: not a lock this process can see, so not one it honours
            }
        }
    }

    /** Refuses with the lock's one line when another writer holds {@code dir}. */
    public static void requireUnlocked(Path dir) {
        holder(dir).ifPresent(h -> {
            throw locked(dir, h);
        });
    }

    /** The one line for a directory another writer holds. */
    static InvalidInputException locked(Path dir, String holderText) {
        return new InvalidInputException(dir + " is being written by another process (" + describe(holderText)
                + "): one writer at a time; the lock goes when that process ends");
    }

    /** {@code 123@host 2026-…} as {@code pid 123 on host, since 2026-…}. */
    static String describe(String holderText) {
        String t = holderText.trim();
        int at = t.indexOf('@');
        int space = t.indexOf(' ');
        if (at <= 0 || space < at) {
            return t.isEmpty() ? "pid unknown: its lock file is empty" : "holder " + t;
        }
        return "pid " + t.substring(0, at) + " on " + t.substring(at + 1, space) + ", since " + t.substring(space + 1);
    }

    /** The holder's text; it writes it right after locking, so an empty file is given a moment to fill. */
    private static String readHolder(FileChannel ch) throws IOException {
        for (int attempt = 0; ; attempt++) {
            ByteBuffer buf = ByteBuffer.allocate(512);
            int n = ch.read(buf, 0);
            String text = n <= 0 ? "" : new String(buf.array(), 0, n, StandardCharsets.UTF_8).trim();
            if (!text.isEmpty() || attempt >= 20) {
                return text;
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return text;
            }
        }
    }

    private static Path key(Path dir) {
        try {
            return dir.toRealPath();
        } catch (IOException e) {
            return dir.toAbsolutePath().normalize();
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // Closing releases any lock; nothing else to do.
        }
    }

    /** The locked directory was renamed to {@code dir} (the lock goes with it): this JVM's registry follows. */
    void moved(Path dir) {
        synchronized (HELD) {
            if (HELD.get(key) == this) {
                HELD.remove(key);
                key = key(dir);
                HELD.put(key, this);
            }
        }
    }

    /** {@code PID@HOST START-TIME} of this lock. */
    public String holderText() {
        return holderText;
    }

    /** Releases the lock (the lock file stays). */
    @Override
    public void close() {
        synchronized (HELD) {
            if (HELD.get(key) != this) {
                return;
            }
            HELD.remove(key);
            try {
                lock.release();
            } catch (IOException ignored) {
                // Closing the channel below releases it anyway.
            }
            closeQuietly(channel);
        }
    }

    /**
     * This host's name as a lock names its holder ({@code PID@HOST}), cheaply: the kernel's, else $HOSTNAME, else
     * "localhost" (no DNS lookup).
     *
     * @return the host's name
     */
    public static String hostName() {
        return Host.name();
    }

    /** The host's name, cheaply: the kernel's, else $HOSTNAME, else "localhost" (no DNS lookup). */
    static final class Host {
        private static String name;

        static synchronized String name() {
            if (name == null) {
                String n = null;
                try {
                    n = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
                } catch (IOException | RuntimeException ignored) {
                    // Not Linux: try the environment.
                }
                if (n == null || n.isEmpty()) {
                    n = System.getenv("HOSTNAME");
                }
                name = n == null || n.isBlank() ? "localhost" : n.trim();
            }
            return name;
        }
    }
}
