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

    private TrainingAgreement() {
    }

    /** The configuration compared: a small MLP on the embedded data, every rule with weight decay and clipping. */
    static TrainConfig config(UpdateRule rule, boolean graph) {
        double lr = switch (rule) {
            case ADAM, ADAMW, RMSPROP -> 1e-3;
            default -> 0.05;
        };
        return TrainConfig.builder().setData("embedded").optLimit(700).optHidden(48, 24).optBatchSize(64)
                .optSteps(12).optOptimizer(rule).optLearningRate(lr).optWeightDecay(1e-4).optClipNorm(5.0)
                .optEma(4).optMonitorSize(128).optSeed(3).optCudaGraph(graph).build();
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
            float[] reference = train(config(rule, false), CpuBackend.f32());
            float[] plain = train(config(rule, false), device);
            float[] recorded = train(config(rule, true), device);
            double e1 = Tolerances.relativeError(plain, reference);
            rows.add(new SelfTest.Row("training", rule.cliName() + ": 12 steps vs CPU", e1,
                    Tolerances.TRAINING_STEPS_F32, e1 <= Tolerances.TRAINING_STEPS_F32));
            double e2 = Tolerances.relativeError(recorded, plain);
            rows.add(new SelfTest.Row("training", rule.cliName() + ": graph replay vs plain", e2, GRAPH_VS_PLAIN,
                    e2 <= GRAPH_VS_PLAIN));
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
