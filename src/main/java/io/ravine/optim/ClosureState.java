package io.ravine.optim;

import io.ravine.InvalidInputException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A closure-based optimizer's state as a checkpoint stores it ({@code optimizer.NAME} entries): θ-sized vectors in
 * float32 (θ's own type in checkpoints, so exact for a float32 run), reals in float64 and counters in int64. What
 * each name means is the optimizer's ({@link Lbfgs#snapshot()}, {@link NewtonCg#snapshot()}).
 *
 * @param vectors name → values (a multiple of θ's length)
 * @param reals name → float64 values
 * @param counters name → int64 values
 */
public record ClosureState(Map<String, float[]> vectors, Map<String, double[]> reals, Map<String, long[]> counters) {

    /**
     * The single value of a counter.
     *
     * @param name the counter
     * @return its value
     * @throws InvalidInputException if it is absent or not one value
     */
    public long counter(String name) {
        long[] v = counters.get(name);
        if (v == null || v.length != 1) {
            throw new InvalidInputException("optimizer state: counter '" + name + "' is missing or not one value");
        }
        return v[0];
    }

    /** Refuses names other than {@code vectorNames} and {@code realNames} (the counters are read by name). */
    void requireNames(List<String> vectorNames, List<String> realNames, String what) {
        if (!vectors.keySet().equals(Set.copyOf(vectorNames)) || !reals.keySet().equals(Set.copyOf(realNames))) {
            throw new InvalidInputException("optimizer state of " + what + " needs " + new TreeSet<>(vectorNames)
                    + " and " + new TreeSet<>(realNames) + ", got " + new TreeSet<>(vectors.keySet()) + " and "
                    + new TreeSet<>(reals.keySet()));
        }
    }

    void requireLength(String vector, int length) {
        int n = vectors.get(vector).length;
        if (n != length) {
            throw new InvalidInputException("optimizer state '" + vector + "' has " + n + " values, expected "
                    + length);
        }
    }

    /** Refuses a real that is not one finite value. */
    double finiteReal(String name, String what) {
        double[] v = reals.get(name);
        if (v == null || v.length != 1 || !Double.isFinite(v[0])) {
            throw new InvalidInputException("optimizer state of " + what + ": '" + name
                    + "' must be one finite value");
        }
        return v[0];
    }
}
