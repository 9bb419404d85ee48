package io.ravine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.io.SafeTensors;
import io.ravine.train.OverflowingData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run whose gradient becomes infinite stops with the curve doctor's one line, exit 3, and keeps its checkpoints. */
class DivergenceCliTest {
    @Test
    void anInfiniteGradientStopsTheRunWithOneLineAndKeepsTheLastGoodCheckpoint(@TempDir Path tmp) throws Exception {
        Path train = OverflowingData.write(tmp);
        long s = OverflowingData.badStep();
        Path run = tmp.resolve("run");
        CliTestSupport.Result r = CliTestSupport.run("train", "--device", "cpu", "--progress", "off", "--data",
                train.toString(), "--test-data", tmp.resolve("test.csv").toString(), "--hidden", "none", "--loss",
                "mse", "--init", "zeros", "--normalize", "none", "--batch-size", "1", "--seed",
                Long.toString(OverflowingData.SEED), "--steps", "200", "--checkpoint-every", "4", "--run-dir",
                run.toString());
        assertEquals(Main.EXIT_FAILED, r.status(), r.err());
        assertEquals(1, r.errorLines().size(), r.err());
        String line = r.errorLines().get(0);
        String expectedCheckpoint = run.resolve("checkpoints")
                .resolve(String.format("step-%08d.safetensors", (s - 1) / 4 * 4)).toString();
        assertEquals("ravine: instability: the gradient became NaN/Inf at step " + s + "; that update was not applied;"
                + " decrease α (the learning rate) (last good checkpoint: " + expectedCheckpoint + ")", line);
        assertFalse(r.err().contains("\tat "), r.err());
        for (float v : SafeTensors.read(Path.of(expectedCheckpoint)).get("layers.0.weight").floats()) {
            assertTrue(Float.isFinite(v));
        }
        assertTrue(Files.readString(run.resolve("summary.json")).contains("diverged"));
    }
}
