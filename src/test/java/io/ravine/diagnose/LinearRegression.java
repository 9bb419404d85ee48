package io.ravine.diagnose;

import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.data.Dataset;
import io.ravine.nn.Mlp;
import java.util.SplittableRandom;

/**
 * Linear regression with MSE, J(θ) = (1/N) Σ ½‖W x_n + b − t_n‖²: a quadratic in θ whose Hessian the test can write
 * down. With x̃ = (x, 1) and C = (1/N) Σ x̃ x̃ᵀ, and Ravine's θ layout (W [K, d] row-major, then b [K]):
 * H[(k, i), (l, j)] = δ_kl C_ij, where W_ki sits at k·d + i and b_k at K·d + k. So H is C ⊗ I_K up to the
 * permutation of the layout, and each eigenvalue of C appears K times.
 */
final class LinearRegression {
    final int n;
    final int d;
    final int k;
    final float[] x;
    final float[] t;
    final Mlp mlp;
    final double[] theta;

    /**
     * @param featureScale feature i is drawn from N(0, featureScale^(2i)) plus a mean of 0.3, so C has spread,
     *     well-separated eigenvalues
     */
    LinearRegression(int n, int d, int k, double featureScale, long seed) {
        this.n = n;
        this.d = d;
        this.k = k;
        SplittableRandom rng = new SplittableRandom(seed);
        x = new float[n * d];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < d; i++) {
                x[r * d + i] = (float) (0.3 + Math.pow(featureScale, i) * rng.nextGaussian());
            }
        }
        t = new float[n * k];
        for (int i = 0; i < t.length; i++) {
            t[i] = (float) rng.nextGaussian();
        }
        mlp = new Mlp(d, new int[0], k, Activation.IDENTITY, LossKind.MSE);
        theta = new double[mlp.parameterCount()];
        for (int i = 0; i < theta.length; i++) {
            theta[i] = 0.5 * rng.nextGaussian();
        }
    }

    /** Given data: {@code x} n × d, targets {@code t} n × k, expansion point {@code theta}. */
    LinearRegression(int n, int d, int k, float[] x, float[] t, double[] theta) {
        this.n = n;
        this.d = d;
        this.k = k;
        this.x = x;
        this.t = t;
        mlp = new Mlp(d, new int[0], k, Activation.IDENTITY, LossKind.MSE);
        if (theta.length != mlp.parameterCount() || x.length != n * d || t.length != n * k) {
            throw new IllegalArgumentException("shapes do not match");
        }
        this.theta = theta;
    }

    Dataset dataset() {
        return new Dataset("linear-regression", n, d, x, k, t, 0);
    }

    float[] thetaF32() {
        float[] f = new float[theta.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) theta[i];
        }
        return f;
    }

    /** θ as float32 would hold it, back in double (the float32 model's exact expansion point). */
    double[] thetaRoundedToF32() {
        float[] f = thetaF32();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i];
        }
        return out;
    }

    int w(int kk, int i) {
        return kk * d + i;
    }

    int b(int kk) {
        return k * d + kk;
    }

    /** C = (1/N) Σ x̃ x̃ᵀ, (d+1) × (d+1). */
    double[][] secondMoment() {
        double[][] c = new double[d + 1][d + 1];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i <= d; i++) {
                double xi = i < d ? x[r * d + i] : 1.0;
                for (int j = 0; j <= d; j++) {
                    double xj = j < d ? x[r * d + j] : 1.0;
                    c[i][j] += xi * xj / n;
                }
            }
        }
        return c;
    }

    /** The dense P × P Hessian in Ravine's layout. */
    double[][] hessian() {
        double[][] c = secondMoment();
        int p = mlp.parameterCount();
        double[][] h = new double[p][p];
        for (int kk = 0; kk < k; kk++) {
            for (int i = 0; i <= d; i++) {
                int a = i < d ? w(kk, i) : b(kk);
                for (int j = 0; j <= d; j++) {
                    int bb = j < d ? w(kk, j) : b(kk);
                    h[a][bb] = c[i][j];
                }
            }
        }
        return h;
    }

    /** ∇J at {@code th}: ∇W_k = (1/N) Σ r_nk x_n, ∇b_k = (1/N) Σ r_nk with r = W x + b − t. */
    double[] gradient(double[] th) {
        double[] g = new double[th.length];
        for (int r = 0; r < n; r++) {
            for (int kk = 0; kk < k; kk++) {
                double z = th[b(kk)];
                for (int i = 0; i < d; i++) {
                    z += th[w(kk, i)] * x[r * d + i];
                }
                double res = z - t[r * k + kk];
                for (int i = 0; i < d; i++) {
                    g[w(kk, i)] += res * x[r * d + i] / n;
                }
                g[b(kk)] += res / n;
            }
        }
        return g;
    }

    static double[] multiply(double[][] a, double[] v) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            double s = 0;
            for (int j = 0; j < v.length; j++) {
                s += a[i][j] * v[j];
            }
            out[i] = s;
        }
        return out;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
