package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.UpdateRule;
import io.ravine.backend.cpu.CpuBackend;
import io.ravine.backend.cuda.SelfTest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link TrainingAgreement}'s configurations and rows without a GPU, the CPU standing in for the device: every rule's
 * configuration is one the trainer accepts and trains without diverging (the closure rules' were refused before:
 * they took the first-order rules' weight decay and clipping, so {@code selftest --device cuda} and
 * {@link TrainingAgreementGpuTest} would have failed on their first GPU), and the rows name every rule.
 */
class TrainingAgreementCpuTest {

    @ParameterizedTest
    @EnumSource(value = UpdateRule.class, names = {"LBFGS", "NEWTON_CG", "ADAM"})
    void theComparedConfigurationTrains(UpdateRule rule) {
        try (CpuBackend cpu = CpuBackend.f32(); Trainer t = new Trainer(TrainingAgreement.config(rule, true), cpu)) {
            double before = t.evaluate(t.trainingData()).loss();
            assertNull(t.optProgressBar(false).fit().divergence(), rule.cliName());
            double after = t.evaluate(t.trainingData()).loss();
            assertTrue(after < before, rule.cliName() + ": " + before + " → " + after);
        }
    }

    @Test
    void theCpuAgreesWithItselfOnEveryRow() {
        List<SelfTest.Row> rows;
        try (CpuBackend cpu = CpuBackend.f32()) {
            rows = TrainingAgreement.compare(cpu);
        }
        assertEquals(2 * UpdateRule.values().length, rows.size());
        assertTrue(rows.stream().anyMatch(r -> r.op().equals("lbfgs: second run vs first")), rows.toString());
        assertTrue(rows.stream().anyMatch(r -> r.op().equals("newton-cg: 12 steps vs CPU")
                && r.tolerance() == TrainingAgreement.CLOSURE_STEPS_F32), rows.toString());
        for (SelfTest.Row r : rows) {
            assertEquals(0.0, r.relativeError(), r.op() + ": the CPU is deterministic for a thread count");
        }
    }
}
