package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.backend.cpu.CpuBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * config.json's {@code subset} (the CLI's {@code --subset}; {@code monitorSize} before format ravine-run-5): written
 * under its new name, and read under its old one from the files of older versions, so their runs still resume.
 */
class ConfigFormatTest {
    @TempDir
    Path tmp;

    private Path run() {
        Path dir = tmp.resolve("run");
        TrainConfig config = TrainConfig.builder().setData("embedded").optLimit(100).optHidden(4).optBatchSize(20)
                .optSteps(2).optSubset(30).optSeed(3).optThreads(1).build();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optRunDirectory(dir).optProgressBar(false).optReport(false).fit();
        }
        return dir;
    }

    @Test
    void theSubsetIsWrittenUnderItsNameAndReadUnderTheOldOneInOlderFormats() throws IOException {
        Path dir = run();
        Path file = dir.resolve("config.json");
        String current = Files.readString(file);
        assertTrue(current.contains("\"format\": \"ravine-run-5\"") && current.contains("\"subset\": 30"), current);
        assertEquals(30, RunDirectories.readConfig(dir).subset());

        for (String format : new String[] {"ravine-run-4", "ravine-run-3", "ravine-run-2"}) {
            Files.writeString(file, current.replace("\"ravine-run-5\"", "\"" + format + "\"")
                    .replace("\"subset\":", "\"monitorSize\":"));
            assertEquals(30, RunDirectories.readConfig(dir).subset(), format);
        }
        // A file of the current format names it subset: monitorSize there is a missing key, not a default.
        Files.writeString(file, current.replace("\"subset\":", "\"monitorSize\":"));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> RunDirectories.readConfig(dir));
        assertEquals(file + ": 'subset' is missing (a run's config.json names every setting; none is defaulted)",
                e.getMessage());
    }
}
