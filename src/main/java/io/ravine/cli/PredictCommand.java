package io.ravine.cli;

import io.ravine.backend.LossKind;
import io.ravine.data.Dataset;
import io.ravine.io.AtomicFiles;
import io.ravine.train.TrainedModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ravine predict}: a trained model's predictions on raw examples, one CSV row per example. Classifiers write
 * the predicted class and the probability of each class ({@code p_0 … p_{K-1}}; one logistic output writes
 * {@code p_1}); models trained with MSE write their outputs ({@code y_0 …}). The model applies the normalization it
 * was trained with (stored in the checkpoint, or given by the {@link ModelFlags} flags).
 */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Predict with a trained model on raw examples: one CSV row per example (class and"
                + " probabilities, or outputs).")
public final class PredictCommand implements Callable<Integer> {
    @Mixin
    ModelFlags model;

    @Option(names = "--data", required = true, paramLabel = "DATA",
            description = "embedded, fashion-mnist, synthetic or an IDX directory (their test split), or a CSV file"
                    + " (all rows; the target column may be left out)")
    String data;

    @Mixin
    OutputFileFlags output;

    @Override
    public Integer call() {
        model.validate();
        output.check(model.inputs());
        Path out = output.out;
        try (TrainedModel m = model.model()) {
            Dataset d = ModelData.load(data, m.inputDim(), m.loss(), false);
            float[][] p = m.predict(d);
            int[] classes = m.loss() == LossKind.MSE ? null : m.predictClasses(d);
            String csv = csv(m, p, classes);
            try {
                Path abs = out.toAbsolutePath();
                Files.createDirectories(abs.getParent());
                AtomicFiles.writeString(abs, csv);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write --out " + out, e);
            }
            System.out.printf(Locale.ROOT, "wrote %s: %d predictions of %s on %s%n", out, d.n(), m.architecture()
                    .describe(), d.name());
        }
        return 0;
    }

    /** The CSV text: a header, then one row per example. */
    static String csv(TrainedModel m, float[][] p, int[] classes) {
        int k = m.outputDim();
        StringBuilder sb = new StringBuilder("example");
        if (classes != null) {
            sb.append(",predicted");
            if (k == 1) {
                sb.append(",p_1");
            } else {
                for (int j = 0; j < k; j++) {
                    sb.append(",p_").append(j);
                }
            }
        } else {
            for (int j = 0; j < k; j++) {
                sb.append(",y_").append(j);
            }
        }
        sb.append('\n');
        for (int i = 0; i < p.length; i++) {
            sb.append(i);
            if (classes != null) {
                sb.append(',').append(classes[i]);
            }
            for (int j = 0; j < k; j++) {
                // Shortest text that reads back as the same float (Float.toString), never NaN text: a non-finite
                // output is written as an empty cell.
                sb.append(',');
                if (Float.isFinite(p[i][j])) {
                    sb.append(p[i][j]);
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
