package io.ravine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The real thing, in a mount namespace: the temporary directory (java.io.tmpdir, a fresh mount point under target/
 * standing in for /tmp, so that a checkout under /tmp keeps its class path) is a {@code noexec} tmpfs holding a garbage
 * file owned by another user under the fixed name JCuda extracts its driver library to. JCuda on its own (the control, as Ravine loaded it
 * before) fails with the linker's complaint about that file; Ravine, which extracts into its private directory, says
 * what is really wrong on the machine. Skipped with one message where mount namespaces are not permitted.
 */
class NativeDirectoryNamespaceTest {
    private static final String JCUDA_FILE_NAME = "libJCudaDriver-12.6.0-linux-x86_64.so";
    private static final String[] BAD = {"failed to map segment", "invalid ELF header", "file too short"};
    private static final String PLANTED = "a file planted under the name JCuda extracts to: not an ELF library, and not"
            + " ours either";

    private static String q(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static String java(String... jvmArgsThenMode) {
        List<String> jvm = new ArrayList<>(List.of(jvmArgsThenMode).subList(0, jvmArgsThenMode.length - 1));
        List<String> cmd = ChildJvm.command(jvm, NativeLoadProbeMain.class);
        cmd.add(jvmArgsThenMode[jvmArgsThenMode.length - 1]);
        return String.join(" ", cmd.stream().map(NativeDirectoryNamespaceTest::q).toList());
    }

    /** The sections of the script's output, by their "== name" header. */
    private static Map<String, String> sections(String out) {
        Map<String, String> s = new LinkedHashMap<>();
        String name = "";
        for (String line : out.split("\n")) {
            if (line.startsWith("== ")) {
                name = line.substring(3).strip();
                s.put(name, "");
            } else {
                s.merge(name, line + "\n", String::concat);
            }
        }
        return s;
    }

    @Test
    void onANoexecTmpWithAPlantedFileRavineNamesTheRealCauseWhereJCudaAloneDoesNot() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put(NativeDirectory.ENV, null);
        env.put("XDG_RUNTIME_DIR", null);
        env.put("RAVINE_LOG_LEVEL", "WARN");
        Path base = Files.createDirectories(Path.of("target", "native-namespace-test", "run-" + System.nanoTime())
                .toAbsolutePath()).toRealPath();
        // The temporary directory: a mount point made noexec inside the namespace only.
        Path tmp = Files.createDirectories(base.resolve("tmp"));
        String tmpDir = tmp.toString();
        String jcudaFile = tmpDir + "/" + JCUDA_FILE_NAME;
        boolean permitted = CudaWithoutGpuTest.onPath("unshare") && ChildJvm.exec(env, List.of("unshare", "-m", "sh",
                "-c", "mount -t tmpfs -o noexec tmpfs " + q(tmpDir))).status() == 0;
        if (!permitted) {
            NativeDirectory.deleteTree(base);
        }
        assumeTrue(permitted, "mount namespaces are not permitted here (unshare -m with mount): test skipped");

        // Beside the noexec mount: a home whose ~/.cache/ravine is on an exec-allowing file system.
        Path home = Files.createDirectories(base.resolve("home"));
        String tmpFlag = "-Djava.io.tmpdir=" + tmpDir;
        String script = String.join("\n",
                "set -u",
                "mount -t tmpfs -o noexec tmpfs " + q(tmpDir) + " || exit 97",
                "echo '== control-noexec'",
                java(tmpFlag, "jcuda") + " 2>&1",
                "echo " + q(PLANTED) + " > " + q(jcudaFile),
                "chown 12345:12345 " + q(jcudaFile),
                "echo '== control-planted'",
                java(tmpFlag, "jcuda") + " 2>&1",
                "echo '== ravine'",
                java(tmpFlag, "-Duser.home=" + home, "ravine") + " 2>&1",
                "echo '== after'",
                "stat -c 'planted owner %u size %s' " + q(jcudaFile),
                "ls -A " + q(home + "/.cache/ravine") + " | sed 's/^/left /'",
                "echo '== nowhere'",
                java(tmpFlag, "-Duser.home=" + tmpDir + "/home", "ravine") + " 2>&1");
        ChildJvm.Result r;
        try {
            r = ChildJvm.exec(env, List.of("unshare", "-m", "sh", "-c", script));
        } finally {
            NativeDirectory.deleteTree(base);
        }
        assumeTrue(r.status() != 97, "mounting a tmpfs on /tmp failed in the namespace: test skipped");
        Map<String, String> s = sections(r.out());
        String all = r.out() + r.err();

        // The controls: JCuda by itself trips over the noexec mount, then over the planted file.
        assertTrue(s.getOrDefault("control-noexec", "").contains("error: failed to map segment"), all);
        String planted = s.getOrDefault("control-planted", "");
        assertTrue(planted.contains("error: invalid ELF header") || planted.contains("error: file too short"), all);

        // Ravine: the cause this machine really has, from a private directory under ~/.cache/ravine.
        String ravine = s.getOrDefault("ravine", "");
        for (String bad : BAD) {
            assertFalse(ravine.contains(bad), all);
        }
        String here = CudaBackend.unavailableReason().orElse("none");
        if (here.contains("libcuda.so.1")) {
            assertTrue(ravine.contains("reason: no NVIDIA driver: JCuda's driver library needs libcuda.so.1"), all);
        } else {
            assertTrue(ravine.contains("reason: " + here), all);
        }
        assertTrue(ravine.contains("dir: " + home.resolve(".cache/ravine") + "/ravine-native-"), all);
        // The planted file is left alone, and the private directory was removed when the JVM exited.
        String after = s.getOrDefault("after", "");
        assertTrue(after.contains("planted owner 12345 size " + (PLANTED.length() + 1)), all);
        assertFalse(after.contains("left "), all);

        // With every candidate on a noexec mount: one line, what was tried, the setting to use.
        String nowhere = s.getOrDefault("nowhere", "");
        assertTrue(nowhere.contains("reason: no directory to extract native libraries into: tried java.io.tmpdir="
                + tmpDir + " (on a noexec mount at " + tmpDir + "), XDG_RUNTIME_DIR (not set), ~/.cache/ravine="
                + tmpDir + "/home/.cache/ravine (on a noexec mount at " + tmpDir + ")"), all);
        assertTrue(nowhere.contains("; set RAVINE_NATIVE_DIR to a writable directory on a file system mounted without"
                + " noexec"), all);
        assertEquals(0, r.status(), all);
    }
}
