package io.ravine.backend;

/**
 * Every numerical tolerance of the test suite and of {@code ravine selftest}, each with the reason for its size. Relative errors are
 * ‖a − b‖ / ‖b‖ with b the reference.
 */
public final class Tolerances {
    private Tolerances() {
    }

    /**
     * Finite-difference gradient check in float64, central differences with h = 1e-6: truncation error O(h²) ≈ 1e-12
     * and rounding error ≈ ε_machine·|f|/h ≈ 1e-10 relative, so agreement to 1e-6 leaves four orders of margin while
     * a wrong term (off by a factor or a sign) gives errors of order 1.
     */
    public static final double GRADCHECK_F64 = 1e-6;

    /** Finite-difference step for float64 checks (balances truncation h² against rounding ε/h). */
    public static final double GRADCHECK_STEP = 1e-6;

    /** Elementwise float32 ops against the float64-accumulating CPU: one rounding per element, ≈ 6e-8 relative. */
    public static final double ELEMENTWISE_F32 = 1e-6;

    /**
     * Reductions and GEMM in float32: summation order differs between BLAS/kernels and the CPU loops, error grows
     * like √K·ε for K-term sums (K ≤ 10⁴ here: ≈ 6e-6).
     */
    public static final double REDUCTION_F32 = 1e-5;

    /** TF32 tensor-core GEMM keeps 10 mantissa bits: ≈ 5e-4 relative per product. */
    public static final double GEMM_TF32 = 1e-3;

    /**
     * N steps of training on two backends: float32 differences of 1e-6 per step are amplified by the dynamics (Adam
     * divides by √v, which magnifies small-gradient differences), so 10 steps are held to 1e-4.
     */
    public static final double TRAINING_STEPS_F32 = 1e-4;

    /** Relative distance between two float arrays: ‖a − b‖ / ‖b‖. */
    public static double relativeError(float[] a, float[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            num += d * d;
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), Double.MIN_NORMAL);
    }

    public static double relativeError(double[] a, double[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            num += d * d;
            den += b[i] * b[i];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), Double.MIN_NORMAL);
    }
}
