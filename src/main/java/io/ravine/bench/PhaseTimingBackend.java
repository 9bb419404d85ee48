package io.ravine.bench;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.DType;
import io.ravine.backend.LossKind;
import io.ravine.backend.RefusedUpdate;
import io.ravine.backend.StepParams;
import io.ravine.backend.Tensor;
import io.ravine.backend.UpdateRule;
import java.util.EnumMap;
import java.util.Map;

/**
 * A backend that forwards every operation to another and charges the wall time of each one, waited for with
 * {@link Backend#synchronize()}, to a {@link Phase}. Waiting after each operation is what makes per-phase times
 * meaningful on an asynchronous device, and it is also why a profiled step is slower than a free-running one: on
 * CUDA each operation then pays a launch and a round trip, which the caller reports as launches/gaps (the free
 * step time minus the device work). Tensors are the wrapped backend's own, so a model built on this backend can be
 * handed to the plain one and back. It never records a {@link io.ravine.backend.StepProgram}: a replayed graph
 * would hide the operations being timed.
 */
public final class PhaseTimingBackend implements Backend {
    private final Backend inner;
    private final EnumMap<Phase, Long> nanos = new EnumMap<>(Phase.class);
    private final EnumMap<Phase, Long> calls = new EnumMap<>(Phase.class);
    private final Map<String, Long> opNanos = new java.util.TreeMap<>();
    private final long idleSyncNanos;

    public PhaseTimingBackend(Backend inner) {
        this.inner = inner;
        reset();
        idleSyncNanos = measureIdleSync(inner);
    }

    /**
     * The median cost of waiting on an idle device, subtracted from every timed operation so that a CUDA launch
     * round trip is not counted as kernel time (zero on the CPU, where operations finish before they return).
     */
    private static long measureIdleSync(Backend b) {
        long[] t = new long[31];
        for (int i = 0; i < t.length; i++) {
            long s = System.nanoTime();
            b.synchronize();
            t[i] = System.nanoTime() - s;
        }
        java.util.Arrays.sort(t);
        return t[t.length / 2];
    }

    public void reset() {
        for (Phase p : Phase.values()) {
            nanos.put(p, 0L);
            calls.put(p, 0L);
        }
        opNanos.clear();
    }

    /** Nanoseconds charged to each backend operation by name (e.g. {@code gemm}, {@code columnSum}). */
    public Map<String, Long> operationNanos() {
        return new java.util.TreeMap<>(opNanos);
    }

    /** Charges host-side work (batch gather) that the caller timed itself. */
    public void charge(Phase phase, long elapsedNanos) {
        nanos.merge(phase, elapsedNanos, Long::sum);
        calls.merge(phase, 1L, Long::sum);
    }

    /** Nanoseconds charged to each phase since the last {@link #reset()}. */
    public Map<Phase, Long> nanos() {
        return new EnumMap<>(nanos);
    }

    /** Operations charged to each phase since the last {@link #reset()} (launches, on CUDA). */
    public Map<Phase, Long> calls() {
        return new EnumMap<>(calls);
    }

    private void timed(Phase phase, String name, Runnable op) {
        long start = System.nanoTime();
        op.run();
        inner.synchronize();
        long t = Math.max(0, System.nanoTime() - start - idleSyncNanos);
        charge(phase, t);
        opNanos.merge(name, t, Long::sum);
    }

    private double timedScalar(Phase phase, String name, java.util.function.DoubleSupplier op) {
        long start = System.nanoTime();
        double v = op.getAsDouble();
        long t = Math.max(0, System.nanoTime() - start - idleSyncNanos);
        charge(phase, t);
        opNanos.merge(name, t, Long::sum);
        return v;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public String deviceDescription() {
        return inner.deviceDescription();
    }

    @Override
    public DType dtype() {
        return inner.dtype();
    }

    @Override
    public Tensor allocate(int rows, int cols) {
        return inner.allocate(rows, cols);
    }

    @Override
    public void copyFromHost(float[] src, int srcOffset, Tensor dst) {
        timed(Phase.DATA, "copyFromHost", () -> inner.copyFromHost(src, srcOffset, dst));
    }

    @Override
    public void copyRowsFromHost(io.ravine.backend.HostRows rows, Tensor dst) {
        timed(Phase.DATA, "copyRowsFromHost", () -> inner.copyRowsFromHost(rows, dst));
    }

    @Override
    public void copyFromHost(double[] src, int srcOffset, Tensor dst) {
        timed(Phase.DATA, "copyFromHost", () -> inner.copyFromHost(src, srcOffset, dst));
    }

    @Override
    public void copyToHost(Tensor src, float[] dst, int dstOffset) {
        timed(Phase.DATA, "copyToHost", () -> inner.copyToHost(src, dst, dstOffset));
    }

    @Override
    public void copyToHost(Tensor src, double[] dst, int dstOffset) {
        timed(Phase.DATA, "copyToHost", () -> inner.copyToHost(src, dst, dstOffset));
    }

    @Override
    public void fill(Tensor x, double value) {
        timed(Phase.ELEMENTWISE, "fill", () -> inner.fill(x, value));
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        timed(Phase.ELEMENTWISE, "copy", () -> inner.copy(src, dst));
    }

    @Override
    public void axpy(double alpha, Tensor x, Tensor y) {
        timed(Phase.ELEMENTWISE, "axpy", () -> inner.axpy(alpha, x, y));
    }

    @Override
    public void scale(double alpha, Tensor x) {
        timed(Phase.ELEMENTWISE, "scale", () -> inner.scale(alpha, x));
    }

    @Override
    public double dot(Tensor x, Tensor y) {
        return timedScalar(Phase.ELEMENTWISE, "dot", () -> inner.dot(x, y));
    }

    @Override
    public double sumOfSquares(Tensor x) {
        return timedScalar(Phase.ELEMENTWISE, "sumOfSquares", () -> inner.sumOfSquares(x));
    }

    @Override
    public double sum(Tensor x) {
        return timedScalar(Phase.ELEMENTWISE, "sum", () -> inner.sum(x));
    }

    @Override
    public double sumOfAbs(Tensor x) {
        return timedScalar(Phase.ELEMENTWISE, "sumOfAbs", () -> inner.sumOfAbs(x));
    }

    @Override
    public double maxAbs(Tensor x) {
        return timedScalar(Phase.ELEMENTWISE, "maxAbs", () -> inner.maxAbs(x));
    }

    @Override
    public void gemm(boolean transA, boolean transB, double alpha, Tensor a, Tensor b, double beta, Tensor c) {
        timed(Phase.GEMM, "gemm", () -> inner.gemm(transA, transB, alpha, a, b, beta, c));
    }

    @Override
    public void biasActivationForward(Tensor z, Tensor bias, Activation act, Tensor out) {
        timed(Phase.ELEMENTWISE, "biasActivationForward", () -> inner.biasActivationForward(z, bias, act, out));
    }

    @Override
    public void activationBackward(Activation act, Tensor out, Tensor dOut, Tensor dz) {
        timed(Phase.ELEMENTWISE, "activationBackward", () -> inner.activationBackward(act, out, dOut, dz));
    }

    @Override
    public void columnSum(Tensor x, Tensor sums) {
        timed(Phase.ELEMENTWISE, "columnSum", () -> inner.columnSum(x, sums));
    }

    @Override
    public void batchNormTrainingForward(Tensor z, Tensor gamma, Tensor beta, double eps, Activation act, Tensor out,
            Tensor saveMean, Tensor saveInvStd, Tensor runningMean, Tensor runningVar, double momentum) {
        timed(Phase.ELEMENTWISE, "batchNormTrainingForward", () -> inner.batchNormTrainingForward(z, gamma, beta, eps,
                act, out, saveMean, saveInvStd, runningMean, runningVar, momentum));
    }

    @Override
    public void batchNormEvaluationForward(Tensor z, Tensor gamma, Tensor beta, Tensor runningMean,
            Tensor runningVar, double eps, Activation act, Tensor out) {
        timed(Phase.ELEMENTWISE, "batchNormEvaluationForward", () -> inner.batchNormEvaluationForward(z, gamma, beta,
                runningMean, runningVar, eps, act, out));
    }

    @Override
    public void batchNormBackward(Tensor z, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dy, Tensor dz,
            Tensor dGamma, Tensor dBeta) {
        timed(Phase.ELEMENTWISE, "batchNormBackward", () -> inner.batchNormBackward(z, gamma, saveMean, saveInvStd,
                dy, dz, dGamma, dBeta));
    }

    @Override
    public void lossForwardBackward(LossKind loss, Tensor out, Tensor target, Tensor lossPerRow, Tensor dOut,
            double gradScale) {
        timed(Phase.ELEMENTWISE, "lossForwardBackward",
                () -> inner.lossForwardBackward(loss, out, target, lossPerRow, dOut, gradScale));
    }

    @Override
    public void optimizerStep(UpdateRule rule, Tensor theta, Tensor grad, Tensor[] state, StepParams p) {
        timed(Phase.OPTIMIZER, "optimizerStep", () -> inner.optimizerStep(rule, theta, grad, state, p));
    }

    @Override
    public void emaUpdate(Tensor avg, Tensor theta, double decay) {
        timed(Phase.OPTIMIZER, "emaUpdate", () -> inner.emaUpdate(avg, theta, decay));
    }

    @Override
    public RefusedUpdate refusedUpdate() {
        return inner.refusedUpdate();
    }

    @Override
    public void clearRefusedUpdate() {
        inner.clearRefusedUpdate();
    }

    @Override
    public boolean completesOnReturn() {
        return inner.completesOnReturn();
    }

    @Override
    public void synchronize() {
        inner.synchronize();
    }

    /** Closes nothing: the wrapped backend belongs to the caller. */
    @Override
    public void close() {
    }
}
