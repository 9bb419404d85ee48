package io.ravine.optim;

import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;
import io.ravine.InvalidInputException;
import java.util.Locale;

/**
 * Learning-rate schedules as DJL {@link Tracker}s, all indexed by the number of completed updates t (see
 * {@link Optimizer}), and the parser for the CLI's {@code --schedule}:
 * <table>
 *   <caption>schedule specs</caption>
 *   <tr><td>{@code constant}</td><td>α_t = α₀</td></tr>
 *   <tr><td>{@code step:EVERY:FACTOR}</td><td>α_t = α₀ · FACTOR^⌊t / EVERY⌋</td></tr>
 *   <tr><td>{@code cosine:TOTAL[:FINAL_LR]}</td><td>α_t = α_f + (α₀ − α_f)(1 + cos(π t / TOTAL)) / 2 for
 *       t ≤ TOTAL, then α_f (Loshchilov &amp; Hutter 2017, without restarts); α_f defaults to 0</td></tr>
 *   <tr><td>{@code exp:T0:TAU}</td><td>α₀ until T0, then α₀ e^{−(t − T0)/TAU}
 *       ({@link LateExponentialDecayTracker})</td></tr>
 *   <tr><td>{@code warmup:STEPS:SPEC}</td><td>α_t = (t / STEPS) · inner(0) for t &lt; STEPS, then
 *       inner(t − STEPS): DJL's linear warm-up, which starts the inner schedule's clock when warm-up ends</td></tr>
 * </table>
 * Every tracker made here remembers a canonical spec, which {@link #describe} returns for a run's config.json.
 */
public final class Schedules {
    private static final String GRAMMAR =
            "expected constant, step:EVERY:FACTOR, cosine:TOTAL[:FINAL_LR], exp:T0:TAU or warmup:STEPS:SPEC";

    private Schedules() {
    }

    /**
     * α_t = α₀.
     *
     * @param baseLr α₀
     * @return the tracker
     */
    public static Tracker constant(double baseLr) {
        checkBase(baseLr);
        return new Named("constant", Tracker.fixed((float) baseLr));
    }

    /**
     * α_t = α₀ · factor^⌊t / every⌋.
     *
     * @param baseLr α₀
     * @param every updates between steps
     * @param factor the multiplier per step
     * @return the tracker
     */
    public static Tracker stepDecay(double baseLr, int every, double factor) {
        StepDecayTracker t = new StepDecayTracker(baseLr, every, factor);
        return new Named(t.toString(), t);
    }

    /**
     * Cosine from α₀ down to {@code finalLr} over {@code totalUpdates}, then flat; needs α₀ &gt; finalLr ≥ 0.
     *
     * @param baseLr α₀
     * @param totalUpdates updates to reach the final rate
     * @param finalLr α_f
     * @return the tracker
     */
    public static Tracker cosine(double baseLr, int totalUpdates, double finalLr) {
        checkBase(baseLr);
        if (totalUpdates < 1) {
            throw new IllegalArgumentException("cosine schedule needs TOTAL >= 1 updates, got " + totalUpdates);
        }
        if (!(finalLr >= 0 && finalLr < baseLr)) {
            throw new IllegalArgumentException("cosine schedule needs 0 <= FINAL_LR < learning rate " + baseLr
                    + ", got " + finalLr);
        }
        // DJL's builder defaults the final value to 0.01, which is above Adam's usual rate: always set it.
        Tracker t = CosineTracker.builder().setBaseValue((float) baseLr).optFinalValue((float) finalLr)
                .setMaxUpdates(totalUpdates).build();
        return new Named("cosine:" + totalUpdates + ":" + finalLr, t);
    }

    /**
     * α₀ until update t₀, then α₀ e^{−(t − t₀)/τ}.
     *
     * @param baseLr α₀
     * @param t0 the update where the decay starts
     * @param tau the time constant
     * @return the tracker
     */
    public static Tracker lateExponential(double baseLr, long t0, double tau) {
        LateExponentialDecayTracker t = new LateExponentialDecayTracker(baseLr, t0, tau);
        return new Named(t.toString(), t);
    }

    /**
     * Linear warm-up from 0 to {@code inner.getNewValue(0)} over {@code steps} updates, then {@code inner}.
     *
     * @param steps warm-up updates
     * @param inner the schedule after warm-up
     * @return the tracker
     */
    public static Tracker warmUp(int steps, Tracker inner) {
        if (steps < 1) {
            throw new IllegalArgumentException("warm-up needs STEPS >= 1, got " + steps);
        }
        Tracker t = WarmUpTracker.builder().setMainTracker(inner).optWarmUpSteps(steps)
                .optWarmUpMode(WarmUpTracker.Mode.LINEAR).build();
        return new Named("warmup:" + steps + ":" + describe(inner), t);
    }

    /**
     * Parses a {@code --schedule} spec (grammar in the class comment) for base rate {@code baseLr}.
     *
     * @param spec the spec
     * @param baseLr α₀
     * @return the tracker
     * @throws InvalidInputException with a one-line message if the spec or a value in it is bad
     */
    public static Tracker parse(String spec, double baseLr) {
        if (spec == null || spec.isBlank()) {
            throw new InvalidInputException("empty schedule: " + GRAMMAR);
        }
        String s = spec.trim().toLowerCase(Locale.ROOT);
        try {
            return parseTrimmed(s, baseLr);
        } catch (IllegalArgumentException e) {
            // The factories reject bad values with IllegalArgumentException; the user sees them as bad input.
            throw new InvalidInputException("bad schedule '" + spec.trim() + "': " + e.getMessage() + " ("
                    + GRAMMAR + ")", e);
        }
    }

    private static Tracker parseTrimmed(String s, double baseLr) {
        String kind = s.contains(":") ? s.substring(0, s.indexOf(':')) : s;
        switch (kind) {
            case "constant" -> {
                arity(s, 1, 1);
                return constant(baseLr);
            }
            case "step" -> {
                String[] f = arity(s, 3, 3);
                return stepDecay(baseLr, parseInt(f[1], "EVERY"), parseDouble(f[2], "FACTOR"));
            }
            case "cosine" -> {
                String[] f = arity(s, 2, 3);
                double fin = f.length == 3 ? parseDouble(f[2], "FINAL_LR") : 0.0;
                return cosine(baseLr, parseInt(f[1], "TOTAL"), fin);
            }
            case "exp" -> {
                String[] f = arity(s, 3, 3);
                return lateExponential(baseLr, parseLong(f[1], "T0"), parseDouble(f[2], "TAU"));
            }
            case "warmup" -> {
                String[] f = s.split(":", 3);
                if (f.length < 3 || f[2].isEmpty()) {
                    throw new IllegalArgumentException("warmup needs STEPS and an inner schedule");
                }
                int steps = parseInt(f[1], "STEPS");
                return warmUp(steps, parseTrimmed(f[2], baseLr));
            }
            default -> throw new IllegalArgumentException("unknown kind '" + kind + "'");
        }
    }

    /**
     * A tracker in words: the canonical spec of one made here (e.g. {@code warmup:100:cosine:5000:0.0}), which
     * {@link #parse} turns back into the same schedule; for any other tracker its {@code toString()} where its class
     * (or a superclass other than {@code Object}) defines one, else its class's name (a lambda's without the
     * run-dependent suffix the JVM gives it, so the description is the same in every run). config.json records this
     * for a tracker given from Java; a resume compares it.
     *
     * @param tracker the tracker
     * @return its description, one line
     */
    public static String describe(Tracker tracker) {
        if (tracker instanceof Named n) {
            return n.spec;
        }
        if (tracker instanceof LateExponentialDecayTracker || tracker instanceof StepDecayTracker) {
            return tracker.toString();
        }
        try {
            if (tracker.getClass().getMethod("toString").getDeclaringClass() != Object.class) {
                return tracker.toString().replaceAll("\\s+", " ").trim();
            }
        } catch (NoSuchMethodException e) {
            // Every class has a public toString.
        }
        String name = tracker.getClass().getName();
        int lambda = name.indexOf("$$Lambda");
        return lambda >= 0 ? name.substring(0, lambda + "$$Lambda".length()) : name;
    }

    private static String[] arity(String s, int min, int max) {
        String[] f = s.split(":", -1);
        if (f.length < min || f.length > max) {
            throw new IllegalArgumentException(f[0] + " takes " + (min == max ? min - 1 : (min - 1) + " or "
                    + (max - 1)) + " values, got " + (f.length - 1));
        }
        return f;
    }

    private static int parseInt(String v, String what) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be an integer, got '" + v + "'");
        }
    }

    private static long parseLong(String v, String what) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be an integer, got '" + v + "'");
        }
    }

    private static double parseDouble(String v, String what) {
        try {
            double d = Double.parseDouble(v.trim());
            if (!Double.isFinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be a finite number, got '" + v + "'");
        }
    }

    private static void checkBase(double baseLr) {
        if (!(baseLr >= 0) || Double.isInfinite(baseLr)) {
            throw new IllegalArgumentException("learning rate must be non-negative and finite, got " + baseLr);
        }
    }

    /** A tracker that remembers the spec it was made from. */
    private static final class Named implements Tracker {
        private final String spec;
        private final Tracker delegate;

        Named(String spec, Tracker delegate) {
            this.spec = spec;
            this.delegate = delegate;
        }

        @Override
        public float getNewValue(int numUpdate) {
            return delegate.getNewValue(numUpdate);
        }

        @Override
        public String toString() {
            return spec;
        }
    }
}
