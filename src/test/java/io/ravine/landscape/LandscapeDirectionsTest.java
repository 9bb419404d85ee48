package io.ravine.landscape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.nn.Initializer;
import io.ravine.nn.Mlp;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LandscapeDirectionsTest {

    @Test
    void filterNormalisationGivesEachRowTheNormOfThetasRowAndZeroBiases() {
        Mlp mlp = new Mlp(7, new int[] {5, 4}, 3, Activation.RELU, LossKind.SOFTMAX_CE);
        float[] theta = mlp.initialParameters(Initializer.xavier(), 0.3, 9);
        double[] d = LandscapeDirections.filterNormalized(mlp, theta, new SplittableRandom(2));
        for (int k = 0; k < mlp.layerCount(); k++) {
            for (int r = 0; r < mlp.fanOut(k); r++) {
                double dn = 0;
                double tn = 0;
                for (int i = 0; i < mlp.fanIn(k); i++) {
                    int at = mlp.weightOffset(k) + r * mlp.fanIn(k) + i;
                    dn += d[at] * d[at];
                    tn += (double) theta[at] * theta[at];
                }
                assertEquals(Math.sqrt(tn), Math.sqrt(dn), 1e-12 * Math.sqrt(tn), "layer " + k + " row " + r);
                assertEquals(0.0, d[mlp.biasOffset(k) + r]);
            }
        }
    }

    @Test
    void pcaDirectionsAreOrthonormalSpanTheTrajectoryAndPutItsEndAtTheOrigin() {
        // A trajectory that moves only in span{e, f} around the end point: the two principal directions must span
        // exactly that plane, so projecting onto them reconstructs every point.
        int p = 50;
        SplittableRandom rng = new SplittableRandom(5);
        float[] end = new float[p];
        double[] e = new double[p];
        double[] f = new double[p];
        for (int i = 0; i < p; i++) {
            end[i] = (float) rng.nextGaussian();
            e[i] = rng.nextGaussian();
            f[i] = rng.nextGaussian();
        }
        List<float[]> traj = new ArrayList<>();
        double[][] coef = {{3, 1}, {2, -0.5}, {1.2, 0.4}, {0.5, -0.2}, {0, 0}};
        for (double[] c : coef) {
            float[] t = new float[p];
            for (int i = 0; i < p; i++) {
                t[i] = (float) (end[i] + c[0] * e[i] + c[1] * f[i]);
            }
            traj.add(t);
        }
        traj.set(traj.size() - 1, end.clone());
        LandscapeDirections.Principal pc = LandscapeDirections.principal(traj, end);
        assertEquals(1, LandscapeDirections.dot(pc.first(), pc.first()), 1e-12);
        assertEquals(1, LandscapeDirections.dot(pc.second(), pc.second()), 1e-12);
        assertEquals(0, LandscapeDirections.dot(pc.first(), pc.second()), 1e-12);
        assertEquals(1, pc.explainedVariance()[0] + pc.explainedVariance()[1], 1e-9);
        assertTrue(pc.explainedVariance()[0] >= pc.explainedVariance()[1]);
        double[][] ab = LandscapeDirections.project(traj, end, pc.first(), pc.second());
        for (int k = 0; k < traj.size(); k++) {
            double residual = 0;
            double size = 0;
            for (int i = 0; i < p; i++) {
                double disp = traj.get(k)[i] - end[i];
                double r = disp - ab[k][0] * pc.first()[i] - ab[k][1] * pc.second()[i];
                residual += r * r;
                size += disp * disp;
            }
            // float32 storage of the points: relative residual at the level of float rounding.
            assertTrue(Math.sqrt(residual) <= 1e-6 * Math.max(1, Math.sqrt(size)), "point " + k);
        }
        assertEquals(0, ab[traj.size() - 1][0]);
        assertEquals(0, ab[traj.size() - 1][1]);
    }

    @Test
    void projectionOntoNonOrthogonalDirectionsRecoversTheCoefficients() {
        float[] center = {1, 2, 3};
        double[] d1 = {1, 0, 0};
        double[] d2 = {1, 1, 0};
        float[] point = {1 + 2 + (-3), 2 + (-3), 3};
        double[][] ab = LandscapeDirections.project(List.of(point), center, d1, d2);
        assertEquals(2, ab[0][0], 1e-12);
        assertEquals(-3, ab[0][1], 1e-12);
    }

    @Test
    void pcaNeedsTwoCheckpointsBesidesTheEnd() {
        float[] end = {1, 2};
        assertThrows(InvalidInputException.class, () -> LandscapeDirections.principal(List.of(new float[] {0, 0},
                end.clone()), end));
    }

    private static float[] point(double[] base, double[] e, double[] f, double a, double b) {
        float[] t = new float[base.length];
        for (int i = 0; i < base.length; i++) {
            t[i] = (float) (base[i] + a * e[i] + b * f[i]);
        }
        return t;
    }

    @Test
    void theTrajectoryPlanePutsThetaZeroAtTheOriginThetaOneAtOneZeroAndHoldsAPlanarPath() {
        // A path that bends inside span{e, f}: θ_t = θ₀ + s e + c f with θ₁ = θ₀ + e. Known answer: the plane holds
        // every checkpoint (the path's share in it is 1), θ₀ ↦ (0, 0), θ₁ ↦ (1, 0), θ_t ↦ (s, c·(f's part ⊥ e)).
        int p = 40;
        SplittableRandom rng = new SplittableRandom(11);
        double[] base = new double[p];
        double[] e = new double[p];
        double[] f = new double[p];
        for (int i = 0; i < p; i++) {
            base[i] = rng.nextGaussian();
            e[i] = rng.nextGaussian();
            f[i] = rng.nextGaussian();
        }
        double[][] sc = {{0, 0}, {0.2, 0.5}, {0.5, 0.8}, {0.8, 0.4}, {1, 0}};
        List<float[]> traj = new ArrayList<>();
        for (double[] c : sc) {
            traj.add(point(base, e, f, c[0], c[1]));
        }
        float[] t0 = traj.get(0);
        float[] t1 = traj.get(traj.size() - 1);
        LandscapeDirections.TrajectoryPlane tp = LandscapeDirections.trajectoryPlane(traj, t0, t1);
        double n1 = Math.sqrt(LandscapeDirections.dot(tp.first(), tp.first()));
        assertEquals(n1, Math.sqrt(LandscapeDirections.dot(tp.second(), tp.second())), 1e-9 * n1);
        assertEquals(0, LandscapeDirections.dot(tp.first(), tp.second()), 1e-9 * n1 * n1);
        assertEquals(1, tp.planeShare(), 1e-6);
        assertEquals(1, tp.residualShare(), 1e-9);
        double[][] ab = LandscapeDirections.project(traj, t0, tp.first(), tp.second());
        assertEquals(0, ab[0][0], 1e-12);
        assertEquals(0, ab[0][1], 1e-12);
        assertEquals(1, ab[4][0], 1e-6);
        assertEquals(0, ab[4][1], 1e-6);
        // Along θ₀→θ₁ a checkpoint's coordinate is its α: s + c·(f·e)/(e·e).
        double fe = LandscapeDirections.dot(f, e) / LandscapeDirections.dot(e, e);
        for (int k = 0; k < sc.length; k++) {
            assertEquals(sc[k][0] + sc[k][1] * fe, ab[k][0], 1e-5, "checkpoint " + k);
            assertTrue(ab[k][1] * Math.signum(ab[2][1]) >= -1e-6, "the path bends to one side: " + ab[k][1]);
        }
    }

    @Test
    void theResidualDirectionIsThePathsMainDepartureFromTheLine() {
        // Residuals along two orthogonal directions f and g (both ⊥ e), with f carrying 9× g's energy: v = ±f, its
        // share of the residual energy 0.9.
        int p = 6;
        double[] base = {0, 0, 0, 0, 0, 0};
        double[] e = {1, 0, 0, 0, 0, 0};
        double[] f = {0, 1, 0, 0, 0, 0};
        double[] g = {0, 0, 1, 0, 0, 0};
        List<float[]> traj = new ArrayList<>();
        double[][] coef = {{0, 0, 0}, {0.3, 3, 1}, {0.6, 3, -1}, {1, 0, 0}};
        for (double[] c : coef) {
            float[] t = new float[p];
            for (int i = 0; i < p; i++) {
                t[i] = (float) (base[i] + c[0] * e[i] + c[1] * f[i] + c[2] * g[i]);
            }
            traj.add(t);
        }
        LandscapeDirections.TrajectoryPlane tp = LandscapeDirections.trajectoryPlane(traj, traj.get(0),
                traj.get(3));
        assertEquals(1, Math.abs(tp.second()[1]), 1e-12);
        assertEquals(0, tp.second()[2], 1e-12);
        assertEquals(0.9, tp.residualShare(), 1e-12);
        // The path's energy: along e 0.09 + 0.36 + 1, along f 9 + 9, along g 1 + 1; the plane holds all but g's.
        assertEquals((0.09 + 0.36 + 1 + 18) / (0.09 + 0.36 + 1 + 18 + 2), tp.planeShare(), 1e-6);
    }

    @Test
    void aStraightPathOrAStandingStartHasNoTrajectoryPlane() {
        float[] a = {0, 0, 0};
        float[] b = {1, 2, 3};
        float[] mid = {0.5f, 1, 1.5f};
        InvalidInputException straight = assertThrows(InvalidInputException.class,
                () -> LandscapeDirections.trajectoryPlane(List.of(a, mid, b), a, b));
        assertTrue(straight.getMessage().contains("--checkpoint-every"), straight.getMessage());
        assertThrows(InvalidInputException.class, () -> LandscapeDirections.trajectoryPlane(List.of(a, b), a, a));
    }

    @Test
    void randomWalkStepsHaveThePathsLengthsAndTheSeedFixesThem() {
        List<float[]> traj = List.of(new float[] {0, 0, 0}, new float[] {3, 4, 0}, new float[] {3, 4, 12},
            new float[] {3, 4, 12});
        assertArrayEquals(new double[] {5, 12, 0}, LandscapeDirections.stepLengths(traj), 1e-12);
        double[] w1 = new double[50];
        double[] w2 = new double[50];
        LandscapeDirections.randomStep(w1, 2.5, new SplittableRandom(9));
        LandscapeDirections.randomStep(w2, 2.5, new SplittableRandom(9));
        assertArrayEquals(w1, w2, 0.0);
        assertEquals(2.5, Math.sqrt(LandscapeDirections.dot(w1, w1)), 1e-12);
    }
}
