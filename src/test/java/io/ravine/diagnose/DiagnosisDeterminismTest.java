package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.google.gson.JsonObject;
import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.data.Dataset;
import io.ravine.io.StrictJson;
import io.ravine.nn.Initializer;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The same θ, data and seed give the same diagnosis, bit for bit, in either precision on the CPU. */
class DiagnosisDeterminismTest {
    @ParameterizedTest
    @EnumSource(value = Diagnosis.Precision.class, names = {"F32", "F64"})
    void sameSeedSameBits(Diagnosis.Precision precision) {
        Mlp mlp = new Mlp(12, new int[] {10}, 4, Activation.TANH, LossKind.SOFTMAX_CE);
        SplittableRandom rng = new SplittableRandom(5);
        int n = 600;
        float[] x = new float[n * 12];
        float[] y = new float[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(4);
        }
        Dataset data = new Dataset("det", n, 12, x, 1, y, 4);
        float[] theta = mlp.initialParameters(Initializer.xavier(), 0.0, 3);
        Diagnosis.Options o = Diagnosis.Options.defaults().withSubsetSize(200).withPrecision(precision)
                .withDensityProbes(2);
        String first = text(mlp, theta, data, o);
        assertEquals(first, text(mlp, theta, data, o));
        assertNotEquals(first, text(mlp, theta, data, o.withSeed(2)), "the seed is what decides");
    }

    private static String text(Mlp mlp, float[] theta, Dataset data, Diagnosis.Options o) {
        try (Model m = new Model(CpuBackend.f32(), mlp)) {
            m.setParameters(theta);
            Diagnosis.Report r = Diagnosis.run(m, data, o);
            JsonObject json = DiagnosisFile.toJson(r, new DiagnosisFile.Origin("c", 0, mlp.describe(), "cpu"),
                    0.1, MeasurementFindings.from(r));
            json.getAsJsonObject("cost").remove("seconds"); // wall-clock time is the one thing that varies
            return StrictJson.toJson(json);
        }
    }
}
