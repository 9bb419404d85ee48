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
     * The arithmetic the curvature is measured in.
     *
     * <p>{@link #F64}: a float64 copy of θ on the CPU backend, Hessian-vector products by the exact R-operator
     * ({@link HessianVectorProduct.Method#R_OPERATOR}); the resolvable floor is (N + width + P)·u·‖H‖, about 1e-12 of
     * ‖H‖ for the lectures' examples, so condition numbers up to ~1e11 are measured. {@link #F32}: the model's own
     * float32 backend (CPU or CUDA), central differences; the floor is √ε_f32·‖H‖ ≈ 3.5e-4·‖H‖, so κ above ~3e3
     * comes out as a lower bound. {@link #AUTO}: F64 for a model on the CPU with at most
     * {@link Diagnosis#F64_AUTO_MAX_PARAMETERS} parameters (and a basis that fits, see {@link #resolve}), F32
     * otherwise (CUDA, or larger models).
     */
    public enum Precision {
        AUTO, F32, F64;

        /** The name on the command line: auto, f32, f64. */
        public String cliName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /**
         * The precision a name names.
         *
         * @throws IllegalArgumentException for anything but auto, f32 or f64 (any case)
         */
        public static Precision parse(String name) {
            for (Precision p : values()) {
                if (p.cliName().equalsIgnoreCase(name.trim())) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown precision '" + name + "' (expected auto, f32 or f64)");
        }

        /**
         * AUTO made concrete for a model of {@code parameters} parameters on {@code backend} whose Lanczos run may
         * take {@code maxSteps} steps: F64 on the CPU up to {@link Diagnosis#F64_AUTO_MAX_PARAMETERS} parameters
         * where the float64 basis (maxSteps · P doubles) takes at most half of this JVM's memory, else F32. F32 and
         * F64 stay as they are.
         */
        public Precision resolve(io.ravine.backend.Backend backend, int parameters, int maxSteps) {
            if (this != AUTO) {
                return this;
            }
            long basis = (long) Math.min(maxSteps, parameters) * parameters * 8;
            return backend.name().equals("cpu") && parameters <= F64_AUTO_MAX_PARAMETERS
                    && basis <= Runtime.getRuntime().maxMemory() / 2 ? F64 : F32;
        }
    }

    /**
     * The largest model {@link Precision#AUTO} measures in float64. The float64 Lanczos basis holds up to
     * {@code lanczosMaxSteps} vectors of P doubles: at the default cap of 100 steps and P = 500 000 that is 400 MB,
     * beside the float32 model and data, within the default JVM of a 4 GB machine; and a float64 R-operator product
     * costs about as much as two float32 differences (half-speed dgemm, the same two products with the data), so the
     * whole diagnosis stays within about twice its float32 time. Above it, F32 (pass F64 to insist).
     */
    public static final int F64_AUTO_MAX_PARAMETERS = 500_000;

    /** Default cap on the Lanczos steps of the main run. */
    public static final int DEFAULT_LANCZOS_MAX_STEPS = 100;
    /**
     * Default residual tolerance relative to ‖H‖: the main Lanczos run stops once the residuals of its largest and
     * smallest Ritz values are both below 1e-3·‖H‖ (so λ_max and λ_min are known to within 0.1% of ‖H‖ plus the
     * floor), or at the cap.
     */
    public static final double DEFAULT_LANCZOS_TOLERANCE = 1e-3;

    /**
     * What to measure and on how much data.
     *
     * @param subsetSize examples in the main subset (2000 by default: the gradient norm, gᵀHg and unit fractions
     *     vary by a few percent between disjoint subsets of that size; see {@code spread})
     * @param lanczosSteps Lanczos steps (Hessian-vector products) of the main run at least, and of each density probe
     * @param topK how many of the largest Ritz values to report
     * @param densityProbes probe vectors of the spectral density estimate: 0 = no density, 1 = the main run only
     *     (free), n = n − 1 further Lanczos runs of {@code lanczosSteps} products each
     * @param spreadSubsets disjoint subsets for the spread
     * @param seed seeds the subsets and the Lanczos start vectors
     * @param capacity rows per chunk of a gradient pass
     * @param learningRate the run's learning rate, checked against the second-order model (NaN: skip)
     * @param curvePoints points of J(θ − εg) along the gradient
     * @param precision the arithmetic of the curvature ({@link Precision})
     * @param lanczosMaxSteps the cap on the main run's steps (≥ {@code lanczosSteps})
     * @param lanczosTolerance the main run stops once its extreme Ritz values' residuals are below this times ‖H‖
     *     (0: exactly {@code lanczosSteps} steps)
     */
    public record Options(int subsetSize, int lanczosSteps, int topK, int densityProbes, int spreadSubsets, long seed,
            int capacity, double learningRate, int curvePoints, Precision precision, int lanczosMaxSteps,
            double lanczosTolerance) {
        public Options {
            if (subsetSize <= 0 || lanczosSteps <= 0 || topK <= 0 || densityProbes < 0 || spreadSubsets < 0
                    || capacity <= 0 || curvePoints < 2) {
                throw new io.ravine.InvalidInputException("diagnosis options out of range: subset " + subsetSize
                        + ", Lanczos steps " + lanczosSteps + ", top-k " + topK + ", density probes "
                        + densityProbes + " (all must be positive; probes may be 0)");
            }
            if (precision == null) {
                throw new io.ravine.InvalidInputException("diagnosis option precision must be auto, f32 or f64,"
                        + " got null");
            }
            if (lanczosMaxSteps < lanczosSteps) {
                throw new io.ravine.InvalidInputException("diagnosis option lanczosMaxSteps must be at least"
                        + " lanczosSteps (" + lanczosSteps + "), got " + lanczosMaxSteps);
            }
            if (!(lanczosTolerance >= 0) || !(lanczosTolerance < 1)) {
                throw new io.ravine.InvalidInputException("diagnosis option lanczosTolerance must be in [0, 1)"
                        + " (relative to ||H||; 0 = fixed steps), got " + lanczosTolerance);
            }
        }

        /** The options of before residual convergence and precision: AUTO, the default cap and tolerance. */
        public Options(int subsetSize, int lanczosSteps, int topK, int densityProbes, int spreadSubsets, long seed,
                int capacity, double learningRate, int curvePoints) {
            this(subsetSize, lanczosSteps, topK, densityProbes, spreadSubsets, seed, capacity, learningRate,
                    curvePoints, Precision.AUTO, Math.max(DEFAULT_LANCZOS_MAX_STEPS, lanczosSteps),
                    DEFAULT_LANCZOS_TOLERANCE);
        }

        public static Options defaults() {
            return new Options(2000, 20, 10, 1, 3, 1, 4096, Double.NaN, 21);
        }

        public Options withSubsetSize(int n) {
            return new Options(n, lanczosSteps, topK, densityProbes, spreadSubsets, seed, capacity, learningRate,
                    curvePoints, precision, lanczosMaxSteps, lanczosTolerance);
        }

        /** At least {@code steps} Lanczos steps (the cap raised to it where lower), the top {@code top} values. */
        public Options withLanczos(int steps, int top) {
            return new Options(subsetSize, steps, top, densityProbes, spreadSubsets, seed, capacity, learningRate,
                    curvePoints, precision, Math.max(lanczosMaxSteps, steps), lanczosTolerance);
        }

        /** Residual convergence of the main Lanczos run: at least min steps, at most max, tolerance × ‖H‖. */
        public Options withLanczosStopping(int min, int max, double tolerance) {
            return new Options(subsetSize, min, topK, densityProbes, spreadSubsets, seed, capacity, learningRate,
                    curvePoints, precision, max, tolerance);
        }

        public Options withDensityProbes(int probes) {
            return new Options(subsetSize, lanczosSteps, topK, probes, spreadSubsets, seed, capacity, learningRate,
                    curvePoints, precision, lanczosMaxSteps, lanczosTolerance);
        }

        public Options withSeed(long s) {
            return new Options(subsetSize, lanczosSteps, topK, densityProbes, spreadSubsets, s, capacity,
                    learningRate, curvePoints, precision, lanczosMaxSteps, lanczosTolerance);
        }

        public Options withLearningRate(double lr) {
            return new Options(subsetSize, lanczosSteps, topK, densityProbes, spreadSubsets, seed, capacity, lr,
                    curvePoints, precision, lanczosMaxSteps, lanczosTolerance);
        }

        public Options withPrecision(Precision p) {
            return new Options(subsetSize, lanczosSteps, topK, densityProbes, spreadSubsets, seed, capacity,
                    learningRate, curvePoints, p, lanczosMaxSteps, lanczosTolerance);
        }

        /** How the main Lanczos run stops. */
        public Lanczos.Stopping stopping() {
            return new Lanczos.Stopping(lanczosSteps, lanczosMaxSteps, lanczosTolerance);
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
     *
     * @param precision the arithmetic used (F32 or F64, never AUTO)
     * @param method how the Hessian-vector products were computed
     * @param directional gᵀHg split over the top-k Ritz directions (null when the Lanczos run completed no step)
     */
    public record Report(int subsetSize, long seed, Curvature.GradientStudy gradient, HessianSpectrum hessian,
            List<UnitStatistics.Layer> units, UnitSymmetry.Result symmetry, SpreadReport spread, long gradientPasses,
            long hessianVectorProducts, Timings timings, long nonFiniteParameters, Precision precision,
            HessianVectorProduct.Method method, DirectionalCurvature directional) {
    }

    /**
     * The model the curvature is measured on for {@code precision} (resolved): {@code model} itself where its
     * backend already is that arithmetic (float32: any backend; float64: the CPU), else a copy of θ on a new CPU
     * backend of that dtype (float64 from float32 θ is exact), which the caller closes.
     */
    static Model measuredModel(Model model, Precision precision) {
        io.ravine.backend.Backend b = model.backend();
        boolean own = precision == Precision.F64 ? HessianVectorProduct.Method.supportsROperator(b)
                : b.dtype() == io.ravine.backend.DType.F32;
        if (own) {
            return model;
        }
        io.ravine.backend.Backend cpu = precision == Precision.F64 ? io.ravine.backend.cpu.CpuBackend.f64()
                : io.ravine.backend.cpu.CpuBackend.f32();
        Model copy = new Model(cpu, model.mlp());
        copy.setParameters(model.parameters());
        // Unit statistics run in evaluation mode: the copy normalizes with the model's running statistics.
        copy.setBatchNormBuffers(model.batchNormBuffers());
        return copy;
    }

    /**
     * Diagnoses {@code model} at its current θ on subsets of {@code train} (normalized features and encoded targets,
     * as the trainer holds them). In {@link Precision#F64} the measurements run on a float64 copy of θ on the CPU,
     * whatever backend {@code model} lives on.
     */
    public static Report run(Model model, Dataset train, Options o) {
        Precision precision = o.precision().resolve(model.backend(), model.mlp().parameterCount(),
                o.lanczosMaxSteps());
        Model measured = measuredModel(model, precision);
        try {
            return run(measured, train, o, precision);
        } finally {
            if (measured != model) {
                measured.close();
            }
        }
    }

    private static Report run(Model model, Dataset train, Options o, Precision precision) {
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
        DirectionalCurvature directional;
        HessianVectorProduct.Method method;
        double tCurv;
        double tLanczos;
        double tDensity;
        try (HessianVectorProduct hvp = new HessianVectorProduct(model, main, o.capacity())) {
            method = hvp.method();
            long t = System.nanoTime();
            study = Curvature.study(hvp, new double[] {o.learningRate()}, o.curvePoints());
            tCurv = seconds(t);
            t = System.nanoTime();
            Lanczos.Result lanczos;
            double gg;
            try (io.ravine.backend.Tensor g = hvp.backend().allocateVector(hvp.dimension())) {
                // g again (the study's is freed): projected on the Lanczos basis for the directional curvature.
                hvp.lossAndGradient(g);
                gg = hvp.backend().sumOfSquares(g);
                lanczos = Lanczos.run(hvp, o.stopping(), o.seed(), List.of(g));
            }
            tLanczos = seconds(t);
            t = System.nanoTime();
            List<Lanczos.Result> probes = new ArrayList<>();
            for (int i = 1; i < o.densityProbes(); i++) {
                probes.add(Lanczos.run(hvp, o.lanczosSteps(), o.seed() + 0x9E3779B97F4A7C15L * i));
            }
            spectrum = HessianSpectrum.from(lanczos, probes, o.topK(), o.densityProbes() > 0, o.stopping());
            directional = lanczos.steps() > 0
                    ? DirectionalCurvature.from(lanczos, 0, o.topK(), gg, study.along().gHg()) : null;
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
        LOG.info("diagnosis of {} on {} examples in {}: {} gradients and {} Hessian-vector products in {} s",
                model.mlp().describe(), main.n(), precision.cliName(), passes, products,
                String.format(java.util.Locale.ROOT, "%.2f", timings.total()));
        return new Report(main.n(), o.seed(), study, spectrum, units, symmetry, spread, passes, products, timings,
                nonFinite, precision, method, directional);
    }

    /**
     * The spectrum at one θ, for a sweep over checkpoints: J and ‖g‖ on the main subset (the same seeded subset as
     * {@link #run}) and the main Lanczos run (no density, units or spread).
     *
     * @param loss J(θ) on the subset
     * @param gradientNorm ‖g‖ on the subset
     * @param hessian the spectrum with its bounds
     * @param precision the arithmetic used
     * @param hessianVectorProducts products spent
     */
    public record SpectrumPoint(double loss, double gradientNorm, HessianSpectrum hessian, Precision precision,
            long hessianVectorProducts) {
    }

    /** {@link SpectrumPoint} of {@code model} at its current θ. */
    public static SpectrumPoint spectrum(Model model, Dataset train, Options o) {
        Precision precision = o.precision().resolve(model.backend(), model.mlp().parameterCount(),
                o.lanczosMaxSteps());
        Model measured = measuredModel(model, precision);
        int[] perm = permutation(train.n(), o.seed());
        Dataset main = train.select(Arrays.copyOf(perm, Math.min(o.subsetSize(), train.n())));
        try (HessianVectorProduct hvp = new HessianVectorProduct(measured, main, o.capacity());
                io.ravine.backend.Tensor g = hvp.backend().allocateVector(hvp.dimension())) {
            double loss = hvp.lossAndGradient(g);
            double norm = Math.sqrt(hvp.backend().sumOfSquares(g));
            Lanczos.Result lanczos = Lanczos.run(hvp, o.stopping(), o.seed());
            HessianSpectrum h = HessianSpectrum.from(lanczos, List.of(), o.topK(), false, o.stopping());
            return new SpectrumPoint(loss, norm, h, precision, hvp.products());
        } finally {
            if (measured != model) {
                measured.close();
            }
        }
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
