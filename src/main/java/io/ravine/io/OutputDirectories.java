package io.ravine.io;

import io.ravine.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The directories commands write into (a run, a study, a sweep, a toy's output, a landscape): each belongs to one
 * run of one command. A fresh one is created atomically under a name no one else has; an existing one is replaced
 * only whole, by renaming it aside to a hidden sibling ({@code .NAME.replaced-HEX}) in one atomic rename before the
 * new contents are written, and deleting it once they are, so a crash at any moment leaves the old directory whole
 * (in place, or under its hidden name) or the new one, never a mix of both.
 */
public final class OutputDirectories {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ASIDE = ".replaced-";

    private OutputDirectories() {
    }

    /**
     * What {@code dir} holds, by name (directories with a trailing {@code /}), sorted, leaving out what holds no
     * result: the {@link DirectoryLock} file, the temporaries of atomic writes a kill interrupted ({@link
     * AtomicFiles#isTemporaryName}) and writability probes ({@code .ravine-write-test-*}). So a directory that a
     * writer killed before its first file left behind counts as empty. Empty when {@code dir} does not exist.
     */
    public static List<String> contents(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> {
                String n = p.getFileName().toString();
                return !n.equals(DirectoryLock.FILE) && !n.startsWith(".ravine-write-test-")
                        && !(AtomicFiles.isTemporaryName(n) && Files.isRegularFile(p));
            }).map(p -> p.getFileName().toString() + (Files.isDirectory(p) ? "/" : "")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /** Whether {@code dir} is absent or an empty directory (a lock file aside); false for a regular file. */
    public static boolean isEmpty(Path dir) {
        return !Files.exists(dir) || Files.isDirectory(dir) && contents(dir).isEmpty();
    }

    /** Up to four names of {@code names} for a message, e.g. {@code config.json, metrics.csv, … (7 entries)}. */
    public static String describe(List<String> names) {
        if (names.size() <= 4) {
            return String.join(", ", names);
        }
        return String.join(", ", names.subList(0, 4)) + ", … (" + names.size() + " entries)";
    }

    /**
     * Creates {@code parent/base}, or {@code base-2}, {@code base-3}, … whichever is free, and returns it. Each attempt
     * is one {@code mkdir}, which fails if the name exists, so two processes (or threads) starting in the same second
     * never get the same directory.
     */
    public static Path createFresh(Path parent, String base) {
        try {
            Files.createDirectories(parent);
            for (int i = 1; i < 100_000; i++) {
                Path dir = parent.resolve(i == 1 ? base : base + "-" + i);
                try {
                    return Files.createDirectory(dir);
                } catch (FileAlreadyExistsException taken) {
                    // Someone has this name: the next suffix.
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory in " + parent, e);
        }
        throw new UncheckedIOException(new IOException("no free name " + base + "-N in " + parent));
    }

    /**
     * Prepares {@code dir} to be replaced with {@code --overwrite}: deletes the hidden siblings an earlier replacement
     * left when it was killed (even when {@code dir} itself is now absent), then moves {@code dir} aside with {@link
     * #moveAside} when it holds anything; returns null when there is nothing to move.
     */
    public static Replacement replace(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        Path workingDirectory = Path.of("").toAbsolutePath().normalize();
        if (abs.getParent() == null || workingDirectory.startsWith(abs)) {
            // --run-dir . --overwrite in a project directory would otherwise delete the project.
            throw new InvalidInputException(dir + " is " + (abs.getParent() == null ? "the root directory"
                    : "the working directory or holds it") + ": it is not replaced (--overwrite replaces a"
                    + " directory of results; give one of its own)");
        }
        try {
            deleteStaleAsides(abs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete what an interrupted replacement of " + dir + " left", e);
        }
        return isEmpty(abs) ? null : moveAside(abs);
    }

    /**
     * Moves {@code dir} aside before it is replaced: locks it (refused, naming the holder, while another process
     * writes it), removes the hidden siblings an earlier replacement left when it was killed, and renames it to a
     * hidden sibling in one atomic rename. {@code dir} is then free for the new contents; call {@link
     * Replacement#discard()} once they are written, or {@link Replacement#restore()} if writing them failed at once.
     */
    public static Replacement moveAside(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        DirectoryLock lock = DirectoryLock.acquire(abs);
        try {
            deleteStaleAsides(abs);
            byte[] tag = new byte[6];
            RANDOM.nextBytes(tag);
            Path aside = abs.resolveSibling("." + abs.getFileName() + ASIDE + HexFormat.of().formatHex(tag));
            try {
                Files.move(abs, aside, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename " + abs + " atomically on this file system", e);
            }
            lock.moved(aside);
            return new Replacement(abs, aside, lock);
        } catch (IOException e) {
            lock.close();
            throw new UncheckedIOException("cannot move " + dir + " aside to replace it", e);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** Deletes the hidden {@code .NAME.replaced-*} siblings of {@code dir} that no live process holds. */
    static void deleteStaleAsides(Path dir) throws IOException {
        Path parent = dir.getParent();
        String prefix = "." + dir.getFileName() + ASIDE;
        if (parent == null || !Files.isDirectory(parent)) {
            return;
        }
        List<Path> stale;
        try (Stream<Path> list = Files.list(parent)) {
            stale = list.filter(p -> p.getFileName().toString().startsWith(prefix) && Files.isDirectory(p)).toList();
        }
        for (Path p : stale) {
            if (DirectoryLock.holder(p).isEmpty()) {
                deleteTree(p);
            }
        }
    }

    /** Deletes {@code root} and everything under it (nothing if it does not exist). */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        List<Path> all;
        try (Stream<Path> walk = Files.walk(root)) {
            all = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : all) {
            try {
                Files.delete(p);
            } catch (NoSuchFileException gone) {
                // Already gone.
            }
        }
    }

    /** A directory moved aside to be replaced. */
    public static final class Replacement {
        private final Path dir;
        private final Path aside;
        private final DirectoryLock lock;

        private Replacement(Path dir, Path aside, DirectoryLock lock) {
            this.dir = dir;
            this.aside = aside;
            this.lock = lock;
        }

        /** Where the old contents are until {@link #discard()}. */
        public Path aside() {
            return aside;
        }

        /** The new contents are written: deletes the old ones. */
        public void discard() {
            lock.close();
            try {
                deleteTree(aside);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete the replaced " + dir + " (now " + aside + ")", e);
            }
        }

        /**
         * Writing the new contents failed: deletes what the new writer put in the directory (the caller's own,
         * unfinished output) and puts the old directory back. Best effort: on failure the old contents stay whole in
         * {@link #aside()}.
         */
        public void restore() {
            try {
                deleteTree(dir);
                Files.move(aside, dir, StandardCopyOption.ATOMIC_MOVE);
                lock.moved(dir);
            } catch (IOException | RuntimeException ignored) {
                // The old contents are whole under their hidden name; nothing is lost.
            } finally {
                lock.close();
            }
        }
    }
}
