package io.ravine.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.ravine.backend.LossKind;
import io.ravine.cli.CliTestSupport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exported models reproduce Ravine's predictions on raw inputs: ONNX Runtime for Java runs the ONNX export and
 * Debian's PyTorch runs the torch export (loaded with {@code load_state_dict(strict=True)} into the
 * {@code nn.Sequential} the file names and into the one the command's printed snippet builds), against Ravine's own
 * outputs (the trainer's normalizer, then {@code Model.forward}).
 *
 * <p>Models: 784-64-10 ReLU softmax-ce trained on Fashion-MNIST (z-score inputs, 300 Adam steps) and checked on 1000
 * raw test images; and synthetic logistic-ce (tanh), mse (logistic, two hidden layers), a linear mse model, an
 * identity-activation softmax-ce model trained without normalization, and a tanh softmax-ce model, each on 200 raw
 * test examples. Every export goes through {@code ravine export} on the run's checkpoint, with the normalization
 * from a {@code --normalization} file, stored in the checkpoint, or {@code --no-normalization}.
 *
 * <p><b>Tolerance: 1e-5 relative</b> (the bound), logits relative to each example's largest |logit|,
 * probabilities elementwise (see {@link Agreement}). Both sides compute in float32 (unit roundoff u = 6e-8) but in
 * different orders: another GEMM's summation order (an n-term dot product's error is about √n·u relative to the
 * sum of |terms| for random rounding, 1.7e-6 for n = 784, bounded by n·u = 4.7e-5), and for torch the folded first
 * layer (error ≤ u·(Σ|W'||x − μ| + |b'|), {@link Folding}). Probabilities amplify the logits' absolute error at
 * most by 2 (∂log p_j/∂z = e_j − p), so they stay within the same bound when logits do. The predicted classes must
 * agree on every example, so the accuracies are equal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExportAgreementTest {
    /** The bound; see the class comment for why float32 on both sides meets it. */
    static final double TOLERANCE = 1e-5;
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path TORCH_SCRIPT = Path.of("src/test/resources/io/ravine/export/torch_export_check.py");
    private static final Path SHIM = Path.of("src/test/resources/io/ravine/export/shim");

    private Path tmp;

    private final List<ExportTestModels.Trained> models = new ArrayList<>();

    @BeforeAll
    void train(@TempDir Path dir) throws IOException {
        tmp = dir;
        models.add(ExportTestModels.fashionMnist(tmp.resolve("fashion")));
        models.addAll(ExportTestModels.synthetic(tmp.resolve("synthetic")));
        models.add(ExportTestModels.fashionMnistBatchNorm(tmp.resolve("fashion-bn")));
        models.addAll(ExportTestModels.syntheticBatchNorm(tmp.resolve("synthetic-bn")));
    }

    /** {@code ravine export} of {@code m}'s checkpoint; returns the file and the command's standard output. */
    private static Path export(ExportTestModels.Trained m, String format, Path out) {
        List<String> args = new ArrayList<>(List.of("export", "--checkpoint", m.checkpoint().toString(), "--format",
                format, "--out", out.toString()));
        args.addAll(m.normalizationFlags());
        CliTestSupport.Result r = CliTestSupport.run(args.toArray(String[]::new));
        assertEquals(0, r.status(), m.name() + ": " + r.err());
        return out;
    }

    @Test
    void theCheckpointGivesTheSpecOfTheModelInMemory() {
        // What the CLI exports (θ and statistics read back from files) is exactly what the trainer held.
        for (ExportTestModels.Trained m : models) {
            CheckpointReader.Read read = CheckpointReader.read(m.checkpoint());
            ExportSpec fromFile = switch (read.normalization()) {
                case ABSENT -> m.normalizationFlags().contains("--no-normalization") ? read.specWithoutNormalization()
                        : specWithFile(read, Path.of(m.normalizationFlags().get(1)));
                default -> read.spec();
            };
            assertEquals(m.spec(), fromFile, m.name());
        }
    }

    private static ExportSpec specWithFile(CheckpointReader.Read read, Path file) {
        float[][] stats = CheckpointReader.readStatistics(file, read.inputDim());
        return read.spec(stats[0], stats[1]);
    }

    @Test
    void ravinesPredictOfABatchNormCheckpointIsTheReferenceTheExportsAreCheckedAgainst() {
        // The exports are compared with Model.forward (evaluation mode) on the trainer's normalized inputs; a BN
        // checkpoint loaded by TrainedModel (what `ravine predict` runs) gives the same predictions from raw inputs,
        // so "matches the export" means "matches predict", running statistics included.
        int checked = 0;
        for (ExportTestModels.Trained m : models) {
            if (!m.spec().mlp().batchNorm() || m.normalizationFlags().contains("--normalization")) {
                continue;
            }
            io.ravine.data.Normalizer none = io.ravine.data.Normalizer.none(m.inputDim());
            try (io.ravine.train.TrainedModel loaded = m.normalizationFlags().contains("--no-normalization")
                    ? io.ravine.train.TrainedModel.load(m.checkpoint(), none)
                    : io.ravine.train.TrainedModel.load(m.checkpoint())) {
                float[][] predicted = loaded.predict(io.ravine.data.Dataset.ofFeatures(rows(m.rawX(), m.n(),
                        m.inputDim())));
                double[] expected = m.loss() == LossKind.MSE ? null
                        : Agreement.probabilities(m.loss(), m.ravineOutputs(), m.n(), m.outputDim());
                for (int i = 0; i < m.n(); i++) {
                    for (int j = 0; j < m.outputDim(); j++) {
                        double want = expected == null ? m.ravineOutputs()[i * m.outputDim() + j]
                                : expected[i * m.outputDim() + j];
                        // float32 rounding of the same value (predict rounds its double softmax once)
                        assertEquals(want, predicted[i][j], 1e-6 * Math.max(1, Math.abs(want)), m.name());
                    }
                }
            }
            checked++;
        }
        assertTrue(checked >= 2, "BN models with their normalization in the checkpoint or none: " + checked);
    }

    private static float[][] rows(float[] flat, int n, int d) {
        float[][] r = new float[n][d];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * d, r[i], 0, d);
        }
        return r;
    }

    @Test
    void onnxRuntimeReproducesRavinesPredictionsOnRawInputs() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (ExportTestModels.Trained m : models) {
            Path file = export(m, "onnx", tmp.resolve("model-" + models.indexOf(m) + ".onnx"));
            float[] outputs;
            float[] probabilities = null;
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setIntraOpNumThreads(1);
                try (OrtSession session = env.createSession(file.toString(), options);
                        OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(m.rawX()),
                                new long[] {m.n(), m.inputDim()});
                        OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, x))) {
                    List<String> names = OnnxExport.outputNames(m.loss());
                    assertEquals(names, new ArrayList<>(session.getOutputNames()), m.name());
                    outputs = flatten((float[][]) result.get(names.get(0)).orElseThrow().getValue());
                    if (m.loss() != LossKind.MSE) {
                        probabilities = flatten((float[][]) result.get("probabilities").orElseThrow().getValue());
                    }
                }
            }
            Agreement a = Agreement.of(m.loss(), m.ravineOutputs(), outputs, probabilities, m.n(), m.outputDim(),
                    m.labels());
            System.out.println("ONNX Runtime, " + m.name() + ": " + a);
            check(m, a);
        }
    }

    @Test
    void pytorchReproducesRavinesPredictionsOnRawInputs() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PYTHON), "no /usr/bin/python3");
        Process probe = new ProcessBuilder(PYTHON.toString(), "-c", "import torch").redirectErrorStream(true).start();
        Assumptions.assumeTrue(probe.waitFor(120, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "PyTorch is not installed (apt-get install python3-torch)");
        List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), TORCH_SCRIPT.toString()));
        List<Path> cases = new ArrayList<>();
        for (int i = 0; i < models.size(); i++) {
            ExportTestModels.Trained m = models.get(i);
            Path dir = Files.createDirectories(tmp.resolve("torch-case-" + i));
            Path file = dir.resolve("model.safetensors");
            List<String> args = new ArrayList<>(List.of("export", "--checkpoint", m.checkpoint().toString(),
                    "--format", "torch", "--out", file.toString()));
            args.addAll(m.normalizationFlags());
            CliTestSupport.Result r = CliTestSupport.run(args.toArray(String[]::new));
            assertEquals(0, r.status(), m.name() + ": " + r.err());
            // The snippet the user is told to paste, exactly as printed.
            String snippet = TorchExport.pythonSnippet(m.spec(), file.toString());
            assertTrue(r.out().contains(snippet), "the command prints the snippet:\n" + r.out());
            Files.writeString(dir.resolve("snippet.py"), snippet);
            writeFloats(dir.resolve("x.f32"), m.rawX());
            cmd.add(dir.toString());
            cases.add(dir);
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("PYTHONPATH", SHIM.toAbsolutePath().toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "torch_export_check.py did not finish");
        assertEquals(0, p.exitValue(), out);
        for (int i = 0; i < models.size(); i++) {
            ExportTestModels.Trained m = models.get(i);
            float[] outputs = readFloats(cases.get(i).resolve("torch_out.f32"));
            assertEquals(m.n() * m.outputDim(), outputs.length, m.name());
            Agreement a = Agreement.of(m.loss(), m.ravineOutputs(), outputs, null, m.n(), m.outputDim(), m.labels());
            System.out.println("PyTorch, " + m.name() + ": " + a);
            check(m, a);
        }
    }

    private static void check(ExportTestModels.Trained m, Agreement a) {
        assertTrue(a.outputs() <= TOLERANCE, m.name() + ": " + a);
        if (m.loss() != LossKind.MSE) {
            assertTrue(a.probabilities() <= TOLERANCE, m.name() + ": " + a);
            assertEquals(m.n(), a.agreeing(), m.name() + ": " + a);
            assertEquals(a.ravineAccuracy(), a.otherAccuracy(), m.name());
        }
    }

    private static float[] flatten(float[][] rows) {
        int k = rows.length == 0 ? 0 : rows[0].length;
        float[] out = new float[rows.length * k];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * k, k);
        }
        return out;
    }

    static void writeFloats(Path file, float[] values) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        Files.write(file, b.array());
    }

    static float[] readFloats(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }
}
