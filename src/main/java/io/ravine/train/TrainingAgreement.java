package io.ravine.train;

import io.ravine.backend.Backend;
import io.ravine.backend.Tolerances;
import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.backend.cuda.SelfTest;
import java.util.ArrayList;
import java.util.List;

/**
 * Whole-training agreement between a device backend and the CPU reference: the same configuration, seed and data
 * trained for a few steps with every update rule must end at the same θ within
 * {@link Tolerances#TRAINING_STEPS_F32}, and a run whose steps replay a recorded graph must end where the same run
 * issuing every op ends. Rows use {@link SelfTest.Row} so {@code ravine selftest} prints one table.
 */
public final class TrainingAgreement {
    /**
     * A replayed graph launches the same kernels with the same arguments as the plain step, so the results agree to
     * the last bit in practice; the bound allows one float32 rounding in case the library picks another GEMM
     * algorithm under capture.
     */
    public static final double GRAPH_VS_PLAIN = Tolerances.ELEMENTWISE_F32;

    /**
     * The closure rules' bound after 12 steps (not yet measured on a GPU: the first run on one should record the
     * actual error in docs/second-order.md). Both solve with curvature estimates built from float32 gradients whose
     * sums the GPU orders differently (≈ 1e-6 relative each): L-BFGS's two-loop recursion scales each pair by
     * ρ = 1/yᵀs, y a difference of two nearly equal gradients, so a gradient's rounding enters y magnified by
     * ‖g‖/‖y‖ (≈ 10–100 for steps that change the gradient by a few per cent); Newton-CG's CG amplifies a relative
     * perturbation of g or Gv by up to κ(G + λI) ≤ 1 + λ_max(G)/λ, with λ ≥ its λ₀ = 1 here. Ten times the
     * first-order rules' bound covers a magnification of 10 per step's worth of rounding; a wrong kernel (a sign, a
     * missing term, a reduction that drops a block) gives errors of order 1.
     */
    public static final double CLOSURE_STEPS_F32 = 10 * Tolerances.TRAINING_STEPS_F32;

    private TrainingAgreement() {
    }

    /**
     * The configuration compared: a small MLP on the embedded data; every first-order rule with weight decay and
     * clipping; L-BFGS full batch with the fixed step (no line search: its branches on nearly equal losses could
     * send two backends down different paths, which would test the search, not the kernels), Newton-CG full batch
     * with Gauss-Newton products on 200 rows and at most 10 CG iterations.
     */
    static TrainConfig config(UpdateRule rule, boolean graph) {
        if (rule == UpdateRule.LBFGS) {
            return TrainConfig.builder().setData("embedded").optLimit(700).optHidden(48, 24).optBatchSize(0)
                    .optSteps(12).optOptimizer(rule).optLearningRate(0.1).optMaxIter(4).optHistorySize(5)
                    .optSubset(128).optSeed(3).optCudaGraph(graph).build();
        }
        if (rule == UpdateRule.NEWTON_CG) {
            return TrainConfig.builder().setData("embedded").optLimit(700).optHidden(48, 24).optBatchSize(0)
                    .optSteps(12).optOptimizer(rule).optCurvatureBatch(200).optCgMaxIter(10).optSubset(128)
                    .optSeed(3).optCudaGraph(graph).build();
        }
        double lr = switch (rule) {
            case ADAM, ADAMW, RMSPROP -> 1e-3;
            default -> 0.05;
        };
        return TrainConfig.builder().setData("embedded").optLimit(700).optHidden(48, 24).optBatchSize(64)
                .optSteps(12).optOptimizer(rule).optLearningRate(lr).optWeightDecay(1e-4).optClipNorm(5.0)
                .optEma(4).optSubset(128).optSeed(3).optCudaGraph(graph).build();
    }

    /**
     * Trains each rule on {@code device} (plain and recorded) and on the CPU, and compares the final θ.
     *
     * @param device the device backend to compare with the CPU
     * @return one row per comparison
     */
    public static List<SelfTest.Row> compare(Backend device) {
        List<SelfTest.Row> rows = new ArrayList<>();
        for (UpdateRule rule : UpdateRule.values()) {
            float[] reference;
            try (CpuBackend cpu = CpuBackend.f32()) {
                reference = train(config(rule, false), cpu);
            }
            float[] plain = train(config(rule, false), device);
            float[] recorded = train(config(rule, true), device);
            double e1 = Tolerances.relativeError(plain, reference);
            double bound = rule.closureBased() ? CLOSURE_STEPS_F32 : Tolerances.TRAINING_STEPS_F32;
            rows.add(new SelfTest.Row("training", rule.cliName() + ": 12 steps vs CPU", e1, bound, e1 <= bound));
            double e2 = Tolerances.relativeError(recorded, plain);
            // The closure rules issue every op (a step's evaluations depend on its line search or CG): cudaGraph
            // does not apply, and this row checks that a second run gives the same θ.
            rows.add(new SelfTest.Row("training", rule.cliName() + (rule.closureBased() ? ": second run vs first"
                    : ": graph replay vs plain"), e2, GRAPH_VS_PLAIN, e2 <= GRAPH_VS_PLAIN));
        }
        return rows;
    }

    private static float[] train(TrainConfig config, Backend backend) {
        try (Trainer t = new Trainer(config, backend)) {
            t.optProgressBar(false).fit();
            return t.model().parameters();
        }
    }
}
