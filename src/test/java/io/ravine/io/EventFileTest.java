package io.ravine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link EventFile} against TensorBoard's own writer: the golden records below were written by TensorBoard 2.21.0's
 * {@code tensorboard.summary.writer.record_writer.RecordWriter} from {@code event_pb2.Event} messages (protobuf
 * 7.36.2), so the framing, both CRCs and the protobuf encoding are checked byte for byte:
 *
 * <pre>
 * evs = [Event(wall_time=1.5, step=0, file_version="brain.Event:2"),
 *        Event(wall_time=2.0, step=7, summary=Summary(value=[Value(tag="loss/train", simple_value=0.25),
 *                                                            Value(tag="lr", simple_value=0.001)])),
 *        Event(wall_time=3.0, step=9, summary=Summary(value=[Value(tag="weights/layers.0.bias",
 *            histo=HistogramProto(min=-1, max=2, num=3, sum=1, sum_squares=6, bucket_limit=[0.5, 2], bucket=[1, 2]))])),
 *        Event(wall_time=4.0, step=11, session_log=SessionLog(status=SessionLog.START, msg="resumed"))]
 * for e in evs: b = io.BytesIO(); RecordWriter(b).write(e.SerializeToString()); print(b.getvalue().hex())
 * </pre>
 */
class EventFileTest {
    private static final String FILE_VERSION = "1800000000000000a37f4b2209000000000000f83f1a0d627261696e2e4576656e743a"
            + "322a28646c";
    private static final String SCALARS = "2b00000000000000861bc34b09000000000000004010072a1e0a110a0a6c6f73732f7472"
            + "61696e150000803e0a090a026c72156f12833af9d03b9d";
    private static final String HISTOGRAM = "79000000000000008a13537b09000000000000084010092a6c0a6a0a1577656967687473"
            + "2f6c61796572732e302e626961732a5109000000000000f0bf11000000000000004019000000000000084021000000000000f03f"
            + "2900000000000018403210000000000000e03f00000000000000403a10000000000000f03f000000000000004074776d08";
    private static final String SESSION_START = "1800000000000000a37f4b22090000000000001040100b3a0b08011a07726573756d"
            + "65647a3584d2";

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    /** The data of a golden record (after the 12-byte header, before the 4-byte CRC). */
    private static byte[] data(String record) {
        byte[] r = hex(record);
        return Arrays.copyOfRange(r, 12, r.length - 4);
    }

    @Test
    void recordsAreByteForByteThoseOfTensorBoardsWriter() {
        assertEquals(FILE_VERSION, HexFormat.of().formatHex(EventFile.record(data(FILE_VERSION))));
        assertEquals(SCALARS, HexFormat.of().formatHex(EventFile.record(
                EventFile.scalars(2.0, 7, List.of("loss/train", "lr"), new double[] {0.25, 0.001}))));
        assertEquals(HISTOGRAM, HexFormat.of().formatHex(EventFile.record(EventFile.histograms(3.0, 9,
                List.of("weights/layers.0.bias"), List.of(new EventFile.Histogram(-1, 2, 3, 1, 6,
                        new double[] {0.5, 2}, new double[] {1, 2}))))));
        assertEquals(SESSION_START, HexFormat.of().formatHex(EventFile.record(EventFile.sessionStart(4.0, 11,
                "resumed"))));
    }

    @Test
    void theFileVersionRecordIsTheFirstOfANewFile(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("events.out.tfevents.1.h.ravine");
        try (EventFile e = EventFile.create(f, 1.5)) {
            e.append(List.of(EventFile.sessionStart(4.0, 11, "resumed")));
        }
        assertEquals(FILE_VERSION + SESSION_START, HexFormat.of().formatHex(java.nio.file.Files.readAllBytes(f)));
    }

    @Test
    void maskedCrc32cOfTheStandardCheckValue() {
        // CRC-32C of "123456789" is 0xE3069283 (RFC 3720, B.4); masked: rotr15 = 0x2507C60D, + 0xa282ead8.
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertEquals((int) (0x2507C60DL + 0xa282ead8L), EventFile.maskedCrc32c(check, 0, check.length));
    }

    @Test
    void readingBackKeepsCompleteRecordsSkipsATornTailAndRefusesADamagedOne() {
        byte[] file = hex(FILE_VERSION + SCALARS + HISTOGRAM);
        List<EventFile.Record> all = EventFile.readRecords(Path.of("f"), file);
        assertEquals(List.of(0L, 7L, 9L), all.stream().map(EventFile.Record::step).toList());
        assertEquals(file.length, all.get(2).end());
        for (int cut = 1; cut < hex(HISTOGRAM).length; cut += 7) {
            byte[] torn = Arrays.copyOf(file, file.length - cut);
            assertEquals(List.of(0L, 7L), EventFile.readRecords(Path.of("f"), torn).stream()
                    .map(EventFile.Record::step).toList(), "cut " + cut);
        }
        byte[] damaged = file.clone();
        damaged[hex(FILE_VERSION).length + 20] ^= 1; // inside the scalars record's data
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> EventFile.readRecords(Path.of("f"), damaged));
        assertEquals("f: damaged record at byte " + hex(FILE_VERSION).length + ": the data's CRC does not match"
                + " (only the last record may be torn by a kill; move the file away to resume the run without it)",
                e.getMessage());
    }

    @Test
    void histogramsCountEveryValueInEqualWidthBuckets() {
        float[] v = {9f, -1f, 0f, 0.5f, 1f, 2f, 3f, 3f, 9f};
        // The values from index 1 to 7: min -1, max 3, 4 buckets of width 1: [-1,0) [0,1) [1,2) [2,3].
        EventFile.Histogram h = EventFile.Histogram.of(v, 1, 7, 4);
        assertEquals(-1, h.min());
        assertEquals(3, h.max());
        assertEquals(7, h.num());
        assertEquals(8.5, h.sum());
        assertEquals(1 + 0 + 0.25 + 1 + 4 + 9 + 9, h.sumSquares());
        assertArrayEquals(new double[] {0, 1, 2, 3}, h.bucketLimits());
        assertArrayEquals(new double[] {1, 2, 1, 3}, h.buckets());
        // All equal: one bucket whose limit is the value.
        EventFile.Histogram same = EventFile.Histogram.of(new float[] {0.1f, 0.1f}, 0, 2, 30);
        assertArrayEquals(new double[] {(double) 0.1f}, same.bucketLimits());
        assertArrayEquals(new double[] {2}, same.buckets());
        assertNull(EventFile.Histogram.of(new float[] {1f, Float.NaN}, 0, 2, 30), "no histogram of NaN");
        assertNull(EventFile.Histogram.of(new float[] {1f, Float.POSITIVE_INFINITY}, 0, 2, 30));
        // Values on a limit go to the bucket it opens; rounding near the limits never loses a value.
        float[] many = new float[10001];
        for (int i = 0; i < many.length; i++) {
            many[i] = (float) (i * 0.001 - 3.7);
        }
        EventFile.Histogram m = EventFile.Histogram.of(many, 0, many.length, 30);
        assertEquals(many.length, Arrays.stream(m.buckets()).sum());
        assertTrue(Arrays.stream(m.buckets()).allMatch(c -> c > 300 && c < 370), Arrays.toString(m.buckets()));
    }
}
