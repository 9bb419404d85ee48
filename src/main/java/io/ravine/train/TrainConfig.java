package io.ravine.train;

import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.backend.Devices;
import io.ravine.backend.UpdateRule;
import io.ravine.nn.Initializer;
import io.ravine.optim.Schedules;

/**
 * Everything that defines a training run, in the CLI's vocabulary, so that the run's {@code config.json} is enough to
 * repeat it. Built with {@link #builder()} ({@code set*} for required values, {@code opt*} for optional ones, as in
 * DJL); unset optional values take the defaults below.
 *
 * @param data training data: {@code embedded}, {@code fashion-mnist}, {@code synthetic}, an IDX directory or a CSV
 *     file
 * @param testData held-out data (CSV only; null = the data set's own test split, or the last 20% of a CSV)
 * @param hidden hidden layer widths (empty = linear model)
 * @param learningRate α; null = the optimizer's default (1e-3 for Adam/AdamW, 0.01 otherwise)
 * @param weightDecay λ; null = 0 (0.01 for AdamW, as PyTorch)
 * @param clipNorm global gradient-norm clipping threshold, 0 = off
 * @param schedule learning-rate schedule spec (constant, step:EVERY:FACTOR, cosine:TOTAL[:FINAL], exp:T0:TAU,
 *     warmup:STEPS:INNER)
 * @param emaTimescale τ of iterate averaging, 0 = off
 * @param init weight initializer spec; {@code auto} = He for ReLU, Xavier otherwise
 * @param batchSize examples per update, 0 = the full training set (batch gradient descent)
 * @param epochs passes over the training data (used when steps = 0)
 * @param steps updates to run, 0 = use epochs
 * @param limit use only the first N training examples, 0 = all
 * @param threads CPU threads for BLAS, 0 = all cores
 * @param checkpointEvery write a checkpoint every N steps, 0 = only the final one
 * @param logEvery log the monitoring-subset loss every N steps, 0 = ten times per epoch
 * @param evalEvery evaluate on the test split every N steps, 0 = once per epoch
 * @param monitorSize size of the fixed training subset whose loss is logged
 * @param diagnoseEvery log gradient norm, gᵀHg and ε* every N steps, 0 = off
 */
public record TrainConfig(
        String data,
        String testData,
        int[] hidden,
        Activation activation,
        LossKind loss,
        UpdateRule optimizer,
        Double learningRate,
        double momentum,
        double beta1,
        double beta2,
        double eps,
        double gamma,
        Double weightDecay,
        double clipNorm,
        String schedule,
        double emaTimescale,
        String init,
        double biasInit,
        String normalize,
        int batchSize,
        int epochs,
        long steps,
        int limit,
        long seed,
        String device,
        int threads,
        boolean cudaGraph,
        boolean tf32,
        int checkpointEvery,
        boolean saveInitial,
        int logEvery,
        int evalEvery,
        int monitorSize,
        int diagnoseEvery) {

    public TrainConfig {
        hidden = hidden == null ? new int[0] : hidden.clone();
        require(data != null && !data.isBlank(), "--data must name a data set");
        require(learningRate == null || (learningRate > 0 && Double.isFinite(learningRate)),
                "--lr must be a positive number, got " + learningRate);
        require(momentum >= 0 && momentum < 1, "--momentum must be in [0, 1), got " + momentum);
        require(beta1 >= 0 && beta1 < 1, "--beta1 must be in [0, 1), got " + beta1);
        require(beta2 >= 0 && beta2 < 1, "--beta2 must be in [0, 1), got " + beta2);
        require(eps > 0 && Double.isFinite(eps), "--eps must be a positive number, got " + eps);
        require(gamma > 0 && gamma <= 1, "--gamma must be in (0, 1], got " + gamma);
        require(weightDecay == null || (weightDecay >= 0 && Double.isFinite(weightDecay)),
                "--weight-decay must be a number ≥ 0, got " + weightDecay);
        require(clipNorm >= 0 && Double.isFinite(clipNorm), "--clip-norm must be a number ≥ 0 (0 = off), got "
                + clipNorm);
        require(emaTimescale == 0 || (emaTimescale >= 1 && Double.isFinite(emaTimescale)),
                "--ema (the timescale τ) must be ≥ 1, or 0 for off, got " + emaTimescale);
        require(Double.isFinite(biasInit) && Math.abs(biasInit) <= MAX_INIT_SCALE, "--bias-init must be a number"
                + " in [-" + (int) MAX_INIT_SCALE + ", " + (int) MAX_INIT_SCALE + "], got " + biasInit);
        require(batchSize >= 0, "--batch-size must be a positive integer or 'full', got " + batchSize);
        require(epochs >= 0 && steps >= 0 && (epochs > 0 || steps > 0), "--epochs or --steps must be positive, got"
                + " epochs " + epochs + ", steps " + steps);
        require(limit >= 0, "--limit must be ≥ 0 (0 = all), got " + limit);
        require(threads >= 0 && threads <= Devices.MAX_THREADS, "--threads must be between 0 (all cores) and "
                + Devices.MAX_THREADS + ", got " + threads);
        require(checkpointEvery >= 0, "--checkpoint-every must be ≥ 0, got " + checkpointEvery);
        require(logEvery >= 0 && evalEvery >= 0 && diagnoseEvery >= 0, "--log-every, --eval-every and"
                + " --diagnose-every must be ≥ 0, got " + logEvery + ", " + evalEvery + ", " + diagnoseEvery);
        require(monitorSize > 0, "--monitor-size must be positive, got " + monitorSize);
        require(normalize != null && (normalize.equals("zscore") || normalize.equals("none")),
                "--normalize must be zscore or none, got '" + normalize + "'");
        require(device != null && (device.equals("auto") || device.equals("cpu") || device.equals("cuda")),
                "--device must be auto, cpu or cuda, got '" + device + "'");
        // Specs are checked here, not when the trainer first needs them (after loading the data): a run with a bad
        // one never starts. A config.json without them is reported by RunDirectories.readConfig.
        if (init != null && !"auto".equals(init)) {
            Initializer.parse(init);
        }
        if (schedule != null) {
            // Without a rate (the optimizer's default, or a sweep's base whose runs each set one) only the spec's own
            // values are checked here; cosine's FINAL_LR < rate waits for the rate (the Trainer, before any write).
            double lr = learningRate != null ? learningRate : 1e6;
            try {
                Schedules.parse(schedule, lr);
            } catch (InvalidInputException e) {
                throw new InvalidInputException("--schedule: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Largest |--bias-init| (and, in {@link Initializer}, the largest uniform/normal scale): a unit whose bias or
     * weight scale is above 100 starts saturated (tanh and logistic are flat to float32 precision beyond ±17) or, for
     * ReLU, with outputs in the hundreds per layer; nothing trains from there, and beyond ~1e38 the values are not
     * even float32.
     */
    public static final double MAX_INIT_SCALE = Initializer.MAX_SCALE;

    /**
     * Records compare arrays by identity; two configurations are equal when they write the same config.json (every
     * component, the hidden widths by value).
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof TrainConfig c && toString().equals(c.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    @Override
    public String toString() {
        return "TrainConfig" + RunFiles.GSON.toJson(this);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new InvalidInputException(message);
        }
    }

    public double resolvedLearningRate() {
        if (learningRate != null) {
            return learningRate;
        }
        return optimizer == UpdateRule.ADAM || optimizer == UpdateRule.ADAMW ? 1e-3 : 0.01;
    }

    public double resolvedWeightDecay() {
        if (weightDecay != null) {
            return weightDecay;
        }
        return optimizer == UpdateRule.ADAMW ? 0.01 : 0.0;
    }

    public String resolvedInit() {
        if (!"auto".equals(init)) {
            return init;
        }
        return activation == Activation.RELU ? "he" : "xavier";
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from this configuration (to extend a run on resume, say). */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.data = data;
        b.testData = testData;
        b.hidden = hidden;
        b.activation = activation;
        b.loss = loss;
        b.optimizer = optimizer;
        b.learningRate = learningRate;
        b.momentum = momentum;
        b.beta1 = beta1;
        b.beta2 = beta2;
        b.eps = eps;
        b.gamma = gamma;
        b.weightDecay = weightDecay;
        b.clipNorm = clipNorm;
        b.schedule = schedule;
        b.emaTimescale = emaTimescale;
        b.init = init;
        b.biasInit = biasInit;
        b.normalize = normalize;
        b.batchSize = batchSize;
        b.epochs = epochs;
        b.steps = steps;
        b.limit = limit;
        b.seed = seed;
        b.device = device;
        b.threads = threads;
        b.cudaGraph = cudaGraph;
        b.tf32 = tf32;
        b.checkpointEvery = checkpointEvery;
        b.saveInitial = saveInitial;
        b.logEvery = logEvery;
        b.evalEvery = evalEvery;
        b.monitorSize = monitorSize;
        b.diagnoseEvery = diagnoseEvery;
        return b;
    }

    /** DJL-style builder; the field initialisers are the defaults. */
    public static final class Builder {
        private String data = "embedded";
        private String testData;
        private int[] hidden = {128};
        private Activation activation = Activation.RELU;
        private LossKind loss = LossKind.SOFTMAX_CE;
        private UpdateRule optimizer = UpdateRule.ADAM;
        private Double learningRate;
        private double momentum = 0.9;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double gamma = 0.01;
        private Double weightDecay;
        private double clipNorm;
        private String schedule = "constant";
        private double emaTimescale;
        private String init = "auto";
        private double biasInit;
        private String normalize = "zscore";
        private int batchSize = 128;
        private int epochs = 5;
        private long steps;
        private int limit;
        private long seed = 1;
        private String device = "auto";
        private int threads;
        private boolean cudaGraph = true;
        private boolean tf32;
        private int checkpointEvery;
        private boolean saveInitial;
        private int logEvery;
        private int evalEvery;
        private int monitorSize = 2000;
        private int diagnoseEvery;

        private Builder() {
        }

        public Builder setData(String data) { this.data = data; return this; }
        public Builder optTestData(String testData) { this.testData = testData; return this; }
        public Builder optHidden(int... widths) { this.hidden = widths.clone(); return this; }
        public Builder optActivation(Activation a) { this.activation = a; return this; }
        public Builder optLoss(LossKind l) { this.loss = l; return this; }
        public Builder optOptimizer(UpdateRule r) { this.optimizer = r; return this; }
        public Builder optLearningRate(double lr) { this.learningRate = lr; return this; }
        public Builder optMomentum(double mu) { this.momentum = mu; return this; }
        public Builder optBeta1(double b) { this.beta1 = b; return this; }
        public Builder optBeta2(double b) { this.beta2 = b; return this; }
        public Builder optEpsilon(double e) { this.eps = e; return this; }
        public Builder optGamma(double g) { this.gamma = g; return this; }
        public Builder optWeightDecay(double wd) { this.weightDecay = wd; return this; }
        public Builder optClipNorm(double c) { this.clipNorm = c; return this; }
        public Builder optSchedule(String spec) { this.schedule = spec; return this; }
        public Builder optEma(double timescale) { this.emaTimescale = timescale; return this; }
        public Builder optInit(String spec) { this.init = spec; return this; }
        public Builder optBiasInit(double b) { this.biasInit = b; return this; }
        public Builder optNormalize(String mode) { this.normalize = mode; return this; }
        /** Examples per update; 0 means the whole training set (full-batch gradient descent). */
        public Builder optBatchSize(int b) { this.batchSize = b; return this; }
        public Builder optEpochs(int e) { this.epochs = e; return this; }
        public Builder optSteps(long s) { this.steps = s; return this; }
        public Builder optLimit(int n) { this.limit = n; return this; }
        public Builder optSeed(long s) { this.seed = s; return this; }
        public Builder optDevice(String d) { this.device = d; return this; }
        public Builder optThreads(int t) { this.threads = t; return this; }
        public Builder optCudaGraph(boolean on) { this.cudaGraph = on; return this; }
        public Builder optTf32(boolean on) { this.tf32 = on; return this; }
        public Builder optCheckpointEvery(int n) { this.checkpointEvery = n; return this; }
        public Builder optSaveInitial(boolean on) { this.saveInitial = on; return this; }
        public Builder optLogEvery(int n) { this.logEvery = n; return this; }
        public Builder optEvalEvery(int n) { this.evalEvery = n; return this; }
        public Builder optMonitorSize(int n) { this.monitorSize = n; return this; }
        public Builder optDiagnoseEvery(int n) { this.diagnoseEvery = n; return this; }

        public TrainConfig build() {
            return new TrainConfig(data, testData, hidden, activation, loss, optimizer, learningRate, momentum, beta1,
                    beta2, eps, gamma, weightDecay, clipNorm, schedule, emaTimescale, init, biasInit, normalize,
                    batchSize, epochs, steps, limit, seed, device, threads, cudaGraph, tf32, checkpointEvery,
                    saveInitial, logEvery, evalEvery, monitorSize, diagnoseEvery);
        }
    }
}
