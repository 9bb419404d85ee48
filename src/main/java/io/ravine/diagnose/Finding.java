package io.ravine.diagnose;

/**
 * One problem from the lectures' table of problems, diagnostics and workarounds (Grosse, CSC321 lecture 8), as a
 * diagnostic found it: what the problem is, the measurement that shows it, and what to try.
 *
 * @param problem a short name: slow_progress, instability, oscillation, fluctuation (from the training curve);
 *     dead_units, saturated_units, symmetry, ill_conditioning (from measurements at θ)
 * @param evidence the numbers that show the problem, in words
 * @param workaround the lectures' workaround
 */
public record Finding(String problem, String evidence, String workaround) {
}
