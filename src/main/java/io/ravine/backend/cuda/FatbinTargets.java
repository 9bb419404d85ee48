package io.ravine.backend.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What a CUDA fatbin holds, read from its headers: SASS (a cubin) per sm_XX and PTX per compute_XX. So messages name
 * the targets of the kernels actually in the jar (kernels/build.sh builds what NVCC_ARCH asks for), and tests check a
 * rebuild without cuobjdump. Layout (little-endian): a 16-byte header (magic 0xBA55ED50, version u16, header size
 * u16, size of the entries u64), then entries, each a header (kind u16: 1 PTX, 2 ELF; u16; header size u32; payload
 * size u64; ...; the architecture as a u32 at byte 28, e.g. 86) followed by its payload.
 */
final class FatbinTargets {
    private static final int MAGIC = 0xBA55ED50;
    private static final int KIND_PTX = 1;
    private static final int KIND_ELF = 2;
    private static final int ARCH_OFFSET = 28;

    private FatbinTargets() {
    }

    /** One image in a fatbin: PTX for compute_{arch}, or SASS for sm_{arch}. */
    record Target(boolean ptx, int arch) {
        @Override
        public String toString() {
            return (ptx ? "compute_" : "sm_") + arch;
        }
    }

    /** The images of {@code fatbin}, in file order; IllegalArgumentException when it is not a fatbin. */
    static List<Target> read(byte[] fatbin) {
        ByteBuffer b = ByteBuffer.wrap(fatbin).order(ByteOrder.LITTLE_ENDIAN);
        if (fatbin.length < 16 || b.getInt(0) != MAGIC) {
            throw new IllegalArgumentException("not a CUDA fatbin (no 0xBA55ED50 header)");
        }
        int headerSize = Short.toUnsignedInt(b.getShort(6));
        long end = headerSize + b.getLong(8);
        if (headerSize < 16 || end > fatbin.length) {
            throw new IllegalArgumentException("truncated CUDA fatbin: header says " + end + " bytes, file has "
                    + fatbin.length);
        }
        List<Target> out = new ArrayList<>();
        long off = headerSize;
        while (off < end) {
            if (off + ARCH_OFFSET + 4 > end) {
                throw new IllegalArgumentException("truncated CUDA fatbin entry at byte " + off);
            }
            int at = (int) off;
            int kind = Short.toUnsignedInt(b.getShort(at));
            long entryHeader = Integer.toUnsignedLong(b.getInt(at + 4));
            long payload = b.getLong(at + 8);
            int arch = b.getInt(at + ARCH_OFFSET);
            if (kind == KIND_PTX || kind == KIND_ELF) {
                out.add(new Target(kind == KIND_PTX, arch));
            }
            if (entryHeader <= 0 || payload < 0) {
                throw new IllegalArgumentException("corrupt CUDA fatbin entry at byte " + off);
            }
            off += entryHeader + payload;
        }
        return out;
    }

    /** E.g. "SASS for sm_80 and sm_90, PTX for compute_90". */
    static String describe(List<Target> targets) {
        String sass = join(targets.stream().filter(t -> !t.ptx()).map(Target::toString).distinct().toList());
        String ptx = join(targets.stream().filter(Target::ptx).map(Target::toString).distinct().toList());
        if (sass.isEmpty()) {
            return ptx.isEmpty() ? "no GPU code" : "PTX for " + ptx;
        }
        return "SASS for " + sass + (ptx.isEmpty() ? "" : ", PTX for " + ptx);
    }

    /** {@link #describe} of a fatbin's bytes, or a note that its headers could not be read. */
    static String describe(byte[] fatbin) {
        try {
            return describe(read(fatbin));
        } catch (IllegalArgumentException e) {
            return "targets unreadable: " + e.getMessage();
        }
    }

    private static String join(List<String> names) {
        if (names.size() <= 1) {
            return String.join("", names);
        }
        return names.subList(0, names.size() - 1).stream().collect(Collectors.joining(", ")) + " and "
                + names.get(names.size() - 1);
    }
}
