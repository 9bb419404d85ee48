package io.ravine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a class of the test class path in a fresh JVM: native libraries load once per JVM, so tests of loading do. */
final class ChildJvm {
    record Result(int status, String out, String err) {
    }

    private ChildJvm() {
    }

    /** The test class path (surefire may hide it behind a manifest-only jar in java.class.path). */
    static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /** {@code java [jvmArgs] -cp TESTCP mainClass args} with the environment changed by {@code env} (null removes). */
    static Result run(Map<String, String> env, List<String> jvmArgs, Class<?> mainClass, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(command(jvmArgs, mainClass));
        cmd.addAll(List.of(args));
        return exec(env, cmd);
    }

    static List<String> command(List<String> jvmArgs, Class<?> mainClass) {
        List<String> cmd = new ArrayList<>(List.of(java().toString(), "-XX:-UsePerfData"));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", classPath(), mainClass.getName()));
        return cmd;
    }

    static Result exec(Map<String, String> env, List<String> cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        Process p = pb.start();
        p.getOutputStream().close();
        // Both streams are small; read stderr on another thread so neither pipe can fill and block the child.
        StringBuilder err = new StringBuilder();
        Thread errReader = new Thread(() -> {
            try {
                err.append(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                err.append(e);
            }
        });
        errReader.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child did not finish: " + cmd);
        errReader.join();
        return new Result(p.exitValue(), out, err.toString());
    }
}
