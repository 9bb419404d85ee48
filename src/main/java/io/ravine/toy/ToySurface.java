package io.ravine.toy;

import io.ravine.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A cost J(x, y) with its gradient and Hessian in closed form. */
public sealed interface ToySurface permits ToySurface.Quadratic, ToySurface.Rosenbrock, ToySurface.Saddle,
        ToySurface.MultiMinima, ToySurface.Plateau, ToySurface.Plane {

    /** The names {@code --problem} takes for a surface (the early-decay experiment is not one: see {@link EarlyDecay}). */
    List<String> NAMES = List.of("quadratic", "rosenbrock", "saddle", "multiminima", "plateau", "plane");

    /** The name {@code --problem} takes. */
    String name();

    double value(double x, double y);

    double[] gradient(double x, double y);

    /** The Hessian [[∂²J/∂x², ∂²J/∂x∂y], [∂²J/∂y∂x, ∂²J/∂y²]]. */
    double[][] hessian(double x, double y);

    /** The (global) minimiser, or null where there is none (the saddle and the plane are unbounded below). */
    double[] minimizer();

    /** A local minimum, known in closed form, and whether it is a global one. */
    record Minimum(double x, double y, double value, boolean global) {
        /** "(x, y)" with six significant digits. */
        public String where() {
            return "(" + ToyRun.shortNumber(x) + ", " + ToyRun.shortNumber(y) + ")";
        }
    }

    /** Every local minimum (empty where there is none); by default the one {@link #minimizer()} names. */
    default List<Minimum> minima() {
        double[] m = minimizer();
        return m == null ? List.of() : List.of(new Minimum(m[0], m[1], value(m[0], m[1]), true));
    }

    /** Where a run starts when no {@code --start} is given. */
    double[] defaultStart();

    /** The region the contour plot shows at least: {xmin, xmax, ymin, ymax}. */
    double[] plotBox();

    /** A short description with the parameters, for titles and toy.json. */
    String describe();

    /**
     * J = ½ (λ₁x² + λ₂y²): the axes are the Hessian's eigen-directions and λ its eigenvalues, so gradient descent
     * multiplies each coordinate by (1 − αλᵢ) per step (Grosse &amp; Ba, lecture 7–8).
     */
    record Quadratic(double lambda1, double lambda2) implements ToySurface {
        public Quadratic {
            if (!(lambda1 > 0 && lambda2 > 0) || Double.isInfinite(lambda1) || Double.isInfinite(lambda2)) {
                throw new InvalidInputException("the quadratic's eigenvalues must be positive and finite, got "
                        + lambda1 + ", " + lambda2);
            }
        }

        /** λ = (1, κ): condition number κ = λ_max / λ_min. */
        public static Quadratic withConditionNumber(double kappa) {
            if (!(kappa >= 1) || Double.isInfinite(kappa)) {
                throw new InvalidInputException("--condition-number must be ≥ 1 and finite, got " + kappa);
            }
            return new Quadratic(1, kappa);
        }

        public double[] eigenvalues() {
            return new double[] {lambda1, lambda2};
        }

        @Override
        public String name() {
            return "quadratic";
        }

        @Override
        public double value(double x, double y) {
            return 0.5 * (lambda1 * x * x + lambda2 * y * y);
        }

        @Override
        public double[] gradient(double x, double y) {
            return new double[] {lambda1 * x, lambda2 * y};
        }

        @Override
        public double[][] hessian(double x, double y) {
            return new double[][] {{lambda1, 0}, {0, lambda2}};
        }

        @Override
        public double[] minimizer() {
            return new double[] {0, 0};
        }

        @Override
        public double[] defaultStart() {
            return new double[] {1, 1};
        }

        @Override
        public double[] plotBox() {
            return new double[] {-1.2, 1.2, -1.2, 1.2};
        }

        @Override
        public String describe() {
            return "½(" + fmt(lambda1) + "x² + " + fmt(lambda2) + "y²)";
        }
    }

    /** J = (a − x)² + b(y − x²)², minimum J(a, a²) = 0; a = 1, b = 100 is the lectures' ravine (Grosse Fig. 5). */
    record Rosenbrock(double a, double b) implements ToySurface {
        public static Rosenbrock classic() {
            return new Rosenbrock(1, 100);
        }

        @Override
        public String name() {
            return "rosenbrock";
        }

        @Override
        public double value(double x, double y) {
            double u = a - x;
            double v = y - x * x;
            return u * u + b * v * v;
        }

        @Override
        public double[] gradient(double x, double y) {
            double v = y - x * x;
            return new double[] {-2 * (a - x) - 4 * b * x * v, 2 * b * v};
        }

        @Override
        public double[][] hessian(double x, double y) {
            double hxx = 2 - 4 * b * (y - x * x) + 8 * b * x * x;
            double hxy = -4 * b * x;
            return new double[][] {{hxx, hxy}, {hxy, 2 * b}};
        }

        @Override
        public double[] minimizer() {
            return new double[] {a, a * a};
        }

        @Override
        public double[] defaultStart() {
            return new double[] {-1.2, 1};
        }

        @Override
        public double[] plotBox() {
            return new double[] {-2, 2, -1, 3};
        }

        @Override
        public String describe() {
            return "(" + fmt(a) + " − x)² + " + fmt(b) + "(y − x²)²";
        }
    }

    /**
     * J = ½(x² − y²): a critical point at the origin with curvature +1 along x and −1 along y. Newton's step
     * −H⁻¹∇J = −(x, y) lands on it at once; gradient descent multiplies y by (1 + α) per step and escapes
     * (Goodfellow 2015, "Newton's method's failure mode").
     */
    record Saddle() implements ToySurface {
        @Override
        public String name() {
            return "saddle";
        }

        @Override
        public double value(double x, double y) {
            return 0.5 * (x * x - y * y);
        }

        @Override
        public double[] gradient(double x, double y) {
            return new double[] {x, -y};
        }

        @Override
        public double[][] hessian(double x, double y) {
            return new double[][] {{1, 0}, {0, -1}};
        }

        @Override
        public double[] minimizer() {
            return null;
        }

        @Override
        public double[] defaultStart() {
            return new double[] {1, 0.05};
        }

        @Override
        public double[] plotBox() {
            return new double[] {-1.2, 1.2, -1.2, 1.2};
        }

        @Override
        public String describe() {
            return "½(x² − y²)";
        }
    }


    /**
     * Four minima: J = (x² − 1)² + (y² − 1)² + 4a(x − x³/3) + 4b(y − y³/3), a sum of two tilted double wells
     * (|a|, |b| &lt; 1). ∂J/∂x = 4(x² − 1)(x − a) and ∂J/∂y = 4(y² − 1)(y − b), so the critical points are exactly
     * x ∈ {−1, a, 1} × y ∈ {−1, b, 1}: minima at (±1, ±1) with J = ±8a/3 ± 8b/3 (∂²J/∂x² = 8(1 ∓ a) &gt; 0 there),
     * saddles at (±1, b) and (a, ±1), a maximum at (a, b). With a, b &gt; 0 the global minimum is (−1, −1); the
     * tilts set how much deeper each well is (Grosse §2, Figure 1: several local minima, one of them global).
     */
    record MultiMinima(double a, double b) implements ToySurface {
        public MultiMinima {
            if (!(Math.abs(a) < 1 && Math.abs(b) < 1)) {
                throw new InvalidInputException("--tilt must be two numbers a,b with |a|, |b| < 1 (beyond that a"
                        + " well disappears), got " + a + "," + b);
            }
        }

        public static MultiMinima standard() {
            return new MultiMinima(0.15, 0.3);
        }

        @Override
        public String name() {
            return "multiminima";
        }

        @Override
        public double value(double x, double y) {
            double u = x * x - 1;
            double v = y * y - 1;
            return u * u + v * v + 4 * a * (x - x * x * x / 3) + 4 * b * (y - y * y * y / 3);
        }

        @Override
        public double[] gradient(double x, double y) {
            return new double[] {4 * (x * x - 1) * (x - a), 4 * (y * y - 1) * (y - b)};
        }

        @Override
        public double[][] hessian(double x, double y) {
            return new double[][] {{4 * (3 * x * x - 2 * a * x - 1), 0}, {0, 4 * (3 * y * y - 2 * b * y - 1)}};
        }

        @Override
        public List<Minimum> minima() {
            // J(±1, ±1) = (8/3)(a·x + b·y): the global minima are those where a·x + b·y = −(|a| + |b|), exactly (the
            // products by ±1 and the sums are exact, so equal depths compare equal).
            List<Minimum> out = new ArrayList<>();
            for (double x : new double[] {-1, 1}) {
                for (double y : new double[] {-1, 1}) {
                    out.add(new Minimum(x, y, value(x, y), a * x + b * y == -(Math.abs(a) + Math.abs(b))));
                }
            }
            return out;
        }

        @Override
        public double[] minimizer() {
            return new double[] {a >= 0 ? -1 : 1, b >= 0 ? -1 : 1};
        }

        @Override
        public double[] defaultStart() {
            return new double[] {1.9, 1.6};
        }

        @Override
        public double[] plotBox() {
            return new double[] {-2, 2, -2, 2};
        }

        @Override
        public String describe() {
            return "(x² − 1)² + (y² − 1)² + 4·" + fmt(a) + "(x − x³/3) + 4·" + fmt(b) + "(y − y³/3)";
        }
    }

    /**
     * A plateau: J = P(x) + ½y², where P has slope −s (small) over the plateau x ∈ [−w, 0], then falls over an edge
     * of width E = 0.5 (curvature −K) into a bowl of curvature K = 6 with its minimum at x* = 2E + s/K, J = 0; left of
     * the plateau a wall of curvature K. P is piecewise quadratic with a continuous slope:
     * <pre>
     *   P(x) = ½K(x − x*)²                         x ≥ E
     *   P(x) = P₀ − s·x − ½K·x²                    0 ≤ x &lt; E      (P₀ = K E² + 2sE + s²/2K)
     *   P(x) = P₀ − s·x                            −w ≤ x &lt; 0     (the plateau)
     *   P(x) = P₀ + s·w − s(x + w) + ½K(x + w)²    x &lt; −w
     * </pre>
     * On the plateau the gradient is the constant (−s, y): gradient descent moves x by exactly αs per step, so it
     * spends ⌈w/(αs)⌉ steps crossing it from x = −w (Grosse §2: "gradient descent can perform very badly on
     * plateaux, because the parameters change very slowly"); the Hessian's x entry is 0 there, so Newton's step is
     * undefined.
     */
    record Plateau(double width, double slope) implements ToySurface {
        /** The edge's width E and the curvature K of the edge, the bowl and the wall. */
        public static final double EDGE = 0.5;
        public static final double CURVATURE = 6;

        public Plateau {
            if (!(width > 0) || Double.isInfinite(width) || width > 1e6) {
                throw new InvalidInputException("--plateau-width must be a positive number up to 1e6, got " + width);
            }
            if (!(slope > 0 && slope <= 1)) {
                throw new InvalidInputException("--plateau-slope must be in (0, 1] (a plateau is nearly flat), got "
                        + slope);
            }
        }

        public static Plateau standard() {
            return new Plateau(2, 0.01);
        }

        /** x* = 2E + s/K. */
        public double xStar() {
            return 2 * EDGE + slope / CURVATURE;
        }

        /** P(0) = K E² + 2sE + s²/(2K): the plateau's height at its downhill end. */
        public double plateauHeight() {
            return CURVATURE * EDGE * EDGE + 2 * slope * EDGE + slope * slope / (2 * CURVATURE);
        }

        /** Whether x lies on the plateau [−w, 0). */
        public boolean onPlateau(double x) {
            return x >= -width && x < 0;
        }

        private double p(double x) {
            double k = CURVATURE;
            if (x >= EDGE) {
                double d = x - xStar();
                return 0.5 * k * d * d;
            }
            if (x >= 0) {
                return plateauHeight() - slope * x - 0.5 * k * x * x;
            }
            if (x >= -width) {
                return plateauHeight() - slope * x;
            }
            double d = x + width;
            return plateauHeight() + slope * width - slope * d + 0.5 * k * d * d;
        }

        private double dp(double x) {
            double k = CURVATURE;
            if (x >= EDGE) {
                return k * (x - xStar());
            }
            if (x >= 0) {
                return -slope - k * x;
            }
            if (x >= -width) {
                return -slope;
            }
            return -slope + k * (x + width);
        }

        private double ddp(double x) {
            if (x >= EDGE || x < -width) {
                return CURVATURE;
            }
            return x >= 0 ? -CURVATURE : 0;
        }

        @Override
        public String name() {
            return "plateau";
        }

        @Override
        public double value(double x, double y) {
            return p(x) + 0.5 * y * y;
        }

        @Override
        public double[] gradient(double x, double y) {
            return new double[] {dp(x), y};
        }

        @Override
        public double[][] hessian(double x, double y) {
            return new double[][] {{ddp(x), 0}, {0, 1}};
        }

        @Override
        public double[] minimizer() {
            return new double[] {xStar(), 0};
        }

        @Override
        public double[] defaultStart() {
            return new double[] {-width, 1};
        }

        @Override
        public double[] plotBox() {
            return new double[] {-width - 0.5, 2 * EDGE + 0.5, -1.2, 1.2};
        }

        @Override
        public String describe() {
            return "P(x) + ½y² (plateau width " + fmt(width) + ", slope " + fmt(slope) + ")";
        }
    }

    /**
     * A tilted plane J = g₁x + g₂y: the gradient is the constant g everywhere, so there is no minimum, and momentum
     * (p ← μp − αg, θ ← θ + p) reaches the terminal velocity p∞ = −αg/(1 − μ): its speed after t steps from rest is
     * α‖g‖(1 − μᵗ)/(1 − μ) (Grosse &amp; Ba, lecture 7–8). With μ = 1 (no friction) the speed grows by α‖g‖ every
     * step and never settles.
     */
    record Plane(double gx, double gy) implements ToySurface {
        public Plane {
            if (!Double.isFinite(gx) || !Double.isFinite(gy) || gx == 0 && gy == 0) {
                throw new InvalidInputException("--gradient must be two finite numbers g₁,g₂, not both 0, got " + gx
                        + "," + gy);
            }
        }

        public static Plane standard() {
            return new Plane(1, 0.5);
        }

        /** ‖g‖. */
        public double gradientNorm() {
            return Math.hypot(gx, gy);
        }

        @Override
        public String name() {
            return "plane";
        }

        @Override
        public double value(double x, double y) {
            return gx * x + gy * y;
        }

        @Override
        public double[] gradient(double x, double y) {
            return new double[] {gx, gy};
        }

        @Override
        public double[][] hessian(double x, double y) {
            return new double[][] {{0, 0}, {0, 0}};
        }

        @Override
        public double[] minimizer() {
            return null;
        }

        @Override
        public double[] defaultStart() {
            return new double[] {0, 0};
        }

        @Override
        public double[] plotBox() {
            return new double[] {-1, 1, -1, 1};
        }

        @Override
        public String describe() {
            return fmt(gx) + "x + " + fmt(gy) + "y";
        }
    }

    /**
     * The values of the surface-specific flags, null where not given. Each belongs to one problem; giving it with
     * another is refused in one line naming the flag.
     */
    record Options(double[] eigenvalues, Double conditionNumber, double[] tilt, Double plateauWidth,
            Double plateauSlope, double[] gradient) {
        public static Options none() {
            return new Options(null, null, null, null, null, null);
        }
    }

    /** The surface {@code --problem} names (case-insensitive), with its flags. */
    static ToySurface parse(String problem, Options o) {
        String p = problem.trim().toLowerCase(Locale.ROOT);
        if (!NAMES.contains(p)) {
            throw new InvalidInputException("--problem must be " + String.join(", ", NAMES) + " or early-decay, not '"
                    + problem + "'");
        }
        only(p, "quadratic", "--eigenvalues", o.eigenvalues());
        only(p, "quadratic", "--condition-number", o.conditionNumber());
        only(p, "multiminima", "--tilt", o.tilt());
        only(p, "plateau", "--plateau-width", o.plateauWidth());
        only(p, "plateau", "--plateau-slope", o.plateauSlope());
        only(p, "plane", "--gradient", o.gradient());
        return switch (p) {
            case "quadratic" -> parse(p, o.eigenvalues(), o.conditionNumber());
            case "multiminima" -> o.tilt() == null ? MultiMinima.standard() : new MultiMinima(o.tilt()[0], o.tilt()[1]);
            case "plateau" -> new Plateau(o.plateauWidth() != null ? o.plateauWidth() : Plateau.standard().width(),
                    o.plateauSlope() != null ? o.plateauSlope() : Plateau.standard().slope());
            case "plane" -> o.gradient() == null ? Plane.standard() : new Plane(o.gradient()[0], o.gradient()[1]);
            default -> parse(p, null, null);
        };
    }

    private static void only(String problem, String owner, String flag, Object value) {
        if (value != null && !problem.equals(owner)) {
            throw new InvalidInputException(flag + " only goes with --problem " + owner + ", not with --problem "
                    + problem);
        }
    }

    /** The surface {@code --problem} names, for the three surfaces that take no flags but the quadratic's. */
    static ToySurface parse(String problem, double[] eigenvalues, Double conditionNumber) {
        return switch (problem) {
            case "quadratic" -> {
                if (eigenvalues != null && conditionNumber != null) {
                    throw new InvalidInputException("give --eigenvalues or --condition-number, not both");
                }
                if (conditionNumber != null) {
                    yield Quadratic.withConditionNumber(conditionNumber);
                }
                yield eigenvalues != null ? new Quadratic(eigenvalues[0], eigenvalues[1]) : new Quadratic(1, 10);
            }
            case "rosenbrock" -> Rosenbrock.classic();
            case "saddle" -> new Saddle();
            default -> throw new InvalidInputException("--problem must be quadratic, rosenbrock or saddle, not '"
                    + problem + "'");
        };
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : Double.toString(v);
    }
}
