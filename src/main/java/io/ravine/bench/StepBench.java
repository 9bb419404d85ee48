package io.ravine.bench;

import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.StepProgram;
import io.ravine.data.Dataset;
import io.ravine.data.ShuffledBatches;
import io.ravine.nn.Initializer;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import io.ravine.optim.Optimizer;
import io.ravine.optim.OptimizerState;
import java.util.EnumMap;
import java.util.Map;

/**
 * Times Ravine's update loop exactly as the PyTorch peer times its own: per step, gather a shuffled batch on the
 * host, copy it to the device, forward, backward and one Adam update; no evaluation, no logging. Full batches only
 * (the partial last batch of an epoch is skipped on both sides), so every timed step does the same work. Where the
 * backend records steps (a CUDA graph), the step is recorded once and replayed, as {@code ravine train} does.
 *
 * <p>A second, shorter pass runs the same step on a {@link PhaseTimingBackend} to say where the time goes.
 */
public final class StepBench {
    /** Adam with PyTorch's defaults (lr 1e-3, β = (0.9, 0.999), ε = 1e-8), as the peer script uses. */
    static final double LEARNING_RATE = 1e-3;

    private StepBench() {
    }

    /**
     * @param samplesPerSecond examples per second over the timed steps
     * @param msPerStep wall milliseconds per timed step
     * @param timedSteps steps timed (after the warm-up)
     * @param phaseMs per step, milliseconds in each phase of the profiled pass (empty when not profiled)
     * @param profiledMsPerStep wall milliseconds per step of the profiled pass (every operation waited for)
     * @param launchesPerStep backend operations per step (kernel launches on CUDA, without a graph)
     * @param operationMs per step, milliseconds in each backend operation of the profiled pass, by name
     * @param device the backend's description
     * @param stagingWaits uploads over the timed steps that found their staging slot still in flight and waited
     *     (CUDA; 0 while the host keeps ahead of the device without running a whole ring ahead), −1 elsewhere
     */
    public record Result(double samplesPerSecond, double msPerStep, int timedSteps, Map<Phase, Double> phaseMs,
            double profiledMsPerStep, double launchesPerStep, Map<String, Double> operationMs, String device,
            long stagingWaits) {

        /** Milliseconds per step not accounted for by any phase: launches, gaps and host overhead. */
        public double otherMs() {
            double sum = phaseMs.values().stream().mapToDouble(Double::doubleValue).sum();
            return Math.max(0, msPerStep - sum);
        }
    }

    /**
     * Runs {@code warmupSteps} untimed steps, then {@code timedSteps} timed ones, then (when
     * {@code profileSteps > 0}) a profiled pass.
     */
    public static Result run(Backend backend, Dataset data, BenchCase c, int warmupSteps, int timedSteps,
            int profileSteps, boolean cudaGraph, long seed) {
        if (timedSteps <= 0 || warmupSteps < 0 || profileSteps < 0) {
            throw new InvalidInputException("bench needs a positive number of timed steps and non-negative"
                    + " warm-up/profile steps");
        }
        if (data.featureDim() != c.inputDim() || data.targetCols() != 1 || data.numClasses() != c.outputDim()) {
            throw new InvalidInputException("bench configuration " + c.model() + " does not fit data '" + data.name()
                    + "' (" + data.featureDim() + " features, " + data.numClasses() + " classes)");
        }
        if (data.n() < c.batchSize()) {
            throw new InvalidInputException("batch size " + c.batchSize() + " is larger than the " + data.n()
                    + " examples of '" + data.name() + "'");
        }
        Mlp mlp = new Mlp(c.inputDim(), c.hiddenWidths(), c.outputDim(), Activation.RELU, LossKind.SOFTMAX_CE);
        Optimizer adam = Optimizer.adam().optLearningRate(LEARNING_RATE).build();
        float[] theta0 = mlp.initialParameters(Initializer.he(), 0.0, seed);
        double seconds;
        long waits;
        try (Loop loop = new Loop(backend, data, mlp, adam, c.batchSize(), theta0, seed)) {
            loop.steps(warmupSteps, cudaGraph);
            backend.synchronize();
            long waits0 = stagingWaits(backend);
            long start = System.nanoTime();
            loop.steps(timedSteps, cudaGraph);
            backend.synchronize();
            seconds = (System.nanoTime() - start) / 1e9;
            waits = waits0 < 0 ? -1 : stagingWaits(backend) - waits0;
        }
        Map<Phase, Double> phaseMs = new EnumMap<>(Phase.class);
        Map<String, Double> opMs = new java.util.TreeMap<>();
        double profiledMs = Double.NaN;
        double launches = Double.NaN;
        if (profileSteps > 0) {
            PhaseTimingBackend timing = new PhaseTimingBackend(backend);
            try (Loop loop = new Loop(timing, data, mlp, adam, c.batchSize(), theta0, seed)) {
                loop.steps(Math.min(3, profileSteps), false); // first touches of the new buffers
                timing.reset();
                long start = System.nanoTime();
                loop.steps(profileSteps, false);
                profiledMs = (System.nanoTime() - start) / 1e6 / profileSteps;
            }
            for (Map.Entry<Phase, Long> e : timing.nanos().entrySet()) {
                phaseMs.put(e.getKey(), e.getValue() / 1e6 / profileSteps);
            }
            timing.operationNanos().forEach((name, ns) -> opMs.put(name, ns / 1e6 / profileSteps));
            long ops = timing.calls().entrySet().stream().filter(e -> e.getKey() != Phase.DATA)
                    .mapToLong(Map.Entry::getValue).sum();
            launches = (double) ops / profileSteps;
        }
        double msPerStep = seconds * 1e3 / timedSteps;
        return new Result((double) timedSteps * c.batchSize() / seconds, msPerStep, timedSteps, phaseMs, profiledMs,
                launches, opMs, backend.deviceDescription(), waits);
    }

    private static long stagingWaits(Backend backend) {
        return backend instanceof io.ravine.backend.cuda.CudaBackend cuda ? cuda.stagingWaits() : -1;
    }

    /** The model, optimizer state and batch buffers of one timed loop. */
    private static final class Loop implements AutoCloseable {
        private final Backend backend;
        private final Dataset data;
        private final Model model;
        private final Optimizer adam;
        private final OptimizerState state;
        private final ShuffledBatches batches;
        private final Model.Workspace ws;
        private final int batchSize;
        private final int fullBatches;
        private StepProgram program;
        private boolean recordTried;
        private long step;
        private int[] perm;
        private int permEpoch = -1;

        Loop(Backend backend, Dataset data, Mlp mlp, Optimizer adam, int batchSize, float[] theta0, long seed) {
            this.backend = backend;
            this.data = data;
            this.adam = adam;
            this.batchSize = batchSize;
            model = new Model(backend, mlp);
            model.setParameters(theta0);
            state = adam.init(backend, mlp.parameterCount());
            batches = new ShuffledBatches(data.n(), batchSize, seed);
            fullBatches = data.n() / batchSize;
            ws = model.workspace(batchSize);
        }

        /** Runs {@code count} steps. */
        void steps(int count, boolean cudaGraph) {
            for (int i = 0; i < count; i++) {
                int epoch = (int) (step / fullBatches);
                int bi = (int) (step % fullBatches);
                if (epoch != permEpoch) {
                    perm = batches.permutation(epoch);
                    permEpoch = epoch;
                }
                // The gather happens inside the backend's copy (straight into its transfer buffer), so the
                // profile's DATA phase counts both.
                ws.loadBatch(data, batches, perm, bi);
                long t = step + 1;
                if (cudaGraph && !recordTried) {
                    recordTried = true; // the CPU records nothing: ask once, not every step
                    program = backend.record(() -> {
                        model.computeGradient(ws, batchSize);
                        backend.optimizerStep(adam.rule(), model.theta(), model.gradient(), state.tensors(),
                                adam.paramsFor(1));
                    });
                }
                if (program != null) {
                    program.replay(adam.paramsFor(t));
                    state.advance();
                } else {
                    model.computeGradient(ws, batchSize);
                    adam.step(backend, model.theta(), model.gradient(), state);
                }
                step = t;
            }
        }

        @Override
        public void close() {
            if (program != null) {
                program.close();
            }
            state.close();
            model.close();
        }
    }
}
