package io.ravine.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.train.MetricsLog;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** report.html from whatever a run directory holds, down to nothing at all. */
class RunReportTest {
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G'};

    @Test
    void aFinishedRunGetsItsCurvesAndSummary(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        TrainConfig config = TrainConfig.builder().setData("embedded").optLimit(600).optHidden(16).optBatchSize(50)
                .optSteps(30).optLogEvery(5).optEvalEvery(10).optSubset(100).optSeed(3).build();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(run).fit();
        }
        Path report = RunReport.write(run);
        String html = Files.readString(report);
        for (String png : List.of(RunReport.LOSS_PLOT, RunReport.ACCURACY_PLOT, RunReport.GRADIENT_NORM_PLOT,
                RunReport.LEARNING_RATE_PLOT)) {
            Path file = run.resolve("plots").resolve(png);
            assertArrayEquals(PNG_MAGIC, Arrays.copyOf(Files.readAllBytes(file), 4), png);
            assertTrue(html.contains("plots/" + png), png);
        }
        // The run logged no curvature (no --diagnose-every), so there is no curvature chart.
        assertFalse(Files.exists(run.resolve("plots").resolve(RunReport.CURVATURE_PLOT)));
        assertTrue(html.contains("test_accuracy"));
        assertTrue(html.contains("784-16-10"));
        assertTrue(html.contains("No diagnosis.json"));
    }

    @Test
    void curvatureColumnsAreDrawnWhenTheRunLoggedThem(@TempDir Path run) throws Exception {
        StringBuilder csv = new StringBuilder(String.join(",", MetricsLog.COLUMNS)).append('\n');
        for (int step = 10; step <= 50; step += 10) {
            // step,epoch,lr,batch_loss,train_loss,train_accuracy,test_loss,test_accuracy,ema_test_loss,
            // ema_test_accuracy,grad_norm,gHg,optimal_step,gg,predicted_change,actual_change,passes,wall_seconds
            // (a regression: no accuracy)
            double gg = 0.25 / step;
            double ghg = 2.0 / step;
            csv.append(step).append(",0.1,0.01,1.0,0.9,,,,,,0.5,").append(ghg).append(',').append(gg / ghg).append(',')
                    .append(gg).append(',').append(0.5e-4 * ghg - 0.01 * gg).append(',').append(-0.009 * gg)
                    .append(',').append(step / 40.0).append(',').append(step / 10.0).append('\n');
        }
        Files.writeString(run.resolve("metrics.csv"), csv);
        String html = Files.readString(RunReport.write(run));
        for (String chart : List.of(RunReport.CURVATURE_PLOT, RunReport.STEP_TERMS_PLOT,
                RunReport.GRADIENT_NORM_PLOT)) {
            assertTrue(Files.exists(run.resolve("plots").resolve(chart)), chart);
            assertTrue(html.contains("plots/" + chart), chart);
        }
        assertFalse(Files.exists(run.resolve("plots").resolve(RunReport.ACCURACY_PLOT)), "no accuracy logged");
        assertTrue(html.contains("No summary.json"));
        // The gradient-norm chart shows the mini-batch norm and the monitoring subset's √gᵀg, the one that should
        // approach zero; the step chart the two second-order terms and the measured decrease.
        java.util.Map<String, LinePlot> charts = RunReport.curveCharts(MetricsLog.read(run.resolve("metrics.csv")));
        assertEquals(List.of("mini-batch", "monitoring subset, sqrt(g'g)"),
                charts.get(RunReport.GRADIENT_NORM_PLOT).seriesNames());
        assertEquals(3, charts.get(RunReport.STEP_TERMS_PLOT).seriesNames().size());
    }

    @Test
    void eachEpochsShortLastBatchIsItsOwnSeriesOfTheGradientNorm(@TempDir Path tmp) throws Exception {
        // 1000 examples in batches of 128: 8 steps an epoch, the 8th of 104 examples, whose gradient norm carries
        // more sampling noise. It is drawn as its own series, named, not as spikes of the mini-batch line.
        Path run = tmp.resolve("run");
        TrainConfig config = TrainConfig.builder().setData("embedded").optLimit(1000).optHidden(8).optBatchSize(128)
                .optSteps(24).optLogEvery(1).optSubset(100).build();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false).optReport(false).optRunDirectory(run).fit();
        }
        RunReport.ShortBatches shortBatches = RunReport.ShortBatches.of(run.resolve("config.json"));
        assertEquals(new RunReport.ShortBatches(8, 104), shortBatches);
        java.util.List<java.util.Map<String, Double>> rows = MetricsLog.read(run.resolve("metrics.csv"));
        java.util.Map<String, LinePlot> charts = RunReport.curveCharts(rows, shortBatches);
        assertEquals(List.of("mini-batch", "an epoch's last batch (104 examples)"),
                charts.get(RunReport.GRADIENT_NORM_PLOT).seriesNames());
        for (java.util.Map<String, Double> r : rows) {
            double step = r.get("step");
            boolean last = step > 0 && step % 8 == 0;
            assertEquals(last, Double.isNaN(r.get("grad_norm")) && step > 0, "step " + step);
        }
        // Without a readable config.json nothing is known to be short: one series, as before.
        assertEquals(RunReport.ShortBatches.NONE, RunReport.ShortBatches.of(tmp.resolve("no-such-config.json")));
    }

    @Test
    void aLogFromBeforeTheSubsetColumnsGetsTheChartsItHasTheDataFor(@TempDir Path run) throws Exception {
        StringBuilder csv = new StringBuilder("step,epoch,lr,batch_loss,train_loss,test_loss,test_accuracy,"
                + "ema_test_loss,ema_test_accuracy,grad_norm,gHg,optimal_step,wall_seconds\n");
        for (int step = 10; step <= 50; step += 10) {
            csv.append(step).append(",0.1,0.01,1.0,0.9,,,,,0.5,").append(2.0 / step).append(",0.1,")
                    .append(step / 10.0).append('\n');
        }
        Files.writeString(run.resolve("metrics.csv"), csv);
        java.util.Map<String, LinePlot> charts = RunReport.curveCharts(MetricsLog.read(run.resolve("metrics.csv")));
        assertEquals(List.of("mini-batch"), charts.get(RunReport.GRADIENT_NORM_PLOT).seriesNames());
        assertTrue(charts.containsKey(RunReport.CURVATURE_PLOT));
        assertFalse(charts.containsKey(RunReport.STEP_TERMS_PLOT));
        String html = Files.readString(RunReport.write(run));
        assertTrue(html.contains("plots/" + RunReport.CURVATURE_PLOT));
    }

    @Test
    void anEmptyOrDamagedRunDirectoryStillGetsAReport(@TempDir Path run) throws Exception {
        String empty = Files.readString(RunReport.write(run));
        assertTrue(empty.contains("No metrics.csv"));
        assertTrue(empty.contains("No config.json"));

        Files.writeString(run.resolve("metrics.csv"), "step,lr\n1,not-a-number\n");
        Files.writeString(run.resolve("summary.json"), "{ truncated");
        String damaged = Files.readString(RunReport.write(run));
        assertTrue(damaged.contains("training curves unavailable"), damaged);
        assertTrue(damaged.contains("summary unavailable"), damaged);
    }

    @Test
    void aMissingRunDirectoryIsBadInput(@TempDir Path tmp) {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> RunReport.write(tmp.resolve("absent")));
        assertTrue(e.getMessage().contains("absent"));
    }
}
