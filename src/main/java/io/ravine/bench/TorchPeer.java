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
import java.util.concurrent.TimeUnit;

/**
 * The PyTorch side of a benchmark: runs {@code bench/torch_bench.py} in a Python that has torch and reads the JSON
 * object it prints on its last line.
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

    /** Runs one configuration; fails with the script's own error output when it exits non-zero. */
    public Result run(BenchCase c, String device, String mode, int threads, String data, int limit, int warmup,
            int steps, boolean profile) {
        List<String> cmd = new ArrayList<>(List.of(python, script.toString(), "--device", device, "--mode", mode,
                "--widths", c.model(), "--batch-size", Integer.toString(c.batchSize()), "--warmup",
                Integer.toString(warmup), "--steps", Integer.toString(steps), "--data", data, "--limit",
                Integer.toString(limit)));
        if (threads > 0) {
            cmd.add("--threads");
            cmd.add(Integer.toString(threads));
        }
        if (profile) {
            cmd.add("--profile");
        }
        String out;
        String err;
        int status;
        try {
            Path errFile = Files.createTempFile("ravine-torch-peer", ".err");
            try {
                Process p = new ProcessBuilder(cmd).redirectError(errFile.toFile()).start();
                out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(30, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("PyTorch peer did not finish in 30 minutes: " + cmd);
                }
                status = p.exitValue();
                err = Files.readString(errFile, StandardCharsets.UTF_8);
            } finally {
                Files.deleteIfExists(errFile);
            }
        } catch (IOException e) {
            throw new InvalidInputException("cannot run the PyTorch peer with '" + python + "': " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the PyTorch peer", e);
        }
        String last = out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElse(null);
        if (status != 0 || last == null) {
            String tail = err.lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("no output");
            throw new InvalidInputException("PyTorch peer failed for " + c.label() + " (" + device + ", " + mode
                    + ", exit " + status + "): " + tail);
        }
        return parse(last);
    }

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
