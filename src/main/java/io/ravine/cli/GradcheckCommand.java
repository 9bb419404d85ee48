package io.ravine.cli;

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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ravine gradcheck}: backprop against central finite differences in float64, per tensor. */
@Command(name = "gradcheck", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Check backprop against central finite differences in float64 on a few examples.")
public final class GradcheckCommand implements Callable<Integer> {

    @Option(names = "--hidden", description = "hidden widths (default 16,8)")
    String hidden = "16,8";

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

    @Override
    public Integer call() {
        LossKind lossKind = LossKind.parse(loss);
        Activation act = Activation.parse(activation);
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x;
        float[] y;
        int in;
        int out;
        if (data.equals("random")) {
            in = inputs;
            out = classes;
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
        Mlp mlp = new Mlp(in, TrainingFlags.parseHidden(hidden), out, act, lossKind);
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
}
