package io.ravine.train;

import io.ravine.InvalidInputException;
import io.ravine.InvalidSettingException;
import io.ravine.backend.Backend;
import io.ravine.backend.Devices;
import io.ravine.backend.LossKind;
import io.ravine.backend.OutOfDeviceMemoryException;
import io.ravine.backend.RefusedUpdate;
import io.ravine.backend.StepParams;
import io.ravine.backend.StepProgram;
import io.ravine.backend.Tensor;
import io.ravine.data.DataSources;
import io.ravine.data.Dataset;
import io.ravine.data.Normalizer;
import io.ravine.data.ShuffledBatches;
import io.ravine.data.TargetEncoding;
import io.ravine.data.TrainTest;
import io.ravine.io.DirectoryLock;
import io.ravine.io.OutputDirectories;
import io.ravine.io.ProgressLine;
import io.ravine.io.Terminal;
import io.ravine.nn.Initializer;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import io.ravine.optim.IterateAverage;
import io.ravine.optim.Optimizer;
import io.ravine.optim.OptimizerState;
import io.ravine.optim.Schedules;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop. Per step: gather a shuffled mini-batch on the host, copy it in once, forward + backward, one
 * fused optimizer update over θ (and the iterate average). At logging steps it brings back the batch loss and the
 * gradient norm and evaluates a fixed monitoring subset of the training data; at evaluation steps the test split.
 * Everything random derives from the seed (initial θ from the seed, epoch e's order from (seed, e)), so a run and
 * a resumed run are the same bits on the CPU.
 *
 * <pre>{@code
 * TrainConfig config = TrainConfig.builder().optHidden(256).optEpochs(2).optThreads(2).build();
 * try (Trainer trainer = new Trainer(config, Dataset.ofClasses(x, labels).split(0.2, 7))) {
 *     TrainingResult result = trainer.fit();
 *     TrainedModel model = trainer.trainedModel();
 * }
 * }</pre>
 *
 * <p>Without a backend of the caller's, the trainer opens the configuration's device with its thread count and
 * closes it in {@link #close()}. With {@link #optRunDirectory} it writes the run's files and, at the end, the same
 * {@code report.html} as {@code ravine train}. Listeners hear every step and every logging step
 * ({@link TrainingListener}).
 */
public final class Trainer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    private static final long MONITOR_SEED_SALT = 0x6d6f6e69746f72L; // "monitor": a subset independent of batch order

    private final TrainConfig config;
    private final Backend backend;
    /** Whether this trainer opened {@link #backend} (and so closes it). */
    private final boolean ownsBackend;
    private final Dataset train;
    private final Dataset test;
    private final Dataset monitor;
    private final Mlp mlp;
    private final Model model;
    private final Optimizer optimizer;
    private final OptimizerState state;
    private final IterateAverage ema;
    private final int batchSize;
    private final int evalCapacity;
    private final ShuffledBatches batches;
    private final long totalSteps;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private final Normalizer normalizer;
    private Path runDir;
    private boolean overwrite;
    /** The run directory's lock, from the first write until {@link #close()}. */
    private DirectoryLock lock;
    private boolean progressBar = Terminal.stderrIsTerminal();
    private volatile boolean stopRequested;
    /** Work done since step 0, in {@link Passes}; NaN after resuming from a checkpoint that did not record it. */
    private double passes;
    private double resumedPasses = Double.NaN;
    private volatile boolean interruptRequested;
    private CurvatureProbe curvatureProbe;
    private boolean report = true;
    /** L-BFGS's or Newton-CG's step (closure-based rules), or null for a fused rule. */
    private final ClosureTraining closure;
    /** TensorBoard histograms every N steps; 0 none; -1 (unset) the logging interval. */
    private int histogramEvery = -1;
    /** The command line that started this run (run.json, the report's header); null: the library API. */
    private List<String> commandLine;

    /**
     * A trainer for {@code config} that loads the data the config names ({@link TrainConfig#data()}) and opens its
     * own backend, {@code Devices.open(config.device(), config.tf32(), config.threads())}, which {@link #close()}
     * closes: the device and thread count come from the configuration alone.
     *
     * @param config the run's configuration
     * @throws io.ravine.InvalidInputException if the data cannot be loaded, the device opened, or the model and its
     *     batches cannot fit (one line naming the setting)
     */
    public Trainer(TrainConfig config) {
        this(config, DataSources.load(config.data(), config.testData(), config.loss(), config.limit()));
    }

    /**
     * A trainer on data the caller holds (raw: the trainer fits the normalization on {@code data.train()} and
     * encodes the targets for the loss), opening its own backend as {@link #Trainer(TrainConfig)} does.
     *
     * @param config the run's configuration ({@link TrainConfig#data()} is only a label here)
     * @param data the training and test splits, e.g. from {@link Dataset#split}
     */
    public Trainer(TrainConfig config, TrainTest data) {
        this(config, Devices.open(config.device(), config.tf32(), config.threads()), data, true);
    }

    /**
     * A trainer for {@code config} on {@code backend}, loading the data the config names. The backend stays the
     * caller's: {@link #close()} leaves it open, and the config's {@code device} and {@code threads} are not applied.
     *
     * @param config the run's configuration
     * @param backend where to train
     */
    public Trainer(TrainConfig config, Backend backend) {
        this(config, backend, DataSources.load(config.data(), config.testData(), config.loss(), config.limit()));
    }

    /**
     * A trainer on data the caller holds, on the caller's backend (see {@link #Trainer(TrainConfig, Backend)}).
     *
     * @param config the run's configuration
     * @param backend where to train
     * @param data the training and test splits
     */
    public Trainer(TrainConfig config, Backend backend, TrainTest data) {
        this(config, java.util.Objects.requireNonNull(backend, "backend"), data, false);
    }

    private Trainer(TrainConfig config, Backend backend, TrainTest data, boolean ownsBackend) {
        this.config = config;
        this.backend = backend;
        this.ownsBackend = ownsBackend;
        try {
            LossKind loss = config.loss();
            Dataset rawTrain = data.train().limit(config.limit() == 0 ? Integer.MAX_VALUE : config.limit());
            if (rawTrain.n() == 0) {
                throw new InvalidInputException("the training set " + rawTrain.name() + " is empty");
            }
            if (data.test().featureDim() != rawTrain.featureDim()) {
                throw new InvalidInputException("test data has " + data.test().featureDim() + " features, training"
                        + " data " + rawTrain.featureDim());
            }
            // Statistics from the training examples actually used (after --limit), applied to both splits.
            normalizer = Normalizer.fit(Normalizer.Kind.parse(config.normalize()), rawTrain);
            TrainTest encoded = TargetEncoding.forLoss(normalizer.apply(new TrainTest(rawTrain, data.test())),
                    loss);
            train = encoded.train();
            test = encoded.test();
            mlp = new Mlp(train.featureDim(), config.hidden(), TargetEncoding.outputDim(rawTrain, loss),
                    config.activation(), loss, config.batchNorm());
            monitor = train.select(monitorIndices(train.n(), config.subset(), config.seed()));
            batchSize = config.batchSize() == 0 ? train.n() : Math.min(config.batchSize(), train.n());
            if (config.batchNorm() && (batchSize < 2 || train.n() % batchSize == 1)) {
                // PyTorch refuses a one-example batch in training mode too ("Expected more than 1 value per channel").
                throw InvalidSettingException.of(InvalidSettingException.setting("batchNorm"), " needs at least 2"
                        + " examples in every batch (the variance of one is undefined), but " + train.n()
                        + " training examples in batches of " + batchSize + " leave a batch of 1; choose another ",
                        InvalidSettingException.setting("batchSize"), " or ", InvalidSettingException.setting("limit"));
            }
            evalCapacity = Math.max(batchSize, Math.min(1024, Math.max(train.n(), test.n())));
            batches = new ShuffledBatches(train.n(), batchSize, config.seed());
            totalSteps = config.steps() > 0 ? config.steps() : (long) config.epochs() * batches.batchesPerEpoch();

            double lr = config.resolvedLearningRate();
            Optimizer.Builder ob = Optimizer.builder(config.optimizer());
            if (config.learningRateTracker() != null) {
                // The caller's schedule, queried as it is (a float per update; see Optimizer's step numbering).
                ob.optLearningRateTracker(config.learningRateTracker());
            } else if (config.schedule().trim().equalsIgnoreCase("constant")) {
                ob.optLearningRate(lr); // exact in double; DJL trackers hold a float
            } else {
                try {
                    ob.optLearningRateTracker(Schedules.parse(config.schedule(), lr));
                } catch (InvalidInputException e) {
                    throw new InvalidSettingException("schedule", ": " + e.getMessage()).causedBy(e);
                }
            }
            if (config.optimizer() == io.ravine.backend.UpdateRule.LBFGS) {
                ob.optMaxIter(config.maxIter()).optMaxEval(config.maxEval()).optToleranceGrad(config.toleranceGrad())
                        .optToleranceChange(config.toleranceChange()).optHistorySize(config.historySize())
                        .optLineSearch(config.lineSearch());
            } else if (config.optimizer() == io.ravine.backend.UpdateRule.NEWTON_CG) {
                ob.optCurvature(config.curvature()).optDamping(config.damping()).optCgMaxIter(config.cgMaxIter())
                        .optCurvatureBatch(config.curvatureBatch());
            } else {
                ob.optMomentum(config.momentum())
                        .optBeta1(config.beta1())
                        .optBeta2(config.beta2())
                        .optEpsilon(config.eps())
                        .optGamma(config.gamma())
                        .optWeightDecay(config.resolvedWeightDecay())
                        .optClipGradNorm(config.clipNorm());
            }
            optimizer = ob.build();

            // Before anything is allocated: a model or batch that cannot exist is one line naming hidden/batchSize.
            MemoryBudget.check(mlp, optimizer, config.emaTimescale() > 0, backend.dtype().bytes(),
                    backend.name().equals("cpu"), "batchSize", batchSize, config.batchSize() == 0, evalCapacity);
            model = new Model(backend, mlp);
            model.setParameters(mlp.initialParameters(Initializer.parse(config.resolvedInit()), config.biasInit(),
                    config.seed()));
            state = optimizer.init(backend, mlp.parameterCount());
            closure = optimizer.rule().closureBased() ? new ClosureTraining(optimizer, model, train, batchSize)
                    : null;
            if (closure != null) {
                state.attachClosureState(closure::snapshot);
            }
            ema = config.emaTimescale() > 0 ? new IterateAverage(backend, model.theta(), config.emaTimescale())
                    : null;
        } catch (RuntimeException | Error e) {
            if (ownsBackend) {
                backend.close();
            }
            throw e;
        }
    }

    /** A fixed, seeded sample of the training set whose loss is logged, so the curve is comparable across steps. */
    static int[] monitorIndices(int n, int size, long seed) {
        int m = Math.min(n, size);
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(seed ^ MONITOR_SEED_SALT);
        for (int i = 0; i < m; i++) {
            int j = i + rng.nextInt(n - i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int[] out = java.util.Arrays.copyOf(perm, m);
        java.util.Arrays.sort(out);
        return out;
    }

    /**
     * Writes config, metrics, checkpoints and summary into {@code dir} (created if absent). A run directory belongs
     * to one run: {@link #fit()} needs it absent or empty (or {@link #optOverwrite}), {@link #resume()} and {@link
     * #resumeFrom} continue the run it holds after checking that this configuration is that run's. The directory is
     * locked ({@link DirectoryLock}) from the first write until {@link #close()}: another writer is refused.
     *
     * @param dir the run directory
     * @return this trainer
     */
    public Trainer optRunDirectory(Path dir) {
        this.runDir = dir;
        return this;
    }

    /**
     * Lets {@link #fit()} replace a run directory that holds files, whole: the old directory is renamed aside to a
     * hidden sibling in one atomic rename, the new run starts in a fresh directory, and the old one is deleted once
     * the new run's config.json is written, so a crash at any moment leaves the old run whole or the new one.
     *
     * @param on whether fit() may replace a directory that holds files
     * @return this trainer
     */
    public Trainer optOverwrite(boolean on) {
        this.overwrite = on;
        return this;
    }

    /**
     * Adds a listener of the run's metrics: every step ({@link TrainingListener#onStep}) and every logging step
     * ({@link TrainingListener#onMetrics}).
     *
     * @param listener the listener
     * @return this trainer
     */
    public Trainer optListener(TrainingListener listener) {
        listeners.add(listener);
        return this;
    }

    /**
     * Measures gᵀg, gᵀHg, ε* and the second-order check of a step of α on the monitoring subset every
     * {@code config.diagnoseEvery()} steps (required when that is set).
     *
     * @param probe the probe ({@code io.ravine.diagnose.Curvature::probe}, as the CLI passes it)
     * @return this trainer
     */
    public Trainer optCurvatureProbe(CurvatureProbe probe) {
        this.curvatureProbe = probe;
        return this;
    }

    /**
     * Whether a run with a run directory ends by writing its {@code report.html} and charts (default on: the same
     * report as {@code ravine train}). Not written for an interrupted run.
     *
     * @param on whether to write the report
     * @return this trainer
     */
    public Trainer optReport(boolean on) {
        this.report = on;
        return this;
    }

    /**
     * How often a run with a run directory observes each layer's weights, biases and gradients and its
     * update-to-parameter ratio, into {@code layers.csv} ({@link LayerLog}), the TensorBoard histograms and the
     * report (default: at every logging step, {@link TrainConfig#logEvery()}, ten per epoch unless set; always at
     * the last step, and θ₀ at step 0). Like the progress bar, not part of the run's configuration: it changes no
     * number of the run, and may differ on resume.
     *
     * @param n every N steps; 0 for none
     * @return this trainer
     */
    public Trainer optHistogramEvery(int n) {
        if (n < 0) {
            throw new InvalidSettingException("histogramEvery", " must be ≥ 0 (0 = off), got " + n);
        }
        this.histogramEvery = n;
        return this;
    }

    /** The steps between TensorBoard histograms (0: none), see {@link #optHistogramEvery}. */
    int histogramInterval() {
        return histogramEvery >= 0 ? histogramEvery : logInterval();
    }

    /** The steps between logging steps: the configuration's, or ten per epoch. */
    private int logInterval() {
        return config.logEvery() > 0 ? config.logEvery() : Math.max(1, batches.batchesPerEpoch() / 10);
    }

    /**
     * The command line that started this run, recorded with the date, Ravine's version and the device in the run
     * directory's {@code run.json} (one entry per start or resume) for the header of its {@code report.html}. A run
     * started through the library without this is recorded as "library". Not part of the run's configuration.
     *
     * @param args the words of the command line, as the shell passed them ({@code ravine train --lr 0.1 ...})
     * @return this trainer
     */
    public Trainer optCommandLine(List<String> args) {
        this.commandLine = args == null ? null : List.copyOf(args);
        return this;
    }

    /** The command line given to {@link #optCommandLine}, or null. */
    List<String> commandLine() {
        return commandLine;
    }

    /**
     * Shows a progress line on stderr: step n/N, epoch, loss, samples/s, elapsed time and ETA, redrawn in place
     * (default: only where stderr is a terminal).
     *
     * @param on whether to show it
     * @return this trainer
     */
    public Trainer optProgressBar(boolean on) {
        this.progressBar = on;
        return this;
    }

    /**
     * Ends the current {@link #fit()} or {@link #resumeFrom} after the step in progress, as if it were the last: the
     * final evaluation, checkpoint and summary are written. A listener calls this to stop at a target loss.
     */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Ends the current {@link #fit()} or {@link #resumeFrom} after the step in progress without finishing the run:
     * a checkpoint of that step is written ({@code checkpoints/step-N}, so {@code --resume} continues from it and
     * loses nothing), the summary says {@code interrupted}, and there is no final evaluation. Safe to call from
     * another thread, e.g. a shutdown hook on SIGTERM or Ctrl-C; once called, it holds for the rest of this trainer.
     */
    public void requestInterrupt() {
        interruptRequested = true;
    }

    /**
     * The work done since step 0 in passes over the training data ({@link Passes}: one gradient over all N examples
     * is one pass; metrics.csv's {@code passes} column): the step's rows / N per step of a first-order rule, and a
     * closure rule's gradients, losses and curvature products by their weights. NaN once resumed from a checkpoint
     * written before the count existed.
     *
     * @return passes so far
     */
    public double passes() {
        return passes;
    }

    /**
     * The model being trained, on this trainer's backend (θ live; for diagnostics). A {@link #trainedModel()} is the
     * copy to keep.
     *
     * @return the model
     */
    public Model model() {
        return model;
    }

    /**
     * The architecture: the configuration's widths between the data's inputs and the loss's outputs.
     *
     * @return the model's {@link Mlp}
     */
    public Mlp mlp() {
        return mlp;
    }

    /**
     * The optimizer built from the configuration.
     *
     * @return the optimizer
     */
    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * The optimizer's state on the backend.
     *
     * @return the state
     */
    public OptimizerState optimizerState() {
        return state;
    }

    /**
     * Examples per update: the configuration's, capped at the training set (the whole set for 0).
     *
     * @return B
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * The run's length in updates: {@code steps}, or {@code epochs} × {@link #stepsPerEpoch()}.
     *
     * @return the total steps
     */
    public long totalSteps() {
        return totalSteps;
    }

    /**
     * Updates per pass over the training data.
     *
     * @return ⌈n / B⌉
     */
    public int stepsPerEpoch() {
        return batches.batchesPerEpoch();
    }

    /**
     * The training split as trained on: after the limit, normalized, targets encoded for the loss.
     *
     * @return the training data
     */
    public Dataset trainingData() {
        return train;
    }

    /**
     * The test split as evaluated: normalized with the training split's statistics, targets encoded.
     *
     * @return the test data
     */
    public Dataset testData() {
        return test;
    }

    /**
     * The input normalization fitted on the training split (what the trained model and checkpoints carry).
     *
     * @return the normalizer
     */
    public Normalizer normalizer() {
        return normalizer;
    }

    /**
     * Trains from the start (step 0); a run directory must be absent or empty, see {@link #optOverwrite}.
     *
     * @return the result of the run
     */
    public TrainingResult fit() {
        return run(0, true);
    }

    /**
     * Continues the run in the run directory from its latest checkpoint (from step 0 when it has none yet: a run
     * stopped before its first checkpoint), with the checks of {@link #resumeFrom}.
     *
     * @return the result of the run
     */
    public TrainingResult resume() {
        if (runDir == null) {
            throw new IllegalStateException("resume() continues the run in a run directory: set optRunDirectory");
        }
        RunDirectories.readConfig(runDir);
        List<Path> all = RunDirectories.checkpoints(runDir);
        return resumeAt(all.isEmpty() ? null : all.get(all.size() - 1));
    }

    /**
     * Continues from a checkpoint of this configuration: θ, optimizer state, step counter and iterate average are
     * restored, and the data order picks up at the same batch of the same epoch. With a run directory, that run's
     * config.json must have this configuration's maths (only {@link ResumeCheck#MAY_CHANGE} may differ; an
     * {@link InvalidInputException} names each setting that does), the run may not get shorter than the steps it
     * has done, and a completed run asked for no more steps is left as it is: its recorded result is returned and
     * nothing is written.
     *
     * @param checkpoint a checkpoint of this run
     * @return the result of the run
     */
    public TrainingResult resumeFrom(Path checkpoint) {
        return resumeAt(java.util.Objects.requireNonNull(checkpoint, "checkpoint"));
    }

    private TrainingResult resumeAt(Path checkpoint) {
        if (runDir != null) {
            if (overwrite) {
                throw new InvalidInputException("overwrite replaces the run in " + runDir + " with a new one; it"
                        + " does not go with resuming that run");
            }
            java.util.Optional<TrainingResult> done = ResumeCheck.check(runDir, config, totalSteps,
                    batches.batchesPerEpoch(), checkpoint);
            if (done.isPresent()) {
                LOG.info("{}: the run is complete ({} steps); nothing to do", runDir, done.get().steps());
                return done.get();
            }
        }
        if (checkpoint == null) {
            // Killed before its first checkpoint: nothing to lose, and the same seed gives the same run.
            LOG.warn("{} has no checkpoint yet (the run stopped before its first one): starting it again from step"
                    + " 0", runDir);
            return run(0, false);
        }
        Checkpoint.Contents c = Checkpoint.load(checkpoint, mlp, optimizer.rule(), ema != null);
        Checkpoint.requireStepWithin(checkpoint, c.step(), totalSteps);
        model.setParameters(c.theta());
        model.setBatchNormBuffers(c.batchNorm());
        resumedPasses = c.passes();
        state.restore(c.step(), c.optimizerState());
        if (closure != null) {
            try {
                closure.restore(c.closureState());
            } catch (InvalidInputException e) {
                throw new InvalidInputException(checkpoint + ": " + e.getMessage(), e);
            }
        }
        if (ema != null) {
            ema.restore(c.step(), c.ema());
        }
        LOG.info("resuming from {} at step {}", checkpoint, c.step());
        return run(c.step(), false);
    }

    /**
     * Locks the run directory and opens its files. {@code fresh}: a new run, which needs the directory empty (after
     * moving the old one aside with {@link #optOverwrite}); checked again under the lock, so two runs started at
     * once cannot both find it empty.
     */
    private RunFiles openRunDirectory(long startStep, boolean fresh) {
        OutputDirectories.Replacement old = null;
        if (lock == null) {
            if (Files.exists(runDir) && !Files.isDirectory(runDir)) {
                throw new InvalidInputException("runDirectory " + runDir + " exists and is not a directory");
            }
            if (fresh && overwrite) {
                old = OutputDirectories.replace(runDir);
            } else if (fresh && !OutputDirectories.isEmpty(runDir)) {
                throw notEmpty();
            }
            try {
                Files.createDirectories(runDir);
                lock = DirectoryLock.acquire(runDir);
            } catch (IOException | RuntimeException e) {
                if (old != null) {
                    old.restore();
                }
                throw e instanceof IOException io ? new UncheckedIOException("cannot write the run directory "
                        + runDir, io) : (RuntimeException) e;
            }
        }
        if (fresh && !OutputDirectories.isEmpty(runDir)) {
            throw notEmpty();
        }
        RunFiles files;
        try {
            files = RunFiles.open(runDir, config, this, startStep);
        } catch (RuntimeException e) {
            if (old != null) {
                lock.close();
                lock = null;
                old.restore();
            }
            throw e;
        }
        if (old != null) {
            old.discard();
        }
        return files;
    }

    private InvalidInputException notEmpty() {
        return new InvalidInputException("runDirectory " + runDir + " already holds files ("
                + OutputDirectories.describe(OutputDirectories.contents(runDir)) + "): a run directory belongs to"
                + " one run; continue that run with resume(), replace it with optOverwrite(true), or give an empty"
                + " or new directory");
    }

    private TrainingResult run(long startStep, boolean fresh) {
        if (config.learningRateTracker() instanceof RecordedTracker recorded) {
            throw recorded.notRunnable();
        }
        if (config.diagnoseEvery() > 0 && curvatureProbe == null) {
            throw new IllegalStateException("diagnoseEvery is set but no CurvatureProbe was given"
                    + " (optCurvatureProbe(io.ravine.diagnose.Curvature::probe), as the CLI does)");
        }
        // The work so far: none at step 0; a resumed run's from its checkpoint (NaN from one written before it was
        // counted: the column stays empty rather than restart from 0).
        passes = startStep == 0 ? 0 : resumedPasses;
        // The batches' memory before the run directory: a batch that does not fit (on a GPU) writes nothing.
        Model.Workspace ws = allocateWorkspace(batchSize);
        allocateWorkspace(evalCapacity);
        RunFiles files = runDir == null ? null : openRunDirectory(startStep, fresh);
        int spe = batches.batchesPerEpoch();
        int logEvery = logInterval();
        int evalEvery = config.evalEvery() > 0 ? config.evalEvery() : spe;
        StepProgram program = null;
        boolean recordTried = false; // a backend without graphs (the CPU) answers null once; do not ask every step
        String lastGood = null;
        if (files != null && startStep == 0 && config.saveInitial()) {
            lastGood = files.saveCheckpoint("initial", 0, model, state, ema);
        }
        // The blow-up rule's reference: the monitoring loss at θ₀ (Divergence.check), logged as the row of step 0.
        Evaluation start = startingMonitorEvaluation(startStep);
        double startLoss = start.loss();
        if (files != null && startStep == 0) {
            files.appendMetrics(0, 0, Double.NaN, Double.NaN, start, null, null, Double.NaN, null, 0, 0);
            if (lastGood != null) {
                // The initial checkpoint's listeners see the row of its step on disk, as every later one's do.
                files.force();
                notifyCheckpoint(0);
            }
        }
        LOG.info("training {} ({} parameters) on {}: {} examples, batch {}, {} steps, {}", mlp.describe(),
                mlp.parameterCount(), backend.deviceDescription(), train.n(), batchSize, totalSteps, optimizer);
        ProgressLine bar = progressBar ? ProgressLine.onStderr("step", totalSteps, startStep) : null;
        long epochs = (totalSteps + spe - 1) / spe;
        String lossField = "";
        String rateField = "";
        long trainNanos = 0;
        long samples = 0;
        long wallStart = System.nanoTime();
        long segmentStart = wallStart;
        int[] perm = null;
        int permEpoch = -1;
        double lastMonitorLoss = Double.NaN;
        double lastMonitorAccuracy = Double.NaN;
        Divergence divergence = null;
        long step = startStep;
        // A closure-based step's own loss and ‖g‖ at its start, and its refusal (no fused update to latch one).
        double closureLoss = Double.NaN;
        double closureGradNorm = Double.NaN;
        RefusedUpdate closureRefused = null;
        stopRequested = false;
        // A refusal left over from another use of this backend (a diagnostic, an earlier run) is not this run's.
        backend.clearRefusedUpdate();
        try {
            while (step < totalSteps && !stopRequested && !interruptRequested) {
                int epoch = (int) (step / spe);
                int bi = (int) (step % spe);
                if (epoch != permEpoch) {
                    perm = batches.permutation(epoch);
                    permEpoch = epoch;
                }
                int rows = ws.loadBatch(train, batches, perm, bi);
                long t = step + 1;
                if (files != null) {
                    segmentStart += files.beforeUpdate(t, model); // TensorBoard's θ: not training time
                }
                if (rows == batchSize && config.cudaGraph() && !recordTried && closure == null) {
                    // Recording issues nothing; the first replay below is the first step. The model counted a BN
                    // batch while recording; the replays count their own.
                    long tracked = model.batchesTracked();
                    program = backend.record(() -> stepBody(ws, rows, optimizer.paramsFor(1)));
                    model.setBatchesTracked(tracked);
                    recordTried = true;
                }
                if (closure != null) {
                    io.ravine.optim.ClosureStep cs = closure.step(ws, rows, perm, batches.batchStart(bi));
                    closureLoss = cs.loss();
                    closureGradNorm = cs.gradientNorm();
                    state.advance();
                    if (cs.refused() != null) {
                        closureRefused = new RefusedUpdate(t, cs.refused().cause());
                    } else if (ema != null) {
                        ema.update(model.theta());
                    }
                } else if (program != null && rows == batchSize) {
                    program.replay(optimizer.paramsFor(t));
                    model.countReplayedBatch();
                    state.advance();
                    if (ema != null) {
                        ema.countReplayedUpdate();
                    }
                } else {
                    model.computeGradient(ws, rows);
                    optimizer.step(backend, model.theta(), model.gradient(), state);
                    if (ema != null) {
                        ema.update(model.theta());
                    }
                }
                step = t;
                samples += rows;
                passes += (closure != null ? closure.lastStepWork() : rows * Passes.GRADIENT) / train.n();
                boolean log = step % logEvery == 0 || step == totalSteps;
                boolean eval = step % evalEvery == 0 || step == totalSteps;
                boolean checkpoint = config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0;
                boolean diagnose = config.diagnoseEvery() > 0 && step % config.diagnoseEvery() == 0;
                boolean sync = log || eval || checkpoint || diagnose;
                // The batch loss for the step listeners: free where the backend has finished (the CPU), else read
                // only where this step waits for the device anyway (below).
                double stepBatchLoss = closure != null ? closureLoss
                        : !listeners.isEmpty() && !sync && backend.completesOnReturn()
                        ? model.meanLoss(ws, rows) : Double.NaN;
                // The backend's guard refused any non-finite update at the step it happened (θ, state and average
                // keep their values), so reading the refusal only where the device is waited for anyway loses
                // nothing but the steps computed in between; where reading it is free (the CPU), read it every step.
                RefusedUpdate refused = closureRefused != null ? closureRefused
                        : sync || backend.completesOnReturn() ? backend.refusedUpdate() : null;
                // θ itself is checked where it is about to be saved (a finite but huge update can overflow it), so
                // a kept checkpoint is always finite.
                boolean thetaFinite = refused != null || !checkpoint
                        || Double.isFinite(backend.sumOfSquares(model.theta()));
                if (refused != null || !thetaFinite) {
                    long now = System.nanoTime();
                    trainNanos += now - segmentStart;
                    divergence = refused != null ? new Divergence(refused.step(), refused.what())
                            : new Divergence(step, "θ");
                    // The batch's loss and gradient are those of the refused step only if it is this one.
                    boolean here = divergence.step() == step;
                    double batchLoss = !here ? Double.NaN : closure != null ? closureLoss : model.meanLoss(ws, rows);
                    double gradNorm = !here ? Double.NaN : closure != null ? closureGradNorm
                            : Math.sqrt(backend.sumOfSquares(model.gradient()));
                    // Said once, by the caller (the CLI's "ravine: instability" line, a sweep's row): the result
                    // carries it (TrainingResult.divergence()).
                    LOG.debug("instability: {}; {} (last good checkpoint: {})", divergence.evidence(),
                            Divergence.WORKAROUND, lastGood == null ? "none" : lastGood);
                    if (files != null) {
                        long at = divergence.step();
                        files.appendMetrics(at, (double) at / spe, optimizer.learningRate(at), batchLoss,
                                null, null, null, gradNorm, null, passes, (now - wallStart) / 1e9);
                    }
                    // Updates from the refused one on were not applied: θ is that of the step before it.
                    step = refused != null ? refused.step() - 1 : step;
                    break;
                }
                if (files != null) {
                    // Histograms, before the curvature probe reuses the gradient buffer; not training time.
                    segmentStart += files.afterUpdate(step, model);
                }
                if (sync) {
                    backend.synchronize();
                    long now = System.nanoTime();
                    trainNanos += now - segmentStart;
                    // A closure-based step's loss and ‖g‖ are those at its start, as a fused step's are.
                    double batchLoss = closure != null ? closureLoss : model.meanLoss(ws, rows);
                    stepBatchLoss = batchLoss;
                    double gradNorm = closure != null ? closureGradNorm
                            : Math.sqrt(backend.sumOfSquares(model.gradient()));
                    CurvatureProbe.Measurement curvature = diagnose
                            ? curvatureProbe.measure(model, monitor, evalCapacity, optimizer.learningRate(step))
                            : null;
                    // The monitoring subset's loss and, for classes, its accuracy: one pass, both from its scores.
                    Evaluation monitorEval = evaluate(monitor);
                    lastMonitorLoss = monitorEval.loss();
                    lastMonitorAccuracy = monitorEval.accuracy();
                    // A finite blow-up (αλ > 2 somewhere) stops the run here, before this θ can be checkpointed.
                    Divergence blowUp = Divergence.check(step, lastMonitorLoss, startLoss);
                    Evaluation testEval = eval && blowUp == null ? evaluate(test) : null;
                    Evaluation emaEval = eval && blowUp == null && ema != null ? evaluateAveraged(test) : null;
                    if (files != null) {
                        files.appendMetrics(step, (double) step / spe, optimizer.learningRate(step), batchLoss,
                                monitorEval, testEval, emaEval, gradNorm, curvature, passes,
                                (now - wallStart) / 1e9);
                        files.appendThroughput(step, samples / (trainNanos / 1e9));
                    }
                    if (blowUp != null) {
                        divergence = blowUp;
                        LOG.debug("instability: {}; {} (last good checkpoint: {})", divergence.evidence(),
                                Divergence.WORKAROUND, lastGood == null ? "none" : lastGood);
                        break;
                    }
                    notifyStep(step, spe, stepBatchLoss, rows);
                    MetricsEvent event = new MetricsEvent(step, (double) step / spe, optimizer.learningRate(step),
                            batchLoss, lastMonitorLoss, lastMonitorAccuracy, testEval, emaEval, gradNorm);
                    for (TrainingListener l : listeners) {
                        l.onMetrics(event);
                    }
                    if (checkpoint && files != null) {
                        lastGood = files.saveCheckpoint(String.format("step-%08d", step), step, model, state, ema);
                        notifyCheckpoint(step);
                    }
                    lossField = String.format(Locale.ROOT, "loss %.4g", lastMonitorLoss);
                    rateField = ProgressLine.rate(samples / (trainNanos / 1e9)) + " samples/s";
                    segmentStart = System.nanoTime();
                } else {
                    notifyStep(step, spe, stepBatchLoss, rows);
                }
                if (bar != null) {
                    bar.update(step, "epoch " + Math.min(epochs, step / spe + 1) + "/" + epochs, lossField,
                            rateField);
                }
            }
        } finally {
            if (program != null) {
                program.close();
            }
            if (bar != null) {
                // The step reached: an interrupted or diverged run stops short of the total.
                bar.end(step);
            }
        }
        double seconds = trainNanos / 1e9;
        double samplesPerSecond = seconds > 0 ? samples / seconds : Double.NaN;
        TrainingResult result;
        if (divergence != null) {
            result = new TrainingResult(step, (double) step / spe, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, Double.NaN, samplesPerSecond, seconds, backend.deviceDescription(), divergence, false,
                    lastGood);
        } else if (interruptRequested && step < totalSteps) {
            if (files != null) {
                backend.synchronize();
                lastGood = files.saveCheckpoint(String.format("step-%08d", step), step, model, state, ema);
                notifyCheckpoint(step);
            }
            // Said once, by the caller (the CLI's "ravine: interrupted" line): the result says interrupted().
            LOG.debug("interrupted after step {} of {}; checkpoint {}", step, totalSteps, lastGood);
            result = new TrainingResult(step, (double) step / spe, lastMonitorLoss, lastMonitorAccuracy, Double.NaN,
                    Double.NaN, Double.NaN, Double.NaN, samplesPerSecond, seconds, backend.deviceDescription(), null,
                    true, lastGood);
        } else {
            Evaluation testEval = evaluate(test);
            Evaluation emaEval = ema != null ? evaluateAveraged(test) : new Evaluation(Double.NaN, Double.NaN);
            if (files != null) {
                lastGood = files.saveCheckpoint("final", step, model, state, ema);
            }
            // A resume that found every step done (killed after its final checkpoint, before its summary) ran no
            // step, so no monitoring loss was measured; the summary still gets one.
            Evaluation finalTrain = step == startStep ? evaluate(monitor)
                    : new Evaluation(lastMonitorLoss, lastMonitorAccuracy);
            result = new TrainingResult(step, (double) step / spe, finalTrain.loss(), finalTrain.accuracy(),
                    testEval.loss(), testEval.accuracy(), emaEval.loss(), emaEval.accuracy(), samplesPerSecond,
                    seconds, backend.deviceDescription(), null, false, lastGood);
        }
        if (files != null) {
            files.writeSummary(result);
            files.close();
            // After every result is on disk; an interrupted run is to exit soon, and its report comes with the resume.
            if (report && !result.interrupted()) {
                writeReport();
            }
        }
        return result;
    }

    private void notifyCheckpoint(long step) {
        for (TrainingListener l : listeners) {
            l.onCheckpoint(step);
        }
    }

    private void notifyStep(long step, int spe, double batchLoss, int rows) {
        if (listeners.isEmpty()) {
            return;
        }
        StepEvent e = new StepEvent(step, (double) step / spe, optimizer.learningRate(step), batchLoss, rows);
        for (TrainingListener l : listeners) {
            l.onStep(e);
        }
    }

    /** report.html through the {@link RunReporter}s on the class path (Ravine's HTML report); none is no report. */
    private void writeReport() {
        for (RunReporter r : java.util.ServiceLoader.load(RunReporter.class, Trainer.class.getClassLoader())) {
            r.write(runDir);
        }
    }

    /**
     * J(θ₀) (and the accuracy there) on the monitoring subset, the reference of the blow-up rule. At step 0 θ is θ₀;
     * a resumed run regenerates θ₀ from the seed (the constructor's initialisation), evaluates it, and puts its θ back
     * bit for bit.
     */
    private Evaluation startingMonitorEvaluation(long startStep) {
        if (startStep == 0) {
            return evaluate(monitor);
        }
        // θ is set aside on the backend (a copy, in its own dtype), not through a float[]: a float64 θ keeps its bits.
        // BN's running statistics go back to their start too (evaluation normalizes with them), and return after.
        io.ravine.nn.BatchNormBuffers buffers = model.batchNormBuffers();
        try (Tensor saved = backend.allocateVector(mlp.parameterCount())) {
            backend.copy(model.theta(), saved);
            try {
                model.setParameters(mlp.initialParameters(Initializer.parse(config.resolvedInit()),
                        config.biasInit(), config.seed()));
                model.resetBatchNormStatistics();
                return evaluate(monitor);
            } finally {
                backend.copy(saved, model.theta());
                model.setBatchNormBuffers(buffers);
            }
        }
    }

    /** The batch's buffers; on a device without room for them, an error that names the batch size. */
    private Model.Workspace allocateWorkspace(int capacity) {
        try {
            return model.workspace(capacity);
        } catch (OutOfDeviceMemoryException e) {
            throw InvalidSettingException.of(String.format(java.util.Locale.ROOT,
                    "batch size %d does not fit: the model's activations for %d rows need %.1f MiB on top of %.1f MiB"
                    + " of parameters, gradients and optimizer state (%s); try a smaller ", batchSize,
                    capacity, model.workspaceBytes(capacity) / 1048576.0,
                    (2.0 + optimizer.rule().stateCount() + (ema != null ? 1 : 0)) * mlp.parameterCount() * 4
                            / 1048576.0, e.getMessage()), InvalidSettingException.setting("batchSize")).causedBy(e);
        }
    }

    /** One whole update as the backend sees it: forward, backward, optimizer, iterate average. */
    private void stepBody(Model.Workspace ws, int rows, StepParams params) {
        model.computeGradient(ws, rows);
        backend.optimizerStep(optimizer.rule(), model.theta(), model.gradient(), state.tensors(), params);
        if (ema != null) {
            backend.emaUpdate(ema.average(), model.theta(), ema.decay());
        }
    }

    /**
     * Mean loss and accuracy of the current θ on {@code data} (targets already in the loss's layout).
     *
     * @param data normalized examples, targets encoded (as {@link #testData()})
     * @return the mean loss and accuracy
     */
    public Evaluation evaluate(Dataset data) {
        return Evaluator.evaluate(model, data, evalCapacity);
    }

    /**
     * Mean loss and accuracy of the current θ on {@code data} as training sees it: with batch norm, {@code data} is
     * one batch normalized by its own statistics (the running statistics are neither used nor changed), the function
     * the gradient of a full batch of it differentiates; without batch norm the same as {@link #evaluate}. The loss
     * landscape uses it: along a line or plane of θ there are no running statistics to evaluate with.
     *
     * @param data normalized examples, targets encoded (at least 2 with batch norm)
     * @return the mean loss and accuracy
     */
    public Evaluation evaluateTraining(Dataset data) {
        return Evaluator.evaluateTraining(model, data, evalCapacity);
    }

    /**
     * The same with the iterate average θ̃ in place of θ (θ is restored afterwards). With batch norm, θ̃ is
     * evaluated with the model's current running statistics (there is no average of those).
     *
     * @param data normalized examples, targets encoded
     * @return the mean loss and accuracy
     */
    public Evaluation evaluateAveraged(Dataset data) {
        if (ema == null) {
            throw new IllegalStateException("iterate averaging is off");
        }
        try (Tensor saved = backend.allocateVector(mlp.parameterCount())) {
            backend.copy(model.theta(), saved);
            backend.copy(ema.average(), model.theta());
            try {
                return evaluate(data);
            } finally {
                backend.copy(saved, model.theta());
            }
        }
    }

    /**
     * The run's configuration.
     *
     * @return the configuration
     */
    public TrainConfig config() {
        return config;
    }

    /**
     * Where this trainer trains: the caller's backend, or the one it opened from the configuration.
     *
     * @return the backend
     */
    public Backend backend() {
        return backend;
    }

    /**
     * The model as trained so far (after {@link #fit()}: the trained one) with the normalization this trainer fitted,
     * predicting on raw inputs. θ is copied to the host: the model does not change as training goes on, and outlives
     * this trainer; it computes on a CPU backend of its own.
     *
     * @return the trained model
     */
    public TrainedModel trainedModel() {
        return TrainedModel.of(mlp, model.parameters(), model.batchNormBuffers(), normalizer, train.numClasses());
    }

    /**
     * The model with the iterate average θ̃ in place of θ ({@link TrainConfig#emaTimescale()}), as
     * {@link #trainedModel()}.
     *
     * @return the averaged model
     * @throws IllegalStateException when iterate averaging is off
     */
    public TrainedModel averagedModel() {
        if (ema == null) {
            throw new IllegalStateException("iterate averaging is off (TrainConfig.Builder.optEma)");
        }
        return TrainedModel.of(mlp, backend.toFloatArray(ema.average()), model.batchNormBuffers(), normalizer,
                train.numClasses());
    }

    /**
     * The iterate average, or null when off.
     *
     * @return θ̃'s holder, or null
     */
    public IterateAverage iterateAverage() {
        return ema;
    }

    /**
     * Releases the model's buffers and the run directory's lock, and closes the backend if this trainer opened it
     * ({@link #Trainer(TrainConfig)}, {@link #Trainer(TrainConfig, TrainTest)}). A {@link TrainedModel} taken from
     * it stays usable.
     */
    @Override
    public void close() {
        if (lock != null) {
            lock.close();
            lock = null;
        }
        if (ema != null) {
            ema.close();
        }
        state.close();
        if (closure != null) {
            closure.close();
        }
        model.close();
        if (ownsBackend) {
            backend.close();
        }
    }
}
