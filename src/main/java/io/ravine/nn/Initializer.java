package io.ravine.nn;

import io.ravine.InvalidSettingException;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * How a dense layer's weights start (the {@code init} setting: {@code xavier}, {@code he}, {@code zeros},
 * {@code uniform:S}, {@code normal:S}). The scale matters (lectures: dead and saturated units; Xavier init keeps
 * activations in the middle of their range), and a random start matters (a constant start keeps hidden units
 * symmetric forever).
 *
 * @param kind the distribution
 * @param scale its scale (uniform and normal; 1 for Xavier and He, whose scale follows the fan-in and fan-out)
 */
public record Initializer(Kind kind, double scale) {
    /**
     * Largest scale of {@code uniform:S} and {@code normal:S}: weights of that size saturate every tanh and logistic
     * unit (flat to float32 precision beyond ±17) and put ReLU outputs in the hundreds per layer, so nothing trains
     * from there; far above it the values are not even float32.
     */
    public static final double MAX_SCALE = 100;

    /** The distribution the weights are drawn from. */
    public enum Kind {
        /** All weights 0: every hidden unit stays identical to its neighbours (the lectures' symmetry problem). */
        ZEROS,
        /** U(−scale, scale). */
        UNIFORM,
        /** N(0, scale²). */
        NORMAL,
        /** Glorot &amp; Bengio 2010: U(−a, a), a = √(6 / (fan_in + fan_out)). */
        XAVIER,
        /** He et al. 2015, for ReLU: N(0, 2 / fan_in). */
        HE
    }

    /**
     * Glorot &amp; Bengio's uniform initializer.
     *
     * @return the initializer
     */
    public static Initializer xavier() {
        return new Initializer(Kind.XAVIER, 1.0);
    }

    /**
     * He et al.'s normal initializer, for ReLU.
     *
     * @return the initializer
     */
    public static Initializer he() {
        return new Initializer(Kind.HE, 1.0);
    }

    /**
     * All weights 0.
     *
     * @return the initializer
     */
    public static Initializer zeros() {
        return new Initializer(Kind.ZEROS, 0.0);
    }

    /**
     * U(−scale, scale).
     *
     * @param scale the half-width
     * @return the initializer
     */
    public static Initializer uniform(double scale) {
        return new Initializer(Kind.UNIFORM, scale);
    }

    /**
     * N(0, scale²).
     *
     * @param scale the standard deviation
     * @return the initializer
     */
    public static Initializer normal(double scale) {
        return new Initializer(Kind.NORMAL, scale);
    }

    /**
     * Fills {@code w} ([fanOut × fanIn] values) from {@code rng}.
     *
     * @param w the array holding the weight
     * @param offset the weight's first element in {@code w}
     * @param fanIn the layer's inputs
     * @param fanOut the layer's outputs
     * @param rng the seeded stream, advanced
     */
    public void fill(float[] w, int offset, int fanIn, int fanOut, SplittableRandom rng) {
        int n = fanIn * fanOut;
        switch (kind) {
            case ZEROS -> java.util.Arrays.fill(w, offset, offset + n, 0f);
            case UNIFORM -> uniformFill(w, offset, n, scale, rng);
            case XAVIER -> uniformFill(w, offset, n, Math.sqrt(6.0 / (fanIn + fanOut)), rng);
            case NORMAL -> normalFill(w, offset, n, scale, rng);
            case HE -> normalFill(w, offset, n, Math.sqrt(2.0 / fanIn), rng);
        }
    }

    private static void uniformFill(float[] w, int offset, int n, double a, SplittableRandom rng) {
        for (int i = 0; i < n; i++) {
            w[offset + i] = (float) ((2 * rng.nextDouble() - 1) * a);
        }
    }

    private static void normalFill(float[] w, int offset, int n, double sd, SplittableRandom rng) {
        // Box–Muller from the seeded stream: java.util.Random's nextGaussian would bring its own hidden state.
        for (int i = 0; i < n; i += 2) {
            double u1 = 1.0 - rng.nextDouble();
            double u2 = rng.nextDouble();
            double r = Math.sqrt(-2 * Math.log(u1));
            w[offset + i] = (float) (sd * r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) {
                w[offset + i + 1] = (float) (sd * r * Math.sin(2 * Math.PI * u2));
            }
        }
    }

    /**
     * The spec form: {@code xavier}, {@code he}, {@code zeros}, {@code uniform:0.05}, {@code normal:0.01}.
     *
     * @return the spec, which {@link #parse} reads back
     */
    public String spec() {
        return switch (kind) {
            case XAVIER, HE, ZEROS -> kind.name().toLowerCase(Locale.ROOT);
            case UNIFORM, NORMAL -> kind.name().toLowerCase(Locale.ROOT) + ":" + scale;
        };
    }

    /**
     * The initializer a spec names (also {@code glorot}, {@code kaiming}, {@code zero}, {@code gaussian:S}).
     *
     * @param spec the spec
     * @return the initializer
     * @throws io.ravine.InvalidSettingException naming the {@code init} setting, for an unknown spec or a scale that
     *     is not a number in (0, {@value #MAX_SCALE}]
     */
    public static Initializer parse(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        String[] parts = s.split(":", -1);
        try {
            return switch (parts[0]) {
                case "xavier", "glorot" -> xavier();
                case "he", "kaiming" -> he();
                case "zeros", "zero" -> zeros();
                case "uniform" -> uniform(positiveScale(parts, spec));
                case "normal", "gaussian" -> normal(positiveScale(parts, spec));
                default -> throw InvalidSettingException.of("unknown ", InvalidSettingException.setting("init"),
                        " '" + spec + "' (expected xavier, he, zeros, uniform:SCALE or normal:SCALE)");
            };
        } catch (NumberFormatException e) {
            throw new InvalidSettingException("init", " '" + spec + "': scale is not a number");
        }
    }

    private static double positiveScale(String[] parts, String spec) {
        if (parts.length != 2) {
            throw new InvalidSettingException("init", " '" + spec + "' needs a scale, e.g. " + parts[0] + ":0.01");
        }
        double v = Double.parseDouble(parts[1]);
        if (!(v > 0 && v <= MAX_SCALE)) {
            throw new InvalidSettingException("init", " '" + spec + "': the scale S must be a positive number of at"
                    + " most " + (int) MAX_SCALE + ", got " + parts[1].trim());
        }
        return v;
    }
}
