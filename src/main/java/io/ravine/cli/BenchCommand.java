package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.backend.Devices;
import io.ravine.bench.BenchCase;
import io.ravine.bench.BenchData;
import io.ravine.bench.BenchTable;
import io.ravine.bench.Benchmark;
import io.ravine.bench.TorchPeer;
import io.ravine.data.SyntheticData;
import io.ravine.io.AtomicFiles;
import io.ravine.io.ProgressLine;
import io.ravine.io.Terminal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ravine bench}: trains the same model, data, optimizer and batch size in Ravine and in PyTorch back to back
 * and prints one table (samples/s of each, their ratio, Ravine's time per step and where it goes).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Speed against PyTorch on the same machine: Adam on ReLU MLPs with softmax CE, samples/s and"
                + " ratio, with Ravine's per-step breakdown (GEMM, elementwise, optimizer, data, other).")
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--device", description = "auto (default: cuda where a driver and a GPU are found, else cpu), cpu"
            + " or cuda")
    String device = "auto";

    @Option(names = "--hidden", paramLabel = "WIDTHS", description = "hidden widths of one model, e.g. 1024,1024;"
            + " repeat the flag for more models (--hidden 256 --hidden 1024,1024); inputs and classes come from the"
            + " data (784 and 10). Cases are every model at every --batch-size (default: with neither flag, 256 at"
            + " B=128 and 1024,1024 at B=1024 on cpu, both at 128, 1024 and 8192 on cuda; else the models 256 and"
            + " 1024,1024)")
    List<String> hidden;

    @Option(names = "--batch-size", paramLabel = "LIST", description = "batch sizes, a comma list (default: see"
            + " --hidden; with --hidden alone, 128,1024 on cpu and 128,1024,8192 on cuda)")
    String batchSizes;

    @Option(names = "--threads", description = "CPU thread counts to run, for both Ravine (OpenBLAS and elementwise)"
            + " and PyTorch (default 1,2; cpu only)")
    String threads = "1,2";

    @Option(names = "--data", description = "auto (default: Fashion-MNIST where installed, else synthetic of the"
            + " same shapes), fashion-mnist, synthetic")
    String data = "auto";

    @Option(names = "--limit", description = "use only the first N training examples")
    int limit;

    @Option(names = "--timed-steps", paramLabel = "N", description = "timed steps per measurement (default by batch"
            + " size: cpu 400, 40, 15 up to 256, 2048, beyond; cuda 2000, 500, 100)")
    int steps;

    @Option(names = "--warmup-steps", paramLabel = "N", description = "untimed steps before each measurement"
            + " (default a fifth of --timed-steps, at least 3)")
    int warmup;

    @Option(names = "--profile-steps", description = "steps of Ravine's per-phase profile (default a quarter of"
            + " --timed-steps, at least 3; 0 = off)")
    int profileSteps = -1;

    @Option(names = "--rounds", paramLabel = "N", description = "alternating Ravine/PyTorch rounds; medians are"
            + " reported (default 3)")
    int repeats = 3;

    @Option(names = "--peer", description = "torch (default) or none")
    String peer = "torch";

    @Option(names = "--peer-modes", description = "PyTorch modes (default cpu: eager; cuda: eager,compile)")
    String peerModes;

    @Option(names = "--python", description = "Python with torch (default /usr/bin/python3 where present)")
    String python;

    @Option(names = "--torch-script", description = "the PyTorch peer script (default bench/torch_bench.py)")
    Path torchScript;

    @Option(names = "--cuda-graph", description = "on (default) or off: replay Ravine's step as a CUDA graph")
    String cudaGraph = "on";

    @Option(names = "--tf32", description = "allow TF32 tensor-core matrix products on CUDA")
    boolean tf32;

    @Option(names = "--seed", description = "seed of θ and the batch order (default 1)")
    long seed = 1;

    @Option(names = "--out", paramLabel = "FILE", description = "also write the table (Markdown, with the run's"
            + " context) to this file")
    Path out;

    @Option(names = "--overwrite", description = "replace --out if it exists")
    boolean overwrite;

    @CommandLine.Mixin
    ProgressFlag progress = new ProgressFlag();

    /** The device --device stands for here (cpu or cuda), once resolved. */
    private String resolved;

    /** The default models when --hidden is not given: the two speed targets' hidden widths. */
    static final List<String> DEFAULT_HIDDEN = List.of("256", "1024,1024");

    @Override
    public Integer call() {
        if (!device.equals("auto") && !device.equals("cpu") && !device.equals("cuda")) {
            throw new InvalidInputException("--device must be auto, cpu or cuda, not '" + device + "'");
        }
        progress.check();
        // Every flag is checked before auto is resolved, so that a bad one is one line on any machine.
        if (hidden != null) {
            hidden.forEach(TrainingFlags::parseHidden);
        }
        if (batchSizes != null) {
            parseBatchSizes(batchSizes);
        }
        if (!device.equals("cuda")) {
            parseThreads(threads);
        }
        if (peerModes != null) {
            modes(peerModes);
        }
        if (repeats < 1) {
            throw new InvalidInputException("--rounds must be positive, got " + repeats);
        }
        if (steps < 0) {
            throw new InvalidInputException("--timed-steps must be ≥ 0 (0 = the default by batch size), got "
                    + steps);
        }
        if (warmup < 0) {
            throw new InvalidInputException("--warmup-steps must be ≥ 0 (0 = the default), got " + warmup);
        }
        if (limit < 0) {
            throw new InvalidInputException("--limit must be ≥ 0 (0 = all), got " + limit);
        }
        if (profileSteps < -1) {
            throw new InvalidInputException("--profile-steps must be ≥ 0 (0 = off), got " + profileSteps);
        }
        TorchPeer torch = switch (peer) {
            case "torch" -> new TorchPeer(python != null ? python : defaultPython(),
                    torchScript != null ? torchScript : TorchPeer.defaultScript());
            case "none" -> null;
            default -> throw new InvalidInputException("--peer must be torch or none, not '" + peer + "'");
        };
        BenchData.resolve(data); // rejects a bad --data before anything runs
        if (out != null) {
            // The table is written after minutes of measurements: a place it cannot go is refused before them.
            OutputFileFlags.check(out, overwrite);
        } else if (overwrite) {
            throw new InvalidInputException("--overwrite replaces the --out file: give --out FILE, or drop"
                    + " --overwrite");
        }
        // Every flag checked: now auto becomes a device (and the device's defaults apply).
        resolved = Devices.resolve(device);
        boolean cuda = resolved.equals("cuda");
        List<BenchCase> cases = cases(hidden, batchSizes, cuda);
        int[] threadCounts = cuda ? new int[] {0} : parseThreads(threads);
        List<String> modes = modes(peerModes == null ? (cuda ? "eager,compile" : "eager") : peerModes);
        List<String> peerModesRun = torch == null ? List.of("eager") : modes;
        Benchmark.Settings settings = new Benchmark.Settings(resolved, cases, threadCounts, peerModesRun, data, limit,
                warmup, steps, profileSteps, repeats, TrainingFlags.parseOnOff("--cuda-graph", cudaGraph), tf32, torch,
                seed);
        String loadBefore = loadAverage();
        Benchmark benchmark = new Benchmark(settings);
        long measurements = (long) threadCounts.length * cases.size() * peerModesRun.size() * repeats;
        BenchTable table;
        // The measurement lines on stderr as they come (not under --quiet); with the progress line, above it.
        try (ProgressLine bar = progress.choice().orElseGet(Terminal::stderrIsTerminal)
                ? ProgressLine.onStderr("measurement", measurements, 0) : null) {
            long[] done = {0};
            table = benchmark.run(line -> {
                if (bar != null) {
                    bar.clear();
                }
                if (!Main.quiet()) {
                    System.err.println("bench: " + line);
                }
                if (bar != null) {
                    bar.update(done[0]);
                }
            }, () -> {
                done[0]++;
                if (bar != null) {
                    bar.update(done[0]);
                }
            });
        }
        String context = context(loadBefore);
        System.out.println(context);
        System.out.println(table.toMarkdown());
        System.out.println(table.floorsTable());
        System.out.println(table.operationBreakdown());
        if (out != null) {
            try {
                AtomicFiles.writeString(out, context + "\n" + table.toMarkdown() + "\n" + table.floorsTable() + "\n"
                        + table.operationBreakdown());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + out, e);
            }
        }
        List<String> failures = benchmark.peerFailures();
        if (!failures.isEmpty()) {
            System.err.println("ravine: the PyTorch peer failed in " + failures.size() + " of " + table.rows().size()
                    + " measurements (first: " + failures.get(0) + "); their rows keep Ravine's side");
            return 1;
        }
        return 0;
    }

    /**
     * The cases: every model of {@code hidden} (784 inputs and 10 classes, the data's) at every batch size of
     * {@code batchSizes}; with neither given, the device's default cases ({@link BenchCase#cpuDefaults},
     * {@link BenchCase#gpuDefaults}).
     */
    static List<BenchCase> cases(List<String> hidden, String batchSizes, boolean cuda) {
        if (hidden == null && batchSizes == null) {
            return cuda ? BenchCase.gpuDefaults() : BenchCase.cpuDefaults();
        }
        int[] sizes = batchSizes != null ? parseBatchSizes(batchSizes) : cuda ? new int[] {128, 1024, 8192}
                : new int[] {128, 1024};
        List<BenchCase> cases = new ArrayList<>();
        for (String h : hidden != null ? hidden : DEFAULT_HIDDEN) {
            int[] widths = TrainingFlags.parseHidden(h);
            int[] all = new int[widths.length + 2];
            all[0] = SyntheticData.FEATURES;
            System.arraycopy(widths, 0, all, 1, widths.length);
            all[all.length - 1] = SyntheticData.CLASSES;
            for (int b : sizes) {
                BenchCase c = new BenchCase(all, b);
                if (!cases.contains(c)) {
                    cases.add(c);
                }
            }
        }
        return cases;
    }

    /** The PyTorch modes of {@code spec} (eager, compile), checked. */
    static List<String> modes(String spec) {
        List<String> modes = Arrays.stream(spec.split(",")).map(String::trim).filter(m -> !m.isEmpty()).toList();
        for (String m : modes) {
            if (!m.equals("eager") && !m.equals("compile")) {
                throw new InvalidInputException("--peer-modes takes eager and compile, not '" + m + "'");
            }
        }
        if (modes.isEmpty()) {
            throw new InvalidInputException("--peer-modes is empty");
        }
        return modes;
    }

    static int[] parseBatchSizes(String spec) {
        try {
            int[] b = Arrays.stream(spec.split(",", -1)).map(String::trim).mapToInt(Integer::parseInt).toArray();
            if (b.length == 0 || Arrays.stream(b).anyMatch(x -> x <= 0)) {
                throw new NumberFormatException();
            }
            return b;
        } catch (NumberFormatException e) {
            throw new InvalidInputException("--batch-size must be a list of positive integers such as 128,1024, not '"
                    + spec + "'");
        }
    }

    static int[] parseThreads(String spec) {
        try {
            int[] t = Arrays.stream(spec.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                    .mapToInt(Integer::parseInt).toArray();
            if (t.length == 0 || Arrays.stream(t).anyMatch(x -> x <= 0 || x > Devices.MAX_THREADS)) {
                throw new NumberFormatException();
            }
            return t;
        } catch (NumberFormatException e) {
            throw new InvalidInputException("--threads must be a list of integers from 1 to " + Devices.MAX_THREADS
                    + " such as 1,2, not '" + spec + "'");
        }
    }

    private static String defaultPython() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    /** Date, machine, load and the environment variables that change OpenBLAS's speed, for the record. */
    private String context(String loadBefore) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "ravine bench --device %s (%s), data %s%s; %s%n", resolved,
                LocalDate.now(), BenchData.resolve(data), limit > 0 ? " (first " + limit + ")" : "",
                cpuModel()));
        sb.append(String.format(Locale.ROOT, "java %s; OPENBLAS_CORETYPE=%s; load average before %s, after %s%n",
                System.getProperty("java.version"), System.getenv().getOrDefault("OPENBLAS_CORETYPE", "(unset)"),
                loadBefore, loadAverage()));
        return sb.toString();
    }

    private static String cpuModel() {
        try {
            String model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse("unknown CPU");
            return Runtime.getRuntime().availableProcessors() + " cores, " + model;
        } catch (IOException e) {
            return Runtime.getRuntime().availableProcessors() + " cores";
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
            return "unknown";
        }
    }
}
