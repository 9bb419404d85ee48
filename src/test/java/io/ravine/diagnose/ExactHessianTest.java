package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.Tensor;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.Dataset;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The R-operator's H·v against the exact Hessian of small models: H assembled column by column from the product
 * (H eᵢ) equals the Hessian from hyper-dual numbers ({@link HyperDual}, the loss written out again in scalar code),
 * entry by entry and in its eigenvalues (Jacobi), for every activation and loss; it is symmetric to rounding.
 */
class ExactHessianTest {
    /**
     * Both sides are exact but for rounding: sums of at most N·width ≈ 40 terms per entry, u ≈ 1.1e-16, so ≈ 1e-14
     * relative to the largest entry; 1e-11 leaves three orders of margin. The Gauss-Newton matrix (the φ'' and
     * δ·V terms dropped) is off by order 1e-2 to 1 here, and so is any wrong sign or factor.
     */
    private static final double EXACT = 1e-11;

    static Stream<Arguments> models() {
        List<Arguments> out = new ArrayList<>();
        for (Activation act : Activation.values()) {
            for (LossKind loss : LossKind.values()) {
                out.add(Arguments.of(act, loss, new int[] {4}));
            }
        }
        out.add(Arguments.of(Activation.TANH, LossKind.SOFTMAX_CE, new int[] {4, 3}));
        out.add(Arguments.of(Activation.LOGISTIC, LossKind.MSE, new int[] {3, 4}));
        out.add(Arguments.of(Activation.RELU, LossKind.LOGISTIC_CE, new int[] {5, 3}));
        out.add(Arguments.of(Activation.IDENTITY, LossKind.MSE, new int[0]));
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("models")
    void assembledProductIsTheExactHessian(Activation act, LossKind loss, int[] hidden) {
        int in = 3;
        int k = 3;
        int n = 9;
        Mlp mlp = new Mlp(in, hidden, k, act, loss);
        SplittableRandom rng = new SplittableRandom(41 + act.ordinal() * 7L + loss.ordinal());
        float[] x = new float[n * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        float[] t = HyperDual.targets(loss, n, k, rng);
        double[] theta = new double[mlp.parameterCount()];
        for (int i = 0; i < theta.length; i++) {
            theta[i] = (float) (0.8 * rng.nextGaussian()); // float-representable, as a checkpoint's θ
        }
        Dataset data = new Dataset("tiny", n, in, x, loss == LossKind.SOFTMAX_CE ? 1 : k, t,
                loss == LossKind.SOFTMAX_CE ? k : 0);
        double[][] exact = HyperDual.hessian(mlp, theta, x, t, n);
        // capacity 4: three chunks, so the accumulation over chunks is part of what is checked.
        double[][] h = assemble(mlp, theta, data, 4);
        int p = theta.length;
        double scale = 0;
        for (double[] row : exact) {
            for (double v : row) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < p; j++) {
                assertEquals(exact[i][j], h[i][j], EXACT * scale, act + " " + loss + " H[" + i + "][" + j + "]");
                assertEquals(h[j][i], h[i][j], EXACT * scale, "symmetric at " + i + ", " + j);
            }
        }
        double[] ours = JacobiEigen.eigenvalues(h);
        double[] reference = JacobiEigen.eigenvalues(exact);
        for (int i = 0; i < p; i++) {
            assertEquals(reference[i], ours[i], EXACT * scale, "eigenvalue " + i);
        }
        if (hidden.length > 0 && !(act == Activation.RELU && loss == LossKind.MSE)) {
            // The full Hessian of a network with a hidden layer is indefinite at a random θ; Gauss-Newton never is,
            // so agreeing with this oracle rules it out.
            assertTrue(reference[p - 1] < -1e-6 * scale, act + " " + loss + ": λ_min " + reference[p - 1]);
        }
    }

    @Test
    void theROperatorNeedsTheFloat64CpuBackend() {
        Mlp mlp = new Mlp(2, new int[0], 1, Activation.IDENTITY, LossKind.MSE);
        Dataset data = new Dataset("d", 2, 2, new float[] {1, 2, 3, 4}, 1, new float[] {1, 2}, 0);
        try (Model m = new Model(CpuBackend.f32(), mlp)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new HessianVectorProduct(m, data, 8, HessianVectorProduct.Method.R_OPERATOR));
            assertTrue(e.getMessage().contains("float64 CPU backend"), e.getMessage());
        }
        try (Model m = new Model(CpuBackend.f64(), mlp); HessianVectorProduct h = new HessianVectorProduct(m, data, 8)) {
            assertEquals(HessianVectorProduct.Method.R_OPERATOR, h.method(), "the default on float64");
        }
    }

    /** H by columns: H eᵢ from the float64 R-operator. */
    static double[][] assemble(Mlp mlp, double[] theta, Dataset data, int capacity) {
        Backend b = CpuBackend.f64();
        int p = theta.length;
        double[][] h = new double[p][];
        try (Model m = new Model(b, mlp);
                HessianVectorProduct hvp = new HessianVectorProduct(m, data, capacity,
                        HessianVectorProduct.Method.R_OPERATOR);
                Tensor e = b.allocateVector(p);
                Tensor out = b.allocateVector(p)) {
            m.setParameters(theta);
            for (int i = 0; i < p; i++) {
                double[] unit = new double[p];
                unit[i] = 1;
                b.copyFromHost(unit, 0, e);
                hvp.apply(e, out);
                h[i] = b.toDoubleArray(out); // column i = row i, H being symmetric (checked)
            }
        }
        double[][] rows = new double[p][p];
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < p; j++) {
                rows[j][i] = h[i][j];
            }
        }
        return rows;
    }
}
