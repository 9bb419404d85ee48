package io.ravine.study;

import java.util.List;

/**
 * One finished trial of a batch-size study: one row of {@code study.csv}. Empty cells are values that do not apply
 * to the trial's kind (NaN here; −1 for counts).
 *
 * @param trial the trial's key ({@code hardware/cpu/b=64}, {@code steps/b=64/lr=0.001}, {@code noise/b=128})
 * @param kind {@code hardware}, {@code steps} or {@code noise}
 * @param device the device name the trial ran on
 * @param batchSize examples per update
 * @param learningRate learning rate of a training trial
 * @param status {@code timed}; {@code reached}, {@code not_reached} or {@code diverged} for training trials
 * @param steps steps to the target (reached), or steps run
 * @param examples steps × batch size
 * @param finalLoss the target metric when the trial stopped
 * @param noiseScale the final B_simple of a noise trial
 * @param secondsPerUpdate median seconds of one update (hardware)
 * @param secondsQ1 first quartile
 * @param secondsQ3 third quartile
 * @param secondsMin fastest update
 * @param secondsMax slowest update
 * @param samplesPerSecond batch size / median
 * @param repeats timed updates
 * @param wallSeconds wall-clock seconds the trial took
 */
public record TrialRow(String trial, String kind, String device, int batchSize, double learningRate, String status,
        long steps, long examples, double finalLoss, double noiseScale, double secondsPerUpdate, double secondsQ1,
        double secondsQ3, double secondsMin, double secondsMax, double samplesPerSecond, int repeats,
        double wallSeconds) {

    public static final List<String> COLUMNS = List.of("trial", "kind", "device", "batch_size", "learning_rate",
            "status", "steps", "examples", "final_loss", "noise_scale", "seconds_per_update", "seconds_q1",
            "seconds_q3", "seconds_min", "seconds_max", "samples_per_second", "repeats", "wall_seconds");

    /** Columns that hold measured times: they differ between two runs of the same study; the rest do not. */
    public static final List<String> TIMING_COLUMNS = List.of("seconds_per_update", "seconds_q1", "seconds_q3",
            "seconds_min", "seconds_max", "samples_per_second", "repeats", "wall_seconds");

    static TrialRow hardware(String trial, String device, UpdateTiming t, double wallSeconds) {
        return new TrialRow(trial, BatchSizeStudyConfig.HARDWARE, device, t.batchSize(), Double.NaN, "timed", -1, -1,
                Double.NaN, Double.NaN, t.median(), t.q1(), t.q3(), t.min(), t.max(), t.samplesPerSecond(),
                t.repeats(), wallSeconds);
    }

    static TrialRow training(String trial, String kind, String device, int batchSize, double lr, String status,
            long steps, double finalLoss, double noiseScale, double wallSeconds) {
        return new TrialRow(trial, kind, device, batchSize, lr, status, steps, steps * batchSize, finalLoss,
                noiseScale, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, -1, wallSeconds);
    }

    List<String> cells() {
        return List.of(trial, kind, device, Integer.toString(batchSize), num(learningRate), status, count(steps),
                count(examples), num(finalLoss), num(noiseScale), num(secondsPerUpdate), num(secondsQ1),
                num(secondsQ3), num(secondsMin), num(secondsMax), num(samplesPerSecond), count(repeats),
                num(wallSeconds));
    }

    static TrialRow parse(java.util.function.Function<String, String> cell) {
        return new TrialRow(cell.apply("trial"), cell.apply("kind"), cell.apply("device"),
                Integer.parseInt(cell.apply("batch_size")), parseNum(cell.apply("learning_rate")),
                cell.apply("status"), parseCount(cell.apply("steps")), parseCount(cell.apply("examples")),
                parseNum(cell.apply("final_loss")), parseNum(cell.apply("noise_scale")),
                parseNum(cell.apply("seconds_per_update")), parseNum(cell.apply("seconds_q1")),
                parseNum(cell.apply("seconds_q3")), parseNum(cell.apply("seconds_min")),
                parseNum(cell.apply("seconds_max")), parseNum(cell.apply("samples_per_second")),
                (int) parseCount(cell.apply("repeats")), parseNum(cell.apply("wall_seconds")));
    }

    /** Shortest decimal that reads back to the same double, so a resumed study's rows equal a straight run's. */
    private static String num(double v) {
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    private static String count(long v) {
        return v < 0 ? "" : Long.toString(v);
    }

    private static double parseNum(String s) {
        return s.isEmpty() ? Double.NaN : Double.parseDouble(s);
    }

    private static long parseCount(String s) {
        return s.isEmpty() ? -1 : Long.parseLong(s);
    }
}
