package io.ravine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.data.DataSources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {

    private static double accuracy(String out) {
        Matcher m = Pattern.compile("test accuracy ([0-9.]+)").matcher(out);
        assertTrue(m.find(), out);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void defaultTrainRunsOnTheEmbeddedData(@TempDir Path tmp) {
        CliTestSupport.Result r = CliTestSupport.run("train", "--device", "cpu", "--epochs", "2", "--progress", "off",
                "--run-dir", tmp.resolve("run").toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(accuracy(r.out()) > 0.75, r.out());
        assertTrue(r.out().contains("samples/s"), r.out());
        assertTrue(Files.exists(tmp.resolve("run/checkpoints/final.safetensors")));
    }

    @Test
    void resumeExtendsARunFromItsLatestCheckpoint(@TempDir Path tmp) {
        String dir = tmp.resolve("run").toString();
        CliTestSupport.Result first = CliTestSupport.run("train", "--device", "cpu", "--limit", "500", "--steps",
                "10", "--checkpoint-every", "5", "--progress", "off", "--run-dir", dir);
        assertEquals(0, first.status(), first.err());
        CliTestSupport.Result more = CliTestSupport.run("train", "--resume", "--run-dir", dir, "--steps", "16",
                "--progress", "off");
        assertEquals(0, more.status(), more.err());
        assertTrue(more.out().contains("16 steps"), more.out());
    }

    @Test
    void diagnoseEveryLogsCurvatureAlongTheGradientAndTheRunGetsAReport(@TempDir Path tmp) {
        Path dir = tmp.resolve("run");
        CliTestSupport.Result r = CliTestSupport.run("train", "--device", "cpu", "--limit", "600", "--steps", "12",
                "--diagnose-every", "4", "--log-every", "2", "--progress", "off", "--run-dir", dir.toString());
        assertEquals(0, r.status(), r.err());
        java.util.List<java.util.Map<String, Double>> rows = io.ravine.train.MetricsLog.read(dir.resolve("metrics.csv"));
        for (java.util.Map<String, Double> row : rows) {
            // Step 0 is the row of θ₀ (the monitoring loss only).
            boolean due = row.get("step") > 0 && row.get("step") % 4 == 0;
            for (String c : java.util.List.of("gg", "gHg", "optimal_step", "predicted_change", "actual_change")) {
                assertEquals(due, Double.isFinite(row.get(c)), c + " at step " + row.get("step"));
            }
            if (due) {
                // Early in training the loss is locally convex along g, so ε* = gᵀg / gᵀHg is a positive step.
                assertTrue(row.get("gHg") > 0 && row.get("optimal_step") > 0, row.toString());
                assertEquals(row.get("gg") / row.get("gHg"), row.get("optimal_step"), 1e-7 * row.get("optimal_step"));
                // The DL book's prediction for a step of the row's α, ½α²gᵀHg − αgᵀg, against J(θ − αg) − J(θ): at
                // Adam's default α = 1e-3 the quadratic model is accurate to well within 5%.
                double lr = row.get("lr");
                double predicted = 0.5 * lr * lr * row.get("gHg") - lr * row.get("gg");
                assertEquals(predicted, row.get("predicted_change"), 1e-7 * Math.abs(predicted));
                assertTrue(predicted < 0, row.toString());
                assertEquals(predicted, row.get("actual_change"), 0.05 * Math.abs(predicted), row.toString());
            }
        }
        assertTrue(Files.exists(dir.resolve("report.html")));
        assertTrue(Files.exists(dir.resolve("plots/loss.png")));
        assertTrue(Files.exists(dir.resolve("plots/" + io.ravine.report.RunReport.STEP_TERMS_PLOT)));
    }

    /** The acceptance run: 784-256-10 ReLU, Adam 1e-3, batch 128, two epochs of Fashion-MNIST. */
    @Test
    void fashionMnistReaches86PercentInTwoEpochs(@TempDir Path tmp) {
        Assumptions.assumeTrue(Files.isDirectory(DataSources.fashionMnistDir()),
                "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        CliTestSupport.Result r = CliTestSupport.run("train", "--data", "fashion-mnist", "--hidden", "256",
                "--activation", "relu", "--optimizer", "adam", "--lr", "1e-3", "--batch-size", "128", "--epochs", "2",
                "--device", "cpu", "--progress", "off", "--run-dir", tmp.resolve("run").toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(accuracy(r.out()) >= 0.86, r.out());
    }
}
