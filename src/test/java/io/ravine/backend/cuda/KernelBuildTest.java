package io.ravine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kernels/build.sh's NVCC_ARCH (the variable CudaFaults tells users to set) and the fatbin header reader that checks
 * what a build holds. The builds need nvcc and are skipped with one message where it is absent.
 */
class KernelBuildTest {
    private static final String NO_NVCC = "nvcc is not installed here: kernels/build.sh cannot be run";

    private record Result(int exit, String output) {
    }

    private static Result build(Path out, String nvccArch) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", "kernels/build.sh", out.toString()).redirectErrorStream(true);
        pb.environment().put("NVCC_ARCH", nvccArch);
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "kernels/build.sh timed out");
        return new Result(p.exitValue(), text);
    }

    @Test
    void nvccArchBuildsSassForThatGpuAndPtxForTheHighest(@TempDir Path tmp) throws Exception {
        assumeTrue(CudaWithoutGpuTest.nvccPresent(), NO_NVCC);
        // The layout Maven uses (OUTDIR/../../../.. gets the register report), inside the temp dir.
        Path out = tmp.resolve("classes/io/ravine/kernels");
        Result r = build(out, "86");
        assertEquals(0, r.exit(), r.output());
        for (String family : Kernels.FAMILIES) {
            List<FatbinTargets.Target> targets = FatbinTargets.read(Files.readAllBytes(out.resolve(family + ".fatbin")));
            assertEquals(List.of(new FatbinTargets.Target(false, 86), new FatbinTargets.Target(true, 86)),
                    targets.stream().sorted((a, b) -> Boolean.compare(a.ptx(), b.ptx())).toList(), family);
        }
        String report = Files.readString(tmp.resolve("kernel-resources.txt"));
        assertTrue(report.contains("for 'sm_86'"), report);
        assertTrue(!report.contains("for 'sm_80'") && !report.contains("for 'sm_90'"), report);
    }

    @Test
    void aMalformedNvccArchFailsBeforeCompilingAnything(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("classes/io/ravine/kernels");
        Result r = build(out, "8.6");
        assertNotEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("NVCC_ARCH: '8.6' is not a compute capability"), r.output());
        assertTrue(!Files.exists(out), "nothing written");
    }

    @Test
    void theJarsKernelsHoldTheDefaultTargets() throws IOException {
        assumeTrue(Kernels.missingResource().isEmpty(), "the build had no nvcc: no kernels in the jar");
        for (String family : Kernels.FAMILIES) {
            try (InputStream in = Kernels.class.getResourceAsStream(Kernels.resource(family))) {
                assertEquals(CudaFaults.DEFAULT_KERNEL_TARGETS, FatbinTargets.describe(in.readAllBytes()), family);
            }
        }
    }

    @Test
    void fatbinHeadersAreReadAndNonsenseIsRefused() {
        // Two entries: SASS for sm_120 (kind 2), PTX for compute_120 (kind 1), 8-byte payloads, 64-byte headers.
        ByteBuffer b = ByteBuffer.allocate(16 + 2 * (64 + 8)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0xBA55ED50).putShort(4, (short) 1).putShort(6, (short) 16).putLong(8, 2 * (64 + 8));
        for (int e = 0; e < 2; e++) {
            int at = 16 + e * 72;
            b.putShort(at, (short) (e == 0 ? 2 : 1)).putInt(at + 4, 64).putLong(at + 8, 8).putInt(at + 28, 120);
        }
        assertEquals("SASS for sm_120, PTX for compute_120", FatbinTargets.describe(b.array()));
        assertEquals("SASS for sm_80 and sm_90, PTX for compute_90", FatbinTargets.describe(List.of(
                new FatbinTargets.Target(false, 80), new FatbinTargets.Target(false, 90),
                new FatbinTargets.Target(true, 90))));
        assertThrows(IllegalArgumentException.class, () -> FatbinTargets.read(new byte[] {1, 2, 3}));
        byte[] truncated = java.util.Arrays.copyOf(b.array(), 40);
        assertTrue(FatbinTargets.describe(truncated).startsWith("targets unreadable"), FatbinTargets.describe(truncated));
    }
}
