package io.ravine.backend.cuda;

import io.ravine.InvalidInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where cuBLAS is: the decision {@link CublasLoader} then acts on, made without loading anything (so it can be tested,
 * and so a failed native load, which cannot be retried in a JVM, is never part of the search).
 *
 * <p>An explicit setting first, the first one set of: system property {@code ravine.cublas} ({@code off} disables
 * cuBLAS), environment variable {@code RAVINE_CUBLAS}, environment variable {@code RAVINE_CUBLAS13} (also read by the
 * bridge). Each names a {@code libcublas.so.12}/{@code libcublas.so.13} file or a directory holding one; one that names
 * nothing usable is an {@link InvalidInputException} naming the setting, the rule and the value. Otherwise the
 * directories of {@link #searchDirectories} in order; the first that holds {@code libcublas.so.12} or
 * {@code libcublas.so.13} wins (12 first within a directory: JCublas2 is built against it, no bridge needed).
 */
final class CublasSearch {
    static final String PROPERTY = "ravine.cublas";
    static final String ENV = "RAVINE_CUBLAS";
    static final String ENV13 = "RAVINE_CUBLAS13";
    static final String V12 = "libcublas.so.12";
    static final String V13 = "libcublas.so.13";
    /** libcublas.so.MAJOR with an optional .minor.patch... tail (the real file behind the soname link). */
    private static final Pattern LIBRARY_NAME = Pattern.compile("libcublas\\.so\\.(\\d+)(\\.[0-9.]*)?");
    private static final long PYTHON_TIMEOUT_SECONDS = 5;

    /** Runs a Python interpreter and returns its site-packages, user site and prefix (empty if it cannot be run). */
    interface PythonRunner {
        List<Path> sitePaths(Path python, Map<String, String> env);
    }

    /**
     * What the search reads from the world, injectable for tests: the environment variables, the value of system
     * property {@code ravine.cublas} (null if unset), the home directory, the root under which the fixed system paths
     * ({@code /usr/local/cuda}, {@code /usr/lib}, {@code /opt/conda}, ...) are looked up, how to ask a Python
     * interpreter for its site-packages, and the directories {@code ldconfig -p} lists.
     */
    record Environment(Map<String, String> env, String property, Path home, Path root, PythonRunner python,
            Supplier<List<Path>> ldconfig) {
        static Environment current() {
            return new Environment(System.getenv(), System.getProperty(PROPERTY),
                    Path.of(System.getProperty("user.home")), Path.of("/"), CublasSearch::askPython,
                    CublasSearch::ldconfigDirectories);
        }

        String get(String name) {
            String v = env.get(name);
            return v == null || v.isBlank() ? null : v;
        }

        Path system(String absolute) {
            return root.resolve(absolute.substring(1));
        }
    }

    /** The outcome: a library to load, nothing found, or cuBLAS switched off. */
    sealed interface Result permits Found, NotFound, Disabled {
        /** Every directory looked in, in order (empty where an explicit setting decided). */
        List<Path> searched();
    }

    /**
     * @param library the file as found (a soname link, as the dynamic linker would use it)
     * @param major 12 or 13
     * @param setting the explicit setting that named it, as NAME=value, or null where the search found it
     */
    record Found(Path library, int major, String setting, List<Path> searched) implements Result {
    }

    record NotFound(List<Path> searched) implements Result {
    }

    record Disabled(String why) implements Result {
        @Override
        public List<Path> searched() {
            return List.of();
        }
    }

    private CublasSearch() {
    }

    static Result find(Environment e) {
        if (e.property() != null && !e.property().isBlank()) {
            if ("off".equalsIgnoreCase(e.property().strip())) {
                return new Disabled("disabled by -D" + PROPERTY + "=off");
            }
            return explicit("system property " + PROPERTY, e.property().strip(), false,
                    "'off', a libcublas.so.12 or libcublas.so.13 file, or a directory holding one");
        }
        if (e.get(ENV) != null) {
            return explicit(ENV, e.get(ENV), false, "a libcublas.so.12 or libcublas.so.13 file, or a directory holding"
                    + " one");
        }
        if (e.get(ENV13) != null) {
            return explicit(ENV13, e.get(ENV13), true, "a libcublas.so.13 file, or a directory holding one");
        }
        List<Path> dirs = searchDirectories(e);
        for (Path dir : dirs) {
            for (String name : new String[] {V12, V13}) {
                Path lib = dir.resolve(name);
                if (Files.isRegularFile(lib) && Files.isReadable(lib)) {
                    return new Found(lib, name.equals(V12) ? 12 : 13, null, dirs);
                }
            }
        }
        return new NotFound(dirs);
    }

    /** The library an explicit setting names, else an InvalidInputException naming the setting, rule and value. */
    private static Found explicit(String setting, String value, boolean only13, String rule) {
        Path p = Path.of(value);
        String prefix = setting + "=" + value + ": ";
        String must = "; " + setting + " must be " + rule;
        if (!Files.exists(p)) {
            throw new InvalidInputException(prefix + "no such file or directory" + must);
        }
        if (Files.isDirectory(p)) {
            for (String name : only13 ? new String[] {V13} : new String[] {V12, V13}) {
                Path lib = p.resolve(name);
                if (Files.isRegularFile(lib) && Files.isReadable(lib)) {
                    return new Found(lib, name.equals(V12) ? 12 : 13, setting + "=" + value, List.of());
                }
            }
            throw new InvalidInputException(prefix + "the directory holds no " + (only13 ? V13 : V12 + " or " + V13)
                    + must);
        }
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new InvalidInputException(prefix + "not a readable file" + must);
        }
        int major = majorVersion(p);
        if (major < 0) {
            throw new InvalidInputException(prefix + "not a libcublas.so.N file" + must);
        }
        if (major == 12 && only13) {
            throw new InvalidInputException(prefix + "a cuBLAS 12 library, not 13" + must);
        }
        if (major != 12 && major != 13) {
            throw new InvalidInputException(prefix + "cuBLAS " + major + " is not supported" + must);
        }
        return new Found(p, major, setting + "=" + value, List.of());
    }

    /** The major version in the file's name or its link target's (libcublas.so -> libcublas.so.13.1.0.3), else -1. */
    static int majorVersion(Path file) {
        for (Path name : new Path[] {file.getFileName(), resolved(file).getFileName()}) {
            Matcher m = LIBRARY_NAME.matcher(name == null ? "" : name.toString());
            if (m.matches()) {
                return Integer.parseInt(m.group(1));
            }
        }
        return -1;
    }

    private static Path resolved(Path file) {
        try {
            return file.toRealPath();
        } catch (IOException e) {
            return file;
        }
    }

    /**
     * Every directory searched, in order: LD_LIBRARY_PATH; the CUDA toolkits ($CUDA_HOME, $CUDA_PATH,
     * /usr/local/cuda, /usr/local/cuda-* newest name first); the Python environments ($VIRTUAL_ENV, $CONDA_PREFIX, the
     * {@code python3} and {@code python} first on PATH, the user site ~/.local/lib/python3.*, pyenv's versions,
     * /usr/local/lib and /usr/lib python3.*, /opt/conda), where each site-packages is searched for the pip wheels'
     * {@code nvidia/cu13/lib}, {@code nvidia/cublas/lib} and {@code nvidia/cu12/lib}; the system library directories;
     * and the directories of cuBLAS entries in {@code ldconfig -p}.
     */
    static List<Path> searchDirectories(Environment e) {
        Set<Path> dirs = new LinkedHashSet<>();
        String ld = e.get("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(":")) {
                if (!d.isBlank()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        // CUDA toolkits.
        for (String var : new String[] {"CUDA_HOME", "CUDA_PATH"}) {
            if (e.get(var) != null) {
                addToolkit(dirs, Path.of(e.get(var)));
            }
        }
        Path usrLocal = e.system("/usr/local");
        addToolkit(dirs, usrLocal.resolve("cuda"));
        list(usrLocal).stream().filter(p -> p.getFileName().toString().startsWith("cuda-"))
                .sorted(Comparator.reverseOrder()).forEach(p -> addToolkit(dirs, p));
        // Python environments: where PyTorch's and NVIDIA's pip wheels put cuBLAS.
        List<Path> sitePackages = new ArrayList<>();
        if (e.get("VIRTUAL_ENV") != null) {
            Path venv = Path.of(e.get("VIRTUAL_ENV"));
            sitePackages.addAll(pythonDirs(venv.resolve("lib"), "site-packages"));
            sitePackages.addAll(pythonDirs(venv.resolve("lib64"), "site-packages"));
        }
        if (e.get("CONDA_PREFIX") != null) {
            Path conda = Path.of(e.get("CONDA_PREFIX"));
            sitePackages.add(conda.resolve("lib"));  // conda's own cuda-libraries packages
            sitePackages.addAll(pythonDirs(conda.resolve("lib"), "site-packages"));
        }
        Set<Path> interpreters = new LinkedHashSet<>();
        for (String exe : new String[] {"python3", "python"}) {
            onPath(exe, e.get("PATH")).ifPresent(py -> {
                if (interpreters.add(resolved(py))) {
                    sitePackages.addAll(e.python().sitePaths(py, e.env()));
                }
            });
        }
        sitePackages.addAll(pythonDirs(e.home().resolve(".local/lib"), "site-packages"));
        Path pyenv = e.get("PYENV_ROOT") != null ? Path.of(e.get("PYENV_ROOT")) : e.home().resolve(".pyenv");
        for (Path version : list(pyenv.resolve("versions"))) {
            sitePackages.addAll(pythonDirs(version.resolve("lib"), "site-packages"));
        }
        for (String lib : new String[] {"/usr/local/lib", "/usr/lib"}) {
            sitePackages.addAll(pythonDirs(e.system(lib), "dist-packages"));
            sitePackages.addAll(pythonDirs(e.system(lib), "site-packages"));
        }
        sitePackages.add(e.system("/opt/conda/lib"));
        sitePackages.addAll(pythonDirs(e.system("/opt/conda/lib"), "site-packages"));
        for (Path sp : sitePackages) {
            if (sp.getFileName() != null && sp.getFileName().toString().endsWith("-packages")) {
                dirs.add(sp.resolve("nvidia/cu13/lib"));
                dirs.add(sp.resolve("nvidia/cublas/lib"));
                dirs.add(sp.resolve("nvidia/cu12/lib"));
            } else {
                dirs.add(sp);  // a prefix's lib directory
            }
        }
        // The system.
        for (String d : new String[] {"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"}) {
            dirs.add(e.system(d));
        }
        dirs.addAll(e.ldconfig().get());
        return new ArrayList<>(dirs);
    }

    private static void addToolkit(Set<Path> dirs, Path toolkit) {
        dirs.add(toolkit.resolve("lib64"));
        dirs.add(toolkit.resolve("targets/x86_64-linux/lib"));
    }

    /** {@code parent/python3*}{@code /packages} for every python3.N directory in {@code parent}. */
    private static List<Path> pythonDirs(Path parent, String packages) {
        return list(parent).stream().filter(p -> p.getFileName().toString().matches("python3(\\.\\d+)?t?"))
                .sorted(Comparator.reverseOrder()).map(p -> p.resolve(packages)).toList();
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).toList();
        } catch (IOException | RuntimeException ex) {
            return List.of();
        }
    }

    static Optional<Path> onPath(String exe, String path) {
        if (path == null) {
            return Optional.empty();
        }
        for (String d : path.split(":")) {
            if (!d.isBlank()) {
                Path p = Path.of(d, exe);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Asks {@code python} for its site-packages, user site and prefix's lib directory, with a timeout: a missing,
     * broken or hanging interpreter gives an empty list, never an error.
     */
    static List<Path> askPython(Path python, Map<String, String> env) {
        return askPython(python, env, PYTHON_TIMEOUT_SECONDS * 1000);
    }

    static List<Path> askPython(Path python, Map<String, String> env, long timeoutMillis) {
        String code = "import site, sys\n"
                + "g = getattr(site, 'getsitepackages', lambda: [])\n"
                + "u = getattr(site, 'getusersitepackages', lambda: '')\n"
                + "for p in list(g()) + [u(), sys.prefix + '/lib']:\n"
                + "    print('ravine-site:' + p)\n";
        List<Path> out = new ArrayList<>();
        Process p = null;
        try {
            ProcessBuilder pb = new ProcessBuilder(python.toString(), "-c", code).redirectErrorStream(true);
            pb.environment().clear();
            pb.environment().putAll(env);
            p = pb.start();
            p.getOutputStream().close();
            if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
                return List.of();
            }
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("ravine-site:") && line.length() > "ravine-site:".length()) {
                        out.add(Path.of(line.substring("ravine-site:".length())));
                    }
                }
            }
            return out;
        } catch (IOException | RuntimeException ex) {
            return List.of();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return List.of();
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    /** Directories of cuBLAS entries in {@code ldconfig -p} ("libcublas.so.13 (libc6,x86-64) => /path/lib"). */
    static List<Path> ldconfigDirectories() {
        List<Path> out = new ArrayList<>();
        for (String exe : new String[] {"/sbin/ldconfig", "/usr/sbin/ldconfig", "ldconfig"}) {
            try {
                Process p = new ProcessBuilder(exe, "-p").redirectErrorStream(true).start();
                try (BufferedReader r = new BufferedReader(
                        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        int arrow = line.indexOf("=> ");
                        if (line.contains("libcublas.so.") && arrow >= 0) {
                            Path parent = Path.of(line.substring(arrow + 3).trim()).getParent();
                            if (parent != null) {
                                out.add(parent);
                            }
                        }
                    }
                }
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroy();
                }
                return out;
            } catch (IOException e) {
                // This ldconfig does not exist; try the next.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return out;
            }
        }
        return out;
    }
}
