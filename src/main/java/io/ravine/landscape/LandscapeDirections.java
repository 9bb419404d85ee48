package io.ravine.landscape;

import io.ravine.InvalidInputException;
import io.ravine.nn.Mlp;
import java.util.List;
import java.util.SplittableRandom;

/** The directions that span a loss-surface plane, and the projection of points onto it. */
public final class LandscapeDirections {
    private LandscapeDirections() {
    }

    /**
     * A filter-normalised random direction (Li et al. 2018, §4): Gaussian entries, then each row of each weight
     * matrix (one unit's incoming weights, the "filter" of a dense layer) rescaled to the norm of the same row of
     * θ, so that a step of 1 along it changes every unit by as much as that unit's weights are large: a
     * scale-invariant picture that compares across networks. Bias entries are 0, as in Li et al., who leave biases
     * (and batch-norm parameters) out of the direction.
     */
    public static double[] filterNormalized(Mlp mlp, float[] theta, SplittableRandom rng) {
        double[] d = new double[mlp.parameterCount()];
        for (int k = 0; k < mlp.layerCount(); k++) {
            int in = mlp.fanIn(k);
            for (int r = 0; r < mlp.fanOut(k); r++) {
                int off = mlp.weightOffset(k) + r * in;
                double dn = 0;
                double tn = 0;
                for (int i = 0; i < in; i++) {
                    d[off + i] = rng.nextGaussian();
                    dn += d[off + i] * d[off + i];
                    tn += (double) theta[off + i] * theta[off + i];
                }
                double s = dn > 0 ? Math.sqrt(tn / dn) : 0;
                for (int i = 0; i < in; i++) {
                    d[off + i] *= s;
                }
            }
        }
        return d;
    }

    /** The top two principal directions of a trajectory about its end point, and their shares of the variance. */
    public record Principal(double[] first, double[] second, double[] explainedVariance) {
    }

    /**
     * PCA of the displacements m_t = θ_t − θ_end of the saved checkpoints (uncentred, so the directions are those
     * of the path's displacement from where it ended). With T ≪ P checkpoints the T × T Gram matrix G = M Mᵀ has
     * the same non-zero eigenvalues as MᵀM; its eigenvectors u give the directions v = Mᵀu / ‖Mᵀu‖ (the "snapshot"
     * method). G's eigenvectors come from cyclic Jacobi rotations, exact for the few checkpoints a run keeps.
     *
     * @throws InvalidInputException if fewer than two checkpoints differ from the end point
     */
    public static Principal principal(List<float[]> trajectory, float[] end) {
        int p = end.length;
        List<double[]> m = new java.util.ArrayList<>();
        for (float[] t : trajectory) {
            double[] row = new double[p];
            double sq = 0;
            for (int i = 0; i < p; i++) {
                row[i] = (double) t[i] - end[i];
                sq += row[i] * row[i];
            }
            if (sq > 0) {
                m.add(row);
            }
        }
        if (m.size() < 2) {
            throw new InvalidInputException("the pca plane needs at least two checkpoints that differ from the end"
                    + " point, found " + m.size() + " of " + trajectory.size() + " (train with --save-initial and"
                    + " --checkpoint-every N)");
        }
        int n = m.size();
        double[][] g = new double[n][n];
        for (int a = 0; a < n; a++) {
            for (int b = a; b < n; b++) {
                g[a][b] = g[b][a] = dot(m.get(a), m.get(b));
            }
        }
        double[][] vectors = jacobiEigenvectors(g);
        double[] eig = new double[n];
        for (int k = 0; k < n; k++) {
            eig[k] = g[k][k];
        }
        Integer[] order = new Integer[n];
        for (int k = 0; k < n; k++) {
            order[k] = k;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(eig[y], eig[x]));
        double trace = 0;
        for (double e : eig) {
            trace += Math.max(0, e);
        }
        double[] v1 = combine(m, vectors, order[0]);
        double[] v2 = combine(m, vectors, order[1]);
        normalize(v1);
        // Orthogonalise once more against v1: the eigenvectors are orthogonal in exact arithmetic only.
        double c = dot(v1, v2);
        for (int i = 0; i < p; i++) {
            v2[i] -= c * v1[i];
        }
        normalize(v2);
        return new Principal(v1, v2, new double[] {Math.max(0, eig[order[0]]) / trace,
            Math.max(0, eig[order[1]]) / trace});
    }

    /**
     * The plane of the path (Goodfellow, Vinyals &amp; Saxe 2015; the 2015 talk's 3-D pictures with the axes
     * "θ₀→θ₁" and "Residual"), with θ₀ as its origin.
     *
     * @param first d₁ = θ₁ − θ₀: a = 1 is θ₁, and a is the line's α
     * @param second d₂ = ‖θ₁ − θ₀‖·v, v the unit direction of the path's residual (below): b in the same units as a
     * @param residualShare the share of the residuals' energy Σ‖r_t‖² along v
     * @param planeShare the share of the path's energy Σ‖θ_t − θ₀‖² that lies in the plane
     */
    public record TrajectoryPlane(double[] first, double[] second, double residualShare, double planeShare) {
    }

    /**
     * The plane spanned by θ₀→θ₁ and the residual of the path. Each checkpoint's displacement θ_t − θ₀ is split
     * into its part along u = (θ₁ − θ₀)/‖θ₁ − θ₀‖ and the residual r_t = (θ_t − θ₀) − ((θ_t − θ₀)·u)u, the
     * path's departure from the straight line; v is the residuals' first principal direction (uncentred, by the
     * Gram matrix of the residuals and Jacobi rotations as in {@link #principal}), the one direction that captures
     * most of that departure, orthogonalised against u once more. The talk draws the path against exactly these two
     * axes; taking v as the principal direction of all the residuals, rather than the residual of one checkpoint,
     * is this implementation's reading of its "Residual" axis.
     *
     * @throws InvalidInputException if θ₀ = θ₁, or no checkpoint lies off the line (the path is straight, or only
     *     its ends were saved)
     */
    public static TrajectoryPlane trajectoryPlane(List<float[]> trajectory, float[] theta0, float[] theta1) {
        int p = theta0.length;
        double[] d1 = new double[p];
        for (int i = 0; i < p; i++) {
            d1[i] = (double) theta1[i] - theta0[i];
        }
        double length = Math.sqrt(dot(d1, d1));
        if (length == 0) {
            throw new InvalidInputException("θ₀ and θ₁ are the same point: there is no direction θ₀→θ₁");
        }
        double[] u = new double[p];
        for (int i = 0; i < p; i++) {
            u[i] = d1[i] / length;
        }
        List<double[]> residuals = new java.util.ArrayList<>();
        double total = 0;
        for (float[] t : trajectory) {
            double[] r = new double[p];
            for (int i = 0; i < p; i++) {
                r[i] = (double) t[i] - theta0[i];
            }
            total += dot(r, r);
            double along = dot(r, u);
            for (int i = 0; i < p; i++) {
                r[i] -= along * u[i];
            }
            // Float32 rounding of the checkpoints leaves residuals of ~1e-7 relative on a straight path: not a path.
            if (Math.sqrt(dot(r, r)) > 1e-6 * length) {
                residuals.add(r);
            }
        }
        if (residuals.isEmpty()) {
            throw new InvalidInputException("no checkpoint lies off the line θ₀→θ₁, so the path has no residual"
                    + " direction (train with --save-initial and --checkpoint-every N)");
        }
        int n = residuals.size();
        double[][] g = new double[n][n];
        for (int a = 0; a < n; a++) {
            for (int b = a; b < n; b++) {
                g[a][b] = g[b][a] = dot(residuals.get(a), residuals.get(b));
            }
        }
        double[][] vectors = jacobiEigenvectors(g);
        int top = 0;
        double energy = 0;
        for (int k = 0; k < n; k++) {
            energy += Math.max(0, g[k][k]);
            if (g[k][k] > g[top][top]) {
                top = k;
            }
        }
        double[] v = combine(residuals, vectors, top);
        double c = dot(v, u);
        for (int i = 0; i < p; i++) {
            v[i] -= c * u[i];
        }
        normalize(v);
        double[] d2 = new double[p];
        for (int i = 0; i < p; i++) {
            d2[i] = length * v[i];
        }
        // The path's energy in the plane: Σ (r·u)² + (r·v)² over the displacements, against Σ ‖r‖².
        double inPlane = 0;
        for (float[] t : trajectory) {
            double a = 0;
            double b = 0;
            for (int i = 0; i < p; i++) {
                double r = (double) t[i] - theta0[i];
                a += r * u[i];
                b += r * v[i];
            }
            inPlane += a * a + b * b;
        }
        return new TrajectoryPlane(d1, d2, Math.max(0, g[top][top]) / energy, total > 0 ? inPlane / total : 1);
    }

    /**
     * Successive distances ‖θ_k − θ_{k−1}‖ of the checkpoints, in their order: the step lengths a random walk of
     * the same path length takes.
     */
    public static double[] stepLengths(List<float[]> trajectory) {
        double[] out = new double[Math.max(0, trajectory.size() - 1)];
        for (int k = 1; k < trajectory.size(); k++) {
            float[] a = trajectory.get(k - 1);
            float[] b = trajectory.get(k);
            double s = 0;
            for (int i = 0; i < a.length; i++) {
                double d = (double) b[i] - a[i];
                s += d * d;
            }
            out[k - 1] = Math.sqrt(s);
        }
        return out;
    }

    /**
     * One step of the random-walk control: a direction drawn uniformly on the sphere (isotropic Gaussian entries,
     * normalised), scaled to {@code length}, added to {@code point} in place. Every parameter, biases included,
     * takes part: the walk is a control for the path, which moves them all.
     */
    public static void randomStep(double[] point, double length, SplittableRandom rng) {
        double[] d = new double[point.length];
        double n = 0;
        for (int i = 0; i < d.length; i++) {
            d[i] = rng.nextGaussian();
            n += d[i] * d[i];
        }
        double scale = n > 0 ? length / Math.sqrt(n) : 0;
        for (int i = 0; i < d.length; i++) {
            point[i] += scale * d[i];
        }
    }

    /** Coordinates (a, b) of one point θ (in double) in the plane through {@code center}; see {@link #project}. */
    public static double[] project(double[] point, float[] center, double[] d1, double[] d2) {
        double g11 = dot(d1, d1);
        double g12 = dot(d1, d2);
        double g22 = dot(d2, d2);
        double det = g11 * g22 - g12 * g12;
        double r1 = 0;
        double r2 = 0;
        for (int i = 0; i < center.length; i++) {
            double diff = point[i] - center[i];
            r1 += diff * d1[i];
            r2 += diff * d2[i];
        }
        return new double[] {(g22 * r1 - g12 * r2) / det, (g11 * r2 - g12 * r1) / det};
    }

    /**
     * Coordinates (a, b) of each point θ in the plane through {@code center} spanned by d₁, d₂: the least-squares
     * solution of θ − center ≈ a d₁ + b d₂ (the normal equations, 2 × 2), which is the orthogonal projection
     * whether or not d₁ ⊥ d₂.
     */
    public static double[][] project(List<float[]> points, float[] center, double[] d1, double[] d2) {
        double g11 = dot(d1, d1);
        double g12 = dot(d1, d2);
        double g22 = dot(d2, d2);
        double det = g11 * g22 - g12 * g12;
        double[][] out = new double[points.size()][];
        for (int k = 0; k < points.size(); k++) {
            float[] t = points.get(k);
            double r1 = 0;
            double r2 = 0;
            for (int i = 0; i < center.length; i++) {
                double diff = (double) t[i] - center[i];
                r1 += diff * d1[i];
                r2 += diff * d2[i];
            }
            out[k] = new double[] {(g22 * r1 - g12 * r2) / det, (g11 * r2 - g12 * r1) / det};
        }
        return out;
    }

    /** Diagonalises the symmetric {@code a} in place (its diagonal ends as the eigenvalues); returns V, columns = eigenvectors. */
    static double[][] jacobiEigenvectors(double[][] a) {
        int n = a.length;
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            v[i][i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            double total = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    total += a[i][j] * a[i][j];
                    if (i != j) {
                        off += a[i][j] * a[i][j];
                    }
                }
            }
            if (off <= 1e-30 * total) {
                break;
            }
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (a[p][q] == 0) {
                        continue;
                    }
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k][p];
                        double akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p][k];
                        double aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k][p];
                        double vkq = v[k][q];
                        v[k][p] = c * vkp - s * vkq;
                        v[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        return v;
    }

    private static double[] combine(List<double[]> m, double[][] vectors, int column) {
        double[] out = new double[m.get(0).length];
        for (int r = 0; r < m.size(); r++) {
            double w = vectors[r][column];
            double[] row = m.get(r);
            for (int i = 0; i < out.length; i++) {
                out[i] += w * row[i];
            }
        }
        return out;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static void normalize(double[] v) {
        double n = Math.sqrt(dot(v, v));
        if (n == 0) {
            throw new InvalidInputException("the trajectory's checkpoints do not span two directions");
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= n;
        }
    }
}
