package io.ravine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU discovery script that ships with the module, on a machine without a GPU: a fake nvidia-smi stands in.
 * (A task that Spark assigns a GPU that cannot be opened: {@link LocalClusterTest}.)
 */
class GpuSchedulingTest {
    @TempDir
    Path tmp;

    private static final Path SCRIPT = Path.of("bin", "gpu-discovery.sh").toAbsolutePath();

    /** Runs the discovery script with a fake nvidia-smi that lists {@code gpus} GPUs (none: no nvidia-smi). */
    private String discover(Path dir, Integer gpus, String visible) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        if (gpus != null) {
            Path smi = bin.resolve("nvidia-smi");
            StringBuilder lines = new StringBuilder();
            for (int i = 0; i < gpus; i++) {
                lines.append(i).append("\\n");
            }
            Files.writeString(smi, "#!/bin/sh\nprintf '" + lines + "'\n");
            Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString());
        Map<String, String> env = pb.environment();
        env.put("PATH", bin + ":/usr/bin:/bin");
        env.remove("CUDA_VISIBLE_DEVICES");
        if (visible != null) {
            env.put("CUDA_VISIBLE_DEVICES", visible);
        }
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void theDiscoveryScriptListsCudaOrdinals() throws Exception {
        assertEquals("{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\", \"2\"]}", discover(tmp.resolve("a"), 3, null));
        assertEquals("{\"name\": \"gpu\", \"addresses\": [\"0\"]}", discover(tmp.resolve("b"), 3, "2"));
        assertEquals("{\"name\": \"gpu\", \"addresses\": []}", discover(tmp.resolve("c"), null, null));
    }
}
