package io.ravine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.data.IdxReader;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Hostile safetensors headers and IDX claims: refused by name, and refused in a 64 MB heap. */
class HostileFilesTest {
    @TempDir
    Path dir;

    static List<HostileFiles.Case> safetensorsCases() {
        return HostileFiles.safetensorsCases();
    }

    static List<HostileFiles.Case> idxCases() {
        return HostileFiles.idxCases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("safetensorsCases")
    void safetensorsRefusedWithOneLine(HostileFiles.Case c) throws IOException {
        Path f = dir.resolve(c.name().replaceAll("[^A-Za-z0-9]+", "-") + ".safetensors");
        Files.write(f, c.bytes());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(c.problem()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("idxCases")
    void idxClaimsRefusedWithOneLine(HostileFiles.Case c) throws IOException {
        Path f = dir.resolve(c.name().replaceAll("[^A-Za-z0-9]+", "-") + ".idx");
        Files.write(f, c.bytes());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> IdxReader.read(f));
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(c.problem()), e.getMessage());
    }

    @Test
    void everyHostileFileIsRefusedInA64MegabyteHeap() throws Exception {
        int n = 0;
        for (HostileFiles.Case c : HostileFiles.safetensorsCases()) {
            Files.write(dir.resolve(String.format("%02d.safetensors", n++)), c.bytes());
        }
        for (HostileFiles.Case c : HostileFiles.idxCases()) {
            Files.write(dir.resolve(String.format("%02d.idx", n++)), c.bytes());
        }
        Path data = Files.createTempFile("ravine-tiny", ".csv");
        Files.writeString(data, "a,b,label\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n");
        try {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                    HostileFiles.class.getName(), dir.toString(), data.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
            List<String> refusals = out.lines().filter(l -> l.startsWith("ravine: ")).toList();
            assertEquals(2, p.exitValue(), out);
            assertEquals(n + 1, refusals.size(), "one line per file, and one naming --hidden for the model too large: " + out);
            assertTrue(refusals.get(refusals.size() - 1).contains("--hidden 20000000,10: the model"), out);
            assertFalse(out.contains("\tat "), out);
            assertFalse(Files.exists(dir.resolve("oom-run")), "the refused run left no directory");
        } finally {
            Files.delete(data);
        }
    }
}
