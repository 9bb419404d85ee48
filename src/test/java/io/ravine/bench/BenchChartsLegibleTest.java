package io.ravine.bench;

import io.ravine.report.ChartLegibility;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second-order bench's charts (loss-vs-passes.png, loss-vs-seconds.png), drawn by the bench's own plot from
 * curves shaped like its runs' and checked as painted by {@link ChartLegibility} (the rules are listed there; the
 * other charts are in {@code io.ravine.report.EveryChartIsLegibleTest}).
 */
class BenchChartsLegibleTest {

    /** A metrics.csv's rows: train_loss(u), passes and wall_seconds for u from 0 to 1 over {@code n} rows. */
    private static List<Map<String, Double>> curve(int n, double passes, double seconds,
            java.util.function.DoubleUnaryOperator loss) {
        List<Map<String, Double>> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double u = i / (n - 1.0);
            Map<String, Double> r = new LinkedHashMap<>();
            r.put("step", (double) i);
            r.put("passes", passes * u);
            r.put("wall_seconds", 0.013 + seconds * u);
            r.put("train_loss", loss.applyAsDouble(u));
            rows.add(r);
        }
        return rows;
    }

    @Test
    void theRegressionChartsAreLegible(@TempDir Path dir) throws Exception {
        // J − J* from 10^3 down to float64's rounding (floored at 1e-12): 15 decades, log-log.
        double jStar = 0.37660000001;
        Map<String, List<Map<String, Double>>> curves = new LinkedHashMap<>();
        curves.put("sgd", curve(400, 400, 2.1, u -> jStar + 1e3 * Math.pow(0.3, 10 * u)));
        curves.put("lbfgs", curve(60, 120, 0.4, u -> jStar + 1e3 * Math.pow(1e-18, u)));
        curves.put("newton-cg", curve(12, 45, 0.9, u -> jStar + 1e3 * Math.pow(1e-16, u)));
        List<ChartLegibility.Picture> pictures = ChartLegibility.capture(() -> {
            SecondOrderBench.plot(dir.resolve("loss-vs-passes.png"), "Badly-scaled regression (κ ≈ 2e11), float64",
                    "passes over the data", "passes", "J − J* (train)", curves, jStar, true);
            SecondOrderBench.plot(dir.resolve("loss-vs-seconds.png"), "Badly-scaled regression (κ ≈ 2e11), float64",
                    "wall-clock seconds", "wall_seconds", "J − J* (train)", curves, jStar, true);
        });
        ChartLegibility.assertLegible(pictures, List.of("loss-vs-passes.png", "loss-vs-seconds.png"));
    }

    @Test
    void theMnistChartsAreLegible(@TempDir Path dir) throws Exception {
        // Train losses within one decade (2.3 → 0.31), passes and seconds on linear axes.
        Map<String, List<Map<String, Double>>> curves = new LinkedHashMap<>();
        curves.put("adam (B 128, lr 1e-3)", curve(200, 14, 60, u -> 0.31 + 2 * Math.exp(-8 * u)));
        curves.put("lbfgs (full batch, strong Wolfe)", curve(80, 95, 60, u -> 0.36 + 1.94 * Math.exp(-5 * u)));
        List<ChartLegibility.Picture> pictures = ChartLegibility.capture(() -> {
            SecondOrderBench.plot(dir.resolve("loss-vs-passes.png"), "784-256-10 on 10000 fashion-mnist examples,"
                    + " float32", "passes over the data", "passes", "train loss (monitoring subset)", curves, 0, false);
            SecondOrderBench.plot(dir.resolve("loss-vs-seconds.png"), "784-256-10 on 10000 fashion-mnist examples,"
                    + " float32", "wall-clock seconds", "wall_seconds", "train loss (monitoring subset)", curves, 0,
                    false);
        });
        ChartLegibility.assertLegible(pictures, List.of("loss-vs-passes.png", "loss-vs-seconds.png"));
    }
}
