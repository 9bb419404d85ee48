package io.ravine.cli;

import static io.ravine.cli.ResumeCorpusTest.hashes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.training.tracker.Tracker;
import io.ravine.InvalidSettingException;
import io.ravine.data.Dataset;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One check, two vocabularies: the library's message names the setting ({@code learningRate}), the CLI prints the
 * same message with the flag ({@code --lr}), rendered through {@link TrainingFlags}' one table; and what the CLI
 * cannot do with a run trained from Java (a DJL Tracker) is one line.
 */
class SettingMessagesTest {
    @TempDir
    Path tmp;

    @Test
    void theLibraryNamesTheSettingAndTheCliTheFlagOfTheSameCheck() {
        InvalidSettingException library = assertThrows(InvalidSettingException.class,
                () -> TrainConfig.builder().optLearningRate(Double.NaN).build());
        assertEquals("learningRate must be a positive number, got NaN", library.getMessage());
        CliTestSupport.Result r = CliTestSupport.run("train", "--device", "cpu", "--progress", "off", "--lr", "NaN",
                "--run-dir", tmp.resolve("r").toString());
        assertEquals(Main.EXIT_BAD_INPUT, r.status());
        assertEquals(List.of("ravine: --lr must be a positive number, got NaN"), r.errorLines());

        InvalidSettingException ema = assertThrows(InvalidSettingException.class,
                () -> TrainConfig.builder().optEma(0.5).build());
        assertEquals("--ema (the timescale τ) must be ≥ 1, or 0 for off, got 0.5", Main.inFlags(ema));
        InvalidSettingException length = assertThrows(InvalidSettingException.class,
                () -> TrainConfig.builder().optEpochs(0).optSteps(0).build());
        assertEquals("--epochs or --steps must be positive, got epochs 0, steps 0", Main.inFlags(length),
                "only the settings are renamed, not the words that happen to spell one");
    }

    @Test
    void theCliRefusesToResumeARunTrainedWithATrackerInOneLine() throws IOException {
        float[][] x = new float[40][2];
        int[] y = new int[40];
        for (int i = 0; i < 40; i++) {
            y[i] = i % 2;
            x[i][0] = i % 2 == 0 ? -1 - i * 0.01f : 1 + i * 0.01f;
            x[i][1] = (i % 5) * 0.1f;
        }
        Path run = tmp.resolve("tracked");
        TrainConfig config = TrainConfig.builder().optHidden(4).optBatchSize(8).optSteps(4).optDevice("cpu")
                .optLearningRateTracker(Tracker.fixed(0.05f)).build();
        try (Trainer t = new Trainer(config, Dataset.ofClasses(x, y).split(0.25, 1))) {
            t.optRunDirectory(run).optReport(false).optProgressBar(false).fit();
        }
        Map<String, String> before = hashes(run);
        CliTestSupport.Result r = CliTestSupport.run("train", "--resume", "--run-dir", run.toString(), "--steps", "8",
                "--progress", "off");
        assertEquals(Main.EXIT_BAD_INPUT, r.status(), r.err());
        assertEquals(1, r.errorLines().size(), r.err());
        String line = r.errorLines().get(0);
        assertTrue(line.startsWith("ravine: --run-dir " + run + ": the run was trained from Java with the"
                + " learning-rate Tracker 'ai.djl.training.tracker.FixedTracker'"), line);
        assertTrue(line.contains("resume it from Java with the same Tracker"), line);
        assertEquals(before, hashes(run), "every file as it was");
    }
}
