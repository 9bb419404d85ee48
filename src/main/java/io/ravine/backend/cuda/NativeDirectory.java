package io.ravine.backend.cuda;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The one directory per JVM into which every native library Ravine or JCuda extracts from the jar goes: created fresh,
 * owner-only (0700), on a file system that allows exec, and removed when the JVM exits.
 *
 * <p>Why: JCuda's {@code LibUtils} extracts its natives to {@code java.io.tmpdir} under a fixed name
 * ({@code libJCudaDriver-12.6.0-linux-x86_64.so}) and reuses whatever file of that name is already there (stale from
 * another version, planted by another user, or garbage), and a {@code noexec} {@code /tmp} makes every extracted
 * library fail with "failed to map segment". Both end as an UnsatisfiedLinkError that hides the real state of the
 * machine. Here JCuda's classes are initialised with {@code java.io.tmpdir} pointed at this directory for the moment
 * of the load ({@link #initialize(Class)}), and Ravine's own cuBLAS bridge is extracted into it too.
 *
 * <p>Candidates, in order: the explicit setting (system property {@code ravine.native.dir}, else environment variable
 * {@code RAVINE_NATIVE_DIR}; if set it is the only candidate, and one that cannot be used is reported rather than
 * passed over), {@code java.io.tmpdir}, {@code $XDG_RUNTIME_DIR}, {@code ~/.cache/ravine}, and the directory of the
 * jar Ravine runs from. A candidate is skipped when its mount is {@code noexec} (read from
 * {@code /proc/self/mountinfo}: the longest mount point that is a prefix of the candidate's real path), when it
 * does not exist, or when a private directory cannot be created in it.
 */
public final class NativeDirectory {
    /** Environment variable naming the directory to extract native libraries into. */
    public static final String ENV = "RAVINE_NATIVE_DIR";
    /** System property naming it; wins over {@link #ENV}. */
    public static final String PROPERTY = "ravine.native.dir";
    static final String PREFIX = "ravine-native-";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    /**
     * A place to try: a label for messages, the base directory (empty where its setting is unset, and {@code unset}
     * says why), whether the user named it, and whether the base may be created.
     */
    record Candidate(String label, Optional<Path> base, boolean explicit, boolean createBase, String unset) {
    }

    /** The private directory, or the one line saying why there is none. */
    record Outcome(Optional<Path> directory, String problem) {
        static Outcome ready(Path dir) {
            return new Outcome(Optional.of(dir), "");
        }

        static Outcome unusable(String problem) {
            return new Outcome(Optional.empty(), problem);
        }
    }

    /** One line of /proc/self/mountinfo, as far as this class needs it. */
    record Mount(String mountPoint, Set<String> options) {
        boolean noexec() {
            return options.contains("noexec");
        }
    }

    private static Outcome outcome;

    private NativeDirectory() {
    }

    /** The private directory of this JVM, made on first use; empty where none could be made ({@link #problem()}). */
    public static synchronized Optional<Path> get() {
        return outcome().directory();
    }

    /** Why there is no private directory, in one line naming {@link #ENV}; empty where there is one. */
    public static synchronized Optional<String> problem() {
        Outcome o = outcome();
        return o.directory().isPresent() ? Optional.empty() : Optional.of(o.problem());
    }

    /** The private directory, or a {@link CudaUnavailableException} with the one-line problem. */
    static Path require() {
        return get().orElseThrow(() -> new CudaUnavailableException(problem().orElse("no native directory")));
    }

    private static Outcome outcome() {
        if (outcome == null) {
            outcome = choose(candidates(System::getenv, System::getProperty, Path.of(System.getProperty("user.home")),
                    jarDirectory()), readMountinfo());
            outcome.directory().ifPresent(NativeDirectory::removeOnExit);
        }
        return outcome;
    }

    /**
     * Initialises {@code jcudaClass} (whose static initialiser loads its native library through JCuda's LibUtils) with
     * {@code java.io.tmpdir} pointed at the private directory, so LibUtils extracts there. Does nothing more where
     * the class is already initialised. Errors from the native load (UnsatisfiedLinkError) propagate unchanged.
     *
     * <p>The hazard of swapping a system property: {@code java.io.File.createTempFile} and
     * {@code java.nio.file.Files.createTemp*} read {@code java.io.tmpdir} once, into static holders
     * ({@code java.io.File$TempDirectory}, {@code java.nio.file.TempFileHelper}), when they are first used. Were that
     * first use to fall inside the swap (on any thread), every temporary file of the rest of the JVM's life would go
     * into this directory and vanish with it. So both holders are initialised before the swap, and the swap is
     * synchronized and undone in {@code finally}. A thread that reads the property itself during those few
     * milliseconds still sees the private directory; nothing in Ravine does.
     */
    static synchronized void initialize(Class<?> jcudaClass) {
        Path dir = require();
        pinTemporaryDirectoryHolders();
        String saved = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", dir.toString());
        try {
            Class.forName(jcudaClass.getName(), true, jcudaClass.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);  // the class object exists: cannot happen
        } finally {
            System.setProperty("java.io.tmpdir", saved);
        }
    }

    /** Initialises the JDK's cached-tmpdir holders now, so they capture the real {@code java.io.tmpdir}. */
    static boolean pinTemporaryDirectoryHolders() {
        boolean pinned = true;
        for (String holder : new String[] {"java.io.File$TempDirectory", "java.nio.file.TempFileHelper"}) {
            try {
                Class.forName(holder, true, null);
            } catch (ClassNotFoundException | LinkageError e) {
                pinned = false;
            }
        }
        if (!pinned) {
            // A JDK that names them differently: a harmless call initialises whatever caches the value.
            try {
                Files.deleteIfExists(File.createTempFile("ravine", ".probe").toPath());
            } catch (IOException | RuntimeException e) {
                // An unwritable java.io.tmpdir: the holder was initialised before the write failed.
            }
        }
        return pinned;
    }

    /**
     * The cause of a failed native load in one line, without the repeated file paths the dynamic linker puts in front.
     * JCuda's LibUtils wraps its two attempts (java.library.path, then the extracted resource) into one multi-line
     * message; the second attempt's error is the one that says what is wrong, so it is taken from there.
     */
    static String loadFailure(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String marker = "Stack trace from the attempt to load the library as a resource:";
        int at = m.indexOf(marker);
        if (at >= 0) {
            m = m.substring(at + marker.length()).strip();
            // "java.lang.UnsatisfiedLinkError: /dir/libX.so: libcuda.so.1: cannot open shared object file: ..."
            m = m.replaceFirst("^[\\w.$]+(Error|Exception): ", "");
        }
        // The first line, without the library paths in front (the dynamic loader repeats the file's path), and only
        // then shortened: a long temporary directory must not push the cause past the cut.
        m = m.strip();
        int nl = m.indexOf('\n');
        if (nl >= 0) {
            m = m.substring(0, nl).strip();
        }
        while (m.matches("^/[^:]*: .*")) {
            m = m.substring(m.indexOf(": ") + 2);
        }
        return CublasLoader.oneLine(new RuntimeException(m));
    }

    /** The unavailable-reason line for JCuda's driver library failing to load. */
    static String driverLoadFailure(Throwable e) {
        String cause = loadFailure(e);
        if (cause.contains("libcuda.so")) {
            return "no NVIDIA driver: JCuda's driver library needs libcuda.so.1, which cannot be loaded (" + cause
                    + ")";
        }
        String hint = cause.contains("failed to map segment") ? " (a file system mounted noexec? set " + ENV
                + " to a directory on one that allows exec)" : "";
        return "JCuda's driver library could not be loaded" + get().map(d -> " from " + d).orElse("") + ": " + cause
                + hint;
    }

    // ---- the choice, testable without touching the JVM's state ----

    static List<Candidate> candidates(Function<String, String> env, Function<String, String> props, Path home,
            Optional<Path> jarDirectory) {
        String property = props.apply(PROPERTY);
        if (property != null && !property.isBlank()) {
            return List.of(new Candidate(PROPERTY, Optional.of(Path.of(property)), true, true, ""));
        }
        String variable = env.apply(ENV);
        if (variable != null && !variable.isBlank()) {
            return List.of(new Candidate(ENV, Optional.of(Path.of(variable)), true, true, ""));
        }
        Optional<Path> xdg = Optional.ofNullable(env.apply("XDG_RUNTIME_DIR")).filter(s -> !s.isBlank()).map(Path::of);
        Optional<Path> tmp = Optional.ofNullable(props.apply("java.io.tmpdir")).filter(s -> !s.isBlank()).map(Path::of);
        return List.of(
                new Candidate("java.io.tmpdir", tmp, false, false, "not set"),
                new Candidate("XDG_RUNTIME_DIR", xdg, false, false, "not set"),
                new Candidate("~/.cache/ravine", Optional.of(home.resolve(".cache/ravine")), false, true, ""),
                new Candidate("the jar's directory", jarDirectory, false, false, "not running from a jar"));
    }

    /**
     * The first candidate in which a fresh 0700 directory could be made on an exec-allowing mount, or the problem:
     * an explicit setting that cannot be used, or, where every candidate failed, what was tried and the setting to use.
     */
    static Outcome choose(List<Candidate> candidates, String mountinfo) {
        List<String> tried = new ArrayList<>();
        for (Candidate c : candidates) {
            if (c.base().isEmpty()) {
                tried.add(c.label() + " (" + c.unset() + ")");
                continue;
            }
            Path base = c.base().get().toAbsolutePath();
            String named = c.label() + "=" + base;
            Optional<String> why = unusable(base, c.createBase(), mountinfo);
            if (why.isEmpty()) {
                try {
                    return Outcome.ready(Files.createTempDirectory(base, PREFIX,
                            PosixFilePermissions.asFileAttribute(OWNER_ONLY)));
                } catch (IOException | UnsupportedOperationException | SecurityException e) {
                    why = Optional.of("a directory cannot be created in it (" + CublasLoader.oneLine(e) + ")");
                }
            }
            if (c.explicit()) {
                return Outcome.unusable(named + " cannot hold native libraries: " + why.get() + "; set " + ENV
                        + " to a writable directory on a file system mounted without noexec");
            }
            tried.add(named + " (" + why.get() + ")");
        }
        return Outcome.unusable("no directory to extract native libraries into: tried " + String.join(", ", tried)
                + "; set " + ENV + " to a writable directory on a file system mounted without noexec");
    }

    private static Optional<String> unusable(Path base, boolean create, String mountinfo) {
        if (create && !Files.isDirectory(base)) {
            try {
                Files.createDirectories(base);
            } catch (IOException | SecurityException e) {
                return Optional.of("cannot be created: " + CublasLoader.oneLine(e));
            }
        }
        if (!Files.isDirectory(base)) {
            return Optional.of(Files.exists(base) ? "not a directory" : "does not exist");
        }
        Path real;
        try {
            real = base.toRealPath();
        } catch (IOException e) {
            return Optional.of("cannot be resolved: " + CublasLoader.oneLine(e));
        }
        Optional<Mount> mount = mountOf(mountinfo, real);
        if (mount.isPresent() && mount.get().noexec()) {
            return Optional.of("on a noexec mount at " + mount.get().mountPoint());
        }
        return Optional.empty();
    }

    /**
     * The mount that holds {@code realPath}: of the lines of {@code mountinfo} (the format of /proc/self/mountinfo,
     * proc(5)), the one with the longest mount point that is {@code realPath} or a parent of it; of several at the same
     * point the last (it is mounted over the others). Malformed lines are ignored; empty where none matches.
     */
    static Optional<Mount> mountOf(String mountinfo, Path realPath) {
        String path = realPath.toString();
        Mount best = null;
        for (String line : mountinfo.split("\n")) {
            String[] f = line.trim().split(" ");
            // id parent major:minor root mount-point options [optional fields...] - fstype source super-options
            if (f.length < 6 || !f[4].startsWith("/")) {
                continue;
            }
            String point = unescape(f[4]);
            boolean contains = point.equals("/") || path.equals(point) || path.startsWith(point + "/");
            if (contains && (best == null || point.length() >= best.mountPoint().length())) {
                best = new Mount(point, Set.of(f[5].split(",")));
            }
        }
        return Optional.ofNullable(best);
    }

    /** mountinfo writes space, tab, newline and backslash in paths as \040, \011, \012 and \134. */
    static String unescape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '\\' && i + 3 < s.length()
                    && s.substring(i + 1, i + 4).chars().allMatch(d -> d >= '0' && d <= '7')) {
                out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(ch);
            }
        }
        return out.toString();
    }

    private static String readMountinfo() {
        try {
            return Files.readString(MOUNTINFO);
        } catch (IOException | RuntimeException e) {
            return "";  // not Linux, or no /proc: noexec cannot be detected, so nothing is skipped for it
        }
    }

    /** The directory of the jar this class was loaded from; empty when it runs from a classes directory. */
    static Optional<Path> jarDirectory() {
        try {
            CodeSource source = NativeDirectory.class.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                return Optional.empty();
            }
            Path location = Path.of(source.getLocation().toURI());
            return Files.isRegularFile(location) ? Optional.ofNullable(location.getParent()) : Optional.empty();
        } catch (URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static void removeOnExit(Path dir) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "ravine-native-cleanup"));
    }

    /** Deletes the private directory and what was extracted into it (mapped libraries stay mapped until exit). */
    static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // Best effort at exit; a leftover private directory holds nothing but copies of jar resources.
                }
            });
        } catch (IOException | RuntimeException e) {
            // Already gone.
        }
    }
}
