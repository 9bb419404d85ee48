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
        int n = a.length;
        double[][] m = new double[n][];
        for (int i = 0; i < n; i++) {
            m[i] = a[i].clone();
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
                }
            }
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = m[i][i];
        }
        Arrays.sort(d);
        for (int i = 0; i < n / 2; i++) {
            double t = d[i];
            d[i] = d[n - 1 - i];
            d[n - 1 - i] = t;
        }
        return d;
    }
}
