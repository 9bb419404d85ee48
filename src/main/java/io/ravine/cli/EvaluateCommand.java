package io.ravine.cli;

import io.ravine.data.Dataset;
import io.ravine.train.ModelEvaluation;
import io.ravine.train.TrainedModel;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ravine evaluate}: a trained model's loss and accuracy on labelled raw examples, with a per-class table
 * (examples, recall, precision) and the confusion matrix for classifiers. Writes nothing.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate a trained model on labelled raw examples: loss, accuracy, a per-class table and the"
                + " confusion matrix.")
public final class EvaluateCommand implements Callable<Integer> {
    @Mixin
    ModelFlags model;

    @Option(names = "--data", required = true, paramLabel = "DATA",
            description = "embedded, fashion-mnist, synthetic or an IDX directory (their test split), or a CSV file"
                    + " with its target column (all rows)")
    String data;

    @Override
    public Integer call() {
        model.validate();
        try (TrainedModel m = model.model()) {
            Dataset d = ModelData.load(data, m.inputDim(), m.loss(), true);
            ModelEvaluation e = m.evaluate(d);
            System.out.print(report(m, d, e));
        }
        return 0;
    }

    /** The printed report: one summary line, then for classifiers the per-class table and the confusion matrix. */
    static String report(TrainedModel m, Dataset d, ModelEvaluation e) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s on %s (%d examples): loss %.6g", m.architecture().describe(),
                d.name(), e.examples(), e.loss()));
        if (e.numClasses() == 0) {
            sb.append('\n');
            return sb.toString();
        }
        sb.append(String.format(Locale.ROOT, ", accuracy %.4f%n%n", e.accuracy()));
        int k = e.numClasses();
        int[][] c = e.confusionMatrix();
        sb.append("| class | examples | predicted | recall | precision |\n|---:|---:|---:|---:|---:|\n");
        for (int i = 0; i < k; i++) {
            int examples = 0;
            int predicted = 0;
            for (int j = 0; j < k; j++) {
                examples += c[i][j];
                predicted += c[j][i];
            }
            sb.append(String.format(Locale.ROOT, "| %d | %d | %d | %s | %s |%n", i, examples, predicted,
                    examples == 0 ? "–" : String.format(Locale.ROOT, "%.4f", e.recall(i)),
                    predicted == 0 ? "–" : String.format(Locale.ROOT, "%.4f", e.precision(i))));
        }
        sb.append("\nconfusion matrix (rows: label, columns: predicted)\n");
        sb.append("| label |");
        for (int j = 0; j < k; j++) {
            sb.append(' ').append(j).append(" |");
        }
        sb.append('\n').append("|---:|").append("---:|".repeat(k)).append('\n');
        for (int i = 0; i < k; i++) {
            sb.append("| ").append(i).append(" |");
            for (int j = 0; j < k; j++) {
                sb.append(' ').append(c[i][j]).append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
