package io.ravine.study;

import io.ravine.backend.Backend;
import io.ravine.nn.Initializer;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import io.ravine.optim.Optimizer;
import io.ravine.optim.OptimizerState;
import java.util.SplittableRandom;

/**
 * Times one training update through the code the trainer runs: {@link Model#computeGradient} on a workspace of the
 * batch size, then {@link Optimizer#step}. The backend is synchronized before and after each timed update, so an
 * asynchronous device (CUDA) is timed to completion, not to the end of the launches. The batch is loaded once,
 * before timing: what is measured is the update, not the host-to-device copy of the data.
 *
 * <p>Inputs are synthetic and shaped like normalized Fashion-MNIST: features N(0, 1) (what z-scoring gives),
 * class labels uniform. The cost of an update does not depend on the values (no data-dependent branches in dense
 * layers), except through denormals, which standard-normal inputs and He/Xavier weights do not produce.
 */
public final class UpdateTimer {
    private final Backend backend;
    private final Mlp mlp;
    private final Optimizer optimizer;
    private final int warmup;
    private final double warmupSeconds;
    private final int repeats;
    private final double budgetSeconds;
    private final long seed;

    /**
     * @param warmup untimed updates first (JIT compilation, BLAS thread start-up, allocator and caches warm)
     * @param warmupSeconds keep warming up until this much time has passed too: the CPU backend's elementwise
     *     loops are Java, and until the JIT has compiled them a small batch's update is several times slower
     * @param repeats timed updates (at most)
     * @param budgetSeconds stop repeating once the timed updates of one batch size add up to this, after at least
     *     3 of them (0 = always run all repeats); keeps the largest batch sizes from dominating the study's cost
     */
    public UpdateTimer(Backend backend, Mlp mlp, Optimizer optimizer, int warmup, double warmupSeconds, int repeats,
            double budgetSeconds, long seed) {
        if (warmup < 0 || !(warmupSeconds >= 0) || repeats < 1 || !(budgetSeconds >= 0)) {
            throw new io.ravine.InvalidInputException("warm-up must be ≥ 0, repeats ≥ 1 and the time budget ≥ 0");
        }
        this.warmupSeconds = warmupSeconds;
        this.backend = backend;
        this.mlp = mlp;
        this.optimizer = optimizer;
        this.warmup = warmup;
        this.repeats = repeats;
        this.budgetSeconds = budgetSeconds;
        this.seed = seed;
    }

    /** Times updates at {@code batchSize}. A fresh model per call, so memory of earlier batch sizes is released. */
    public UpdateTiming time(int batchSize) {
        try (Model model = new Model(backend, mlp);
                OptimizerState state = optimizer.init(backend, mlp.parameterCount())) {
            String init = mlp.hiddenActivation() == io.ravine.backend.Activation.RELU ? "he" : "xavier";
            model.setParameters(mlp.initialParameters(Initializer.parse(init), 0.0, seed));
            Model.Workspace ws = model.workspace(batchSize);
            SplittableRandom rng = new SplittableRandom(seed ^ batchSize);
            float[] x = new float[batchSize * mlp.inputDim()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) gaussian(rng);
            }
            boolean indices = mlp.loss().classIndexTarget();
            int k = mlp.outputDim();
            float[] y = new float[batchSize * (indices ? 1 : k)];
            for (int r = 0; r < batchSize; r++) {
                int c = rng.nextInt(k);
                if (indices) {
                    y[r] = c;
                } else {
                    y[r * k + c] = 1;
                }
            }
            ws.load(x, y, batchSize);
            long warmStart = System.nanoTime();
            for (int i = 0; i < warmup || (System.nanoTime() - warmStart) / 1e9 < warmupSeconds; i++) {
                update(model, ws, batchSize, state);
                backend.synchronize();
            }
            double[] seconds = new double[repeats];
            double total = 0;
            int done = 0;
            while (done < repeats && (budgetSeconds == 0 || done < 3 || total < budgetSeconds)) {
                backend.synchronize();
                long start = System.nanoTime();
                update(model, ws, batchSize, state);
                backend.synchronize();
                seconds[done] = (System.nanoTime() - start) / 1e9;
                total += seconds[done];
                done++;
            }
            return UpdateTiming.of(batchSize, java.util.Arrays.copyOf(seconds, done));
        }
    }

    private void update(Model model, Model.Workspace ws, int batchSize, OptimizerState state) {
        model.computeGradient(ws, batchSize);
        optimizer.step(backend, model.theta(), model.gradient(), state);
    }

    private static double gaussian(SplittableRandom rng) {
        // Box–Muller; SplittableRandom has no nextGaussian in Java 17.
        double u = 1.0 - rng.nextDouble();
        double v = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
