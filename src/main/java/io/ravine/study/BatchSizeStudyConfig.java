package io.ravine.study;

import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.UpdateRule;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Everything that defines a batch-size study. Built with {@link #builder()} ({@code opt*} setters, defaults in the
 * builder's fields). The {@link #SELECTION} components only choose which trials run; the others define what a
 * trial computes, so a study directory may be rerun with another selection but not with other definitions.
 *
 * @param parts which parts run: {@code hardware}, {@code steps}, {@code noise}
 * @param devices devices of the hardware part, in order; the first that opens also runs the training parts
 * @param batchSizes batch sizes of the hardware part
 * @param inputs features per synthetic example (hardware part)
 * @param hidden hidden widths, for every part
 * @param classes classes of the synthetic examples (hardware part)
 * @param activation hidden activation
 * @param batchNorm batch normalization in every hidden layer, before the activation, in every part (as
 *     {@code train --batch-norm}): then every batch needs at least 2 examples
 * @param optimizer update rule of every update timed or trained
 * @param warmup untimed updates per batch size before timing (the CLI's {@code --warmup-steps})
 * @param warmupSeconds minimum warm-up time per batch size
 * @param repeats timed updates per batch size, at most (the CLI's {@code --timed-steps})
 * @param secondsPerSize stop timing a batch size once its timed updates add up to this (after 3 of them; 0 = off)
 * @param threads CPU threads (matrix products and elementwise loops), 0 = all cores
 * @param tf32 allow TF32 on CUDA
 * @param seed seed of θ₀, the batch order and the noise-scale draws
 * @param data training data of the steps and noise parts
 * @param limit first N training examples only (0 = all)
 * @param stepBatchSizes batch sizes of the steps part
 * @param targetMetric {@code train_loss} (the fixed monitoring subset of the training data) or {@code test_loss}
 * @param targetLoss the loss a run must reach
 * @param maxSteps cap of every training run
 * @param learningRate the centre of each batch size's learning-rate grid
 * @param lrGrid learning rates either side of the centre, spaced by factors of 3 (1 → lr/3, lr, 3·lr)
 * @param checkEvery steps between checks of the target (the resolution of steps-to-target)
 * @param subset training examples the training loss is measured on (the fixed subset of the steps part's
 *     {@code train_loss} target; study-config.json files of older versions call it {@code monitorSize})
 * @param noiseBatch training batch size of the noise-scale run
 * @param noiseSmall B_small of the noise-scale estimator
 * @param noiseBig B_big of the noise-scale estimator
 * @param noiseEvery steps between noise-scale estimates
 * @param noiseDecay β of the estimator's moving averages
 */
public record BatchSizeStudyConfig(
        List<String> parts,
        List<String> devices,
        int[] batchSizes,
        int inputs,
        int[] hidden,
        int classes,
        Activation activation,
        boolean batchNorm,
        UpdateRule optimizer,
        int warmup,
        double warmupSeconds,
        int repeats,
        double secondsPerSize,
        int threads,
        boolean tf32,
        long seed,
        String data,
        int limit,
        int[] stepBatchSizes,
        String targetMetric,
        double targetLoss,
        long maxSteps,
        double learningRate,
        int lrGrid,
        int checkEvery,
        int subset,
        int noiseBatch,
        int noiseSmall,
        int noiseBig,
        int noiseEvery,
        double noiseDecay) {

    public static final String HARDWARE = "hardware";
    public static final String STEPS = "steps";
    public static final String NOISE = "noise";
    public static final String TRAIN_LOSS = "train_loss";
    public static final String TEST_LOSS = "test_loss";

    /** Components that select trials rather than define them (free to change when a study is rerun). */
    public static final Set<String> SELECTION = Set.of("parts", "devices", "batchSizes", "stepBatchSizes",
            "learningRate", "lrGrid");

    public BatchSizeStudyConfig {
        parts = List.copyOf(parts);
        devices = List.copyOf(devices);
        batchSizes = batchSizes.clone();
        hidden = hidden.clone();
        stepBatchSizes = stepBatchSizes.clone();
        require(!parts.isEmpty(), "--parts must name at least one of hardware, steps, noise");
        for (String p : parts) {
            require(p.equals(HARDWARE) || p.equals(STEPS) || p.equals(NOISE),
                    "--parts: '" + p + "' is not one of hardware, steps, noise");
        }
        require(!devices.isEmpty(), "--device must name at least one device");
        for (String d : devices) {
            require(d.equals("cpu") || d.equals("cuda"), "--device: '" + d + "' is not cpu or cuda");
        }
        positive(batchSizes, "--batch-sizes");
        positive(stepBatchSizes, "--step-batch-sizes");
        require(!batchNorm || hidden.length > 0, "--batch-norm normalizes hidden layers, but --hidden is none; give"
                + " hidden widths or drop --batch-norm");
        if (batchNorm) {
            // PyTorch refuses a one-example batch in training mode too: the variance of one example is undefined.
            require(!parts.contains(HARDWARE) || batchSizes[0] >= 2, "--batch-norm needs at least 2 examples per"
                    + " batch, but --batch-sizes includes " + batchSizes[0] + " (the default with --batch-norm"
                    + " starts at 2)");
            require(!parts.contains(STEPS) || java.util.Arrays.stream(stepBatchSizes).min().getAsInt() >= 2,
                    "--batch-norm needs at least 2 examples per batch, but --step-batch-sizes includes "
                            + java.util.Arrays.stream(stepBatchSizes).min().getAsInt());
            require(!parts.contains(NOISE) || Math.min(noiseBatch, noiseSmall) >= 2, "--batch-norm needs at least 2"
                    + " examples per batch, but --noise-batch/--noise-small is " + Math.min(noiseBatch, noiseSmall));
        }
        require(!parts.contains(HARDWARE) || batchSizes.length >= 3,
                "--batch-sizes (or --max-batch): the hardware part needs 3 or more batch sizes to find the saturation"
                        + " point, got " + batchSizes.length);
        require(inputs > 0, "--inputs must be positive, got " + inputs);
        require(classes >= 2, "--classes must be at least 2, got " + classes);
        require(warmup >= 0, "--warmup-steps must be ≥ 0, got " + warmup);
        require(warmupSeconds >= 0 && Double.isFinite(warmupSeconds), "--warmup-seconds must be a number ≥ 0, got "
                + warmupSeconds);
        require(repeats >= 1, "--timed-steps must be ≥ 1, got " + repeats);
        require(secondsPerSize >= 0 && Double.isFinite(secondsPerSize), "--seconds-per-size must be a number ≥ 0"
                + " (0 = all --timed-steps), got " + secondsPerSize);
        io.ravine.backend.Devices.checkThreads("--threads", threads);
        require(targetMetric.equals(TRAIN_LOSS) || targetMetric.equals(TEST_LOSS),
                "--target-metric must be train_loss or test_loss, not '" + targetMetric + "'");
        require(targetLoss > 0 && Double.isFinite(targetLoss), "--target-loss must be a positive number, got "
                + targetLoss);
        require(maxSteps > 0, "--max-steps must be positive, got " + maxSteps);
        require(learningRate > 0 && Double.isFinite(learningRate), "--lr must be a positive number, got "
                + learningRate);
        require(lrGrid >= 0 && lrGrid <= 6, "--lr-grid must be between 0 and 6, got " + lrGrid);
        require(checkEvery > 0, "--check-every must be positive, got " + checkEvery);
        require(subset > 0, "--subset must be positive, got " + subset);
        require(limit >= 0, "--limit must be ≥ 0 (0 = all), got " + limit);
        require(noiseBatch > 0, "--noise-batch must be positive, got " + noiseBatch);
        require(noiseEvery > 0, "--noise-every must be positive, got " + noiseEvery);
        require(noiseSmall >= 1, "--noise-small must be ≥ 1, got " + noiseSmall);
        require(noiseBig > noiseSmall, "--noise-big must be larger than --noise-small, got " + noiseBig + " ≤ "
                + noiseSmall);
        require(noiseDecay >= 0 && noiseDecay < 1, "--noise-decay must be in [0, 1), got " + noiseDecay);
        // The closure rules: L-BFGS is a full-batch method, and no closure rule has one fused update to time.
        require(optimizer != UpdateRule.LBFGS, "--optimizer lbfgs: study batch-size varies the mini-batch, and lbfgs"
                + " (torch.optim.LBFGS) is a full-batch method: the first curvature pair of each step subtracts the"
                + " gradients of two different batches at the same θ, so its steps against batch size would measure"
                + " that noise; train it full-batch (train --optimizer lbfgs --batch-size full), or study newton-cg"
                + " or a first-order optimizer");
        require(optimizer != UpdateRule.NEWTON_CG || !parts.contains(HARDWARE), "--optimizer newton-cg: the hardware"
                + " part times one fused update per batch size, and a newton-cg step is a varying number of"
                + " gradients, losses and curvature products (its CG iterations); give --parts steps,noise, and time"
                + " the hardware with a first-order optimizer (the same forward and backward passes)");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new InvalidInputException(message);
        }
    }

    private static void positive(int[] sizes, String flag) {
        require(sizes.length > 0, flag + " must list at least one batch size");
        for (int b : sizes) {
            require(b > 0, flag + " must be positive integers, got " + b);
        }
    }

    public boolean runs(String part) {
        return parts.contains(part);
    }

    /** The learning rates tried at every batch size: lr·3^k for k = −lrGrid … lrGrid, ascending. */
    public double[] learningRates() {
        double[] out = new double[2 * lrGrid + 1];
        for (int k = -lrGrid; k <= lrGrid; k++) {
            out[k + lrGrid] = learningRate * Math.pow(3, k);
        }
        return out;
    }

    /** Powers of two from 1 up to {@code max} (1, 2, 4, …): 14 sizes for 8192. */
    public static int[] powersOfTwo(int max) {
        return powersOfTwo(1, max);
    }

    /**
     * Powers of two from {@code min} (a power of two) up to {@code max}: from 2 with batch normalization, which
     * cannot normalize a batch of one.
     */
    public static int[] powersOfTwo(int min, int max) {
        if (max < 1) {
            throw new InvalidInputException("--max-batch must be positive, got " + max);
        }
        int n = 32 - Integer.numberOfLeadingZeros(max);
        int first = Integer.numberOfTrailingZeros(min);
        int[] out = new int[Math.max(0, n - first)];
        for (int i = first; i < n; i++) {
            out[i - first] = 1 << i;
        }
        return out;
    }

    /** Parses {@code 1,2,4} (sorted and de-duplicated). */
    public static int[] parseSizes(String spec, String flag) {
        try {
            return java.util.Arrays.stream(spec.split(",")).map(String::trim).mapToInt(Integer::parseInt)
                    .peek(b -> {
                        if (b <= 0) {
                            throw new NumberFormatException();
                        }
                    }).sorted().distinct().toArray();
        } catch (NumberFormatException e) {
            throw new InvalidInputException(flag + " '" + spec + "': expected positive integers, e.g. 1,2,4,8");
        }
    }

    /** Parses a comma-separated list of lower-case names. */
    public static List<String> parseNames(String spec) {
        return java.util.Arrays.stream(spec.split(",")).map(s -> s.trim().toLowerCase(Locale.ROOT))
                .filter(s -> !s.isEmpty()).distinct().toList();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BatchSizeStudyConfig c && StudyFiles.GSON.toJson(this).equals(StudyFiles.GSON.toJson(c));
    }

    @Override
    public int hashCode() {
        return StudyFiles.GSON.toJson(this).hashCode();
    }

    @Override
    public String toString() {
        return "BatchSizeStudyConfig" + StudyFiles.GSON.toJson(this);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** DJL-style builder; the field initialisers are the defaults (the 784-1024-1024-10 MLP, 14 batch sizes). */
    public static final class Builder {
        private List<String> parts = List.of(HARDWARE, STEPS, NOISE);
        private List<String> devices = List.of("cpu");
        /** Null: powers of two up to 8192, from 1 (from 2 with batch normalization). */
        private int[] batchSizes;
        private int inputs = 784;
        private int[] hidden = {1024, 1024};
        private int classes = 10;
        private Activation activation = Activation.RELU;
        private boolean batchNorm;
        private UpdateRule optimizer = UpdateRule.ADAM;
        private int warmup = 3;
        private double warmupSeconds = 0.5;
        private int repeats = 10;
        private double secondsPerSize = 1.0;
        private int threads;
        private boolean tf32;
        private long seed = 1;
        private String data = "embedded";
        private int limit;
        private int[] stepBatchSizes = {16, 32, 64, 128, 256, 512, 1024};
        private String targetMetric = TRAIN_LOSS;
        private double targetLoss = 0.5;
        private long maxSteps = 2000;
        private double learningRate = 1e-3;
        private int lrGrid = 1;
        private int checkEvery = 10;
        private int subset = 1000;
        private int noiseBatch = 128;
        private int noiseSmall = 32;
        private int noiseBig = 512;
        private int noiseEvery = 20;
        private double noiseDecay = 0.9;

        private Builder() {
        }

        public Builder optParts(List<String> p) { this.parts = p; return this; }
        public Builder optDevices(List<String> d) { this.devices = d; return this; }
        public Builder optBatchSizes(int... b) { this.batchSizes = b.clone(); return this; }
        public Builder optInputs(int n) { this.inputs = n; return this; }
        public Builder optHidden(int... widths) { this.hidden = widths.clone(); return this; }
        public Builder optClasses(int k) { this.classes = k; return this; }
        public Builder optActivation(Activation a) { this.activation = a; return this; }
        public Builder optBatchNorm(boolean on) { this.batchNorm = on; return this; }
        public Builder optOptimizer(UpdateRule r) { this.optimizer = r; return this; }
        public Builder optWarmup(int n) { this.warmup = n; return this; }
        public Builder optWarmupSeconds(double s) { this.warmupSeconds = s; return this; }
        public Builder optRepeats(int n) { this.repeats = n; return this; }
        public Builder optSecondsPerSize(double s) { this.secondsPerSize = s; return this; }
        public Builder optThreads(int t) { this.threads = t; return this; }
        public Builder optTf32(boolean on) { this.tf32 = on; return this; }
        public Builder optSeed(long s) { this.seed = s; return this; }
        public Builder optData(String d) { this.data = d; return this; }
        public Builder optLimit(int n) { this.limit = n; return this; }
        public Builder optStepBatchSizes(int... b) { this.stepBatchSizes = b.clone(); return this; }
        public Builder optTargetMetric(String m) { this.targetMetric = m; return this; }
        public Builder optTargetLoss(double l) { this.targetLoss = l; return this; }
        public Builder optMaxSteps(long s) { this.maxSteps = s; return this; }
        public Builder optLearningRate(double lr) { this.learningRate = lr; return this; }
        public Builder optLrGrid(int n) { this.lrGrid = n; return this; }
        public Builder optCheckEvery(int n) { this.checkEvery = n; return this; }
        /** Training examples the training loss is measured on (default 1000). */
        public Builder optSubset(int n) { this.subset = n; return this; }
        public Builder optNoiseBatch(int b) { this.noiseBatch = b; return this; }
        public Builder optNoiseSmall(int b) { this.noiseSmall = b; return this; }
        public Builder optNoiseBig(int b) { this.noiseBig = b; return this; }
        public Builder optNoiseEvery(int n) { this.noiseEvery = n; return this; }
        public Builder optNoiseDecay(double d) { this.noiseDecay = d; return this; }

        public BatchSizeStudyConfig build() {
            int[] sizes = batchSizes != null ? batchSizes : powersOfTwo(batchNorm ? 2 : 1, 8192);
            return new BatchSizeStudyConfig(parts, devices, sizes, inputs, hidden, classes, activation, batchNorm,
                    optimizer, warmup, warmupSeconds, repeats, secondsPerSize, threads, tf32, seed, data, limit,
                    stepBatchSizes, targetMetric, targetLoss, maxSteps, learningRate, lrGrid, checkEvery,
                    subset, noiseBatch, noiseSmall, noiseBig, noiseEvery, noiseDecay);
        }
    }
}
