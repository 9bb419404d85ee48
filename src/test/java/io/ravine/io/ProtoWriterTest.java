package io.ravine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * {@link ProtoWriter} against bytes derived by hand from the wire-format specification
 * (https://protobuf.dev/programming-guides/encoding/): key = (field << 3) | wire type as a varint; varints 7 bits a
 * byte, low group first, continuation bit 0x80; LEN = varint length + bytes; I32 = 4 little-endian bytes. The
 * first cases are the specification's own examples (150 → 96 01; "testing" in field 2; an embedded message in
 * field 3).
 */
class ProtoWriterTest {

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void varintsAsTheSpecificationEncodesThem() {
        // 150 = 1001 0110 → low 7 bits 001 0110 with the continuation bit (0x96), then 1 (0x01).
        assertArrayEquals(hex("08 96 01"), new ProtoWriter().int64(1, 150).toByteArray());
        assertArrayEquals(hex("08 00"), new ProtoWriter().int64(1, 0).toByteArray());
        assertArrayEquals(hex("08 7f"), new ProtoWriter().int64(1, 127).toByteArray());
        assertArrayEquals(hex("08 80 01"), new ProtoWriter().int64(1, 128).toByteArray());
        // 300 = 10 0101100 → AC 02.
        assertArrayEquals(hex("08 ac 02"), new ProtoWriter().int64(1, 300).toByteArray());
        // Long.MAX_VALUE: 63 one bits → eight 0xFF then 0x7F.
        assertArrayEquals(hex("08 ff ff ff ff ff ff ff ff 7f"),
                new ProtoWriter().int64(1, Long.MAX_VALUE).toByteArray());
    }

    @Test
    void negativeIntegersAreTenBytesAsProtobufSignExtendsThem() {
        // -1 as uint64 is 2^64 - 1: nine groups of 7 one bits (0xFF each) and a last group holding the 64th bit.
        assertArrayEquals(hex("08 ff ff ff ff ff ff ff ff ff 01"), new ProtoWriter().int64(1, -1).toByteArray());
        // int32 -2 is sign-extended to 64 bits before encoding (not zig-zag: that is sint32).
        assertArrayEquals(hex("10 fe ff ff ff ff ff ff ff ff 01"), new ProtoWriter().int32(2, -2).toByteArray());
    }

    @Test
    void keysOfLargerFieldNumbers() {
        // Field 15, VARINT: 15 << 3 = 120 = 0x78, one byte. Field 16: 128 → 80 01. Field 20 (AttributeProto.type):
        // 160 → A0 01. Field 14, LEN (ModelProto.metadata_props): 14 << 3 | 2 = 114 = 0x72.
        assertArrayEquals(hex("78 05"), new ProtoWriter().int64(15, 5).toByteArray());
        assertArrayEquals(hex("80 01 01"), new ProtoWriter().int64(16, 1).toByteArray());
        assertArrayEquals(hex("a0 01 02"), new ProtoWriter().int64(20, 2).toByteArray());
        assertArrayEquals(hex("72 00"), new ProtoWriter().bytes(14, new byte[0]).toByteArray());
    }

    @Test
    void stringsAndBytesAreLengthDelimited() {
        // The specification's example: field 2 = "testing" → 12 07 74 65 73 74 69 6e 67.
        assertArrayEquals(hex("12 07 74 65 73 74 69 6e 67"), new ProtoWriter().string(2, "testing").toByteArray());
        assertArrayEquals(hex("0a 00"), new ProtoWriter().string(1, "").toByteArray());
        // UTF-8: é is C3 A9, two bytes, so the length is 2.
        assertArrayEquals(hex("0a 02 c3 a9"), new ProtoWriter().string(1, "é").toByteArray());
        // Field 9 (TensorProto.raw_data), LEN: 9 << 3 | 2 = 74 = 0x4A.
        assertArrayEquals(hex("4a 03 01 02 03"), new ProtoWriter().bytes(9, new byte[] {1, 2, 3}).toByteArray());
        // A length of 200 is itself a two-byte varint: C8 01.
        byte[] expected = new byte[3 + 200];
        expected[0] = 0x0a;
        expected[1] = (byte) 0xc8;
        expected[2] = 0x01;
        assertArrayEquals(expected, new ProtoWriter().bytes(1, new byte[200]).toByteArray());
    }

    @Test
    void floatsAreFourLittleEndianBytes() {
        // Field 2, I32: 2 << 3 | 5 = 0x15. 1.0f = 0x3F800000; -2.5f = 0xC0200000; little-endian.
        assertArrayEquals(hex("15 00 00 80 3f"), new ProtoWriter().float32(2, 1.0f).toByteArray());
        assertArrayEquals(hex("15 00 00 20 c0"), new ProtoWriter().float32(2, -2.5f).toByteArray());
    }

    @Test
    void doublesAreEightLittleEndianBytes() {
        // Field 1, I64: 1 << 3 | 1 = 0x09. 1.0 = 0x3FF0000000000000; -2.5 = 0xC004000000000000; little-endian.
        assertArrayEquals(hex("09 00 00 00 00 00 00 f0 3f"), new ProtoWriter().float64(1, 1.0).toByteArray());
        assertArrayEquals(hex("09 00 00 00 00 00 00 04 c0"), new ProtoWriter().float64(1, -2.5).toByteArray());
    }

    @Test
    void packedDoublesAreOneLengthDelimitedField() {
        // Field 7, LEN: 7 << 3 | 2 = 0x3A; 2 values × 8 bytes = 16 = 0x10; then 0.5 (0x3FE0…) and 3.0 (0x4008…).
        assertArrayEquals(hex("3a 10 00 00 00 00 00 00 e0 3f 00 00 00 00 00 00 08 40"),
                new ProtoWriter().packedDoubles(7, new double[] {0.5, 3.0}).toByteArray());
        // An empty repeated field is not written at all.
        assertArrayEquals(new byte[0], new ProtoWriter().packedDoubles(7, new double[0]).toByteArray());
    }

    @Test
    void embeddedMessagesAndFieldsInTheOrderWritten() {
        // The specification's example: field 3 holding a message whose field 1 is 150 → 1A 03 08 96 01.
        assertArrayEquals(hex("1a 03 08 96 01"),
                new ProtoWriter().message(3, new ProtoWriter().int64(1, 150)).toByteArray());
        // Repeated fields are one key per element (proto2, not packed), in order.
        assertArrayEquals(hex("0a 01 61 0a 01 62 10 07"),
                new ProtoWriter().string(1, "a").string(1, "b").int64(2, 7).toByteArray());
    }

    @Test
    void fieldNumbersOutsideTheRangeAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ProtoWriter().int64(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new ProtoWriter().int64(1 << 29, 1));
    }
}
