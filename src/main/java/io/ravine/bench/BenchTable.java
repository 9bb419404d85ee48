package io.ravine.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark's one table, in Markdown: per configuration and thread count, Ravine's and PyTorch's samples/s and
 * their ratio, Ravine's time per step and the share of it in each {@link Phase} (from the profiled pass) with the
 * rest as launches/gaps/other. On CUDA with a profiled peer, a second table gives PyTorch's own kernel breakdown.
 */
public final class BenchTable {
    /**
     * One measured pair. {@code ravine} and {@code torch} are the medians over the repeats; {@code ratio} is the
     * median of the per-repeat ratios (each repeat runs the two back to back).
     */
    public record Row(BenchCase config, String device, int threads, String peerMode, StepBench.Result ravine,
            TorchPeer.Result torch, double ratio, StepFloors.Measured floors) {
    }

    private final List<Row> rows = new ArrayList<>();

    public void add(Row r) {
        rows.add(r);
    }

    public List<Row> rows() {
        return List.copyOf(rows);
    }

    /** The header line of the main table (also what a test checks the column count against). */
    public static final String HEADER = "| configuration | device | threads | peer | Ravine samples/s | "
            + "PyTorch samples/s | ratio | Ravine ms/step | GEMM | elementwise | optimizer | data | "
            + "launches/gaps/other |";

    public String toMarkdown() {
        StringBuilder sb = new StringBuilder();
        sb.append(HEADER).append('\n');
        sb.append("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            StepBench.Result rv = r.ravine();
            double step = rv.msPerStep();
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %.0f | %s | %s | %.3f |", r.config().label(),
                    r.device(), r.threads(), r.peerMode(), rv.samplesPerSecond(),
                    number(r.torch().samplesPerSecond(), "%.0f"), number(r.ratio(), "%.2f×"), step));
            for (Phase p : Phase.values()) {
                sb.append(' ').append(share(rv.phaseMs().get(p), step)).append(" |");
            }
            sb.append(' ').append(rv.phaseMs().isEmpty() ? "–" : share(rv.otherMs(), step)).append(" |\n");
        }
        boolean peerBreakdown = rows.stream().anyMatch(r -> !r.torch().kernelMs().isEmpty());
        if (peerBreakdown) {
            sb.append("\nPyTorch's own step (torch.profiler kernel times):\n\n");
            sb.append("| configuration | peer | PyTorch ms/step | GEMM | elementwise | optimizer | launches/gaps |\n");
            sb.append("|---|---|---:|---:|---:|---:|---:|\n");
            for (Row r : rows) {
                Map<String, Double> k = r.torch().kernelMs();
                if (k.isEmpty()) {
                    continue;
                }
                double step = r.torch().msPerStep();
                sb.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %s | %s | %s | %s |\n", r.config().label(),
                        r.peerMode(), step, share(k.get("gemm"), step), share(k.get("elementwise"), step),
                        share(k.get("optimizer"), step), share(r.torch().gapsMs(), step)));
            }
        }
        return sb.toString();
    }

    /**
     * Ravine's step time against the floors of its step ({@link StepFloors}): the step's GEMMs timed alone, the
     * other bytes at copy bandwidth and the batch at the host-to-device rate; empty when no row has floors.
     */
    public String floorsTable() {
        if (rows.stream().allMatch(r -> r.floors() == null)) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        sb.append("| configuration | device | threads | Ravine ms/step | GEMM floor ms (GFLOP/s) | other bytes MB |"
                + " at copy GB/s, ms | H2D MB | at H2D GB/s, ms | floor ms | step ÷ floor |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (Row r : rows) {
            StepFloors.Measured f = r.floors();
            if (f == null || !seen.add(r.config().label() + "/" + r.threads())) {
                continue; // one line per configuration, not per peer mode
            }
            double step = r.ravine().msPerStep();
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %.3f | %.3f (%.0f) | %.1f | %.0f, %.3f | %.2f |"
                    + " %.1f, %.3f | %.3f | %.2f× |\n", r.config().label(), r.device(), r.threads(), step,
                    f.gemmFloorMs(), f.gemmGflops(), f.floors().deviceBytes() / 1e6, f.copyGBps(), f.deviceBytesMs(),
                    f.floors().hostToDeviceBytes() / 1e6, f.hostToDeviceGBps(), f.hostToDeviceMs(), f.floorMs(),
                    step / f.floorMs()));
        }
        return sb.toString();
    }

    /** Ravine's per-operation profile of each row, for finding where the time goes. */
    public String operationBreakdown() {
        StringBuilder sb = new StringBuilder();
        for (Row r : rows) {
            if (r.ravine().operationMs().isEmpty()) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "%s, %d threads: profiled step %.3f ms (free-running %.3f ms),"
                    + " %.0f backend operations per step:", r.config().label(), r.threads(),
                    r.ravine().profiledMsPerStep(), r.ravine().msPerStep(), r.ravine().launchesPerStep()));
            r.ravine().operationMs().forEach((op, ms) -> sb.append(String.format(Locale.ROOT, " %s %.3f ms;", op,
                    ms)));
            if (r.ravine().stagingWaits() >= 0) {
                sb.append(String.format(Locale.ROOT, " uploads that waited for a staging slot over %d timed steps: %d;",
                        r.ravine().timedSteps(), r.ravine().stagingWaits()));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** A measured value, or "–" where there is none (a peer that failed or did not run). */
    private static String number(double v, String format) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, format, v);
    }

    private static String share(Double ms, double step) {
        if (ms == null || Double.isNaN(ms) || !(step > 0)) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.0f%%", 100 * ms / step);
    }
}
