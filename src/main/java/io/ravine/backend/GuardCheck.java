package io.ravine.backend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Checks, on any backend, that the guard of {@link Backend#optimizerStep} does what its contract says: a NaN or an
 * infinity in the gradient (with and without clipping, through a recorded program too) or a non-finite training
 * loss makes the update a no-op, bit for bit, for every rule, and latches the step and the cause; later updates and
 * the iterate average wait until the refusal is cleared; an evaluation's non-finite loss (no gradient) refuses
 * nothing. The JUnit tests run it on the CPU backends and ({@code @Tag("gpu")}) on CUDA, and
 * {@code ravine selftest --device cuda} reports it, so the fused kernels are held to the same contract.
 */
public final class GuardCheck {
    /** One property of the guard and whether the backend has it. */
    public record Check(String name, boolean pass, String detail) {
    }

    private static final int N = 10_007; // not a multiple of any block or vector width
    private static final long STEP = 41;

    private final Backend backend;
    private final SplittableRandom rng;
    private final List<Check> checks = new ArrayList<>();

    private GuardCheck(Backend backend, long seed) {
        this.backend = backend;
        this.rng = new SplittableRandom(seed);
    }

    /**
     * Runs every check on {@code backend}, leaving no refusal behind.
     *
     * @param backend the backend to check
     * @param seed the inputs' seed
     * @return one result per check
     */
    public static List<Check> run(Backend backend, long seed) {
        GuardCheck c = new GuardCheck(backend, seed);
        try {
            for (UpdateRule rule : UpdateRule.values()) {
                if (rule.closureBased()) {
                    continue; // no fused update to guard: those rules keep NaN out of θ themselves (ClosureOptimizer)
                }
                c.nonFiniteGradient(rule, Float.POSITIVE_INFINITY, N - 1, 0.0);
                c.nonFiniteGradient(rule, Float.NaN, N / 3, 0.0);
                c.nonFiniteGradient(rule, Float.NEGATIVE_INFINITY, 0, 1.0);
            }
            c.stickyUntilCleared();
            c.nonFiniteLoss();
            c.recordedStep();
        } finally {
            backend.clearRefusedUpdate();
        }
        return List.copyOf(c.checks);
    }

    private float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rng.nextDouble(-1, 1));
        }
        return a;
    }

    private static StepParams params(long t, double clipNorm) {
        return new StepParams(0.01, 0.9, 0.9, 0.999, 1e-8, 0.1, 0.01, clipNorm, 1 - Math.pow(0.9, t),
                1 - Math.pow(0.999, t), t);
    }

    private Tensor upload(float[] values) {
        Tensor t = backend.allocateVector(values.length);
        backend.copyFromHost(values, 0, t);
        return t;
    }

    private static String describe(RefusedUpdate r) {
        return r == null ? "none latched" : "latched step " + r.step() + " (" + r.cause() + ")";
    }

    private void nonFiniteGradient(UpdateRule rule, float bad, int at, double clipNorm) {
        backend.clearRefusedUpdate();
        float[] theta0 = random(N);
        float[][] state0 = new float[rule.stateCount()][];
        Tensor theta = upload(theta0);
        float[] g = random(N);
        g[at] = bad;
        Tensor grad = upload(g);
        Tensor[] state = new Tensor[rule.stateCount()];
        for (int s = 0; s < state.length; s++) {
            // Positive, as a second moment must be; any values do for the first.
            float[] v = random(N);
            for (int i = 0; i < N; i++) {
                v[i] = Math.abs(v[i]);
            }
            state0[s] = v;
            state[s] = upload(v);
        }
        try {
            backend.optimizerStep(rule, theta, grad, state, params(STEP, clipNorm));
            RefusedUpdate r = backend.refusedUpdate();
            boolean same = Arrays.equals(backend.toFloatArray(theta), theta0);
            for (int s = 0; s < state.length; s++) {
                same &= Arrays.equals(backend.toFloatArray(state[s]), state0[s]);
            }
            boolean latched = r != null && r.step() == STEP && r.cause() == RefusedUpdate.Cause.GRADIENT;
            checks.add(new Check(String.format("%s: %s gradient at [%d]%s", rule.cliName(), bad, at,
                    clipNorm > 0 ? ", clipping" : ""), same && latched,
                    (same ? "θ and state unchanged" : "θ or state CHANGED") + ", " + describe(r)));
        } finally {
            theta.close();
            grad.close();
            for (Tensor s : state) {
                s.close();
            }
        }
    }

    /** After a refusal, finite updates and the average wait; after clearing, an update applies again. */
    private void stickyUntilCleared() {
        backend.clearRefusedUpdate();
        float[] theta0 = random(N);
        float[] avg0 = random(N);
        float[] g = random(N);
        try (Tensor theta = upload(theta0); Tensor avg = upload(avg0); Tensor grad = upload(g)) {
            float[] bad = g.clone();
            bad[7] = Float.POSITIVE_INFINITY;
            backend.copyFromHost(bad, 0, grad);
            backend.optimizerStep(UpdateRule.SGD, theta, grad, new Tensor[0], params(5, 0));
            backend.copyFromHost(g, 0, grad);
            backend.optimizerStep(UpdateRule.SGD, theta, grad, new Tensor[0], params(6, 0));
            backend.emaUpdate(avg, theta, 0.5);
            RefusedUpdate r = backend.refusedUpdate();
            boolean waited = Arrays.equals(backend.toFloatArray(theta), theta0)
                    && Arrays.equals(backend.toFloatArray(avg), avg0) && r != null && r.step() == 5;
            checks.add(new Check("later updates and the average wait", waited, describe(r)));
            backend.clearRefusedUpdate();
            backend.optimizerStep(UpdateRule.SGD, theta, grad, new Tensor[0], params(7, 0));
            boolean applied = !Arrays.equals(backend.toFloatArray(theta), theta0) && backend.refusedUpdate() == null;
            checks.add(new Check("cleared: a finite update applies", applied, applied ? "applied" : "NOT applied"));
        }
    }

    /** A non-finite training loss refuses the next update; an evaluation's does not. */
    private void nonFiniteLoss() {
        int rows = 37;
        int cols = 3;
        for (boolean training : new boolean[] {true, false}) {
            backend.clearRefusedUpdate();
            float[] out = random(rows * cols);
            float[] target = random(rows * cols);
            // A forward pass that produced a NaN score, and one whose ½(z − t)² overflows float32 (in float64 it
            // does not, which is why the NaN is there too).
            out[5 * cols + 1] = Float.NaN;
            out[rows * cols - 1] = 3e38f;
            target[rows * cols - 1] = -3e38f;
            float[] theta0 = random(N);
            try (Tensor z = backend.allocate(rows, cols); Tensor t = backend.allocate(rows, cols);
                    Tensor loss = backend.allocate(rows, 1); Tensor dOut = backend.allocate(rows, cols);
                    Tensor theta = upload(theta0); Tensor grad = upload(random(N))) {
                backend.copyFromHost(out, 0, z);
                backend.copyFromHost(target, 0, t);
                backend.lossForwardBackward(LossKind.MSE, z, t, loss, training ? dOut : null, 1.0 / rows);
                backend.optimizerStep(UpdateRule.SGD, theta, grad, new Tensor[0], params(STEP, 0));
                RefusedUpdate r = backend.refusedUpdate();
                boolean unchanged = Arrays.equals(backend.toFloatArray(theta), theta0);
                boolean pass = training ? unchanged && r != null && r.step() == STEP
                        && r.cause() == RefusedUpdate.Cause.LOSS : !unchanged && r == null;
                checks.add(new Check(training ? "non-finite training loss refuses the update"
                        : "non-finite evaluation loss (no gradient) refuses nothing", pass, describe(r)));
            }
        }
    }

    /** The guard is part of a recorded step: a replay with an infinite gradient changes nothing. */
    private void recordedStep() {
        backend.clearRefusedUpdate();
        float[] theta0 = random(N);
        float[] g = random(N);
        try (Tensor theta = upload(theta0); Tensor grad = upload(g); Tensor m = upload(new float[N]);
                Tensor v = upload(new float[N])) {
            Tensor[] state = {m, v};
            StepProgram program = backend.record(() -> backend.optimizerStep(UpdateRule.ADAM, theta, grad, state,
                    params(1, 0)));
            if (program == null) {
                return; // this backend does not record (the CPU): nothing to check
            }
            try (program) {
                g[N / 2] = Float.NaN;
                backend.copyFromHost(g, 0, grad);
                program.replay(params(3, 0));
                RefusedUpdate r = backend.refusedUpdate();
                boolean pass = Arrays.equals(backend.toFloatArray(theta), theta0) && r != null && r.step() == 3
                        && r.cause() == RefusedUpdate.Cause.GRADIENT;
                checks.add(new Check("recorded step replayed with a NaN gradient", pass, describe(r)));
            }
        }
    }
}
