package io.ravine.examples;

import io.ravine.data.DataSources;
import io.ravine.diagnose.CurveDoctor;
import io.ravine.diagnose.Diagnosis;
import io.ravine.diagnose.Finding;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Train, then ask the lectures' questions from Java: the Hessian's top eigenvalues and the curve doctor. */
public final class DiagnoseFromJava {
    public static void main(String[] args) throws Exception {
        Path run = Files.createTempDirectory("ravine-example").resolve("run");
        TrainConfig config = TrainConfig.builder().setData(DataSources.EMBEDDED).optLimit(2000).optHidden(32)
                .optOptimizer(io.ravine.backend.UpdateRule.SGD).optLearningRate(0.05).optBatchSize(50).optSteps(300)
                .optLogEvery(10).optSeed(5).build();
        try (Trainer trainer = new Trainer(config)) {
            trainer.optProgressBar(false).optReport(false).optRunDirectory(run); // charts need XChart: not here
            System.out.println(trainer.fit());
            Diagnosis.Report report = Diagnosis.run(trainer.model(), trainer.trainingData(),
                    Diagnosis.Options.defaults().withSubsetSize(1000).withLanczos(20, 3));
            double[] top = report.hessian().topEigenvalues();
            System.out.println("top Hessian eigenvalues " + Arrays.toString(top) + "; stability bound 2/λ_max = "
                    + 2 / report.hessian().maxEigenvalue());
            TrainAndPredict.check(top.length == 3 && top[0] >= top[1] && top[1] >= top[2] && top[0] > 0,
                    "three eigenvalues, largest first");
        }
        for (Finding f : CurveDoctor.fromMetrics(run.resolve("metrics.csv"))) {
            System.out.println(f.problem() + ": " + f.evidence() + " -> " + f.workaround());
        }
    }
}
