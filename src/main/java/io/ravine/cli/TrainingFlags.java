package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.backend.UpdateRule;
import io.ravine.nn.Mlp;
import io.ravine.optim.Lbfgs;
import io.ravine.optim.NewtonCg;
import io.ravine.train.ResumeCheck;
import io.ravine.train.TrainConfig;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The flags that define a training run, shared (as a picocli mixin) by every command that trains: {@code train},
 * {@code sweep lr}. One place for their names, meanings and defaults, which are {@link TrainConfig}'s. The learning
 * rate is the one setting whose flag is declared apart ({@link LearningRateFlag}): {@code train --lr} takes one rate,
 * {@code sweep lr --lr} the list of its grid.
 */
public final class TrainingFlags {

    @Option(names = "--data", description = "embedded (default), fashion-mnist, synthetic (Fashion-MNIST's shape, fixed seed), an IDX"
            + " directory or a CSV file")
    String data = "embedded";

    @Option(names = "--test-data", description = "held-out CSV (default: the data set's test split or the last 20%%)")
    String testData;

    @Option(names = "--hidden", description = "hidden widths, e.g. 256,128; 'none' for a linear model (default 128)")
    String hidden = "128";

    @Option(names = "--activation", description = "relu (default), tanh, logistic, identity")
    String activation = "relu";

    @Option(names = "--batch-norm", description = "batch normalization in every hidden layer, before the activation"
            + " (PyTorch's BatchNorm1d; hidden layers then have no bias)")
    boolean batchNorm;

    @Option(names = "--loss", description = "softmax-ce (default), logistic-ce, mse")
    String loss = "softmax-ce";

    @Option(names = "--optimizer", description = "sgd, momentum, nesterov, rmsprop, adam (default), adamw; lbfgs,"
            + " newton-cg (second-order, closure-based)")
    String optimizer = "adam";

    @Option(names = "--momentum", description = "μ for momentum and Nesterov (default 0.9)")
    double momentum = 0.9;

    @Option(names = "--beta1", description = "Adam β₁ (default 0.9)")
    double beta1 = 0.9;

    @Option(names = "--beta2", description = "Adam β₂ (default 0.999)")
    double beta2 = 0.999;

    @Option(names = "--eps", description = "ε for RMSprop and Adam (default 1e-8)")
    double eps = 1e-8;

    @Option(names = "--gamma", description = "RMSprop γ in s ← (1−γ)s + γg² (default 0.01)")
    double gamma = 0.01;

    @Option(names = "--weight-decay", description = "λ (coupled L2; decoupled for adamw, default 0.01 there)")
    Double weightDecay;

    @Option(names = "--clip-norm", description = "clip the gradient to this global norm (default off)")
    double clipNorm;

    @Option(names = "--schedule", description = "constant (default), step:EVERY:FACTOR, cosine:TOTAL[:FINAL],"
            + " exp:T0:TAU (late exponential decay), warmup:STEPS:INNER")
    String schedule = "constant";

    @Option(names = "--ema", description = "iterate averaging with timescale τ (default off)")
    double ema;

    @Option(names = "--init", description = "auto (He for relu, else Xavier), xavier, he, zeros, uniform:S, normal:S")
    String init = "auto";

    @Option(names = "--bias-init", description = "initial bias (0.1 keeps ReLUs alive; default 0)")
    double biasInit;

    @Option(names = "--normalize", description = "zscore (default) or none")
    String normalize = "zscore";

    @Option(names = "--batch-size", description = "examples per update, or 'full' for batch gradient descent"
            + " (default 128)")
    String batchSize = "128";

    @Option(names = "--epochs", description = "passes over the training data (default 5)")
    Integer epochs;

    @Option(names = "--steps", description = "number of updates (overrides --epochs)")
    Long steps;

    @Option(names = "--limit", description = "use only the first N training examples")
    int limit;

    @Option(names = "--seed", description = "seed of the initial θ and the batch order (default 1)")
    long seed = 1;

    @Option(names = "--device", description = "auto (default: the GPU where a driver and a device are found, else"
            + " the CPU), cpu or cuda")
    String device = "auto";

    @Option(names = "--threads", description = "CPU threads for matrix products and elementwise loops; any count gives the same bits (default: all cores)")
    int threads;

    @Option(names = "--cuda-graph", description = "on (default) or off: replay the step as a CUDA graph")
    String cudaGraph = "on";

    @Option(names = "--tf32", description = "allow TF32 tensor-core matrix products on CUDA")
    boolean tf32;

    @Option(names = "--save-initial", description = "also save checkpoints/initial.safetensors")
    boolean saveInitial;

    @Option(names = "--checkpoint-every", description = "write a checkpoint every N steps")
    int checkpointEvery;

    @Option(names = "--log-every", description = "log the training loss on the --subset examples every N steps"
            + " (default 10 times per epoch)")
    int logEvery;

    @Option(names = "--eval-every", description = "evaluate on the test split every N steps (default each epoch)")
    int evalEvery;

    @Option(names = "--subset", paramLabel = "N", description = "training examples that measurements (the logged"
            + " training loss, --diagnose-every's curvature) are computed on: a fixed subset drawn with --seed"
            + " (default 2000)")
    int subset = 2000;

    @Option(names = "--diagnose-every", description = "log gᵀg, gᵀHg, the optimal step ε* and the predicted and"
            + " measured change of a step of α on the --subset examples every N steps (one gradient, one"
            + " Hessian-vector product and one forward pass)")
    int diagnoseEvery;

    @Option(names = "--max-iter", description = "lbfgs: iterations per step (default 20, torch's max_iter)")
    int maxIter = 20;

    @Option(names = "--max-eval", description = "lbfgs: evaluations per step (default max-iter·5/4)")
    int maxEval;

    @Option(names = "--tolerance-grad", description = "lbfgs: stop a step at ‖g‖∞ ≤ this (default 1e-7)")
    double toleranceGrad = 1e-7;

    @Option(names = "--tolerance-change", description = "lbfgs: stop a step when the loss or θ changes less"
            + " (default 1e-9)")
    double toleranceChange = 1e-9;

    @Option(names = "--history-size", description = "lbfgs: (s, y) pairs kept (default 100)")
    int historySize = 100;

    @Option(names = "--line-search", description = "lbfgs: none (default, a fixed step) or strong-wolfe")
    String lineSearch = "none";

    @Option(names = "--curvature", description = "newton-cg: gauss-newton (default, positive semi-definite) or"
            + " hessian")
    String curvature = "gauss-newton";

    @Option(names = "--damping", description = "newton-cg: initial Levenberg-Marquardt damping λ₀ > 0 (default 1)")
    double damping = 1.0;

    @Option(names = "--cg-max-iter", description = "newton-cg: cap on CG iterations per step (default 250)")
    int cgMaxIter = 250;

    @Option(names = "--curvature-batch", description = "newton-cg: examples of each step's batch that the"
            + " curvature products average over (default 1000)")
    int curvatureBatch = 1000;

    /** The command this mixin is part of, for which flags were given (null when built outside picocli). */
    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec mixee;

    /** Flags that only one rule (or only the first-order rules) reads: refused with any other. */
    private static final Map<String, String> RULE_OF_FLAG = ordered(
            "--momentum", "first-order", "--beta1", "first-order", "--beta2", "first-order", "--eps", "first-order",
            "--gamma", "first-order", "--weight-decay", "first-order", "--clip-norm", "first-order",
            "--max-iter", "lbfgs", "--max-eval", "lbfgs", "--tolerance-grad", "lbfgs", "--tolerance-change", "lbfgs",
            "--history-size", "lbfgs", "--line-search", "lbfgs", "--curvature", "newton-cg", "--damping", "newton-cg",
            "--cg-max-iter", "newton-cg", "--curvature-batch", "newton-cg");

    /**
     * Each flag above and the {@link TrainConfig} setting it sets (one name per concept: the flag in the CLI, the
     * setting in the library and in config.json).
     */
    static final Map<String, String> SETTING_OF_FLAG = ordered(
            "--data", "data", "--test-data", "testData", "--hidden", "hidden", "--activation", "activation",
            "--batch-norm", "batchNorm", "--loss", "loss", "--optimizer", "optimizer", "--lr", "learningRate", "--momentum", "momentum",
            "--beta1", "beta1", "--beta2", "beta2", "--eps", "eps", "--gamma", "gamma",
            "--weight-decay", "weightDecay", "--clip-norm", "clipNorm", "--schedule", "schedule",
            "--ema", "emaTimescale", "--init", "init", "--bias-init", "biasInit", "--normalize", "normalize",
            "--batch-size", "batchSize", "--epochs", "epochs", "--steps", "steps", "--limit", "limit",
            "--seed", "seed", "--device", "device", "--threads", "threads", "--cuda-graph", "cudaGraph",
            "--tf32", "tf32", "--save-initial", "saveInitial", "--checkpoint-every", "checkpointEvery",
            "--log-every", "logEvery", "--eval-every", "evalEvery", "--subset", "subset",
            "--diagnose-every", "diagnoseEvery", "--max-iter", "maxIter", "--max-eval", "maxEval",
            "--tolerance-grad", "toleranceGrad", "--tolerance-change", "toleranceChange",
            "--history-size", "historySize", "--line-search", "lineSearch", "--curvature", "curvature",
            "--damping", "damping", "--cg-max-iter", "cgMaxIter", "--curvature-batch", "curvatureBatch");

    /**
     * The {@link TrainConfig} settings without a flag: a DJL {@code Tracker} is a Java object, given only through
     * {@link TrainConfig.Builder#optLearningRateTracker}.
     */
    static final Set<String> JAVA_ONLY_SETTINGS = Set.of("learningRateTracker");

    private static Map<String, String> ordered(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    /** The flag of a {@link TrainConfig} setting. */
    static String flagOf(String setting) {
        return SETTING_OF_FLAG.entrySet().stream().filter(e -> e.getValue().equals(setting)).map(Map.Entry::getKey)
                .findFirst().orElse(setting);
    }

    /** The settings of the flags given on {@code parsed}'s command line (not those left at their defaults). */
    static Set<String> givenSettings(CommandLine.ParseResult parsed) {
        Set<String> out = new LinkedHashSet<>();
        SETTING_OF_FLAG.forEach((flag, setting) -> {
            if (parsed.hasMatchedOption(flag)) {
                out.add(setting);
            }
        });
        return out;
    }

    /** The flags that may change on resume, for messages: {@code --checkpoint-every, --cuda-graph, …}. */
    static String flagsThatMayChange() {
        return SETTING_OF_FLAG.entrySet().stream().filter(e -> ResumeCheck.MAY_CHANGE.contains(e.getValue()))
                .map(Map.Entry::getKey).collect(Collectors.joining(", "));
    }

    /** {@code --hidden 128 (saved) vs 64 (given), --lr 0.001 (saved) vs 0.5 (given)}: in the flags' spelling. */
    static String describe(List<ResumeCheck.Difference> differences) {
        return differences.stream().map(d -> flagOf(d.setting()) + " " + spelling(d.setting(), d.saved())
                + " (saved) vs " + spelling(d.setting(), d.given()) + " (given)").collect(Collectors.joining(", "));
    }

    /** A setting's value as its flag would take it. */
    private static String spelling(String setting, Object v) {
        if (setting.equals("batchSize") && Integer.valueOf(0).equals(v)) {
            return "full";
        }
        if (v instanceof int[] widths) {
            return widths.length == 0 ? "none" : Arrays.stream(widths).mapToObj(Integer::toString)
                    .collect(Collectors.joining(","));
        }
        if (v instanceof UpdateRule r) {
            return r.cliName();
        }
        if (v instanceof LossKind k) {
            return k.cliName();
        }
        if (v instanceof Lbfgs.LineSearch l) {
            return l.cliName();
        }
        if (v instanceof NewtonCg.Curvature c) {
            return c.cliName();
        }
        if (v instanceof Enum<?> e) {
            return e.name().toLowerCase(Locale.ROOT);
        }
        if (v == null) {
            return "unset";
        }
        if (v instanceof String str) {
            return "'" + str + "'";
        }
        return String.valueOf(v);
    }

    /**
     * Refuses a flag given for a rule that does not read it, in one line naming the flag, its value and the rule
     * (momentum with lbfgs, --damping with adam, …): silently ignoring it would run another experiment than the one
     * asked for.
     */
    private void checkFlagsFitTheRule(UpdateRule rule) {
        if (mixee == null || mixee.commandLine() == null || mixee.commandLine().getParseResult() == null) {
            return;
        }
        CommandLine.ParseResult parsed = mixee.commandLine().getParseResult();
        for (Map.Entry<String, String> e : RULE_OF_FLAG.entrySet()) {
            if (!parsed.hasMatchedOption(e.getKey())) {
                continue;
            }
            String owner = e.getValue();
            boolean fits = owner.equals("first-order") ? !rule.closureBased() : owner.equals(rule.cliName());
            if (!fits) {
                String value = parsed.matchedOptionValue(e.getKey(), (Object) null) == null ? ""
                        : " " + parsed.matchedOption(e.getKey()).stringValues().get(0);
                throw new InvalidInputException(e.getKey() + value + " does not apply to --optimizer "
                        + rule.cliName() + ": it is a setting of " + (owner.equals("first-order")
                        ? "the first-order rules (sgd … adamw)" : owner) + "; drop it or pick that optimizer");
            }
        }
    }

    /**
     * A builder holding every flag given (defaults for the rest) but the learning rate, which the command sets from
     * its own {@code --lr}; callers may override before build().
     */
    public TrainConfig.Builder builder() {
        UpdateRule rule = parse("--optimizer", () -> UpdateRule.parse(optimizer));
        checkFlagsFitTheRule(rule);
        TrainConfig.Builder b = TrainConfig.builder()
                .setData(data)
                .optTestData(testData)
                .optHidden(parseHidden(hidden))
                .optActivation(parse("--activation", () -> Activation.parse(activation)))
                .optBatchNorm(batchNorm)
                .optLoss(parse("--loss", () -> LossKind.parse(loss)))
                .optOptimizer(parse("--optimizer", () -> UpdateRule.parse(optimizer)))
                .optMomentum(momentum)
                .optBeta1(beta1)
                .optBeta2(beta2)
                .optEpsilon(eps)
                .optGamma(gamma)
                .optClipNorm(clipNorm)
                .optSchedule(schedule)
                .optEma(ema)
                .optInit(init)
                .optBiasInit(biasInit)
                .optNormalize(normalize)
                .optBatchSize(parseBatchSize(batchSize))
                .optEpochs(epochs != null ? epochs : (steps != null ? 0 : 5))
                .optSteps(steps != null ? steps : 0)
                .optLimit(limit)
                .optSeed(seed)
                .optDevice(device)
                .optThreads(threads)
                .optCudaGraph(parseOnOff("--cuda-graph", cudaGraph))
                .optTf32(tf32)
                .optCheckpointEvery(checkpointEvery)
                .optSaveInitial(saveInitial)
                .optLogEvery(logEvery)
                .optEvalEvery(evalEvery)
                .optSubset(subset)
                .optDiagnoseEvery(diagnoseEvery)
                .optMaxIter(maxIter)
                .optMaxEval(maxEval)
                .optToleranceGrad(toleranceGrad)
                .optToleranceChange(toleranceChange)
                .optHistorySize(historySize)
                .optLineSearch(parse("--line-search", () -> Lbfgs.LineSearch.parse(lineSearch)))
                .optCurvature(parse("--curvature", () -> NewtonCg.Curvature.parse(curvature)))
                .optDamping(damping)
                .optCgMaxIter(cgMaxIter)
                .optCurvatureBatch(curvatureBatch);
        if (weightDecay != null) {
            b.optWeightDecay(weightDecay);
        }
        return b;
    }

    static int parseBatchSize(String s) {
        if (s.trim().equalsIgnoreCase("full")) {
            return 0;
        }
        String t = s.trim();
        if (t.matches("\\+?\\d+") && new java.math.BigInteger(t).compareTo(java.math.BigInteger.valueOf(
                Integer.MAX_VALUE)) > 0) {
            throw new InvalidInputException("--batch-size " + s + " is too large (at most " + Integer.MAX_VALUE
                    + "; a batch larger than the data set is the full set: use 'full')");
        }
        try {
            int b = Integer.parseInt(t);
            if (b <= 0) {
                throw new NumberFormatException();
            }
            return b;
        } catch (NumberFormatException e) {
            throw new InvalidInputException("--batch-size must be a positive integer or 'full', not '" + s + "'");
        }
    }

    /**
     * {@code --hidden}: {@link Mlp#parseHidden} after the checks it cannot make from one width at a time. An empty
     * value is refused (say {@code none} for a linear model), and widths whose hidden-to-hidden weights alone exceed
     * 2³¹ parameters are refused as too large here, before any data is loaded or memory allocated.
     */
    static int[] parseHidden(String spec) {
        String s = spec == null ? "" : spec.trim();
        if (s.isEmpty()) {
            throw new InvalidInputException("--hidden is empty: give widths such as 256,128, or 'none' for a linear"
                    + " model");
        }
        if (s.equalsIgnoreCase("none")) {
            return new int[0];
        }
        String[] parts = s.split(",", -1);
        for (String part : parts) {
            String p = part.trim();
            if (p.matches("\\+?\\d+") && new java.math.BigInteger(p).compareTo(java.math.BigInteger.valueOf(
                    Integer.MAX_VALUE)) > 0) {
                throw new InvalidInputException("--hidden '" + spec + "': width " + p + " is too large (the model"
                        + " would have more than 2^31 parameters)");
            }
            if (p.isEmpty()) {
                throw new InvalidInputException("--hidden '" + spec + "': empty width; widths must be positive"
                        + " integers, e.g. 256,128");
            }
        }
        int[] widths = Mlp.parseHidden(s);
        // Every layer has at least one input and one output, so this is a lower bound of the parameter count.
        long lowerBound = widths[0] + widths[widths.length - 1];
        for (int k = 0; k + 1 < widths.length; k++) {
            lowerBound += (long) widths[k] * widths[k + 1] + widths[k + 1];
        }
        if (lowerBound > Integer.MAX_VALUE) {
            throw new InvalidInputException("--hidden '" + spec + "' is too large: at least " + lowerBound
                    + " parameters, more than the 2^31 a model may have");
        }
        return widths;
    }

    static boolean parseOnOff(String flag, String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "on", "true" -> true;
            case "off", "false" -> false;
            default -> throw new InvalidInputException(flag + " must be on or off, not '" + v + "'");
        };
    }

    /** A value parsed by a library (which names the value); the message then also names the flag. */
    static <T> T parse(String flag, java.util.function.Supplier<T> f) {
        try {
            return f.get();
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(flag + ": " + e.getMessage(), e);
        }
    }
}
