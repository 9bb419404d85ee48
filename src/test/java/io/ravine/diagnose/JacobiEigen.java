package io.ravine.diagnose;

import java.util.Arrays;

/**
 * Eigenvalues of a small dense symmetric matrix by cyclic Jacobi rotations (Golub &amp; Van Loan §8.5): the
 * tests' independent reference for Lanczos (which uses tridiagonal QL, a different algorithm).
 */
final class JacobiEigen {
    private JacobiEigen() {
    }

    /** All eigenvalues of symmetric {@code a}, descending. */
    static double[] eigenvalues(double[][] a) {
        return decompose(a, null);
    }

    /**
     * Eigenvalues, descending, and (into {@code vectors}, n × n, when not null) the matching unit eigenvectors as
     * rows: the product of the rotations applied.
     */
    static double[] decompose(double[][] a, double[][] vectors) {
        int n = a.length;
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) {
            m[i] = a[i].clone();
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            v[i][i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    off += m[p][q] * m[p][q];
                }
            }
            if (off < 1e-30) {
                break;
            }
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (m[p][q] == 0) {
                        continue;
                    }
                    // The rotation that zeroes m[p][q]: tan 2φ = 2 m_pq / (m_qq − m_pp).
                    double theta = (m[q][q] - m[p][p]) / (2 * m[p][q]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < n; k++) {
                        double mkp = m[k][p];
                        double mkq = m[k][q];
                        m[k][p] = c * mkp - s * mkq;
                        m[k][q] = s * mkp + c * mkq;
                    }
                    for (int k = 0; k < n; k++) {
                        double mpk = m[p][k];
                        double mqk = m[q][k];
                        m[p][k] = c * mpk - s * mqk;
                        m[q][k] = s * mpk + c * mqk;
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
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Double.compare(m[y][y], m[x][x]));
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = m[order[i]][order[i]];
            if (vectors != null) {
                for (int k = 0; k < n; k++) {
                    vectors[i][k] = v[k][order[i]];
                }
            }
        }
        return d;
    }
}
