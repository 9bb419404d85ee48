package io.ravine.data;

import io.ravine.InvalidInputException;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files, the format of MNIST and Fashion-MNIST: two zero bytes, a dtype code, the number of dimensions, the
 * dimensions as big-endian unsigned 32-bit integers, then the values in row-major order. Only unsigned bytes (dtype
 * 0x08) are supported, which is what every MNIST-family file uses. A file is read as gzip when it starts with the
 * gzip magic 1f 8b, whatever its name says, because renamed and re-compressed copies of these files are common.
 */
public final class IdxReader {

    /** The dtype code of unsigned bytes. */
    public static final int UBYTE = 0x08;

    private static final int GZIP_MAGIC_0 = 0x1f;
    private static final int GZIP_MAGIC_1 = 0x8b;

    private IdxReader() {
    }

    /** The contents of one IDX file: its dimensions and its values as unsigned bytes stored in Java bytes. */
    public record IdxArray(String source, int[] dims, byte[] data) {

        /**
         * Number of items along the first dimension.
         *
         * @return the first dimension
         */
        public int count() {
            return dims[0];
        }

        /**
         * Values per item: the product of all dimensions but the first.
         *
         * @return the product of the other dimensions
         */
        public int itemSize() {
            int s = 1;
            for (int i = 1; i < dims.length; i++) {
                s *= dims[i];
            }
            return s;
        }

        /**
         * The value at flat index {@code i}, 0..255.
         *
         * @param i the flat index
         * @return the byte as 0..255
         */
        public int unsigned(int i) {
            return data[i] & 0xff;
        }
    }

    /**
     * Reads one IDX file, raw or gzip-compressed.
     *
     * @param file the file
     * @return its contents
     */
    public static IdxArray read(Path file) {
        String source = file.toString();
        if (Files.isDirectory(file)) {
            throw new InvalidInputException(source + ": is a directory, not an IDX file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, source, Files.size(file));
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(source + ": no such file");
        } catch (AccessDeniedException e) {
            throw new InvalidInputException(source + ": permission denied (cannot read the file)", e);
        } catch (IOException e) {
            throw new InvalidInputException(source + ": cannot read: " + io.ravine.io.ParseErrors.io(e), e);
        }
    }

    /**
     * Reads one IDX file from a stream (which it does not close); {@code source} names it in error messages.
     *
     * @param raw the stream
     * @param source its name in messages
     * @return its contents
     */
    public static IdxArray read(InputStream raw, String source) {
        return read(raw, source, -1);
    }

    /**
     * As {@link #read(InputStream, String)}; {@code fileSize} (-1 if unknown) is the stream's length, against which
     * an uncompressed file's header is checked before anything is allocated for its data.
     */
    private static IdxArray read(InputStream raw, String source, long fileSize) {
        try {
            BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
            buffered.mark(2);
            int b0 = buffered.read();
            int b1 = buffered.read();
            buffered.reset();
            if (b0 < 0) {
                throw new InvalidInputException(source + ": empty file (expected an IDX header)");
            }
            InputStream in = buffered;
            long rawSize = fileSize;
            if (b0 == GZIP_MAGIC_0 && b1 == GZIP_MAGIC_1) {
                in = new BufferedInputStream(new GZIPInputStream(buffered, 1 << 16), 1 << 16);
                rawSize = -1; // gzip's own size field is mod 2^32 and as corruptible as the rest; read and see
            }
            return parse(in, source, rawSize);
        } catch (EOFException e) {
            throw new InvalidInputException(source + ": truncated gzip data (" + e.getMessage() + ")", e);
        } catch (ZipException e) {
            throw new InvalidInputException(source + ": corrupt gzip data (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new InvalidInputException(source + ": cannot read: " + io.ravine.io.ParseErrors.io(e), e);
        }
    }

    private static IdxArray parse(InputStream in, String source, long rawSize) throws IOException {
        byte[] head = in.readNBytes(4);
        if (head.length < 4) {
            throw new InvalidInputException(source + ": truncated header (" + head.length
                    + " bytes, an IDX header needs at least 4)");
        }
        int magic = ((head[0] & 0xff) << 24) | ((head[1] & 0xff) << 16) | ((head[2] & 0xff) << 8) | (head[3] & 0xff);
        if (head[0] != 0 || head[1] != 0) {
            throw new InvalidInputException(source + ": bad magic number " + hex(magic)
                    + " (an IDX file starts with two zero bytes); not an IDX file");
        }
        int dtype = head[2] & 0xff;
        if (dtype != UBYTE) {
            throw new InvalidInputException(source + ": wrong dtype code 0x" + String.format("%02X", dtype) + " in magic "
                    + hex(magic) + " (" + dtypeName(dtype) + "); only 0x08, unsigned bytes, is supported");
        }
        int ndim = head[3] & 0xff;
        if (ndim == 0) {
            throw new InvalidInputException(source + ": bad magic number " + hex(magic) + ": zero dimensions");
        }
        byte[] dimBytes = in.readNBytes(4 * ndim);
        if (dimBytes.length < 4 * ndim) {
            throw new InvalidInputException(source + ": truncated header (" + ndim + " dimensions announced, "
                    + dimBytes.length / 4 + " present)");
        }
        int[] dims = new int[ndim];
        long total = 1;
        for (int i = 0; i < ndim; i++) {
            long d = ((long) (dimBytes[4 * i] & 0xff) << 24) | ((dimBytes[4 * i + 1] & 0xff) << 16)
                    | ((dimBytes[4 * i + 2] & 0xff) << 8) | (dimBytes[4 * i + 3] & 0xff);
            total *= d;
            // Java arrays are int-indexed; refuse before allocating rather than fail with an overflowed length.
            if (d > Integer.MAX_VALUE || total > Integer.MAX_VALUE - 16) {
                throw new InvalidInputException(source + ": dimensions " + dimsText(dimBytes, ndim)
                        + " hold more values than fit in memory (at most " + (Integer.MAX_VALUE - 16) + ")");
            }
            dims[i] = (int) d;
        }
        long headerBytes = 4L + 4L * ndim;
        if (rawSize >= 0 && rawSize - headerBytes != total) {
            // Known before reading: refuse a header that claims more (or less) than the file holds, so a corrupt
            // count costs no allocation. The wording is the one the streaming checks below use.
            long found = rawSize - headerBytes;
            throw new InvalidInputException(source + (found < total
                    ? ": truncated data: dimensions " + Arrays.toString(dims) + " need " + total + " bytes, found "
                            + found + " (file size vs the " + headerBytes + "-byte header)"
                    : ": trailing garbage: " + (found - total) + " bytes after the " + total + " that dimensions "
                            + Arrays.toString(dims) + " describe"));
        }
        // readNBytes grows its buffer as bytes arrive, so a gzip stream claiming more than it holds costs only what
        // it holds.
        byte[] data = in.readNBytes((int) total);
        if (data.length < total) {
            throw new InvalidInputException(source + ": truncated data: dimensions " + Arrays.toString(dims)
                    + " need " + total + " bytes, found " + data.length);
        }
        if (in.read() >= 0) {
            long extra = 1 + in.transferTo(OutputStream.nullOutputStream());
            throw new InvalidInputException(source + ": trailing garbage: " + extra + " bytes after the "
                    + total + " that dimensions " + Arrays.toString(dims) + " describe");
        }
        return new IdxArray(source, dims, data);
    }

    /**
     * Pixels of an image file ([n, rows, cols]) as floats in [0, 1], row-major [n, rows * cols].
     *
     * @param images an image file
     * @return the pixels
     */
    public static float[] imagePixels(IdxArray images) {
        if (images.dims().length != 3) {
            throw new InvalidInputException(images.source() + ": an image file needs 3 dimensions [n, rows, cols], found "
                    + Arrays.toString(images.dims()));
        }
        byte[] data = images.data();
        float[] pixels = new float[data.length];
        for (int i = 0; i < data.length; i++) {
            pixels[i] = (data[i] & 0xff) / 255f;
        }
        return pixels;
    }

    /**
     * Class indices of a label file ([n]), each checked to be below {@code numClasses}; with numClasses ≤ 0 any byte
     * is accepted.
     *
     * @param labels a label file
     * @param numClasses K, or ≤ 0 for any byte
     * @return the labels
     */
    public static int[] labels(IdxArray labels, int numClasses) {
        if (labels.dims().length != 1) {
            throw new InvalidInputException(labels.source() + ": a label file needs 1 dimension [n], found "
                    + Arrays.toString(labels.dims()));
        }
        int[] out = new int[labels.count()];
        for (int i = 0; i < out.length; i++) {
            int label = labels.unsigned(i);
            if (numClasses > 0 && label >= numClasses) {
                throw new InvalidInputException(labels.source() + ": label " + label + " at index " + i
                        + " is out of range for " + numClasses + " classes (0.." + (numClasses - 1) + ")");
            }
            out[i] = label;
        }
        return out;
    }

    /**
     * An image file and its label file as one classification dataset. With {@code numClasses} ≤ 0 the number of
     * classes is the largest label + 1.
     *
     * @param images the image file
     * @param labels the label file
     * @param numClasses K, or ≤ 0 for the largest label + 1
     * @param name the dataset's name
     * @return the dataset
     */
    public static Dataset read(Path images, Path labels, int numClasses, String name) {
        return dataset(read(images), read(labels), numClasses, name);
    }

    /**
     * As {@link #read(Path, Path, int, String)}, for already parsed files.
     *
     * @param images the image file
     * @param labelArray the label file
     * @param numClasses K, or ≤ 0 for the largest label + 1
     * @param name the dataset's name
     * @return the dataset
     */
    public static Dataset dataset(IdxArray images, IdxArray labelArray, int numClasses, String name) {
        if (images.dims().length == 3 && images.count() == 0) {
            throw new InvalidInputException(images.source() + ": holds no images (dimensions "
                    + Arrays.toString(images.dims()) + ")");
        }
        if (images.dims().length == 3 && images.itemSize() == 0) {
            throw new InvalidInputException(images.source() + ": images of 0 pixels (dimensions "
                    + Arrays.toString(images.dims()) + ")");
        }
        float[] pixels = imagePixels(images);
        int[] labels = labels(labelArray, numClasses);
        if (images.count() != labels.length) {
            throw new InvalidInputException(images.source() + " holds " + images.count() + " images but "
                    + labelArray.source() + " holds " + labels.length + " labels (counts must match)");
        }
        int classes = numClasses;
        if (classes <= 0) {
            classes = 0;
            for (int l : labels) {
                classes = Math.max(classes, l + 1);
            }
        }
        float[] targets = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            targets[i] = labels[i];
        }
        return new Dataset(name, images.count(), images.itemSize(), pixels, 1, targets, classes);
    }

    private static String hex(int v) {
        return String.format("0x%08X", v);
    }

    private static String dimsText(byte[] dimBytes, int ndim) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < ndim; i++) {
            long d = ((long) (dimBytes[4 * i] & 0xff) << 24) | ((dimBytes[4 * i + 1] & 0xff) << 16)
                    | ((dimBytes[4 * i + 2] & 0xff) << 8) | (dimBytes[4 * i + 3] & 0xff);
            sb.append(i == 0 ? "" : ", ").append(d);
        }
        return sb.append(']').toString();
    }

    private static String dtypeName(int code) {
        return switch (code) {
            case 0x09 -> "signed bytes";
            case 0x0B -> "16-bit integers";
            case 0x0C -> "32-bit integers";
            case 0x0D -> "32-bit floats";
            case 0x0E -> "64-bit floats";
            default -> "not an IDX dtype";
        };
    }
}
