package io.ravine.optim;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.Tensor;
import io.ravine.backend.UpdateRule;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntFunction;

/**
 * What an update rule carries from one step to the next: its θ-sized state vectors on the backend (named by
 * {@link UpdateRule#stateNames()}, the names checkpoints use) and the number of completed updates. Made by
 * {@link Optimizer#init}; closing it frees the vectors.
 */
public final class OptimizerState implements AutoCloseable {
    private final Backend backend;
    private final UpdateRule rule;
    private final int paramCount;
    private final List<String> names;
    private final Tensor[] tensors;
    private long step;
    private java.util.function.Supplier<ClosureState> closureState;

    OptimizerState(Backend backend, UpdateRule rule, int paramCount) {
        if (paramCount < 0) {
            throw new IllegalArgumentException("negative parameter count " + paramCount);
        }
        this.backend = backend;
        this.rule = rule;
        this.paramCount = paramCount;
        this.names = List.of(rule.stateNames());
        this.tensors = new Tensor[names.size()];
        for (int i = 0; i < tensors.length; i++) {
            tensors[i] = backend.allocateVector(paramCount);
        }
    }

    /**
     * The rule this state belongs to.
     *
     * @return the rule
     */
    public UpdateRule rule() {
        return rule;
    }

    /**
     * The number of completed updates.
     *
     * @return the step counter
     */
    public long step() {
        return step;
    }

    /**
     * The length of θ (and of each state vector).
     *
     * @return P
     */
    public int paramCount() {
        return paramCount;
    }

    /**
     * The state vectors' names, in the order the backend takes them.
     *
     * @return the names
     */
    public List<String> names() {
        return names;
    }

    /**
     * The state vector called {@code name}, on the backend (live: it changes with every step).
     *
     * @param name a name of {@link #names()}
     * @return the vector
     */
    public Tensor tensor(String name) {
        int i = names.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException(rule.cliName() + " has no state '" + name + "' (has " + names + ")");
        }
        return tensors[i];
    }

    /**
     * The live state vectors in {@link UpdateRule#stateNames()} order, as {@link Backend#optimizerStep} takes them;
     * callers must not reorder the array.
     *
     * @return the vectors
     */
    public Tensor[] tensors() {
        return tensors;
    }

    /**
     * Counts one update made outside {@link Optimizer#step} (a replayed CUDA graph issues the fused update itself).
     */
    public void advance() {
        step++;
    }

    /**
     * Attaches the state of a closure-based rule ({@link Lbfgs}, {@link NewtonCg}), whose histories and damping are
     * not θ-sized vectors of a fused step, so that a checkpoint of this state carries it.
     *
     * @param snapshot reads the closure optimizer's state
     */
    public void attachClosureState(java.util.function.Supplier<ClosureState> snapshot) {
        this.closureState = snapshot;
    }

    /**
     * The attached closure-based rule's state now, or null for a fused rule.
     *
     * @return the state, or null
     */
    public ClosureState closureSnapshot() {
        return closureState == null ? null : closureState.get();
    }

    /**
     * A host copy of every state vector, in {@link #names()} order, for a checkpoint.
     *
     * @return name → values
     */
    public Map<String, float[]> snapshot() {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (int i = 0; i < tensors.length; i++) {
            out.put(names.get(i), backend.toFloatArray(tensors[i]));
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * As {@link #snapshot()} in double, exact on a float64 backend.
     *
     * @return name → values
     */
    public Map<String, double[]> snapshotDoubles() {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (int i = 0; i < tensors.length; i++) {
            out.put(names.get(i), backend.toDoubleArray(tensors[i]));
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Resumes from a checkpoint: the step counter and every state vector. Checked in full before anything is
     * written, so a bad checkpoint leaves the state as it was.
     *
     * @param step the step counter
     * @param values name → values
     * @throws InvalidInputException if a name is missing or extra, a length is wrong, or the step is negative
     */
    public void restore(long step, Map<String, float[]> values) {
        checkRestore(step, values.keySet(), name -> values.get(name).length);
        for (int i = 0; i < tensors.length; i++) {
            backend.copyFromHost(values.get(names.get(i)), 0, tensors[i]);
        }
        this.step = step;
    }

    /**
     * As {@link #restore} from doubles.
     *
     * @param step the step counter
     * @param values name → values
     */
    public void restoreDoubles(long step, Map<String, double[]> values) {
        checkRestore(step, values.keySet(), name -> values.get(name).length);
        for (int i = 0; i < tensors.length; i++) {
            backend.copyFromHost(values.get(names.get(i)), 0, tensors[i]);
        }
        this.step = step;
    }

    private void checkRestore(long step, Set<String> given, ToIntFunction<String> len) {
        if (step < 0) {
            throw new InvalidInputException("optimizer state: negative step count " + step);
        }
        if (!given.equals(new HashSet<>(names))) {
            throw new InvalidInputException("optimizer state for " + rule.cliName() + " needs " + names + ", got "
                    + given);
        }
        for (String name : names) {
            int n = len.applyAsInt(name);
            if (n != paramCount) {
                throw new InvalidInputException("optimizer state '" + name + "' has " + n + " values, expected "
                        + paramCount);
            }
        }
    }

    /**
     * Frees the state vectors.
     */
    @Override
    public void close() {
        for (Tensor t : tensors) {
            t.close();
        }
    }

    @Override
    public String toString() {
        return "OptimizerState[" + rule.cliName() + ", step " + step + ", " + paramCount + " params, "
                + Arrays.toString(rule.stateNames()) + "]";
    }
}
