package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.Tensor;
import io.ravine.backend.Tolerances;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.cli.DiagnoseCommand;
import io.ravine.data.Dataset;
import io.ravine.nn.BatchNormBuffers;
import io.ravine.nn.Initializer;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * Curvature through batch normalization: H is the Hessian of the training-mode loss of the fixed subset, normalized
 * by the subset's own statistics (the function training minimizes), in θ = (W, γ, β); the running statistics are
 * neither used nor changed.
 *
 * <ul>
 *   <li>The exact R-operator (BN's R-forward and R-backward, the statistics' dependence on θ included) against a
 *       dense Hessian assembled column by column from float64 central differences of {@link Model}'s own
 *       backprop (an independent implementation: the backend's BN backward), for every activation and loss;</li>
 *   <li>the float32 central differences within their stated floor of the exact product;</li>
 *   <li>θ and the running statistics bit-identical after every kind of measurement;</li>
 *   <li>{@code diagnose} end to end on a BN run, and {@code train --diagnose-every} on a BN run changes nothing
 *       training does (θ, running statistics, counter) and resumes bit for bit.</li>
 * </ul>
 */
class BatchNormCurvatureTest {

    private static Dataset data(int n, int in, int classes, LossKind loss, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[n * in];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rng.nextGaussian() * (1 + i % 3) + (i % in)); // offsets and scales BN takes out
        }
        int cols = loss == LossKind.SOFTMAX_CE ? 1 : classes;
        float[] y = new float[n * cols];
        for (int i = 0; i < y.length; i++) {
            y[i] = switch (loss) {
                case SOFTMAX_CE -> rng.nextInt(classes);
                case LOGISTIC_CE -> rng.nextInt(2);
                case MSE -> (float) rng.nextGaussian();
            };
        }
        return new Dataset("bn", n, in, x, cols, y, loss == LossKind.MSE ? 0 : classes);
    }

    /** θ with γ, β away from their (1, 0) start, so every term of the R-operator is exercised. */
    private static float[] theta(Mlp mlp, long seed) {
        float[] t = mlp.initialParameters(Initializer.parse("xavier"), 0.1, seed);
        SplittableRandom rng = new SplittableRandom(seed + 1);
        for (int k = 0; k < mlp.layerCount() - 1; k++) {
            for (int j = 0; j < mlp.fanOut(k); j++) {
                t[mlp.gammaOffset(k) + j] = (float) (0.5 + rng.nextDouble());
                t[mlp.betaOffset(k) + j] = (float) (rng.nextDouble() - 0.5);
            }
        }
        return t;
    }

    static Stream<Arguments> tinyNetworks() {
        return Stream.of(
                Arguments.of(Activation.TANH, LossKind.SOFTMAX_CE, 3),
                Arguments.of(Activation.LOGISTIC, LossKind.SOFTMAX_CE, 3),
                Arguments.of(Activation.RELU, LossKind.SOFTMAX_CE, 3),
                Arguments.of(Activation.IDENTITY, LossKind.MSE, 2),
                Arguments.of(Activation.TANH, LossKind.LOGISTIC_CE, 2));
    }

    /**
     * Tolerance 1e-6 relative: the dense reference's columns are central differences with step 1e-5, whose
     * truncation error is h²‖∇³J‖/6 ≈ 1e-10 and rounding ε_mach‖∇J‖/h ≈ 1e-11 relative; a missing term of the
     * R-operator (the statistics' R{μ}, R{σ²}, the backward's R{m₁}, R{m₂}, the v_γ terms) is of order 1.
     */
    @ParameterizedTest
    @MethodSource("tinyNetworks")
    void rOperatorIsTheHessianOfTheTrainingModeLoss(Activation act, LossKind loss, int out) {
        Mlp mlp = new Mlp(5, new int[] {4, 3}, out, act, loss, true);
        int n = 9;
        Dataset d = data(n, 5, out, loss, 11);
        float[] theta = theta(mlp, 3);
        int p = mlp.parameterCount();
        double[][] dense = denseHessian(mlp, theta, d);
        double asym = 0;
        double size = 0;
        for (int i = 0; i < p; i++) {
            for (int j = 0; j < p; j++) {
                asym = Math.max(asym, Math.abs(dense[i][j] - dense[j][i]));
                size = Math.max(size, Math.abs(dense[i][j]));
            }
        }
        assertTrue(asym < 1e-7 * size, "the finite-difference Hessian is symmetric to its accuracy: " + asym / size);
        Backend f64 = CpuBackend.f64();
        try (Model m = new Model(f64, mlp); HessianVectorProduct hvp = new HessianVectorProduct(m, d, 4);
                Tensor vt = f64.allocateVector(p); Tensor hv = f64.allocateVector(p)) {
            m.setParameters(theta);
            assertEquals(HessianVectorProduct.Method.R_OPERATOR, hvp.method());
            for (long seed = 1; seed <= 3; seed++) {
                double[] v = HessianVectorProductTest.randomVector(p, seed);
                double[] want = new double[p];
                for (int i = 0; i < p; i++) {
                    for (int j = 0; j < p; j++) {
                        want[i] += dense[i][j] * v[j];
                    }
                }
                f64.copyFromHost(v, 0, vt);
                hvp.apply(vt, hv);
                double err = Tolerances.relativeError(f64.toDoubleArray(hv), want);
                assertTrue(err < 1e-6, act + " " + loss + ": relative error " + err);
            }
            // The subset's gradient is the training-mode gradient Model computes (the same function).
            try (Tensor g = f64.allocateVector(p)) {
                hvp.lossAndGradient(g);
                assertTrue(Tolerances.relativeError(f64.toDoubleArray(g), gradient(mlp, theta, d, null)) < 1e-12);
            }
        }
    }

    /** H[:, i] = (∇J(θ + h e_i) − ∇J(θ − h e_i)) / 2h, from Model.computeGradient in float64, running statistics off. */
    private static double[][] denseHessian(Mlp mlp, float[] theta, Dataset d) {
        int p = mlp.parameterCount();
        double h = 1e-5;
        double[][] hess = new double[p][p];
        double[] base = new double[p];
        for (int i = 0; i < p; i++) {
            base[i] = theta[i];
        }
        for (int i = 0; i < p; i++) {
            double[] plus = base.clone();
            double[] minus = base.clone();
            plus[i] += h;
            minus[i] -= h;
            double[] gp = gradient(mlp, null, d, plus);
            double[] gm = gradient(mlp, null, d, minus);
            for (int j = 0; j < p; j++) {
                hess[j][i] = (gp[j] - gm[j]) / (2 * h);
            }
        }
        return hess;
    }

    private static double[] gradient(Mlp mlp, float[] theta, Dataset d, double[] thetaD) {
        Backend f64 = CpuBackend.f64();
        try (Model m = new Model(f64, mlp)) {
            if (thetaD != null) {
                m.setParameters(thetaD);
            } else {
                m.setParameters(theta);
            }
            Model.Workspace ws = m.workspace(d.n());
            ws.load(d.features(), d.targets(), d.n());
            m.computeGradient(ws, d.n(), false);
            return f64.toDoubleArray(m.gradient());
        }
    }

    static Stream<Arguments> floorCases() {
        return Stream.of(Arguments.of(Activation.RELU), Arguments.of(Activation.TANH), Arguments.of(Activation.LOGISTIC));
    }

    /**
     * float32 central differences through BN (ReLU patterns frozen at θ, statistics recomputed at θ ± εv) within the
     * floor they state, √ε_f32·‖H‖‖v‖, of the exact float64 product at the same θ.
     */
    @ParameterizedTest
    @MethodSource("floorCases")
    void centralDifferencesStayWithinTheirFloorOfTheExactProduct(Activation act) {
        Mlp mlp = new Mlp(12, new int[] {24, 16}, 4, act, LossKind.SOFTMAX_CE, true);
        Dataset d = data(300, 12, 4, LossKind.SOFTMAX_CE, 5);
        float[] theta = theta(mlp, 8);
        Backend f64 = CpuBackend.f64();
        Backend f32 = CpuBackend.f32();
        try (Model m = new Model(f64, mlp); HessianVectorProduct exact = new HessianVectorProduct(m, d, 64);
                Model m32 = new Model(f32, mlp); HessianVectorProduct fd = new HessianVectorProduct(m32, d, 64)) {
            m.setParameters(theta);
            m32.setParameters(theta);
            assertEquals(HessianVectorProduct.Method.CENTRAL_DIFFERENCES, fd.method());
            double norm = Lanczos.run(exact, 30, 3).normEstimate();
            double floor = fd.relativeFloor();
            for (long seed = 1; seed <= 3; seed++) {
                double[] v = HessianVectorProductTest.randomVector(theta.length, seed);
                double[] want = HessianVectorProductTest.apply(f64, exact, v);
                double[] got = HessianVectorProductTest.apply(f32, fd, v);
                double err = 0;
                double vv = 0;
                for (int i = 0; i < v.length; i++) {
                    err += (got[i] - want[i]) * (got[i] - want[i]);
                    vv += v[i] * v[i];
                }
                double relative = Math.sqrt(err) / (norm * Math.sqrt(vv));
                assertTrue(relative < floor, act + ": error " + relative + " x ||H|| ||v|| above the floor " + floor);
            }
        }
    }

    /** Every measurement leaves θ and the running statistics (and their counter) exactly as they were. */
    @Test
    void measurementsLeaveThetaAndTheRunningStatisticsAlone() {
        Mlp mlp = new Mlp(12, new int[] {16, 8}, 4, Activation.RELU, LossKind.SOFTMAX_CE, true);
        Dataset d = data(200, 12, 4, LossKind.SOFTMAX_CE, 9);
        for (Backend b : new Backend[] {CpuBackend.f32(), CpuBackend.f64()}) {
            try (Model m = new Model(b, mlp); HessianVectorProduct hvp = new HessianVectorProduct(m, d, 50);
                    Tensor v = b.allocateVector(mlp.parameterCount());
                    Tensor out = b.allocateVector(mlp.parameterCount())) {
                m.setParameters(theta(mlp, 2));
                float[][] mean = {new float[16], new float[8], null};
                float[][] var = {new float[16], new float[8], null};
                java.util.Arrays.fill(var[0], 2f);
                java.util.Arrays.fill(var[1], 3f);
                mean[0][3] = 0.5f;
                m.setBatchNormBuffers(new BatchNormBuffers(mean, var, 41));
                float[] before = m.parameters();
                b.copyFromHost(HessianVectorProductTest.randomVector(mlp.parameterCount(), 4), 0, v);
                hvp.apply(v, out);
                hvp.lossAndGradient(out);
                hvp.loss();
                hvp.lossAt(v, 0.01);
                Lanczos.run(hvp, 5, 1);
                assertArrayEquals(before, m.parameters(), b.dtype().toString());
                BatchNormBuffers after = m.batchNormBuffers();
                assertEquals(41, after.batchesTracked());
                for (int k = 0; k < 2; k++) {
                    assertArrayEquals(mean[k], after.runningMean()[k]);
                    assertArrayEquals(var[k], after.runningVar()[k]);
                }
            }
        }
    }

    private static TrainConfig.Builder run() {
        return TrainConfig.builder().setData("embedded").optLimit(600).optHidden(24, 12).optBatchNorm(true)
                .optBatchSize(100).optOptimizer(io.ravine.backend.UpdateRule.ADAM).optSeed(4).optThreads(1)
                .optDevice("cpu").optLogEvery(3).optEvalEvery(6).optSubset(200);
    }

    /**
     * {@code --diagnose-every} measures on the monitoring subset in training mode without touching what training
     * does: θ, the running statistics and their counter are the bits of the same run without it, and a run
     * interrupted and resumed with it ends on those bits too.
     */
    @Test
    void diagnoseEveryChangesNothingTrainingDoesAndResumesBitForBit(@TempDir Path tmp) throws Exception {
        float[] plain;
        BatchNormBuffers plainBuffers;
        try (Trainer t = new Trainer(run().optSteps(12).build())) {
            t.optProgressBar(false).optReport(false).optRunDirectory(tmp.resolve("plain")).fit();
            plain = t.model().parameters();
            plainBuffers = t.model().batchNormBuffers();
        }
        float[] diagnosed;
        try (Trainer t = new Trainer(run().optSteps(12).optDiagnoseEvery(3).build())) {
            t.optProgressBar(false).optReport(false).optCurvatureProbe(Curvature::probe)
                    .optRunDirectory(tmp.resolve("diag")).fit();
            diagnosed = t.model().parameters();
            assertBuffersEqual(plainBuffers, t.model().batchNormBuffers());
        }
        assertArrayEquals(plain, diagnosed);
        List<String> metrics = Files.readAllLines(tmp.resolve("diag").resolve("metrics.csv"));
        String header = metrics.get(0);
        assertTrue(header.contains("gHg"), header);
        int col = List.of(header.split(",")).indexOf("gHg");
        long measured = metrics.stream().skip(1).map(l -> l.split(",", -1)).filter(c -> c.length > col
                && !c[col].isEmpty()).count();
        assertTrue(measured >= 4, "gHg logged at steps 0, 3, 6, 9, 12: " + measured);

        try (Trainer t = new Trainer(run().optSteps(7).optDiagnoseEvery(3).optCheckpointEvery(7).build())) {
            t.optProgressBar(false).optReport(false).optCurvatureProbe(Curvature::probe)
                    .optRunDirectory(tmp.resolve("resumed")).fit();
        }
        try (Trainer t = new Trainer(run().optSteps(12).optDiagnoseEvery(3).build())) {
            t.optProgressBar(false).optReport(false).optCurvatureProbe(Curvature::probe)
                    .optRunDirectory(tmp.resolve("resumed")).resume();
            assertArrayEquals(plain, t.model().parameters());
            assertBuffersEqual(plainBuffers, t.model().batchNormBuffers());
        }
    }

    private static void assertBuffersEqual(BatchNormBuffers want, BatchNormBuffers got) {
        assertEquals(want.batchesTracked(), got.batchesTracked());
        for (int k = 0; k < want.runningMean().length; k++) {
            assertArrayEquals(want.runningMean()[k], got.runningMean()[k]);
            assertArrayEquals(want.runningVar()[k], got.runningVar()[k]);
        }
    }

    /** {@code ravine diagnose} on a BN run: the Hessian by Lanczos on exact products, finite, with a spectrum. */
    @Test
    void diagnoseRunsEndToEndOnABatchNormRun(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        try (Trainer t = new Trainer(run().optSteps(20).build())) {
            t.optProgressBar(false).optRunDirectory(dir).fit();
        }
        int status = new CommandLine(new DiagnoseCommand()).execute("--run-dir", dir.toString(), "--subset", "200",
                "--lanczos-steps", "12", "--lanczos-max-steps", "12", "--top-k", "3", "--density-probes", "2",
                "--device", "cpu", "--threads", "1");
        assertEquals(0, status);
        JsonObject d = JsonParser.parseString(Files.readString(dir.resolve("diagnosis.json"))).getAsJsonObject();
        JsonObject h = d.getAsJsonObject("hessian");
        assertEquals("R-operator (exact)", h.get("hvp").getAsString());
        double top = h.getAsJsonArray("top_eigenvalues").get(0).getAsDouble();
        assertTrue(Double.isFinite(top) && top > 0, "λ_max " + top);
        assertTrue(d.get("gradient_norm").getAsDouble() > 0);
        // The second-order prediction of a small step agrees with the measured change of the same function.
        JsonObject so = d.getAsJsonObject("second_order");
        assertTrue(so.get("actual_change").getAsDouble() < 0, so.toString());
        assertEquals(2, d.getAsJsonArray("units").size());
    }
}
