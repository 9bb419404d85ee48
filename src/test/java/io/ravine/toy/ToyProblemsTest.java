package io.ravine.toy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The surfaces of seed 002 and 000 that the first toys lacked, each against its answer in closed form. */
class ToyProblemsTest {

    private static ToyRun.Settings settings(String optimizer, double lr, double mu, int steps, double[] start) {
        return new ToyRun.Settings(optimizer, lr, mu, steps, start, 1e-6);
    }

    /** Central differences of J against the closed-form gradient, at random points of each new surface. */
    @Test
    void gradientsAndHessiansAreTheDerivativesOfTheValues() {
        List<ToySurface> surfaces = List.of(ToySurface.MultiMinima.standard(), new ToySurface.MultiMinima(-0.4, 0.7),
                ToySurface.Plateau.standard(), new ToySurface.Plateau(1.25, 0.03), ToySurface.Plane.standard());
        SplittableRandom rng = new SplittableRandom(3);
        double h = 1e-5;
        for (ToySurface s : surfaces) {
            for (int k = 0; k < 200; k++) {
                double x = -3 + 5 * rng.nextDouble();
                double y = -2 + 4 * rng.nextDouble();
                double[] g = s.gradient(x, y);
                double gx = (s.value(x + h, y) - s.value(x - h, y)) / (2 * h);
                double gy = (s.value(x, y + h) - s.value(x, y - h)) / (2 * h);
                double scale = 1 + Math.abs(g[0]) + Math.abs(g[1]);
                assertEquals(gx, g[0], 1e-6 * scale, s.name() + " ∂J/∂x at " + x + ", " + y);
                assertEquals(gy, g[1], 1e-6 * scale, s.name() + " ∂J/∂y at " + x + ", " + y);
                double[][] hess = s.hessian(x, y);
                double hxx = (s.gradient(x + h, y)[0] - s.gradient(x - h, y)[0]) / (2 * h);
                double hyy = (s.gradient(x, y + h)[1] - s.gradient(x, y - h)[1]) / (2 * h);
                // The plateau's P is piecewise quadratic: its second derivative jumps at the joins.
                boolean nearJoin = s instanceof ToySurface.Plateau p && (Math.abs(x) < 2 * h
                        || Math.abs(x - ToySurface.Plateau.EDGE) < 2 * h || Math.abs(x + p.width()) < 2 * h);
                if (!nearJoin) {
                    assertEquals(hxx, hess[0][0], 1e-4 * (1 + Math.abs(hxx)), s.name() + " H_xx");
                    assertEquals(hyy, hess[1][1], 1e-4 * (1 + Math.abs(hyy)), s.name() + " H_yy");
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"0.15, 0.3", "-0.4, 0.7", "0, 0.5", "0, 0"})
    void multiminimaHasItsFourMinimaAtPlusMinusOne(double a, double b) {
        ToySurface.MultiMinima s = new ToySurface.MultiMinima(a, b);
        List<ToySurface.Minimum> minima = s.minima();
        assertEquals(4, minima.size());
        double lowest = (-Math.abs(a) - Math.abs(b)) * 8 / 3;
        int globals = 0;
        for (ToySurface.Minimum m : minima) {
            // ∂J/∂x = 4(x² − 1)(x − a): exactly 0 at x = ±1.
            assertEquals(0, s.gradient(m.x(), m.y())[0], 0.0);
            assertEquals(0, s.gradient(m.x(), m.y())[1], 0.0);
            double[][] hess = s.hessian(m.x(), m.y());
            assertEquals(8 * (1 - a * m.x()), hess[0][0], 1e-12);
            assertEquals(8 * (1 - b * m.y()), hess[1][1], 1e-12);
            assertTrue(hess[0][0] > 0 && hess[1][1] > 0);
            assertEquals((a * m.x() + b * m.y()) * 8 / 3, m.value(), 1e-12);
            // A minimum: nothing lower on a ring around it.
            for (int k = 0; k < 64; k++) {
                double t = 2 * Math.PI * k / 64;
                assertTrue(s.value(m.x() + 0.05 * Math.cos(t), m.y() + 0.05 * Math.sin(t)) > m.value());
            }
            assertEquals(Math.abs(m.value() - lowest) < 1e-12, m.global(), m.where());
            globals += m.global() ? 1 : 0;
        }
        assertEquals(a == 0 && b == 0 ? 4 : a == 0 || b == 0 ? 2 : 1, globals);
        assertThrows(InvalidInputException.class, () -> new ToySurface.MultiMinima(1, 0));
    }

    @Test
    void fromTheDefaultStartTheOptimizersReachDifferentMinima() {
        ToySurface.MultiMinima s = ToySurface.MultiMinima.standard();
        ToyRun.Result r = ToyRun.run(s, settings("sgd", 0.02, 0.9, 500, s.defaultStart()));
        // Plain gradient descent goes down into the nearest well, the highest of the four (J = 8(a + b)/3 = 1.2);
        // momentum's velocity carries it over both ridges (x = a, y = b) into the global minimum.
        assertEquals("converged", r.verdict());
        assertEquals(new ToySurface.Minimum(1, 1, s.value(1, 1), false), r.reached());
        assertEquals(ToyRun.ALL_OPTIMIZERS.size(), r.outcomes().size());
        ToyRun.Outcome sgd = r.outcomes().get(0);
        ToyRun.Outcome momentum = r.outcomes().get(1);
        assertEquals("sgd", sgd.optimizer());
        assertEquals(r.reached(), sgd.reached());
        assertEquals("momentum", momentum.optimizer());
        assertNotNull(momentum.reached());
        assertEquals(-1, momentum.reached().x());
        assertEquals(-1, momentum.reached().y());
        assertTrue(momentum.reached().global());
        for (ToyRun.Outcome o : r.outcomes()) {
            if (o.reached() != null) {
                double d = Math.hypot(o.finalPoint()[0] - o.reached().x(), o.finalPoint()[1] - o.reached().y());
                double d0 = Math.hypot(s.defaultStart()[0] - o.reached().x(), s.defaultStart()[1] - o.reached().y());
                assertTrue(d <= 1e-6 * d0, o.optimizer() + " ends " + d + " from " + o.reached().where());
            }
        }
        assertTrue(r.toJson().contains("\"optimizers_from_the_same_start\""));
    }

    @Test
    void gradientDescentSpendsWidthOverAlphaSlopeStepsOnThePlateau() {
        // On the plateau ∂J/∂x = −s exactly, so each step moves x by αs: from x = −w, ⌈w/(αs)⌉ steps. Widths,
        // slopes and rates chosen so that w/(αs) is not a whole number (no tie with rounding).
        double[][] cases = {{2, 0.01, 0.15, 1334}, {1.25, 0.03, 0.1, 417}, {3, 0.005, 0.07, 8572}};
        for (double[] c : cases) {
            ToySurface.Plateau p = new ToySurface.Plateau(c[0], c[1]);
            ToyRun.Result r = ToyRun.run(p, settings("sgd", c[2], 0.9, (int) c[3] + 300, p.defaultStart()));
            assertEquals((int) Math.ceil(c[0] / (c[2] * c[1])), (int) c[3]);
            assertEquals((int) c[3], r.plateau().steps(), "w = " + c[0]);
            assertEquals((int) c[3], r.plateau().predicted());
            assertEquals((int) c[3], r.plateau().leftAt());
            // y (curvature 1) settles long before x leaves the plateau: the crawl is x's alone.
            int ySettled = -1;
            double[] y = r.ys();
            for (int k = 0; k < y.length; k++) {
                if (Math.abs(y[k]) <= 1e-6) {
                    ySettled = k;
                    break;
                }
            }
            assertTrue(ySettled > 0 && ySettled < c[3] / 3, "y settled at " + ySettled);
            // The minimum is at x* = 2E + s/K, where the bowl's gradient vanishes; the run ends there.
            assertEquals(0, p.gradient(p.xStar(), 0)[0], 1e-15);
            assertEquals("converged", r.verdict());
            assertEquals(p.xStar(), r.finalPoint()[0], 1e-6 * (c[0] + p.xStar()));
        }
    }

    @ParameterizedTest
    @CsvSource({"momentum, 0.9, 143", "momentum, 0.5, 668", "nesterov, 0.9, 142"})
    void momentumCrossesThePlateauAtItsTerminalVelocity(String optimizer, double mu, int expected) {
        ToySurface.Plateau p = ToySurface.Plateau.standard();
        ToyRun.Result r = ToyRun.run(p, settings(optimizer, 0.15, mu, 1500, p.defaultStart()));
        // x_k = −w + αs/(1 − μ)·(k − c(1 − μᵏ)/(1 − μ)), c = μ (μ² for Nesterov): once μᵏ is negligible the first
        // k with x_k ≥ 0 is ⌈w(1 − μ)/(αs) + c/(1 − μ)⌉: 133.3 + 9 → 143, 666.7 + 1 → 668, 133.3 + 8.1 → 142.
        // Momentum's gain on a plateau is its terminal velocity's, 1/(1 − μ).
        double c = optimizer.equals("nesterov") ? mu * mu : mu;
        assertEquals(expected, (int) Math.ceil(2 * (1 - mu) / (0.15 * 0.01) + c / (1 - mu)));
        assertEquals(expected, r.plateau().predicted());
        assertEquals(expected, r.plateau().steps());
    }

    @Test
    void onThePlateauNewtonsStepIsUndefinedAndAdamHasNoPrediction() {
        ToySurface.Plateau p = ToySurface.Plateau.standard();
        ToyRun.Result newton = ToyRun.run(p, settings(ToyRun.NEWTON, 1, 0.9, 10, p.defaultStart()));
        assertEquals(1, newton.trajectory().length);
        assertTrue(newton.note().contains("the Hessian is singular"), newton.note());
        ToyRun.Result adam = ToyRun.run(p, settings("adam", 0.05, 0.9, 300, p.defaultStart()));
        assertNull(adam.plateau().predicted());
        assertTrue(adam.plateau().predictedStatus().startsWith("undefined: "));
        // Adam's step is ≈ α whatever the slope: it crosses in about w/α = 40 steps, not w/(αs).
        assertTrue(adam.plateau().steps() < 60, "adam: " + adam.plateau().steps());
    }

    @ParameterizedTest
    @CsvSource({"momentum, 0.9, 132", "momentum, 0.5, 20", "nesterov, 0.9, 131", "sgd, 0.9, 1"})
    void onAPlaneTheSpeedReachesAlphaGOverOneMinusMu(String optimizer, double mu, int steps) {
        ToySurface.Plane plane = new ToySurface.Plane(1, 0.5);
        double alpha = 0.01;
        ToyRun.Result r = ToyRun.run(plane, settings(optimizer, alpha, mu, 200, new double[] {0, 0}));
        ToyRun.TerminalVelocity t = r.terminal();
        double g = Math.hypot(1, 0.5);
        double m = optimizer.equals("sgd") ? 0 : mu;
        double terminal = alpha * g / (1 - m);
        assertEquals(terminal, t.predicted(), 1e-15);
        assertEquals(terminal, t.measured(), 1e-9 * terminal);
        assertTrue(t.relativeError() < 1e-9);
        // Every step's speed on the lectures' curve α‖g‖(1 − μᵗ)/(1 − μ) (Nesterov: μ^{t+1}).
        int lead = optimizer.equals("nesterov") ? 1 : 0;
        for (int k = 1; k <= t.speeds().length; k++) {
            double expected = alpha * g * (1 - Math.pow(m, k + lead)) / (1 - m);
            assertEquals(expected, t.speeds()[k - 1], 1e-9 * expected, "step " + k);
        }
        // Within tolerance 1e-6 once μᵗ ≤ 1e-6: t = ⌈ln 1e-6 / ln μ⌉ (one fewer for Nesterov).
        assertEquals(steps, t.predictedSteps());
        assertEquals(steps, t.measuredSteps());
        assertEquals("terminal_velocity", r.verdict());
        assertNull(r.stepsToTolerance());
    }

    @Test
    void withMuOneTheSpeedGrowsByAlphaGEveryStepAndNeverSettles() {
        ToySurface.Plane plane = ToySurface.Plane.standard();
        ToyRun.Result r = ToyRun.run(plane, settings("momentum", 0.01, 1, 200, new double[] {0, 0}));
        double step = 0.01 * plane.gradientNorm();
        double[] speeds = r.terminal().speeds();
        for (int k = 1; k <= speeds.length; k++) {
            assertEquals(step * k, speeds[k - 1], 1e-9 * step * k);
        }
        assertEquals(step, r.terminal().growth(), 1e-9 * step);
        assertNull(r.terminal().predicted());
        assertEquals("not_settled", r.verdict());
        assertTrue(r.note().contains("ravine train refuses --momentum ≥ 1"), r.note());
        // Anywhere else μ = 1 is refused, as train refuses it, before anything runs.
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ToyRun.run(
                new ToySurface.Quadratic(1, 10), settings("momentum", 0.1, 1, 10, new double[] {1, 1})));
        assertTrue(e.getMessage().startsWith("--momentum 1"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> settings("momentum", 0.1, 1.01, 10, new double[] {1, 1}));
    }

    /** The μ = 1 path writes the update out; at μ &lt; 1 it must be the Optimizer's, bit for bit. */
    @ParameterizedTest
    @CsvSource({"momentum", "nesterov"})
    void theWrittenOutHeavyBallIsTheOptimizersUpdate(String optimizer) {
        for (ToySurface s : List.of(new ToySurface.Quadratic(1, 10), ToySurface.Plane.standard(),
                ToySurface.MultiMinima.standard())) {
            ToyRun.Settings st = settings(optimizer, 0.02, 0.9, 100, s.defaultStart());
            ToyRun.Result viaOptimizer = ToyRun.runOne(s, st);
            List<double[]> path = new ArrayList<>();
            path.add(st.start().clone());
            ToyRun.heavyBall(s, st, path);
            assertEquals(viaOptimizer.trajectory().length, path.size());
            for (int k = 0; k < path.size(); k++) {
                assertArrayEquals(viaOptimizer.trajectory()[k], path.get(k), s.name() + " step " + k);
            }
        }
    }

    @Test
    void surfaceFlagsBelongToTheirProblem() {
        ToySurface.Options tilt = new ToySurface.Options(null, null, new double[] {0.1, 0.1}, null, null, null);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ToySurface.parse("quadratic",
                tilt));
        assertEquals("--tilt only goes with --problem multiminima, not with --problem quadratic", e.getMessage());
        assertEquals("multiminima", ToySurface.parse("MultiMinima", tilt).name());
        assertThrows(InvalidInputException.class, () -> ToySurface.parse("plane", new ToySurface.Options(null, null,
                null, 2.0, null, null)));
        assertThrows(InvalidInputException.class, () -> new ToySurface.Plane(0, 0));
        assertThrows(InvalidInputException.class, () -> new ToySurface.Plateau(2, 0));
        assertFalse(ToySurface.NAMES.contains(EarlyDecay.NAME));
    }
}
