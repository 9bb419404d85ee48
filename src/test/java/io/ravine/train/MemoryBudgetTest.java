package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.InvalidInputException;
import io.ravine.InvalidSettingException;
import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.nn.Mlp;
import io.ravine.optim.Lbfgs;
import io.ravine.optim.NewtonCg;
import io.ravine.optim.Optimizer;
import org.junit.jupiter.api.Test;

/**
 * {@link MemoryBudget}'s two rules with the JVM's limits given, so each is exercised without allocating: which flag a
 * refusal names depends on what is too big (the parameters, the training batch, the evaluation batches).
 */
class MemoryBudgetTest {
    private static final long GIB = 1L << 30;
    private static final String ADAM = "θ, its gradient and adam's 2 state vectors";

    private static Mlp mlp(int in, int hidden, int out) {
        return new Mlp(in, new int[] {hidden}, out, Activation.RELU, LossKind.SOFTMAX_CE);
    }

    /**
     * {@code mustSay} in the CLI's words: the library's message says each with the settings' names ({@code hidden},
     * {@code batchSize}), and the same message rendered with the flags says it as given.
     */
    private static InvalidInputException refused(Runnable check, String... mustSay) {
        InvalidSettingException e = assertThrows(InvalidSettingException.class, check::run);
        String cli = e.messageNaming(s -> s.equals("hidden") ? "--hidden" : s.equals("batchSize") ? "--batch-size"
                : s.equals("historySize") ? "--history-size" : s);
        for (String s : mustSay) {
            String library = s.replace("--hidden", "hidden").replace("--batch-size", "batchSize")
                    .replace("--history-size", "historySize");
            assertTrue(e.getMessage().contains(library), "'" + e.getMessage() + "' should say '" + library + "'");
            assertTrue(cli.contains(s), "'" + cli + "' should say '" + s + "'");
        }
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        assertTrue(!e.getMessage().contains("--"), e.getMessage());
        return e;
    }

    @Test
    void aSmallModelFits() {
        assertDoesNotThrow(() -> MemoryBudget.check(mlp(784, 128, 10), 4, true, 4, ADAM, "batchSize", 128, false,
                1024, 4 * GIB, 4 * GIB));
    }

    @Test
    void parametersOverTheDirectPoolNameHidden() {
        // 10 M parameters × 4 vectors × 4 bytes = 160 MB against a 100 MB pool; the batches are small.
        refused(() -> MemoryBudget.check(mlp(1000, 10_000, 10), 4, true, 4, ADAM, "batchSize", 8, false, 8,
                100_000_000L, 4 * GIB), "--hidden 10000: the model 1000-10000-10", "direct memory",
                "use a smaller --hidden");
    }

    @Test
    void activationsOverTheDirectPoolNameTheBatchSize() {
        // A small model and a batch of 100 000 rows: the activations are what does not fit.
        refused(() -> MemoryBudget.check(mlp(10, 1000, 10), 4, true, 4, ADAM, "batchSize", 100_000, false,
                100_000, 200_000_000L, 4 * GIB), "--batch-size 100000 with --hidden 1000",
                "use a smaller --batch-size or --hidden");
    }

    @Test
    void anEvaluationBatchOverTwoGibibytesNamesHidden() {
        // Training batch 1, evaluation batches of 1024 rows of 600 000 units: 2.3 GiB in one tensor.
        refused(() -> MemoryBudget.check(mlp(2, 600_000, 2), 4, true, 2, "θ and its gradient", "batchSize", 1,
                false, 1024, Long.MAX_VALUE, Long.MAX_VALUE), "--hidden 600000: layer 1's activations for evaluation"
                + " batches of 1024 rows", "use a smaller --hidden");
    }

    @Test
    void theHeapRuleHoldsOnAGpuToo() {
        // On a device (cpu = false) neither the tensor rule nor direct memory applies, but a checkpoint's heap copies
        // do: 1.4 G parameters, 10.4 GiB for 2 vectors, 20.9 GiB for 4.
        assertDoesNotThrow(() -> MemoryBudget.check(mlp(3, 200_000_000, 3), 4, false, 2, "θ and its gradient",
                "batchSize", 8, false, 8, 1, 16 * GIB));
        refused(() -> MemoryBudget.check(mlp(3, 200_000_000, 3), 4, false, 4, ADAM, "batchSize", 8, false, 8, 1,
                16 * GIB), "--hidden 200000000", "a checkpoint copies θ and the optimizer's state to the heap",
                "4 float32 vectors", "20.9 GiB", "at most 16.0 GiB");
    }

    @Test
    void lbfgsCountsItsHistoryAndNewtonCgItsVectors() {
        Optimizer lbfgs = Optimizer.lbfgs().optHistorySize(100).build();
        MemoryBudget.Vectors v = MemoryBudget.vectors(mlp(784, 256, 10), lbfgs, false, 128);
        // θ, gradient; 2×100 history, the spare pair, L-BFGS's gradient, saved θ, d and previous gradient.
        assertEquals(2 + 200 + 2 + 4, v.device());
        // A checkpoint: θ twice, old_dirs and old_stps, d and prev_flat_grad.
        assertEquals(2 + 200 + 2, v.heap());
        assertEquals("historySize", v.setting());
        MemoryBudget.Vectors wolfe = MemoryBudget.vectors(mlp(784, 256, 10), Optimizer.lbfgs().optHistorySize(3)
                .optLineSearch(Lbfgs.LineSearch.STRONG_WOLFE).build(), true, 128);
        assertEquals(2 + 6 + 2 + 4 + 5 + 1, wolfe.device());
        assertEquals(null, wolfe.setting(), "3 pairs are not most of the vectors");
        MemoryBudget.Vectors cg = MemoryBudget.vectors(mlp(784, 256, 10), Optimizer.newtonCg().optCurvatureBatch(500)
                .build(), false, 128);
        assertEquals(2 + 7, cg.device());
        assertEquals(2 + 1, cg.heap());
        // The curvature batch is capped at the step's batch: 128 rows × (3 × (256 + 10) + 3 × 10 + 1) values.
        assertEquals(128L * (3 * 266 + 31), cg.curvatureRowValues());
        MemoryBudget.Vectors hessian = MemoryBudget.vectors(mlp(784, 256, 10), Optimizer.newtonCg()
                .optCurvature(NewtonCg.Curvature.HESSIAN).build(), false, 128);
        assertEquals(2 + 7 + 4, hessian.device());
    }

    @Test
    void anLbfgsHistoryThatCannotFitIsRefusedNamingHistorySize() {
        // 784-256-10: 203 530 parameters, 0.8 MB a vector. Adam's 4 vectors fit 100 MB; L-BFGS's 206 do not.
        Mlp m = mlp(784, 256, 10);
        MemoryBudget.Vectors adam = MemoryBudget.vectors(m, Optimizer.adam().build(), false, 128);
        assertDoesNotThrow(() -> MemoryBudget.check(m, 4, true, adam.device(), adam.heap(), adam.what(),
                adam.setting(), adam.curvatureRowValues() * 4, "batchSize", 128, false, 1024, 100_000_000L, 4 * GIB));
        MemoryBudget.Vectors v = MemoryBudget.vectors(m, Optimizer.lbfgs().build(), false, 60_000);
        refused(() -> MemoryBudget.check(m, 4, true, v.device(), v.heap(), v.what(), v.setting(),
                v.curvatureRowValues() * 4, "batchSize", 1000, true, 1000, 100_000_000L, 4 * GIB),
                "--hidden 256: the model 784-256-10 relu softmax-ce needs",
                "lbfgs's 2×100 history vectors and 6 others",
                "use a smaller --history-size or --hidden");
        // The checkpoint's heap copies, the same way.
        refused(() -> MemoryBudget.check(m, 4, false, v.device(), v.heap(), v.what(), v.setting(),
                v.curvatureRowValues() * 4, "batchSize", 1000, true, 1000, 1, 100_000_000L),
                "204 float32 vectors", "use a smaller --history-size or --hidden");
    }

    @Test
    void theTrainerRefusesAnLbfgsRunThatCannotFitBeforeAllocating() {
        // A history of 10 million pairs of a 784-32-10 model (25 450 parameters): 2 TB, more than any test JVM holds.
        TrainConfig config = TrainConfig.builder().setData("embedded").optLimit(100).optHidden(32)
                .optOptimizer(io.ravine.backend.UpdateRule.LBFGS).optBatchSize(0).optHistorySize(10_000_000).build();
        InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> new Trainer(config).close());
        assertTrue(e.getMessage().contains("lbfgs's 2×10000000 history vectors")
                && e.getMessage().contains("use a smaller historySize or hidden"), e.getMessage());
    }
}
