package io.ravine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ravine.backend.Activation;
import io.ravine.backend.Backend;
import io.ravine.backend.LossKind;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.nn.Mlp;
import io.ravine.nn.Model;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Ravine's {@link Lbfgs} against torch.optim.LBFGS (bench/torch_lbfgs_check.py), both in float64, on a 5-8-3 tanh
 * MLP with softmax cross-entropy over 40 examples, 10 steps of torch's defaults (20 iterations each): θ after every
 * step within 1e-3 relative of torch's change Δθ = θ_t − θ₀, for both line searches. Needs Debian's python3-torch;
 * skipped where it is absent.
 */
class LbfgsTorchReferenceTest {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    /**
     * The oracle's tolerance on Δθ and on each step's loss. Measured: 1e-10 with strong Wolfe, 5e-6 with the fixed
     * step, whose 200 iterations drive the loss to 6e-4 and amplify dot products summed in another order (one
     * iteration per step agrees to 2e-15).
     */
    private static final double TOLERANCE = 1e-3;

    @BeforeAll
    static void needsTorch() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PYTHON), "no /usr/bin/python3");
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch").redirectErrorStream(true).start();
        Assumptions.assumeTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0,
                "PyTorch is not installed (apt-get install python3-torch)");
    }

    @ParameterizedTest
    @EnumSource(Lbfgs.LineSearch.class)
    void tenStepsAgreeWithTorchFloat64(Lbfgs.LineSearch search, @TempDir Path tmp) throws Exception {
        int n = 40;
        int[] widths = {5, 8, 3};
        Mlp mlp = new Mlp(5, new int[] {8}, 3, Activation.TANH, LossKind.SOFTMAX_CE);
        SplittableRandom rng = new SplittableRandom(11);
        float[] x = new float[n * 5];
        float[] labels = new float[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < n; i++) {
            labels[i] = rng.nextInt(3);
        }
        double[] theta0 = new double[mlp.parameterCount()];
        for (int i = 0; i < theta0.length; i++) {
            theta0[i] = 0.5 * rng.nextGaussian();
        }
        int steps = 10;
        JsonObject prob = new JsonObject();
        Gson gson = new Gson();
        // As doubles: a float's shortest decimal, read back as a double, is not the float's value.
        double[] xd = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            xd[i] = x[i];
        }
        prob.add("features", gson.toJsonTree(xd));
        JsonArray ls = new JsonArray();
        for (float l : labels) {
            ls.add((int) l);
        }
        prob.add("labels", ls);
        prob.add("widths", gson.toJsonTree(widths));
        prob.addProperty("activation", "tanh");
        prob.add("theta", gson.toJsonTree(theta0));
        prob.add("weight_offsets", gson.toJsonTree(new int[] {mlp.weightOffset(0), mlp.weightOffset(1)}));
        prob.add("bias_offsets", gson.toJsonTree(new int[] {mlp.biasOffset(0), mlp.biasOffset(1)}));
        prob.addProperty("lr", 1.0);
        prob.addProperty("max_iter", 20);
        prob.addProperty("history_size", 100);
        prob.addProperty("line_search", search.cliName());
        prob.addProperty("steps", steps);
        Path in = tmp.resolve("problem.json");
        Path out = tmp.resolve("result.json");
        Files.writeString(in, prob.toString());
        Process p = new ProcessBuilder(List.of(PYTHON.toString(), "bench/torch_lbfgs_check.py", in.toString(),
                out.toString())).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log);
        JsonObject result = JsonParser.parseString(Files.readString(out)).getAsJsonObject();
        double[][] torchThetas = gson.fromJson(result.get("thetas"), double[][].class);
        double[] torchLosses = gson.fromJson(result.get("losses"), double[].class);

        try (Backend backend = CpuBackend.f64(); Model model = new Model(backend, mlp)) {
            model.setParameters(theta0);
            Model.Workspace ws = model.workspace(n);
            ws.load(x, labels, n);
            ModelObjective f = new ModelObjective(model, ws, n);
            Optimizer opt = Optimizer.lbfgs().optLineSearch(search).optMaxIter(20).build();
            double worst = 0;
            try (Lbfgs lbfgs = new Lbfgs(backend, mlp.parameterCount(), opt)) {
                for (int s = 0; s < steps; s++) {
                    ClosureStep step = lbfgs.step(model.theta(), f);
                    assertEquals(torchLosses[s], step.loss(), TOLERANCE * Math.abs(torchLosses[s]), "loss of step " + s);
                    double[] theta = backend.toDoubleArray(model.theta());
                    double err = 0;
                    double norm = 0;
                    for (int i = 0; i < theta.length; i++) {
                        double dt = torchThetas[s][i] - theta0[i];
                        err += Math.pow(theta[i] - theta0[i] - dt, 2);
                        norm += dt * dt;
                    }
                    double rel = Math.sqrt(err / norm);
                    worst = Math.max(worst, rel);
                    assertTrue(rel < TOLERANCE, "step " + (s + 1) + ": ‖Δθ − Δθ_torch‖/‖Δθ_torch‖ = " + rel);
                }
            }
            System.out.printf("lbfgs %s vs torch.optim.LBFGS float64, 10 steps: worst relative error of Δθ %.3g%n",
                    search.cliName(), worst);
        }
    }
}
