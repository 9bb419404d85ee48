package io.ravine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.training.tracker.Tracker;
import io.ravine.InvalidInputException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SchedulesTest {
    /** Trackers return float: compare to float precision relative to the base rate. */
    private static final double TOL = 1e-7;

    static Stream<Arguments> values() {
        double e = Math.E;
        return Stream.of(
                // spec, base lr, numUpdate, expected
                Arguments.of("constant", 0.1, 0, 0.1),
                Arguments.of("constant", 0.1, 1_000_000, 0.1),
                // α₀ · 0.5^⌊t/10⌋
                Arguments.of("step:10:0.5", 0.1, 0, 0.1),
                Arguments.of("step:10:0.5", 0.1, 9, 0.1),
                Arguments.of("step:10:0.5", 0.1, 10, 0.05),
                Arguments.of("step:10:0.5", 0.1, 25, 0.025),
                // ½(1 + cos(πt/100)) from 1 to 0
                Arguments.of("cosine:100", 1.0, 0, 1.0),
                Arguments.of("cosine:100", 1.0, 25, 0.5 * (1 + Math.cos(Math.PI / 4))),
                Arguments.of("cosine:100", 1.0, 50, 0.5),
                Arguments.of("cosine:100", 1.0, 100, 0.0),
                Arguments.of("cosine:100", 1.0, 500, 0.0),
                // from 1 to 0.2: 0.2 + 0.8 · ½(1 + cos(π/2))
                Arguments.of("cosine:100:0.2", 1.0, 50, 0.6),
                Arguments.of("cosine:100:0.2", 1.0, 300, 0.2),
                // flat until t₀ = 100, then e^{−(t−100)/50}
                Arguments.of("exp:100:50", 0.1, 0, 0.1),
                Arguments.of("exp:100:50", 0.1, 99, 0.1),
                Arguments.of("exp:100:50", 0.1, 100, 0.1),
                Arguments.of("exp:100:50", 0.1, 150, 0.1 / e),
                Arguments.of("exp:100:50", 0.1, 200, 0.1 / (e * e)),
                // linear ramp t/10 · inner(0), then the inner schedule from its own t = 0
                Arguments.of("warmup:10:constant", 0.1, 0, 0.0),
                Arguments.of("warmup:10:constant", 0.1, 5, 0.05),
                Arguments.of("warmup:10:constant", 0.1, 9, 0.09),
                Arguments.of("warmup:10:constant", 0.1, 10, 0.1),
                Arguments.of("warmup:10:exp:5:10", 0.1, 14, 0.1),
                Arguments.of("warmup:10:exp:5:10", 0.1, 25, 0.1 / e),
                Arguments.of("warmup:4:cosine:8", 1.0, 2, 0.5),
                Arguments.of("warmup:4:cosine:8", 1.0, 8, 0.5),
                Arguments.of("  Warmup:4:Cosine:8 ", 1.0, 12, 0.0));
    }

    @ParameterizedTest(name = "{0} at t={2}")
    @MethodSource("values")
    void valueAtStep(String spec, double base, int t, double expected) {
        assertEquals(expected, Schedules.parse(spec, base).getNewValue(t), TOL * base, spec + " at " + t);
    }

    @Test
    void lateExponentialDecayInDouble() {
        LateExponentialDecayTracker t = new LateExponentialDecayTracker(0.5, 1000, 200);
        assertEquals(0.5, t.value(999), 0.0);
        assertEquals(0.5, t.value(1000), 0.0);
        assertEquals(0.5 * Math.exp(-1), t.value(1200), 1e-16);
        assertEquals(0.5 * Math.exp(-10), t.value(3000), 1e-18);
        assertThrows(IllegalArgumentException.class, () -> new LateExponentialDecayTracker(0.5, -1, 200));
        assertThrows(IllegalArgumentException.class, () -> new LateExponentialDecayTracker(0.5, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new LateExponentialDecayTracker(-0.5, 0, 1));
    }

    @Test
    void stepDecayIsPureInTheUpdateCount() {
        // DJL's MultiFactorTracker would answer 0.1·0.5 here: it advances one boundary per call.
        Tracker t = Schedules.stepDecay(0.1, 10, 0.5);
        assertEquals(0.1 * 0.125, t.getNewValue(35), 1e-8);
        assertEquals(0.1, t.getNewValue(3), 1e-8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"constant", "step:10:0.5", "cosine:100:0.01", "exp:100:50.0",
        "warmup:10:cosine:100:0.0", "warmup:5:warmup:3:exp:7:2.5"})
    void describeGivesASpecThatParsesToTheSameSchedule(String spec) {
        Tracker a = Schedules.parse(spec, 0.1);
        String described = Schedules.describe(a);
        Tracker b = Schedules.parse(described, 0.1);
        assertEquals(described, Schedules.describe(b), "canonical form is a fixed point");
        for (int t = 0; t < 300; t += 7) {
            assertEquals(a.getNewValue(t), b.getNewValue(t), 0.0f, described + " at " + t);
        }
    }

    @Test
    void describeCanonicalForms() {
        assertEquals("cosine:100:0.0", Schedules.describe(Schedules.parse("cosine:100", 1)));
        assertEquals("warmup:10:step:5:0.5", Schedules.describe(Schedules.parse("WARMUP:10:step:5:.5", 1)));
        assertEquals("exp:100:50.0", Schedules.describe(new LateExponentialDecayTracker(1, 100, 50)));
        // Other trackers: the class name (stable across runs, so config.json can record it and a resume compare it),
        // a lambda's without the suffix the JVM numbers per run, or the tracker's own toString where it has one.
        assertEquals("ai.djl.training.tracker.FactorTracker",
                Schedules.describe(Tracker.factor().setBaseValue(1).setFactor(0.5f).build()));
        Tracker lambda = t -> 0.1f;
        assertEquals(SchedulesTest.class.getName() + "$$Lambda", Schedules.describe(lambda));
        Tracker described = new Tracker() {
            @Override
            public float getNewValue(int numUpdate) {
                return 0.1f;
            }

            @Override
            public String toString() {
                return "halving every\n100 updates";
            }
        };
        assertEquals("halving every 100 updates", Schedules.describe(described));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "linear", "constant:3", "step", "step:10", "step:x:0.5", "step:0:0.5",
        "step:10:2", "step:10:0", "step:10:0.5:1", "cosine", "cosine:0", "cosine:100:0.5", "cosine:100:-1",
        "cosine:1e3", "exp:10", "exp:10:0", "exp:-1:10", "exp:10:NaN", "warmup", "warmup:10", "warmup:10:",
        "warmup:0:constant", "warmup:5:bogus", "warmup:x:constant"})
    void badSpecsGiveOneLine(String spec) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Schedules.parse(spec, 0.1));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains("schedule"), e.getMessage());
    }

    @Test
    void badBaseRateIsBadInput() {
        assertThrows(InvalidInputException.class, () -> Schedules.parse("constant", -1));
        assertThrows(InvalidInputException.class, () -> Schedules.parse("cosine:10", 0));
    }
}
