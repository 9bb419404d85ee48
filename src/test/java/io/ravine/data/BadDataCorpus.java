package io.ravine.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * The bad-data corpus of issue 7, generated into a directory (no checked-in binaries): IDX directories with one
 * broken file each (raw and gzip), and CSV files with one problem each. Each case names the file the error must
 * name and a word for the problem; the CLI tests and the library tests run the same cases.
 */
public final class BadDataCorpus {
    /** Classes in every good training file (labels 0..2), so a test label of 3 or more is out of range. */
    public static final int CLASSES = 3;

    /**
     * One case: {@code data} and {@code testData} (nullable) are what {@code --data} and {@code --test-data} get;
     * the error must name {@code culprit} (a path, or part of one) and contain {@code problem}.
     */
    public record Case(String name, String data, String testData, String culprit, String problem) {
        @Override
        public String toString() {
            return name;
        }
    }

    private BadDataCorpus() {
    }

    /** Deletes {@code root} and everything under it (the corpus of a parameterised test's factory). */
    public static void deleteRecursively(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (java.util.stream.Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes every case under {@code root} and returns them. */
    public static List<Case> write(Path root) {
        try {
            List<Case> cases = new ArrayList<>();
            idxCases(root.resolve("idx"), cases);
            csvCases(root.resolve("csv"), cases);
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- IDX ----

    private static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    private static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    private static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    private static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

    /** A valid IDX file: magic 00 00 08 ndim, big-endian dims, then {@code data}. */
    public static byte[] idx(int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) 8).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.put(data).array();
    }

    /** An IDX header alone, with dims as unsigned 32-bit values (so claims up to 2³²−1 can be written). */
    public static byte[] idxHeader(long... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length);
        b.put((byte) 0).put((byte) 0).put((byte) 8).put((byte) dims.length);
        for (long d : dims) {
            b.putInt((int) d);
        }
        return b.array();
    }

    public static byte[] gzip(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] pixels(int n) {
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) {
            p[i] = (byte) (i * 37);
        }
        return p;
    }

    private static byte[] labels(int n, int classes) {
        byte[] l = new byte[n];
        for (int i = 0; i < n; i++) {
            l[i] = (byte) (i % classes);
        }
        return l;
    }

    /** The four files of a small valid IDX dataset: 12 training and 6 test images of 4×4, labels 0..2. */
    public static void writeGoodIdx(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve(TRAIN_IMAGES), idx(new int[] {12, 4, 4}, pixels(12 * 16)));
        Files.write(dir.resolve(TRAIN_LABELS), idx(new int[] {12}, labels(12, CLASSES)));
        Files.write(dir.resolve(TEST_IMAGES), idx(new int[] {6, 4, 4}, pixels(6 * 16)));
        Files.write(dir.resolve(TEST_LABELS), idx(new int[] {6}, labels(6, CLASSES)));
    }

    /** A good IDX directory in which {@code file} is replaced by {@code bytes} (as {@code file + ".gz"} if gz). */
    private static void idxCase(Path root, List<Case> cases, String name, String file, boolean gz, byte[] bytes,
            String problem) throws IOException {
        Path dir = root.resolve(name);
        writeGoodIdx(dir);
        Files.delete(dir.resolve(file));
        String written = gz ? file + ".gz" : file;
        Files.write(dir.resolve(written), bytes);
        cases.add(new Case("idx " + name, dir.toString(), null, dir.resolve(written).toString(), problem));
    }

    private static void idxCases(Path root, List<Case> cases) throws IOException {
        byte[] images = idx(new int[] {12, 4, 4}, pixels(12 * 16));
        byte[] gzImages = gzip(images);
        idxCase(root, cases, "truncated-header", TRAIN_IMAGES, false, Arrays.copyOf(images, 10), "truncated header");
        idxCase(root, cases, "truncated-header-gz", TRAIN_IMAGES, true, gzip(Arrays.copyOf(images, 10)),
                "truncated header");
        idxCase(root, cases, "empty-file", TRAIN_IMAGES, false, new byte[0], "empty file");
        idxCase(root, cases, "truncated-data", TRAIN_IMAGES, false, Arrays.copyOf(images, images.length - 5),
                "truncated data");
        idxCase(root, cases, "truncated-data-gz", TRAIN_IMAGES, true,
                gzip(Arrays.copyOf(images, images.length - 5)), "truncated data");
        idxCase(root, cases, "trailing-garbage", TRAIN_IMAGES, false, Arrays.copyOf(images, images.length + 3),
                "trailing garbage");
        // The gzip magic and a valid member header, then a deflate block of the reserved type 11: corrupt.
        byte[] garbled = Arrays.copyOf(gzImages, gzImages.length);
        Arrays.fill(garbled, 10, garbled.length - 8, (byte) 0xFF);
        idxCase(root, cases, "garbled-gzip", TRAIN_IMAGES, true, garbled, "corrupt gzip");
        idxCase(root, cases, "gzip-cut-short", TRAIN_IMAGES, true, Arrays.copyOf(gzImages, gzImages.length / 2),
                "truncated gzip");
        byte[] badMagic = images.clone();
        badMagic[0] = 0x12;
        badMagic[1] = 0x34;
        idxCase(root, cases, "wrong-magic", TRAIN_IMAGES, false, badMagic, "bad magic");
        byte[] badDtype = images.clone();
        badDtype[2] = 0x0D;
        idxCase(root, cases, "wrong-dtype", TRAIN_IMAGES, false, badDtype, "dtype");
        byte[] twoDims = images.clone();
        twoDims[3] = 2; // dims read as [12, 4]; the rest of the file does not fit that
        idxCase(root, cases, "ndim-too-small", TRAIN_IMAGES, false, twoDims, "dimensions");
        byte[] fourDims = images.clone();
        fourDims[3] = 4;
        idxCase(root, cases, "ndim-too-large", TRAIN_IMAGES, false, fourDims, "dimensions");
        idxCase(root, cases, "label-file-with-3-dims", TRAIN_LABELS, false, idx(new int[] {12, 1, 1},
                labels(12, CLASSES)), "1 dimension");
        idxCase(root, cases, "count-mismatch", TRAIN_LABELS, false, idx(new int[] {11}, labels(11, CLASSES)),
                "counts must match");
        idxCase(root, cases, "zero-images", TRAIN_IMAGES, false, idx(new int[] {0, 4, 4}, new byte[0]),
                "no images");
        idxCase(root, cases, "zero-pixels", TRAIN_IMAGES, false, idx(new int[] {12, 0, 4}, new byte[0]),
                "0 pixels");
        // 2³¹ images of 2¹⁶×2¹⁶ in a 16-byte file: refused from the header, before any allocation.
        idxCase(root, cases, "huge-dims", TRAIN_IMAGES, false, idxHeader(1L << 31, 1 << 16, 1 << 16),
                "fit in memory");
        idxCase(root, cases, "huge-dims-gz", TRAIN_IMAGES, true, gzip(idxHeader(1L << 31, 1 << 16, 1 << 16)),
                "fit in memory");
        // 784 MB claimed by a 16-byte file: below the array limit, refused against the file size.
        idxCase(root, cases, "claim-beyond-file", TRAIN_IMAGES, false, idxHeader(1_000_000, 28, 28),
                "truncated data");
        byte[] testLabels = labels(6, CLASSES);
        testLabels[4] = 7;
        idxCase(root, cases, "test-label-out-of-range", TEST_LABELS, false, idx(new int[] {6}, testLabels),
                "out of range");
        idxCase(root, cases, "test-images-other-size", TEST_IMAGES, false, idx(new int[] {6, 5, 5},
                pixels(6 * 25)), "pixels");
    }

    // ---- CSV ----

    private static final String GOOD_ROWS = "1,2,0\n3,4,1\n5,6,2\n7,8,0\n";

    private static void csvCase(Path root, List<Case> cases, String name, String content, String problem)
            throws IOException {
        Path f = root.resolve(name + ".csv");
        Files.createDirectories(root);
        Files.writeString(f, content, StandardCharsets.UTF_8);
        cases.add(new Case("csv " + name, f.toString(), null, f.toString(), problem));
    }

    private static void csvCases(Path root, List<Case> cases) throws IOException {
        String h = "x1,x2,label\n";
        csvCase(root, cases, "missing-cell", h + GOOD_ROWS + "9,,1\n", "empty cell");
        csvCase(root, cases, "ragged-short", h + GOOD_ROWS + "9,1\n", "ragged row");
        csvCase(root, cases, "ragged-long", h + GOOD_ROWS + "9,1,1,4\n", "ragged row");
        csvCase(root, cases, "text-in-number", h + GOOD_ROWS + "9,abc,1\n", "not a number");
        csvCase(root, cases, "nan", h + GOOD_ROWS + "NaN,1,1\n", "not finite");
        csvCase(root, cases, "nan-lower", h + GOOD_ROWS + "1,nan,1\n", "not finite");
        csvCase(root, cases, "inf", h + GOOD_ROWS + "Inf,1,1\n", "not finite");
        csvCase(root, cases, "minus-inf", h + GOOD_ROWS + "-inf,1,1\n", "not finite");
        csvCase(root, cases, "infinity", h + GOOD_ROWS + "1,Infinity,1\n", "not finite");
        csvCase(root, cases, "float-overflow", h + GOOD_ROWS + "1e39,1,1\n", "not finite");
        csvCase(root, cases, "negative-label", h + GOOD_ROWS + "1,1,-1\n", "negative");
        csvCase(root, cases, "non-integer-label", h + GOOD_ROWS + "1,1,1.5\n", "not an integer");
        csvCase(root, cases, "huge-label", h + GOOD_ROWS + "1,1,99999999\n", "too large");
        csvCase(root, cases, "header-only", h, "no data rows");
        csvCase(root, cases, "empty", "", "empty file");
        csvCase(root, cases, "no-header", GOOD_ROWS, "no header");
        csvCase(root, cases, "unterminated-quote", h + GOOD_ROWS + "1,\"2,1\n", "malformed csv");

        // A test file whose label is beyond the training file's classes.
        Path train = root.resolve("train-3-classes.csv");
        Files.writeString(train, h + GOOD_ROWS);
        Path test = root.resolve("test-label-7.csv");
        Files.writeString(test, h + "1,2,0\n3,4,7\n");
        cases.add(new Case("csv test-label-out-of-range", train.toString(), test.toString(), test.toString(),
                "out of range"));
        Path wide = root.resolve("test-3-features.csv");
        Files.writeString(wide, "x1,x2,x3,label\n1,2,3,0\n");
        cases.add(new Case("csv test-other-width", train.toString(), wide.toString(), wide.toString(),
                "feature columns"));

        // Paths that are not files.
        Path emptyDir = root.resolve("a-directory");
        Files.createDirectories(emptyDir);
        cases.add(new Case("directory as --data", emptyDir.toString(), null, emptyDir.toString(), "missing"));
        cases.add(new Case("directory as --test-data", train.toString(), emptyDir.toString(), emptyDir.toString(),
                "is a directory"));
        Path nowhere = root.resolve("does-not-exist.csv");
        cases.add(new Case("nonexistent --data", nowhere.toString(), null, nowhere.toString(), "no such file"));
        cases.add(new Case("nonexistent --test-data", train.toString(), nowhere.toString(), nowhere.toString(),
                "no such file"));
        cases.add(new Case("device file as --data", "/dev/null", null, "/dev/null", "not a regular file"));
    }
}
