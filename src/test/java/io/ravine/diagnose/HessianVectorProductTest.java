package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.Tensor;
import io.ravine.backend.Tolerances;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.Dataset;
import io.ravine.nn.Initializer;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** H·v by central differences of gradients against the Hessian of a quadratic written down by hand. */
class HessianVectorProductTest {
    /**
     * float64 on an exact quadratic: the central difference has no truncation error, only rounding of
     * ε_mach·‖∇J‖/(ε‖v‖) ≈ √ε_mach ≈ 1.5e-8 relative; 1e-6 leaves margin, a wrong factor or index is order 1.
     */
    private static final double F64_HVP = 1e-6;
    /**
     * float32: rounding θ ± εv and the float32 gradient give ≈ √ε_mach ≈ 3.5e-4 relative (see
     * HessianVectorProduct); 3e-3 leaves margin for the float32 reductions over N rows.
     */
    private static final double F32_HVP = 3e-3;

    @Test
    void productOnAQuadraticEqualsTheHessianTimesTheVector() {
        LinearRegression lr = new LinearRegression(300, 6, 3, 0.8, 5);
        double[][] h = lr.hessian();
        double[] v = randomVector(lr.theta.length, 9);
        double[] expected = LinearRegression.multiply(h, v);
        assertTrue(Tolerances.relativeError(product(CpuBackend.f64(), lr, v, 4096), expected) < F64_HVP);
        assertTrue(Tolerances.relativeError(product(CpuBackend.f32(), lr, v, 4096), expected) < F32_HVP);
    }

    /**
     * A ReLU network against an independent reference: float64 central differences of the model's own backprop
     * with a step of 1e-7, so small that hardly any of the 2000 × 64 pre-activations crosses 0 (about 1e-3 expected
     * crossings: the reference is the Hessian almost everywhere). At float32's step about twenty cross, and without
     * the frozen ReLU pattern their jumps put the product off by more than 1e-2; with it, the product agrees to its
     * rounding level. Tanh (smooth, not frozen) agrees too.
     */
    @ParameterizedTest
    @MethodSource("networks")
    void reluAndTanhNetworksMatchFloat64FiniteDifferencesOfBackprop(Activation act, int[] hidden) {
        int in = 20;
        Mlp mlp = new Mlp(in, hidden, 3, act, LossKind.SOFTMAX_CE);
        int n = 2000;
        SplittableRandom rng = new SplittableRandom(17);
        float[] x = new float[n * in];
        float[] y = new float[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(3);
        }
        Dataset data = new Dataset("relu", n, in, x, 1, y, 3);
        float[] theta = mlp.initialParameters(Initializer.he(), 0.05, 4);
        double[] v = randomVector(theta.length, 6);

        double[] reference = reference(mlp, theta, x, y, n, v);
        for (Backend b : new Backend[] {CpuBackend.f32(), CpuBackend.f64()}) {
            try (Model m = new Model(b, mlp);
                    HessianVectorProduct hvp = new HessianVectorProduct(m, data, 128);
                    Tensor vt = b.allocateVector(v.length);
                    Tensor out = b.allocateVector(v.length)) {
                m.setParameters(theta);
                b.copyFromHost(v, 0, vt);
                hvp.apply(vt, out);
                double err = Tolerances.relativeError(b.toDoubleArray(out), reference);
                // The reference's own error: rounding ε_mach‖∇J‖/h ≈ 1e-9 relative.
                assertTrue(err < (b.dtype() == io.ravine.backend.DType.F32 ? F32_HVP : F64_HVP),
                        act + " " + b.dtype() + ": relative error " + err);
            }
        }
    }

    static Stream<Arguments> networks() {
        return Stream.of(Arguments.of(Activation.RELU, new int[] {64}), Arguments.of(Activation.TANH, new int[] {64}),
                Arguments.of(Activation.RELU, new int[] {32, 16}));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(HessianVectorProduct.Method.class)
    void theFirstLayerCacheFollowsThetaAndMatchesRecomputing(HessianVectorProduct.Method method) {
        Mlp mlp = new Mlp(7, new int[] {12, 5}, 3, Activation.RELU, LossKind.SOFTMAX_CE);
        SplittableRandom rng = new SplittableRandom(31);
        int n = 150;
        float[] x = new float[n * 7];
        float[] y = new float[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(3);
        }
        Dataset data = new Dataset("cache", n, 7, x, 1, y, 3);
        double[] v = randomVector(mlp.parameterCount(), 32);
        float[] theta1 = mlp.initialParameters(Initializer.he(), 0.1, 1);
        float[] theta2 = mlp.initialParameters(Initializer.he(), 0.1, 2);
        Backend b = CpuBackend.f64();
        try (Model cached = new Model(b, mlp); Model plain = new Model(b, mlp);
                HessianVectorProduct withCache = new HessianVectorProduct(cached, data, 64, method, true);
                HessianVectorProduct without = new HessianVectorProduct(plain, data, 64, method, false);
                Tensor vt = b.allocateVector(v.length);
                Tensor a = b.allocateVector(v.length);
                Tensor c = b.allocateVector(v.length)) {
            b.copyFromHost(v, 0, vt);
            for (float[] theta : new float[][] {theta1, theta2}) {
                // The second θ is set on the same objects: the cache must notice and refill.
                cached.setParameters(theta);
                plain.setParameters(theta);
                withCache.apply(vt, a);
                without.apply(vt, c);
                assertArrayEquals(b.toDoubleArray(c), b.toDoubleArray(a), 0.0);
            }
            assertTrue(Tolerances.relativeError(b.toDoubleArray(a), reference(mlp, theta2, x, y, n, v)) < F64_HVP);
        }
    }

    /** Float64 central differences of Model's own backprop with step 1e-7 (see the ReLU test). */
    private static double[] reference(Mlp mlp, float[] theta, float[] x, float[] y, int n, double[] v) {
        Backend f64 = CpuBackend.f64();
        try (Model m = new Model(f64, mlp)) {
            Model.Workspace ws = m.workspace(n);
            ws.load(x, y, n);
            double h = 1e-7;
            double[] plus = new double[theta.length];
            double[] minus = new double[theta.length];
            for (int i = 0; i < theta.length; i++) {
                plus[i] = theta[i] + h * v[i];
                minus[i] = theta[i] - h * v[i];
            }
            m.setParameters(plus);
            m.computeGradient(ws, n);
            double[] gp = f64.toDoubleArray(m.gradient());
            m.setParameters(minus);
            m.computeGradient(ws, n);
            double[] gm = f64.toDoubleArray(m.gradient());
            double[] out = new double[theta.length];
            for (int i = 0; i < theta.length; i++) {
                out[i] = (gp[i] - gm[i]) / (2 * h);
            }
            return out;
        }
    }

    /**
     * The float32 central difference stays within the floor it states, √ε_f32·‖H‖‖v‖ (HessianVectorProduct's
     * relativeFloor), against the exact float64 R-operator at the same θ: on the lectures' ill-conditioned
     * regressions (large inputs, ‖H‖ up to 2e6) and on ReLU, tanh and logistic networks. A floor too small for the
     * differences' error would let rounding pass for curvature (a spurious negative eigenvalue, a κ too large).
     */
    @ParameterizedTest
    @MethodSource("floorCases")
    void float32DifferencesStayWithinTheirStatedFloor(String name, Mlp mlp, Dataset data, float[] theta) {
        Backend f64 = CpuBackend.f64();
        Backend f32 = CpuBackend.f32();
        double norm;
        double floor;
        try (Model m = new Model(f64, mlp); HessianVectorProduct exact = new HessianVectorProduct(m, data, 512)) {
            m.setParameters(theta);
            norm = Lanczos.run(exact, 30, 3).normEstimate();
            try (Model m32 = new Model(f32, mlp); HessianVectorProduct fd = new HessianVectorProduct(m32, data, 512)) {
                m32.setParameters(theta);
                assertEquals(HessianVectorProduct.Method.CENTRAL_DIFFERENCES, fd.method());
                floor = fd.relativeFloor();
                assertEquals(Math.sqrt(Math.ulp(1.0f)), floor, 1e-12);
                for (long seed = 1; seed <= 3; seed++) {
                    double[] v = randomVector(theta.length, seed);
                    double[] want = apply(f64, exact, v);
                    double[] got = apply(f32, fd, v);
                    double err = 0;
                    double vv = 0;
                    for (int i = 0; i < v.length; i++) {
                        err += (got[i] - want[i]) * (got[i] - want[i]);
                        vv += v[i] * v[i];
                    }
                    double relative = Math.sqrt(err) / (norm * Math.sqrt(vv));
                    assertTrue(relative < floor, name + ": error " + relative + " x ||H|| ||v|| above the floor "
                            + floor);
                }
            }
        }
    }

    static Stream<Arguments> floorCases() {
        java.util.List<Arguments> out = new java.util.ArrayList<>();
        for (String name : new String[] {"badly-scaled", "offset"}) {
            LinearRegression lr = IllConditioningTest.example(name);
            // θ away from 0 (a start vector's worth), so rounding θ ± εv is part of it.
            double[] th = randomVector(3, 8);
            float[] t = new float[3];
            for (int i = 0; i < 3; i++) {
                t[i] = (float) (0.01 * th[i]);
            }
            out.add(Arguments.of(name, lr.mlp, lr.dataset(), t));
        }
        for (Activation act : new Activation[] {Activation.RELU, Activation.TANH, Activation.LOGISTIC}) {
            int in = 20;
            Mlp mlp = new Mlp(in, new int[] {32}, 3, act, LossKind.SOFTMAX_CE);
            SplittableRandom rng = new SplittableRandom(23);
            int n = 1000;
            float[] x = new float[n * in];
            float[] y = new float[n];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rng.nextGaussian();
            }
            for (int i = 0; i < n; i++) {
                y[i] = rng.nextInt(3);
            }
            out.add(Arguments.of(act.name(), mlp, new Dataset("net", n, in, x, 1, y, 3),
                    mlp.initialParameters(Initializer.xavier(), 0.05, 6)));
        }
        return out.stream();
    }

    static double[] apply(Backend b, HessianVectorProduct h, double[] v) {
        try (Tensor vt = b.allocateVector(v.length); Tensor out = b.allocateVector(v.length)) {
            b.copyFromHost(v, 0, vt);
            h.apply(vt, out);
            return b.toDoubleArray(out);
        }
    }

    @Test
    void chunkedGradientEqualsTheWholeSubsetGradient() {
        LinearRegression lr = new LinearRegression(301, 5, 2, 0.9, 6);
        double[] direct = lr.gradient(lr.theta);
        Backend b = CpuBackend.f64();
        for (int capacity : new int[] {1000, 64, 7}) {
            try (Model m = new Model(b, lr.mlp);
                    HessianVectorProduct hvp = new HessianVectorProduct(m, lr.dataset(), capacity);
                    Tensor g = b.allocateVector(lr.theta.length)) {
                m.setParameters(lr.theta);
                hvp.lossAndGradient(g);
                assertTrue(Tolerances.relativeError(b.toDoubleArray(g), direct) < 1e-12,
                        "capacity " + capacity);
            }
        }
    }

    @Test
    void thetaComesBackBitForBit() {
        LinearRegression lr = new LinearRegression(200, 6, 3, 0.8, 7);
        Backend b = CpuBackend.f32();
        try (Model m = new Model(b, lr.mlp);
                HessianVectorProduct hvp = new HessianVectorProduct(m, lr.dataset(), 64);
                Tensor v = b.allocateVector(lr.theta.length);
                Tensor out = b.allocateVector(lr.theta.length)) {
            m.setParameters(lr.thetaF32());
            float[] before = m.parameters();
            b.copyFromHost(randomVector(lr.theta.length, 3), 0, v);
            hvp.apply(v, out);
            hvp.lossAt(v, 0.37);
            assertArrayEquals(before, m.parameters());
            assertEquals(0, hvp.gradientPasses());
            assertEquals(1, hvp.products());
        }
    }

    private static double[] product(Backend b, LinearRegression lr, double[] v, int capacity) {
        try (Model m = new Model(b, lr.mlp);
                HessianVectorProduct hvp = new HessianVectorProduct(m, lr.dataset(), capacity);
                Tensor vt = b.allocateVector(v.length);
                Tensor out = b.allocateVector(v.length)) {
            m.setParameters(lr.theta);
            b.copyFromHost(v, 0, vt);
            hvp.apply(vt, out);
            return b.toDoubleArray(out);
        }
    }

    static double[] randomVector(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rng.nextGaussian();
        }
        return v;
    }
}
