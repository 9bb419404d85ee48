package io.ravine.landscape;

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
}
