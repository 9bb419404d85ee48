package io.ravine.io;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The protocol-buffers wire format (<a href="https://protobuf.dev/programming-guides/encoding/">encoding</a>), the
 * part Ravine's writers need (ONNX models in {@code io.ravine.export}, TensorBoard event files in
 * {@code io.ravine.train}): one message's fields appended in the order given.
 *
 * <ul>
 *   <li>A field starts with its key, the varint {@code (number << 3) | wireType}.</li>
 *   <li>Wire type 0 (VARINT): {@code int64}, {@code int32} and enums as base-128 varints, 7 bits per byte, least
 *       significant group first, the high bit set on every byte but the last. Negative {@code int32}/{@code int64}
 *       values are sign-extended to 64 bits, so they take 10 bytes (protobuf's rule; no zig-zag: that is
 *       {@code sint*}, which ONNX does not use).</li>
 *   <li>Wire type 5 (I32): {@code float} as 4 little-endian IEEE-754 bytes.</li>
 *   <li>Wire type 1 (I64): {@code double} as 8 little-endian IEEE-754 bytes.</li>
 *   <li>Wire type 2 (LEN): {@code string} (UTF-8), {@code bytes} and embedded messages as a varint length, then the
 *       bytes.</li>
 * </ul>
 *
 * Repeated fields are written by calling the method once per element, as proto2 does for fields not declared
 * {@code [packed = true]} (every repeated scalar Ravine writes in ONNX: {@code TensorProto.dims},
 * {@code NodeProto.input}, ...); a repeated {@code double} declared packed (proto3's default, and TensorBoard's
 * {@code HistogramProto.bucket}) is one LEN field holding the 8-byte values back to back ({@link #packedDoubles}).
 * Parsers accept fields in any order; Ravine writes them in field-number order, as
 * protobuf's own serializers do, so the bytes are canonical and reproducible.
 */
public final class ProtoWriter {
    static final int VARINT = 0;
    static final int I32 = 5;
    static final int I64 = 1;
    static final int LEN = 2;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** An int64 (or uint64, enum, bool) field. */
    public ProtoWriter int64(int field, long value) {
        key(field, VARINT);
        varint(value);
        return this;
    }

    /** An int32 field: negative values are sign-extended to 64 bits (10 bytes), as protobuf encodes int32. */
    public ProtoWriter int32(int field, int value) {
        return int64(field, value);
    }

    /** A float field. */
    public ProtoWriter float32(int field, float value) {
        key(field, I32);
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).array());
        return this;
    }

    /** A double field. */
    public ProtoWriter float64(int field, double value) {
        key(field, I64);
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(value).array());
        return this;
    }

    /**
     * A packed repeated double field: one LEN field of 8 little-endian bytes per value. Nothing for no values (an
     * empty repeated field is absent, as protobuf writes it).
     */
    public ProtoWriter packedDoubles(int field, double[] values) {
        if (values.length == 0) {
            return this;
        }
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            b.putDouble(v);
        }
        return bytes(field, b.array());
    }

    /** A string field (UTF-8). */
    public ProtoWriter string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    /** A bytes field. */
    public ProtoWriter bytes(int field, byte[] value) {
        key(field, LEN);
        varint(value.length);
        out.writeBytes(value);
        return this;
    }

    /** An embedded message field. */
    public ProtoWriter message(int field, ProtoWriter message) {
        return bytes(field, message.toByteArray());
    }

    /** Bytes written so far. */
    public int size() {
        return out.size();
    }

    public byte[] toByteArray() {
        return out.toByteArray();
    }

    private void key(int field, int wireType) {
        if (field < 1 || field > (1 << 29) - 1) {
            throw new IllegalArgumentException("field number " + field + " is outside 1..2^29-1");
        }
        varint(((long) field << 3) | wireType);
    }

    /** Base-128, unsigned: a negative long is 2^64 + value, ten bytes. */
    private void varint(long value) {
        long v = value;
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }
}
