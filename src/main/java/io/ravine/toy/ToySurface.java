package io.ravine.toy;

import io.ravine.InvalidInputException;

/** A cost J(x, y) with its gradient and Hessian in closed form. */
public sealed interface ToySurface permits ToySurface.Quadratic, ToySurface.Rosenbrock, ToySurface.Saddle {

    /** The name {@code --problem} takes. */
    String name();

    double value(double x, double y);

    double[] gradient(double x, double y);

    /** The Hessian [[∂²J/∂x², ∂²J/∂x∂y], [∂²J/∂y∂x, ∂²J/∂y²]]. */
    double[][] hessian(double x, double y);

    /** The minimiser, or null where there is none (the saddle is unbounded below). */
    double[] minimizer();

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

    /** The surface {@code --problem} names. */
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
