package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ravine.backend.Activation;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Full-batch runs from a saved initial θ against PyTorch float64 doing the same updates with its own optimizers
 * (bench/torch_fullbatch_check.py): the parameter change must agree to 1e-3 relative error. Needs Debian's
 * python3-torch, which .ci/run installs; skipped where it is absent.
 */
class TorchReferenceTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @BeforeAll
    static void needsTorch() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PYTHON), "no /usr/bin/python3");
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch").redirectErrorStream(true).start();
        Assumptions.assumeTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0,
                "PyTorch is not installed (apt-get install python3-torch)");
    }

    @ParameterizedTest
    @CsvSource({"ADAM, 1e-3", "MOMENTUM, 0.05"})
    void parameterChangeMatchesPyTorchFloat64(UpdateRule rule, double lr, @TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        TrainConfig config = TrainConfig.builder().setData("embedded").optLimit(1000).optBatchSize(0).optSteps(25)
                .optHidden(32).optActivation(Activation.TANH).optOptimizer(rule).optLearningRate(lr)
                .optMomentum(0.9).optSaveInitial(true).build();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(dir).fit();
        }
        List<String> cmd = List.of(PYTHON.toString(), "bench/torch_fullbatch_check.py", "--run-dir", dir.toString(),
                "--data-dir", "src/main/resources/io/ravine/data/embedded", "--limit", "1000", "--optimizer",
                rule.cliName(), "--lr", Double.toString(lr), "--momentum", "0.9", "--steps", "25", "--activation",
                "tanh", "--tolerance", "1e-3");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(300, TimeUnit.SECONDS);
        System.out.print(out);
        assertEquals(0, p.exitValue(), out);
    }
}
