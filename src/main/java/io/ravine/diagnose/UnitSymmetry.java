package io.ravine.diagnose;

import io.ravine.nn.Mlp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hidden units that compute the same thing (Grosse, lecture 8 §4.3): two units of a layer with identical incoming
 * weights and bias and identical outgoing weights get identical gradients, so gradient descent never separates them
 * and the layer acts as if it were narrower. A zero (or any constant) initialisation makes every pair of a layer
 * such a duplicate.
 *
 * <p>Unit i of hidden layer k is described by its signature s_i = (W_k[i, :], b_k[i], W_{k+1}[:, i]). A pair is a
 * duplicate when ‖s_i − s_j‖ ≤ {@link #TOLERANCE} · max(‖s_i‖, ‖s_j‖) (so two all-zero units are duplicates).
 * Exact duplicates are grouped by hashing the signatures' bits first (a group of m units holds m(m−1)/2 pairs,
 * counted without comparing them); near duplicates are searched among the groups' representatives sorted by norm,
 * comparing only those whose norms are within the tolerance of each other (|‖s_i‖ − ‖s_j‖| ≤ ‖s_i − s_j‖). Random
 * units are far apart (relative distance ≈ √2), so the search stays near O(n log n) per layer.
 */
public final class UnitSymmetry {
    /**
     * Relative distance below which two units count as the same: units that close compute the same function to
     * 0.1% and receive gradients that differ by as little, so training separates them only very slowly.
     */
    public static final double TOLERANCE = 1e-3;
    /** How many example pairs to keep. */
    public static final int MAX_EXAMPLES = 10;

    private UnitSymmetry() {
    }

    /** One duplicate pair. */
    public record Pair(int layer, int unitA, int unitB, double relativeDistance) {
    }

    /**
     * @param duplicatePairs duplicate pairs over all hidden layers
     * @param pairsPerLayer duplicate pairs of each hidden layer
     * @param examples up to {@link #MAX_EXAMPLES} pairs
     */
    public record Result(long duplicatePairs, long[] pairsPerLayer, List<Pair> examples) {
    }

    /** Finds duplicate hidden units of {@code mlp} at parameters {@code theta}. */
    public static Result find(Mlp mlp, float[] theta) {
        int hidden = mlp.layerCount() - 1;
        long total = 0;
        long[] perLayer = new long[hidden];
        List<Pair> examples = new ArrayList<>();
        for (int k = 0; k < hidden; k++) {
            perLayer[k] = findInLayer(mlp, theta, k, examples);
            total += perLayer[k];
        }
        return new Result(total, perLayer, examples);
    }

    private static long findInLayer(Mlp mlp, float[] theta, int k, List<Pair> examples) {
        int units = mlp.fanOut(k);
        int in = mlp.fanIn(k);
        int next = mlp.fanOut(k + 1);
        float[][] sig = new float[units][];
        // A unit is its incoming weights, its bias (under batch norm its γ and β, which take the bias's place) and
        // its outgoing weights.
        boolean bn = mlp.hasBatchNorm(k);
        int own = bn ? 2 : 1;
        for (int u = 0; u < units; u++) {
            float[] s = new float[in + own + next];
            System.arraycopy(theta, mlp.weightOffset(k) + u * in, s, 0, in);
            if (bn) {
                s[in] = theta[mlp.gammaOffset(k) + u];
                s[in + 1] = theta[mlp.betaOffset(k) + u];
            } else {
                s[in] = theta[mlp.biasOffset(k) + u];
            }
            for (int o = 0; o < next; o++) {
                s[in + own + o] = theta[mlp.weightOffset(k + 1) + o * units + u];
            }
            for (int i = 0; i < s.length; i++) {
                s[i] += 0.0f; // −0 → +0, so bitwise hashing groups them
            }
            sig[u] = s;
        }
        // Exact duplicates: groups of bitwise-equal signatures. A unit with a NaN or ±Inf weight (a blown-up or
        // corrupt θ) is broken, not symmetric: it is left out, or equal NaN bit patterns would group such units.
        Map<Key, List<Integer>> groups = new LinkedHashMap<>(); // in order of first unit
        for (int u = 0; u < units; u++) {
            if (!finite(sig[u])) {
                continue;
            }
            groups.computeIfAbsent(new Key(sig[u]), x -> new ArrayList<>()).add(u);
        }
        long pairs = 0;
        List<int[]> reps = new ArrayList<>(); // {representative unit, group size}
        for (List<Integer> g : groups.values()) {
            long m = g.size();
            pairs += m * (m - 1) / 2;
            if (m > 1) {
                addExample(examples, new Pair(k, g.get(0), g.get(1), 0.0));
            }
            reps.add(new int[] {g.get(0), g.size()});
        }
        // Near duplicates among the representatives, in order of signature norm.
        double[] norm = new double[units];
        for (int[] r : reps) {
            norm[r[0]] = norm(sig[r[0]]);
        }
        reps.sort((a, b) -> Double.compare(norm[a[0]], norm[b[0]]));
        for (int i = 0; i < reps.size(); i++) {
            int a = reps.get(i)[0];
            for (int j = i + 1; j < reps.size(); j++) {
                int c = reps.get(j)[0];
                double limit = TOLERANCE * Math.max(norm[a], norm[c]);
                if (norm[c] - norm[a] > limit) {
                    break;
                }
                double d = distanceUpTo(sig[a], sig[c], limit);
                if (d <= limit) {
                    pairs += (long) reps.get(i)[1] * reps.get(j)[1];
                    addExample(examples, new Pair(k, Math.min(a, c), Math.max(a, c),
                            d / Math.max(norm[a], norm[c])));
                }
            }
        }
        return pairs;
    }

    private static void addExample(List<Pair> examples, Pair p) {
        if (examples.size() < MAX_EXAMPLES) {
            examples.add(p);
        }
    }

    private static boolean finite(float[] s) {
        for (float v : s) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private static double norm(float[] s) {
        double sum = 0;
        for (float v : s) {
            sum += (double) v * v;
        }
        return Math.sqrt(sum);
    }

    /** ‖a − b‖, or any value above {@code limit} as soon as the partial sum exceeds it. */
    private static double distanceUpTo(float[] a, float[] b, double limit) {
        double cap = limit * limit;
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            sum += d * d;
            if (sum > cap) {
                return Double.POSITIVE_INFINITY;
            }
        }
        return Math.sqrt(sum);
    }

    /** A signature compared by its bits. */
    private record Key(float[] values) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(values, k.values);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(values);
        }
    }
}
