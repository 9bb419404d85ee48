package io.ravine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.Dataset;
import io.ravine.data.TrainTest;
import io.ravine.export.CheckpointReader;
import io.ravine.export.ExportSpec;
import io.ravine.export.OnnxExport;
import io.ravine.export.TorchExport;
import io.ravine.io.SafeTensors;
import io.ravine.train.Trainer;
import io.ravine.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code ravine export} on corrupt, truncated and mismatched checkpoints and bad flags: exit 2, one {@code ravine:}
 * line naming the file or flag and the problem, no trace, no library internals, and nothing written (every file of
 * the case's directory as it was, none added: the output file is not created). Then what must work: both formats,
 * --overwrite, a missing output directory.
 */
class ExportCommandTest {
    @TempDir
    static Path shared;

    /** A real checkpoint of a 6-8-3 ReLU softmax-ce model, as Ravine writes them today (no normalization stored). */
    static Path checkpoint;
    /** The same model trained with --normalize none (its run's config.json says so). */
    static Path unnormalized;
    static float[] mean;
    static float[] std;

    @BeforeAll
    static void train() throws IOException {
        SplittableRandom rng = new SplittableRandom(9);
        int n = 120;
        int d = 6;
        float[] x = new float[n * d];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i * d + j] = (float) (j + (1 + j) * rng.nextGaussian());
            }
            y[i] = i % 3;
        }
        Dataset all = new Dataset("tiny", n, d, x, 1, y, 3);
        TrainConfig config = TrainConfig.builder().setData("tiny").optHidden(8).optActivation(Activation.RELU)
                .optLoss(LossKind.SOFTMAX_CE).optOptimizer(UpdateRule.ADAM).optLearningRate(1e-2).optBatchSize(16)
                .optSteps(5).build();
        try (Trainer t = new Trainer(config, CpuBackend.f32(), new TrainTest(all.limit(100), all.limit(20)))) {
            t.optProgressBar(false).optRunDirectory(shared.resolve("run")).fit();
            mean = t.normalizer().mean();
            std = t.normalizer().scale();
        }
        checkpoint = shared.resolve("run/checkpoints/final.safetensors");
        try (Trainer t = new Trainer(config.toBuilder().optNormalize("none").build(), CpuBackend.f32(),
                new TrainTest(all.limit(100), all.limit(20)))) {
            t.optProgressBar(false).optRunDirectory(shared.resolve("run-none")).fit();
        }
        unnormalized = shared.resolve("run-none/checkpoints/final.safetensors");
        // These cases are about checkpoints from before the input normalization was stored in them (the flags, and
        // the run's config.json as the fallback): rewrite both runs' final checkpoints that way.
        io.ravine.export.ExportTestModels.stripNormalization(checkpoint, checkpoint);
        io.ravine.export.ExportTestModels.stripNormalization(unnormalized, unnormalized);
    }

    /** A case: what to put in its directory, the arguments, and what the one line must say. */
    record Case(String name, Setup setup) {
        @Override
        public String toString() {
            return name;
        }
    }

    @FunctionalInterface
    interface Setup {
        /** Writes the case's files into {@code dir}; returns the arguments and the strings the line must hold. */
        Invocation make(Path dir) throws IOException;
    }

    record Invocation(List<String> args, List<String> mustSay) {
    }

    private static Invocation export(Path checkpointFile, Path dir, List<String> extra, String... mustSay) {
        List<String> args = new ArrayList<>(List.of("export", "--checkpoint", checkpointFile.toString(), "--format",
                "torch", "--out", dir.resolve("model.safetensors").toString()));
        args.addAll(extra);
        return new Invocation(args, List.of(mustSay));
    }

    /** The shared checkpoint copied into {@code dir} with its tensors and metadata changed by {@code edit}. */
    private static Path edited(Path dir, Consumer<Map<String, SafeTensors.Entry>> tensors,
            Consumer<Map<String, String>> metadata) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(checkpoint);
        Map<String, SafeTensors.Entry> t = new LinkedHashMap<>(c.tensors());
        Map<String, String> m = new LinkedHashMap<>(c.metadata());
        tensors.accept(t);
        metadata.accept(m);
        Path file = dir.resolve("edited.safetensors");
        SafeTensors.write(file, new ArrayList<>(t.values()), m);
        return file;
    }

    private static Path withStatistics(Path dir, float[] statsMean, float[] statsStd) throws IOException {
        return edited(dir, t -> {
            t.put(CheckpointReader.MEAN, SafeTensors.Entry.f32(CheckpointReader.MEAN, statsMean));
            t.put(CheckpointReader.STD, SafeTensors.Entry.f32(CheckpointReader.STD, statsStd));
        }, m -> m.put(CheckpointReader.NORMALIZATION_KEY, "zscore"));
    }

    private static Path copy(Path dir) throws IOException {
        return Files.copy(checkpoint, dir.resolve("copy.safetensors"));
    }

    static Stream<Arguments> cases() {
        List<Case> c = new ArrayList<>();
        // ---- the file itself ----
        c.add(new Case("no such checkpoint", dir -> export(dir.resolve("absent.safetensors"), dir, List.of(),
                "absent.safetensors", "no such file")));
        c.add(new Case("empty file", dir -> export(Files.write(dir.resolve("empty.safetensors"), new byte[0]), dir,
                List.of(), "empty.safetensors", "shorter than 8 bytes")));
        c.add(new Case("truncated", dir -> {
            byte[] b = Files.readAllBytes(checkpoint);
            return export(Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(b, b.length - 50)), dir,
                    List.of(), "cut.safetensors", "not a valid safetensors file");
        }));
        c.add(new Case("a flipped bit in the data", dir -> {
            byte[] b = Files.readAllBytes(checkpoint);
            b[b.length - 40] ^= 0x10;
            return export(Files.write(dir.resolve("flip.safetensors"), b), dir, List.of(), "flip.safetensors",
                    "checksum mismatch");
        }));
        c.add(new Case("checksum entry removed", dir -> {
            SafeTensors.Contents s = SafeTensors.read(checkpoint);
            return export(Files.write(dir.resolve("nosum.safetensors"), SafeTensors.toBytesWithoutChecksum(
                    new ArrayList<>(s.tensors().values()), s.metadata())), dir, List.of(), "nosum.safetensors",
                    "checksum missing");
        }));
        c.add(new Case("a directory", dir -> export(Files.createDirectory(dir.resolve("ckpt")), dir, List.of(),
                "ckpt", "is a directory")));
        // ---- architecture and layers ----
        c.add(new Case("no architecture metadata", dir -> export(edited(dir, t -> { }, m -> m.remove("architecture")),
                dir, List.of(), "edited.safetensors", "no 'architecture' metadata")));
        c.add(new Case("unknown activation", dir -> export(edited(dir, t -> { },
                m -> m.put("architecture", "6-8-3 swish softmax-ce")), dir, List.of(), "edited.safetensors",
                "unknown activation 'swish'")));
        c.add(new Case("unknown loss", dir -> export(edited(dir, t -> { },
                m -> m.put("architecture", "6-8-3 relu hinge")), dir, List.of(), "edited.safetensors",
                "unknown loss 'hinge'")));
        c.add(new Case("malformed widths", dir -> export(edited(dir, t -> { },
                m -> m.put("architecture", "6-x-3 relu softmax-ce")), dir, List.of(), "edited.safetensors",
                "width 'x'")));
        c.add(new Case("a missing layer", dir -> export(edited(dir, t -> t.remove("layers.1.weight"), m -> { }), dir,
                List.of(), "edited.safetensors", "'layers.1.weight' is missing", "[3, 8]")));
        c.add(new Case("shapes that do not chain", dir -> export(edited(dir,
                t -> t.put("layers.1.weight", SafeTensors.Entry.f32("layers.1.weight", new long[] {3, 7},
                        new float[21])), m -> { }), dir, List.of(), "edited.safetensors",
                "'layers.1.weight' is F32 [3, 7]", "needs F32 [3, 8]")));
        c.add(new Case("architecture and layers disagree", dir -> export(edited(dir, t -> { },
                m -> m.put("architecture", "6-9-3 relu softmax-ce")), dir, List.of(), "edited.safetensors",
                "'layers.0.weight' is F32 [8, 6]", "needs F32 [9, 6]")));
        c.add(new Case("a layer beyond the architecture", dir -> export(edited(dir,
                t -> t.put("layers.2.weight", SafeTensors.Entry.f32("layers.2.weight", new long[] {3, 3},
                        new float[9])), m -> { }), dir, List.of(), "edited.safetensors", "'layers.2.weight'",
                "2 layer(s)")));
        c.add(new Case("a float64 weight", dir -> export(edited(dir,
                t -> t.put("layers.0.bias", SafeTensors.Entry.f64("layers.0.bias", new long[] {8}, new double[8])),
                m -> { }), dir, List.of(), "edited.safetensors", "'layers.0.bias' is F64 [8]")));
        c.add(new Case("NaN in a weight", dir -> export(edited(dir, t -> {
            float[] w = t.get("layers.1.weight").floats().clone();
            w[4] = Float.NaN;
            t.put("layers.1.weight", SafeTensors.Entry.f32("layers.1.weight", new long[] {3, 8}, w));
        }, m -> { }), dir, List.of(), "edited.safetensors", "holds NaN at element 4")));
        c.add(new Case("an exported state dict given as the checkpoint", dir -> {
            Path f = dir.resolve("exported.safetensors");
            Files.write(f, TorchExport.toBytes(CheckpointReader.read(checkpoint).spec(mean, std)));
            return export(f, dir, List.of(), "exported.safetensors", "an exported PyTorch state dict");
        }));
        // ---- the normalization ----
        c.add(new Case("no normalization stored and no flag", dir -> export(copy(dir), dir, List.of(),
                "copy.safetensors", "does not carry its input normalization", "--normalization FILE",
                "normalizer.mean", "F32 [6]", "--no-normalization")));
        c.add(new Case("zscore metadata without the tensors", dir -> export(edited(dir, t -> { },
                m -> m.put(CheckpointReader.NORMALIZATION_KEY, "zscore")), dir, List.of(), "edited.safetensors",
                "'normalizer.mean' is missing")));
        c.add(new Case("unknown normalization", dir -> export(edited(dir, t -> { },
                m -> m.put(CheckpointReader.NORMALIZATION_KEY, "minmax")), dir, List.of(), "edited.safetensors",
                "'minmax'", "expected zscore or none")));
        c.add(new Case("'none' with statistics", dir -> export(edited(dir, t -> {
            t.put(CheckpointReader.MEAN, SafeTensors.Entry.f32(CheckpointReader.MEAN, mean));
            t.put(CheckpointReader.STD, SafeTensors.Entry.f32(CheckpointReader.STD, std));
        }, m -> m.put(CheckpointReader.NORMALIZATION_KEY, "none")), dir, List.of(), "edited.safetensors",
                "says none")));
        c.add(new Case("a zero divisor", dir -> {
            float[] s = std.clone();
            s[2] = 0f;
            return export(withStatistics(dir, mean, s), dir, List.of(), "edited.safetensors",
                    "normalizer.std[2] is 0.0", "at least 1.0E-6");
        }));
        c.add(new Case("statistics of another width", dir -> export(withStatistics(dir, new float[5], new float[5]),
                dir, List.of(), "edited.safetensors", "'normalizer.mean' is F32 [5]", "need F32 [6]")));
        c.add(new Case("--normalization FILE without statistics", dir -> export(copy(dir), dir,
                List.of("--normalization", checkpoint.toString()), "final.safetensors",
                "'normalizer.mean' is missing")));
        c.add(new Case("--normalization FILE absent", dir -> export(copy(dir), dir,
                List.of("--normalization", dir.resolve("stats.safetensors").toString()), "stats.safetensors",
                "no such file")));
        c.add(new Case("--normalization for a checkpoint that carries it", dir -> export(withStatistics(dir, mean, std),
                dir, List.of("--normalization", checkpoint.toString()), "--normalization", "carries its own",
                "drop --normalization")));
        c.add(new Case("--no-normalization for a zscore checkpoint", dir -> export(withStatistics(dir, mean, std),
                dir, List.of("--no-normalization"), "--no-normalization", "z-score")));
        c.add(new Case("--no-normalization for a checkpoint of a zscore run", dir -> export(checkpoint, dir,
                List.of("--no-normalization"), "--no-normalization", "final.safetensors", "--normalize zscore",
                "config.json", "--normalization FILE")));
        c.add(new Case("--normalization for a checkpoint of a run without", dir -> export(unnormalized, dir,
                List.of("--normalization", checkpoint.toString()), "--normalization", "--normalize none",
                "config.json", "drop --normalization")));
        c.add(new Case("both normalization flags", dir -> export(copy(dir), dir,
                List.of("--no-normalization", "--normalization", checkpoint.toString()), "--normalization",
                "--no-normalization", "do not go together")));
        c.add(new Case("a fold that overflows float32", dir -> {
            float[] w = new float[48];
            w[5] = 3e38f;
            float[] s = std.clone();
            s[5] = 2e-6f;
            Path f = edited(dir, t -> {
                t.put("layers.0.weight", SafeTensors.Entry.f32("layers.0.weight", new long[] {8, 6}, w));
                t.put(CheckpointReader.MEAN, SafeTensors.Entry.f32(CheckpointReader.MEAN, mean));
                t.put(CheckpointReader.STD, SafeTensors.Entry.f32(CheckpointReader.STD, s));
            }, m -> m.put(CheckpointReader.NORMALIZATION_KEY, "zscore"));
            return export(f, dir, List.of(), "edited.safetensors", "cannot fold", "overflows float32",
                    "--format onnx");
        }));
        // ---- flags and the output ----
        c.add(new Case("unknown format", dir -> new Invocation(List.of("export", "--checkpoint",
                checkpoint.toString(), "--format", "tflite", "--out", dir.resolve("m").toString(),
                "--no-normalization"), List.of("--format 'tflite'", "torch or onnx"))));
        c.add(new Case("--out exists", dir -> {
            Files.writeString(dir.resolve("model.safetensors"), "mine");
            return export(copy(dir), dir, List.of("--no-normalization"), "--out", "model.safetensors",
                    "already exists", "--overwrite");
        }));
        c.add(new Case("--out is a directory", dir -> {
            Files.createDirectory(dir.resolve("model.safetensors"));
            return export(copy(dir), dir, List.of("--no-normalization", "--overwrite"), "--out",
                    "model.safetensors", "a directory");
        }));
        c.add(new Case("--out is the checkpoint", dir -> {
            Path f = copy(dir);
            return new Invocation(List.of("export", "--checkpoint", f.toString(), "--format", "onnx", "--out",
                    f.toString(), "--overwrite", "--no-normalization"), List.of("--out", "is the input"));
        }));
        c.add(new Case("--out below a file", dir -> {
            Files.writeString(dir.resolve("plain"), "x");
            return new Invocation(List.of("export", "--checkpoint", copy(dir).toString(), "--format", "onnx", "--out",
                    dir.resolve("plain/model.onnx").toString(), "--no-normalization"), List.of("--out",
                    "not a directory"));
        }));
        return c.stream().map(k -> Arguments.of(k.name(), k.setup()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedWithOneLineAndNothingWritten(String name, Setup setup, @TempDir Path dir) throws IOException {
        Invocation inv = setup.make(dir);
        Map<String, String> before = ResumeCorpusTest.hashes(dir);
        Map<String, String> sharedBefore = ResumeCorpusTest.hashes(shared);
        CliTestSupport.Result r = CliTestSupport.run(inv.args().toArray(String[]::new));
        ValidateBeforeWriteCorpusTest.refused(name, r, inv.mustSay());
        assertEquals(before, ResumeCorpusTest.hashes(dir), name + ": every file as it was, none added or removed");
        assertEquals(sharedBefore, ResumeCorpusTest.hashes(shared), name + ": the checkpoint untouched");
        assertEquals("", r.out(), name + ": nothing on stdout");
    }

    // ---- what must work ----

    @Test
    void bothFormatsFromTheSameCheckpointWithTheStatisticsFromAFile(@TempDir Path dir) throws IOException {
        Path stats = dir.resolve("stats.safetensors");
        SafeTensors.write(stats, List.of(SafeTensors.Entry.f32(CheckpointReader.MEAN, mean),
                SafeTensors.Entry.f32(CheckpointReader.STD, std)), Map.of());
        Path torch = dir.resolve("out/sub/model.safetensors");
        CliTestSupport.Result r = CliTestSupport.run("export", "--checkpoint", checkpoint.toString(), "--format",
                "torch", "--out", torch.toString(), "--normalization", stats.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.errorLines().isEmpty(), r.err());
        ExportSpec spec = CheckpointReader.read(checkpoint).spec(mean, std);
        assertArrayEquals(TorchExport.toBytes(spec), Files.readAllBytes(torch), "the directory was created and the"
                + " file holds exactly the converter's bytes");
        assertTrue(r.out().startsWith("wrote " + torch + ": a PyTorch state dict"), r.out());
        assertTrue(r.out().contains(TorchExport.pythonSnippet(spec, torch.toString())), r.out());

        Path onnx = dir.resolve("model.onnx");
        r = CliTestSupport.run("export", "--checkpoint", checkpoint.toString(), "--format", "ONNX", "--out",
                onnx.toString(), "--normalization", stats.toString());
        assertEquals(0, r.status(), r.err());
        assertArrayEquals(OnnxExport.toBytes(spec), Files.readAllBytes(onnx));
        assertTrue(r.out().contains("input 'features' [N, 6]") && r.out().contains("'logits', 'probabilities'"),
                r.out());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("model.onnx", "out", "stats.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporaries left");
        }
    }

    @Test
    void theNormalizationStoredInTheCheckpointGivesTheSameFileAsTheFlag(@TempDir Path dir) throws IOException {
        Path stats = dir.resolve("stats.safetensors");
        SafeTensors.write(stats, List.of(SafeTensors.Entry.f32(CheckpointReader.MEAN, mean),
                SafeTensors.Entry.f32(CheckpointReader.STD, std)), Map.of());
        Path stored = withStatistics(dir, mean, std);
        assertEquals(0, CliTestSupport.run("export", "--checkpoint", checkpoint.toString(), "--format", "onnx",
                "--out", dir.resolve("a.onnx").toString(), "--normalization", stats.toString()).status());
        assertEquals(0, CliTestSupport.run("export", "--checkpoint", stored.toString(), "--format", "onnx", "--out",
                dir.resolve("b.onnx").toString()).status());
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.onnx")), Files.readAllBytes(dir.resolve("b.onnx")));
        // A checkpoint that says none needs no flag; --no-normalization is accepted with it.
        Path none = edited(dir, t -> { }, m -> m.put(CheckpointReader.NORMALIZATION_KEY, "none"));
        assertEquals(0, CliTestSupport.run("export", "--checkpoint", none.toString(), "--format", "onnx", "--out",
                dir.resolve("c.onnx").toString()).status());
        assertEquals(0, CliTestSupport.run("export", "--checkpoint", none.toString(), "--format", "onnx", "--out",
                dir.resolve("d.onnx").toString(), "--no-normalization").status());
        assertArrayEquals(Files.readAllBytes(dir.resolve("c.onnx")), Files.readAllBytes(dir.resolve("d.onnx")));
        assertFalse(Arrays.equals(Files.readAllBytes(dir.resolve("a.onnx")), Files.readAllBytes(dir.resolve("c.onnx"))));
    }

    @Test
    void aCheckpointOfARunWithoutNormalizationNeedsNoFlag(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("model.safetensors");
        CliTestSupport.Result r = CliTestSupport.run("export", "--checkpoint", unnormalized.toString(), "--format",
                "torch", "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        assertArrayEquals(TorchExport.toBytes(CheckpointReader.read(unnormalized).specWithoutNormalization()),
                Files.readAllBytes(out));
        assertTrue(r.out().contains("no input normalization"), r.out());
        // The same file copied out of its run directory: the flags alone decide, and it says how.
        Path copy = Files.copy(unnormalized, dir.resolve("copy.safetensors"));
        CliTestSupport.Result refused = CliTestSupport.run("export", "--checkpoint", copy.toString(), "--format",
                "torch", "--out", dir.resolve("b.safetensors").toString());
        ValidateBeforeWriteCorpusTest.refused("copied", refused, List.of("--no-normalization"));
    }

    @Test
    void overwriteReplacesAnExistingOutput(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("model.onnx");
        Files.writeString(out, "old");
        CliTestSupport.Result r = CliTestSupport.run("export", "--checkpoint", unnormalized.toString(), "--format",
                "onnx", "--out", out.toString(), "--overwrite");
        assertEquals(0, r.status(), r.err());
        assertArrayEquals(OnnxExport.toBytes(CheckpointReader.read(unnormalized).specWithoutNormalization()),
                Files.readAllBytes(out));
    }
}
