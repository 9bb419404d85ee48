package io.ravine.bench;

import io.ravine.InvalidInputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One benchmark configuration: the layer widths of a ReLU MLP with a softmax cross-entropy output, trained with
 * Adam, and the batch size. Written {@code 784-1024-1024-10:1024} on the command line.
 *
 * @param widths input, hidden and output widths
 * @param batchSize examples per update
 */
public record BenchCase(int[] widths, int batchSize) {

    public BenchCase {
        if (widths.length < 2 || Arrays.stream(widths).anyMatch(w -> w <= 0) || batchSize <= 0) {
            throw new InvalidInputException("bench configuration needs positive widths (at least input and output)"
                    + " and a positive batch size, got " + Arrays.toString(widths) + " batch " + batchSize);
        }
        widths = widths.clone();
    }

    /** The CPU configurations: the two speed targets (784-256-10 B=128, 784-1024-1024-10 B=1024). */
    public static List<BenchCase> cpuDefaults() {
        return List.of(parse("784-256-10:128"), parse("784-1024-1024-10:1024"));
    }

    /** The GPU configurations: both models at B=128, 1024 and 8192. */
    public static List<BenchCase> gpuDefaults() {
        List<BenchCase> out = new ArrayList<>();
        for (String model : List.of("784-256-10", "784-1024-1024-10")) {
            for (int b : new int[] {128, 1024, 8192}) {
                out.add(parse(model + ":" + b));
            }
        }
        return out;
    }

    /** Parses {@code WIDTHS:BATCH}, e.g. {@code 784-256-10:128}. */
    public static BenchCase parse(String spec) {
        String[] parts = spec.trim().split(":");
        if (parts.length != 2) {
            throw new InvalidInputException("bench configuration '" + spec + "' must look like 784-256-10:128");
        }
        try {
            int[] w = Arrays.stream(parts[0].split("-")).map(String::trim).mapToInt(Integer::parseInt).toArray();
            return new BenchCase(w, Integer.parseInt(parts[1].trim()));
        } catch (NumberFormatException e) {
            throw new InvalidInputException("bench configuration '" + spec + "' must look like 784-256-10:128");
        }
    }

    /** Parses a comma-separated list of configurations. */
    public static List<BenchCase> parseList(String specs) {
        List<BenchCase> out = new ArrayList<>();
        for (String s : specs.split(",")) {
            if (!s.isBlank()) {
                out.add(parse(s));
            }
        }
        if (out.isEmpty()) {
            throw new InvalidInputException("no bench configuration given");
        }
        return out;
    }

    public int inputDim() {
        return widths[0];
    }

    public int outputDim() {
        return widths[widths.length - 1];
    }

    public int[] hiddenWidths() {
        return Arrays.copyOfRange(widths, 1, widths.length - 1);
    }

    /** {@code 784-256-10} */
    public String model() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < widths.length; i++) {
            sb.append(i == 0 ? "" : "-").append(widths[i]);
        }
        return sb.toString();
    }

    /** {@code 784-256-10 B=128} */
    public String label() {
        return model() + " B=" + batchSize;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BenchCase c && c.batchSize == batchSize && Arrays.equals(c.widths, widths);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(widths) + batchSize;
    }

    @Override
    public String toString() {
        return label();
    }
}
