package io.ravine.cli;

import com.google.gson.JsonObject;
import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.diagnose.CurvatureFindings;
import io.ravine.diagnose.CurveDoctor;
import io.ravine.diagnose.Diagnosis;
import io.ravine.diagnose.DiagnosisFile;
import io.ravine.diagnose.DiagnosisPlots;
import io.ravine.diagnose.Finding;
import io.ravine.diagnose.HessianSpectrum;
import io.ravine.diagnose.MeasurementFindings;
import io.ravine.diagnose.RunSettings;
import io.ravine.io.DirectoryLock;
import io.ravine.report.ReportFiles;
import io.ravine.report.RunReport;
import io.ravine.train.Checkpoint;
import io.ravine.train.MemoryBudget;
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

    @Option(names = "--run-dir", required = true, description = "the run directory to diagnose")
    Path runDir;

    @Option(names = "--checkpoint", description = "checkpoint name in RUN_DIR/checkpoints (default: final, else the"
            + " latest)")
    String checkpoint;

    @Option(names = "--subset", description = "training examples the measurements average over (default 2000)")
    int subset = 2000;

    @Option(names = "--lanczos-steps", description = "Hessian-vector products of the Lanczos run (default 20)")
    int lanczosSteps = 20;

    @Option(names = "--top-k", description = "largest Hessian eigenvalues to report (default 10)")
    int topK = 10;

    @Option(names = "--density-probes", description = "probe vectors of the spectral density: 0 = none, 1 = the"
            + " Lanczos run only (default; free), n = n-1 more Lanczos runs of --lanczos-steps products each")
    int densityProbes = 1;

    @Option(names = "--seed", description = "seed of the subsets and Lanczos start vectors (default 1)")
    long seed = 1;

    @Option(names = "--overwrite", description = "replace an existing RUN_DIR/diagnosis.json (and its charts)")
    boolean overwrite;

    @CommandLine.Mixin
    DeviceFlags deviceFlags = new DeviceFlags();

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
        deviceFlags.validate();
    }

    /**
     * Lanczos keeps its basis, min(k, P) vectors of the P parameters, in one tensor of the backend (float32): on the
     * CPU that tensor must stay within 2 GiB, and it must fit the JVM's direct memory.
     */
    private void validateLanczos(int parameters, Backend backend) {
        long k = Math.min(lanczosSteps, parameters);
        long bytes = k * parameters * backend.dtype().bytes();
        long limit = backend.name().equals("cpu") ? Math.min(MemoryBudget.MAX_TENSOR_BYTES,
                Runtime.getRuntime().maxMemory()) : Long.MAX_VALUE;
        if (k * parameters > Integer.MAX_VALUE || bytes > limit) {
            long most = Math.min(Integer.MAX_VALUE, limit / backend.dtype().bytes()) / parameters;
            throw new InvalidInputException(String.format(Locale.ROOT, "--lanczos-steps %d: the Lanczos basis holds"
                    + " %d vectors of the model's %d parameters, %.1f GiB in one tensor, more than it may hold (2 GiB,"
                    + " and this JVM's memory); at most %d steps for this model", lanczosSteps, k, parameters,
                    bytes / 1073741824.0, most));
        }
    }

    @Override
    public Integer call() {
        validate();
        TrainConfig config = RunDirectories.readConfig(runDir);
        Path ckpt = resolveCheckpoint(runDir, checkpoint);
        // diagnosis.json is what this command is for: a run directory that cannot take it is refused before the
        // measurements (the charts and report.html are best-effort and never a reason to stop).
        OutputCheck.requireWritable("--run-dir", runDir, "diagnosis.json");
        Diagnosis.Options options = Diagnosis.Options.defaults().withSubsetSize(subset)
                .withLanczos(lanczosSteps, topK).withDensityProbes(densityProbes).withSeed(seed);
        // Its own output only: a diagnosis is replaced with --overwrite, never silently. While another process writes
        // the run (a trainer), nothing is computed: its checkpoints are still changing.
        Path file = runDir.resolve("diagnosis.json");
        if (!overwrite && Files.exists(file)) {
            throw new InvalidInputException("--run-dir " + runDir + ": " + file + " already holds a diagnosis:"
                    + " replace it with --overwrite");
        }
        DirectoryLock.requireUnlocked(runDir);
        try (Backend backend = deviceFlags.open();
                Trainer trainer = new Trainer(config, backend)) {
            validateLanczos(trainer.mlp().parameterCount(), backend);
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
                    trainer.mlp().describe(), backend.deviceDescription()), lr, findings);
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

    private void print(Diagnosis.Report r, String name, long step, List<Finding> findings) {
        HessianSpectrum h = r.hessian();
        System.out.printf(Locale.ROOT, "diagnosis of %s (step %d) on %d examples:%n", name, step, r.subsetSize());
        System.out.printf(Locale.ROOT, "  loss %.6g, gradient norm %.6g, g'Hg %.6g, optimal step %.6g%n",
                r.gradient().loss(), r.gradient().along().gradientNorm(), r.gradient().along().gHg(),
                r.gradient().along().optimalStep());
        System.out.printf(Locale.ROOT, "  Hessian: lambda_max %.6g, lambda_min %.6g, condition number %s,"
                + " max stable lr %s%s%n", h.maxEigenvalue(), h.minEigenvalue(),
                h.conditionNumber() == null ? "undefined" : String.format(Locale.ROOT, "%.4g", h.conditionNumber()),
                h.maxStableLearningRate() == null ? "undefined"
                        : String.format(Locale.ROOT, "%.4g", h.maxStableLearningRate()),
                h.saddle() ? ", negative curvature" : "");
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
                        || n.equals(DiagnosisPlots.SECOND_ORDER) || n.matches("activations-layer-\\d+\\.png")) {
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
