package io.ravine.diagnose;

/**
 * Eigenvalues and eigenvectors of a symmetric tridiagonal matrix (the Lanczos matrix T) by the implicit QL method
 * with Wilkinson-type shifts: the EISPACK routine tql2 (Bowdler, Martin, Reinsch &amp; Wilkinson 1968), in the form
 * JAMA published. O(k²) per eigenvalue, O(k³) with eigenvectors; k is tens here.
 */
public final class TridiagonalEigen {
    private static final int MAX_SWEEPS_PER_EIGENVALUE = 60;

    private final double[] values;
    private final double[][] vectors;

    private TridiagonalEigen(double[] values, double[][] vectors) {
        this.values = values;
        this.vectors = vectors;
    }

    /**
     * @param diagonal T[i, i], length k
     * @param offDiagonal T[i, i + 1] = T[i + 1, i], length k − 1 (extra entries are ignored)
     */
    public static TridiagonalEigen of(double[] diagonal, double[] offDiagonal) {
        int n = diagonal.length;
        double[] d = diagonal.clone();
        double[] e = new double[n];
        for (int i = 0; i + 1 < n; i++) {
            e[i] = offDiagonal[i];
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            v[i][i] = 1.0;
        }
        double f = 0.0;
        double tst1 = 0.0;
        double eps = Math.ulp(1.0);
        for (int l = 0; l < n; l++) {
            tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
            int m = l;
            while (m < n && Math.abs(e[m]) > eps * tst1) {
                m++;
            }
            // e[n−1] is 0, so m < n here: a negligible off-diagonal element splits the matrix at m.
            if (m > l) {
                int iter = 0;
                do {
                    if (++iter > MAX_SWEEPS_PER_EIGENVALUE) {
                        throw new ArithmeticException("tridiagonal QL did not converge (non-finite input?)");
                    }
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2.0 * e[l]);
                    double r = Math.hypot(p, 1.0);
                    if (p < 0) {
                        r = -r;
                    }
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) {
                        d[i] -= h;
                    }
                    f += h;
                    p = d[m];
                    double c = 1.0;
                    double c2 = c;
                    double c3 = c;
                    double el1 = e[l + 1];
                    double s = 0.0;
                    double s2 = 0.0;
                    for (int i = m - 1; i >= l; i--) {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Math.hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        for (int k = 0; k < n; k++) {
                            h = v[k][i + 1];
                            v[k][i + 1] = s * v[k][i] + c * h;
                            v[k][i] = c * v[k][i] - s * h;
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0.0;
        }
        // Descending order, vectors alongside.
        double[] values = new double[n];
        double[][] vectors = new double[n][];
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(d[b], d[a]));
        for (int j = 0; j < n; j++) {
            int src = order[j];
            values[j] = d[src];
            double[] col = new double[n];
            for (int k = 0; k < n; k++) {
                col[k] = v[k][src];
            }
            vectors[j] = col;
        }
        return new TridiagonalEigen(values, vectors);
    }

    /** Eigenvalues, descending. */
    public double[] values() {
        return values.clone();
    }

    /** The unit eigenvector of {@link #values()}[j], as a k-vector. */
    public double[] vector(int j) {
        return vectors[j].clone();
    }
}
