package io.ravine.diagnose;

import io.ravine.report.LinePlot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The diagnosis as PNG charts in a run's {@code plots/}: activation histograms per hidden layer, the Hessian's top
 * eigenvalues and density, and J along the gradient next to its quadratic model.
 */
public final class DiagnosisPlots {
    /** File names (in plots/) that {@link #write} may produce; the run report links those present. */
    public static final String EIGENVALUES = "hessian-eigenvalues.png";
    public static final String DENSITY = "hessian-density.png";
    public static final String SECOND_ORDER = "second-order.png";
    public static final String DIRECTIONAL = "directional-curvature.png";
    /** The chart of {@code diagnose --all-checkpoints}. */
    public static final String CHECKPOINTS = "diagnosis-checkpoints.png";

    private DiagnosisPlots() {
    }

    public static String activationFile(int layer) {
        return "activations-layer-" + layer + ".png";
    }

    /**
     * Writes the charts into {@code plotsDir}; returns the file names written. A chart that cannot be drawn is one
     * warning line and missing from the list ({@link io.ravine.report.ReportFiles}), never an exception.
     */
    public static List<String> write(Diagnosis.Report r, Path plotsDir) {
        List<String> written = new ArrayList<>();
        for (UnitStatistics.Layer l : r.units()) {
            String act = l.activation().name().toLowerCase(Locale.ROOT);
            String title = String.format(Locale.ROOT, "Layer %d (%s, %d units)%s", l.layer(), act, l.units(),
                    l.deadFraction() != null ? String.format(Locale.ROOT, ": %.1f%% dead", 100 * l.deadFraction())
                            : l.saturatedFraction() != null ? String.format(Locale.ROOT, ": %.1f%% saturated",
                                    100 * l.saturatedFraction()) : "");
            double[][] all = staircase(l.histogram());
            double[][] means = staircase(l.meanActivationHistogram());
            if (new LinePlot(title, "activation", "fraction per bin")
                    .series("all activations", all[0], all[1])
                    .series("per-unit mean activation", means[0], means[1])
                    .write(plotsDir.resolve(activationFile(l.layer())))) {
                written.add(activationFile(l.layer()));
            }
        }
        HessianSpectrum h = r.hessian();
        double[] index = new double[h.topEigenvalues().length];
        for (int i = 0; i < index.length; i++) {
            index[i] = i + 1;
        }
        if (new LinePlot(String.format(Locale.ROOT, "Hessian top eigenvalues (Lanczos, %d steps)",
                h.lanczosSteps()), "rank", "eigenvalue").series("Ritz value", index, h.topEigenvalues()).markers()
                .integerX()
                .write(plotsDir.resolve(EIGENVALUES))) {
            written.add(EIGENVALUES);
        }
        if (h.density() != null) {
            SpectralDensity d = h.density();
            if (new LinePlot(String.format(Locale.ROOT, "Hessian spectral density (SLQ, %d probes x %d steps,"
                    + " sigma %.3g)", d.probes(), d.steps(), d.sigma()), "eigenvalue", "density")
                    .series("density", d.grid(), floored(d.density(), 1e-8)).logY()
                    .write(plotsDir.resolve(DENSITY))) {
                written.add(DENSITY);
            }
        }
        Curvature.GradientStudy g = r.gradient();
        LinePlot p = new LinePlot("J along the negative gradient: measured vs second-order model",
                "step size epsilon", "J(theta - epsilon g)")
                .series("measured J", g.curveSteps(), g.curveActual())
                .series("J - eps g'g + eps^2 g'Hg / 2", g.curveSteps(), g.curveQuadratic());
        for (Curvature.StepCheck c : g.checks()) {
            p.verticalLine(c.step(), "step sizes checked");
        }
        if (p.write(plotsDir.resolve(SECOND_ORDER))) {
            written.add(SECOND_ORDER);
        }
        DirectionalCurvature d = r.directional();
        if (d != null && d.eigenvalues().length > 0) {
            int k = d.eigenvalues().length;
            double[] rank = new double[k];
            double[] cumulative = new double[k];
            double sum = 0;
            for (int i = 0; i < k; i++) {
                rank[i] = i + 1;
                sum += d.shares()[i];
                cumulative[i] = sum;
            }
            if (new LinePlot(String.format(Locale.ROOT, "Directional curvature: the top %d explain %.1f%% of"
                    + " g'Hg", k, 100 * d.explainedShare()), "eigendirection i (by lambda_i, descending)",
                    "fraction")
                    .series("lambda_i |g|^2 cos^2 / g'Hg", rank, d.shares())
                    .series("cumulative", rank, cumulative)
                    .series("cos^2(v_i, g)", rank, d.cosineSquared()).markers().integerX()
                    .write(plotsDir.resolve(DIRECTIONAL))) {
                written.add(DIRECTIONAL);
            }
        }
        return written;
    }

    /**
     * The {@code --all-checkpoints} chart: the index (Ritz values below −η) and, under it, λ_min against the loss,
     * one point per checkpoint joined in the run's order; the loss on a log axis where it falls over more than a
     * decade. A chart that cannot be drawn is one warning line and false ({@link io.ravine.report.ReportFiles}).
     */
    public static boolean writeCheckpoints(List<CheckpointSpectra.Row> rows, Path file) {
        boolean[] written = {false};
        // Building the plots needs XChart too: inside the catch that makes its absence one line.
        io.ravine.report.ReportFiles.bestEffort(file, () -> written[0] = checkpointPlots(rows, file));
        return written[0];
    }

    private static boolean checkpointPlots(List<CheckpointSpectra.Row> rows, Path file) {
        List<Double> loss = new ArrayList<>();
        List<Double> index = new ArrayList<>();
        List<Double> lossMin = new ArrayList<>();
        List<Double> lambdaMin = new ArrayList<>();
        for (CheckpointSpectra.Row r : rows) {
            double l = r.point().loss();
            HessianSpectrum h = r.point().hessian();
            if (!Double.isFinite(l) || h.lanczosSteps() == 0) {
                continue;
            }
            loss.add(l);
            index.add((double) h.negativeCount());
            if (Double.isFinite(h.minEigenvalue())) {
                lossMin.add(l);
                lambdaMin.add(h.minEigenvalue());
            }
        }
        double lo = loss.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double hi = loss.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        // A loss falling over decades is read on a log axis (the run's points bunch up at the end otherwise).
        boolean log = lo > 0 && hi > 10 * lo;
        LinePlot top = new LinePlot("The index against the loss, per checkpoint (saddles are more common at high"
                + " cost)", "loss J on the subset", "negative Ritz values (index >=)")
                .series("index (Ritz values < -floor)", array(loss), array(index)).markers().integerY().includeY(0)
                .size(800, 380);
        LinePlot bottom = new LinePlot("lambda_min, the smallest Ritz value, against the loss", "loss J on the subset",
                "lambda_min").series("lambda_min", array(lossMin), array(lambdaMin)).markers().size(800, 340);
        if (log) {
            top.logX();
            bottom.logX();
        }
        return LinePlot.writeStacked(file, top, bottom);
    }

    private static double[] array(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** The values raised to at least {@code fraction} of the largest, so a log axis stays readable. */
    private static double[] floored(double[] v, double fraction) {
        double max = 0;
        for (double x : v) {
            max = Math.max(max, x);
        }
        double[] out = v.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.max(out[i], fraction * max);
        }
        return out;
    }

    /** A histogram as a step line: (edge, fraction) pairs tracing each bin's top. */
    private static double[][] staircase(UnitStatistics.Histogram h) {
        long total = 0;
        for (long c : h.counts()) {
            total += c;
        }
        int bins = h.counts().length;
        double[] x = new double[2 * bins];
        double[] y = new double[2 * bins];
        for (int i = 0; i < bins; i++) {
            double f = total == 0 ? 0 : (double) h.counts()[i] / total;
            x[2 * i] = h.edges()[i];
            x[2 * i + 1] = h.edges()[i + 1];
            y[2 * i] = f;
            y[2 * i + 1] = f;
        }
        return new double[][] {x, y};
    }
}
