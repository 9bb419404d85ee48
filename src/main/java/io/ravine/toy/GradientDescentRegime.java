package io.ravine.toy;

/**
 * What gradient descent does along one eigen-direction of a quadratic, where each step multiplies the coordinate by
 * (1 − αλ) (Grosse &amp; Ba, lecture 7–8): 0 &lt; αλ ≤ 1 decays monotonically, 1 &lt; αλ ≤ 2 oscillates (the sign
 * flips every step while the amplitude decays, or holds at αλ = 2), αλ &gt; 2 diverges.
 */
public enum GradientDescentRegime {
    MONOTONE_DECAY,
    OSCILLATION,
    DIVERGENCE;

    /** The regime the lectures predict from αλ (λ &gt; 0, α &gt; 0). */
    public static GradientDescentRegime predicted(double alphaLambda) {
        if (!(alphaLambda > 0)) {
            throw new IllegalArgumentException("αλ must be positive, got " + alphaLambda);
        }
        if (alphaLambda <= 1) {
            return MONOTONE_DECAY;
        }
        return alphaLambda <= 2 ? OSCILLATION : DIVERGENCE;
    }

    /**
     * The regime a coordinate's trajectory shows: it diverges if |x| ends above where it started (or stops being a
     * number), oscillates if it changed sign along the way, and decays monotonically otherwise. Null when the
     * coordinate starts at 0 (gradient descent never moves it, so it shows nothing).
     */
    public static GradientDescentRegime observed(double[] coordinate) {
        double start = Math.abs(coordinate[0]);
        if (start == 0) {
            return null;
        }
        double end = Math.abs(coordinate[coordinate.length - 1]);
        if (!Double.isFinite(end) || end > start) {
            return DIVERGENCE;
        }
        return signChanges(coordinate) > 0 ? OSCILLATION : MONOTONE_DECAY;
    }

    /** How many consecutive pairs have strictly opposite signs. */
    public static int signChanges(double[] coordinate) {
        int n = 0;
        for (int i = 0; i + 1 < coordinate.length; i++) {
            if (coordinate[i] * coordinate[i + 1] < 0) {
                n++;
            }
        }
        return n;
    }

    public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
