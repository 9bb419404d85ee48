package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ravine.InvalidInputException;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.io.SafeTensors;
import io.ravine.nn.Mlp;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoint integrity: every single-bit change of a checkpoint is refused with an {@link InvalidInputException}
 * naming the file (the CRC32C entry catches the data, the header checks and the checksum the rest); a file without
 * the entry, as PyTorch writes it, still loads; listing checkpoints reads no data, so a corrupt old one does not stop
 * a resume.
 */
class CheckpointIntegrityTest {
    @TempDir
    static Path dir;

    private static Path run;
    private static Trainer shapes;
    private static TrainConfig config;

    /** A tiny run (2 features, hidden 3, 3 classes; Adam; iterate averaging on) with checkpoints at 2, 4, final. */
    @BeforeAll
    static void train() throws IOException {
        Path csv = dir.resolve("tiny.csv");
        StringBuilder sb = new StringBuilder("x1,x2,label\n");
        for (int i = 0; i < 20; i++) {
            sb.append(i % 7 - 3).append(',').append(i % 5 - 2).append(',').append(i % 3).append('\n');
        }
        Files.writeString(csv, sb);
        config = TrainConfig.builder().setData(csv.toString()).optHidden(3).optOptimizer(UpdateRule.ADAM)
                .optEma(10).optBatchSize(4).optSteps(4).optCheckpointEvery(2).optSubset(8).optSeed(3)
                .build();
        run = dir.resolve("run");
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(run).fit();
        }
        shapes = new Trainer(config, CpuBackend.f32());
    }

    private static Checkpoint.Contents load(Path file) {
        return Checkpoint.load(file, shapes.mlp(), UpdateRule.ADAM, true);
    }

    @Test
    void everySingleBitFlipIsRefused() throws IOException {
        Path good = run.resolve("checkpoints/final.safetensors");
        byte[] bytes = Files.readAllBytes(good);
        Checkpoint.Contents reference = load(good);
        assertEquals(4, reference.step());
        assertNotNull(reference.ema());
        Path flipped = dir.resolve("flipped.safetensors");
        Files.write(flipped, bytes);
        int refused = 0;
        // Every bit of the file (about 1.5 KB here): header, padding, length field and data alike. The byte is
        // changed in place and restored, so each case costs one load.
        try (RandomAccessFile file = new RandomAccessFile(flipped.toFile(), "rw")) {
            for (int bit = 0; bit < bytes.length * 8; bit++) {
                int at = bit >>> 3;
                file.seek(at);
                file.write(bytes[at] ^ (1 << (bit & 7)));
                try {
                    load(flipped);
                    fail("bit " + bit + " (byte " + at + ") flipped, and the checkpoint still loaded");
                } catch (InvalidInputException e) {
                    assertTrue(e.getMessage().contains(flipped.toString()), "names the file: " + e.getMessage());
                    assertFalse(e.getMessage().contains("\n"), e.getMessage());
                    refused++;
                }
                file.seek(at);
                file.write(bytes[at]);
            }
        }
        assertEquals(bytes.length * 8, refused);
        // And the restored bytes load, to the same values.
        assertArrayEquals(bytes, Files.readAllBytes(flipped));
        assertArrayEquals(reference.theta(), load(flipped).theta());
    }

    @Test
    void aDataBitFlipIsReportedAsAChecksumMismatch() throws IOException {
        byte[] bytes = Files.readAllBytes(run.resolve("checkpoints/final.safetensors"));
        bytes[bytes.length - 20] ^= 0x04; // inside ema.theta, the last tensor: any value is a valid float
        Path f = dir.resolve("one-flip.safetensors");
        Files.write(f, bytes);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> load(f));
        assertTrue(e.getMessage().startsWith(f + ": checksum mismatch (the file is corrupt: "), e.getMessage());
    }

    /** The checkpoint's tensors and metadata written as a writer without Ravine's checksum (PyTorch's) would. */
    private static byte[] withoutChecksum(Path ckpt, Map<String, String> metadataChanges) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(ckpt);
        assertTrue(c.checksummed());
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.putAll(metadataChanges);
        meta.values().removeIf(v -> v == null || v.isEmpty());
        return SafeTensors.toBytesWithoutChecksum(new ArrayList<>(c.tensors().values()), meta);
    }

    @Test
    void aFileWithoutTheChecksumFromAnotherWriterLoads() throws IOException {
        Path ckpt = run.resolve("checkpoints/final.safetensors");
        // PyTorch's safetensors.torch.save_file writes only the metadata it is given: no format, no checksum.
        Map<String, String> drop = new LinkedHashMap<>();
        drop.put("format", "");
        Path foreign = dir.resolve("from-pytorch.safetensors");
        Files.write(foreign, withoutChecksum(ckpt, drop));
        assertFalse(SafeTensors.read(foreign).checksummed());
        assertArrayEquals(load(ckpt).theta(), load(foreign).theta());
        // So do checkpoints of Ravine before the checksum (format 1).
        Path old = dir.resolve("format-1.safetensors");
        Files.write(old, withoutChecksum(ckpt, Map.of("format", Checkpoint.FORMAT_UNCHECKED)));
        assertArrayEquals(load(ckpt).theta(), load(old).theta());
        // But a format-2 checkpoint that lost its checksum entry is refused: that is what a flipped key looks like.
        Path lost = dir.resolve("lost-checksum.safetensors");
        Files.write(lost, withoutChecksum(ckpt, Map.of()));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> load(lost));
        assertTrue(e.getMessage().startsWith(lost + ": checksum missing"), e.getMessage());
    }

    @Test
    void nanInThetaIsRefused() throws IOException {
        SafeTensors.Contents c = SafeTensors.read(run.resolve("checkpoints/final.safetensors"));
        List<SafeTensors.Entry> entries = new ArrayList<>();
        for (SafeTensors.Entry e : c.tensors().values()) {
            if (e.name().equals("layers.1.bias")) {
                float[] v = e.floats().clone();
                v[1] = Float.NaN;
                e = SafeTensors.Entry.f32(e.name(), e.shape(), v);
            }
            entries.add(e);
        }
        Path f = dir.resolve("nan.safetensors");
        SafeTensors.write(f, entries, c.metadata());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> load(f));
        assertTrue(e.getMessage().startsWith(f + ": tensor 'layers.1.bias' holds NaN at element 1 (not finite"),
                e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Checkpoint.loadParameters(f, shapes.mlp()));
        assertTrue(e.getMessage().contains("not finite"), e.getMessage());
    }

    @Test
    void anotherOptimizerOrArchitectureIsRefusedByName() {
        Path ckpt = run.resolve("checkpoints/final.safetensors");
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> Checkpoint.load(ckpt, shapes.mlp(), UpdateRule.MOMENTUM, true));
        assertTrue(e.getMessage().startsWith(ckpt + ": a checkpoint of optimizer adam, but this run uses momentum"),
                e.getMessage());
        Mlp wider = new Mlp(2, new int[] {5}, 3, config.activation(), config.loss());
        e = assertThrows(InvalidInputException.class, () -> Checkpoint.load(ckpt, wider, UpdateRule.ADAM, true));
        assertTrue(e.getMessage().startsWith(ckpt + ": tensor 'layers.0.weight' is F32 [3, 2], this run needs F32"
                + " [5, 2] (wrong architecture: the checkpoint is of 2-3-3 relu softmax-ce, this run's model is"
                + " 2-5-3 relu softmax-ce)"), e.getMessage());
    }

    @Test
    void listingOrdersByNameAndSurvivesACorruptOldCheckpoint() throws IOException {
        Path copy = dir.resolve("run-copy");
        Files.createDirectories(copy.resolve("checkpoints"));
        for (String name : List.of("step-00000002", "step-00000004", "final")) {
            Files.copy(run.resolve("checkpoints/" + name + ".safetensors"),
                    copy.resolve("checkpoints/" + name + ".safetensors"));
        }
        // The old checkpoint is garbage from its first byte: its name alone orders it.
        Files.write(copy.resolve("checkpoints/step-00000002.safetensors"), new byte[] {1, 2, 3});
        List<String> names = RunDirectories.checkpoints(copy).stream().map(p -> p.getFileName().toString())
                .toList();
        assertEquals(List.of("step-00000002.safetensors", "step-00000004.safetensors", "final.safetensors"), names);
        assertEquals(4, load(RunDirectories.latestCheckpoint(copy)).step());
        // A corrupt final sorts last, so resuming says so rather than quietly going back to an older checkpoint.
        Files.write(copy.resolve("checkpoints/final.safetensors"), new byte[] {9});
        Path latest = RunDirectories.latestCheckpoint(copy);
        assertEquals("final.safetensors", latest.getFileName().toString());
        assertThrows(InvalidInputException.class, () -> load(latest));
    }
}
