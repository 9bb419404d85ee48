package io.ravine.diagnose;

import io.ravine.bench.SecondOrderBench;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The lectures' two ill-conditioned linear regressions (Grosse &amp; Ba, CSC421 lectures 7–8, and Zemel, COMS 4995
 * lecture 4, slides "Ill-conditioned curvature: normalization"; Grosse, CSC321 notes §4.8, Figure 6), inputs left
 * unnormalized, MSE, one output:
 * <ul>
 *   <li>{@link #badlyScaled}: x₁ ≈ 200 ± 100 and x₂ ≈ 0.0025 ± 0.0005 (the slide's rows 114.8, 0.00323 → 5.1;
 *       338.1, 0.00183 → 3.2; 98.8, 0.00279 → 4.1): "which weight will receive a larger gradient descent update?"</li>
 *   <li>{@link #offset}: x₁, x₂ ≈ 1000 ± 3 (rows 1003.2, 1005.1 → 3.3; 1001.1, 1008.2 → 4.8; 998.3, 1003.4 → 2.9):
 *       w₁ + w₂ is stiff, w₁ − w₂ and the bias against the mean are flat.</li>
 * </ul>
 * The Hessian of J = (1/N) Σ ½(w·x + b − t)² is C = (1/N) Σ x̃x̃ᵀ, x̃ = (x₁, x₂, 1), independent of θ; the tests take
 * its exact eigenvalues from a float64 Jacobi solve ({@link LinearRegression#hessian}), not from these comments.
 */
final class LectureExamples {
    private LectureExamples() {
    }

    /** The same data as the second-order benchmark's ({@link SecondOrderBench#badlyScaledRegression}). */
    static LinearRegression badlyScaled(int n, long seed) {
        io.ravine.data.Dataset d = SecondOrderBench.badlyScaledRegression(n, seed);
        return new LinearRegression(n, 2, 1, d.features(), d.targets(), new double[3]);
    }

    static LinearRegression offset(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[2 * n];
        float[] t = new float[n];
        for (int r = 0; r < n; r++) {
            double x1 = 1000 + 3 * rng.nextGaussian();
            double x2 = 1000 + 3 * rng.nextGaussian();
            x[2 * r] = (float) x1;
            x[2 * r + 1] = (float) x2;
            t[r] = (float) (3.7 + 0.3 * (x1 - 1000) - 0.2 * (x2 - 1000) + 0.3 * rng.nextGaussian());
        }
        return new LinearRegression(n, 2, 1, x, t, new double[3]);
    }

    /** The data as a CSV file's text (header x1,x2,t; the last column the target), for the CLI. */
    static String csv(LinearRegression lr) {
        StringBuilder sb = new StringBuilder("x1,x2,t\n");
        for (int r = 0; r < lr.n; r++) {
            sb.append(String.format(Locale.ROOT, "%s,%s,%s%n", Float.toString(lr.x[2 * r]),
                    Float.toString(lr.x[2 * r + 1]), Float.toString(lr.t[r])));
        }
        return sb.toString();
    }
}
