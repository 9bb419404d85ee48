package io.ravine.diagnose;

import io.ravine.InvalidInputException;
import io.ravine.train.Divergence;
import io.ravine.train.MetricsLog;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a run's training curves and names the learning-rate problems of the lectures' table (Grosse, CSC321
 * lecture 8, §4.4–4.6 and §4.9; Grosse &amp; Ba, lectures 7–8) that they show, each with the numbers that triggered it
 * and advice fitted to the run's settings ({@link Advice}):
 * <ul>
 *   <li>{@value #SLOW_PROGRESS}: "slow, linear training curve": the monitoring loss falls in a straight line and
 *       has not begun to level off; workaround: increase α;</li>
 *   <li>{@value #INSTABILITY}: "cost increases": a loss became NaN/Inf, the monitoring loss blew up to more than
 *       {@link Divergence#BLOW_UP_FACTOR} × its value at θ₀ (the trainer's own rule, {@link Divergence#check}), it
 *       climbed well above its best value, its late-half average is above its value at θ₀, or its late-half trend
 *       rises beyond its scatter; workaround: decrease α;</li>
 *   <li>{@value #OSCILLATION}: a systematic effect of the cost surface: the monitoring loss (a fixed subset, so no
 *       sampling noise) goes up and down on alternate logged steps, or, in a full-batch run (no gradient noise at
 *       all), scatters around a flat trend; workaround: decrease α, momentum;</li>
 *   <li>{@value #FLUCTUATION}: an effect of stochastic gradients, so only in a mini-batch run and only where neither
 *       instability nor oscillation was found (those are α too large; fluctuation is what remains at a good α):
 *       late in training the mini-batch loss scatters widely around a trend that is not rising, and so does the
 *       monitoring loss (so θ itself is moving about, not only the batches differing); workaround: decay α late, or
 *       average the iterates.</li>
 * </ul>
 * The curves are {@code metrics.csv}'s {@code batch_loss} (the loss of each logged step's mini-batch) and
 * {@code train_loss} (the loss on a fixed, seeded monitoring subset, so it moves only when θ moves). Whether the run
 * had mini-batch noise comes from its configuration (batch size against the training set), or, for a metrics file
 * alone, from its {@code epoch} column (step / epoch is the number of batches per epoch: 1 exactly for full batch).
 * Rows of {@code train --diagnose-every} add {@link CurvatureFindings#UPHILL_STEP} where α was above 2ε*. A finding
 * is a hint, as in the lectures: oscillations in weight space need not show in the curve at all.
 */
public final class CurveDoctor {
    public static final String SLOW_PROGRESS = "slow_progress";
    public static final String INSTABILITY = "instability";
    public static final String OSCILLATION = "oscillation";
    public static final String FLUCTUATION = "fluctuation";

    /** Fewer logged points than this say nothing about a curve's shape; no finding but instability is made. */
    static final int MIN_POINTS = 8;

    /**
     * A monitoring loss whose late average is at least this multiple of its best (smoothed) value has gone uphill:
     * noise on a fixed subset does not double the loss, a step that overshoots does.
     */
    static final double INSTABILITY_RISE = 2.0;

    /**
     * ... and the rise must also be this share of the starting loss, so that a loss near zero that creeps from
     * 1e-6 to 3e-6 is not called unstable.
     */
    static final double INSTABILITY_MIN_RISE_OF_START = 0.1;

    /** A straight line must explain this share of the monitoring loss's variance (R²) for "linear". */
    static final double SLOW_MIN_R2 = 0.9;

    /**
     * The second half's rate of decrease over the first half's: a well-tuned run decelerates as it approaches a
     * plateau (an exponential approach e^(−t/τ) halves its rate every 0.7τ), a crawling one keeps its rate.
     */
    static final double SLOW_MIN_RATE_RATIO = 0.5;

    /** A run that took off more than this share of its starting loss made real progress, however straight. */
    static final double SLOW_MAX_TOTAL_DROP = 0.5;

    /**
     * Lag-1 autocorrelation of the detrended loss differences: −1 for a period-2 alternation, −0.5 for white noise
     * on the curve (differencing noise gives exactly −0.5), so −0.75 separates the two.
     */
    static final double OSCILLATION_MAX_AUTOCORRELATION = -0.75;

    /**
     * Share of consecutive differences that change sign: 1 for an alternation, 0 for a monotone curve, 2/3 on
     * average for white noise; 0.8 (12 of 15 in a window) is rarely reached by noise, whose flips also need the
     * autocorrelation test above.
     */
    static final double OSCILLATION_MIN_SIGN_FLIPS = 0.8;

    /** Alternations smaller than this share of the loss are float rounding on a plateau, not an oscillation. */
    static final double OSCILLATION_MIN_AMPLITUDE = 1e-3;

    /**
     * Logged points per window in which an alternation is looked for: long enough that 12 of 15 flips is not
     * chance, short enough to catch an oscillation that settles later in the run.
     */
    static final int OSCILLATION_WINDOW = 16;

    /** Moving-average window that removes the trend of the differences and cancels a period-2 alternation. */
    static final int DETREND_WINDOW = 9;

    /**
     * Residual standard deviation of the late mini-batch loss around its trend, relative to the trend: a
     * mini-batch of B examples scatters by about σ_example/√B even at a fixed θ, which stays below 0.1 of the loss
     * for the batch sizes in common use.
     */
    static final double FLUCTUATION_MIN_BATCH_SCATTER = 0.1;

    /**
     * The same for the monitoring loss: it is measured on a fixed subset, so its scatter is θ's own fluctuation,
     * which the workarounds (late α decay, iterate averaging) remove; 2% is far above float rounding.
     */
    static final double FLUCTUATION_MIN_MONITOR_SCATTER = 0.02;

    /**
     * "Flat" trend: over the late half it moves by less than this share of its level, ... A trend that rises by
     * more than this is never flat: a loss going up is not noise around a plateau.
     */
    static final double FLAT_MAX_CHANGE = 0.1;

    /**
     * ... or falls by less than this many residual standard deviations: the drift is lost in the scatter, which is
     * when the lecture says to decay α (progress "on average" no longer shows through the noise). A late trend that
     * rises by more than this many residual standard deviations (and by more than {@link #FLAT_MAX_CHANGE} of its
     * level) is instability: the cost increases, beyond its scatter.
     */
    static final double FLAT_MAX_DRIFT_IN_SCATTER = 2.0;

    /**
     * The monitoring loss's average over the late half of the run above this multiple of its value at θ₀ is
     * instability: on the lectures' quadratic each step multiplies an eigen-direction's error by (1 − αλ), which
     * never grows for αλ ≤ 2, so a stable run's loss does not end above where it started; averaging over the late
     * half keeps a few noisy points from counting. (Adam at lr 0.1 on the embedded data jumps to 11 × its start and
     * stays near it: below the trainer's blow-up rule, but worse than θ₀.)
     */
    static final double INSTABILITY_ABOVE_START = 1.0;

    private CurveDoctor() {
    }

    /**
     * Logged curves, one entry per logged step. NaN in {@code trainLoss} means "not measured"; in
     * {@code batchLoss} (which the Trainer logs at every row) it means the loss was not a number. Either series may
     * be null when it was not logged. {@code gradNorm} (may be null) matters only where it is infinite: a gradient
     * that overflowed while the loss stayed finite, which the trainer's guard refuses and logs. {@code startLoss} is
     * the monitoring loss at θ₀ (metrics.csv's row of step 0), the blow-up rule's reference; NaN when unknown.
     */
    public record Curves(double[] step, double[] batchLoss, double[] trainLoss, double[] gradNorm,
            double startLoss, RunSettings.Batching batching) {
        public Curves {
            if (step == null) {
                throw new IllegalArgumentException("curves need their steps");
            }
            if (batching == null) {
                batching = RunSettings.Batching.UNKNOWN;
            }
            for (double[] s : new double[][] {batchLoss, trainLoss, gradNorm}) {
                if (s != null && s.length != step.length) {
                    throw new IllegalArgumentException("a loss series has " + s.length + " values for "
                            + step.length + " steps");
                }
            }
        }

        /** Curves of a run whose batching is unknown (read as mini-batch: fluctuation is possible). */
        public Curves(double[] step, double[] batchLoss, double[] trainLoss, double[] gradNorm, double startLoss) {
            this(step, batchLoss, trainLoss, gradNorm, startLoss, RunSettings.Batching.UNKNOWN);
        }

        /** Curves without a starting loss. */
        public Curves(double[] step, double[] batchLoss, double[] trainLoss, double[] gradNorm) {
            this(step, batchLoss, trainLoss, gradNorm, Double.NaN);
        }

        /** The same curves of a run with the given batching. */
        public Curves withBatching(RunSettings.Batching b) {
            return new Curves(step, batchLoss, trainLoss, gradNorm, startLoss, b);
        }

        /** Curves without a gradient-norm column or a starting loss. */
        public Curves(double[] step, double[] batchLoss, double[] trainLoss) {
            this(step, batchLoss, trainLoss, null);
        }

        private boolean gradientInfinite(int i) {
            return gradNorm != null && Double.isInfinite(gradNorm[i]);
        }
    }

    /**
     * Diagnoses a run's {@code metrics.csv} (as {@link MetricsLog} writes it), with the settings of the
     * {@code config.json} beside it where there is a readable one ({@link RunSettings#near}).
     *
     * @throws InvalidInputException if the file is missing, malformed or has no {@code step} column
     */
    public static List<Finding> fromMetrics(Path metricsCsv) {
        return fromMetrics(metricsCsv, RunSettings.near(metricsCsv));
    }

    /**
     * Diagnoses a run's {@code metrics.csv} trained with {@code run} (null: unknown).
     *
     * @throws InvalidInputException if the file is missing, malformed or has no {@code step} column
     */
    public static List<Finding> fromMetrics(Path metricsCsv, RunSettings run) {
        if (!Files.isRegularFile(metricsCsv)) {
            throw new InvalidInputException("no metrics file " + metricsCsv);
        }
        List<Map<String, Double>> rows;
        try {
            rows = MetricsLog.read(metricsCsv);
        } catch (UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            throw new InvalidInputException("cannot read " + metricsCsv + ": " + io.ravine.io.ParseErrors.csv(e), e);
        }
        if (!rows.isEmpty() && !rows.get(0).containsKey("step")) {
            throw new InvalidInputException(metricsCsv + " has no 'step' column");
        }
        return fromRows(rows, run);
    }

    /** {@link #fromRows(List, RunSettings)} for a run whose settings are unknown. */
    public static List<Finding> fromRows(List<Map<String, Double>> rows) {
        return fromRows(rows, null);
    }

    /**
     * Diagnoses rows of column name → value (NaN where empty), as {@link MetricsLog#read} returns them, of a run
     * trained with {@code run} (null: unknown; the batching is then inferred from the {@code epoch} column). A first
     * row of step 0 (the trainer's, at θ₀, before any update) gives the starting monitoring loss and is not part of
     * the curves' shape. Rows with curvature columns ({@code train --diagnose-every}) add
     * {@link CurvatureFindings#fromRows}' finding after the curves'.
     */
    public static List<Finding> fromRows(List<Map<String, Double>> rows, RunSettings run) {
        List<Map<String, Double>> all = rows;
        RunSettings.Batching batching = run != null && run.batching() != RunSettings.Batching.UNKNOWN
                ? run.batching() : inferBatching(rows);
        double startLoss = Double.NaN;
        if (!rows.isEmpty() && Double.valueOf(0).equals(rows.get(0).get("step"))) {
            startLoss = rows.get(0).getOrDefault("train_loss", Double.NaN);
            rows = rows.subList(1, rows.size());
        }
        int n = rows.size();
        double[] step = new double[n];
        double[] batch = new double[n];
        double[] train = new double[n];
        double[] grad = new double[n];
        boolean anyBatch = false;
        boolean anyTrain = false;
        boolean anyGrad = false;
        for (int i = 0; i < n; i++) {
            Map<String, Double> r = rows.get(i);
            step[i] = r.getOrDefault("step", Double.NaN);
            batch[i] = r.getOrDefault("batch_loss", Double.NaN);
            train[i] = r.getOrDefault("train_loss", Double.NaN);
            grad[i] = r.getOrDefault("grad_norm", Double.NaN);
            anyBatch |= r.containsKey("batch_loss");
            anyTrain |= r.containsKey("train_loss");
            anyGrad |= r.containsKey("grad_norm");
        }
        List<Finding> findings = new ArrayList<>(diagnose(new Curves(step, anyBatch ? batch : null,
                anyTrain ? train : null, anyGrad ? grad : null, startLoss, batching), run));
        Finding uphill = CurvatureFindings.fromRows(all, run);
        if (uphill != null) {
            findings.add(uphill);
        }
        return findings;
    }

    /**
     * Full batch where every row's step / epoch is 1 (one batch per epoch), mini-batch where it is more; unknown
     * without an {@code epoch} column.
     */
    static RunSettings.Batching inferBatching(List<Map<String, Double>> rows) {
        boolean any = false;
        for (Map<String, Double> r : rows) {
            double s = r.getOrDefault("step", Double.NaN);
            double e = r.getOrDefault("epoch", Double.NaN);
            if (s > 0 && e > 0 && Double.isFinite(s) && Double.isFinite(e)) {
                any = true;
                if (Math.abs(s / e - 1) > 1e-6) {
                    return RunSettings.Batching.MINI_BATCH;
                }
            }
        }
        return any ? RunSettings.Batching.FULL_BATCH : RunSettings.Batching.UNKNOWN;
    }

    /** Diagnoses in-memory curves of a run whose settings are unknown. */
    public static List<Finding> diagnose(Curves curves) {
        return diagnose(curves, null);
    }

    /**
     * Diagnoses in-memory curves of a run trained with {@code run} (null: unknown); the findings come in the order
     * of the class comment's list.
     */
    public static List<Finding> diagnose(Curves curves, RunSettings run) {
        List<Finding> findings = new ArrayList<>();
        double[] step = curves.step();
        int n = step.length;
        // The first logged step whose loss is not a number: everything after it is meaningless.
        int firstBad = n;
        for (int i = 0; i < n; i++) {
            boolean batchBad = curves.batchLoss() != null && !Double.isFinite(curves.batchLoss()[i]);
            boolean trainBad = curves.trainLoss() != null && Double.isInfinite(curves.trainLoss()[i]);
            if (batchBad || trainBad || curves.gradientInfinite(i)) {
                firstBad = i;
                break;
            }
        }
        // The smooth curve: the monitoring loss, or the batch loss where none was logged (full-batch runs).
        Series smooth = Series.of(step, curves.trainLoss(), firstBad);
        String smoothName = "monitoring loss";
        if (smooth.size() < MIN_POINTS && curves.batchLoss() != null) {
            smooth = Series.of(step, curves.batchLoss(), firstBad);
            smoothName = "mini-batch loss (no monitoring loss logged)";
        }
        Series batch = curves.batchLoss() == null ? Series.EMPTY : Series.of(step, curves.batchLoss(), firstBad);

        Finding slow = slowProgress(smooth, smoothName, run);
        if (slow != null) {
            findings.add(slow);
        }
        // The earliest sign wins: a blow-up past the trainer's rule before a NaN, else the NaN, else a rise from the
        // curve's low, else a late half above the start, else a late trend rising beyond its scatter.
        Finding unstable = blowUp(curves, firstBad, run);
        if (unstable == null && firstBad < n) {
            unstable = nonFinite(curves, firstBad, smooth, run);
        }
        if (unstable == null) {
            unstable = rise(smooth, smoothName, run);
        }
        if (unstable == null) {
            unstable = aboveStart(smooth, smoothName, curves.startLoss(), run);
        }
        if (unstable == null) {
            unstable = risingTrend(smooth, smoothName, run);
        }
        if (unstable != null) {
            findings.add(unstable);
        }
        boolean fullBatch = curves.batching() == RunSettings.Batching.FULL_BATCH;
        Finding oscillation = oscillation(smooth, smoothName, run);
        if (oscillation == null && fullBatch && unstable == null) {
            oscillation = deterministicScatter(smooth, smoothName, run);
        }
        if (oscillation != null) {
            findings.add(oscillation);
        }
        // Fluctuation is the noise of stochastic gradients: none without mini-batches, and only at an α that is not
        // already too large (instability, oscillation), around a trend that is not rising.
        if (!fullBatch && unstable == null && oscillation == null) {
            Finding fluctuation = fluctuation(batch, curves.trainLoss() == null ? Series.EMPTY
                    : Series.of(step, curves.trainLoss(), firstBad), run);
            if (fluctuation != null) {
                findings.add(fluctuation);
            }
        }
        return findings;
    }

    private static Finding nonFinite(Curves c, int bad, Series smooth, RunSettings run) {
        boolean lossBad = c.batchLoss() != null && !Double.isFinite(c.batchLoss()[bad])
                || c.trainLoss() != null && Double.isInfinite(c.trainLoss()[bad]);
        // A finite loss with an infinite gradient: what overflowed is the gradient.
        String what = lossBad ? "loss" : "gradient norm";
        double value = !lossBad ? c.gradNorm()[bad]
                : c.batchLoss() != null && !Double.isFinite(c.batchLoss()[bad]) ? c.batchLoss()[bad]
                : c.trainLoss()[bad];
        String last = smooth.size() == 0 ? "" : String.format(Locale.ROOT,
                "; the last finite loss was %s at step %s, from %s at step %s", num(smooth.y[smooth.size() - 1]),
                whole(smooth.x[smooth.size() - 1]), num(smooth.y[0]), whole(smooth.x[0]));
        return new Finding(INSTABILITY, String.format(Locale.ROOT, "the %s became %s at step %s%s", what,
                Double.isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf", whole(c.step()[bad]), last),
                Advice.forProblem(INSTABILITY, run));
    }

    /** The trainer's blow-up rule ({@link Divergence#check}) on the logged monitoring losses before {@code end}. */
    private static Finding blowUp(Curves c, int end, RunSettings run) {
        if (c.trainLoss() == null) {
            return null;
        }
        for (int i = 0; i < end; i++) {
            double v = c.trainLoss()[i];
            Divergence d = Double.isFinite(v) ? Divergence.check(Math.round(c.step()[i]), v, c.startLoss()) : null;
            if (d != null) {
                return new Finding(INSTABILITY, d.evidence(), Advice.forProblem(INSTABILITY, run));
            }
        }
        return null;
    }

    private static Finding rise(Series s, String name, RunSettings run) {
        if (s.size() < MIN_POINTS) {
            return null;
        }
        int w = Math.max(3, s.size() / 8);
        double[] avg = movingAverage(s.y, w);
        int best = 0;
        for (int i = 1; i < avg.length; i++) {
            if (avg[i] < avg[best]) {
                best = i;
            }
        }
        double end = mean(s.y, s.size() - w, s.size());
        double low = avg[best];
        if (end >= INSTABILITY_RISE * low && end - low >= INSTABILITY_MIN_RISE_OF_START * Math.abs(s.y[0])) {
            return new Finding(INSTABILITY, String.format(Locale.ROOT,
                    "the %s rose from a low of %s (averaged around step %s) to %s over the last %d logged steps"
                            + " (×%.1f)", name, num(low), whole(s.x[best]), num(end), w, end / low),
                    Advice.forProblem(INSTABILITY, run));
        }
        return null;
    }

    /** The late half's average above the loss at θ₀ ({@link #INSTABILITY_ABOVE_START}). */
    private static Finding aboveStart(Series s, String name, double start, RunSettings run) {
        if (s.size() < MIN_POINTS || !(start > 0) || !Double.isFinite(start)) {
            return null;
        }
        int from = s.size() / 2;
        double late = mean(s.y, from, s.size());
        if (late > INSTABILITY_ABOVE_START * start) {
            return new Finding(INSTABILITY, String.format(Locale.ROOT, "the %s averaged %s over the late half of"
                    + " the run (from step %s), above its value %s at θ₀ (step 0; ×%.2f): training made the cost"
                    + " worse, which a stable step (αλ ≤ 2) never does on the quadratic model", name, num(late),
                    whole(s.x[from]), num(start), late / start), Advice.forProblem(INSTABILITY, run));
        }
        return null;
    }

    /**
     * A late-half trend that rises by more than {@link #FLAT_MAX_CHANGE} of its level and by more than
     * {@link #FLAT_MAX_DRIFT_IN_SCATTER} residual standard deviations: the cost increases beyond its scatter.
     */
    private static Finding risingTrend(Series s, String name, RunSettings run) {
        Scatter t = Scatter.late(s);
        if (t == null || !t.rising()) {
            return null;
        }
        return new Finding(INSTABILITY, String.format(Locale.ROOT, "late in training (from step %s) the %s's"
                + " trend rises by %s (%+.1f%% of its level, %.1f times its residual standard deviation %s): the"
                + " cost increases", whole(t.from), name, num(t.change), 100 * t.change / t.level,
                t.change / t.residualStd, num(t.residualStd)), Advice.forProblem(INSTABILITY, run));
    }

    private static Finding slowProgress(Series s, String name, RunSettings run) {
        if (s.size() < MIN_POINTS) {
            return null;
        }
        int n = s.size();
        Fit all = Fit.of(s.x, s.y, 0, n);
        Fit early = Fit.of(s.x, s.y, 0, n / 2);
        Fit late = Fit.of(s.x, s.y, n / 2, n);
        double drop = (s.y[0] - s.y[n - 1]) / Math.abs(s.y[0]);
        double ratio = late.slope / early.slope;
        if (all.slope < 0 && late.slope < 0 && early.slope < 0 && all.r2 >= SLOW_MIN_R2
                && ratio >= SLOW_MIN_RATE_RATIO && drop < SLOW_MAX_TOTAL_DROP) {
            return new Finding(SLOW_PROGRESS, String.format(Locale.ROOT,
                    "the %s fell from %s to %s (%.2f%%) in a straight line (R² = %.3f) and is still falling at"
                            + " the end: %s per step in the second half, %.0f%% of the first half's rate",
                    name, num(s.y[0]), num(s.y[n - 1]), 100 * drop, all.r2, num(-late.slope), 100 * ratio),
                    Advice.forProblem(SLOW_PROGRESS, run));
        }
        return null;
    }

    private static Finding oscillation(Series s, String name, RunSettings run) {
        int n = s.size();
        if (n < MIN_POINTS) {
            return null;
        }
        // Oscillation may last a while and then settle (1 < αλ ≤ 2 decays), so every window of the run is examined
        // and the most alternating one reported.
        int w = Math.min(n, OSCILLATION_WINDOW);
        Alternation best = null;
        for (int from = 0; from + w <= n; from++) {
            Alternation a = Alternation.of(s, from, from + w);
            if (a.rho <= OSCILLATION_MAX_AUTOCORRELATION && a.flipShare() >= OSCILLATION_MIN_SIGN_FLIPS
                    && a.amplitude >= OSCILLATION_MIN_AMPLITUDE && (best == null || a.rho < best.rho)) {
                best = a;
            }
        }
        if (best == null) {
            return null;
        }
        return new Finding(OSCILLATION, String.format(Locale.ROOT,
                "the %s alternates up and down between steps %s and %s: %d of %d consecutive changes flip sign,"
                        + " lag-1 autocorrelation of the detrended changes of log(loss) %.2f, amplitude %.2f%% of the loss",
                name, whole(best.fromStep), whole(best.toStep), best.flips, best.pairs, best.rho,
                100 * best.amplitude), Advice.forProblem(OSCILLATION, run));
    }

    /**
     * A full-batch run's loss scattering around a trend that is not rising: with no gradient noise the scatter is the
     * cost surface's own (lecture 8 §4.6: "oscillations are a systematic effect caused by the cost surface itself,
     * whereas fluctuations are an effect of the stochasticity in the gradients"), so oscillation, not fluctuation.
     */
    private static Finding deterministicScatter(Series s, String name, RunSettings run) {
        Scatter t = Scatter.late(s);
        if (t == null || !t.flat() || t.relative < FLUCTUATION_MIN_MONITOR_SCATTER) {
            return null;
        }
        return new Finding(OSCILLATION, String.format(Locale.ROOT, "full-batch gradient descent (no gradient"
                + " noise), yet late in training (from step %s) the %s scatters by %.1f%% around a trend that is"
                + " flat (%+.1f%%): a systematic up and down of the cost surface itself (gradient descent overshooting"
                + " along its steepest directions, 1 < αλ), not the fluctuation of stochastic gradients",
                whole(t.from), name, 100 * t.relative, 100 * t.change / t.level), Advice.forProblem(OSCILLATION, run));
    }

    /** Period-2 statistics of the loss differences over points [from, to) of a curve. */
    private record Alternation(double fromStep, double toStep, double rho, int flips, int pairs,
            double amplitude) {
        static Alternation of(Series s, int from, int to) {
            // Differences of log(loss): a loss falling over decades alternates by a factor, not by an amount.
            double[] d = new double[to - from - 1];
            for (int i = 0; i < d.length; i++) {
                d[i] = logLoss(s.y[from + i + 1]) - logLoss(s.y[from + i]);
            }
            double[] trend = movingAverage(d, DETREND_WINDOW);
            double absSum = 0;
            double num = 0;
            double den = 0;
            double[] r = new double[d.length];
            for (int i = 0; i < d.length; i++) {
                r[i] = d[i] - trend[i];
                absSum += Math.abs(r[i]);
                den += r[i] * r[i];
            }
            for (int i = 0; i + 1 < r.length; i++) {
                num += r[i] * r[i + 1];
            }
            int flips = 0;
            for (int i = 0; i + 1 < d.length; i++) {
                if (d[i] * d[i + 1] < 0) {
                    flips++;
                }
            }
            // Half the mean |detrended log difference| is the alternation's relative amplitude on the curve.
            return new Alternation(s.x[from], s.x[to - 1], den > 0 ? num / den : 0, flips, d.length - 1,
                    absSum / d.length / 2);
        }

        private static double logLoss(double v) {
            return Math.log(Math.max(Math.abs(v), Double.MIN_NORMAL));
        }

        double flipShare() {
            return pairs > 0 ? (double) flips / pairs : 0;
        }
    }

    private static Finding fluctuation(Series batch, Series monitor, RunSettings run) {
        Scatter b = Scatter.late(batch);
        Scatter m = Scatter.late(monitor);
        if (b == null && m == null) {
            return null;
        }
        Scatter trendSource = m != null ? m : b;
        boolean flat = trendSource.flat();
        boolean batchScatters = b == null || b.relative >= FLUCTUATION_MIN_BATCH_SCATTER;
        boolean monitorScatters = m == null || m.relative >= FLUCTUATION_MIN_MONITOR_SCATTER;
        if (flat && batchScatters && monitorScatters) {
            StringBuilder ev = new StringBuilder("late in training (from step ")
                    .append(whole(trendSource.from)).append(") the loss trend is flat (")
                    .append(String.format(Locale.ROOT, "%+.1f%%", 100 * trendSource.change / trendSource.level))
                    .append(") while ");
            if (b != null) {
                ev.append(String.format(Locale.ROOT, "the mini-batch loss scatters by %.1f%% around it",
                        100 * b.relative));
            }
            if (m != null) {
                ev.append(b != null ? " and " : "").append(String.format(Locale.ROOT,
                        "the monitoring loss (fixed subset) by %.1f%%", 100 * m.relative));
            }
            ev.append(" (residual std / trend)");
            if (run != null && run.batching() == RunSettings.Batching.MINI_BATCH) {
                ev.append(String.format(Locale.ROOT, "; mini-batches of %d of %d examples, so the gradients are"
                        + " noisy", run.batchSize(), run.trainExamples()));
            }
            return new Finding(FLUCTUATION, ev.toString(), Advice.forProblem(FLUCTUATION, run));
        }
        return null;
    }

    // ---- small statistics ----

    /** The finite points of one curve before index {@code end}. */
    private record Series(double[] x, double[] y) {
        static final Series EMPTY = new Series(new double[0], new double[0]);

        static Series of(double[] step, double[] values, int end) {
            if (values == null) {
                return EMPTY;
            }
            double[] x = new double[end];
            double[] y = new double[end];
            int k = 0;
            for (int i = 0; i < end; i++) {
                if (Double.isFinite(values[i]) && Double.isFinite(step[i])) {
                    x[k] = step[i];
                    y[k] = values[i];
                    k++;
                }
            }
            return new Series(Arrays.copyOf(x, k), Arrays.copyOf(y, k));
        }

        int size() {
            return x.length;
        }
    }

    /** Least-squares line y ≈ a + b x over [from, to) and its R². */
    private record Fit(double intercept, double slope, double r2, double residualStd) {
        static Fit of(double[] x, double[] y, int from, int to) {
            int n = to - from;
            double mx = mean(x, from, to);
            double my = mean(y, from, to);
            double sxx = 0;
            double sxy = 0;
            double syy = 0;
            for (int i = from; i < to; i++) {
                sxx += (x[i] - mx) * (x[i] - mx);
                sxy += (x[i] - mx) * (y[i] - my);
                syy += (y[i] - my) * (y[i] - my);
            }
            double b = sxx > 0 ? sxy / sxx : 0;
            double a = my - b * mx;
            double sse = 0;
            for (int i = from; i < to; i++) {
                double e = y[i] - (a + b * x[i]);
                sse += e * e;
            }
            double r2 = syy > 0 ? 1 - sse / syy : 0;
            return new Fit(a, b, r2, Math.sqrt(sse / Math.max(1, n - 2)));
        }
    }

    /** Scatter of the late half of a curve around its straight-line trend. */
    private record Scatter(double from, double level, double change, double relative, double residualStd) {
        static Scatter late(Series s) {
            int n = s.size();
            if (n < 2 * MIN_POINTS) {
                return null;
            }
            int from = n / 2;
            Fit f = Fit.of(s.x, s.y, from, n);
            double level = f.intercept + f.slope * mean(s.x, from, n);
            double change = f.slope * (s.x[n - 1] - s.x[from]);
            return new Scatter(s.x[from], level, change, f.residualStd / Math.max(Math.abs(level),
                    Double.MIN_NORMAL), f.residualStd);
        }

        /**
         * Not rising by more than {@link #FLAT_MAX_CHANGE} of the level, and either within that share or falling by
         * no more than {@link #FLAT_MAX_DRIFT_IN_SCATTER} residual standard deviations (a fall lost in the scatter).
         */
        boolean flat() {
            double limit = FLAT_MAX_CHANGE * Math.abs(level);
            return change <= limit && (change >= -limit || -change <= FLAT_MAX_DRIFT_IN_SCATTER * residualStd);
        }

        /** Rising by more than {@link #FLAT_MAX_CHANGE} of the level and {@link #FLAT_MAX_DRIFT_IN_SCATTER} σ. */
        boolean rising() {
            return change > FLAT_MAX_CHANGE * Math.abs(level) && change > FLAT_MAX_DRIFT_IN_SCATTER * residualStd;
        }
    }

    private static double mean(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    /** Centred moving average; near the ends the window is clipped to the values there are. */
    private static double[] movingAverage(double[] v, int window) {
        double[] out = new double[v.length];
        int half = window / 2;
        for (int i = 0; i < v.length; i++) {
            int a = Math.max(0, i - half);
            int b = Math.min(v.length, i + half + 1);
            out[i] = mean(v, a, b);
        }
        return out;
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    private static String whole(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : num(v);
    }
}
