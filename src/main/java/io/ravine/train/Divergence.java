package io.ravine.train;

import java.util.Locale;

/**
 * Why and where a run stopped early: a quantity that became NaN or infinite (the lectures' "instability": the cost
 * shoots up to infinity; workaround: decrease α).
 *
 * @param step the update at which it happened: the update the backend's guard refused (θ keeps the value of the
 *     step before), or the logged step at which θ itself was found non-finite
 * @param quantity what was not finite: "the training loss", "the gradient" or "θ"
 */
public record Divergence(long step, String quantity) {
    /** The lectures' workaround for instability. */
    public static final String WORKAROUND = "decrease α (the learning rate)";

    /** The evidence in words, as the curve doctor words it. */
    public String evidence() {
        String applied = quantity.equals("θ") ? "" : "; that update was not applied";
        return String.format(Locale.ROOT, "%s became NaN/Inf at step %d%s", quantity, step, applied);
    }
}
