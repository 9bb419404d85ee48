package io.ravine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.cli.BenchCommand;
import io.ravine.data.Dataset;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The harness on tiny configurations: it runs, its table is well formed, bad input is one line. No timings. */
class BenchHarnessTest {

    private static final Dataset TINY = BenchData.synthetic(256, 784, 10, 1);

    @Test
    void configurationsParseAndBadOnesAreRejected() {
        BenchCase c = BenchCase.parse("784-1024-1024-10:1024");
        assertEquals("784-1024-1024-10 B=1024", c.label());
        assertEquals(784, c.inputDim());
        assertEquals(10, c.outputDim());
        assertEquals(2, c.hiddenWidths().length);
        assertEquals(List.of(BenchCase.parse("784-256-10:128"), c), BenchCase.cpuDefaults());
        assertEquals(6, BenchCase.gpuDefaults().size());
        for (String bad : new String[] {"784-256-10", "784-x-10:128", "784-256-10:0", "784:128", "784-0-10:5"}) {
            assertThrows(InvalidInputException.class, () -> BenchCase.parse(bad), bad);
        }
    }

    @Test
    void theStepLoopRunsAndItsProfileAccountsForEveryPhase() {
        StepBench.Result r = StepBench.run(CpuBackend.f32(), TINY, BenchCase.parse("784-32-10:64"), 2, 5, 4, true, 3);
        assertTrue(r.samplesPerSecond() > 0 && Double.isFinite(r.samplesPerSecond()));
        assertEquals(5, r.timedSteps());
        assertEquals(Phase.values().length, r.phaseMs().size());
        r.phaseMs().values().forEach(ms -> assertTrue(ms >= 0));
        // One step of a 2-layer MLP issues: 2 forward GEMMs, 2 bias+activation, the loss, 2 weight-gradient GEMMs,
        // 2 column sums, 1 input-gradient GEMM, 1 activation backward, the optimizer: 12 operations.
        assertEquals(12.0, r.launchesPerStep());
        assertTrue(r.operationMs().containsKey("gemm") && r.operationMs().containsKey("optimizerStep"));
    }

    @Test
    void theStepLoopRejectsDataThatDoesNotFitTheModel() {
        assertThrows(InvalidInputException.class, () -> StepBench.run(CpuBackend.f32(), TINY,
                BenchCase.parse("100-10:8"), 1, 1, 0, false, 1));
        assertThrows(InvalidInputException.class, () -> StepBench.run(CpuBackend.f32(), TINY,
                BenchCase.parse("784-10:512"), 1, 1, 0, false, 1));
    }

    @Test
    void theTableHasOneWellFormedRowPerMeasurement() {
        BenchTable table = new BenchTable();
        StepBench.Result rv = StepBench.run(CpuBackend.f32(), TINY, BenchCase.parse("784-16-10:32"), 1, 3, 2, false, 1);
        TorchPeer.Result pt = TorchPeer.parse("{\"samples_per_second\": 1000.0, \"ms_per_step\": 32.0,"
                + " \"threads\": 1, \"torch_version\": \"1.13\", \"device\": \"cpu\", \"mode\": \"eager\"}");
        table.add(new BenchTable.Row(BenchCase.parse("784-16-10:32"), "cpu", 1, "torch 1.13 eager", rv, pt,
                rv.samplesPerSecond() / pt.samplesPerSecond(), null));
        table.add(new BenchTable.Row(BenchCase.parse("784-16-10:32"), "cpu", 2, "torch 1.13 eager", rv, pt, 2.5,
                null));
        List<String> lines = table.toMarkdown().lines().toList();
        assertEquals(BenchTable.HEADER, lines.get(0));
        assertEquals(4, lines.size());
        int columns = columns(BenchTable.HEADER);
        assertEquals(13, columns);
        for (String l : lines) {
            assertEquals(columns, columns(l), l);
        }
        assertTrue(lines.get(3).contains("| 1000 |") && lines.get(3).contains("| 2.50× |"), lines.get(3));
        assertTrue(table.operationBreakdown().contains("gemm"));
        assertEquals("", table.floorsTable());
    }

    @Test
    void theFloorsCountTheStepsProductsAndBytes() {
        BenchCase c = BenchCase.parse("784-1024-1024-10:128");
        StepFloors f = StepFloors.of(c);
        // 3 forward products, 3 weight gradients, 2 input gradients (none for the first layer's input).
        assertEquals(8, f.gemms().size());
        // FLOPs: forward + weight gradient is 2·2·B·in·out per layer, the input gradient another 2·B·in·out for
        // every layer but the first: 2·B·(3·Σ in·out − w₀·w₁).
        double weights = 784.0 * 1024 + 1024.0 * 1024 + 1024.0 * 10;
        double expected = 2.0 * 128 * (3 * weights - 784.0 * 1024);
        assertEquals(expected, f.gemms().stream().mapToDouble(StepFloors.Gemm::flops).sum(), 1e-6 * expected);
        // Bytes grow linearly in B; what does not grow with B is Adam's 28 bytes and the guard's 4 per parameter,
        // plus the bias read and the bias-gradient write (4 bytes each per output unit).
        long b1 = StepFloors.of(BenchCase.parse("784-1024-1024-10:128")).deviceBytes();
        long b2 = StepFloors.of(BenchCase.parse("784-1024-1024-10:256")).deviceBytes();
        long b3 = StepFloors.of(BenchCase.parse("784-1024-1024-10:384")).deviceBytes();
        assertEquals(b2 - b1, b3 - b2);
        long params = (long) weights + 1024 + 1024 + 10;
        assertEquals(32 * params + 8 * (1024 + 1024 + 10), b1 - (b2 - b1));
        assertEquals(4L * 128 * 785, f.hostToDeviceBytes());
    }

    @Test
    void theFloorsAreMeasuredAndTabledOnTheCpu() {
        BenchCase c = BenchCase.parse("784-16-10:32");
        StepFloors.Measured m = StepFloors.of(c).measure(CpuBackend.f32(), 1 << 16, 2);
        assertEquals(StepFloors.of(c).gemms().size(), m.gemmMs().length);
        for (double ms : m.gemmMs()) {
            assertTrue(ms > 0 && Double.isFinite(ms), "gemm " + ms);
        }
        assertTrue(m.copyGBps() > 0 && Double.isFinite(m.copyGBps()));
        assertTrue(m.hostToDeviceGBps() > 0 && Double.isFinite(m.hostToDeviceGBps()));
        assertEquals(m.gemmFloorMs() + m.deviceBytesMs() + m.hostToDeviceMs(), m.floorMs(), 1e-12);
        StepBench.Result rv = StepBench.run(CpuBackend.f32(), TINY, c, 1, 3, 0, false, 1);
        BenchTable table = new BenchTable();
        TorchPeer.Result none = new TorchPeer.Result(Double.NaN, Double.NaN, 1, "–", "–", "eager", Map.of(),
                Double.NaN);
        table.add(new BenchTable.Row(c, "cpu", 1, "none", rv, none, Double.NaN, m));
        table.add(new BenchTable.Row(c, "cpu", 1, "none", rv, none, Double.NaN, m)); // a second peer mode
        List<String> lines = table.floorsTable().lines().toList();
        assertEquals(3, lines.size(), table.floorsTable()); // header, rule, one row per configuration
        assertEquals(columns(lines.get(0)), columns(lines.get(2)));
        assertTrue(lines.get(2).startsWith("| 784-16-10 B=32 | cpu | 1 |"), lines.get(2));
    }

    @Test
    void thePeersJsonLineIsReadWithItsKernelBreakdown() {
        TorchPeer.Result r = TorchPeer.parse("{\"samples_per_second\": 5e5, \"ms_per_step\": 0.256, \"threads\": 16,"
                + " \"torch_version\": \"2.5.1\", \"device\": \"NVIDIA H100\", \"mode\": \"compile\","
                + " \"kernel_ms_per_step\": {\"gemm\": 0.1, \"elementwise\": 0.05, \"optimizer\": 0.02},"
                + " \"gaps_ms_per_step\": 0.086}");
        assertEquals(5e5, r.samplesPerSecond());
        assertEquals(Map.of("gemm", 0.1, "elementwise", 0.05, "optimizer", 0.02), r.kernelMs());
        assertEquals(0.086, r.gapsMs());
        assertEquals("compile", r.mode());
    }

    private static int columns(String markdownRow) {
        return (int) markdownRow.chars().filter(ch -> ch == '|').count() - 1;
    }

    private static String[] runCommand(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine cli = new CommandLine(new BenchCommand());
            cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
                System.err.println("ravine: " + ex.getMessage());
                return 2;
            });
            int status = cli.execute(args);
            return new String[] {Integer.toString(status), out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void theCommandPrintsAndWritesTheTableWithoutAPeer(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bench.md");
        String[] r = runCommand("--device", "cpu", "--peer", "none", "--data", "synthetic", "--limit", "300",
                "--hidden", "8", "--hidden", "8,8", "--batch-size", "50", "--threads", "1,2", "--timed-steps", "3",
                "--warmup-steps", "1", "--rounds", "2", "--out", out.toString());
        assertEquals("0", r[0], r[2]);
        List<String> rows = r[1].lines().filter(l -> l.startsWith("| 784-") && l.contains("| none |")).toList();
        assertEquals(4, rows.size(), r[1]);
        // The floors table: one line per configuration and thread count.
        assertEquals(4, r[1].lines().filter(l -> l.startsWith("| 784-") && l.endsWith("× |")
                && !l.contains("| none |")).count(), r[1]);
        assertTrue(rows.stream().allMatch(l -> columns(l) == 13 && l.contains("| none |")), r[1]);
        assertTrue(Files.readString(out).contains(BenchTable.HEADER));
    }

    @Test
    void aFailingPeerModeCostsItsColumnNotTheTable(@TempDir Path dir) throws Exception {
        // A stand-in for torch_bench.py that speaks its protocol (--serve: a ready line, then one JSON line per
        // "measure" request) in eager mode and fails the way a broken torch.compile does in compile mode.
        Path script = dir.resolve("fake_peer.py");
        Files.writeString(script, String.join("\n",
                "import json, sys",
                "mode = sys.argv[sys.argv.index('--mode') + 1]",
                "if mode == 'compile':",
                "    sys.exit('torch_bench: inductor failed to compile the step')",
                "print(json.dumps({'ready': True, 'torch_version': '9.9'}), flush=True)",
                "for line in sys.stdin:",
                "    w = line.split()",
                "    if w[0] == 'quit':",
                "        break",
                "    print(json.dumps({'samples_per_second': 1000.0, 'ms_per_step': 1.0, 'threads': 1,",
                "                      'torch_version': '9.9', 'device': 'cpu', 'mode': mode}), flush=True)",
                ""));
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        String[] r = runCommand("--python", python, "--torch-script", script.toString(), "--peer-modes",
                "eager,compile", "--device", "cpu", "--data", "synthetic", "--limit", "200", "--hidden", "8",
                "--batch-size", "50", "--threads", "1", "--timed-steps", "2", "--warmup-steps", "1", "--rounds", "2");
        assertEquals("1", r[0], r[2]);
        List<String> rows = r[1].lines().filter(l -> l.startsWith("| 784-8-10 B=50 | cpu |")
                && l.contains("| torch ")).toList();
        assertEquals(2, rows.size(), r[1]);
        assertTrue(rows.get(0).contains("| torch 9.9 eager |") && rows.get(0).contains("| 1000 |"), rows.get(0));
        assertTrue(rows.get(1).contains("| torch compile FAILED |") && rows.get(1).contains("| – | – |"),
                rows.get(1));
        List<String> errors = r[2].lines().filter(l -> l.startsWith("ravine:")).toList();
        assertEquals(1, errors.size(), r[2]);
        assertTrue(errors.get(0).contains("inductor failed to compile the step"), errors.get(0));
    }

    @Test
    void badFlagsAreOneLineErrors() {
        for (String[] args : new String[][] {{"--device", "tpu"}, {"--device", "cpu", "--threads", "0"},
                {"--hidden", "8,x"}, {"--batch-size", "0"}, {"--device", "cpu", "--peer", "jax"},
                {"--device", "cpu", "--peer-modes", "jit"}, {"--device", "cpu", "--data", "imagenet", "--peer", "none"},
                {"--rounds", "0", "--peer", "none"}, {"--overwrite", "--peer", "none"}}) {
            String[] r = runCommand(args);
            assertEquals("2", r[0], String.join(" ", args));
            assertEquals(1, r[2].lines().filter(l -> l.startsWith("ravine:")).count(), r[2]);
        }
    }

    @Test
    void theRealPyTorchPeerRunsTheSameLoopWhereTorchIsInstalled() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Path script = Path.of("bench/torch_bench.py");
        Assumptions.assumeTrue(Files.isExecutable(python) && Files.isRegularFile(script), "no /usr/bin/python3");
        Process probe = new ProcessBuilder(python.toString(), "-c", "import torch").start();
        Assumptions.assumeTrue(probe.waitFor() == 0, "no torch in /usr/bin/python3: skipping the peer run");
        TorchPeer.Result r = new TorchPeer(python.toString(), script).run(BenchCase.parse("784-8-10:32"), "cpu",
                "eager", 1, "synthetic", 256, 1, 3, false);
        assertTrue(r.samplesPerSecond() > 0);
        assertEquals(1, r.threads());
        assertEquals("cpu", r.device());
    }
}
