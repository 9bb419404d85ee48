package io.ravine.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.cuda.CudaBackend;
import io.ravine.backend.cuda.RequiresCuda;
import io.ravine.backend.cuda.SelfTest;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * N steps of every optimizer on CUDA (plain and graph-replayed) against the CPU reference, from the same θ₀. Tagged
 * {@code selftest}: {@code ravine selftest --device cuda} runs the same comparison as its training rows.
 */
@RequiresCuda
@Tag("selftest")
class TrainingAgreementGpuTest {

    @TestFactory
    Stream<DynamicTest> everyOptimizerAgreesWithTheCpu() {
        List<SelfTest.Row> rows;
        try (CudaBackend cuda = CudaBackend.open(0, false)) {
            rows = TrainingAgreement.compare(cuda);
        }
        return rows.stream().map(r -> DynamicTest.dynamicTest(r.op(), () -> assertTrue(r.pass(),
                r.op() + ": relative error " + r.relativeError() + " > " + r.tolerance())));
    }
}
