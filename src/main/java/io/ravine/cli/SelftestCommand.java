package io.ravine.cli;

import io.ravine.backend.Activation;
import io.ravine.backend.Devices;
import io.ravine.backend.LossKind;
import io.ravine.backend.Tolerances;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.backend.cuda.CudaBackend;
import io.ravine.backend.cuda.CudaUnavailableException;
import io.ravine.backend.cuda.SelfTest;
import io.ravine.diagnose.GradientCheck;
import io.ravine.nn.Mlp;
import io.ravine.train.TrainingAgreement;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ravine selftest}: the test suite's numerical comparisons as a user-facing check. On CUDA, every kernel
 * against the CPU reference on fresh random inputs, then whole training runs of every optimizer (plain and
 * graph-replayed) against the CPU; on the CPU, backprop of every activation and loss against float64 finite
 * differences.
 */
@Command(name = "selftest", mixinStandardHelpOptions = true,
        description = "Compare the CUDA backend with the CPU reference (or check the CPU's gradients); prints a table.")
public final class SelftestCommand implements Callable<Integer> {

    @Option(names = "--device", description = "auto (default: cuda where a driver and a GPU are found, else cpu), cuda"
            + " (the kernels and training runs against the CPU) or cpu (the CPU's gradients against finite"
            + " differences)")
    String device = "auto";

    @Option(names = "--gpu", description = "CUDA device ordinal (default 0)")
    int gpu;

    @Option(names = "--seed", description = "seed of the random inputs (default: from the clock, fresh each run)")
    Long seed;

    @Option(names = "--skip-training", description = "only the per-op comparisons")
    boolean skipTraining;

    @Option(names = "--require-cublas",
            description = "fail (exit 3) when GEMM is not cuBLAS but Ravine's tiled kernel (needs the GPU: not with"
                    + " --device cpu, and auto does not fall back to the CPU)")
    boolean requireCublas;

    @Override
    public Integer call() {
        long s = seed != null ? seed : System.nanoTime();
        List<SelfTest.Row> rows = new ArrayList<>();
        if (gpu < 0) {
            throw new io.ravine.InvalidInputException("--gpu must be a device ordinal ≥ 0, got " + gpu);
        }
        if (!device.equals("auto") && !device.equals("cuda") && !device.equals("cpu")) {
            throw new io.ravine.InvalidInputException("--device must be auto, cuda or cpu, not '" + device + "'");
        }
        if (requireCublas && device.equals("cpu")) {
            throw new io.ravine.InvalidInputException("--require-cublas applies to --device cuda only, not '" + device
                    + "'");
        }
        // With --require-cublas the GPU is the point: auto does not fall back to the CPU's checks.
        String resolved = requireCublas ? "cuda" : Devices.resolve(device);
        switch (resolved) {
            case "cuda" -> {
                Devices.cudaUnavailableReason().ifPresent(why -> {
                    throw new CudaUnavailableException("--device cuda: " + why);
                });
                try (CudaBackend plain = CudaBackend.open(gpu, false);
                        CudaBackend tf32 = CudaBackend.open(gpu, true)) {
                    System.out.println(plain.deviceDescription() + ", seed " + s);
                    rows.add(SelfTest.gemmInUse(plain.cublasInfo(), requireCublas));
                    rows.addAll(SelfTest.run(plain, tf32, s));
                    if (!skipTraining) {
                        rows.addAll(TrainingAgreement.compare(plain));
                    }
                }
            }
            case "cpu" -> rows.addAll(cpuGradientChecks(s));
            default -> throw new IllegalStateException(resolved);
        }
        SelfTest.print(rows, System.out);
        return rows.stream().allMatch(SelfTest.Row::pass) ? 0 : Main.EXIT_FAILED;
    }

    private static List<SelfTest.Row> cpuGradientChecks(long seed) {
        List<SelfTest.Row> rows = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(seed);
        for (LossKind loss : LossKind.values()) {
            for (Activation act : Activation.values()) {
                rows.add(gradientCheck(rng, loss, act, false));
            }
        }
        // With batch norm the check is of the batch's mean loss through its statistics (training mode).
        for (Activation act : Activation.values()) {
            rows.add(gradientCheck(rng, LossKind.SOFTMAX_CE, act, true));
        }
        return rows;
    }

    private static SelfTest.Row gradientCheck(SplittableRandom rng, LossKind loss, Activation act, boolean bn) {
        // Identity under BN: a BN layer's β feeding the next BN layer linearly is subtracted again by its mean, a
        // gradient of exactly 0 that no relative error can check; one hidden layer keeps every β live.
        int[] hidden = bn && act == Activation.IDENTITY ? new int[] {5} : new int[] {5, 4};
        Mlp mlp = new Mlp(6, hidden, 3, act, loss, bn);
        double[] theta = rng.doubles(mlp.parameterCount()).map(v -> (v - 0.5) * 1.4).toArray();
        int n = 5;
        float[] x = new float[n * 6];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        float[] y = new float[n * (loss.classIndexTarget() ? 1 : 3)];
        for (int i = 0; i < y.length; i++) {
            y[i] = loss == LossKind.SOFTMAX_CE ? rng.nextInt(3) : (float) rng.nextDouble();
        }
        double worst = GradientCheck.run(CpuBackend.f64(), mlp, theta, x, y, n, Tolerances.GRADCHECK_STEP)
                .stream().mapToDouble(GradientCheck.TensorResult::relativeError).max().orElse(0);
        return new SelfTest.Row("gradcheck", loss.cliName() + " " + act.name().toLowerCase() + (bn ? " batch-norm"
                : ""), worst, Tolerances.GRADCHECK_F64, worst <= Tolerances.GRADCHECK_F64);
    }
}
