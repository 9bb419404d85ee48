package io.ravine.backend;

/** A recorded training step (forward, backward, optimizer) that a backend replays without re-issuing each op. */
public interface StepProgram extends AutoCloseable {

    /**
     * Replays the recorded step with this step's optimizer scalars.
     *
     * @param params the step's scalars
     */
    void replay(StepParams params);

    /**
     * Frees the recorded program.
     */
    @Override
    void close();
}
