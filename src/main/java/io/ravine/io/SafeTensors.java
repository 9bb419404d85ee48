package io.ravine.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import io.ravine.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * The safetensors format (<a href="https://github.com/huggingface/safetensors">huggingface/safetensors</a>):
 * <pre>
 *   u64 N, little-endian | N bytes of UTF-8 JSON header | data buffer
 *   header: {"__metadata__": {str: str}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}
 * </pre>
 * Offsets are relative to the data buffer; tensors are row-major, little-endian, packed with no gaps, and the buffer
 * ends where the last tensor ends. As the reference writer does, the header is padded with spaces to a multiple of 8
 * bytes so that the data starts 8-aligned. Tensors are written in the order given. Reading checks everything the
 * reference loader checks and reports the first problem as a one-line {@link InvalidInputException} naming the file.
 *
 * <p><b>Checksum.</b> The format has no checksum, so a flipped bit in the data buffer would load as silently wrong
 * weights. Ravine's writer adds the string metadata entry {@value #CHECKSUM_KEY}: 8 lowercase hex digits of the
 * CRC32C (Castagnoli) of, in this order,
 * <ol>
 *   <li>for each tensor in header order: its name, its dtype name, its rank and dimensions, and its two data offsets;</li>
 *   <li>every other metadata entry, sorted by key: key, then value;</li>
 *   <li>the whole data buffer.</li>
 * </ol>
 * Strings enter as an 8-byte little-endian UTF-8 length then the bytes, numbers as 8-byte little-endian integers, so
 * no two different headers encode alike. The reader verifies the entry when present and refuses a mismatch; a file
 * without it (from PyTorch's safetensors, say) is read as before. PyTorch's loader reads Ravine's files unchanged,
 * since metadata is str → str. {@link Contents#metadata()} leaves the entry out; {@link Contents#checksummed()} says
 * whether it was there (and so verified).
 */
public final class SafeTensors {
    /** The reference loader refuses headers over 100 MB; so do we, before allocating for one. */
    private static final long MAX_HEADER = 100_000_000L;
    private static final String METADATA = "__metadata__";
    /** The metadata entry holding the CRC32C Ravine writes and verifies (see the class comment). */
    public static final String CHECKSUM_KEY = "ravine.crc32c";
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private SafeTensors() {
    }

    /** Element types Ravine reads and writes; others in a file are reported as unsupported. */
    public enum Dtype {
        F32(4),
        F64(8),
        I64(8);

        private final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }

        public int bytes() {
            return bytes;
        }
    }

    /**
     * One named tensor. {@code data} is a {@code float[]} (F32), {@code double[]} (F64) or {@code long[]} (I64)
     * of exactly shape₀·shape₁·… elements (1 for the scalar shape {@code []}). Arrays are not copied.
     */
    public record Entry(String name, Dtype dtype, long[] shape, Object data) {
        public Entry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(shape, "shape");
            Objects.requireNonNull(data, "data");
            boolean typeOk = switch (dtype) {
                case F32 -> data instanceof float[];
                case F64 -> data instanceof double[];
                case I64 -> data instanceof long[];
            };
            if (!typeOk) {
                throw new IllegalArgumentException("tensor '" + name + "': " + dtype + " needs "
                        + switch (dtype) {
                            case F32 -> "float[]";
                            case F64 -> "double[]";
                            case I64 -> "long[]";
                        } + ", got " + data.getClass().getSimpleName());
            }
            long n;
            try {
                n = SafeTensors.elementCount(shape);
            } catch (ArithmeticException e) {
                n = -1;
            }
            if (n < 0 || n != Array.getLength(data)) {
                throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
                        + " does not match " + Array.getLength(data) + " elements");
            }
        }

        public static Entry f32(String name, long[] shape, float[] data) {
            return new Entry(name, Dtype.F32, shape, data);
        }

        public static Entry f64(String name, long[] shape, double[] data) {
            return new Entry(name, Dtype.F64, shape, data);
        }

        public static Entry i64(String name, long[] shape, long[] data) {
            return new Entry(name, Dtype.I64, shape, data);
        }

        /** A flat [n] float32 tensor. */
        public static Entry f32(String name, float[] data) {
            return f32(name, new long[] {data.length}, data);
        }

        public float[] floats() {
            return as(float[].class, Dtype.F32);
        }

        public double[] doubles() {
            return as(double[].class, Dtype.F64);
        }

        public long[] longs() {
            return as(long[].class, Dtype.I64);
        }

        public int elementCount() {
            return Array.getLength(data);
        }

        public long byteCount() {
            return (long) elementCount() * dtype.bytes();
        }

        private <T> T as(Class<T> type, Dtype expected) {
            if (dtype != expected) {
                throw new IllegalStateException("tensor '" + name + "' is " + dtype + ", not " + expected);
            }
            return type.cast(data);
        }

        @Override
        public String toString() {
            return name + ": " + dtype + Arrays.toString(shape);
        }
    }

    /**
     * What a file holds: its tensors in header order, its metadata (empty if none; without {@value #CHECKSUM_KEY}),
     * and whether it carried a checksum (which then matched: a mismatch is refused on reading).
     */
    public record Contents(Map<String, Entry> tensors, Map<String, String> metadata, boolean checksummed) {
        public Entry get(String name) {
            Entry e = tensors.get(name);
            if (e == null) {
                throw new InvalidInputException("no tensor '" + name + "' (have " + tensors.keySet() + ")");
            }
            return e;
        }
    }

    /**
     * Writes {@code tensors} (names unique) and {@code metadata} (may be null or empty; no {@value #CHECKSUM_KEY}
     * key) atomically, with the checksum entry.
     */
    public static void write(Path file, List<Entry> tensors, Map<String, String> metadata) throws IOException {
        byte[] header = header(tensors, withChecksum(tensors, metadata));
        AtomicFiles.write(file, out -> writeFile(out, header, tensors));
    }

    /** The bytes of a file holding {@code tensors} and {@code metadata}, as {@link #write} would write them. */
    public static byte[] toBytes(List<Entry> tensors, Map<String, String> metadata) {
        return toBytes(header(tensors, withChecksum(tensors, metadata)), tensors);
    }

    /**
     * The bytes a writer without Ravine's checksum writes (the reference implementation: byte for byte the same for
     * the same tensor order); for tests and for tools that must not add metadata.
     */
    public static byte[] toBytesWithoutChecksum(List<Entry> tensors, Map<String, String> metadata) {
        return toBytes(header(tensors, metadata), tensors);
    }

    private static byte[] toBytes(byte[] header, List<Entry> tensors) {
        long total = 8L + header.length + tensors.stream().mapToLong(Entry::byteCount).sum();
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too large for one array: " + total + " bytes");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) total);
        try {
            writeFile(out, header, tensors);
        } catch (IOException e) {
            throw new IllegalStateException("in-memory write failed", e);
        }
        return out.toByteArray();
    }

    private static void writeFile(OutputStream out, byte[] header, List<Entry> tensors) throws IOException {
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
        out.write(header);
        for (Entry e : tensors) {
            writeData(out, e);
        }
    }

    /** {@code metadata} plus the checksum entry over {@code tensors} and it. */
    private static Map<String, String> withChecksum(List<Entry> tensors, Map<String, String> metadata) {
        Map<String, String> meta = new LinkedHashMap<>();
        if (metadata != null) {
            if (metadata.containsKey(CHECKSUM_KEY)) {
                throw new IllegalArgumentException("'" + CHECKSUM_KEY + "' is reserved for the writer's checksum");
            }
            meta.putAll(metadata);
        }
        Checksum sum = new Checksum();
        long offset = 0;
        for (Entry e : tensors) {
            sum.tensor(e.name(), e.dtype().name(), e.shape(), offset, offset + e.byteCount());
            offset += e.byteCount();
        }
        sum.metadata(meta);
        try (OutputStream data = sum.dataStream()) {
            for (Entry e : tensors) {
                writeData(data, e);
            }
        } catch (IOException e) {
            throw new IllegalStateException("in-memory checksum failed", e);
        }
        meta.put(CHECKSUM_KEY, sum.hex());
        return meta;
    }

    /** The CRC32C of the class comment, fed in its order: tensors, then metadata, then data. */
    private static final class Checksum {
        private final CRC32C crc = new CRC32C();
        private final ByteBuffer word = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        void tensor(String name, String dtype, long[] shape, long begin, long end) {
            string(name);
            string(dtype);
            number(shape.length);
            for (long d : shape) {
                number(d);
            }
            number(begin);
            number(end);
        }

        /** Every entry but the checksum's own, sorted by key (a JSON object's order carries no meaning). */
        void metadata(Map<String, String> metadata) {
            List<String> keys = new ArrayList<>(metadata.keySet());
            keys.remove(CHECKSUM_KEY);
            Collections.sort(keys);
            for (String k : keys) {
                string(k);
                string(metadata.get(k));
            }
        }

        void data(ByteBuffer bytes) {
            crc.update(bytes);
        }

        OutputStream dataStream() {
            return new OutputStream() {
                @Override
                public void write(int b) {
                    crc.update(b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    crc.update(b, off, len);
                }
            };
        }

        String hex() {
            return String.format("%08x", crc.getValue());
        }

        private void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            number(b.length);
            crc.update(b);
        }

        private void number(long v) {
            word.clear();
            word.putLong(v);
            crc.update(word.array(), 0, 8);
        }
    }

    private static byte[] header(List<Entry> tensors, Map<String, String> metadata) {
        JsonObject root = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach((k, v) -> meta.addProperty(Objects.requireNonNull(k), Objects.requireNonNull(v,
                    "metadata value for " + k)));
            root.add(METADATA, meta);
        }
        long offset = 0;
        for (Entry e : tensors) {
            if (e.name().equals(METADATA) || root.has(e.name())) {
                throw new IllegalArgumentException(e.name().equals(METADATA) ? "'" + METADATA
                        + "' is reserved" : "duplicate tensor name '" + e.name() + "'");
            }
            JsonObject t = new JsonObject();
            t.addProperty("dtype", e.dtype().name());
            JsonArray shape = new JsonArray();
            for (long d : e.shape()) {
                shape.add(d);
            }
            t.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offset += e.byteCount();
            offsets.add(offset);
            t.add("data_offsets", offsets);
            root.add(e.name(), t);
        }
        byte[] json = GSON.toJson(root).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    private static void writeData(OutputStream out, Entry e) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        int n = e.elementCount();
        int per = buf.capacity() / e.dtype().bytes();
        for (int start = 0; start < n; start += per) {
            int end = Math.min(n, start + per);
            buf.clear();
            switch (e.dtype()) {
                case F32 -> buf.asFloatBuffer().put(e.floats(), start, end - start);
                case F64 -> buf.asDoubleBuffer().put(e.doubles(), start, end - start);
                case I64 -> buf.asLongBuffer().put(e.longs(), start, end - start);
            }
            out.write(buf.array(), 0, (end - start) * e.dtype().bytes());
        }
    }

    /**
     * Reads a safetensors file, verifying its {@value #CHECKSUM_KEY} entry when it has one.
     *
     * @throws InvalidInputException if the file is missing or not a valid safetensors file of supported dtypes, or
     *     its checksum does not match
     * @throws IOException on a read error
     */
    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = open(file)) {
            return reader(file.toString(), ch).read();
        }
    }

    /**
     * The metadata of a file (without {@value #CHECKSUM_KEY}), reading only its header: the header is checked as
     * {@link #read(Path)} checks it (JSON, dtypes, offsets against the file's size), the data and the checksum are
     * not. For listing many large files cheaply; load what you use with {@link #read(Path)}.
     */
    public static Map<String, String> readMetadata(Path file) throws IOException {
        try (FileChannel ch = open(file)) {
            Map<String, String> meta = new LinkedHashMap<>(reader(file.toString(), ch).readHeader().metadata);
            meta.remove(CHECKSUM_KEY);
            return Collections.unmodifiableMap(meta);
        }
    }

    private static FileChannel open(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new InvalidInputException(file + ": is a directory, not a safetensors file");
        }
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new InvalidInputException(file + ": permission denied (cannot read the file)");
        }
    }

    /** Reads the safetensors bytes {@code bytes}; {@code source} names them in messages. */
    public static Contents read(String source, byte[] bytes) {
        try {
            return new Reader(source, bytes.length, (pos, dst) -> {
                int n = dst.remaining();
                dst.put(bytes, (int) pos, n);
            }).read();
        } catch (IOException e) {
            throw new IllegalStateException("in-memory read failed", e);
        }
    }

    private static Reader reader(String source, FileChannel ch) throws IOException {
        return new Reader(source, ch.size(), (pos, dst) -> {
            long p = pos;
            while (dst.hasRemaining()) {
                int r = ch.read(dst, p);
                if (r < 0) {
                    throw new IOException(source + ": file shrank while reading");
                }
                p += r;
            }
        });
    }

    @FunctionalInterface
    private interface PositionalRead {
        /** Fills {@code dst} from absolute position {@code pos}; the caller has checked the range. */
        void readFully(long pos, ByteBuffer dst) throws IOException;
    }

    /** A checked header: tensors in header order, metadata as stored, where the data buffer starts. */
    private record Header(List<Raw> raws, Map<String, String> metadata, long dataStart) {
    }

    private static final class Reader {
        private final String source;
        private final long size;
        private final PositionalRead in;

        Reader(String source, long size, PositionalRead in) {
            this.source = source;
            this.size = size;
            this.in = in;
        }

        private InvalidInputException bad(String problem) {
            return new InvalidInputException(source + ": not a valid safetensors file: " + problem);
        }

        /**
         * The header, checked against the file's size before anything is allocated for the data: every allocation
         * below is bounded by bytes the file really has (and the header by 100 MB).
         */
        Header readHeader() throws IOException {
            if (size < 8) {
                throw bad("shorter than 8 bytes (" + size + ")");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            in.readFully(0, lenBuf);
            long n = lenBuf.getLong(0);
            // n is an unsigned u64; a negative long is above 2⁶³ and so beyond any file.
            if (n < 0 || n > size - 8) {
                throw bad("header length " + Long.toUnsignedString(n) + " exceeds the " + (size - 8)
                        + " bytes after the length field");
            }
            if (n > MAX_HEADER) {
                throw bad("header length " + n + " exceeds the 100 MB limit");
            }
            if (n < 2) {
                throw bad("header of " + n + " bytes cannot hold a JSON object");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) n);
            in.readFully(8, headerBuf);
            String json;
            try {
                json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(headerBuf.flip()).toString();
            } catch (CharacterCodingException e) {
                throw bad("header is not UTF-8");
            }
            long dataStart = 8 + n;
            long dataLength = size - dataStart;

            Map<String, String> metadata = new LinkedHashMap<>();
            List<Raw> raws = parseHeader(json, metadata);

            // Header order need not be offset order (the reference writer sorts by alignment); check the ranges
            // tile the buffer in offset order.
            long expectedBegin = 0;
            for (Raw r : byOffset(raws)) {
                if (r.begin != expectedBegin) {
                    throw bad(r.begin < expectedBegin
                            ? "tensor '" + r.name + "' at bytes [" + r.begin + ", " + r.end + ") overlaps the one "
                                    + "before it, which ends at " + expectedBegin
                            : "gap in the data buffer: bytes [" + expectedBegin + ", " + r.begin + ") belong to no "
                                    + "tensor");
                }
                if (r.end > dataLength) {
                    throw bad("tensor '" + r.name + "' ends at byte " + r.end + " of a data buffer of " + dataLength
                            + " bytes");
                }
                expectedBegin = r.end;
            }
            if (expectedBegin != dataLength) {
                throw bad((dataLength - expectedBegin) + " trailing bytes after the last tensor");
            }
            return new Header(raws, metadata, dataStart);
        }

        Contents read() throws IOException {
            Header h = readHeader();
            String stored = h.metadata.get(CHECKSUM_KEY);
            Checksum sum = stored == null ? null : new Checksum();
            if (sum != null) {
                for (Raw r : h.raws) {
                    sum.tensor(r.name, r.dtype.name(), r.shape, r.begin, r.end);
                }
                sum.metadata(h.metadata);
            }
            // Loaded in offset order, which the header check proved is the data buffer from first byte to last.
            Map<String, Entry> loaded = new HashMap<>();
            for (Raw r : byOffset(h.raws)) {
                loaded.put(r.name, load(r, h.dataStart, sum));
            }
            if (sum != null && !sum.hex().equals(stored)) {
                throw new InvalidInputException(source + ": checksum mismatch (the file is corrupt: its "
                        + CHECKSUM_KEY + " entry says " + oneLine(stored) + ", its contents give " + sum.hex()
                        + "; a changed bit on disk or in a copy)");
            }
            Map<String, Entry> tensors = new LinkedHashMap<>();
            for (Raw r : h.raws) {
                tensors.put(r.name, loaded.get(r.name));
            }
            Map<String, String> metadata = new LinkedHashMap<>(h.metadata);
            metadata.remove(CHECKSUM_KEY);
            return new Contents(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata),
                    sum != null);
        }

        private List<Raw> parseHeader(String json, Map<String, String> metadata) {
            List<Raw> raws = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            try (JsonReader r = new JsonReader(new StringReader(json))) {
                r.setStrictness(Strictness.STRICT);
                if (r.peek() != JsonToken.BEGIN_OBJECT) {
                    throw bad("header is not a JSON object");
                }
                r.beginObject();
                while (r.hasNext()) {
                    String name = r.nextName();
                    if (!seen.add(name)) {
                        throw bad("duplicate key '" + name + "' in header");
                    }
                    // Not JsonParser.parseReader, which parses leniently (unquoted strings, NaN) whatever the reader.
                    JsonElement value = GSON.getAdapter(JsonElement.class).read(r);
                    if (name.equals(METADATA)) {
                        parseMetadata(value, metadata);
                    } else {
                        raws.add(parseTensor(name, value));
                    }
                }
                r.endObject();
                // Trailing padding is whitespace; anything else after the object is not a valid header.
                if (r.peek() != JsonToken.END_DOCUMENT) {
                    throw bad("unexpected data after the header's JSON object");
                }
            } catch (JsonParseException | IOException | IllegalStateException | NumberFormatException e) {
                throw bad("header is not valid JSON (" + oneLine(ParseErrors.json(e)) + ")");
            }
            return raws;
        }

        private void parseMetadata(JsonElement value, Map<String, String> metadata) {
            if (!value.isJsonObject()) {
                throw bad("__metadata__ is not an object");
            }
            for (Map.Entry<String, JsonElement> m : value.getAsJsonObject().entrySet()) {
                JsonElement v = m.getValue();
                if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                    throw bad("__metadata__ value for '" + m.getKey() + "' is not a string");
                }
                metadata.put(m.getKey(), v.getAsString());
            }
        }

        private Raw parseTensor(String name, JsonElement value) {
            if (!value.isJsonObject()) {
                throw bad("entry '" + name + "' is not an object");
            }
            JsonObject o = value.getAsJsonObject();
            JsonElement dt = o.get("dtype");
            if (dt == null || !dt.isJsonPrimitive() || !dt.getAsJsonPrimitive().isString()) {
                throw bad("tensor '" + name + "' has no dtype string");
            }
            String dtypeName = dt.getAsString();
            Dtype dtype;
            try {
                dtype = Dtype.valueOf(dtypeName);
            } catch (IllegalArgumentException e) {
                // Raised for known-but-unhandled types (F16, BF16, I32, …) and for names the format lacks alike.
                throw new InvalidInputException(source + ": tensor '" + name + "' has unsupported dtype " + dtypeName
                        + " (Ravine reads F32, F64 and I64)");
            }
            long[] shape = nonNegativeLongs(o.get("shape"), "tensor '" + name + "' shape", -1);
            long[] offsets = nonNegativeLongs(o.get("data_offsets"), "tensor '" + name + "' data_offsets", 2);
            if (offsets[1] < offsets[0]) {
                throw bad("tensor '" + name + "' has data_offsets out of order [" + offsets[0] + ", " + offsets[1]
                        + "]");
            }
            long elements;
            long bytes;
            try {
                elements = elementCount(shape);
                bytes = Math.multiplyExact(elements, dtype.bytes());
            } catch (ArithmeticException e) {
                throw bad("tensor '" + name + "' shape " + Arrays.toString(shape) + " overflows");
            }
            if (bytes != offsets[1] - offsets[0]) {
                throw bad("tensor '" + name + "' of shape " + Arrays.toString(shape) + " and dtype " + dtype
                        + " needs " + bytes + " bytes, data_offsets give " + (offsets[1] - offsets[0]));
            }
            if (elements > Integer.MAX_VALUE - 8) {
                throw bad("tensor '" + name + "' has " + elements + " elements, more than a Java array holds");
            }
            return new Raw(name, dtype, shape, offsets[0], offsets[1]);
        }

        private long[] nonNegativeLongs(JsonElement e, String what, int expectedLength) {
            if (e == null || !e.isJsonArray()) {
                throw bad(what + " is not an array");
            }
            JsonArray a = e.getAsJsonArray();
            if (expectedLength >= 0 && a.size() != expectedLength) {
                throw bad(what + " has " + a.size() + " values, expected " + expectedLength);
            }
            long[] out = new long[a.size()];
            for (int i = 0; i < out.length; i++) {
                JsonElement v = a.get(i);
                if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
                    throw bad(what + " holds a non-number " + v);
                }
                JsonPrimitive p = v.getAsJsonPrimitive();
                long l;
                try {
                    l = p.getAsBigDecimal().longValueExact();
                } catch (ArithmeticException ex) {
                    throw bad(what + " holds " + p + ", not a 64-bit integer");
                }
                if (l < 0) {
                    throw bad(what + " holds a negative value " + l);
                }
                out[i] = l;
            }
            return out;
        }

        /**
         * One tensor, read in chunks straight into its array: memory is the array (bounded by the file's size,
         * checked before) plus one chunk, also for tensors over 2 GiB of bytes.
         */
        private Entry load(Raw r, long dataStart, Checksum sum) throws IOException {
            int count = (int) ((r.end - r.begin) / r.dtype.bytes());
            Object array = switch (r.dtype) {
                case F32 -> new float[count];
                case F64 -> new double[count];
                case I64 -> new long[count];
            };
            int per = (1 << 20) / r.dtype.bytes();
            ByteBuffer buf = ByteBuffer.allocate(per * r.dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
            for (int start = 0; start < count; start += per) {
                int n = Math.min(per, count - start);
                buf.clear().limit(n * r.dtype.bytes());
                in.readFully(dataStart + r.begin + (long) start * r.dtype.bytes(), buf);
                buf.flip();
                if (sum != null) {
                    sum.data(buf.duplicate());
                }
                switch (r.dtype) {
                    case F32 -> buf.asFloatBuffer().get((float[]) array, start, n);
                    case F64 -> buf.asDoubleBuffer().get((double[]) array, start, n);
                    case I64 -> buf.asLongBuffer().get((long[]) array, start, n);
                }
            }
            return new Entry(r.name, r.dtype, r.shape, array);
        }
    }

    private record Raw(String name, Dtype dtype, long[] shape, long begin, long end) {
    }

    private static List<Raw> byOffset(List<Raw> raws) {
        List<Raw> sorted = new ArrayList<>(raws);
        sorted.sort(Comparator.comparingLong((Raw r) -> r.begin).thenComparingLong(r -> r.end));
        return sorted;
    }

    private static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                return -1;
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }
}
