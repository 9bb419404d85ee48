package io.ravine.export;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A protobuf wire-format reader for the tests: one message's fields by number, each value a {@link Long} (VARINT),
 * a {@code byte[]} (LEN: a string, bytes or a message to parse again) or an {@link Integer} holding the bits (I32).
 * Written from the specification, independently of {@link io.ravine.io.ProtoWriter}; it refuses what it does not know.
 */
final class ProtoReader {
    private ProtoReader() {
    }

    static Map<Integer, List<Object>> parse(byte[] b) {
        Map<Integer, List<Object>> fields = new LinkedHashMap<>();
        int[] pos = {0};
        while (pos[0] < b.length) {
            long key = varint(b, pos);
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            Object value = switch (wire) {
                case 0 -> varint(b, pos);
                case 2 -> {
                    int len = (int) varint(b, pos);
                    if (len < 0 || pos[0] + len > b.length) {
                        throw new IllegalArgumentException("length " + len + " runs past the end");
                    }
                    byte[] v = Arrays.copyOfRange(b, pos[0], pos[0] + len);
                    pos[0] += len;
                    yield v;
                }
                case 5 -> {
                    int bits = (b[pos[0]] & 0xff) | (b[pos[0] + 1] & 0xff) << 8 | (b[pos[0] + 2] & 0xff) << 16
                            | (b[pos[0] + 3] & 0xff) << 24;
                    pos[0] += 4;
                    yield bits;
                }
                default -> throw new IllegalArgumentException("wire type " + wire + " of field " + field);
            };
            fields.computeIfAbsent(field, f -> new ArrayList<>()).add(value);
        }
        return fields;
    }

    private static long varint(byte[] b, int[] pos) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int x = b[pos[0]++] & 0xff;
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return v;
            }
        }
        throw new IllegalArgumentException("varint longer than 10 bytes");
    }

    static List<Object> all(Map<Integer, List<Object>> m, int field) {
        return m.getOrDefault(field, List.of());
    }

    static long number(Map<Integer, List<Object>> m, int field) {
        List<Object> v = all(m, field);
        if (v.size() != 1) {
            throw new IllegalArgumentException("field " + field + " occurs " + v.size() + " times");
        }
        return (Long) v.get(0);
    }

    static String string(Map<Integer, List<Object>> m, int field) {
        List<Object> v = all(m, field);
        if (v.size() != 1) {
            throw new IllegalArgumentException("field " + field + " occurs " + v.size() + " times");
        }
        return new String((byte[]) v.get(0), StandardCharsets.UTF_8);
    }

    static List<String> strings(Map<Integer, List<Object>> m, int field) {
        return all(m, field).stream().map(o -> new String((byte[]) o, StandardCharsets.UTF_8)).toList();
    }

    static Map<Integer, List<Object>> message(Map<Integer, List<Object>> m, int field) {
        List<Object> v = all(m, field);
        if (v.size() != 1) {
            throw new IllegalArgumentException("field " + field + " occurs " + v.size() + " times");
        }
        return parse((byte[]) v.get(0));
    }

    static List<Map<Integer, List<Object>>> messages(Map<Integer, List<Object>> m, int field) {
        return all(m, field).stream().map(o -> parse((byte[]) o)).toList();
    }
}
