package io.ravine.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The PyTorch side of a benchmark: runs {@code bench/torch_bench.py} in a Python that has torch, as a process that
 * sets up once and answers measurement requests, and reads the JSON line it prints for each.
 */
public final class TorchPeer {
    private final String python;
    private final Path script;

    /**
     * @param python the interpreter (Debian's python3-torch lives at /usr/bin/python3)
     * @param script bench/torch_bench.py
     */
    public TorchPeer(String python, Path script) {
        if (!Files.isRegularFile(script)) {
            throw new InvalidInputException("PyTorch peer script " + script + " not found (pass --torch-script)");
        }
        this.python = python;
        this.script = script;
    }

    /** The script next to the working directory or next to the jar's directory, whichever exists first. */
    public static Path defaultScript() {
        Path here = Path.of("bench", "torch_bench.py");
        if (Files.isRegularFile(here)) {
            return here;
        }
        try {
            Path jar = Path.of(TorchPeer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path dir = jar.getParent(); dir != null; dir = dir.getParent()) {
                Path candidate = dir.resolve("bench").resolve("torch_bench.py");
                if (Files.isRegularFile(candidate)) {
                    return candidate;
                }
            }
        } catch (java.net.URISyntaxException | SecurityException | NullPointerException e) {
            // fall through to the relative path, which the constructor reports as missing
        }
        return here;
    }

    /**
     * @param samplesPerSecond examples per second over the timed steps
     * @param msPerStep wall milliseconds per step
     * @param threads PyTorch's thread count as it reports it
     * @param version torch.__version__
     * @param device "cpu" or the GPU's name
     * @param mode eager or compile
     * @param kernelMs on CUDA with profiling: per step, milliseconds of GEMM, elementwise and optimizer kernels
     * @param gapsMs on CUDA with profiling: step time not covered by kernels (launches and gaps), else NaN
     */
    public record Result(double samplesPerSecond, double msPerStep, int threads, String version, String device,
            String mode, Map<String, Double> kernelMs, double gapsMs) {
    }

    /**
     * Runs one configuration once in a fresh process; fails with the script's own error output when it exits
     * non-zero.
     */
    public Result run(BenchCase c, String device, String mode, int threads, String data, int limit, int warmup,
            int steps, boolean profile) {
        try (Session s = open(c, device, mode, threads, data, limit, warmup)) {
            return s.measure(0, steps, profile);
        }
    }

    /**
     * Starts the peer for one configuration and mode ({@code --serve}): it loads the data, builds the model, and in
     * compile mode compiles and records its graphs, once; each {@link Session#measure} then times more steps of the
     * same training loop. Repeats that alternate with Ravine thus pay torch.compile's start-up once, not per repeat.
     */
    public Session open(BenchCase c, String device, String mode, int threads, String data, int limit, int warmup) {
        List<String> cmd = new ArrayList<>(List.of(python, script.toString(), "--serve", "--device", device,
                "--mode", mode, "--widths", c.model(), "--batch-size", Integer.toString(c.batchSize()), "--warmup",
                Integer.toString(warmup), "--data", data, "--limit", Integer.toString(limit)));
        if (threads > 0) {
            cmd.add("--threads");
            cmd.add(Integer.toString(threads));
        }
        return new Session(cmd, c.label() + " (" + device + ", " + mode + ")");
    }

    /** A running peer process; {@link #close} ends it. */
    public final class Session implements AutoCloseable {
        private static final long TIMEOUT_MINUTES = 30;
        private final Process process;
        private final Path errFile;
        private final String label;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final java.io.Writer requests;

        private Session(List<String> cmd, String label) {
            this.label = label;
            try {
                errFile = Files.createTempFile("ravine-torch-peer", ".err");
                process = new ProcessBuilder(cmd).redirectError(errFile.toFile()).start();
            } catch (IOException e) {
                throw new InvalidInputException("cannot run the PyTorch peer with '" + python + "': "
                        + e.getMessage());
            }
            requests = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            Thread reader = new Thread(() -> {
                try (java.io.BufferedReader r = new java.io.BufferedReader(
                        new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // The process ended; next() reports its exit status and error output.
                }
                lines.add(END);
            }, "torch-peer-stdout");
            reader.setDaemon(true);
            reader.start();
            JsonObject ready = JsonParser.parseString(next()).getAsJsonObject();
            if (!ready.has("ready")) {
                throw fail("unexpected first line " + ready);
            }
        }

        /** Times {@code steps} more steps after {@code warmup} untimed ones; {@code profile} adds the CUDA split. */
        public Result measure(int warmup, int steps, boolean profile) {
            try {
                requests.write("measure " + warmup + " " + steps + " " + (profile ? 1 : 0) + "\n");
                requests.flush();
            } catch (IOException e) {
                throw fail("it stopped reading requests");
            }
            return parse(next());
        }

        /** The next JSON line of the peer's output (other lines are skipped), or the peer's error as one line. */
        private String next() {
            while (true) {
                String line;
                try {
                    line = lines.poll(TIMEOUT_MINUTES, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the PyTorch peer", e);
                }
                if (line == null) {
                    process.destroyForcibly();
                    throw new IllegalStateException("PyTorch peer did not answer in " + TIMEOUT_MINUTES
                            + " minutes: " + label);
                }
                if (line == END) {
                    throw fail(null);
                }
                if (line.startsWith("{")) {
                    return line;
                }
            }
        }

        private RuntimeException fail(String what) {
            int status;
            try {
                status = process.waitFor(10, TimeUnit.SECONDS) ? process.exitValue() : -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                status = -1;
            }
            String tail;
            try {
                tail = Files.readString(errFile, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank())
                        .reduce((a, b) -> b).orElse("no output");
            } catch (IOException e) {
                tail = "no output";
            }
            return new InvalidInputException("PyTorch peer failed for " + label + " (exit " + status + "): "
                    + (what != null ? what : tail));
        }

        @Override
        public void close() {
            try {
                requests.write("quit\n");
                requests.close();
            } catch (IOException e) {
                // Already gone.
            }
            try {
                if (!process.waitFor(1, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
            try {
                Files.deleteIfExists(errFile);
            } catch (IOException e) {
                // A temporary file left behind is harmless.
            }
        }
    }

    /** Marks the end of the peer's output in the line queue (compared by identity). */
    @SuppressWarnings("StringOperationCanBeSimplified")
    private static final String END = new String("<end of output>");

    /** Reads the script's JSON line. */
    static Result parse(String json) {
        JsonObject o = JsonParser.parseString(json).getAsJsonObject();
        Map<String, Double> kernels = new LinkedHashMap<>();
        if (o.has("kernel_ms_per_step")) {
            o.getAsJsonObject("kernel_ms_per_step").entrySet()
                    .forEach(e -> kernels.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue().getAsDouble()));
        }
        return new Result(o.get("samples_per_second").getAsDouble(), o.get("ms_per_step").getAsDouble(),
                o.get("threads").getAsInt(), o.get("torch_version").getAsString(), o.get("device").getAsString(),
                o.get("mode").getAsString(), kernels,
                o.has("gaps_ms_per_step") ? o.get("gaps_ms_per_step").getAsDouble() : Double.NaN);
    }
}
