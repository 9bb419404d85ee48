package io.ravine.cli;

import io.ravine.InvalidInputException;
import io.ravine.backend.Devices;
import io.ravine.bench.BenchCase;
import io.ravine.bench.BenchData;
import io.ravine.bench.BenchTable;
import io.ravine.bench.Benchmark;
import io.ravine.bench.TorchPeer;
import io.ravine.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
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

    @Option(names = "--device", description = "cpu (default) or cuda")
    String device = "cpu";

    @Option(names = "--configs", description = "WIDTHS:BATCH list (default cpu: 784-256-10:128,"
            + "784-1024-1024-10:1024; cuda: both models at 128, 1024, 8192)")
    String configs;

    @Option(names = "--threads", description = "CPU thread counts to run, for both Ravine (OpenBLAS and elementwise)"
            + " and PyTorch (default 1,2)")
    String threads = "1,2";

    @Option(names = "--data", description = "auto (default: Fashion-MNIST where installed, else synthetic of the"
            + " same shapes), fashion-mnist, synthetic")
    String data = "auto";

    @Option(names = "--limit", description = "use only the first N training examples")
    int limit;

    @Option(names = "--steps", description = "timed steps per measurement (default by batch size: cpu 400, 40, 15;"
            + " cuda 2000, 500, 100)")
    int steps;

    @Option(names = "--warmup", description = "untimed steps before each measurement (default steps/5)")
    int warmup;

    @Option(names = "--profile-steps", description = "steps of Ravine's per-phase profile (default steps/4, 0 = off)")
    int profileSteps = -1;

    @Option(names = "--repeats", description = "alternating Ravine/PyTorch repeats; medians are reported (default 3)")
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

    @Option(names = "--out", description = "also write the table (Markdown, with the run's context) to this file")
    Path out;

    @Override
    public Integer call() {
        if (!device.equals("cpu") && !device.equals("cuda")) {
            throw new InvalidInputException("--device must be cpu or cuda, not '" + device + "'");
        }
        boolean cuda = device.equals("cuda");
        List<BenchCase> cases = configs == null ? (cuda ? BenchCase.gpuDefaults() : BenchCase.cpuDefaults())
                : BenchCase.parseList(configs);
        int[] threadCounts = cuda ? new int[] {0} : parseThreads(threads);
        List<String> modes = Arrays.stream((peerModes == null ? (cuda ? "eager,compile" : "eager") : peerModes)
                .split(",")).map(String::trim).filter(m -> !m.isEmpty()).toList();
        for (String m : modes) {
            if (!m.equals("eager") && !m.equals("compile")) {
                throw new InvalidInputException("--peer-modes takes eager and compile, not '" + m + "'");
            }
        }
        if (modes.isEmpty()) {
            throw new InvalidInputException("--peer-modes is empty");
        }
        if (repeats < 1) {
            throw new InvalidInputException("--repeats must be positive, got " + repeats);
        }
        if (steps < 0) {
            throw new InvalidInputException("--steps must be ≥ 0 (0 = the default by batch size), got " + steps);
        }
        if (warmup < 0) {
            throw new InvalidInputException("--warmup must be ≥ 0, got " + warmup);
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
            OutputCheck.requireWritableFile("--out", out);
        }
        Benchmark.Settings settings = new Benchmark.Settings(device, cases, threadCounts,
                torch == null ? List.of("eager") : modes, data, limit, warmup, steps, profileSteps, repeats,
                TrainingFlags.parseOnOff("--cuda-graph", cudaGraph), tf32, torch, seed);
        String loadBefore = loadAverage();
        Benchmark benchmark = new Benchmark(settings);
        BenchTable table = benchmark.run(line -> System.err.println("bench: " + line));
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
        sb.append(String.format(Locale.ROOT, "ravine bench --device %s (%s), data %s%s; %s%n", device,
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
