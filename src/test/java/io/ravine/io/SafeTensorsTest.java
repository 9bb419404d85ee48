package io.ravine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.io.SafeTensors.Contents;
import io.ravine.io.SafeTensors.Dtype;
import io.ravine.io.SafeTensors.Entry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SafeTensorsTest {
    @TempDir
    Path dir;

    @Test
    void roundTripOfEveryDtypeAndMetadata() throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("ravine.step", "12");
        meta.put("note", "θ ≥ 0 <&> \"quoted\"\n");
        List<Entry> entries = List.of(
                Entry.f32("layer0.weight", new long[] {2, 3}, new float[] {1, -2, 3.5f, Float.MIN_VALUE, -0f,
                    Float.MAX_VALUE}),
                Entry.f64("theta", new long[] {4}, new double[] {Math.PI, -1e-300, Double.NaN,
                    Double.NEGATIVE_INFINITY}),
                Entry.i64("step", new long[] {}, new long[] {Long.MIN_VALUE + 1}),
                Entry.f32("empty", new long[] {0, 5}, new float[0]),
                Entry.i64("counts", new long[] {1, 1, 2}, new long[] {7, -8}));
        Path f = dir.resolve("ckpt.safetensors");
        SafeTensors.write(f, entries, meta);

        byte[] bytes = Files.readAllBytes(f);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "data starts 8-aligned");
        assertEquals(8 + headerLength + 24 + 32 + 8 + 0 + 16, bytes.length);

        Contents c = SafeTensors.read(f);
        assertEquals(meta, c.metadata());
        assertEquals(List.of("layer0.weight", "theta", "step", "empty", "counts"), List.copyOf(c.tensors().keySet()));
        for (Entry e : entries) {
            Entry r = c.get(e.name());
            assertEquals(e.dtype(), r.dtype());
            assertArrayEquals(e.shape(), r.shape());
            switch (e.dtype()) {
                case F32 -> assertArrayEquals(e.floats(), r.floats());
                case F64 -> assertArrayEquals(e.doubles(), r.doubles());
                case I64 -> assertArrayEquals(e.longs(), r.longs());
            }
        }
        assertArrayEquals(bytes, SafeTensors.toBytes(entries, meta), "toBytes is what write writes");
        assertEquals(meta, SafeTensors.read("memory", bytes).metadata());
    }

    @Test
    void noMetadataWritesOnlyTheChecksum() throws IOException {
        Path f = dir.resolve("plain.safetensors");
        SafeTensors.write(f, List.of(Entry.f32("x", new float[] {1})), null);
        String text = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
        assertTrue(text.matches("(?s).*\\{\"__metadata__\":\\{\"ravine\\.crc32c\":\"[0-9a-f]{8}\"},\"x\".*"), text);
        Contents c = SafeTensors.read(f);
        assertEquals(Map.of(), c.metadata(), "the checksum entry is the reader's business, not the caller's");
        assertTrue(c.checksummed());
        byte[] plain = SafeTensors.toBytesWithoutChecksum(List.of(Entry.f32("x", new float[] {1})), null);
        assertFalse(new String(plain, StandardCharsets.UTF_8).contains("__metadata__"));
        assertFalse(SafeTensors.read("plain", plain).checksummed());
    }

    @Test
    void byteForByteAgainstAHandAssembledFile() throws IOException {
        // The header JSON is 132 bytes; 4 spaces pad it to 136 = 0x88 so the data starts at byte 144.
        String json = "{\"__metadata__\":{\"k\":\"v\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}";
        assertEquals(132, json.length());
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.write(new byte[] {(byte) 0x88, 0, 0, 0, 0, 0, 0, 0});
        expected.write(json.getBytes(StandardCharsets.US_ASCII));
        expected.write("    ".getBytes(StandardCharsets.US_ASCII));
        expected.write(new byte[] {0, 0, (byte) 0x80, 0x3F}); // 1.0f = 0x3F800000, little-endian
        expected.write(new byte[] {0, 0, 0, (byte) 0xC0}); // -2.0f = 0xC0000000
        expected.write(new byte[] {7, 0, 0, 0, 0, 0, 0, 0}); // 7L

        assertArrayEquals(expected.toByteArray(), SafeTensors.toBytesWithoutChecksum(List.of(
                Entry.f32("a", new float[] {1, -2}), Entry.i64("n", new long[0], new long[] {7})), Map.of("k", "v")));
    }

    @Test
    void readsTensorsWhoseHeaderOrderDiffersFromOffsetOrder() throws IOException {
        // The reference writer orders data by alignment, then name; header order carries no meaning.
        Path f = raw("reordered", header("{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                + "\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}"), le(2.5), le(1.5f));
        Contents c = SafeTensors.read(f);
        assertEquals(List.of("b", "a"), List.copyOf(c.tensors().keySet()));
        assertArrayEquals(new float[] {1.5f}, c.get("b").floats());
        assertArrayEquals(new double[] {2.5}, c.get("a").doubles());
    }

    @Test
    void readsAFileWrittenByTheReferenceImplementation() {
        // Python safetensors 0.8.0: save_file({"b": arange(3, f32), "a": [[1.5, 2.5]] f64, "i": array(7, i64)},
        // metadata={"x": "y"}). Its writer orders the data by alignment (i, a, b) and pads the header with spaces.
        byte[] bytes = java.util.Base64.getDecoder().decode(
                "wAAAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJ4IjoieSJ9LCJpIjp7ImR0eXBlIjoiSTY0Iiwic2hhcGUiOltdLCJkYXRhX29mZnNl"
                + "dHMiOlswLDhdfSwiYSI6eyJkdHlwZSI6IkY2NCIsInNoYXBlIjpbMSwyXSwiZGF0YV9vZmZzZXRzIjpbOCwyNF19LCJiIjp7"
                + "ImR0eXBlIjoiRjMyIiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbMjQsMzZdfX0gICAHAAAAAAAAAAAAAAAAAPg/AAAA"
                + "AAAABEAAAAAAAACAPwAAAEA=");
        Contents c = SafeTensors.read("reference", bytes);
        assertEquals(Map.of("x", "y"), c.metadata());
        assertArrayEquals(new long[0], c.get("i").shape());
        assertArrayEquals(new long[] {7}, c.get("i").longs());
        assertArrayEquals(new long[] {1, 2}, c.get("a").shape());
        assertArrayEquals(new double[] {1.5, 2.5}, c.get("a").doubles());
        assertArrayEquals(new float[] {0, 1, 2}, c.get("b").floats());
        // Written back in the same order, our bytes are the reference's.
        assertArrayEquals(bytes, SafeTensors.toBytesWithoutChecksum(List.copyOf(c.tensors().values()),
                c.metadata()));
        assertFalse(c.checksummed(), "a file without the checksum entry is read as it is");
    }

    static Stream<Arguments> corrupt() {
        String a8 = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
        byte[] eight = new byte[8];
        return Stream.of(
                Arguments.of("empty", new byte[0], "shorter than 8 bytes (0)"),
                Arguments.of("truncated length", new byte[] {1, 0, 0}, "shorter than 8 bytes (3)"),
                Arguments.of("header beyond file", cat(new byte[] {100, 0, 0, 0, 0, 0, 0, 0}, ascii("{}")),
                        "header length 100 exceeds the 2 bytes after the length field"),
                Arguments.of("u64 above 2^63", cat(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1}, ascii("{}")),
                        "header length 18446744073709551615 exceeds"),
                Arguments.of("bad json", cat(header("{\"a\": {\"dtype\": "), eight), "header is not valid JSON"),
                Arguments.of("lenient json", cat(header("{a:{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"),
                        eight), "header is not valid JSON"),
                Arguments.of("not an object", header("[1, 2]"), "header is not a JSON object"),
                Arguments.of("two objects", header("{}{}"), "header is not valid JSON"),
                Arguments.of("not utf-8", cat(new byte[] {4, 0, 0, 0, 0, 0, 0, 0}, new byte[] {'{', (byte) 0xC3, '(',
                    '}'}), "header is not UTF-8"),
                Arguments.of("offsets out of order", cat(header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                        + "\"data_offsets\":[8,0]}}"), eight), "data_offsets out of order [8, 0]"),
                Arguments.of("offsets beyond the data", cat(header("{" + a8 + "}"), new byte[4]),
                        "tensor 'a' ends at byte 8 of a data buffer of 4 bytes"),
                Arguments.of("overlapping", cat(header("{" + a8 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],"
                        + "\"data_offsets\":[4,12]}}"), new byte[12]), "tensor 'b' at bytes [4, 12) overlaps"),
                Arguments.of("gap", cat(header("{" + a8 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],"
                        + "\"data_offsets\":[12,20]}}"), new byte[20]), "gap in the data buffer: bytes [8, 12)"),
                Arguments.of("size mismatch", cat(header("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],"
                        + "\"data_offsets\":[0,8]}}"), eight), "needs 12 bytes, data_offsets give 8"),
                Arguments.of("trailing bytes", cat(header("{" + a8 + "}"), new byte[11]),
                        "3 trailing bytes after the last tensor"),
                Arguments.of("f16", cat(header("{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}"),
                        new byte[4]), "tensor 'h' has unsupported dtype F16"),
                Arguments.of("bf16", cat(header("{\"h\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}"),
                        new byte[4]), "tensor 'h' has unsupported dtype BF16"),
                Arguments.of("duplicate name", cat(header("{" + a8 + "," + a8 + "}"), eight),
                        "duplicate key 'a'"),
                Arguments.of("negative dim", cat(header("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],"
                        + "\"data_offsets\":[0,8]}}"), eight), "shape holds a negative value -2"),
                Arguments.of("fractional dim", cat(header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],"
                        + "\"data_offsets\":[0,8]}}"), eight), "not a 64-bit integer"),
                Arguments.of("no dtype", cat(header("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}"), eight),
                        "tensor 'a' has no dtype string"),
                Arguments.of("three offsets", cat(header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                        + "\"data_offsets\":[0,4,8]}}"), eight), "data_offsets has 3 values, expected 2"),
                Arguments.of("metadata not strings", header("{\"__metadata__\":{\"step\":12}}"),
                        "__metadata__ value for 'step' is not a string"),
                Arguments.of("shape overflows", cat(header("{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,"
                        + "4294967296],\"data_offsets\":[0,8]}}"), eight), "overflows"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corrupt")
    void corruptFilesGiveOneLineNamingTheFile(String name, byte[] bytes, String expected) throws IOException {
        Path f = dir.resolve(name.replace(' ', '_') + ".safetensors");
        Files.write(f, bytes);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith(f.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void missingFile() {
        Path f = dir.resolve("nope.safetensors");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> SafeTensors.read(f));
        assertEquals(f + ": no such file", e.getMessage());
    }

    @Test
    void writerRejectsBadEntries() {
        Path f = dir.resolve("x.safetensors");
        Entry a = Entry.f32("a", new float[] {1});
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(f, List.of(a, a), null));
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(f, List.of(Entry.f32("__metadata__", new float[1])), null));
        assertThrows(IllegalArgumentException.class, () -> new Entry("a", Dtype.F64, new long[] {1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> Entry.f32("a", new long[] {2, 2}, new float[3]));
        assertThrows(IllegalStateException.class, () -> a.doubles());
        assertFalse(Files.exists(f), "nothing written");
    }

    // ---- helpers for hand-made files ----

    /** Length prefix plus the JSON, unpadded (padding is the writer's courtesy, not a reader's requirement). */
    private static byte[] header(String json) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        return cat(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(j.length).array(), j);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] le(double v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(v).array();
    }

    private static byte[] le(float v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array();
    }

    private static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private Path raw(String name, byte[]... parts) throws IOException {
        Path f = dir.resolve(name + ".safetensors");
        Files.write(f, cat(parts));
        return f;
    }
}
