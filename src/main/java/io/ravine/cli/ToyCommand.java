package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.io.OutputDirectories;
import io.ravine.toy.ToyRun;
import io.ravine.toy.ToySurface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ravine toy}: an optimizer on one of the lectures' 2-D surfaces; writes toy.json and contour.png. */
@Command(name = "toy", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run an optimizer (Ravine's own, or Newton's method) on a 2-D surface from the lectures and"
                + " draw the trajectory over its contour plot.")
public final class ToyCommand implements Callable<Integer> {

    @Option(names = "--problem", description = "quadratic (default), rosenbrock (a=1, b=100), saddle ½(x² − y²)")
    String problem = "quadratic";

    @Option(names = "--optimizer", description = "sgd (default), momentum, nesterov, rmsprop, adam, adamw, newton")
    String optimizer = "sgd";

    @Option(names = "--lr", description = "α (default per problem: quadratic 0.15, saddle 0.1, rosenbrock 1e-3;"
            + " adaptive rules 0.05/0.05/0.02; newton 1 = the full Newton step)")
    Double lr;

    @Option(names = "--momentum", description = "μ for momentum and Nesterov (default 0.9)")
    double momentum = 0.9;

    @Option(names = "--steps", description = "updates (default: quadratic 100, saddle 50, rosenbrock 5000)")
    Integer steps;

    @Option(names = "--start", description = "start point x,y (default: quadratic 1,1; rosenbrock -1.2,1;"
            + " saddle 1,0.05)")
    String start;

    @Option(names = "--eigenvalues", description = "the quadratic's λ₁,λ₂ (default 1,10)")
    String eigenvalues;

    @Option(names = "--condition-number", description = "the quadratic with λ = (1, K)")
    Double conditionNumber;

    @Option(names = "--tolerance", description = "converged when ‖θ − θ*‖ ≤ tolerance · ‖θ₀ − θ*‖ (default 1e-6)")
    double tolerance = 1e-6;

    @Option(names = "--out", description = "output directory (default runs/toy-PROBLEM-OPTIMIZER, or -2, -3, …"
            + " when taken)")
    Path out;

    @Option(names = "--overwrite", description = "replace an --out that already holds files, whole")
    boolean overwrite;

    @Override
    public Integer call() {
        if (!problem.equals("quadratic") && (eigenvalues != null || conditionNumber != null)) {
            throw new InvalidInputException("--eigenvalues and --condition-number only go with --problem quadratic");
        }
        double[] lambdas = eigenvalues == null ? null : pair("--eigenvalues", eigenvalues);
        if (lambdas != null && !(lambdas[0] > 0 && lambdas[1] > 0)) {
            throw new InvalidInputException("--eigenvalues must be two positive numbers λ₁,λ₂ (the quadratic's"
                    + " curvatures), got '" + eigenvalues + "'");
        }
        ToySurface surface = ToySurface.parse(problem, lambdas, conditionNumber);
        ToyRun.Settings settings = new ToyRun.Settings(optimizer,
                lr != null ? lr : ToyRun.Settings.defaultLearningRate(problem, optimizer), momentum,
                steps != null ? steps : ToyRun.Settings.defaultSteps(problem),
                start != null ? pair("--start", start) : surface.defaultStart(), tolerance);
        if (out != null && Files.isDirectory(out) && !overwrite && !OutputDirectories.isEmpty(out)) {
            throw new InvalidInputException("--out " + out + ": already holds files ("
                    + OutputDirectories.describe(OutputDirectories.contents(out)) + "): choose another --out, or"
                    + " replace it with --overwrite");
        }
        // Writability before the run: a toy that cannot be written is refused before it is computed.
        if (out != null) {
            OutputCheck.requireWritable("--out", out, "toy.json");
        } else {
            OutputCheck.requireWritable("--out", Path.of("runs"));
        }
        ToyRun.Result r = ToyRun.run(surface, settings);
        Path dir = out;
        OutputDirectories.Replacement old = null;
        if (out == null) {
            // The automatic name never takes an existing directory: the next free suffix.
            dir = OutputDirectories.createFresh(Path.of("runs"), "toy-" + problem + "-" + optimizer);
        } else if (overwrite) {
            old = OutputDirectories.replace(out);
        }
        try {
            r.write(dir);
        } catch (RuntimeException e) {
            if (old != null) {
                old.restore();
            }
            throw e;
        }
        if (old != null) {
            old.discard();
        }
        double[] end = r.finalPoint();
        System.out.printf(Locale.ROOT, "%s %s with %s (α = %s): %s after %d steps at (%.6g, %.6g), J = %.6g%n",
                surface.name(), surface.describe(), optimizer, shortNumber(settings.lr()), r.verdict(),
                r.trajectory().length - 1, end[0], end[1], r.finalValue());
        if (r.stepsToTolerance() != null) {
            System.out.printf(Locale.ROOT, "within tolerance %s of the %s after %d steps%n", shortNumber(tolerance),
                    surface.minimizer() != null ? "minimum" : "saddle point", r.stepsToTolerance());
        }
        for (ToyRun.Direction d : r.directions()) {
            System.out.printf(Locale.ROOT, "  %s (λ = %s): %s%s, %d sign changes, |x_end|/|x_0| = %.3g%s%n",
                    d.axis(), shortNumber(d.eigenvalue()),
                    d.alphaLambda() != null ? String.format(Locale.ROOT, "αλ = %s predicts %s, ",
                            shortNumber(d.alphaLambda()),
                            d.predicted().jsonName()) : "",
                    d.observed() == null ? "does not move (starts at 0)" : "observed " + d.observed().jsonName(),
                    d.signChanges(), d.growth(),
                    d.settledStep() != null ? ", settled after " + d.settledStep() + " steps" : "");
        }
        if (r.note() != null) {
            System.out.println(r.note());
        }
        System.out.println("wrote " + dir.resolve("toy.json") + " and " + dir.resolve("contour.png"));
        return 0;
    }

    private static String shortNumber(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros()
                .toPlainString();
    }

    private static double[] pair(String flag, String spec) {
        String[] parts = spec.split(",");
        if (parts.length != 2) {
            throw new InvalidInputException(flag + " takes two numbers a,b, not '" + spec + "'");
        }
        try {
            double[] v = {Double.parseDouble(parts[0].trim()), Double.parseDouble(parts[1].trim())};
            if (!Double.isFinite(v[0]) || !Double.isFinite(v[1])) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new InvalidInputException(flag + " takes two finite numbers a,b, not '" + spec + "'");
        }
    }
}
