package io.ravine.train;

import static io.ravine.InvalidSettingException.setting;

import ai.djl.training.tracker.Tracker;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.ravine.InvalidInputException;
import io.ravine.InvalidSettingException;
import io.ravine.backend.Activation;
import io.ravine.backend.Devices;
import io.ravine.backend.LossKind;
import io.ravine.backend.UpdateRule;
import io.ravine.io.StrictJson;
import io.ravine.nn.Initializer;
import io.ravine.optim.Lbfgs;
import io.ravine.optim.NewtonCg;
import io.ravine.optim.Schedules;
import java.lang.reflect.RecordComponent;

/**
 * Everything that defines a training run, so that the run's {@code config.json} is enough to repeat it. Built with
 * {@link #builder()} ({@code set*} for required values, {@code opt*} for optional ones, as in DJL); unset optional
 * values take the defaults of {@link Builder}. The component names are the settings' names: in config.json, in the
 * library's messages ({@code learningRate must be a positive number, got NaN}) and in resume checks; the CLI's flags
 * map onto them one to one ({@code --lr} sets {@code learningRate}).
 *
 * <pre>{@code
 * TrainConfig config = TrainConfig.builder()
 *         .optHidden(64).optOptimizer(UpdateRule.ADAM).optLearningRate(1e-3)
 *         .optBatchSize(32).optEpochs(20).optSeed(7)
 *         .build();
 * }</pre>
 *
 * @param data training data: {@code embedded}, {@code fashion-mnist}, {@code synthetic}, an IDX directory or a CSV
 *     file; for data given in memory ({@link Trainer#Trainer(TrainConfig, io.ravine.data.TrainTest)}) only a label
 * @param testData held-out data (CSV only; null = the data set's own test split, or the last 20% of a CSV)
 * @param hidden hidden layer widths (empty = linear model)
 * @param activation the activation of every hidden layer
 * @param batchNorm batch normalization in every hidden layer, before its activation (PyTorch's BatchNorm1d: batch
 *     statistics in training, running statistics in evaluation; the hidden layers then have no bias)
 * @param loss the loss, with its output nonlinearity fused (softmax, logistic) or none (mean squared error)
 * @param optimizer the update rule
 * @param learningRate α; null = the optimizer's default (1e-3 for Adam/AdamW, 0.01 otherwise)
 * @param momentum μ of momentum and Nesterov
 * @param beta1 Adam's β₁
 * @param beta2 Adam's β₂
 * @param eps ε of RMSprop and Adam
 * @param gamma RMSprop's γ in s ← (1−γ)s + γg²
 * @param weightDecay λ; null = 0 (0.01 for AdamW, as PyTorch)
 * @param clipNorm global gradient-norm clipping threshold, 0 = off
 * @param schedule learning-rate schedule spec (constant, step:EVERY:FACTOR, cosine:TOTAL[:FINAL], exp:T0:TAU,
 *     warmup:STEPS:INNER); null exactly when {@code learningRateTracker} is set
 * @param emaTimescale τ of iterate averaging, 0 = off
 * @param init weight initializer spec; {@code auto} = He for ReLU, Xavier otherwise
 * @param biasInit the value every bias starts at
 * @param normalize input normalization: {@code zscore} (statistics of the training split) or {@code none}
 * @param batchSize examples per update, 0 = the full training set (batch gradient descent)
 * @param epochs passes over the training data (used when steps = 0)
 * @param steps updates to run, 0 = use epochs
 * @param limit use only the first N training examples, 0 = all
 * @param seed seed of the initial θ, the batch order and the monitoring subset
 * @param device {@code auto}, {@code cpu} or {@code cuda}: where a {@link Trainer} that opens its own backend
 *     trains
 * @param threads CPU threads (the matrix products' tiles and the elementwise loops; the count changes no bit),
 *     0 = all cores; set when a {@link Trainer} opens its own backend
 * @param cudaGraph replay the training step as a CUDA graph (CUDA only)
 * @param tf32 allow TF32 tensor-core matrix products (CUDA only)
 * @param checkpointEvery write a checkpoint every N steps, 0 = only the final one
 * @param saveInitial also write {@code checkpoints/initial.safetensors} (θ₀)
 * @param logEvery log the monitoring-subset loss every N steps, 0 = ten times per epoch
 * @param evalEvery evaluate on the test split every N steps, 0 = once per epoch
 * @param subset size of the fixed subset of the training data that the logged training loss (and the
 *     curvature of {@code diagnoseEvery}) is measured on (config.json files before {@code ravine-run-5} call it
 *     {@code monitorSize})
 * @param diagnoseEvery log gᵀg, gᵀHg, ε* and the second-order check of a step on the monitoring subset every N
 *     steps, 0 = off
 * @param learningRateTracker a DJL {@link Tracker} as the learning-rate schedule (queried with the number of
 *     completed updates, see {@link io.ravine.optim.Optimizer}); null = {@code schedule}. config.json records its
 *     description ({@link Schedules#describe}), not the object: a run with one is resumed from Java with the same
 *     tracker, never from the CLI
 * @param maxIter L-BFGS iterations per step (torch's max_iter)
 * @param maxEval L-BFGS evaluations per step, 0 = maxIter·5/4 (torch's default)
 * @param toleranceGrad L-BFGS's tolerance on ‖g‖∞
 * @param toleranceChange L-BFGS's tolerance on changes of the loss and of θ
 * @param historySize L-BFGS's (s, y) pairs kept
 * @param lineSearch L-BFGS's line search: none (a fixed step) or strong-Wolfe
 * @param curvature Newton-CG's curvature matrix: Gauss-Newton or the Hessian
 * @param damping Newton-CG's initial damping λ₀ &gt; 0 (Levenberg-Marquardt adapts it)
 * @param cgMaxIter Newton-CG's cap on CG iterations per step
 * @param curvatureBatch Newton-CG's curvature mini-batch: the first N examples of each step's batch
 */
public record TrainConfig(
        String data,
        String testData,
        int[] hidden,
        Activation activation,
        boolean batchNorm,
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
        int subset,
        int diagnoseEvery,
        Tracker learningRateTracker,
        int maxIter,
        int maxEval,
        double toleranceGrad,
        double toleranceChange,
        int historySize,
        Lbfgs.LineSearch lineSearch,
        NewtonCg.Curvature curvature,
        double damping,
        int cgMaxIter,
        int curvatureBatch) {

    /**
     * Checks every setting; each refusal is one line naming the setting as this record calls it (the CLI renders
     * the same message with its flags, see {@link InvalidSettingException#messageNaming}).
     *
     * @param data training data: {@code embedded}, {@code fashion-mnist}, {@code synthetic}, an IDX directory or a CSV
     *     file; for data given in memory ({@link Trainer#Trainer(TrainConfig, io.ravine.data.TrainTest)}) only a label
     * @param testData held-out data (CSV only; null = the data set's own test split, or the last 20% of a CSV)
     * @param hidden hidden layer widths (empty = linear model)
     * @param activation the activation of every hidden layer
     * @param batchNorm batch normalization in every hidden layer, before its activation
     * @param loss the loss, with its output nonlinearity fused (softmax, logistic) or none (mean squared error)
     * @param optimizer the update rule
     * @param learningRate α; null = the optimizer's default (1e-3 for Adam/AdamW, 0.01 otherwise)
     * @param momentum μ of momentum and Nesterov
     * @param beta1 Adam's β₁
     * @param beta2 Adam's β₂
     * @param eps ε of RMSprop and Adam
     * @param gamma RMSprop's γ in s ← (1−γ)s + γg²
     * @param weightDecay λ; null = 0 (0.01 for AdamW, as PyTorch)
     * @param clipNorm global gradient-norm clipping threshold, 0 = off
     * @param schedule learning-rate schedule spec (constant, step:EVERY:FACTOR, cosine:TOTAL[:FINAL], exp:T0:TAU,
     *     warmup:STEPS:INNER); null exactly when {@code learningRateTracker} is set
     * @param emaTimescale τ of iterate averaging, 0 = off
     * @param init weight initializer spec; {@code auto} = He for ReLU, Xavier otherwise
     * @param biasInit the value every bias starts at
     * @param normalize input normalization: {@code zscore} (statistics of the training split) or {@code none}
     * @param batchSize examples per update, 0 = the full training set (batch gradient descent)
     * @param epochs passes over the training data (used when steps = 0)
     * @param steps updates to run, 0 = use epochs
     * @param limit use only the first N training examples, 0 = all
     * @param seed seed of the initial θ, the batch order and the monitoring subset
     * @param device {@code auto}, {@code cpu} or {@code cuda}: where a {@link Trainer} that opens its own backend
     *     trains
     * @param threads CPU threads (the matrix products' tiles and the elementwise loops; the count changes no bit),
     *     0 = all cores; set when a {@link Trainer} opens its own backend
     * @param cudaGraph replay the training step as a CUDA graph (CUDA only)
     * @param tf32 allow TF32 tensor-core matrix products (CUDA only)
     * @param checkpointEvery write a checkpoint every N steps, 0 = only the final one
     * @param saveInitial also write {@code checkpoints/initial.safetensors} (θ₀)
     * @param logEvery log the monitoring-subset loss every N steps, 0 = ten times per epoch
     * @param evalEvery evaluate on the test split every N steps, 0 = once per epoch
     * @param subset size of the fixed subset of the training data that the logged training loss (and the
     *     curvature of {@code diagnoseEvery}) is measured on
     * @param diagnoseEvery log gᵀg, gᵀHg, ε* and the second-order check of a step on the monitoring subset every N
     *     steps, 0 = off
     * @param learningRateTracker a DJL {@link Tracker} as the learning-rate schedule (queried with the number of
     *     completed updates, see {@link io.ravine.optim.Optimizer}); null = {@code schedule}. config.json records its
     *     description ({@link Schedules#describe}), not the object: a run with one is resumed from Java with the same
     *     tracker, never from the CLI
     * @param maxIter L-BFGS iterations per step (torch's max_iter)
     * @param maxEval L-BFGS evaluations per step, 0 = maxIter·5/4 (torch's default)
     * @param toleranceGrad L-BFGS's tolerance on ‖g‖∞
     * @param toleranceChange L-BFGS's tolerance on changes of the loss and of θ
     * @param historySize L-BFGS's (s, y) pairs kept
     * @param lineSearch L-BFGS's line search: none (a fixed step) or strong-Wolfe
     * @param curvature Newton-CG's curvature matrix: Gauss-Newton or the Hessian
     * @param damping Newton-CG's initial damping λ₀ &gt; 0 (Levenberg-Marquardt adapts it)
     * @param cgMaxIter Newton-CG's cap on CG iterations per step
     * @param curvatureBatch Newton-CG's curvature mini-batch: the first N examples of each step's batch
     * @throws InvalidSettingException naming the first setting out of range
     */
    public TrainConfig {
        hidden = hidden == null ? new int[0] : hidden.clone();
        require(data != null && !data.isBlank(), "data", " must name a data set");
        require(learningRate == null || (learningRate > 0 && Double.isFinite(learningRate)),
                "learningRate", " must be a positive number, got " + learningRate);
        require(momentum >= 0 && momentum < 1, "momentum", " must be in [0, 1), got " + momentum);
        require(beta1 >= 0 && beta1 < 1, "beta1", " must be in [0, 1), got " + beta1);
        require(beta2 >= 0 && beta2 < 1, "beta2", " must be in [0, 1), got " + beta2);
        require(eps > 0 && Double.isFinite(eps), "eps", " must be a positive number, got " + eps);
        require(gamma > 0 && gamma <= 1, "gamma", " must be in (0, 1], got " + gamma);
        require(weightDecay == null || (weightDecay >= 0 && Double.isFinite(weightDecay)),
                "weightDecay", " must be a number ≥ 0, got " + weightDecay);
        require(clipNorm >= 0 && Double.isFinite(clipNorm), "clipNorm", " must be a number ≥ 0 (0 = off), got "
                + clipNorm);
        require(emaTimescale == 0 || (emaTimescale >= 1 && Double.isFinite(emaTimescale)),
                "emaTimescale", " (the timescale τ) must be ≥ 1, or 0 for off, got " + emaTimescale);
        require(Double.isFinite(biasInit) && Math.abs(biasInit) <= MAX_INIT_SCALE, "biasInit", " must be a number"
                + " in [-" + (int) MAX_INIT_SCALE + ", " + (int) MAX_INIT_SCALE + "], got " + biasInit);
        require(batchSize >= 0, "batchSize", " must be a positive integer, or 0 for the full training set, got "
                + batchSize);
        if (!(epochs >= 0 && steps >= 0 && (epochs > 0 || steps > 0))) {
            throw InvalidSettingException.of(setting("epochs"), " or ", setting("steps"), " must be positive, got"
                    + " epochs " + epochs + ", steps " + steps);
        }
        require(limit >= 0, "limit", " must be ≥ 0 (0 = all), got " + limit);
        require(threads >= 0 && threads <= Devices.MAX_THREADS, "threads", " must be between 0 (all cores) and "
                + Devices.MAX_THREADS + ", got " + threads);
        require(checkpointEvery >= 0, "checkpointEvery", " must be ≥ 0, got " + checkpointEvery);
        require(logEvery >= 0, "logEvery", " must be ≥ 0 (0 = ten times per epoch), got " + logEvery);
        require(evalEvery >= 0, "evalEvery", " must be ≥ 0 (0 = once per epoch), got " + evalEvery);
        require(diagnoseEvery >= 0, "diagnoseEvery", " must be ≥ 0 (0 = off), got " + diagnoseEvery);
        requireSecondOrder(optimizer, weightDecay, clipNorm, maxIter, maxEval, toleranceGrad, toleranceChange,
                historySize, lineSearch, curvature, damping, cgMaxIter, curvatureBatch);
        require(subset > 0, "subset", " must be positive, got " + subset);
        require(normalize != null && (normalize.equals("zscore") || normalize.equals("none")),
                "normalize", " must be zscore or none, got '" + normalize + "'");
        require(device != null && (device.equals("auto") || device.equals("cpu") || device.equals("cuda")),
                "device", " must be auto, cpu or cuda, got '" + device + "'");
        require(activation != null, "activation", " must be set");
        if (batchNorm && hidden.length == 0) {
            throw InvalidSettingException.of(setting("batchNorm"), " normalizes hidden layers, but the model has"
                    + " none (", setting("hidden"), " none); give hidden widths or drop it");
        }
        if (batchNorm && batchSize == 1) {
            throw InvalidSettingException.of(setting("batchNorm"), " needs at least 2 examples per batch (the"
                    + " variance of one example is undefined; PyTorch refuses it too), got ", setting("batchSize"),
                    " 1");
        }
        if (batchNorm && optimizer == io.ravine.backend.UpdateRule.NEWTON_CG && curvatureBatch == 1) {
            throw InvalidSettingException.of(setting("batchNorm"), " needs at least 2 examples in Newton-CG's"
                    + " curvature batch (it is normalized by its own statistics), got ", setting("curvatureBatch"),
                    " 1");
        }
        require(loss != null, "loss", " must be set");
        require(optimizer != null, "optimizer", " must be set");
        if (schedule != null && learningRateTracker != null) {
            throw InvalidSettingException.of(setting("schedule"), " and ", setting("learningRateTracker"),
                    " are two ways of giving the learning-rate schedule: give one (schedule '" + schedule
                    + "', learningRateTracker " + Schedules.describe(learningRateTracker) + ")");
        }
        require(schedule != null || learningRateTracker != null, "schedule", " must be set (constant,"
                + " step:EVERY:FACTOR, …), or a learningRateTracker given");
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
                throw new InvalidSettingException("schedule", ": " + e.getMessage()).causedBy(e);
            }
        }
    }

    /**
     * Largest |biasInit| (and, in {@link Initializer}, the largest uniform/normal scale): a unit whose bias or
     * weight scale is above 100 starts saturated (tanh and logistic are flat to float32 precision beyond ±17) or, for
     * ReLU, with outputs in the hundreds per layer; nothing trains from there, and beyond ~1e38 the values are not
     * even float32.
     */
    public static final double MAX_INIT_SCALE = Initializer.MAX_SCALE;

    /**
     * Records compare arrays by identity; two configurations are equal when they write the same config.json (every
     * component, the hidden widths by value, a tracker by its description).
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof TrainConfig c && toString().equals(c.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    /** {@code TrainConfig{...}}: the settings as config.json holds them (unset optional ones left out). */
    @Override
    public String toString() {
        return "TrainConfig" + RunFiles.GSON.toJson(settingsTree());
    }

    /**
     * The second-order settings: each in range whatever the rule (config.json holds them all), and the coupled
     * terms the closure-based rules do not take (weight decay, clipping) refused with them.
     */
    private static void requireSecondOrder(UpdateRule optimizer, Double weightDecay, double clipNorm, int maxIter,
            int maxEval, double toleranceGrad, double toleranceChange, int historySize, Lbfgs.LineSearch lineSearch,
            NewtonCg.Curvature curvature, double damping, int cgMaxIter, int curvatureBatch) {
        require(maxIter >= 1, "maxIter", " must be ≥ 1, got " + maxIter);
        require(maxEval >= 0, "maxEval", " must be ≥ 0 (0 = maxIter·5/4), got " + maxEval);
        require(toleranceGrad >= 0 && Double.isFinite(toleranceGrad), "toleranceGrad",
                " must be a finite number ≥ 0, got " + toleranceGrad);
        require(toleranceChange >= 0 && Double.isFinite(toleranceChange), "toleranceChange",
                " must be a finite number ≥ 0, got " + toleranceChange);
        require(historySize >= 1, "historySize", " must be ≥ 1, got " + historySize);
        require(lineSearch != null, "lineSearch", " must be set");
        require(curvature != null, "curvature", " must be set");
        require(damping > 0 && Double.isFinite(damping), "damping", " must be a positive finite number, got "
                + damping);
        require(cgMaxIter >= 1, "cgMaxIter", " must be ≥ 1, got " + cgMaxIter);
        require(curvatureBatch >= 1, "curvatureBatch", " must be ≥ 1, got " + curvatureBatch);
        if (optimizer != null && optimizer.closureBased()) {
            require(weightDecay == null || weightDecay == 0, "weightDecay", ": " + optimizer.cliName()
                    + " takes no weight decay (it minimizes the loss as given), got " + weightDecay);
            require(clipNorm == 0, "clipNorm", ": " + optimizer.cliName() + " takes no gradient clipping (its steps"
                    + " come from curvature), got " + clipNorm);
        }
    }

    private static void require(boolean ok, String setting, String rest) {
        if (!ok) {
            throw new InvalidSettingException(setting, rest);
        }
    }

    /**
     * The settings as a JSON tree, each component under its name, unset (null) ones left out; a tracker as its
     * description. Built component by component so that a {@link Tracker} (any user object) is never serialized.
     */
    JsonObject settingsTree() {
        JsonObject o = new JsonObject();
        for (RecordComponent rc : TrainConfig.class.getRecordComponents()) {
            Object v;
            try {
                v = rc.getAccessor().invoke(this);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            if (v instanceof Tracker t) {
                o.add(rc.getName(), new JsonPrimitive(Schedules.describe(t)));
            } else if (v != null) {
                o.add(rc.getName(), StrictJson.settingsTree(v));
            }
        }
        return o;
    }


    /**
     * The learning rate the run uses: {@code learningRate}, or the optimizer's default when unset (the base value
     * of a {@code schedule}; with a {@code learningRateTracker} only what config.json records as the rate).
     *
     * @return α
     */
    public double resolvedLearningRate() {
        if (learningRate != null) {
            return learningRate;
        }
        if (optimizer.closureBased()) {
            return 1.0; // torch.optim.LBFGS's lr; Newton-CG's full step
        }
        return optimizer == UpdateRule.ADAM || optimizer == UpdateRule.ADAMW ? 1e-3 : 0.01;
    }

    /**
     * The weight decay the run uses: {@code weightDecay}, or the optimizer's default when unset.
     *
     * @return λ
     */
    public double resolvedWeightDecay() {
        if (weightDecay != null) {
            return weightDecay;
        }
        return optimizer == UpdateRule.ADAMW ? 0.01 : 0.0;
    }

    /**
     * The initializer spec the run uses: {@code init}, with {@code auto} resolved by the activation.
     *
     * @return {@code he} for ReLU and {@code xavier} otherwise when {@code init} is {@code auto}, else {@code init}
     */
    public String resolvedInit() {
        if (!"auto".equals(init)) {
            return init;
        }
        return activation == Activation.RELU ? "he" : "xavier";
    }

    /**
     * A builder with every optional setting at its default.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder that starts from this configuration (to extend a run on resume, say).
     *
     * @return a new builder holding this configuration's settings
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.data = data;
        b.testData = testData;
        b.hidden = hidden;
        b.activation = activation;
        b.batchNorm = batchNorm;
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
        b.schedule = schedule != null ? schedule : b.schedule;
        b.learningRateTracker = learningRateTracker;
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
        b.subset = subset;
        b.diagnoseEvery = diagnoseEvery;
        b.maxIter = maxIter;
        b.maxEval = maxEval;
        b.toleranceGrad = toleranceGrad;
        b.toleranceChange = toleranceChange;
        b.historySize = historySize;
        b.lineSearch = lineSearch;
        b.curvature = curvature;
        b.damping = damping;
        b.cgMaxIter = cgMaxIter;
        b.curvatureBatch = curvatureBatch;
        return b;
    }

    /**
     * DJL-style builder of a {@link TrainConfig}: every setting has a default (the field initialisers, the CLI's
     * defaults), so every setter but {@link #setData} is {@code opt*}; {@link #build()} checks them all at once and
     * refuses the first bad one with one line naming the setting.
     */
    public static final class Builder {
        private String data = "embedded";
        private String testData;
        private int[] hidden = {128};
        private Activation activation = Activation.RELU;
        private boolean batchNorm;
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
        /** Whether {@link #optSchedule} was called: a given schedule and a tracker are refused together. */
        private boolean scheduleGiven;
        private Tracker learningRateTracker;
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
        private int subset = 2000;
        private int diagnoseEvery;
        private int maxIter = 20;
        private int maxEval;
        private double toleranceGrad = 1e-7;
        private double toleranceChange = 1e-9;
        private int historySize = 100;
        private Lbfgs.LineSearch lineSearch = Lbfgs.LineSearch.NONE;
        private NewtonCg.Curvature curvature = NewtonCg.Curvature.GAUSS_NEWTON;
        private double damping = 1.0;
        private int cgMaxIter = 250;
        private int curvatureBatch = 1000;

        private Builder() {
        }

        /**
         * The training data (default {@code embedded}, the Fashion-MNIST subset in the jar): {@code embedded},
         * {@code fashion-mnist}, {@code synthetic}, a directory of IDX files or a CSV file. With data given in
         * memory it is only a label for config.json.
         *
         * @param data the data specification
         * @return this builder
         */
        public Builder setData(String data) {
            this.data = data;
            return this;
        }

        /**
         * A held-out CSV file (only with a CSV training file; default: the data set's own test split, or the last
         * 20% of a CSV).
         *
         * @param testData the test file, or null
         * @return this builder
         */
        public Builder optTestData(String testData) {
            this.testData = testData;
            return this;
        }

        /**
         * Hidden layer widths (default 128); none for a linear model.
         *
         * @param widths the widths, input side first
         * @return this builder
         */
        public Builder optHidden(int... widths) {
            this.hidden = widths.clone();
            return this;
        }

        /**
         * The hidden layers' activation (default ReLU).
         *
         * @param a the activation
         * @return this builder
         */
        public Builder optActivation(Activation a) {
            this.activation = a;
            return this;
        }

        /**
         * Batch normalization in every hidden layer, before its activation (default off): PyTorch's
         * {@code nn.Linear(in, out, bias=False)}, {@code nn.BatchNorm1d(out)}, activation. Training normalizes with
         * each batch's statistics, evaluation and prediction with the running statistics (momentum 0.1, unbiased
         * variance, ε = 1e-5). Needs hidden layers and at least 2 examples in every batch.
         *
         * @param on whether to normalize
         * @return this builder
         */
        public Builder optBatchNorm(boolean on) {
            this.batchNorm = on;
            return this;
        }

        /**
         * The loss (default softmax cross-entropy).
         *
         * @param l the loss
         * @return this builder
         */
        public Builder optLoss(LossKind l) {
            this.loss = l;
            return this;
        }

        /**
         * The update rule (default Adam).
         *
         * @param r the rule
         * @return this builder
         */
        public Builder optOptimizer(UpdateRule r) {
            this.optimizer = r;
            return this;
        }

        /**
         * The learning rate α (default: 1e-3 for Adam and AdamW, 0.01 otherwise); the base value of a
         * {@link #optSchedule schedule}.
         *
         * @param lr α &gt; 0
         * @return this builder
         */
        public Builder optLearningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        /**
         * Momentum μ ∈ [0, 1) of momentum and Nesterov (default 0.9).
         *
         * @param mu μ
         * @return this builder
         */
        public Builder optMomentum(double mu) {
            this.momentum = mu;
            return this;
        }

        /**
         * Adam's β₁ ∈ [0, 1) (default 0.9).
         *
         * @param b β₁
         * @return this builder
         */
        public Builder optBeta1(double b) {
            this.beta1 = b;
            return this;
        }

        /**
         * Adam's β₂ ∈ [0, 1) (default 0.999).
         *
         * @param b β₂
         * @return this builder
         */
        public Builder optBeta2(double b) {
            this.beta2 = b;
            return this;
        }

        /**
         * ε &gt; 0 of RMSprop and Adam (default 1e-8); the setting is called {@code eps}.
         *
         * @param e ε
         * @return this builder
         */
        public Builder optEpsilon(double e) {
            this.eps = e;
            return this;
        }

        /**
         * RMSprop's γ ∈ (0, 1] (default 0.01).
         *
         * @param g γ
         * @return this builder
         */
        public Builder optGamma(double g) {
            this.gamma = g;
            return this;
        }

        /**
         * Weight decay λ ≥ 0 (default 0; 0.01 for AdamW).
         *
         * @param wd λ
         * @return this builder
         */
        public Builder optWeightDecay(double wd) {
            this.weightDecay = wd;
            return this;
        }

        /**
         * Clips the gradient to this global norm (default 0, off).
         *
         * @param c the threshold, ≥ 0
         * @return this builder
         */
        public Builder optClipNorm(double c) {
            this.clipNorm = c;
            return this;
        }

        /**
         * The learning-rate schedule as a spec (default {@code constant}): {@code step:EVERY:FACTOR},
         * {@code cosine:TOTAL[:FINAL_LR]}, {@code exp:T0:TAU}, {@code warmup:STEPS:SPEC} (see {@link Schedules}).
         * Not together with {@link #optLearningRateTracker}.
         *
         * @param spec the schedule spec
         * @return this builder
         */
        public Builder optSchedule(String spec) {
            this.schedule = spec;
            this.scheduleGiven = true;
            return this;
        }

        /**
         * A DJL {@link Tracker} as the learning-rate schedule, in place of {@link #optSchedule}: update t (t = 1,
         * 2, …) uses {@code tracker.getNewValue(t − 1)} exactly (see {@link io.ravine.optim.Optimizer}). The
         * learning rate ({@link #optLearningRate}) is then only recorded in config.json. A run directory's
         * config.json holds the tracker's description ({@link Schedules#describe}: its {@code toString()} where its
         * class has one, else its class name), so such a run can be resumed from Java with a tracker of the same
         * description (the caller's word that it is the same schedule) but not from the CLI.
         *
         * @param tracker the schedule; null removes one set before
         * @return this builder
         */
        public Builder optLearningRateTracker(Tracker tracker) {
            this.learningRateTracker = tracker;
            return this;
        }

        /**
         * Iterate averaging with timescale τ ≥ 1 (default 0, off): θ̃ ← θ̃ + (θ − θ̃)/τ after every update.
         *
         * @param timescale τ, or 0 for off
         * @return this builder
         */
        public Builder optEma(double timescale) {
            this.emaTimescale = timescale;
            return this;
        }

        /**
         * The weight initializer (default {@code auto}: He for ReLU, Xavier otherwise): {@code xavier}, {@code he},
         * {@code zeros}, {@code uniform:S} or {@code normal:S}.
         *
         * @param spec the initializer spec
         * @return this builder
         */
        public Builder optInit(String spec) {
            this.init = spec;
            return this;
        }

        /**
         * The value every bias starts at (default 0).
         *
         * @param b the initial bias
         * @return this builder
         */
        public Builder optBiasInit(double b) {
            this.biasInit = b;
            return this;
        }

        /**
         * Input normalization (default {@code zscore}, statistics of the training split), or {@code none}. The
         * statistics travel with the trained model and its checkpoints.
         *
         * @param mode {@code zscore} or {@code none}
         * @return this builder
         */
        public Builder optNormalize(String mode) {
            this.normalize = mode;
            return this;
        }

        /**
         * Examples per update (default 128); 0 means the whole training set (full-batch gradient descent).
         *
         * @param b the batch size
         * @return this builder
         */
        public Builder optBatchSize(int b) {
            this.batchSize = b;
            return this;
        }

        /**
         * Passes over the training data (default 5), used when {@link #optSteps steps} is 0.
         *
         * @param e the number of epochs
         * @return this builder
         */
        public Builder optEpochs(int e) {
            this.epochs = e;
            return this;
        }

        /**
         * Number of updates (default 0: use the epochs).
         *
         * @param s the number of steps
         * @return this builder
         */
        public Builder optSteps(long s) {
            this.steps = s;
            return this;
        }

        /**
         * Use only the first N training examples (default 0, all).
         *
         * @param n N
         * @return this builder
         */
        public Builder optLimit(int n) {
            this.limit = n;
            return this;
        }

        /**
         * The seed of θ₀, the batch order and the monitoring subset (default 1): the same seed gives the same bits
         * on the CPU for any thread count.
         *
         * @param s the seed
         * @return this builder
         */
        public Builder optSeed(long s) {
            this.seed = s;
            return this;
        }

        /**
         * Where a {@link Trainer} that opens its own backend trains (default {@code auto}: CUDA when a usable GPU
         * is there, else the CPU with one log line saying why): {@code auto}, {@code cpu} or {@code cuda}.
         *
         * @param d the device
         * @return this builder
         */
        public Builder optDevice(String d) {
            this.device = d;
            return this;
        }

        /**
         * CPU threads (default 0, all cores), set by a {@link Trainer} that opens its own backend. The count is
         * the process's (OpenBLAS keeps one), so the last backend opened sets it.
         *
         * @param t threads, 0 ≤ t ≤ {@value Devices#MAX_THREADS}
         * @return this builder
         */
        public Builder optThreads(int t) {
            this.threads = t;
            return this;
        }

        /**
         * Replays the training step as a CUDA graph (default on; CUDA only).
         *
         * @param on whether to
         * @return this builder
         */
        public Builder optCudaGraph(boolean on) {
            this.cudaGraph = on;
            return this;
        }

        /**
         * Allows TF32 tensor-core matrix products (default off; CUDA only).
         *
         * @param on whether to
         * @return this builder
         */
        public Builder optTf32(boolean on) {
            this.tf32 = on;
            return this;
        }

        /**
         * Writes a checkpoint every N steps into the run directory (default 0: only the final one).
         *
         * @param n N
         * @return this builder
         */
        public Builder optCheckpointEvery(int n) {
            this.checkpointEvery = n;
            return this;
        }

        /**
         * Also writes {@code checkpoints/initial.safetensors} (default off).
         *
         * @param on whether to
         * @return this builder
         */
        public Builder optSaveInitial(boolean on) {
            this.saveInitial = on;
            return this;
        }

        /**
         * Logs (and calls {@link TrainingListener#onMetrics}) every N steps (default 0: ten times per epoch).
         *
         * @param n N
         * @return this builder
         */
        public Builder optLogEvery(int n) {
            this.logEvery = n;
            return this;
        }

        /**
         * Evaluates on the test split every N steps (default 0: once per epoch).
         *
         * @param n N
         * @return this builder
         */
        public Builder optEvalEvery(int n) {
            this.evalEvery = n;
            return this;
        }

        /**
         * Training examples that the logged training loss (and the curvature of {@link #optDiagnoseEvery}) is
         * measured on: a fixed subset drawn with the seed (default 2000; all of them where there are fewer).
         *
         * @param n the subset's size
         * @return this builder
         */
        public Builder optSubset(int n) {
            this.subset = n;
            return this;
        }


        /**
         * Measures gᵀg, gᵀHg, ε* and the second-order check of a step every N steps on the monitoring subset (default
         * 0, off; needs {@link Trainer#optCurvatureProbe}, e.g. {@code io.ravine.diagnose.Curvature::probe}).
         *
         * @param n N
         * @return this builder
         */
        public Builder optDiagnoseEvery(int n) {
            this.diagnoseEvery = n;
            return this;
        }

        /**
         * L-BFGS: iterations per step (default 20, torch's max_iter).
         *
         * @param n the iterations
         * @return this builder
         */
        public Builder optMaxIter(int n) {
            this.maxIter = n;
            return this;
        }

        /**
         * L-BFGS: evaluations per step (default 0 = maxIter·5/4, torch's max_eval).
         *
         * @param n the evaluations
         * @return this builder
         */
        public Builder optMaxEval(int n) {
            this.maxEval = n;
            return this;
        }

        /**
         * L-BFGS: tolerance on ‖g‖∞ (default 1e-7, torch's tolerance_grad).
         *
         * @param tolerance the tolerance
         * @return this builder
         */
        public Builder optToleranceGrad(double tolerance) {
            this.toleranceGrad = tolerance;
            return this;
        }

        /**
         * L-BFGS: tolerance on changes of the loss and θ (default 1e-9, torch's tolerance_change).
         *
         * @param tolerance the tolerance
         * @return this builder
         */
        public Builder optToleranceChange(double tolerance) {
            this.toleranceChange = tolerance;
            return this;
        }

        /**
         * L-BFGS: (s, y) pairs kept (default 100, torch's history_size).
         *
         * @param n the pairs
         * @return this builder
         */
        public Builder optHistorySize(int n) {
            this.historySize = n;
            return this;
        }

        /**
         * L-BFGS: the line search (default none, a fixed step; torch's line_search_fn).
         *
         * @param lineSearch the line search
         * @return this builder
         */
        public Builder optLineSearch(Lbfgs.LineSearch lineSearch) {
            this.lineSearch = lineSearch;
            return this;
        }

        /**
         * Newton-CG: the curvature matrix (default Gauss-Newton).
         *
         * @param curvature the matrix
         * @return this builder
         */
        public Builder optCurvature(NewtonCg.Curvature curvature) {
            this.curvature = curvature;
            return this;
        }

        /**
         * Newton-CG: the initial damping λ₀ (default 1).
         *
         * @param lambda λ₀
         * @return this builder
         */
        public Builder optDamping(double lambda) {
            this.damping = lambda;
            return this;
        }

        /**
         * Newton-CG: the cap on CG iterations per step (default 250).
         *
         * @param n the cap
         * @return this builder
         */
        public Builder optCgMaxIter(int n) {
            this.cgMaxIter = n;
            return this;
        }

        /**
         * Newton-CG: the curvature mini-batch, the first N examples of each step's batch (default 1000).
         *
         * @param n N
         * @return this builder
         */
        public Builder optCurvatureBatch(int n) {
            this.curvatureBatch = n;
            return this;
        }

        /**
         * The configuration, every setting checked.
         *
         * @return the configuration
         * @throws InvalidSettingException naming the first setting that is out of range, with its value
         */
        public TrainConfig build() {
            if (learningRateTracker != null && scheduleGiven) {
                throw InvalidSettingException.of(setting("schedule"), " and ", setting("learningRateTracker"),
                        " are two ways of giving the learning-rate schedule: give one (schedule '" + schedule
                        + "', learningRateTracker " + Schedules.describe(learningRateTracker) + ")");
            }
            return new TrainConfig(data, testData, hidden, activation, batchNorm, loss, optimizer, learningRate, momentum, beta1,
                    beta2, eps, gamma, weightDecay, clipNorm, learningRateTracker != null ? null : schedule,
                    emaTimescale, init, biasInit, normalize, batchSize, epochs, steps, limit, seed, device, threads,
                    cudaGraph, tf32, checkpointEvery, saveInitial, logEvery, evalEvery, subset, diagnoseEvery,
                    learningRateTracker, maxIter, maxEval, toleranceGrad, toleranceChange, historySize, lineSearch,
                    curvature, damping, cgMaxIter, curvatureBatch);
        }
    }
}
