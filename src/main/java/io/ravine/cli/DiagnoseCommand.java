package io.ravine.cli;

import com.google.gson.JsonObject;
import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.diagnose.CheckpointSpectra;
import io.ravine.diagnose.CurvatureFindings;
import io.ravine.diagnose.CurveDoctor;
import io.ravine.diagnose.Diagnosis;
import io.ravine.diagnose.DiagnosisFile;
import io.ravine.diagnose.DiagnosisPlots;
import io.ravine.diagnose.DirectionalCurvature;
import io.ravine.diagnose.Finding;
import io.ravine.diagnose.HessianSpectrum;
import io.ravine.diagnose.MeasurementFindings;
import io.ravine.diagnose.RunSettings;
import io.ravine.io.DirectoryLock;
import io.ravine.io.ProgressLine;
import io.ravine.io.Terminal;
import io.ravine.report.ReportFiles;
import io.ravine.report.RunReport;
import io.ravine.train.Checkpoint;
import io.ravine.train.RunDirectories;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ravine diagnose}: rebuilds a run's model and data from its {@code config.json}, loads θ from a checkpoint
 * and writes {@code diagnosis.json}, the diagnosis charts and a fresh {@code report.html}.
 */
@Command(name = "diagnose", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Curvature (gradient norm, g'Hg, optimal step, Hessian eigenvalues by Lanczos), unit"
                + " statistics, symmetries and the doctor's findings at a checkpoint; writes diagnosis.json.")
public final class DiagnoseCommand implements Callable<Integer> {

    @Option(names = "--run-dir", paramLabel = "DIR", required = true, description = "the run directory to"
            + " diagnose; writes DIR/diagnosis.json")
    Path runDir;

    @Option(names = "--checkpoint", paramLabel = "NAME", description = "checkpoint name in RUN_DIR/checkpoints"
            + " (default: final, else the latest)")
    String checkpoint;

    @Option(names = "--subset", paramLabel = "N", description = "training examples the measurements (loss, gradient,"
            + " curvature, unit statistics) are computed on: a subset drawn with --seed (default 2000)")
    int subset = 2000;

    @Option(names = "--lanczos-steps", description = "Hessian-vector products of the Lanczos run (default 20)")
    int lanczosSteps = 20;

    @Option(names = "--top-k", description = "largest Hessian eigenvalues to report (default 10)")
    int topK = 10;

    @Option(names = "--lanczos-max-steps", description = "cap on the Lanczos steps: after --lanczos-steps the run"
            + " continues until the extreme Ritz values' residuals are below --lanczos-tolerance x ||H|| (default"
            + " 100, and at least --lanczos-steps)")
    Integer lanczosMaxSteps;

    @Option(names = "--lanczos-tolerance", description = "residual tolerance relative to ||H|| for the largest and"
            + " smallest Ritz values (default 1e-3; 0 = exactly --lanczos-steps steps)")
    double lanczosTolerance = Diagnosis.DEFAULT_LANCZOS_TOLERANCE;

    @Option(names = "--density-probes", description = "probe vectors of the spectral density: 0 = none, 1 = the"
            + " Lanczos run only (default; free), n = n-1 more Lanczos runs of --lanczos-steps products each")
    int densityProbes = 1;

    @Option(names = "--precision", description = "auto (default: f64 on the CPU for models up to 500000"
            + " parameters, else f32), f32 (the device's float32, central-difference Hessian-vector products) or f64"
            + " (float64 on the CPU, exact R-operator products)")
    String precision = "auto";

    @Option(names = "--all-checkpoints", description = "for every checkpoint of the run: loss, gradient norm,"
            + " lambda_max, lambda_min and the number of negative Ritz values; writes diagnosis-checkpoints.csv and"
            + " plots/diagnosis-checkpoints.png")
    boolean allCheckpoints;

    @Option(names = "--seed", description = "seed of the subsets and Lanczos start vectors (default 1)")
    long seed = 1;

    @Option(names = "--overwrite", description = "replace an existing RUN_DIR/diagnosis.json (and its charts)")
    boolean overwrite;

    @CommandLine.Mixin
    DeviceFlags deviceFlags = new DeviceFlags();

    /** A line over the checkpoints of --all-checkpoints (one diagnosis is one computation, with no count to show). */
    @CommandLine.Mixin
    ProgressFlag progress = new ProgressFlag();

    /** The curve doctor's findings from a run's metrics.csv (replaceable, for tests and library users). */
    private Function<Path, List<Finding>> curveFindings = CurveDoctor::fromMetrics;

    /** Replaces the curve doctor (tests; library users with their own). */
    public DiagnoseCommand optCurveFindings(Function<Path, List<Finding>> doctor) {
        this.curveFindings = doctor;
        return this;
    }

    /** Every flag, before the run is read: one line naming the flag, the rule and the value. */
    private void validate() {
        if (subset < 1) {
            throw new InvalidInputException("--subset must be a positive number of examples, got " + subset);
        }
        if (lanczosSteps < 1) {
            throw new InvalidInputException("--lanczos-steps must be positive, got " + lanczosSteps);
        }
        if (topK < 1) {
            throw new InvalidInputException("--top-k must be positive, got " + topK);
        }
        if (densityProbes < 0) {
            throw new InvalidInputException("--density-probes must be ≥ 0 (0 = none), got " + densityProbes);
        }
        if (lanczosMaxSteps != null && lanczosMaxSteps < lanczosSteps) {
            throw new InvalidInputException("--lanczos-max-steps must be at least --lanczos-steps (" + lanczosSteps
                    + "), got " + lanczosMaxSteps);
        }
        if (!(lanczosTolerance >= 0) || !(lanczosTolerance < 1)) {
            throw new InvalidInputException("--lanczos-tolerance must be in [0, 1) (relative to ||H||; 0 = exactly"
                    + " --lanczos-steps steps), got " + lanczosTolerance);
        }
        try {
            parsedPrecision = Diagnosis.Precision.parse(precision);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("--precision must be auto, f32 or f64, got '" + precision + "'");
        }
        deviceFlags.validate();
        progress.check();
        if (parsedPrecision == Diagnosis.Precision.F64 && deviceFlags.device.equals("cuda")) {
            throw new InvalidInputException("--precision f64 runs on the CPU (the CUDA backend is float32): use"
                    + " --device cpu, or --precision f32 with --device cuda");
        }
        if (allCheckpoints && checkpoint != null) {
            throw new InvalidInputException("--all-checkpoints diagnoses every checkpoint of the run: --checkpoint "
                    + checkpoint + " cannot be given with it");
        }
    }

    private Diagnosis.Precision parsedPrecision = Diagnosis.Precision.AUTO;

    private int maxSteps() {
        return lanczosMaxSteps != null ? lanczosMaxSteps
                : Math.max(Diagnosis.DEFAULT_LANCZOS_MAX_STEPS, lanczosSteps);
    }

    /** The backend: the CPU for f64 (whatever --device auto would pick), else what --device names. */
    private Backend openBackend() {
        if (parsedPrecision == Diagnosis.Precision.F64 && deviceFlags.device.equals("auto")) {
            return io.ravine.backend.Devices.open("cpu", false, deviceFlags.threads);
        }
        return deviceFlags.open();
    }

    /**
     * Lanczos keeps its basis, up to min(--lanczos-max-steps, P) vectors of the P parameters, in the measuring
     * backend's dtype (8 bytes in f64, 4 in f32): on the CPU that must fit this JVM's memory (direct buffers are
     * bounded by the heap's maximum by default).
     */
    private void validateLanczos(int parameters, Backend backend, Diagnosis.Precision precision) {
        long k = Math.min(maxSteps(), parameters);
        int bytes = precision == Diagnosis.Precision.F64 ? 8 : backend.dtype().bytes();
        long total = k * parameters * bytes;
        boolean cpu = precision == Diagnosis.Precision.F64 || backend.name().equals("cpu");
        long limit = cpu ? Runtime.getRuntime().maxMemory() / 2 : Long.MAX_VALUE;
        if (total > limit) {
            long most = Math.max(1, limit / ((long) bytes * parameters));
            String flag = lanczosMaxSteps != null ? "--lanczos-max-steps " + lanczosMaxSteps
                    : "--lanczos-steps " + lanczosSteps + " (cap " + maxSteps() + ")";
            throw new InvalidInputException(String.format(Locale.ROOT, "%s: the Lanczos basis holds up to %d"
                    + " vectors of the model's %d parameters in %s, %.1f GiB, more than half of this JVM's memory"
                    + " (%.1f GiB); at most %d steps for this model (or --precision f32)", flag, k, parameters,
                    precision.cliName(), total / 1073741824.0, Runtime.getRuntime().maxMemory() / 1073741824.0,
                    most));
        }
    }

    @Override
    public Integer call() {
        validate();
        TrainConfig config = RunDirectories.readConfig(runDir);
        List<Path> checkpoints = allCheckpoints ? everyCheckpoint(runDir) : List.of(resolveCheckpoint(runDir,
                checkpoint));
        // The file this command is for (diagnosis.json, or diagnosis-checkpoints.csv with --all-checkpoints): a run
        // directory that cannot take it is refused before the measurements (the charts and report.html are
        // best-effort and never a reason to stop).
        String output = allCheckpoints ? CheckpointSpectra.CSV : "diagnosis.json";
        OutputCheck.requireWritable("--run-dir", runDir, output);
        Diagnosis.Options options = Diagnosis.Options.defaults().withSubsetSize(subset)
                .withLanczosStopping(lanczosSteps, maxSteps(), lanczosTolerance).withLanczos(lanczosSteps, topK)
                .withDensityProbes(densityProbes).withSeed(seed).withPrecision(parsedPrecision);
        // Its own output only: a diagnosis is replaced with --overwrite, never silently. While another process writes
        // the run (a trainer), nothing is computed: its checkpoints are still changing.
        Path file = runDir.resolve(output);
        if (!overwrite && Files.exists(file)) {
            throw new InvalidInputException("--run-dir " + runDir + ": " + file + " already holds "
                    + (allCheckpoints ? "a diagnosis of the checkpoints" : "a diagnosis")
                    + ": replace it with --overwrite");
        }
        DirectoryLock.requireUnlocked(runDir);
        try (Backend backend = openBackend();
                Trainer trainer = new Trainer(config, backend)) {
            int parameters = trainer.mlp().parameterCount();
            Diagnosis.Precision resolved = parsedPrecision.resolve(backend, parameters, maxSteps());
            validateLanczos(parameters, backend, resolved);
            if (allCheckpoints) {
                return sweep(trainer, checkpoints, options);
            }
            Path ckpt = checkpoints.get(0);
            // The trainer rebuilds exactly the run's data (loading, --limit, normalization, target encoding) and
            // model; only θ comes from the checkpoint.
            // ‖g₀‖ at the standard initialization on the diagnosis's examples: the scale on which a saddle point's
            // gradient is "insignificant" (CurvatureFindings).
            double referenceGradientNorm = CurvatureFindings.referenceGradientNorm(trainer.model(), config,
                    trainer.trainingData(), options);
            // θ as stored, NaN/Inf included: what is not finite at a broken θ is part of the diagnosis.
            trainer.model().setParameters(Checkpoint.loadParametersAsStored(ckpt, trainer.mlp()));
            long step = RunDirectories.stepOf(ckpt);
            Checkpoint.requireStepWithin(ckpt, step, trainer.totalSteps());
            double lr = trainer.optimizer().learningRate(step + 1);
            Diagnosis.Report report = Diagnosis.run(trainer.model(), trainer.trainingData(),
                    options.withLearningRate(lr));
            List<Finding> findings = new ArrayList<>();
            Path metrics = runDir.resolve("metrics.csv");
            if (Files.exists(metrics)) {
                findings.addAll(curveFindings.apply(metrics));
            }
            findings.addAll(MeasurementFindings.from(report, new CurvatureFindings.Context(
                    RunSettings.of(config, trainer.trainingData().n()), lr, referenceGradientNorm)));
            String name = ckpt.getFileName().toString().replaceFirst("\\.safetensors$", "");
            JsonObject json = DiagnosisFile.toJson(report, new DiagnosisFile.Origin(name, step,
                    trainer.mlp().describe(), device(backend, report.precision())), lr, findings);
            Path plots = runDir.resolve("plots");
            try (DirectoryLock lock = DirectoryLock.acquire(runDir)) {
                DiagnosisFile.write(file, json);
                // The replaced diagnosis's charts go, so none of them stays beside the new one (a density chart
                // of a diagnosis with --density-probes, say).
                deleteDiagnosisCharts(plots);
                // Charts and report.html after diagnosis.json, and never a reason to lose it.
                ReportFiles.bestEffort(plots, () -> DiagnosisPlots.write(report, plots));
                ReportFiles.bestEffort(runDir.resolve("report.html"), () -> RunReport.write(runDir));
            }
            print(report, name, step, findings);
            return 0;
        }
    }

    /** Where the curvature was measured: the CPU's float64 backend in f64, else the device's. */
    private static String device(Backend backend, Diagnosis.Precision precision) {
        return precision == Diagnosis.Precision.F64 && backend.dtype() != io.ravine.backend.DType.F64
                ? io.ravine.backend.cpu.CpuBackend.f64().deviceDescription() : backend.deviceDescription();
    }

    /**
     * Every checkpoint of the run, each read whole and verified (its checksum, its step within the run) before
     * anything is measured, so a damaged one is refused up front, not after the others' Lanczos runs.
     */
    private static List<Path> everyCheckpoint(Path runDir) {
        List<Path> all = RunDirectories.checkpoints(runDir);
        if (all.isEmpty()) {
            throw new InvalidInputException("--all-checkpoints: no checkpoint in " + runDir.resolve("checkpoints")
                    + " (train with --save-initial and --checkpoint-every N)");
        }
        for (Path p : all) {
            RunDirectories.stepOf(p);
        }
        return all;
    }

    /** --all-checkpoints: the spectrum at each checkpoint, then the CSV, its chart and report.html. */
    private int sweep(Trainer trainer, List<Path> checkpoints, Diagnosis.Options options) {
        for (Path c : checkpoints) {
            Checkpoint.requireStepWithin(c, RunDirectories.stepOf(c), trainer.totalSteps());
        }
        List<CheckpointSpectra.Row> rows = new ArrayList<>();
        long products = 0;
        long t0 = System.nanoTime();
        ProgressLine bar = progress.choice().orElseGet(Terminal::stderrIsTerminal)
                ? ProgressLine.onStderr("checkpoint", checkpoints.size(), 0) : null;
        try {
            for (Path c : checkpoints) {
                String name = c.getFileName().toString().replaceFirst("\\.safetensors$", "");
                if (bar != null) {
                    bar.update(rows.size(), name);
                }
                trainer.model().setParameters(Checkpoint.loadParametersAsStored(c, trainer.mlp()));
                long step = RunDirectories.stepOf(c);
                Diagnosis.SpectrumPoint point = Diagnosis.spectrum(trainer.model(), trainer.trainingData(), options);
                rows.add(new CheckpointSpectra.Row(name, step, point));
                products += point.hessianVectorProducts();
                HessianSpectrum h = point.hessian();
                if (bar != null) {
                    bar.clear(); // the checkpoint's line in its place, the progress line below it
                }
                System.out.printf(Locale.ROOT, "  %s (step %d): loss %.6g, gradient norm %.4g, lambda_max %.6g,"
                        + " lambda_min %.6g%s, %d negative Ritz values below -%.3g (%d Lanczos steps)%n", name, step,
                        point.loss(), point.gradientNorm(), h.maxEigenvalue(), h.minEigenvalue(),
                        h.minEigenvalueResolved() ? "" : " (not resolved)", h.negativeCount(), h.accuracy().floor(),
                        h.lanczosSteps());
                if (bar != null) {
                    bar.update(rows.size(), name);
                }
            }
        } finally {
            if (bar != null) {
                bar.end(rows.size());
            }
        }
        Path file = runDir.resolve(CheckpointSpectra.CSV);
        Path plots = runDir.resolve("plots");
        try (DirectoryLock lock = DirectoryLock.acquire(runDir)) {
            CheckpointSpectra.write(file, rows);
            deleteIfExists(plots.resolve(DiagnosisPlots.CHECKPOINTS));
            DiagnosisPlots.writeCheckpoints(rows, plots.resolve(DiagnosisPlots.CHECKPOINTS));
            ReportFiles.bestEffort(runDir.resolve("report.html"), () -> RunReport.write(runDir));
        }
        System.out.printf(Locale.ROOT, "  %d checkpoints, %d Hessian-vector products in %.2f s (%s); wrote %s%n",
                rows.size(), products, (System.nanoTime() - t0) / 1e9, rows.isEmpty() ? "-"
                        : rows.get(0).point().precision().cliName(), file);
        return 0;
    }

    private static void deleteIfExists(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot replace " + p, e);
        }
    }

    private void print(Diagnosis.Report r, String name, long step, List<Finding> findings) {
        HessianSpectrum h = r.hessian();
        HessianSpectrum.Accuracy a = h.accuracy();
        System.out.printf(Locale.ROOT, "diagnosis of %s (step %d) on %d examples in %s (%s Hessian-vector"
                + " products):%n", name, step, r.subsetSize(), r.precision().cliName(), r.method().description());
        System.out.printf(Locale.ROOT, "  loss %.6g, gradient norm %.6g, g'Hg %.6g, optimal step %.6g%n",
                r.gradient().loss(), r.gradient().along().gradientNorm(), r.gradient().along().gHg(),
                r.gradient().along().optimalStep());
        String kappa = h.conditionNumber() != null ? String.format(Locale.ROOT, "%.4g (between %.4g and %.4g)",
                h.conditionNumber(), a.conditionNumberLowerBound(), a.conditionNumberUpperBound())
                : a.conditionNumberLowerBound() != null ? String.format(Locale.ROOT, ">= %.4g (lambda_min not"
                        + " resolved)", a.conditionNumberLowerBound())
                : "undefined";
        System.out.printf(Locale.ROOT, "  Hessian: lambda_max %.6g +- %.2g, lambda_min %.6g +- %.2g%s, condition"
                + " number %s, max stable lr %s%s%n", h.maxEigenvalue(), a.maxEigenvalueError(), h.minEigenvalue(),
                a.minEigenvalueError(), h.minEigenvalueResolved() ? "" : " (not resolved)", kappa,
                h.maxStableLearningRate() == null ? "undefined"
                        : String.format(Locale.ROOT, "%.4g", h.maxStableLearningRate()),
                h.saddle() ? ", negative curvature" : "");
        System.out.printf(Locale.ROOT, "  Lanczos: %d steps, %s (residual tolerance %.2g x ||H||, cap %d), floor"
                + " %.3g = %.3g x ||H||%n", h.lanczosSteps(), a.converged() ? "converged" : "not converged",
                a.tolerance(), a.maxSteps(), a.floor(), a.relativeFloor());
        if (r.directional() != null) {
            DirectionalCurvature d = r.directional();
            double mass = 1 - d.outsideMass();
            System.out.printf(Locale.ROOT, "  directional curvature: the top %d eigendirections hold %.1f%% of"
                    + " ||g||^2 and explain %.1f%% of g'Hg; the rest of the spectrum %.1f%%%n",
                    d.eigenvalues().length, 100 * mass, 100 * d.explainedShare(), 100 * (1 - d.explainedShare()));
        }
        for (Finding f : findings) {
            System.out.println("  " + f.problem() + ": " + f.evidence() + " -> " + f.workaround());
        }
        System.out.printf(Locale.ROOT, "  %d gradients and %d Hessian-vector products in %.2f s; wrote %s%n",
                r.gradientPasses(), r.hessianVectorProducts(), r.timings().total(), runDir.resolve("diagnosis.json"));
    }

    /** Deletes the charts a diagnosis draws ({@link DiagnosisPlots}) from {@code plots}. */
    private static void deleteDiagnosisCharts(Path plots) {
        if (!Files.isDirectory(plots)) {
            return;
        }
        try (java.util.stream.Stream<Path> files = Files.list(plots)) {
            for (Path p : files.toList()) {
                String n = p.getFileName().toString();
                if (n.equals(DiagnosisPlots.EIGENVALUES) || n.equals(DiagnosisPlots.DENSITY)
                        || n.equals(DiagnosisPlots.SECOND_ORDER) || n.equals(DiagnosisPlots.DIRECTIONAL)
                        || n.matches("activations-layer-\\d+\\.png")) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot replace the charts in " + plots, e);
        }
    }

    /** NAME, NAME.safetensors, or (no name) final, else the latest checkpoint. */
    static Path resolveCheckpoint(Path runDir, String name) {
        Path dir = runDir.resolve("checkpoints");
        if (name == null) {
            Path fin = dir.resolve("final.safetensors");
            if (Files.exists(fin)) {
                return fin;
            }
            if (RunDirectories.checkpoints(runDir).isEmpty()) {
                throw new InvalidInputException("no checkpoint in " + dir + " to diagnose");
            }
            return RunDirectories.latestCheckpoint(runDir);
        }
        Path file = dir.resolve(name.endsWith(".safetensors") ? name : name + ".safetensors");
        if (!Files.isRegularFile(file)) {
            List<String> have = RunDirectories.checkpoints(runDir).stream()
                    .map(p -> p.getFileName().toString().replaceFirst("\\.safetensors$", "")).toList();
            throw new InvalidInputException("no checkpoint '" + name + "' in " + dir
                    + (have.isEmpty() ? " (it has none)" : " (it has: " + String.join(", ", have) + ")"));
        }
        return file;
    }
}
