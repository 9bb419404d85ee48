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
            p.verticalLine(c.step());
        }
        if (p.write(plotsDir.resolve(SECOND_ORDER))) {
            written.add(SECOND_ORDER);
        }
        return written;
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
