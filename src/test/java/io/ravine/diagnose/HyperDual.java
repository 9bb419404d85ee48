package io.ravine.diagnose;

import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.nn.Mlp;

/**
 * Hyper-dual numbers a + b·ε₁ + c·ε₂ + d·ε₁ε₂ with ε₁² = ε₂² = 0 (Fike &amp; Alonso 2011): evaluating f at
 * x + ε₁eᵢ + ε₂eⱼ gives ∂²f/∂xᵢ∂xⱼ in the ε₁ε₂ part, exactly up to the rounding of f itself (no step, no
 * truncation). The tests' independent oracle for the Hessian: the loss of a small MLP written out again in scalar
 * code, sharing nothing with Ravine's backprop or its R-operator.
 */
record HyperDual(double a, double b, double c, double d) {
    static HyperDual constant(double v) {
        return new HyperDual(v, 0, 0, 0);
    }

    HyperDual plus(HyperDual o) {
        return new HyperDual(a + o.a, b + o.b, c + o.c, d + o.d);
    }

    HyperDual minus(HyperDual o) {
        return new HyperDual(a - o.a, b - o.b, c - o.c, d - o.d);
    }

    HyperDual times(HyperDual o) {
        return new HyperDual(a * o.a, a * o.b + b * o.a, a * o.c + c * o.a, a * o.d + b * o.c + c * o.b + d * o.a);
    }

    HyperDual scale(double s) {
        return new HyperDual(s * a, s * b, s * c, s * d);
    }

    /** f(this) for f with value f0, first derivative f1 and second derivative f2 at a. */
    private HyperDual chain(double f0, double f1, double f2) {
        return new HyperDual(f0, f1 * b, f1 * c, f1 * d + f2 * b * c);
    }

    HyperDual exp() {
        double e = Math.exp(a);
        return chain(e, e, e);
    }

    HyperDual log() {
        return chain(Math.log(a), 1 / a, -1 / (a * a));
    }

    HyperDual apply(Activation act) {
        return switch (act) {
            case IDENTITY -> this;
            case RELU -> a > 0 ? this : constant(0); // 0 second derivative away from the kink, as autograd's
            case TANH -> {
                double t = Math.tanh(a);
                yield chain(t, 1 - t * t, -2 * t * (1 - t * t));
            }
            case LOGISTIC -> {
                double s = Activation.LOGISTIC.apply(a);
                yield chain(s, s * (1 - s), s * (1 - s) * (1 - 2 * s));
            }
        };
    }

    /**
     * The exact Hessian of J(θ) = (1/N) Σ ℓ(x_n, θ) for {@code mlp} at {@code theta} on rows {@code x} (N × d) with
     * targets {@code t} (class indices for softmax-ce, N × K values otherwise), in Ravine's θ layout.
     */
    static double[][] hessian(Mlp mlp, double[] theta, float[] x, float[] t, int n) {
        int p = theta.length;
        double[][] h = new double[p][p];
        for (int i = 0; i < p; i++) {
            for (int j = i; j < p; j++) {
                HyperDual[] th = new HyperDual[p];
                for (int m = 0; m < p; m++) {
                    th[m] = new HyperDual(theta[m], m == i ? 1 : 0, m == j ? 1 : 0, 0);
                }
                double v = loss(mlp, th, x, t, n).d;
                h[i][j] = v;
                h[j][i] = v;
            }
        }
        return h;
    }

    /** J(θ) in hyper-dual arithmetic, the forward pass and loss written out from Ravine's definitions. */
    static HyperDual loss(Mlp mlp, HyperDual[] theta, float[] x, float[] t, int n) {
        int d = mlp.inputDim();
        int kOut = mlp.outputDim();
        HyperDual total = constant(0);
        for (int r = 0; r < n; r++) {
            HyperDual[] a = new HyperDual[d];
            for (int i = 0; i < d; i++) {
                a[i] = constant(x[r * d + i]);
            }
            for (int k = 0; k < mlp.layerCount(); k++) {
                int in = mlp.fanIn(k);
                int out = mlp.fanOut(k);
                HyperDual[] z = new HyperDual[out];
                for (int o = 0; o < out; o++) {
                    HyperDual s = theta[mlp.biasOffset(k) + o];
                    for (int i = 0; i < in; i++) {
                        s = s.plus(theta[mlp.weightOffset(k) + o * in + i].times(a[i]));
                    }
                    z[o] = s.apply(mlp.activation(k));
                }
                a = z;
            }
            HyperDual l = constant(0);
            switch (mlp.loss()) {
                case MSE -> {
                    for (int o = 0; o < kOut; o++) {
                        HyperDual res = a[o].minus(constant(t[r * kOut + o]));
                        l = l.plus(res.times(res).scale(0.5));
                    }
                }
                case LOGISTIC_CE -> {
                    for (int o = 0; o < kOut; o++) {
                        l = l.plus(constant(1).plus(a[o].exp()).log()).minus(a[o].scale(t[r * kOut + o]));
                    }
                }
                case SOFTMAX_CE -> {
                    HyperDual sum = constant(0);
                    for (int o = 0; o < kOut; o++) {
                        sum = sum.plus(a[o].exp());
                    }
                    l = sum.log().minus(a[(int) t[r]]);
                }
            }
            total = total.plus(l);
        }
        return total.scale(1.0 / n);
    }

    /** Targets for {@code loss}: class indices, probabilities in [0, 1], or real values. */
    static float[] targets(LossKind loss, int n, int k, java.util.SplittableRandom rng) {
        if (loss == LossKind.SOFTMAX_CE) {
            float[] t = new float[n];
            for (int i = 0; i < n; i++) {
                t[i] = rng.nextInt(k);
            }
            return t;
        }
        float[] t = new float[n * k];
        for (int i = 0; i < t.length; i++) {
            t[i] = loss == LossKind.LOGISTIC_CE ? (float) rng.nextDouble() : (float) rng.nextGaussian();
        }
        return t;
    }
}
