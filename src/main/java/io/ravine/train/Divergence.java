package io.ravine.train;

import java.util.Locale;

/**
 * Why and where a run stopped early (the lectures' "instability": the cost shoots up; workaround: decrease α). Two
 * kinds:
 * <ul>
 *   <li>a quantity became NaN or infinite: the training loss or the gradient of a step (the backend's guard refused
 *       that update), or θ itself (found before a checkpoint);</li>
 *   <li>a <b>finite blow-up</b>: at a logged step the monitoring loss (the loss on the fixed monitoring subset) rose
 *       above {@link #BLOW_UP_FACTOR} × its value at θ₀, see {@link #check}.</li>
 * </ul>
 *
 * @param step the update at which it happened: the update the backend's guard refused (θ keeps the value of the
 *     step before), the logged step at which θ was found non-finite, or the logged step whose monitoring loss blew
 *     up (that step's update was applied)
 * @param quantity what was not finite or blew up: "the training loss", "the gradient", "θ" or
 *     {@value #MONITORING_LOSS}
 * @param value the monitoring loss that blew up (NaN for the other kind)
 * @param startValue the monitoring loss at θ₀ it is measured against (NaN for the other kind)
 */
public record Divergence(long step, String quantity, double value, double startValue) {
    /** The lectures' workaround for instability. */
    public static final String WORKAROUND = "decrease α (the learning rate)";

    /** The quantity of a finite blow-up. */
    public static final String MONITORING_LOSS = "the monitoring loss";

    /**
     * k of the blow-up rule: a monitoring loss above k × its value at θ₀ stops the run. From the lectures'
     * regimes of gradient descent on a quadratic, where each eigen-direction's error is multiplied by (1 − αλ) per
     * step: for αλ ≤ 2 (decay and oscillation) |1 − αλ| ≤ 1, so the loss never rises above its starting value at
     * all; for αλ &gt; 2 the excess loss grows by (1 − αλ)² &gt; 1 per step, geometrically, so any k is crossed,
     * and k only delays the stop by ln k / (2 ln |1 − αλ|) steps: 24 steps at αλ = 2.1 (float32 overflows hundreds of
     * steps later), 3 at αλ = 4. The margin of k above 1 is for what the quadratic picture leaves out:
     * mini-batch noise and a network's non-convex early steps, and momentum, whose iteration is not normal: heavy
     * ball with μ = 0.9 at 99% of its stable limit 2(1 + μ)/λ rises transiently to 49 × its starting loss (92 ×
     * with μ = 0.99) and still converges. k = 100 lets all of those pass.
     */
    public static final double BLOW_UP_FACTOR = 100;

    /**
     * A divergence where a quantity became NaN/Inf.
     *
     * @param step the update where it happened
     * @param quantity what became NaN/Inf
     */
    public Divergence(long step, String quantity) {
        this(step, quantity, Double.NaN, Double.NaN);
    }

    /**
     * The blow-up rule, applied at a logged step: the monitoring loss {@code loss} there against its value at θ₀,
     * {@code start}. A divergence when {@code loss} is not finite or above {@link #BLOW_UP_FACTOR} × {@code start};
     * null otherwise, and always null when {@code start} is not a finite positive number (a run that starts at a
     * loss of 0, or at a non-finite one, has no scale to measure a rise against; the guard still catches NaN/Inf).
     *
     * @param step the logged step
     * @param loss the monitoring loss there
     * @param start the monitoring loss at θ₀
     * @return the divergence, or null
     */
    public static Divergence check(long step, double loss, double start) {
        if (!(start > 0) || !Double.isFinite(start)) {
            return null;
        }
        if (Double.isFinite(loss) && loss <= BLOW_UP_FACTOR * start) {
            return null;
        }
        return new Divergence(step, MONITORING_LOSS, loss, start);
    }

    /**
     * True for a finite blow-up (or a monitoring loss that overflowed) caught by {@link #check}.
     *
     * @return whether the loss blew up (finite)
     */
    public boolean blowUp() {
        return quantity.equals(MONITORING_LOSS);
    }

    /**
     * The evidence in words, as the curve doctor words it.
     *
     * @return the evidence, one line
     */
    public String evidence() {
        if (blowUp()) {
            String reached = Double.isFinite(value) ? String.format(Locale.ROOT, "rose to %.4g", value)
                    : "became " + (Double.isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf");
            return String.format(Locale.ROOT, "%s %s at step %d, more than %.0f × its value %.4g at step 0"
                    + " (a blow-up: beyond the stable rate 2/λ_max each step multiplies it)", quantity, reached, step,
                    BLOW_UP_FACTOR, startValue);
        }
        String applied = quantity.equals("θ") ? "" : "; that update was not applied";
        return String.format(Locale.ROOT, "%s became NaN/Inf at step %d%s", quantity, step, applied);
    }
}
