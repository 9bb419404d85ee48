package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.backend.Tolerances;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.DataSources;
import io.ravine.data.Dataset;
import io.ravine.data.Normalizer;
import io.ravine.data.TargetEncoding;
import io.ravine.data.TrainTest;
import io.ravine.diagnose.GradientCheck;
import io.ravine.nn.Initializer;
import io.ravine.nn.Mlp;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ravine gradcheck}: backprop against central finite differences in float64, per tensor. */
@Command(name = "gradcheck", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Check backprop against central finite differences in float64 on a few examples.")
public final class GradcheckCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--hidden", description = "hidden widths (default 16,8)")
    String hidden = "16,8";

    @Option(names = "--batch-norm", description = "batch normalization in every hidden layer (checked in training"
            + " mode: the whole batch's mean loss, through the batch statistics)")
    boolean batchNorm;

    @Option(names = "--activation", description = "relu, tanh, logistic, identity (default tanh)")
    String activation = "tanh";

    @Option(names = "--loss", description = "softmax-ce (default), logistic-ce, mse")
    String loss = "softmax-ce";

    @Option(names = "--data", description = "random (default), embedded, fashion-mnist, an IDX directory or a CSV")
    String data = "random";

    @Option(names = "--examples", description = "examples to check on (default 4)")
    int examples = 4;

    @Option(names = "--inputs", description = "input features for random data (default 10)")
    int inputs = 10;

    @Option(names = "--classes", description = "outputs for random data (default 3)")
    int classes = 3;

    @Option(names = "--step", description = "finite-difference step h (default 1e-6)")
    double step = Tolerances.GRADCHECK_STEP;

    @Option(names = "--threshold", description = "largest relative error that passes (default 1e-6)")
    double threshold = Tolerances.GRADCHECK_F64;

    @Option(names = "--seed", description = "seed for θ and random data (default 1)")
    long seed = 1;

    /** Most examples a check runs on (each of the 2P perturbed forward passes covers all of them). */
    static final int MAX_EXAMPLES = 1_000;
    /** Most input features or classes of the random data (the model's first and last widths). */
    static final int MAX_RANDOM_WIDTH = 10_000;

    /**
     * Every flag, before any data is loaded or θ drawn: one line naming the flag, the rule and the value.
     * The model's size is checked once its input width is known (random data: here; a data set: after loading).
     */
    private void validate(LossKind lossKind) {
        if (!(step > 0 && step < GradientCheck.MAX_STEP)) {
            throw new InvalidInputException("--step must be in (0, 1) (the finite-difference step h; default 1e-6),"
                    + " got " + step);
        }
        if (!(threshold > 0 && threshold < 1)) {
            throw new InvalidInputException("--threshold must be in (0, 1) (the relative error is at most 1, so 1"
                    + " or more passes any gradient; default 1e-6), got " + threshold);
        }
        if (examples < 1 || examples > MAX_EXAMPLES) {
            throw new InvalidInputException("--examples must be between 1 and " + MAX_EXAMPLES + ", got " + examples);
        }
        if (data.equals("random")) {
            if (inputs < 1 || inputs > MAX_RANDOM_WIDTH) {
                throw new InvalidInputException("--inputs must be between 1 and " + MAX_RANDOM_WIDTH + ", got "
                        + inputs);
            }
            int minClasses = lossKind == LossKind.SOFTMAX_CE ? 2 : 1;
            if (classes < minClasses || classes > MAX_RANDOM_WIDTH) {
                throw new InvalidInputException("--classes must be between " + minClasses + " and "
                        + MAX_RANDOM_WIDTH + (lossKind == LossKind.SOFTMAX_CE ? " for softmax-ce (one class has a"
                        + " zero gradient, which passes any check)" : "") + ", got " + classes);
            }
        } else if (spec.commandLine().getParseResult().hasMatchedOption("--inputs")
                || spec.commandLine().getParseResult().hasMatchedOption("--classes")) {
            throw new InvalidInputException("--inputs and --classes shape random data only; --data " + data
                    + " has its own");
        }
    }

    /** The model of the check, refused when it has more parameters than a check can perturb one by one. */
    private Mlp model(int in, int[] widths, int out, Activation act, LossKind lossKind) {
        if (batchNorm && widths.length == 0) {
            throw new InvalidInputException("--batch-norm normalizes hidden layers, but --hidden is none; give hidden"
                    + " widths or drop --batch-norm");
        }
        if (batchNorm && examples < 2) {
            throw new InvalidInputException("--batch-norm needs --examples of at least 2 (the variance of one example"
                    + " is undefined), got " + examples);
        }
        Mlp mlp = new Mlp(in, widths, out, act, lossKind, batchNorm);
        if (mlp.parameterCount() > GradientCheck.MAX_PARAMETERS) {
            throw new InvalidInputException("--hidden " + hidden + ": the model " + mlp.describe() + " has "
                    + mlp.parameterCount() + " parameters; gradcheck perturbs each one (two forward passes each),"
                    + " so at most " + GradientCheck.MAX_PARAMETERS);
        }
        return mlp;
    }

    @Override
    public Integer call() {
        LossKind lossKind = parse("--loss", () -> LossKind.parse(loss));
        Activation act = parse("--activation", () -> Activation.parse(activation));
        int[] widths = TrainingFlags.parseHidden(hidden);
        validate(lossKind);
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x;
        float[] y;
        int in;
        int out;
        if (data.equals("random")) {
            in = inputs;
            out = classes;
            model(in, widths, out, act, lossKind); // before drawing anything
            x = new float[examples * in];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rng.nextGaussian();
            }
            int tc = lossKind.classIndexTarget() ? 1 : out;
            y = new float[examples * tc];
            for (int i = 0; i < y.length; i++) {
                y[i] = lossKind == LossKind.SOFTMAX_CE ? rng.nextInt(out)
                        : lossKind == LossKind.LOGISTIC_CE ? (rng.nextBoolean() ? 1f : 0f) : (float) rng.nextGaussian();
            }
        } else {
            TrainTest tt = DataSources.load(data, null, lossKind);
            Dataset raw = tt.train();
            Dataset d = TargetEncoding.forLoss(Normalizer.zscore(raw).apply(raw), lossKind).limit(examples);
            in = d.featureDim();
            out = TargetEncoding.outputDim(raw, lossKind);
            x = d.features();
            y = d.targets();
            examples = d.n();
        }
        Mlp mlp = model(in, widths, out, act, lossKind);
        float[] init = mlp.initialParameters(Initializer.xavier(), 0.1, seed);
        double[] theta = new double[init.length];
        for (int i = 0; i < init.length; i++) {
            // Xavier scale plus a little noise on the biases keeps ReLUs off their kinks.
            theta[i] = init[i] + 0.05 * rng.nextGaussian();
        }
        List<GradientCheck.TensorResult> results =
                GradientCheck.run(CpuBackend.f64(), mlp, theta, x, y, examples, step);
        System.out.printf(Locale.ROOT, "gradient check of %s on %d examples, h = %.1e, threshold %.1e%n",
                mlp.describe(), examples, step, threshold);
        System.out.printf(Locale.ROOT, "%-18s %8s %14s %14s  %s%n", "tensor", "size", "rel. error", "max abs err",
                "result");
        boolean ok = true;
        for (GradientCheck.TensorResult r : results) {
            boolean pass = r.passes(threshold);
            ok &= pass;
            System.out.printf(Locale.ROOT, "%-18s %8d %14.3e %14.3e  %s%n", r.name(), r.size(), r.relativeError(),
                    r.maxAbsoluteError(), pass ? "pass" : "FAIL");
        }
        System.out.println(ok ? "all tensors pass" : "gradient check FAILED");
        return ok ? 0 : Main.EXIT_FAILED;
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
