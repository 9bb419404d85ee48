package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.InvalidInputException;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.cli.DiagnoseCommand;
import io.ravine.train.TrainConfig;
import io.ravine.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ravine diagnose} on a short real run: the file's fields and types, plots, report, and bad input. */
class DiagnoseCommandTest {
    @TempDir
    static Path tmp;
    static Path run;

    @BeforeAll
    static void trainShortRun() {
        run = tmp.resolve("run");
        TrainConfig config = TrainConfig.builder().setData("embedded").optLimit(900).optHidden(24).optBatchSize(50)
                .optSteps(40).optSubset(200).optSeed(5).optCheckpointEvery(20).build();
        try (Trainer t = new Trainer(config, CpuBackend.f32())) {
            t.optProgressBar(false).optRunDirectory(run).fit();
        }
    }

    private static int diagnose(String... args) {
        DiagnoseCommand cmd = new DiagnoseCommand().optCurveFindings(metrics -> List.of(
                new Finding("slow_progress", "read " + metrics.getFileName(), "increase the learning rate")));
        return new CommandLine(cmd).execute(args);
    }

    @Test
    void writesEveryFieldWithTheRightType() throws Exception {
        assertEquals(0, diagnose("--run-dir", run.toString(), "--subset", "250", "--lanczos-steps", "8",
                "--lanczos-max-steps", "8", "--top-k", "5", "--density-probes", "2", "--device", "cpu", "--threads",
                "1"));
        JsonObject d = JsonParser.parseString(Files.readString(run.resolve("diagnosis.json"))).getAsJsonObject();
        assertEquals("final", d.get("checkpoint").getAsString());
        assertEquals(40, d.get("step").getAsLong());
        assertEquals(250, d.get("subset_size").getAsInt());
        assertTrue(d.get("gradient_norm").getAsDouble() > 0);
        assertTrue(d.get("gHg").getAsJsonPrimitive().isNumber());
        assertNumberOrNull(d.get("optimal_step"));
        JsonObject so = d.getAsJsonObject("second_order");
        for (String k : List.of("predicted_change", "actual_change", "step")) {
            assertTrue(so.get(k).getAsJsonPrimitive().isNumber(), k);
        }
        assertEquals(21, so.getAsJsonObject("curve").getAsJsonArray("actual").size());

        JsonObject h = d.getAsJsonObject("hessian");
        JsonArray top = h.getAsJsonArray("top_eigenvalues");
        assertEquals(5, top.size());
        for (int i = 1; i < top.size(); i++) {
            assertTrue(top.get(i - 1).getAsDouble() >= top.get(i).getAsDouble(), "descending");
        }
        assertTrue(h.get("min_eigenvalue").getAsDouble() <= top.get(4).getAsDouble());
        assertNumberOrNull(h.get("condition_number"));
        assertEquals(2 / top.get(0).getAsDouble(), h.get("max_stable_lr").getAsDouble(), 1e-12);
        assertTrue(h.get("saddle").getAsJsonPrimitive().isBoolean());
        assertTrue(h.get("negative_eigenvalues").isJsonArray());
        assertEquals(8, h.get("lanczos_steps").getAsInt(), "the cap of 8");
        assertEquals(8, h.get("lanczos_max_steps").getAsInt());
        assertTrue(h.get("converged").getAsJsonPrimitive().isBoolean());
        // 784-24-10 has 19 090 parameters: auto measures it in float64 with the exact product.
        assertEquals("f64", d.get("precision").getAsString());
        assertEquals("f64", h.get("precision").getAsString());
        assertEquals("R-operator (exact)", h.get("hvp").getAsString());
        assertEquals(2, h.getAsJsonObject("density").get("probes").getAsInt());
        double floor = h.get("resolvable_floor").getAsDouble();
        assertEquals(floor, h.get("negative_tolerance").getAsDouble());
        assertTrue(floor > 0 && floor < 1e-9 * h.get("norm_estimate").getAsDouble(), "float64 floor " + floor);
        assertTrue(h.get("max_eigenvalue_error_bound").getAsDouble() >= floor);
        assertTrue(h.get("min_eigenvalue_error_bound").getAsDouble() >= floor);
        assertEquals(h.getAsJsonArray("negative_eigenvalues").size(), h.get("negative_count").getAsInt());
        for (JsonElement v : h.getAsJsonArray("negative_eigenvalues")) {
            assertTrue(v.getAsDouble() < -floor);
        }
        // κ is a number with bounds, or null with a reason (and then a lower bound or its reason).
        if (h.get("condition_number").isJsonNull()) {
            assertFalse(h.get("condition_number_status").getAsString().isBlank());
        } else {
            assertTrue(h.get("condition_number_lower_bound").getAsDouble() <= h.get("condition_number").getAsDouble());
        }

        JsonObject dc = d.getAsJsonObject("directional_curvature");
        JsonArray dirs = dc.getAsJsonArray("directions");
        assertEquals(5, dirs.size(), "one per top-k direction");
        double shares = dc.get("remainder_share").getAsDouble();
        double cos2 = 0;
        for (JsonElement e : dirs) {
            shares += e.getAsJsonObject().get("share").getAsDouble();
            cos2 += e.getAsJsonObject().get("cos2").getAsDouble();
        }
        assertEquals(1.0, shares, 1e-9, "the shares and the remainder make up g'Hg");
        assertTrue(cos2 > 0 && cos2 <= 1 + 1e-9, "cos^2 over orthonormal directions sums to at most 1: " + cos2);
        assertEquals(d.get("gHg").getAsDouble(), dc.get("gHg").getAsDouble());

        JsonArray units = d.getAsJsonArray("units");
        assertEquals(1, units.size());
        JsonObject u = units.get(0).getAsJsonObject();
        assertEquals(0, u.get("layer").getAsInt());
        assertEquals("relu", u.get("activation").getAsString());
        double dead = u.get("dead_fraction").getAsDouble();
        assertTrue(dead >= 0 && dead <= 1);
        assertTrue(u.get("saturated_fraction").isJsonNull(), "ReLU units do not saturate");
        JsonObject hist = u.getAsJsonObject("histogram");
        assertEquals(UnitStatistics.BINS + 1, hist.getAsJsonArray("edges").size());
        assertEquals(250L * 24, sum(hist.getAsJsonArray("counts")));
        assertEquals(24, sum(u.getAsJsonObject("mean_activation_histogram").getAsJsonArray("counts")));

        JsonObject sym = d.getAsJsonObject("symmetry");
        assertEquals(0, sym.get("duplicate_unit_pairs").getAsLong(), "He initialisation leaves no duplicates");
        assertTrue(sym.get("examples").isJsonArray());

        JsonObject spread = d.getAsJsonObject("spread");
        assertEquals(3, spread.get("subsets").getAsInt());
        assertEquals(250, spread.get("subset_size").getAsInt());
        for (String k : List.of("gradient_norm", "gHg", "dead_fraction")) {
            JsonObject s = spread.getAsJsonObject(k);
            assertTrue(s.get("mean").getAsJsonPrimitive().isNumber(), k);
            assertTrue(s.get("std").getAsDouble() >= 0, k);
            assertEquals(3, s.getAsJsonArray("values").size(), k);
        }
        // Subset 0 is the main subset: its gradient norm is the top-level one.
        assertEquals(d.get("gradient_norm").getAsDouble(),
                spread.getAsJsonObject("gradient_norm").getAsJsonArray("values").get(0).getAsDouble());

        JsonArray findings = d.getAsJsonObject("doctor").getAsJsonArray("findings");
        assertFalse(findings.isEmpty());
        JsonObject first = findings.get(0).getAsJsonObject();
        assertEquals("slow_progress", first.get("problem").getAsString(), "the curve doctor's findings come first");
        assertEquals("read metrics.csv", first.get("evidence").getAsString());
        for (JsonElement f : findings) {
            for (String k : List.of("problem", "evidence", "workaround")) {
                assertFalse(f.getAsJsonObject().get(k).getAsString().isBlank(), k);
            }
        }

        for (String png : List.of("activations-layer-0.png", DiagnosisPlots.EIGENVALUES, DiagnosisPlots.DENSITY,
                DiagnosisPlots.SECOND_ORDER, DiagnosisPlots.DIRECTIONAL)) {
            assertTrue(Files.size(run.resolve("plots").resolve(png)) > 1000, png);
        }
        String html = Files.readString(run.resolve("report.html"));
        assertTrue(html.contains("plots/second-order.png"));
        assertTrue(html.contains("plots/directional-curvature.png"));
        assertTrue(html.contains("Directional curvature along the gradient"));
        assertTrue(html.contains("increase the learning rate"));
    }

    @Test
    void aNamedCheckpointIsDiagnosedAndThetaOfTheRunIsUntouched() throws Exception {
        byte[] before = Files.readAllBytes(run.resolve("checkpoints/step-00000020.safetensors"));
        Path copy = tmp.resolve("named");
        copyRun(run, copy);
        assertEquals(0, diagnose("--run-dir", copy.toString(), "--checkpoint", "step-00000020", "--subset", "100",
                "--lanczos-steps", "4", "--density-probes", "0", "--device", "cpu"));
        JsonObject d = JsonParser.parseString(Files.readString(copy.resolve("diagnosis.json"))).getAsJsonObject();
        assertEquals("step-00000020", d.get("checkpoint").getAsString());
        assertEquals(20, d.get("step").getAsLong());
        assertTrue(d.getAsJsonObject("hessian").get("density").isJsonNull());
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(run.resolve(
                "checkpoints/step-00000020.safetensors"))));
    }

    @Test
    void aMissingRunDirectoryOrCheckpointIsOneLineOfBadInput() {
        InvalidInputException noDir = assertThrows(InvalidInputException.class,
                () -> call("--run-dir", tmp.resolve("nope").toString()));
        assertTrue(noDir.getMessage().contains("nope") && !noDir.getMessage().contains("\n"));
        InvalidInputException noCkpt = assertThrows(InvalidInputException.class,
                () -> call("--run-dir", run.toString(), "--checkpoint", "step-7"));
        assertTrue(noCkpt.getMessage().contains("step-7") && noCkpt.getMessage().contains("final"),
                noCkpt.getMessage());
        assertThrows(InvalidInputException.class, () -> call("--run-dir", run.toString(), "--subset", "0"));
    }

    /** Parses and calls the command directly, so its exception reaches the test (Main maps it to exit 2). */
    private static void call(String... args) throws Exception {
        DiagnoseCommand cmd = new DiagnoseCommand();
        new CommandLine(cmd).parseArgs(args);
        cmd.call();
    }

    private static void copyRun(Path from, Path to) throws Exception {
        Files.createDirectories(to.resolve("checkpoints"));
        for (String f : List.of("config.json", "metrics.csv", "checkpoints/step-00000020.safetensors")) {
            Files.copy(from.resolve(f), to.resolve(f));
        }
    }

    private static long sum(JsonArray a) {
        long s = 0;
        for (JsonElement e : a) {
            s += e.getAsLong();
        }
        return s;
    }

    private static void assertNumberOrNull(JsonElement e) {
        assertTrue(e.isJsonNull() || e.getAsJsonPrimitive().isNumber(), String.valueOf(e));
    }
}
