package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.io.OutputDirectories;
import io.ravine.toy.EarlyDecay;
import io.ravine.toy.ToyRun;
import io.ravine.toy.ToySurface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ravine toy}: an optimizer on one of the lectures' 2-D surfaces, or the early-decay experiment; writes
 * toy.json, its pictures and report.html.
 */
@Command(name = "toy", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run an optimizer (Ravine's own, or Newton's method) on a 2-D surface from the lectures and"
                + " draw the trajectory over its contour plot and surface; or run the early-decay experiment.")
public final class ToyCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--problem", description = "quadratic (default), rosenbrock (a=1, b=100), saddle ½(x² − y²),"
            + " multiminima (four minima), plateau, plane (momentum's terminal velocity), early-decay (decaying α"
            + " too early, on a noisy quadratic)")
    String problem = "quadratic";

    @Option(names = "--optimizer", description = "sgd (default), momentum, nesterov, rmsprop, adam, adamw, newton")
    String optimizer = "sgd";

    @Option(names = "--lr", description = "α (default per problem and optimizer: quadratic/plateau 0.15, saddle"
            + " 0.1, rosenbrock 1e-3, multiminima 0.02, plane 0.01, early-decay 0.5; rmsprop/adam/adamw 0.05, 0.05,"
            + " 0.02 on the first three and 0.05 on the plateau; newton 1 = the full Newton step)")
    Double lr;

    @Option(names = "--momentum", description = "μ for momentum and Nesterov (default 0.9); 1 (no friction) only"
            + " with --problem plane")
    double momentum = 0.9;

    @Option(names = "--steps", description = "number of updates to run (default: quadratic 100, saddle 50,"
            + " rosenbrock 5000, multiminima 500, plateau 1500, plane 200, early-decay 2000)")
    Integer steps;

    @Option(names = "--start", description = "start point x,y (default: quadratic 1,1; rosenbrock -1.2,1;"
            + " saddle 1,0.05; multiminima 1.9,1.6; plateau -WIDTH,1; plane 0,0; early-decay 10,1)")
    String start;

    @Option(names = "--eigenvalues", description = "the quadratic's λ₁,λ₂ (default 1,10; early-decay 0.01,1)")
    String eigenvalues;

    @Option(names = "--condition-number", description = "the quadratic with λ = (1, K)")
    Double conditionNumber;

    @Option(names = "--tilt", description = "multiminima: the wells' tilts a,b, |a|, |b| < 1 (default 0.15,0.3)")
    String tilt;

    @Option(names = "--plateau-width", description = "plateau: its width w (default 2)")
    Double plateauWidth;

    @Option(names = "--plateau-slope", description = "plateau: its slope s (default 0.01)")
    Double plateauSlope;

    @Option(names = "--gradient", description = "plane: its constant gradient g₁,g₂ (default 1,0.5)")
    String gradient;

    @Option(names = "--noise", description = "early-decay: σ of the gradient noise (covariance σ²H; default 1)")
    Double noise;

    @Option(names = "--decay-starts", description = "early-decay: the steps EARLY,LATE where each decay starts"
            + " (default a tenth and three quarters of --steps)")
    String decayStarts;

    @Option(names = "--decay-timescale", description = "early-decay: τ of α₀e^{−(t − t₀)/τ} (default 100)")
    Double decayTimescale;

    @Option(names = "--seed", description = "early-decay: seed of the gradient noise (default 1)")
    Long seed;

    @Option(names = "--tolerance", description = "converged when ‖θ − θ*‖ ≤ tolerance · ‖θ₀ − θ*‖ (the plane:"
            + " speed within tolerance × the terminal speed; default 1e-6)")
    double tolerance = 1e-6;

    /** The output directory (the field keeps its old name, out; the flag is --run-dir). */
    @Option(names = "--run-dir", paramLabel = "DIR", description = "where toy.json, the pictures and report.html are"
            + " written (default runs/toy-PROBLEM-OPTIMIZER, or -2, -3, … when taken)")
    Path out;

    @Option(names = "--overwrite", description = "replace a --run-dir that already holds files, whole")
    boolean overwrite;

    @Override
    public Integer call() {
        // Every flag first, in one pass that computes nothing: then the output, then the run.
        String name = problem.trim().toLowerCase(Locale.ROOT);
        String opt = ToyRun.optimizerName(optimizer);
        boolean decay = name.equals(EarlyDecay.NAME);
        if (!decay) {
            for (Object[] f : new Object[][] {{"--noise", noise}, {"--decay-starts", decayStarts},
                {"--decay-timescale", decayTimescale}, {"--seed", seed}}) {
                if (f[1] != null) {
                    throw new InvalidInputException(f[0] + " only goes with --problem early-decay, not with --problem "
                            + name);
                }
            }
        }
        double[] lambdas = eigenvalues == null ? null : pair("--eigenvalues", eigenvalues);
        if (lambdas != null && !(lambdas[0] > 0 && lambdas[1] > 0)) {
            throw new InvalidInputException("--eigenvalues must be two positive numbers λ₁,λ₂ (the quadratic's"
                    + " curvatures), got '" + eigenvalues + "'");
        }
        ToySurface surface = null;
        ToyRun.Settings settings = null;
        EarlyDecay.Settings decaySettings = null;
        if (decay) {
            for (Object[] f : new Object[][] {{"--tilt", tilt}, {"--plateau-width", plateauWidth},
                {"--plateau-slope", plateauSlope}, {"--gradient", gradient}}) {
                if (f[1] != null) {
                    throw new InvalidInputException(f[0] + " does not go with --problem early-decay");
                }
            }
            if (lambdas != null && conditionNumber != null) {
                throw new InvalidInputException("give --eigenvalues or --condition-number, not both");
            }
            if (conditionNumber != null && !(conditionNumber >= 1) || conditionNumber != null
                    && Double.isInfinite(conditionNumber)) {
                throw new InvalidInputException("--condition-number must be ≥ 1 and finite, got " + conditionNumber);
            }
            int n = steps != null ? steps : EarlyDecay.Settings.DEFAULT_STEPS;
            decaySettings = new EarlyDecay.Settings(opt, lr != null ? lr : EarlyDecay.Settings.DEFAULT_LR, momentum,
                    n, start != null ? pair("--start", start) : EarlyDecay.Settings.DEFAULT_START,
                    conditionNumber != null ? new double[] {1, conditionNumber}
                            : lambdas != null ? lambdas : EarlyDecay.Settings.DEFAULT_EIGENVALUES,
                    noise != null ? noise : EarlyDecay.Settings.DEFAULT_NOISE,
                    decayStarts != null ? steps("--decay-starts", decayStarts)
                            : EarlyDecay.Settings.defaultDecayStarts(n),
                    decayTimescale != null ? decayTimescale : EarlyDecay.Settings.DEFAULT_TIMESCALE,
                    seed != null ? seed : 1);
        } else {
            surface = ToySurface.parse(name, new ToySurface.Options(lambdas, conditionNumber,
                    tilt == null ? null : pair("--tilt", tilt), plateauWidth, plateauSlope,
                    gradient == null ? null : pair("--gradient", gradient)));
            settings = new ToyRun.Settings(opt, lr != null ? lr : ToyRun.Settings.defaultLearningRate(name, opt),
                    momentum, steps != null ? steps : ToyRun.Settings.defaultSteps(name),
                    start != null ? pair("--start", start) : surface.defaultStart(), tolerance);
            ToyRun.validate(surface, settings);
        }
        if (out != null && Files.isDirectory(out) && !overwrite && !OutputDirectories.isEmpty(out)) {
            throw new InvalidInputException("--run-dir " + out + ": already holds files ("
                    + OutputDirectories.describe(OutputDirectories.contents(out)) + "): choose another --run-dir, or"
                    + " replace it with --overwrite");
        }
        // Writability before the run: a toy that cannot be written is refused before it is computed.
        if (out != null) {
            OutputCheck.requireWritable("--run-dir", out, "toy.json");
        } else {
            OutputCheck.requireWritable("--run-dir", Path.of("runs"));
        }
        ToyRun.Result r = decay ? null : ToyRun.run(surface, settings);
        EarlyDecay.Result d = decay ? EarlyDecay.run(decaySettings) : null;
        Path dir = out;
        OutputDirectories.Replacement old = null;
        if (out == null) {
            // The automatic name never takes an existing directory: the next free suffix.
            dir = OutputDirectories.createFresh(Path.of("runs"), "toy-" + name + "-" + opt);
        } else if (overwrite) {
            old = OutputDirectories.replace(out);
        }
        try {
            if (decay) {
                d.write(dir, Main.words(spec));
            } else {
                r.write(dir, Main.words(spec));
            }
        } catch (RuntimeException e) {
            if (old != null) {
                old.restore();
            }
            throw e;
        }
        if (old != null) {
            old.discard();
        }
        List<String> pictures = decay ? d.pictures() : r.pictures();
        if (decay) {
            printDecay(d);
        } else {
            printToy(r);
        }
        System.out.println("wrote " + dir.resolve("toy.json") + ", " + String.join(", ", pictures) + " and "
                + "report.html");
        return 0;
    }

    private static void printToy(ToyRun.Result r) {
        System.out.println(r.summary());
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
        if (!r.outcomes().isEmpty()) {
            System.out.println("  from the same start, each optimizer at its default α:");
            for (ToyRun.Outcome o : r.outcomes()) {
                System.out.printf(Locale.ROOT, "    %-9s α = %-6s %s%n", o.optimizer(), shortNumber(o.lr()),
                        o.reached() == null ? o.verdict().replace('_', ' ') + String.format(Locale.ROOT,
                                " (ends at (%.4g, %.4g))", o.finalPoint()[0], o.finalPoint()[1])
                                : (o.reached().global() ? "global minimum " : "local minimum ")
                                + o.reached().where() + ", J = " + shortNumber(o.reached().value()));
            }
        }
        ToyRun.PlateauCrossing p = r.plateau();
        if (p != null) {
            System.out.printf(Locale.ROOT, "  plateau of width %s and slope %s: %d steps on it (predicted %s), %s%n",
                    shortNumber(p.width()), shortNumber(p.slope()), p.steps(), p.predicted() != null
                            ? p.predicted().toString() : p.predictedStatus(), p.leftAt() != null
                            ? "left it at step " + p.leftAt() : "still on it at the end");
        }
        ToyRun.TerminalVelocity t = r.terminal();
        if (t != null) {
            if (t.predicted() != null) {
                System.out.printf(Locale.ROOT, "  terminal speed: measured %.6g, predicted α‖g‖/(1 − μ) = %.6g"
                        + " (relative error %.2g); within tolerance from step %s (predicted %s)%n", t.measured(),
                        t.predicted(), t.relativeError(), t.measuredSteps() == null ? "- (never)"
                                : t.measuredSteps().toString(), t.predictedSteps());
            } else if (t.growth() != null) {
                System.out.printf(Locale.ROOT, "  speed after %d steps %.6g, growing by %.6g per step (α‖g‖ ="
                        + " %.6g)%n", t.speeds().length, t.measured(), t.growth(), t.predictedGrowth());
            } else {
                System.out.printf(Locale.ROOT, "  final speed %.6g; %s%n", t.measured(), t.predictedStatus());
            }
        }
        if (r.note() != null) {
            System.out.println(r.note());
        }
    }

    private static void printDecay(EarlyDecay.Result d) {
        System.out.println(d.summary());
        List<String> header = d.tableHeader();
        System.out.println("  " + String.join(" | ", header));
        for (List<String> row : d.table()) {
            System.out.println("  " + String.join(" | ", row));
        }
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

    private static int[] steps(String flag, String spec) {
        String[] parts = spec.split(",");
        if (parts.length != 2) {
            throw new InvalidInputException(flag + " takes two steps EARLY,LATE, not '" + spec + "'");
        }
        try {
            return new int[] {Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim())};
        } catch (NumberFormatException e) {
            throw new InvalidInputException(flag + " takes two whole numbers of steps EARLY,LATE, not '" + spec
                    + "'");
        }
    }
}
