package io.ravine.io;

import io.ravine.InvalidInputException;
import io.ravine.cli.Main;
import io.ravine.data.IdxReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Hostile safetensors files (and IDX headers) that claim far more than they hold, and a {@code main} that reads
 * each in a small heap: run as a child JVM with -Xmx64m, it proves that no allocation follows a claimed size. It
 * prints one "ravine: " line per refused file and exits 2 when every file was refused with an
 * {@link InvalidInputException}, 1 (naming the file) otherwise; an OutOfMemoryError is a failure.
 */
public final class HostileFiles {
    private HostileFiles() {
    }

    /** A hostile case: the file's bytes and what the refusal must say. */
    public record Case(String name, byte[] bytes, String problem) {
        @Override
        public String toString() {
            return name;
        }
    }

    static byte[] header(String json) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        return cat(le(j.length), j);
    }

    static byte[] le(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static String tensor(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets
                + "}";
    }

    /** The hostile headers of issue 7 beyond those SafeTensorsTest already covers. */
    public static List<Case> safetensorsCases() {
        byte[] eight = new byte[8];
        String a8 = tensor("a", "F32", "[2]", "[0,8]");
        List<Case> c = new ArrayList<>();
        c.add(new Case("header length 2^63", cat(le(Long.MIN_VALUE), "{}".getBytes(StandardCharsets.US_ASCII)),
                "header length 9223372036854775808 exceeds"));
        c.add(new Case("header length 2^40", cat(le(1L << 40), "{}".getBytes(StandardCharsets.US_ASCII)),
                "header length 1099511627776 exceeds"));
        c.add(new Case("header length beyond the file", cat(le(64), "{}".getBytes(StandardCharsets.US_ASCII)),
                "header length 64 exceeds"));
        c.add(new Case("header length 0", cat(le(0), eight), "header of 0 bytes"));
        c.add(new Case("header length 1", cat(le(1), "{".getBytes(StandardCharsets.US_ASCII), eight),
                "header of 1 bytes"));
        c.add(new Case("header not utf-8", cat(le(4), new byte[] {'{', (byte) 0xFF, (byte) 0xFE, '}'}),
                "not UTF-8"));
        c.add(new Case("header not json", header("safetensors? no"), "not valid JSON"));
        c.add(new Case("header a json array", header("[{\"a\":1}]"), "not a JSON object"));
        c.add(new Case("header a json string", header("\"{}\""), "not a JSON object"));
        c.add(new Case("offsets beyond the file", cat(header("{" + tensor("a", "F32", "[4]", "[0,16]") + "}"),
                eight), "ends at byte 16 of a data buffer of 8 bytes"));
        c.add(new Case("overlapping tensors", cat(header("{" + a8 + "," + tensor("b", "F32", "[2]", "[4,12]")
                + "}"), new byte[12]), "overlaps"));
        c.add(new Case("same range twice", cat(header("{" + a8 + "," + tensor("b", "F32", "[2]", "[0,8]") + "}"),
                eight), "overlaps"));
        c.add(new Case("gap between tensors", cat(header("{" + a8 + "," + tensor("b", "F32", "[1]", "[12,16]")
                + "}"), new byte[16]), "gap in the data buffer"));
        c.add(new Case("negative offset", cat(header("{" + tensor("a", "F32", "[2]", "[-8,0]") + "}"), eight),
                "negative value -8"));
        c.add(new Case("fractional offset", cat(header("{" + tensor("a", "F32", "[2]", "[0,8.5]") + "}"), eight),
                "not a 64-bit integer"));
        c.add(new Case("offset beyond long", cat(header("{" + tensor("a", "F32", "[2]",
                "[0,99999999999999999999999]") + "}"), eight), "not a 64-bit integer"));
        c.add(new Case("offset a string", cat(header("{" + tensor("a", "F32", "[2]", "[\"0\",8]") + "}"), eight),
                "non-number"));
        c.add(new Case("dtype F8_E4M3", cat(header("{" + tensor("a", "F8_E4M3", "[8]", "[0,8]") + "}"), eight),
                "unsupported dtype F8_E4M3"));
        c.add(new Case("dtype XYZ", cat(header("{" + tensor("a", "XYZ", "[2]", "[0,8]") + "}"), eight),
                "unsupported dtype XYZ"));
        c.add(new Case("shape product overflows long", cat(header("{" + tensor("a", "F32",
                "[4294967296,4294967296,4]", "[0,8]") + "}"), eight), "overflows"));
        c.add(new Case("shape bytes overflow long", cat(header("{" + tensor("a", "F64",
                "[2305843009213693952]", "[0,8]") + "}"), eight), "overflows"));
        // 2³¹ floats with offsets that match them: consistent, and still refused before an 8 GiB allocation.
        c.add(new Case("2^31 elements with matching offsets", cat(header("{" + tensor("a", "F32", "[2147483648]",
                "[0,8589934592]") + "}"), eight), "more than a Java array holds"));
        // 400 MB claimed, 8 bytes present: refused against the file size (a 64 MB heap could not hold the claim).
        c.add(new Case("100M floats claimed, 8 bytes present", cat(header("{" + tensor("a", "F32", "[100000000]",
                "[0,400000000]") + "}"), eight), "ends at byte 400000000 of a data buffer of 8 bytes"));
        c.add(new Case("duplicate tensor key", cat(header("{" + a8 + "," + a8 + "}"), eight), "duplicate key 'a'"));
        c.add(new Case("duplicate __metadata__", header("{\"__metadata__\":{},\"__metadata__\":{}}"),
                "duplicate key '__metadata__'"));
        c.add(new Case("__metadata__ an array", header("{\"__metadata__\":[\"a\",\"b\"]}"),
                "__metadata__ is not an object"));
        c.add(new Case("__metadata__ a string", header("{\"__metadata__\":\"x\"}"), "__metadata__ is not an object"));
        c.add(new Case("tensor entry not an object", cat(header("{\"a\":[0,8]}"), eight), "is not an object"));
        c.add(new Case("checksum not hex", cat(header("{\"__metadata__\":{\"ravine.crc32c\":\"zzzz\"}," + a8 + "}"),
                eight), "checksum mismatch"));
        return c;
    }

    /** IDX files whose headers claim more than can or should be allocated. */
    public static List<Case> idxCases() {
        return List.of(
                new Case("idx 2^31 images of 2^16x2^16", io.ravine.data.BadDataCorpus.idxHeader(1L << 31, 1 << 16,
                        1 << 16), "fit in memory"),
                new Case("idx 784 MB claimed by a 16-byte file", io.ravine.data.BadDataCorpus.idxHeader(1_000_000,
                        28, 28), "truncated data"),
                new Case("idx 784 MB claimed by a small gzip", io.ravine.data.BadDataCorpus.gzip(
                        io.ravine.data.BadDataCorpus.idxHeader(1_000_000, 28, 28)), "truncated data"));
    }

    /**
     * {@code HostileFiles DIR CSV}: reads every *.safetensors and *.idx file in DIR, then runs {@code train} on the
     * CSV with a model too large for the heap (the out-of-memory net must give one line and status 2).
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        int failures = 0;
        List<Path> files;
        try (var list = Files.list(dir)) {
            files = list.sorted().toList();
        }
        for (Path f : files) {
            try {
                if (f.toString().endsWith(".safetensors")) {
                    SafeTensors.read(f);
                } else {
                    IdxReader.read(f);
                }
                System.out.println("ACCEPTED " + f);
                failures++;
            } catch (InvalidInputException e) {
                System.out.println("ravine: " + e.getMessage());
            } catch (Throwable t) {
                System.out.println("FAILED " + f + ": " + t);
                failures++;
            }
        }
        // 2 inputs, two hidden layers of 20 000 000 and 10: ~240 M parameters, 1 GB per float vector.
        int status = Main.execute("train", "--device", "cpu", "--progress", "off", "--data", args[1], "--steps", "1",
                "--hidden", "20000000,10", "--run-dir", dir.resolve("oom-run").toString());
        System.out.println("train status " + status);
        System.exit(failures == 0 && status == Main.EXIT_BAD_INPUT ? 2 : 1);
    }
}
