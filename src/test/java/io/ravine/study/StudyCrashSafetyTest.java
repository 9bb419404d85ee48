package io.ravine.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.io.SafeTensors;
import io.ravine.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a killed study or sweep leaves, and that a rerun keeps every finished trial and run. */
class StudyCrashSafetyTest {

    private static TrialRow trained(int batchSize) {
        return TrialRow.training("steps/b=" + batchSize + "/lr=0.001", BatchSizeStudyConfig.STEPS, "cpu", batchSize,
                1e-3, "reached", 40, 0.5, Double.NaN, 1.25);
    }

    @Test
    void aTornLastTrialRowAndLeftoverTemporariesAreDroppedOnRerun(@TempDir Path dir) throws IOException {
        BatchSizeStudyConfig config = BatchSizeStudyConfig.builder().build();
        try (StudyFiles files = StudyFiles.open(dir, config, false)) {
            files.append(trained(16));
            files.append(trained(32));
        }
        Path csv = dir.resolve(StudyFiles.TRIALS_FILE);
        String before = Files.readString(csv);
        // A truncated copy of a study: the third row cut inside a quoted cell, so it is not even valid CSV.
        Files.writeString(csv, before + "\"steps/b=64/lr=0.001\",steps,cp");
        // Temporaries of two writes that a kill interrupted.
        Files.createDirectories(dir.resolve("plots"));
        Path tmp1 = dir.resolve(".study.csv.0123456789ab.tmp");
        Path tmp2 = dir.resolve("plots").resolve(".noise-scale.png.ba9876543210.tmp");
        Files.writeString(tmp1, "half");
        Files.writeString(tmp2, "half");

        StudyFiles reopened = StudyFiles.open(dir, config, false);
        assertTrue(reopened.finished(trained(16).trial()) && reopened.finished(trained(32).trial()));
        assertFalse(reopened.finished(trained(64).trial()), "the torn row's trial runs again");
        assertEquals(trained(32), reopened.row(trained(32).trial()));
        assertFalse(Files.exists(tmp1) || Files.exists(tmp2), "temporaries removed");
        reopened.append(trained(64));
        reopened.close();
        List<String> lines = Files.readAllLines(csv);
        assertEquals(4, lines.size(), lines.toString());
        assertTrue(lines.get(3).startsWith("steps/b=64/lr=0.001,"), lines.get(3));
        assertTrue(Files.readString(csv).startsWith(before));
    }

    @Test
    void aTrialsFileDamagedInTheMiddleIsBadInputNamingIt(@TempDir Path dir) throws IOException {
        BatchSizeStudyConfig config = BatchSizeStudyConfig.builder().build();
        try (StudyFiles files = StudyFiles.open(dir, config, false)) {
            files.append(trained(16));
        }
        Path csv = dir.resolve(StudyFiles.TRIALS_FILE);
        List<String> lines = Files.readAllLines(csv);
        Files.writeString(csv, lines.get(0) + "\n\"unterminated,quote\n" + lines.get(1) + "\n");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> StudyFiles.open(dir, config, false));
        assertTrue(e.getMessage().contains(csv.toString()), e.getMessage());
    }

    @Test
    void aSweepRunInterruptedByAKillIsResumedFromItsCheckpointAndEndsWithTheSameBits(@TempDir Path tmp)
            throws IOException {
        TrainConfig base = TrainConfig.builder().setData("embedded").optLimit(300).optHidden(16).optBatchSize(50)
                .optSteps(30).optCheckpointEvery(10).optLogEvery(5).optSubset(200).optSeed(3).build();
        Path dir = tmp.resolve("sweep");
        LearningRateSweep sweep = new LearningRateSweep(base, new double[] {0.01, 0.001}, 1, dir, "train_loss")
                .optProgressBar(false);
        LearningRateSweep.Result first;
        try (CpuBackend backend = CpuBackend.f32()) {
            first = sweep.run(backend);
        }
        Path run = first.runs().get(1).runDir();
        byte[] finalBefore = Files.readAllBytes(run.resolve("checkpoints/final.safetensors"));
        List<String> metricsBefore = withoutWallTime(Files.readAllLines(run.resolve("metrics.csv")));
        String sweepCsvBefore = Files.readString(dir.resolve("sweep.csv"));
        // A resumed run leaves the checkpoints before its start alone; a run started over replaces them (new inodes).
        Object step10 = fileKey(run.resolve("checkpoints/step-00000010.safetensors"));

        // As a kill just after step 27's row leaves it: checkpoints up to step 20, rows up to 25 plus a torn one,
        // no final checkpoint, no summary, and the temporary of the step-30 checkpoint being written.
        Files.delete(run.resolve("summary.json"));
        Files.delete(run.resolve("checkpoints/final.safetensors"));
        Files.delete(run.resolve("checkpoints/step-00000030.safetensors"));
        Files.writeString(run.resolve("checkpoints/.step-00000030.safetensors.00aa11bb22cc.tmp"), "half");
        List<String> kept = Files.readAllLines(run.resolve("metrics.csv")).stream()
                .filter(l -> l.startsWith("step,") || Integer.parseInt(l.substring(0, l.indexOf(','))) <= 25).toList();
        Files.writeString(run.resolve("metrics.csv"), String.join("\n", kept) + "\n30,0.6,0.00");

        LearningRateSweep.Result again;
        try (CpuBackend backend = CpuBackend.f32()) {
            again = sweep.run(backend);
        }
        assertEquals(List.of(run), again.ranNow().stream().map(LearningRateSweep.Run::runDir).toList(),
                "only the interrupted run ran");
        assertEquals(first.runs(), again.runs());
        assertEquals(step10, fileKey(run.resolve("checkpoints/step-00000010.safetensors")), "resumed, not rerun");
        SafeTensors.Contents a = SafeTensors.read("before", finalBefore);
        SafeTensors.Contents b = SafeTensors.read(run.resolve("checkpoints/final.safetensors"));
        for (SafeTensors.Entry e : a.tensors().values()) {
            if (e.dtype() == SafeTensors.Dtype.F32) {
                float[] x = e.floats();
                float[] y = b.get(e.name()).floats();
                for (int i = 0; i < x.length; i++) {
                    assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), e.name() + "[" + i + "]");
                }
            }
        }
        assertEquals(metricsBefore, withoutWallTime(Files.readAllLines(run.resolve("metrics.csv"))));
        assertEquals(sweepCsvBefore, Files.readString(dir.resolve("sweep.csv")));
        try (Stream<Path> files = Files.walk(run)) {
            assertEquals(List.of(), files.filter(f -> f.toString().endsWith(".tmp")).toList());
        }
    }

    private static Object fileKey(Path file) throws IOException {
        Object key = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        org.junit.jupiter.api.Assumptions.assumeTrue(key != null, "this file system gives no file keys");
        return key;
    }

    private static List<String> withoutWallTime(List<String> lines) {
        return lines.stream().map(l -> l.substring(0, l.lastIndexOf(','))).toList();
    }

    @Test
    void aSweepRefusesARunDirectoryThatAnotherConfigurationStarted(@TempDir Path tmp) throws IOException {
        TrainConfig base = TrainConfig.builder().setData("embedded").optLimit(300).optHidden(16).optBatchSize(50)
                .optSteps(5).optSubset(200).optSeed(3).build();
        Path dir = tmp.resolve("sweep");
        try (CpuBackend backend = CpuBackend.f32()) {
            new LearningRateSweep(base, new double[] {0.01}, 1, dir, "train_loss").optProgressBar(false).run(backend);
        }
        Path run = dir.resolve(LearningRateSweep.runName(0.01, 3));
        Files.delete(run.resolve("summary.json"));
        String config = Files.readString(run.resolve("config.json"));
        TrainConfig other = base.toBuilder().optHidden(8).build();
        try (CpuBackend backend = CpuBackend.f32()) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> new LearningRateSweep(other,
                    new double[] {0.01}, 1, dir, "train_loss").optProgressBar(false).run(backend));
            assertTrue(e.getMessage().contains(run.toString()), e.getMessage());
        }
        assertEquals(config, Files.readString(run.resolve("config.json")), "the interrupted run is left as it was");
    }
}
