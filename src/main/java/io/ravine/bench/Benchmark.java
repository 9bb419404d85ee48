package io.ravine.bench;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.backend.Devices;
import io.ravine.data.Dataset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs every configuration in Ravine and in PyTorch back to back, {@code repeats} times alternating, on the same
 * machine, and fills a {@link BenchTable}. Alternating repeats and taking the median of the per-repeat ratios is
 * what makes the ratio usable on a shared machine whose load changes from one minute to the next.
 */
public final class Benchmark {
    private final Settings s;

    /**
     * @param device cpu or cuda
     * @param cases configurations
     * @param threads thread counts to run (CPU; one entry, 0, on CUDA)
     * @param peerModes PyTorch modes (eager, compile)
     * @param data auto, fashion-mnist or synthetic
     * @param limit at most this many training examples (0 = all)
     * @param warmup untimed steps before each timing (0 = by batch size)
     * @param steps timed steps (0 = by batch size)
     * @param profileSteps steps of the per-phase profile (negative = by batch size, 0 = off)
     * @param repeats alternating Ravine/PyTorch repeats
     * @param cudaGraph record Ravine's step as a CUDA graph
     * @param tf32 TF32 matrix products on CUDA
     * @param peer the PyTorch peer, or null for Ravine alone
     * @param seed θ initialization and batch order
     */
    public record Settings(String device, List<BenchCase> cases, int[] threads, List<String> peerModes, String data,
            int limit, int warmup, int steps, int profileSteps, int repeats, boolean cudaGraph, boolean tf32,
            TorchPeer peer, long seed) {
    }

    private final List<String> peerFailures = new ArrayList<>();

    public Benchmark(Settings settings) {
        this.s = settings;
    }

    /** One line per measurement whose PyTorch peer failed (its row keeps Ravine's side and says FAILED). */
    public List<String> peerFailures() {
        return List.copyOf(peerFailures);
    }

    /** Floats per buffer of the copy-bandwidth measurement: 256 MB on a GPU (several times an H200's 60 MB L2). */
    static final int CUDA_COPY_ELEMENTS = 64 << 20;
    /** 64 MB on the CPU, past the last-level cache of the machines this runs on. */
    static final int CPU_COPY_ELEMENTS = 16 << 20;

    /**
     * Timed steps for a batch size: about a second of work on the 2-core build machine at the targets' speeds, and
     * a few tenths of a second on an H100/H200 (a 784-1024-1024-10 step takes about 0.1 ms at B = 128 and 2–3 ms at
     * B = 8192 there).
     */
    static int defaultSteps(int batchSize, boolean cuda) {
        if (cuda) {
            return batchSize <= 256 ? 2000 : batchSize <= 2048 ? 500 : 100;
        }
        return batchSize <= 256 ? 400 : batchSize <= 2048 ? 40 : 15;
    }

    /** Runs everything; {@code progress} gets a line per measurement. */
    public BenchTable run(Consumer<String> progress) {
        return run(progress, () -> { });
    }

    /**
     * Runs everything; {@code progress} gets a line per measurement (and per configuration's floors), and
     * {@code measured} is called once per measurement: {@code rounds} per configuration, thread count and mode.
     */
    public BenchTable run(Consumer<String> progress, Runnable measured) {
        Dataset data = BenchData.load(s.data(), s.limit(), s.seed());
        String dataSource = BenchData.resolve(s.data());
        BenchTable table = new BenchTable();
        for (int t : s.threads()) {
            try (Backend backend = Devices.open(s.device(), s.tf32(), t)) {
                boolean cuda = s.device().equals("cuda");
                for (BenchCase c : s.cases()) {
                    int steps = s.steps() > 0 ? s.steps() : defaultSteps(c.batchSize(), cuda);
                    int warmup = s.warmup() > 0 ? s.warmup() : Math.max(3, steps / 5);
                    int profile = s.profileSteps() >= 0 ? s.profileSteps() : Math.max(3, steps / 4);
                    StepFloors.Measured floors = StepFloors.of(c).measure(backend,
                            cuda ? CUDA_COPY_ELEMENTS : CPU_COPY_ELEMENTS, cuda ? 20 : 5);
                    progress.accept(c.label() + " floors: " + floors.describe());
                    for (String mode : s.peerModes()) {
                        table.add(measure(backend, data, dataSource, c, t, mode, warmup, steps, profile, floors,
                                progress, measured));
                    }
                }
            }
        }
        return table;
    }

    private BenchTable.Row measure(Backend backend, Dataset data, String dataSource, BenchCase c, int threads,
            String mode, int warmup, int steps, int profile, StepFloors.Measured floors, Consumer<String> progress,
            Runnable measured) {
        List<StepBench.Result> ours = new ArrayList<>();
        List<TorchPeer.Result> theirs = new ArrayList<>();
        double[] ratios = new double[s.repeats()];
        // One peer process per configuration and mode: its set-up (and torch.compile) is paid once, before the
        // first repeat, and each repeat then times the same loop again right after Ravine's. A peer that fails (no
        // torch, a compiler error) costs its own column, not the rest of the table: the row keeps Ravine's side.
        String peerFailure = null;
        TorchPeer.Session peer = null;
        try {
            if (s.peer() != null) {
                try {
                    peer = s.peer().open(c, s.device(), mode, threads, dataSource, s.limit(), warmup);
                } catch (InvalidInputException e) {
                    peerFailure = e.getMessage();
                }
            }
            for (int r = 0; r < s.repeats(); r++) {
                // The profile runs once (first repeat): it is slower by design and only its shares are used.
                StepBench.Result rv = StepBench.run(backend, data, c, warmup, steps, r == 0 ? profile : 0,
                        s.cudaGraph(), s.seed());
                ours.add(rv);
                TorchPeer.Result pt = null;
                if (peer != null) {
                    try {
                        pt = peer.measure(warmup, steps, r == 0 && s.device().equals("cuda"));
                        theirs.add(pt);
                    } catch (InvalidInputException e) {
                        peerFailure = e.getMessage();
                        peer.close();
                        peer = null;
                    }
                }
                ratios[r] = pt == null ? Double.NaN : rv.samplesPerSecond() / pt.samplesPerSecond();
                progress.accept(String.format(java.util.Locale.ROOT, "%s, %s, %d threads, round %d of %d: Ravine"
                        + " %.0f samples/s, PyTorch %s %s samples/s", c.label(), s.device(), threads, r + 1,
                        s.repeats(),
                        rv.samplesPerSecond(), mode, pt == null ? "–" : String.format(java.util.Locale.ROOT,
                                "%.0f", pt.samplesPerSecond())));
                measured.run();
            }
        } finally {
            if (peer != null) {
                peer.close();
            }
        }
        if (peerFailure != null) {
            progress.accept(peerFailure);
            peerFailures.add(peerFailure);
        }
        StepBench.Result first = ours.get(0);
        double medianSps = median(ours.stream().mapToDouble(StepBench.Result::samplesPerSecond).toArray());
        double medianMs = median(ours.stream().mapToDouble(StepBench.Result::msPerStep).toArray());
        StepBench.Result ravine = new StepBench.Result(medianSps, medianMs, first.timedSteps(), first.phaseMs(),
                first.profiledMsPerStep(), first.launchesPerStep(), first.operationMs(), first.device(),
                ours.stream().mapToLong(StepBench.Result::stagingWaits).max().orElse(-1));
        TorchPeer.Result torch;
        if (theirs.isEmpty()) {
            torch = new TorchPeer.Result(Double.NaN, Double.NaN, threads, "–", "–", mode, Map.of(), Double.NaN);
        } else {
            TorchPeer.Result p0 = theirs.get(0);
            torch = new TorchPeer.Result(
                    median(theirs.stream().mapToDouble(TorchPeer.Result::samplesPerSecond).toArray()),
                    median(theirs.stream().mapToDouble(TorchPeer.Result::msPerStep).toArray()), p0.threads(),
                    p0.version(), p0.device(), p0.mode(), p0.kernelMs(), p0.gapsMs());
        }
        String peerLabel = peerFailure != null ? "torch " + mode + " FAILED"
                : theirs.isEmpty() ? "none" : "torch " + torch.version() + " " + mode;
        return new BenchTable.Row(c, s.device(), threads, peerLabel, ravine, torch, median(ratios), floors);
    }

    static double median(double[] v) {
        double[] a = Arrays.stream(v).filter(x -> !Double.isNaN(x)).sorted().toArray();
        if (a.length == 0) {
            return Double.NaN;
        }
        return a.length % 2 == 1 ? a[a.length / 2] : 0.5 * (a[a.length / 2 - 1] + a[a.length / 2]);
    }
}
