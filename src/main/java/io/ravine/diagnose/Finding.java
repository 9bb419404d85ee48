package io.ravine.diagnose;

/** One problem from the lectures' table, the evidence that points to it, and the workaround the table gives. */
public record Finding(String problem, String evidence, String workaround) {
}
