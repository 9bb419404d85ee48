package io.ravine.study;

import java.util.List;

/**
 * One noise-scale estimate during training, at a step's θ (see {@link GradientNoiseScale}).
 *
 * @param step the training step
 * @param smallSquaredNorm |G_small|²
 * @param bigSquaredNorm |G_big|²
 * @param estimate the estimates of |G|², tr(Σ), their moving averages and B_simple
 */
public record NoiseSample(long step, double smallSquaredNorm, double bigSquaredNorm,
        GradientNoiseScale.Estimate estimate) {

    static final List<String> COLUMNS = List.of("step", "small_grad_sq", "big_grad_sq", "grad_norm_sq", "trace",
            "avg_grad_norm_sq", "avg_trace", "b_simple");

    List<String> cells() {
        GradientNoiseScale.Estimate e = estimate;
        return List.of(Long.toString(step), Double.toString(smallSquaredNorm), Double.toString(bigSquaredNorm),
                Double.toString(e.gradNormSquared()), Double.toString(e.trace()),
                Double.toString(e.averageGradNormSquared()), Double.toString(e.averageTrace()),
                Double.toString(e.simpleNoiseScale()));
    }

    static NoiseSample parse(java.util.function.Function<String, String> cell) {
        return new NoiseSample(Long.parseLong(cell.apply("step")), Double.parseDouble(cell.apply("small_grad_sq")),
                Double.parseDouble(cell.apply("big_grad_sq")), new GradientNoiseScale.Estimate(
                        Double.parseDouble(cell.apply("grad_norm_sq")), Double.parseDouble(cell.apply("trace")),
                        Double.parseDouble(cell.apply("avg_grad_norm_sq")),
                        Double.parseDouble(cell.apply("avg_trace")), Double.parseDouble(cell.apply("b_simple"))));
    }
}
