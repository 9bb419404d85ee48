package io.ravine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/ravine, the launcher the README's {@code ravine …} commands use (and the GPU bundle's): it finds the jar next to
 * itself or in ../target, takes Java from JAVA_HOME or PATH, passes every argument through unchanged and exits with
 * the JVM's status. A stand-in {@code java} records what it was given.
 */
class LauncherTest {
    private static final Path LAUNCHER = Path.of("bin", "ravine");

    @TempDir
    Path tmp;

    record Run(int status, String err, List<String> javaArgs) {
    }

    /** A directory holding an executable "java" that writes its arguments, one per line, and exits 7. */
    private Path fakeJava(String name) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve(name).resolve("bin"));
        Path java = bin.resolve("java");
        Files.writeString(java, "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"" + tmp.resolve("java-args") + "\"\nexit 7\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return tmp.resolve(name);
    }

    private Path install(String dir) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve(dir));
        Path launcher = bin.resolve("ravine");
        Files.copy(LAUNCHER, launcher);
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        return launcher;
    }

    private Run run(Path launcher, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().remove("JAVA_HOME");
        pb.environment().put("PATH", "/usr/bin:/bin");
        pb.environment().putAll(env);
        Files.deleteIfExists(tmp.resolve("java-args"));
        Process p = pb.redirectErrorStream(false).redirectOutput(tmp.resolve("out").toFile())
                .redirectError(tmp.resolve("err").toFile()).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        Path recorded = tmp.resolve("java-args");
        return new Run(p.exitValue(), Files.readString(tmp.resolve("err"), StandardCharsets.UTF_8),
                Files.exists(recorded) ? Files.readAllLines(recorded) : List.of());
    }

    @Test
    void inACheckoutItRunsTargetsJarWithJavaHomeAndPassesArgumentsAndStatusThrough() throws Exception {
        Path launcher = install("checkout/bin");
        Files.createDirectories(tmp.resolve("checkout/target"));
        Files.writeString(tmp.resolve("checkout/target/ravine.jar"), "");
        Path javaHome = fakeJava("jdk");
        Run r = run(launcher, Map.of("JAVA_HOME", javaHome.toString()), "train", "--run-dir", "a dir with spaces",
                "--lr", "1e-3");
        assertEquals(7, r.status(), r.err());
        Path jar = tmp.resolve("checkout/target/ravine.jar").toRealPath();
        int n = r.javaArgs().size();
        assertEquals("-jar", r.javaArgs().get(n - 7), r.javaArgs().toString());
        assertEquals(jar, Path.of(r.javaArgs().get(n - 6)).toRealPath());
        assertEquals(List.of("train", "--run-dir", "a dir with spaces", "--lr", "1e-3"), r.javaArgs().subList(n - 5, n));
    }

    @Test
    void withoutJavaHomeItTakesJavaFromPathAndFollowsASymlinkToFindTheJar() throws Exception {
        Path launcher = install("opt/ravine");
        Files.writeString(tmp.resolve("opt/ravine/ravine.jar"), "");
        Path link = Files.createDirectories(tmp.resolve("usr/local/bin")).resolve("ravine");
        Files.createSymbolicLink(link, launcher);
        Path javaHome = fakeJava("jre");
        Run r = run(link, Map.of("PATH", javaHome.resolve("bin") + ":/usr/bin:/bin"), "--version");
        assertEquals(7, r.status(), r.err());
        assertEquals("--version", r.javaArgs().get(r.javaArgs().size() - 1));
        assertEquals(tmp.resolve("opt/ravine/ravine.jar").toRealPath(),
                Path.of(r.javaArgs().get(r.javaArgs().size() - 2)).toRealPath());
    }

    @Test
    void noJarOrNoJavaIsOneLineAndStatus2() throws Exception {
        Path launcher = install("empty/bin");
        Run noJar = run(launcher, Map.of());
        assertEquals(2, noJar.status());
        assertEquals(1, noJar.err().lines().count(), noJar.err());
        assertTrue(noJar.err().startsWith("ravine: no ravine.jar in "), noJar.err());
        Files.writeString(tmp.resolve("empty/bin/ravine.jar"), "");
        Run noJava = run(launcher, Map.of("PATH", tmp.resolve("nowhere").toString()));
        assertEquals(2, noJava.status());
        assertEquals(List.of("ravine: no Java found: set JAVA_HOME to a Java 17 (or newer) installation, or put its"
                + " java on PATH"), noJava.err().lines().toList());
    }
}
