package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Reads TensorBoard event files for the tests, independently of Ravine's writer: the record framing and TensorFlow's
 * masked CRC32C written here from the specification (TensorFlow's {@code record_writer.cc}, {@code crc32c.h}), and
 * every Event decoded by protobuf-java's {@link DynamicMessage} with TensorBoard's own descriptors
 * ({@code tensorboard-protos.pb}, the FileDescriptorSet of an installed TensorBoard 2.21's {@code event.proto} and
 * its imports; {@code make-tensorboard-protos.py} beside it made it). Every record must be whole, both CRCs must
 * match, and every Event must parse with no unknown field.
 */
final class TensorBoardReader {
    private static final Descriptors.Descriptor EVENT = eventDescriptor();

    private TensorBoardReader() {
    }

    /** A scalar as TensorBoard reads it (simple_value, float32). */
    record Scalar(Path file, long step, String tag, float value) {
    }

    /** A HistogramProto. */
    record Histogram(Path file, long step, String tag, double min, double max, double num, double sum,
            double sumSquares, double[] bucketLimits, double[] buckets) {
    }

    /** Everything in a directory's event files, in file-name order (TensorBoard's reading order). */
    record Events(List<Path> files, List<String> fileVersions, List<Scalar> scalars, List<Histogram> histograms,
            List<Long> sessionStarts, Map<Path, List<DynamicMessage>> events) {

        List<Scalar> scalars(String tag) {
            return scalars.stream().filter(s -> s.tag().equals(tag)).toList();
        }

        List<Histogram> histograms(String tag) {
            return histograms.stream().filter(h -> h.tag().equals(tag)).toList();
        }
    }

    private static Descriptors.Descriptor eventDescriptor() {
        try (InputStream in = TensorBoardReader.class.getResourceAsStream("tensorboard-protos.pb")) {
            DescriptorProtos.FileDescriptorSet set = DescriptorProtos.FileDescriptorSet.parseFrom(in);
            Map<String, Descriptors.FileDescriptor> built = new HashMap<>();
            // The set lists each file after its imports.
            for (DescriptorProtos.FileDescriptorProto f : set.getFileList()) {
                Descriptors.FileDescriptor[] deps = f.getDependencyList().stream().map(built::get)
                        .toArray(Descriptors.FileDescriptor[]::new);
                built.put(f.getName(), Descriptors.FileDescriptor.buildFrom(f, deps));
            }
            return built.get("tensorboard/compat/proto/event.proto").findMessageTypeByName("Event");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Descriptors.DescriptorValidationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** TensorFlow's mask: rotate the CRC right by 15 bits, add 0xa282ead8 (mod 2³²). */
    static int masked(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        long crc = c.getValue();
        long rotated = ((crc >>> 15) | (crc << 17)) & 0xffffffffL;
        return (int) ((rotated + 0xa282ead8L) & 0xffffffffL);
    }

    /** The data of every record of a file, each checked: whole, length CRC and data CRC. */
    static List<byte[]> records(Path file) {
        byte[] b;
        try {
            b = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> out = new ArrayList<>();
        int pos = 0;
        while (pos < b.length) {
            assertTrue(b.length - pos >= 12, file + ": a record header cut short at byte " + pos);
            long len = buf.getLong(pos);
            assertEquals(masked(b, pos, 8), buf.getInt(pos + 8), file + ": length CRC at byte " + pos);
            assertTrue(len >= 0 && len <= b.length - pos - 16L, file + ": record at byte " + pos + " cut short");
            int data = pos + 12;
            assertEquals(masked(b, data, (int) len), buf.getInt(data + (int) len), file + ": data CRC at byte " + pos);
            out.add(Arrays.copyOfRange(b, data, data + (int) len));
            pos = data + (int) len + 4;
        }
        return out;
    }

    /** The event files of {@code dir} ("tfevents" in the name, as TensorBoard finds them), in name order. */
    static List<Path> eventFiles(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().contains("tfevents")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Events read(Path dir) {
        List<Path> files = eventFiles(dir);
        List<String> versions = new ArrayList<>();
        List<Scalar> scalars = new ArrayList<>();
        List<Histogram> histograms = new ArrayList<>();
        List<Long> starts = new ArrayList<>();
        Map<Path, List<DynamicMessage>> events = new HashMap<>();
        for (Path f : files) {
            List<DynamicMessage> list = new ArrayList<>();
            for (byte[] data : records(f)) {
                DynamicMessage e;
                try {
                    e = DynamicMessage.parseFrom(EVENT, data);
                } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                    throw new AssertionError(f + ": not an Event: " + ex.getMessage(), ex);
                }
                assertTrue(e.getUnknownFields().asMap().isEmpty(), f + ": unknown fields in " + e);
                list.add(e);
                long step = (Long) e.getField(field(EVENT, "step"));
                if (e.hasField(field(EVENT, "file_version"))) {
                    versions.add((String) e.getField(field(EVENT, "file_version")));
                }
                if (e.hasField(field(EVENT, "session_log"))) {
                    DynamicMessage log = (DynamicMessage) e.getField(field(EVENT, "session_log"));
                    Descriptors.EnumValueDescriptor status = (Descriptors.EnumValueDescriptor) log.getField(
                            field(log.getDescriptorForType(), "status"));
                    if (status.getName().equals("START")) {
                        starts.add(step);
                    }
                }
                if (e.hasField(field(EVENT, "summary"))) {
                    DynamicMessage summary = (DynamicMessage) e.getField(field(EVENT, "summary"));
                    Descriptors.FieldDescriptor valueField = field(summary.getDescriptorForType(), "value");
                    for (int i = 0; i < summary.getRepeatedFieldCount(valueField); i++) {
                        DynamicMessage v = (DynamicMessage) summary.getRepeatedField(valueField, i);
                        Descriptors.Descriptor vd = v.getDescriptorForType();
                        String tag = (String) v.getField(field(vd, "tag"));
                        if (v.hasField(field(vd, "simple_value"))) {
                            scalars.add(new Scalar(f, step, tag, (Float) v.getField(field(vd, "simple_value"))));
                        } else if (v.hasField(field(vd, "histo"))) {
                            DynamicMessage h = (DynamicMessage) v.getField(field(vd, "histo"));
                            Descriptors.Descriptor hd = h.getDescriptorForType();
                            histograms.add(new Histogram(f, step, tag, (Double) h.getField(field(hd, "min")),
                                    (Double) h.getField(field(hd, "max")), (Double) h.getField(field(hd, "num")),
                                    (Double) h.getField(field(hd, "sum")),
                                    (Double) h.getField(field(hd, "sum_squares")), doubles(h, "bucket_limit"),
                                    doubles(h, "bucket")));
                        } else {
                            throw new AssertionError(f + ": a value of neither kind Ravine writes: " + v);
                        }
                    }
                }
            }
            events.put(f, list);
        }
        return new Events(files, versions, scalars, histograms, starts, events);
    }

    static Descriptors.FieldDescriptor field(Descriptors.Descriptor d, String name) {
        Descriptors.FieldDescriptor f = d.findFieldByName(name);
        if (f == null) {
            throw new AssertionError(d.getFullName() + " has no field " + name);
        }
        return f;
    }

    private static double[] doubles(DynamicMessage m, String name) {
        Descriptors.FieldDescriptor f = field(m.getDescriptorForType(), name);
        double[] out = new double[m.getRepeatedFieldCount(f)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (Double) m.getRepeatedField(f, i);
        }
        return out;
    }
}
