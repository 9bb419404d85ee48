package io.ravine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesAndReplaces() throws IOException {
        Path f = dir.resolve("config.json");
        AtomicFiles.writeString(f, "{\"lr\": 0.1, \"θ\": \"≥\"}");
        assertEquals("{\"lr\": 0.1, \"θ\": \"≥\"}", Files.readString(f, StandardCharsets.UTF_8));
        AtomicFiles.write(f, out -> out.write("second".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("second", Files.readString(f));
        assertEquals(List.of("config.json"), listing());
    }

    @Test
    void largeBodyAndAClosingBodyAreFine() throws IOException {
        Path f = dir.resolve("big.bin");
        byte[] data = new byte[300_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        AtomicFiles.write(f, out -> {
            out.write(data, 0, 1000);
            for (int i = 1000; i < 2000; i++) {
                out.write(data[i]);
            }
            out.write(data, 2000, data.length - 2000);
            out.close();
        });
        assertEquals(java.util.Arrays.hashCode(data), java.util.Arrays.hashCode(Files.readAllBytes(f)));
    }

    @Test
    void failingBodyLeavesTheOldFileAndNoTemporary() throws IOException {
        Path f = dir.resolve("checkpoint.safetensors");
        AtomicFiles.writeString(f, "old contents");
        IOException boom = new IOException("disk full");
        IOException thrown = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write("half of the new contents".getBytes(StandardCharsets.US_ASCII));
            throw boom;
        }));
        assertSame(boom, thrown);
        assertEquals("old contents", Files.readString(f));
        assertEquals(List.of("checkpoint.safetensors"), listing());

        UncheckedIOException unchecked = new UncheckedIOException(boom);
        assertSame(unchecked, assertThrows(UncheckedIOException.class, () -> AtomicFiles.write(f, out -> {
            out.write(new byte[100_000]);
            throw unchecked;
        })));
        assertEquals("old contents", Files.readString(f));
        assertEquals(List.of("checkpoint.safetensors"), listing());
    }

    @Test
    void failingBodyWithNoOldFileLeavesNothing() throws IOException {
        Path f = dir.resolve("new.txt");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(f, out -> {
            throw new IllegalStateException("no");
        }));
        assertEquals(List.of(), listing());
    }

    @Test
    void writesIntoTheTargetsDirectoryAndFailsWhereThereIsNone() throws IOException {
        Path f = dir.resolve("sub").resolve("x.txt");
        Files.createDirectories(f.getParent());
        AtomicFiles.writeString(f, "x");
        assertEquals("x", Files.readString(f));
        assertThrows(IOException.class, () -> AtomicFiles.writeString(dir.resolve("missing").resolve("y"), "y"));
    }

    @Test
    void leftoversOfAKilledWriteAreRecognisedAndOnlyTheyAreDeleted() throws IOException {
        Path f = dir.resolve("summary.json");
        List<String> during = new java.util.ArrayList<>();
        // The temporary as a kill in the middle of the body would leave it.
        AtomicFiles.write(f, out -> {
            out.write('{');
            during.addAll(listing());
        });
        assertEquals(1, during.size(), during.toString());
        assertEquals(true, AtomicFiles.isTemporaryName(during.get(0)), during.get(0));
        Files.writeString(dir.resolve(during.get(0)), "{");
        for (String keep : List.of(".hidden", "notes.tmp", ".summary.json.tmp", ".x.0123456789AB.tmp")) {
            Files.writeString(dir.resolve(keep), "user's");
        }
        assertEquals(1, AtomicFiles.deleteLeftovers(dir));
        assertEquals(List.of(".hidden", ".summary.json.tmp", ".x.0123456789AB.tmp", "notes.tmp", "summary.json"),
                listing());
        assertEquals(0, AtomicFiles.deleteLeftovers(dir.resolve("absent")));
    }
}
