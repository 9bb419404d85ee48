package io.ravine.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/**
 * Numbers rounded for humans, on chart axes and in chart titles and legends: "256" not "256.0", "0.25" not
 * "0.25000000001", "1e-04"-style exponents only outside [0.001, 10^6).
 */
public final class TickFormat {
    private TickFormat() {
    }

    /** {@code v} to at most {@code digits} significant digits, trailing zeros dropped. */
    public static String human(double v, int digits) {
        double a = Math.abs(v);
        return human(v, digits, a >= 1e-3 && a < 1e6);
    }

    /**
     * {@code v} to at most {@code digits} significant digits, trailing zeros dropped, written plain (0.0002,
     * 1500000) or with an exponent (2e-04, 1.5e+06) as {@code plain} says: one notation for every tick of an axis
     * ({@link #plain(double, double)}).
     */
    static String human(double v, int digits, boolean plain) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        if (v == 0) {
            return "0";
        }
        BigDecimal d = new BigDecimal(v).round(new MathContext(digits)).stripTrailingZeros();
        if (!plain) {
            // 1e-04, 2.5e+06: the mantissa rounded, then trailing zeros dropped.
            String s = String.format(Locale.ROOT, "%." + (digits - 1) + "e", d.doubleValue());
            int e = s.indexOf('e');
            String mantissa = s.substring(0, e);
            if (mantissa.contains(".")) {
                mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
            }
            return mantissa + s.substring(e);
        }
        return d.toPlainString();
    }

    /**
     * Whether the ticks of an axis over [lo, hi] are written plain: where its largest magnitude lies in [0.001,
     * 10^6), so that 0.0002 stands beside 0.0012 and not 2e-04 (an axis in one notation); else all with an exponent.
     */
    static boolean plain(double lo, double hi) {
        double a = Math.max(Math.abs(lo), Math.abs(hi));
        return a >= 1e-3 && a < 1e6;
    }

    /** A tick label formatter for a linear axis over [lo, hi]: {@link #human(double, int, boolean)}, one notation. */
    static java.util.function.Function<Double, String> axis(double lo, double hi) {
        boolean plain = plain(lo, hi);
        return v -> human(v, 6, plain);
    }

    /** {@link #human(double, int)} with 6 significant digits: tick values (round already) lose only float noise. */
    public static String human(double v) {
        return human(v, 6);
    }

    /**
     * 10^t for a tick at t on a log10-transformed axis spanning {@code span} (in log10 units): the fewest
     * significant digits (1 to 4) within 0.5% of the axis' span of the exact value, so that a label stands within a
     * pixel or two of its place (10^0.7 = 5.012 prints as "5" on an axis across a decade); but a value with an exact
     * form of at most 4 digits (a tick at the batch size 128) prints as that.
     */
    static String power(double t, double span) {
        return power(t, span, null);
    }

    /** {@link #power(double, double)} in the notation {@code plain} says (null: each value's own). */
    static String power(double t, double span, Boolean plain) {
        double tolerance = Math.pow(10, Math.max(span, 1e-6) / 200) - 1;
        double v = Math.pow(10, t);
        double r = Math.rint(t);
        if (Math.abs(t - r) < 1e-9) {
            v = Math.pow(10, r);
        }
        boolean p = plain != null ? plain : v >= 1e-3 && v < 1e6;
        // A tick at a data value with a short exact form (a batch size, 128) says so, not "130".
        for (int digits = 1; digits <= 4; digits++) {
            String s = human(v, digits, p);
            if (Math.abs(Double.parseDouble(s) - v) <= 1e-9 * v) {
                return s;
            }
        }
        for (int digits = 1; digits < 4; digits++) {
            String s = human(v, digits, p);
            if (Math.abs(Double.parseDouble(s) - v) <= tolerance * v) {
                return s;
            }
        }
        return human(v, 4, p);
    }
}
