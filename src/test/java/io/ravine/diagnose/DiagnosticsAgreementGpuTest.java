package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.cpu.CpuBackend;
import io.ravine.backend.cuda.CudaBackend;
import io.ravine.backend.cuda.RequiresCuda;
import io.ravine.data.Dataset;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import org.junit.jupiter.api.Test;

/**
 * The diagnostics are written once against the Backend: at the same θ on the same subset, CUDA and the CPU must give
 * the same gradient norm, gᵀHg, ε* and top Hessian eigenvalues.
 */
@RequiresCuda
class DiagnosticsAgreementGpuTest {
    /** Gradients are float32 sums in different orders (cuBLAS vs OpenBLAS): ≈ √K·ε relative, K ≤ 10³. */
    private static final double GRADIENT = 1e-4;
    /**
     * H·v is a central difference of two float32 gradients with ε ≈ √ε_mach·(1 + ‖θ‖)/‖v‖, so each backend's product
     * carries ≈ 3e-4 relative rounding error of its own; the quantities built from it are held to 1e-2.
     */
    private static final double CURVATURE = 1e-2;

    @Test
    void curvatureAndSpectrumAgreeWithTheCpu() {
        TrainConfig config = TrainConfig.builder().setData("embedded").optLimit(1000).optHidden(64).optSteps(30)
                .optSeed(5).build();
        try (Trainer reference = new Trainer(config, CpuBackend.f32()); CudaBackend cuda = CudaBackend.open(0, false);
                Trainer device = new Trainer(config, cuda)) {
            reference.optProgressBar(false).fit();
            device.model().setParameters(reference.model().parameters());
            Dataset subset = reference.trainingData().limit(1000);

            Curvature.AlongGradient a = Curvature.alongGradient(reference.model(), subset, 500);
            Curvature.AlongGradient b = Curvature.alongGradient(device.model(), subset, 500);
            assertClose("gradient norm", a.gradientNorm(), b.gradientNorm(), GRADIENT);
            assertClose("gHg", a.gHg(), b.gHg(), CURVATURE);
            assertClose("optimal step", a.optimalStep(), b.optimalStep(), CURVATURE);

            double[] top;
            double[] topCuda;
            try (HessianVectorProduct h = new HessianVectorProduct(reference.model(), subset, 500);
                    HessianVectorProduct hc = new HessianVectorProduct(device.model(), subset, 500)) {
                top = Lanczos.run(h, 15, 9).ritzValues();
                topCuda = Lanczos.run(hc, 15, 9).ritzValues();
            }
            for (int i = 0; i < 3; i++) {
                assertClose("eigenvalue " + i, top[i], topCuda[i], CURVATURE);
            }
        }
    }

    /**
     * {@code train --diagnose-every}'s probe runs the same backend operations on CUDA: gᵀg, gᵀHg, ε* and the
     * predicted and measured change of a step of α agree with the CPU at the same θ, and a CUDA run logs them.
     */
    @Test
    void theDiagnoseEveryProbeAgreesWithTheCpuAndACudaRunLogsIt(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path tmp) {
        TrainConfig config = TrainConfig.builder().setData("embedded").optLimit(1000).optHidden(64).optSteps(30)
                .optSeed(5).optDiagnoseEvery(10).optLogEvery(10).build();
        try (Trainer reference = new Trainer(config, CpuBackend.f32()); CudaBackend cuda = CudaBackend.open(0, false);
                Trainer device = new Trainer(config, cuda)) {
            reference.optProgressBar(false).optCurvatureProbe(Curvature::probe).fit();
            device.model().setParameters(reference.model().parameters());
            Dataset subset = reference.trainingData().limit(1000);
            io.ravine.train.CurvatureProbe.Measurement a = Curvature.probe(reference.model(), subset, 500, 0.05);
            io.ravine.train.CurvatureProbe.Measurement b = Curvature.probe(device.model(), subset, 500, 0.05);
            assertClose("g'g", a.gg(), b.gg(), 2 * GRADIENT);
            assertClose("gHg", a.gHg(), b.gHg(), CURVATURE);
            assertClose("predicted change", a.predictedChange(), b.predictedChange(), CURVATURE);
            assertClose("actual change", a.actualChange(), b.actualChange(), CURVATURE);
        }
        try (CudaBackend cuda = CudaBackend.open(0, false); Trainer t = new Trainer(config, cuda)) {
            t.optProgressBar(false).optReport(false).optCurvatureProbe(Curvature::probe)
                    .optRunDirectory(tmp.resolve("cuda-run")).fit();
        }
        java.util.List<java.util.Map<String, Double>> rows = io.ravine.train.MetricsLog.read(
                tmp.resolve("cuda-run/metrics.csv"));
        long probed = rows.stream().filter(r -> Double.isFinite(r.get("gg")) && Double.isFinite(r.get("gHg"))
                && Double.isFinite(r.get("actual_change"))).count();
        assertTrue(probed == 3, "rows of steps 10, 20, 30 carry the probe: " + rows);
    }

    private static void assertClose(String what, double reference, double value, double tolerance) {
        double rel = Math.abs(value - reference) / Math.abs(reference);
        assertTrue(rel <= tolerance, what + ": CUDA " + value + " vs CPU " + reference + " (relative " + rel + ")");
    }
}
