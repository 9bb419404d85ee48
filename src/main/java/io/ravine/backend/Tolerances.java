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

    /**
     * Upper end of the TF32 band. TF32 keeps 10 of float32's 23 mantissa bits of each GEMM input. On Gaussian inputs
     * (whose mantissas use every bit) each input's relative rounding error is then ≈ 2⁻¹¹ on average, so each product
     * a·b is off by ≈ 2.8e-4 (rms) when the conversion rounds to nearest, and the relative error of a K-term sum of
     * such products with random signs is the same 2.8e-4, whatever K. Were the conversion to truncate instead, the
     * errors would add a bias of ≈ −7e-4 relative: 7.7e-4 in all. Emulating both on a 1024×1024×1024 product
     * (numpy, float64 reference) gives 2.9e-4 and 7.7e-4, and the estimate over 131 072 outputs moves by well under
     * 1%. So 1e-3: above TF32 with either conversion, below anything coarser (bfloat16's 7 bits give ≈ 2e-3, and
     * a wrong product gives order 1).
     */
    public static final double GEMM_TF32 = 1e-3;

    /**
     * Lower end of the TF32 band: a "TF32" product closer to float64 than this did not use TF32. Plain float32 GEMM
     * on the same 1024³ product is off by 3e-7 (blocked sums) to 6e-7 (one sequential sum per output, the worst
     * common order): K = 1024 terms, error ≈ √K·2⁻²⁴·(a few). 1e-5 sits 17× above that and 29× below TF32's 2.9e-4,
     * so a GEMM that silently fell back to float32 (no tensor cores: the shape was not eligible, the math mode was
     * ignored, NVIDIA_TF32_OVERRIDE=0) fails the band instead of passing under 1e-3.
     */
    public static final double GEMM_TF32_MIN = 1e-5;

    /**
     * N steps of training on two backends: float32 differences of 1e-6 per step are amplified by the dynamics (Adam
     * divides by √v, which magnifies small-gradient differences), so 10 steps are held to 1e-4.
     */
    public static final double TRAINING_STEPS_F32 = 1e-4;

    /**
     * Relative distance between two float arrays: ‖a − b‖ / ‖b‖.
     *
     * @param a the result
     * @param b the reference
     * @return the relative error
     */
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

    /**
     * ‖a − b‖ / ‖b‖ in double, as the float overload.
     *
     * @param a the result
     * @param b the reference
     * @return the relative error
     */
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
