package io.ravine.io;

import io.ravine.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A TensorBoard event file ({@code events.out.tfevents.*}), written as TensorFlow's record writer and TensorBoard's
 * protos define it, with no dependency: {@link ProtoWriter} encodes the messages.
 *
 * <p><b>Records.</b> Each record is {@code uint64 length} (little-endian), {@code uint32} masked CRC32C of those 8
 * bytes, the {@code length} data bytes, and {@code uint32} masked CRC32C of the data, where
 * {@code masked(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8} and CRC32C is Castagnoli's polynomial
 * ({@link CRC32C}); TensorFlow's {@code core/lib/io/record_writer.cc} and {@code core/lib/hash/crc32c.h}.
 *
 * <p><b>Messages</b> (field numbers from TensorBoard's {@code tensorboard/compat/proto/event.proto},
 * {@code summary.proto} and {@code histogram.proto}):
 * <pre>
 * Event          { double wall_time = 1; int64 step = 2; oneof what { string file_version = 3; Summary summary = 5;
 *                  SessionLog session_log = 7; } }
 * Summary        { repeated Value value = 1; }
 * Summary.Value  { string tag = 1; oneof value { float simple_value = 2; HistogramProto histo = 5; } }
 * HistogramProto { double min = 1; double max = 2; double num = 3; double sum = 4; double sum_squares = 5;
 *                  repeated double bucket_limit = 6 [packed = true]; repeated double bucket = 7 [packed = true]; }
 * SessionLog     { SessionStatus status = 1 (START = 1); string msg = 3; }
 * </pre>
 * The first record of a file is the Event with {@code file_version = "brain.Event:2"}. A scalar is the
 * {@code simple_value} form, which TensorBoard 2 still reads (it turns it into its tensor form when loading), as it
 * does {@code histo}.
 *
 * <p><b>Appending.</b> Each {@link #append} is one {@code write} of whole records on a file opened for appending
 * (as {@code metrics.csv}, see {@code MetricsLog}): once it returns the records are in the operating system's hands,
 * so a killed process leaves every record it appended and at most one torn last record, which TensorBoard's readers
 * take as a record still being written and {@link #readRecords} leaves out. {@link #force} puts them on the disk.
 */
public final class EventFile implements AutoCloseable {
    /** What the first Event of every file says: the event format TensorBoard reads. */
    public static final String FILE_VERSION = "brain.Event:2";
    /** The mask TensorFlow adds to a rotated CRC, so that a CRC of data that holds CRCs is not trivially related. */
    private static final int MASK_DELTA = 0xa282ead8;
    /** SessionLog.SessionStatus.START. */
    private static final int SESSION_START = 1;

    private final Path file;
    private final AppendOnlyFile out;

    private EventFile(Path file, AppendOnlyFile out) {
        this.file = file;
        this.out = out;
    }

    /**
     * Creates {@code file} (it must not exist) holding the file-version record, and opens it for appending.
     *
     * @param file the new event file
     * @param wallTime seconds since the epoch
     * @return the file, open for appending
     */
    public static EventFile create(Path file, double wallTime) {
        try {
            AtomicFiles.write(file, o -> o.write(record(event(wallTime, 0).string(3, FILE_VERSION).toByteArray())));
            return new EventFile(file, AppendOnlyFile.open(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * Appends Events (encoded, e.g. by {@link #scalars}) as records, in one write.
     *
     * @param events the encoded Event messages
     */
    public void append(List<byte[]> events) {
        int size = 0;
        for (byte[] e : events) {
            size += e.length + 16;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        for (byte[] e : events) {
            b.put(record(e));
        }
        b.flip();
        out.append(b);
    }

    /** Forces the records appended so far to the disk (before a checkpoint: the resume starts from it). */
    public void force() {
        out.force();
    }

    /**
     * The file.
     *
     * @return its path
     */
    public Path path() {
        return file;
    }

    @Override
    public void close() {
        out.close();
    }

    // ---- messages ----

    /** An Event's common fields. */
    private static ProtoWriter event(double wallTime, long step) {
        // step 0 left out, as protobuf writes a proto3 default: the bytes are then those of TensorBoard's own writer.
        ProtoWriter w = new ProtoWriter().float64(1, wallTime);
        return step == 0 ? w : w.int64(2, step);
    }

    /**
     * An Event with one Summary of scalars, {@code tag → simple_value} (float32, TensorBoard's type).
     *
     * @param wallTime seconds since the epoch
     * @param step the step
     * @param tags the tags
     * @param values their values, same order
     * @return the encoded Event
     */
    public static byte[] scalars(double wallTime, long step, List<String> tags, double[] values) {
        ProtoWriter summary = new ProtoWriter();
        for (int i = 0; i < tags.size(); i++) {
            summary.message(1, new ProtoWriter().string(1, tags.get(i)).float32(2, (float) values[i]));
        }
        return event(wallTime, step).message(5, summary).toByteArray();
    }

    /**
     * An Event with one Summary of histograms.
     *
     * @param wallTime seconds since the epoch
     * @param step the step
     * @param tags the tags
     * @param histograms their histograms, same order
     * @return the encoded Event
     */
    public static byte[] histograms(double wallTime, long step, List<String> tags, List<Histogram> histograms) {
        ProtoWriter summary = new ProtoWriter();
        for (int i = 0; i < tags.size(); i++) {
            Histogram h = histograms.get(i);
            ProtoWriter histo = new ProtoWriter().float64(1, h.min()).float64(2, h.max()).float64(3, h.num())
                    .float64(4, h.sum()).float64(5, h.sumSquares()).packedDoubles(6, h.bucketLimits())
                    .packedDoubles(7, h.buckets());
            summary.message(1, new ProtoWriter().string(1, tags.get(i)).message(5, histo));
        }
        return event(wallTime, step).message(5, summary).toByteArray();
    }

    /**
     * An Event with SessionLog START: a run that starts again at {@code step} (TensorBoard's loader drops what it
     * holds at or after that step).
     *
     * @param wallTime seconds since the epoch
     * @param step the first step of the restarted run
     * @param message what happened, for the reader
     * @return the encoded Event
     */
    public static byte[] sessionStart(double wallTime, long step, String message) {
        return event(wallTime, step).message(7, new ProtoWriter().int32(1, SESSION_START).string(3, message))
                .toByteArray();
    }

    /**
     * A histogram of values in TensorBoard's HistogramProto form: {@code bucket[i]} counts the values in
     * [{@code bucket_limit[i-1]}, {@code bucket_limit[i]}) (the first from {@code min}, the last closed at
     * {@code max}, which is its limit).
     *
     * @param min the least value
     * @param max the greatest value
     * @param num how many values
     * @param sum their sum
     * @param sumSquares the sum of their squares
     * @param bucketLimits each bucket's right edge, increasing
     * @param buckets each bucket's count
     */
    public record Histogram(double min, double max, double num, double sum, double sumSquares, double[] bucketLimits,
            double[] buckets) {

        /**
         * {@code count} values of {@code v} from {@code from} in {@code buckets} equal-width buckets between their
         * minimum and maximum (TensorFlow 2's {@code tf.summary.histogram} uses 30); one bucket when all are equal.
         * Sums in double.
         *
         * @param v the values
         * @param from the first
         * @param count how many (at least one)
         * @param buckets how many buckets
         * @return the histogram, or null where a value is NaN or infinite (no meaningful buckets)
         */
        public static Histogram of(float[] v, int from, int count, int buckets) {
            if (count < 1 || buckets < 1) {
                throw new IllegalArgumentException("a histogram needs values and buckets: " + count + ", " + buckets);
            }
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            double sum = 0;
            double sumSquares = 0;
            for (int i = from; i < from + count; i++) {
                double x = v[i];
                if (!Double.isFinite(x)) {
                    return null;
                }
                min = Math.min(min, x);
                max = Math.max(max, x);
                sum += x;
                sumSquares += x * x;
            }
            if (min == max) {
                return new Histogram(min, max, count, sum, sumSquares, new double[] {max}, new double[] {count});
            }
            double[] limits = new double[buckets];
            double[] counts = new double[buckets];
            double width = max - min;
            for (int k = 0; k < buckets; k++) {
                limits[k] = k == buckets - 1 ? max : min + width * (k + 1) / buckets;
            }
            for (int i = from; i < from + count; i++) {
                int k = (int) ((v[i] - min) / width * buckets);
                // The maximum (and rounding just below a limit) belongs to the last bucket it reaches.
                k = Math.min(k, buckets - 1);
                while (k > 0 && v[i] < limits[k - 1]) {
                    k--;
                }
                while (k < buckets - 1 && v[i] >= limits[k]) {
                    k++;
                }
                counts[k]++;
            }
            return new Histogram(min, max, count, sum, sumSquares, limits, counts);
        }
    }

    // ---- records ----

    /**
     * One record: length, its masked CRC32C, the data, its masked CRC32C.
     *
     * @param data the record's data (an encoded Event)
     * @return the framed record
     */
    public static byte[] record(byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(data.length + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(data.length);
        b.putInt(maskedCrc32c(b.array(), 0, 8));
        b.put(data);
        b.putInt(maskedCrc32c(data, 0, data.length));
        return b.array();
    }

    /**
     * TensorFlow's masked CRC32C: the CRC rotated right by 15 bits plus 0xa282ead8.
     *
     * @param b bytes
     * @param off first byte
     * @param len how many
     * @return the masked CRC
     */
    public static int maskedCrc32c(byte[] b, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(b, off, len);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + MASK_DELTA;
    }

    /**
     * One complete record of a file read back.
     *
     * @param offset where the record starts in the file
     * @param end where it ends (the next one starts)
     * @param step the step of its Event
     */
    public record Record(long offset, long end, long step) {
    }

    /**
     * The complete records of an event file's bytes, each with its Event's step, for resuming a run. A torn last
     * record (what a kill leaves: fewer bytes than its length says) is left out; a complete record whose CRC does not
     * match, or whose data is not an Event, is refused: that is not what a kill leaves.
     *
     * @param file the file's name, for messages
     * @param bytes its contents
     * @return the complete records, in order
     * @throws InvalidInputException naming the file and the byte offset of a damaged record
     */
    public static List<Record> readRecords(Path file, byte[] bytes) {
        List<Record> records = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int pos = 0;
        while (bytes.length - pos >= 12) {
            long length = b.getLong(pos);
            if (b.getInt(pos + 8) != maskedCrc32c(bytes, pos, 8)) {
                throw damaged(file, pos, "the length's CRC does not match");
            }
            if (length < 0 || length > bytes.length - pos - 16L) {
                break; // torn: the rest of the record was never written
            }
            int data = pos + 12;
            int end = data + (int) length + 4;
            if (b.getInt(data + (int) length) != maskedCrc32c(bytes, data, (int) length)) {
                throw damaged(file, pos, "the data's CRC does not match");
            }
            long step;
            try {
                step = stepOf(bytes, data, data + (int) length);
            } catch (IllegalArgumentException e) {
                throw damaged(file, pos, "not an Event (" + e.getMessage() + ")");
            }
            records.add(new Record(pos, end, step));
            pos = end;
        }
        return records;
    }

    private static InvalidInputException damaged(Path file, int offset, String why) {
        return new InvalidInputException(file + ": damaged record at byte " + offset + ": " + why + " (only the last"
                + " record may be torn by a kill; move the file away to resume the run without it)");
    }

    /** Event.step (field 2), 0 where absent; the other fields are skipped by their wire type. */
    private static long stepOf(byte[] b, int from, int to) {
        long step = 0;
        int[] pos = {from};
        while (pos[0] < to) {
            long key = varint(b, pos, to);
            int wire = (int) (key & 7);
            long field = key >>> 3;
            switch (wire) {
                case 0 -> {
                    long v = varint(b, pos, to);
                    if (field == 2) {
                        step = v;
                    }
                }
                case 1 -> pos[0] += 8;
                case 2 -> {
                    long len = varint(b, pos, to);
                    if (len < 0 || len > to - pos[0]) {
                        throw new IllegalArgumentException("a length runs past the end");
                    }
                    pos[0] += (int) len;
                }
                case 5 -> pos[0] += 4;
                default -> throw new IllegalArgumentException("wire type " + wire);
            }
            if (pos[0] > to) {
                throw new IllegalArgumentException("a field runs past the end");
            }
        }
        return step;
    }

    private static long varint(byte[] b, int[] pos, int to) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos[0] >= to) {
                throw new IllegalArgumentException("a varint runs past the end");
            }
            int x = b[pos[0]++] & 0xff;
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return v;
            }
        }
        throw new IllegalArgumentException("a varint longer than 10 bytes");
    }
}
