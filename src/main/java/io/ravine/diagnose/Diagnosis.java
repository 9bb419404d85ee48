package io.ravine.diagnose;

import io.ravine.data.Dataset;
import io.ravine.nn.Model;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every measurement {@code ravine diagnose} makes at one θ, on seeded subsets of the training data: curvature along
 * the gradient with the second-order check, the Hessian's spectrum (Lanczos, optional density), unit statistics,
 * unit symmetry, and the spread of the cheap quantities over disjoint subsets (is the subset large enough for its
 * numbers to be stable?). θ is left exactly as it was.
 */
public final class Diagnosis {
    private static final Logger LOG = LoggerFactory.getLogger(Diagnosis.class);

    private Diagnosis() {
    }

    /**
     * What to measure and on how much data.
     *
     * @param subsetSize examples in the main subset (2000 by default: the gradient norm, gᵀHg and unit fractions
     *     vary by a few percent between disjoint subsets of that size; see {@code spread})
     * @param lanczosSteps Lanczos steps (Hessian-vector products) of the main run
     * @param topK how many of the largest Ritz values to report
     * @param densityProbes probe vectors of the spectral density estimate: 0 = no density, 1 = the main run only
     *     (free), n = n − 1 further Lanczos runs of {@code lanczosSteps} products each
     * @param spreadSubsets disjoint subsets for the spread
     * @param seed seeds the subsets and the Lanczos start vectors
     * @param capacity rows per chunk of a gradient pass
     * @param learningRate the run's learning rate, checked against the second-order model (NaN: skip)
     * @param curvePoints points of J(θ − εg) along the gradient
     */
    public record Options(int subsetSize, int lanczosSteps, int topK, int densityProbes, int spreadSubsets, long seed,
            int capacity, double learningRate, int curvePoints) {
        public Options {
            if (subsetSize <= 0 || lanczosSteps <= 0 || topK <= 0 || densityProbes < 0 || spreadSubsets < 0
                    || capacity <= 0 || curvePoints < 2) {
                throw new io.ravine.InvalidInputException("diagnosis options out of range: subset " + subsetSize
                        + ", Lanczos steps " + lanczosSteps + ", top-k " + topK + ", density probes "
                        + densityProbes + " (all must be positive; probes may be 0)");
            }
        }

        public static Options defaults() {
            return new Options(2000, 20, 10, 1, 3, 1, 4096, Double.NaN, 21);
        }

        public Options withSubsetSize(int n) {
            return new Options(n, lanczosSteps, topK, densityProbes, spreadSubsets, seed, capacity, learningRate,
                    curvePoints);
        }

        public Options withLanczos(int steps, int top) {
            return new Options(subsetSize, steps, top, densityProbes, spreadSubsets, seed, capacity, learningRate,
                    curvePoints);
        }

        public Options withDensityProbes(int probes) {
            return new Options(subsetSize, lanczosSteps, topK, probes, spreadSubsets, seed, capacity, learningRate,
                    curvePoints);
        }

        public Options withSeed(long s) {
            return new Options(subsetSize, lanczosSteps, topK, densityProbes, spreadSubsets, s, capacity,
                    learningRate, curvePoints);
        }

        public Options withLearningRate(double lr) {
            return new Options(subsetSize, lanczosSteps, topK, densityProbes, spreadSubsets, seed, capacity, lr,
                    curvePoints);
        }
    }

    /** Mean and sample standard deviation (n − 1) of one quantity over the spread subsets. */
    public record Spread(double mean, double std, double[] values) {
        static Spread of(double[] v) {
            double mean = Arrays.stream(v).average().orElse(Double.NaN);
            double ss = 0;
            for (double x : v) {
                ss += (x - mean) * (x - mean);
            }
            return new Spread(mean, v.length > 1 ? Math.sqrt(ss / (v.length - 1)) : Double.NaN, v.clone());
        }
    }

    /** The cheap quantities on each of the disjoint subsets; dead/saturated fractions pool all hidden units. */
    public record SpreadReport(int subsets, int subsetSize, Spread loss, Spread gradientNorm, Spread gHg,
            Spread optimalStep, Spread deadFraction, Spread saturatedFraction) {
    }

    /** Wall-clock seconds of each part. */
    public record Timings(double curvature, double lanczos, double density, double units, double symmetry,
            double spread, double total) {
    }

    /**
     * Everything measured. {@code nonFiniteParameters} counts the NaN/±Inf values of θ itself (a checkpoint of a run
     * that blew up, or a foreign file): every measurement is still made, and what comes out non-finite is reported
     * as such ({@link MeasurementFindings}), never thrown.
     */
    public record Report(int subsetSize, long seed, Curvature.GradientStudy gradient, HessianSpectrum hessian,
            List<UnitStatistics.Layer> units, UnitSymmetry.Result symmetry, SpreadReport spread, long gradientPasses,
            long hessianVectorProducts, Timings timings, long nonFiniteParameters) {
    }

    /**
     * Diagnoses {@code model} at its current θ on subsets of {@code train} (normalized features and encoded targets,
     * as the trainer holds them).
     */
    public static Report run(Model model, Dataset train, Options o) {
        long t0 = System.nanoTime();
        int n = train.n();
        int[] perm = permutation(n, o.seed());
        Dataset main = train.select(Arrays.copyOf(perm, Math.min(o.subsetSize(), n)));
        int spreadSize = Math.min(o.subsetSize(), o.spreadSubsets() > 0 ? n / o.spreadSubsets() : 0);
        boolean mainIsFirstSpread = spreadSize == main.n();

        long passes;
        long products;
        Curvature.GradientStudy study;
        HessianSpectrum spectrum;
        double tCurv;
        double tLanczos;
        double tDensity;
        try (HessianVectorProduct hvp = new HessianVectorProduct(model, main, o.capacity())) {
            long t = System.nanoTime();
            study = Curvature.study(hvp, new double[] {o.learningRate()}, o.curvePoints());
            tCurv = seconds(t);
            t = System.nanoTime();
            Lanczos.Result lanczos = Lanczos.run(hvp, o.lanczosSteps(), o.seed());
            tLanczos = seconds(t);
            t = System.nanoTime();
            List<Lanczos.Result> probes = new ArrayList<>();
            for (int i = 1; i < o.densityProbes(); i++) {
                probes.add(Lanczos.run(hvp, o.lanczosSteps(), o.seed() + 0x9E3779B97F4A7C15L * i));
            }
            spectrum = HessianSpectrum.from(lanczos, probes, o.topK(), o.densityProbes() > 0);
            tDensity = seconds(t);
            passes = hvp.gradientPasses();
            products = hvp.products();
        }
        long t = System.nanoTime();
        List<UnitStatistics.Layer> units = UnitStatistics.measure(model, main, o.capacity());
        double tUnits = seconds(t);
        t = System.nanoTime();
        float[] theta = model.parameters();
        UnitSymmetry.Result symmetry = UnitSymmetry.find(model.mlp(), theta);
        long nonFinite = 0;
        for (float v : theta) {
            if (!Float.isFinite(v)) {
                nonFinite++;
            }
        }
        double tSym = seconds(t);
        t = System.nanoTime();
        SpreadReport spread = null;
        if (spreadSize > 0) {
            int s = o.spreadSubsets();
            double[] loss = new double[s];
            double[] gn = new double[s];
            double[] ghg = new double[s];
            double[] opt = new double[s];
            double[] dead = new double[s];
            double[] sat = new double[s];
            for (int i = 0; i < s; i++) {
                Curvature.AlongGradient a;
                List<UnitStatistics.Layer> u;
                if (i == 0 && mainIsFirstSpread) {
                    loss[i] = study.loss();
                    a = study.along();
                    u = units;
                } else {
                    Dataset sub = train.select(Arrays.copyOfRange(perm, i * spreadSize, (i + 1) * spreadSize));
                    try (HessianVectorProduct hvp = new HessianVectorProduct(model, sub, o.capacity())) {
                        loss[i] = hvp.loss();
                        a = Curvature.alongGradient(hvp);
                        passes += hvp.gradientPasses();
                        products += hvp.products();
                    }
                    u = UnitStatistics.measure(model, sub, o.capacity());
                }
                gn[i] = a.gradientNorm();
                ghg[i] = a.gHg();
                opt[i] = a.optimalStep();
                dead[i] = pooled(u, true);
                sat[i] = pooled(u, false);
            }
            spread = new SpreadReport(s, spreadSize, Spread.of(loss), Spread.of(gn), Spread.of(ghg), Spread.of(opt),
                    Spread.of(dead), Spread.of(sat));
        }
        double tSpread = seconds(t);
        Timings timings = new Timings(tCurv, tLanczos, tDensity, tUnits, tSym, tSpread, seconds(t0));
        LOG.info("diagnosis of {} on {} examples: {} gradients and {} Hessian-vector products in {} s",
                model.mlp().describe(), main.n(), passes, products,
                String.format(java.util.Locale.ROOT, "%.2f", timings.total()));
        return new Report(main.n(), o.seed(), study, spectrum, units, symmetry, spread, passes, products, timings,
                nonFinite);
    }

    /** Dead (or saturated) units over all hidden layers that can have them, as a fraction; NaN if none can. */
    private static double pooled(List<UnitStatistics.Layer> layers, boolean dead) {
        long count = 0;
        long total = 0;
        for (UnitStatistics.Layer l : layers) {
            Double f = dead ? l.deadFraction() : l.saturatedFraction();
            if (f != null) {
                count += dead ? l.deadUnits() : l.saturatedUnits();
                total += l.units();
            }
        }
        return total == 0 ? Double.NaN : (double) count / total;
    }

    /** A seeded permutation of 0..n−1 (Fisher-Yates): subset i is its i-th block, so subsets are disjoint. */
    static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = p[i];
            p[i] = p[j];
            p[j] = tmp;
        }
        return p;
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
