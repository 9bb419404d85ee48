package io.ravine.optim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.Tensor;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link GaussNewtonProduct} against an explicit G = (1/N) Σ_n J_nᵀ H_n J_n on a 3-4-3 network: J_n column by
 * column from central differences of the forward pass in float64 (error ~1e-10), H_n the loss's Hessian in the
 * scores written out (softmax-ce diag(p) − ppᵀ, logistic-ce diag(σ(1 − σ)), MSE I). With batch normalization
 * (3-4-4-3, BN in both hidden layers) J_n is the Jacobian of row n's training-mode scores, which depend on every row
 * of the batch through its statistics; γ, β away from (1, 0).
 */
class GaussNewtonProductTest {
    private static final int N = 6;

    @ParameterizedTest
    @CsvSource({"SOFTMAX_CE, TANH, false", "LOGISTIC_CE, LOGISTIC, false", "MSE, RELU, false",
            "SOFTMAX_CE, TANH, true", "LOGISTIC_CE, LOGISTIC, true", "MSE, RELU, true", "SOFTMAX_CE, RELU, true"})
    void productsMatchAnExplicitJtHJInFloat64AndFloat32(LossKind loss, Activation act, boolean batchNorm) {
        Mlp mlp = batchNorm ? new Mlp(3, new int[] {4, 4}, 3, act, loss, true) : new Mlp(3, new int[] {4}, 3, act,
                loss);
        int p = mlp.parameterCount();
        SplittableRandom rng = new SplittableRandom(21);
        float[] x = new float[N * 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        float[] t = new float[loss == LossKind.SOFTMAX_CE ? N : N * 3];
        for (int i = 0; i < t.length; i++) {
            t[i] = loss == LossKind.SOFTMAX_CE ? rng.nextInt(3) : loss == LossKind.LOGISTIC_CE ? rng.nextInt(2)
                    : (float) rng.nextGaussian();
        }
        double[] theta = new double[p];
        double[] v = new double[p];
        for (int i = 0; i < p; i++) {
            theta[i] = 0.7 * rng.nextGaussian();
            v[i] = rng.nextGaussian();
        }
        for (int k = 0; batchNorm && k < mlp.layerCount() - 1; k++) {
            for (int j = 0; j < mlp.fanOut(k); j++) {
                theta[mlp.gammaOffset(k) + j] = 0.6 + 0.3 * j;
            }
        }
        double[] expected = explicitProduct(mlp, x, t, theta, v);
        double f64 = error(CpuBackend.f64(), mlp, x, t, theta, v, expected);
        double f32 = error(CpuBackend.f32(), mlp, x, t, theta, v, expected);
        System.out.printf("Gauss-Newton product vs explicit JᵀHJ (%s, %s%s): float64 %.2g, float32 %.2g%n", loss,
                act, batchNorm ? ", batch norm" : "", f64, f32);
        assertTrue(f64 < 1e-8, "float64 relative error " + f64);
        // float32: the R-pass and backprop in float32 (~1e-6), the loss's H_L by central differences (~1e-4).
        assertTrue(f32 < 1e-3, "float32 relative error " + f32);
    }

    private static double error(Backend backend, Mlp mlp, float[] x, float[] t, double[] theta, double[] v,
            double[] expected) {
        try (backend; Model model = new Model(backend, mlp); GaussNewtonProduct g = new GaussNewtonProduct(model, N);
                Tensor vt = backend.allocateVector(mlp.parameterCount());
                Tensor out = backend.allocateVector(mlp.parameterCount())) {
            model.setParameters(theta);
            Model.Workspace ws = model.workspace(N);
            ws.load(x, t, N);
            g.expandAt(ws.input(), ws.target(), N);
            backend.copyFromHost(v, 0, vt);
            g.apply(vt, out);
            double[] got = backend.toDoubleArray(out);
            double e = 0;
            double n = 0;
            for (int i = 0; i < got.length; i++) {
                e += (got[i] - expected[i]) * (got[i] - expected[i]);
                n += expected[i] * expected[i];
            }
            return Math.sqrt(e / n);
        }
    }

    /** (1/N) Σ_n J_nᵀ H_n J_n v with J from central differences of the float64 forward pass. */
    private static double[] explicitProduct(Mlp mlp, float[] x, float[] t, double[] theta, double[] v) {
        int p = mlp.parameterCount();
        int k = mlp.outputDim();
        double[][] jac = new double[N * k][p];
        double[] z0;
        try (Backend backend = CpuBackend.f64(); Model model = new Model(backend, mlp)) {
            Model.Workspace ws = model.workspace(N);
            ws.load(x, t, N);
            z0 = scores(model, ws, theta);
            double h = 1e-5;
            for (int j = 0; j < p; j++) {
                double[] plus = theta.clone();
                double[] minus = theta.clone();
                plus[j] += h;
                minus[j] -= h;
                double[] zp = scores(model, ws, plus);
                double[] zm = scores(model, ws, minus);
                for (int r = 0; r < N * k; r++) {
                    jac[r][j] = (zp[r] - zm[r]) / (2 * h);
                }
            }
        }
        double[] jv = new double[N * k];
        for (int r = 0; r < N * k; r++) {
            for (int j = 0; j < p; j++) {
                jv[r] += jac[r][j] * v[j];
            }
        }
        double[] hjv = new double[N * k];
        for (int n = 0; n < N; n++) {
            double[][] hl = new double[k][k];
            double[] z = new double[k];
            System.arraycopy(z0, n * k, z, 0, k);
            switch (mlp.loss()) {
                case MSE -> {
                    for (int a = 0; a < k; a++) {
                        hl[a][a] = 1;
                    }
                }
                case LOGISTIC_CE -> {
                    for (int a = 0; a < k; a++) {
                        double s = 1 / (1 + Math.exp(-z[a]));
                        hl[a][a] = s * (1 - s);
                    }
                }
                case SOFTMAX_CE -> {
                    double max = Double.NEGATIVE_INFINITY;
                    for (double zi : z) {
                        max = Math.max(max, zi);
                    }
                    double[] pr = new double[k];
                    double sum = 0;
                    for (int a = 0; a < k; a++) {
                        pr[a] = Math.exp(z[a] - max);
                        sum += pr[a];
                    }
                    for (int a = 0; a < k; a++) {
                        pr[a] /= sum;
                    }
                    for (int a = 0; a < k; a++) {
                        for (int b = 0; b < k; b++) {
                            hl[a][b] = (a == b ? pr[a] : 0) - pr[a] * pr[b];
                        }
                    }
                }
            }
            for (int a = 0; a < k; a++) {
                for (int b = 0; b < k; b++) {
                    hjv[n * k + a] += hl[a][b] * jv[n * k + b] / N;
                }
            }
        }
        double[] out = new double[p];
        for (int j = 0; j < p; j++) {
            for (int r = 0; r < N * k; r++) {
                out[j] += jac[r][j] * hjv[r];
            }
        }
        return out;
    }

    /** The scores the product linearizes: training mode under BN (the batch's statistics, not updated). */
    private static double[] scores(Model model, Model.Workspace ws, double[] theta) {
        model.setParameters(theta);
        boolean bn = model.mlp().batchNorm();
        return model.backend().toDoubleArray(bn ? model.forwardTraining(ws, N, false) : model.forward(ws, N));
    }
}
