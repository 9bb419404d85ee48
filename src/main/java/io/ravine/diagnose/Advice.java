package io.ravine.diagnose;

import io.ravine.backend.Activation;
import io.ravine.backend.UpdateRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The doctor's advice as a function of the finding and the run's configuration: the lectures' workaround for the
 * problem (Grosse, CSC321 lecture 8 §4.9's table; Grosse &amp; Ba, lectures 7–8; Goodfellow 2015 for saddle points
 * and the optimal step), less what the run already does, plus what it could try next. A run that normalizes its
 * inputs and trains with Adam is not told to normalize and use Adam; one that averages its iterates is told to use
 * the average, not to start one. Without a configuration ({@code run} null) the advice is the lectures' own, whole.
 *
 * <p>The table, problem by problem, is in docs/diagnose.md ("What the doctor advises"); {@code AdviceTest} checks it
 * row by row.
 */
public final class Advice {
    /** Informational findings: nothing to change. */
    static final String NOTHING_TO_CHANGE = "nothing to change";

    private Advice() {
    }

    /**
     * The advice for {@code problem} in a run trained with {@code run}.
     *
     * @param problem a finding's problem name ({@link CurveDoctor#SLOW_PROGRESS}, …,
     *     {@link CurvatureFindings#SADDLE_POINT}, …)
     * @param run the run's settings, or null when unknown
     * @return the advice, one line
     */
    public static String forProblem(String problem, RunSettings run) {
        List<String> a = new ArrayList<>();
        switch (problem) {
            case CurveDoctor.SLOW_PROGRESS -> slowProgress(a, run);
            case CurveDoctor.INSTABILITY -> instability(a, run);
            case CurveDoctor.OSCILLATION -> oscillation(a, run);
            case CurveDoctor.FLUCTUATION -> fluctuation(a, run);
            case MeasurementFindings.DEAD_UNITS -> deadUnits(a, run);
            case MeasurementFindings.SATURATED_UNITS -> saturatedUnits(a, run);
            case MeasurementFindings.SYMMETRY -> symmetry(a, run);
            case MeasurementFindings.ILL_CONDITIONING -> illConditioning(a, run);
            case MeasurementFindings.NON_FINITE -> a.add("this θ is from a run that blew up: diagnose an earlier"
                    + " checkpoint (--checkpoint NAME) and " + decreaseAlpha(run));
            case CurvatureFindings.SADDLE_POINT -> saddlePoint(a, run);
            case CurvatureFindings.NEGATIVE_CURVATURE -> a.add(NOTHING_TO_CHANGE + ": away from a critical point"
                    + " negative curvature is no obstacle, and gradient descent moves along it (Goodfellow 2015);"
                    + " it is no reason for a second-order method");
            case CurvatureFindings.UNSTABLE_LEARNING_RATE -> unstableRate(a, run);
            case CurvatureFindings.UPHILL_STEP -> uphillStep(a, run);
            default -> throw new IllegalArgumentException("no advice for the problem '" + problem + "'");
        }
        return String.join("; ", a);
    }

    private static String decreaseAlpha(RunSettings run) {
        return run == null ? "decrease α (the learning rate)"
                : "decrease α (the learning rate, --lr " + num(run.learningRate()) + "; the lectures' grid goes down"
                        + " by factors of 3: " + num(run.learningRate() / 3) + ")";
    }

    private static void slowProgress(List<String> a, RunSettings run) {
        if (run == null) {
            a.add("increase α (the learning rate)");
            a.add("momentum");
            return;
        }
        a.add("increase α (the learning rate, --lr " + num(run.learningRate()) + "; the lectures' grid goes up by"
                + " factors of 3: " + num(3 * run.learningRate()) + ")");
        if (run.optimizer() == UpdateRule.SGD) {
            a.add("or add momentum (--optimizer momentum --momentum 0.9), which builds speed where the gradient"
                    + " keeps its direction");
        }
        if (run.scheduleDecays()) {
            a.add("the schedule (" + run.schedule() + ") lowers α: decayed too early, α stops the progress (lecture"
                    + " 8, Fig. 4), so start the decay later");
        }
    }

    private static void instability(List<String> a, RunSettings run) {
        a.add(decreaseAlpha(run));
        if (run != null && run.clipNorm() > 0) {
            a.add("clipping (--clip-norm " + num(run.clipNorm()) + ") bounds each step at α × " + num(run.clipNorm())
                    + " but not its growth along a direction with αλ > 2, so α is what to lower");
        }
    }

    private static void oscillation(List<String> a, RunSettings run) {
        a.add(decreaseAlpha(run));
        if (run == null) {
            a.add("use momentum");
        } else if (run.optimizer() == UpdateRule.SGD) {
            a.add("or use momentum (--optimizer momentum --momentum 0.9): across a ravine the gradients cancel, so"
                    + " it damps the oscillation");
        }
    }

    private static void fluctuation(List<String> a, RunSettings run) {
        if (run == null) {
            a.add("decay α late (--schedule exp:T0:TAU) or average the iterates (--ema τ)");
            return;
        }
        if (run.scheduleDecays()) {
            a.add("α already decays (--schedule " + run.schedule() + "): let it decay further late in training,"
                    + " once the loss has flattened");
        } else {
            a.add("decay α late in training, once the loss has flattened (--schedule exp:T0:TAU, T0 there)");
        }
        if (run.emaTimescale() > 0) {
            a.add("the iterates are averaged already (--ema " + num(run.emaTimescale()) + "): evaluate and keep the"
                    + " average θ̃ (ema_test_loss), or average longer");
        } else {
            a.add("or average the iterates (--ema τ, e.g. 100) and use the average θ̃");
        }
        if (run.batching() == RunSettings.Batching.MINI_BATCH) {
            a.add("or larger mini-batches (--batch-size " + run.batchSize() + " now): the gradient's variance falls"
                    + " as 1/B");
        }
    }

    private static void deadUnits(List<String> a, RunSettings run) {
        if (run == null) {
            a.add("initial scale of W; ReLU bias 0.1 (or Xavier scale)");
            return;
        }
        if (!run.scaledInit()) {
            a.add("initial scale of W: He's for ReLU (--init auto; now " + run.init() + ")");
        }
        if (run.biasInit() <= 0) {
            a.add("start the ReLU biases at a small positive value (--bias-init 0.1)");
        }
        if (a.isEmpty()) {
            a.add("the lectures' remedies are in place (" + run.init() + " scale, biases at " + num(run.biasInit())
                    + "): units that die during training were pushed there by large steps, so " + decreaseAlpha(run));
        }
    }

    private static void saturatedUnits(List<String> a, RunSettings run) {
        if (run == null) {
            a.add("initial scale of W (Xavier); ReLU");
            return;
        }
        if (!run.scaledInit()) {
            a.add("initial scale of W: Xavier's (--init auto; now " + run.init() + ")");
        }
        if ("none".equals(run.normalize())) {
            a.add("normalize the inputs (--normalize zscore): unscaled inputs drive units to the ends of their range");
        }
        if (run.activation() != Activation.RELU) {
            a.add("ReLU units, which do not saturate for positive inputs (--activation relu)");
        }
        if (a.isEmpty()) {
            a.add(decreaseAlpha(run));
        }
    }

    private static void symmetry(List<String> a, RunSettings run) {
        if (run == null || run.constantInit()) {
            a.add("initialize W randomly" + (run == null ? "" : " (--init auto: He for ReLU, Xavier otherwise; now "
                    + run.init() + ")") + ": units that start equal get equal gradients forever");
        } else {
            a.add("W starts random already (--init " + run.init() + "): these units became equal in training and"
                    + " get equal gradients from then on; restart from another --seed");
        }
    }

    private static void illConditioning(List<String> a, RunSettings run) {
        if (run == null) {
            a.add("normalize inputs; momentum; Adam; second-order optimization (--optimizer newton-cg or lbfgs)");
            return;
        }
        if ("none".equals(run.normalize())) {
            a.add("normalize the inputs (--normalize zscore): features of different scales or far from zero make a"
                    + " ravine");
        }
        if (run.optimizer() == UpdateRule.SGD) {
            a.add("momentum (--optimizer momentum --momentum 0.9)");
        }
        if (run.optimizer() == UpdateRule.RMSPROP) {
            a.add("Adam (--optimizer adam: RMSprop's per-parameter rates with momentum)");
        } else if (!run.adaptive() && !run.optimizer().closureBased()) {
            a.add("Adam (--optimizer adam), which adapts the step of each parameter");
        }
        if (a.isEmpty()) {
            a.add("the inputs are normalized and " + ruleName(run.optimizer()) + " adapts each parameter's step"
                    + " already: what is left is the network's own curvature, 'a fact of life' (lectures 7–8)");
        }
        if (run.optimizer().closureBased()) {
            a.add(ruleName(run.optimizer()) + " is the lectures' last resort already: it rescales every direction by"
                    + " its curvature; what it can still be given is a larger batch (--batch-size full) and, for"
                    + (run.optimizer() == UpdateRule.LBFGS ? " lbfgs, --line-search strong-wolfe"
                    : " newton-cg, more CG iterations (--cg-max-iter) or a larger --curvature-batch"));
            return;
        }
        a.add("second-order optimization is the lectures' last resort: --optimizer newton-cg (Hessian-free,"
                + " Martens 2010: each step solves (G + λI)d = −g by conjugate gradients, so flat directions move as"
                + " far as steep ones) or --optimizer lbfgs (a curvature estimate from the last gradients); both"
                + " cost several gradients per step and fit full or large batches (--batch-size full), where the"
                + " ravine, not gradient noise, is what slows the run");
    }

    private static void saddlePoint(List<String> a, RunSettings run) {
        if (run != null && run.constantInit()) {
            a.add("break the symmetry that holds θ at the saddle: initialize W randomly (--init auto; now "
                    + run.init() + ")");
        }
        a.add("keep a first-order method: gradient descent leaves a saddle along its negative curvature"
                + " (Goodfellow 2015: it flees saddle points), while exact Newton (newton-cg --curvature hessian) is"
                + " attracted to them: its step −H⁻¹g heads for any stationary point. newton-cg's default"
                + " Gauss-Newton curvature is positive semi-definite, so its damped step −(G + λI)⁻¹g is always a"
                + " descent direction and is not attracted the way exact Newton is; but G leaves out the negative"
                + " curvature that leads off the saddle, so it does not use it to escape either, and lbfgs's"
                + " curvature estimate is positive definite, with the same blind spot");
        if (run != null && run.batching() == RunSettings.Batching.FULL_BATCH) {
            a.add("mini-batches (--batch-size 128) add noise that moves θ off the saddle ('if we're slightly to the"
                    + " side, then we can get unstuck')");
        }
        if (run != null && run.optimizer() == UpdateRule.SGD) {
            a.add("momentum (--optimizer momentum) gathers speed along the escape direction");
        }
    }

    private static void unstableRate(List<String> a, RunSettings run) {
        a.add(decreaseAlpha(run) + " below the stability bound");
        if (run != null && run.optimizer() == UpdateRule.SGD) {
            a.add("or add momentum: heavy ball's bound 2(1 + μ)/λ_max is 1.9 times as large at μ = 0.9"
                    + " (--optimizer momentum --momentum 0.9)");
        }
    }

    private static void uphillStep(List<String> a, RunSettings run) {
        a.add(decreaseAlpha(run) + " to at most 2ε*, and toward ε* = gᵀg/gᵀHg, the step the quadratic model"
                + " prefers");
        if (run == null || !run.scheduleDecays()) {
            a.add("α is fixed in advance while gᵀHg grows during training (Goodfellow et al. §8.2.1): a schedule that"
                    + " lowers α (--schedule) follows it");
        }
    }

    private static String ruleName(UpdateRule r) {
        return r.name().toLowerCase(Locale.ROOT).replace("adamw", "AdamW").replace("adam", "Adam")
                .replace("rmsprop", "RMSprop");
    }

    static String num(double v) {
        return String.format(Locale.ROOT, "%.3g", v).replaceFirst("(\\.\\d*?)0+(e|$)", "$1$2")
                .replaceFirst("\\.(e|$)", "$1");
    }
}
