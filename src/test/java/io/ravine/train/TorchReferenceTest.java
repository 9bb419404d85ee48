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

    /**
     * With batch normalization in both hidden layers: 20 full-batch steps against torch.nn.BatchNorm1d in float64
     * (Δθ including γ and β, and the running statistics, within 1e-3 relative), the checkpoint loaded with plain
     * load_state_dict(strict=True), and Ravine's evaluation-mode probabilities (running statistics, float32) within
     * 1e-5 of PyTorch's eval() in float64 from the same final checkpoint.
     */
    @ParameterizedTest
    @CsvSource({"ADAM, 1e-3, relu", "SGD, 0.1, tanh"})
    void batchNormMatchesPyTorchFloat64(UpdateRule rule, double lr, String act, @TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        TrainConfig config = TrainConfig.builder().setData("embedded").optLimit(1000).optBatchSize(0).optSteps(20)
                .optHidden(32, 16).optBatchNorm(true).optActivation(Activation.parse(act)).optOptimizer(rule)
                .optLearningRate(lr).optSaveInitial(true).build();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(dir).fit();
        }
        float[][] raw = new float[200][];
        io.ravine.data.Dataset train = io.ravine.data.DataSources.load("embedded", null,
                io.ravine.backend.LossKind.SOFTMAX_CE).train();
        for (int i = 0; i < raw.length; i++) {
            raw[i] = java.util.Arrays.copyOfRange(train.features(), i * train.featureDim(),
                    (i + 1) * train.featureDim());
        }
        StringBuilder rows = new StringBuilder();
        try (TrainedModel m = TrainedModel.load(dir.resolve("checkpoints/final.safetensors"))) {
            for (float[] p : m.predict(raw)) {
                for (float v : p) {
                    rows.append(String.format(java.util.Locale.ROOT, "%.9e ", v));
                }
                rows.append('\n');
            }
        }
        Path predictions = tmp.resolve("predictions.txt");
        Files.writeString(predictions, rows);
        List<String> cmd = List.of(PYTHON.toString(), "bench/torch_fullbatch_check.py", "--run-dir", dir.toString(),
                "--data-dir", "src/main/resources/io/ravine/data/embedded", "--limit", "1000", "--optimizer",
                rule.cliName(), "--lr", Double.toString(lr),
                "--steps", "20", "--activation", act, "--tolerance", "1e-3", "--predictions", predictions.toString(),
                "--eval-tolerance", "1e-5");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(300, TimeUnit.SECONDS);
        System.out.print(out);
        assertEquals(0, p.exitValue(), out);
    }
}
