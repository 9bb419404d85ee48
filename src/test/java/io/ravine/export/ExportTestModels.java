package io.ravine.export;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.Tensor;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.DataSources;
import io.ravine.data.Dataset;
import io.ravine.data.Normalizer;
import io.ravine.data.TrainTest;
import io.ravine.io.SafeTensors;
import io.ravine.nn.Model;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Models trained through the Trainer API for the export tests, each with its checkpoint, the raw test inputs, and
 * Ravine's own predictions on them (today's path: the trainer's {@link Normalizer}, then {@link Model#forward}; after
 * the API branch, {@code TrainedModel.predict}). {@link Model#forward} is evaluation mode: a BN model normalizes with
 * its running statistics, as {@code predict} does.
 */
public final class ExportTestModels {
    private ExportTestModels() {
    }

    /** Where a checkpoint's normalization comes from in the export under test. */
    enum NormalizationSource {
        /** A checkpoint from before the statistics were stored, plus {@code --normalization FILE}. */
        FILE,
        /** The statistics stored in the checkpoint, as every checkpoint now stores them. */
        IN_CHECKPOINT,
        /** Trained with {@code --normalize none}: {@code --no-normalization}. */
        NONE
    }

    /**
     * A trained model: {@code spec} from memory, its checkpoint {@code checkpoint} and the export flags that go with
     * it, the raw test inputs [n, d], their labels (class data) and Ravine's outputs of the last layer [n, K].
     */
    record Trained(String name, ExportSpec spec, Path checkpoint, List<String> normalizationFlags, float[] rawX,
            int n, int[] labels, float[] ravineOutputs) {
        int inputDim() {
            return spec.inputDim();
        }

        int outputDim() {
            return spec.outputDim();
        }

        LossKind loss() {
            return spec.loss();
        }
    }

    /**
     * 784-64-10 ReLU softmax-ce on Fashion-MNIST (the full set where Debian's package is installed, else the
     * embedded subset: the first 5000 training and the first 1000 test images of the same data), z-score inputs,
     * 300 Adam steps of 64; the first 1000 test images. Its checkpoint is today's (no statistics):
     * {@code --normalization FILE}.
     */
    static Trained fashionMnist(Path dir) throws IOException {
        TrainTest data = Files.isDirectory(DataSources.fashionMnistDir())
                ? DataSources.load(DataSources.FASHION_MNIST, null, LossKind.SOFTMAX_CE)
                : DataSources.loadEmbedded();
        Dataset train = data.train().limit(10_000);
        Dataset test = data.test().limit(1000);
        TrainConfig config = TrainConfig.builder().setData(data.train().name()).optHidden(64)
                .optActivation(Activation.RELU).optLoss(LossKind.SOFTMAX_CE).optOptimizer(UpdateRule.ADAM)
                .optLearningRate(1e-3).optBatchSize(64).optSteps(300).optNormalize("zscore").optSeed(11)
                .optEvalEvery(0).build();
        return train("fashion-mnist 784-64-10 relu softmax-ce", dir, config, new TrainTest(train, test),
                NormalizationSource.FILE);
    }

    /**
     * 784-64-32-10 ReLU softmax-ce with batch normalization on the same data (z-score inputs, 300 Adam steps of 64),
     * its statistics stored in the checkpoint: evaluation-mode BN with the running statistics of 300 batches, the
     * input normalization folded into layer 0 and its constant into BN's running mean (torch) or the folded Gemm's
     * bias (ONNX).
     */
    static Trained fashionMnistBatchNorm(Path dir) throws IOException {
        TrainTest data = Files.isDirectory(DataSources.fashionMnistDir())
                ? DataSources.load(DataSources.FASHION_MNIST, null, LossKind.SOFTMAX_CE)
                : DataSources.loadEmbedded();
        Dataset train = data.train().limit(10_000);
        Dataset test = data.test().limit(1000);
        TrainConfig config = TrainConfig.builder().setData(data.train().name()).optHidden(64, 32)
                .optActivation(Activation.RELU).optLoss(LossKind.SOFTMAX_CE).optOptimizer(UpdateRule.ADAM)
                .optLearningRate(1e-3).optBatchSize(64).optSteps(300).optNormalize("zscore").optSeed(12)
                .optEvalEvery(0).optBatchNorm(true).build();
        return train("fashion-mnist 784-64-32-10 relu softmax-ce batch-norm", dir, config, new TrainTest(train, test),
                NormalizationSource.IN_CHECKPOINT);
    }

    /**
     * The synthetic problems with batch normalization in every hidden layer: the input normalization from a file
     * (folded; the feature with |mean|/std = 20 included), stored in the checkpoint, and none (raw features straight
     * into BN's layer, whose running mean then carries the inputs' offset itself).
     */
    static List<Trained> syntheticBatchNorm(Path dir) throws IOException {
        List<Trained> out = new ArrayList<>();
        out.add(train("synthetic 12-16-16-4 tanh softmax-ce batch-norm", dir.resolve("bn-softmax-tanh"),
                config(LossKind.SOFTMAX_CE, Activation.TANH, "zscore", true, 16, 16),
                synthetic(LossKind.SOFTMAX_CE, 4, 31), NormalizationSource.FILE));
        out.add(train("synthetic 12-16-8-2 logistic mse batch-norm", dir.resolve("bn-mse"), config(LossKind.MSE,
                Activation.LOGISTIC, "zscore", true, 16, 8), synthetic(LossKind.MSE, 2, 32),
                NormalizationSource.IN_CHECKPOINT));
        out.add(train("synthetic 12-16-1 relu logistic-ce batch-norm, no normalization", dir.resolve("bn-raw"),
                config(LossKind.LOGISTIC_CE, Activation.RELU, "none", true, 16), synthetic(LossKind.LOGISTIC_CE, 2,
                33), NormalizationSource.NONE));
        return out;
    }

    /**
     * Small synthetic problems for the other losses and activations: 12 features with means from −5 to 5 and
     * standard deviations from 0.5 to 10 (|mean|/std up to 10), one feature with mean 4 and std 0.2 (|mean|/std = 20:
     * the torch fold's float32 error grows with it, see {@link Folding}), one constant feature (std 0: only centred,
     * divisor 1), targets from a random teacher.
     */
    static List<Trained> synthetic(Path dir) throws IOException {
        List<Trained> out = new ArrayList<>();
        out.add(train("synthetic 12-16-1 tanh logistic-ce", dir.resolve("logistic"), config(LossKind.LOGISTIC_CE,
                Activation.TANH, "zscore", 16), synthetic(LossKind.LOGISTIC_CE, 2, 21), NormalizationSource.IN_CHECKPOINT));
        out.add(train("synthetic 12-16-8-2 logistic mse", dir.resolve("mse"), config(LossKind.MSE,
                Activation.LOGISTIC, "zscore", 16, 8), synthetic(LossKind.MSE, 2, 22), NormalizationSource.IN_CHECKPOINT));
        out.add(train("synthetic 12-3 linear mse", dir.resolve("linear"), config(LossKind.MSE, Activation.RELU,
                "zscore"), synthetic(LossKind.MSE, 3, 23), NormalizationSource.IN_CHECKPOINT));
        out.add(train("synthetic 12-8-3 identity softmax-ce, no normalization", dir.resolve("identity"),
                config(LossKind.SOFTMAX_CE, Activation.IDENTITY, "none", 8), synthetic(LossKind.SOFTMAX_CE, 3, 24),
                NormalizationSource.NONE));
        out.add(train("synthetic 12-16-16-4 tanh softmax-ce", dir.resolve("softmax-tanh"),
                config(LossKind.SOFTMAX_CE, Activation.TANH, "zscore", 16, 16), synthetic(LossKind.SOFTMAX_CE, 4, 25),
                NormalizationSource.FILE));
        return out;
    }

    private static TrainConfig config(LossKind loss, Activation act, String normalize, int... hidden) {
        return config(loss, act, normalize, false, hidden);
    }

    private static TrainConfig config(LossKind loss, Activation act, String normalize, boolean batchNorm,
            int... hidden) {
        return TrainConfig.builder().setData("synthetic-export").optHidden(hidden).optActivation(act).optLoss(loss)
                .optOptimizer(UpdateRule.ADAM).optLearningRate(1e-2).optBatchSize(32).optSteps(200)
                .optNormalize(normalize).optSeed(3).optEvalEvery(0).optBatchNorm(batchNorm).build();
    }

    static final int SYNTHETIC_FEATURES = 12;

    /**
     * 600 training and 200 test examples. Classes (K ≥ 2) from the argmax of a random linear teacher on the
     * standardized features; mse targets ({@code k} columns) from a tanh teacher plus noise.
     */
    static TrainTest synthetic(LossKind loss, int k, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int d = SYNTHETIC_FEATURES;
        double[] mu = new double[d];
        double[] sigma = new double[d];
        for (int j = 0; j < d; j++) {
            mu[j] = -5 + 10 * rng.nextDouble();
            sigma[j] = Math.pow(10, -0.3 + 1.3 * rng.nextDouble());
        }
        mu[0] = 4;
        sigma[0] = 0.2; // |mean|/std = 20
        mu[d - 1] = 3;
        sigma[d - 1] = 0; // constant
        double[][] teacher = new double[k][d];
        for (double[] row : teacher) {
            for (int j = 0; j < d; j++) {
                row[j] = rng.nextGaussian();
            }
        }
        int n = 800;
        float[] x = new float[n * d];
        boolean classes = loss != LossKind.MSE;
        float[] y = new float[n * (classes ? 1 : k)];
        for (int i = 0; i < n; i++) {
            double[] z = new double[d];
            for (int j = 0; j < d; j++) {
                z[j] = rng.nextGaussian();
                x[i * d + j] = (float) (mu[j] + sigma[j] * z[j]);
            }
            double[] score = new double[k];
            for (int c = 0; c < k; c++) {
                for (int j = 0; j < d; j++) {
                    score[c] += teacher[c][j] * z[j];
                }
            }
            if (classes) {
                int best = 0;
                for (int c = 1; c < k; c++) {
                    best = score[c] > score[best] ? c : best;
                }
                y[i] = best;
            } else {
                for (int c = 0; c < k; c++) {
                    y[i * k + c] = (float) (Math.tanh(score[c] / 3) + 0.05 * rng.nextGaussian());
                }
            }
        }
        Dataset all = new Dataset("synthetic-export", n, d, x, classes ? 1 : k, y, classes ? k : 0).validate();
        return new TrainTest(all.limit(600), all.select(java.util.stream.IntStream.range(600, n).toArray()));
    }

    private static Trained train(String name, Path dir, TrainConfig config, TrainTest data, NormalizationSource source)
            throws IOException {
        Path runDir = dir.resolve("run");
        try (Backend backend = CpuBackend.f32();
                Trainer trainer = new Trainer(config, backend, data)) {
            trainer.optProgressBar(false).optRunDirectory(runDir).fit();
            Normalizer normalizer = trainer.normalizer();
            ExportSpec spec = ExportSpec.of(trainer.mlp(), trainer.model().parameters(),
                    trainer.model().batchNormBuffers(), normalizer);
            Dataset rawTest = data.test();
            float[] outputs = ravineOutputs(trainer.model(), normalizer.apply(rawTest));
            int[] labels = null;
            if (rawTest.numClasses() > 0) {
                labels = new int[rawTest.n()];
                for (int i = 0; i < labels.length; i++) {
                    labels[i] = (int) rawTest.targets()[i];
                }
            }
            Path checkpoint = runDir.resolve("checkpoints").resolve("final.safetensors");
            List<String> flags = switch (source) {
                case FILE -> {
                    // A checkpoint as Ravine wrote them before it stored the statistics, and the statistics by flag.
                    checkpoint = stripNormalization(checkpoint, dir.resolve("without-normalization.safetensors"));
                    Path stats = dir.resolve("normalization.safetensors");
                    writeStatistics(stats, spec.mean(), spec.std());
                    yield List.of("--normalization", stats.toString());
                }
                case IN_CHECKPOINT -> List.of(); // every checkpoint stores the statistics it was trained with
                case NONE -> List.of("--no-normalization");
            };
            return new Trained(name, spec, checkpoint, flags, rawTest.features(), rawTest.n(), labels, outputs);
        }
    }

    /** Ravine's last-layer outputs [n, K] for already normalized inputs: Model.forward on the CPU backend. */
    static float[] ravineOutputs(Model model, Dataset normalized) {
        int n = normalized.n();
        Model.Workspace ws = model.workspace(n);
        int targetCols = model.mlp().loss().classIndexTarget() ? 1 : model.mlp().outputDim();
        ws.load(normalized.features(), new float[n * targetCols], n);
        Tensor out = model.forward(ws, n);
        return model.backend().toFloatArray(out);
    }

    /** A --normalization file: normalizer.mean and normalizer.std only. */
    static void writeStatistics(Path file, float[] mean, float[] std) throws IOException {
        SafeTensors.write(file, List.of(SafeTensors.Entry.f32(CheckpointReader.MEAN, mean),
                SafeTensors.Entry.f32(CheckpointReader.STD, std)), Map.of());
    }

    /**
     * Rewrites {@code file} as a checkpoint from before Ravine stored the input normalization: without the
     * {@code normalizer.*} tensors and the {@code ravine.normalization} entry (a fresh checksum, as SafeTensors writes
     * one). The cases that supply the statistics by flag or read them from the run's config.json need such a file.
     */
    public static Path stripNormalization(Path file, Path to) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        List<SafeTensors.Entry> entries = new ArrayList<>();
        for (Map.Entry<String, SafeTensors.Entry> e : c.tensors().entrySet()) {
            if (!e.getKey().equals(CheckpointReader.MEAN) && !e.getKey().equals(CheckpointReader.STD)) {
                entries.add(e.getValue());
            }
        }
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.remove(CheckpointReader.NORMALIZATION_KEY);
        SafeTensors.write(to, entries, meta);
        return to;
    }
}
