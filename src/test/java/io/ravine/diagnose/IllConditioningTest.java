package io.ravine.diagnose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.cpu.CpuBackend;
import io.ravine.nn.Model;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The lectures' ill-conditioned regressions ({@link LectureExamples}) against the exact condition number of their
 * Hessian, from a float64 Jacobi eigen-solve of C = (1/N) Σ x̃x̃ᵀ written down from the data.
 */
class IllConditioningTest {
    /** The requirement: κ within 5% of exact in float64. */
    private static final double KAPPA_F64 = 0.05;

    static LinearRegression example(String name) {
        return name.equals("badly-scaled") ? LectureExamples.badlyScaled(1000, 3) : LectureExamples.offset(1000, 4);
    }

    static double exactKappa(LinearRegression lr) {
        double[] e = JacobiEigen.eigenvalues(lr.hessian());
        assertTrue(e[e.length - 1] > 0, "the least-squares Hessian is positive definite");
        return e[0] / e[e.length - 1];
    }

    private static Diagnosis.Report diagnose(LinearRegression lr, Diagnosis.Precision precision) {
        try (Model m = new Model(CpuBackend.f32(), lr.mlp)) {
            m.setParameters(lr.thetaF32());
            return Diagnosis.run(m, lr.dataset(), Diagnosis.Options.defaults().withSubsetSize(lr.n)
                    .withPrecision(precision));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"badly-scaled", "offset"})
    void float64GivesTheExactConditionNumberAndTheFinding(String name) {
        LinearRegression lr = example(name);
        double exact = exactKappa(lr);
        assertTrue(exact > 1e10, name + ": the lectures' examples are ill-conditioned, exact κ " + exact);
        Diagnosis.Report r = diagnose(lr, Diagnosis.Precision.AUTO);
        assertEquals(Diagnosis.Precision.F64, r.precision(), "a 3-parameter model on the CPU is measured in f64");
        assertEquals(HessianVectorProduct.Method.R_OPERATOR, r.method());
        HessianSpectrum h = r.hessian();
        assertNotNull(h.conditionNumber(), name + ": " + h.accuracy().conditionNumberStatus());
        assertEquals(exact, h.conditionNumber(), KAPPA_F64 * exact, name);
        // The reported bounds contain the truth.
        assertTrue(h.accuracy().conditionNumberLowerBound() <= exact
                && exact <= h.accuracy().conditionNumberUpperBound(), name + ": " + h.accuracy());
        Finding f = illConditioning(r);
        assertNotNull(f, name + ": no ill_conditioning finding");
        assertTrue(f.evidence().startsWith("condition number "), f.evidence());
        System.out.printf("%s: exact kappa %.4g, f64 %.4g [%.4g, %.4g]%n", name, exact, h.conditionNumber(),
                h.accuracy().conditionNumberLowerBound(), h.accuracy().conditionNumberUpperBound());
    }

    @ParameterizedTest
    @ValueSource(strings = {"badly-scaled", "offset"})
    void float32GivesALowerBoundWithItsReasonAndStillTheFinding(String name) {
        LinearRegression lr = example(name);
        double exact = exactKappa(lr);
        Diagnosis.Report r = diagnose(lr, Diagnosis.Precision.F32);
        assertEquals(HessianVectorProduct.Method.CENTRAL_DIFFERENCES, r.method());
        HessianSpectrum h = r.hessian();
        assertNull(h.conditionNumber(), name + ": float32 cannot resolve λ_min of κ " + exact);
        Double lower = h.accuracy().conditionNumberLowerBound();
        assertNotNull(lower, h.accuracy().conditionNumberStatus());
        assertTrue(lower <= exact, name + ": the lower bound " + lower + " is below the exact " + exact);
        assertTrue(lower > MeasurementFindings.CONDITION_THRESHOLD, name + ": lower bound " + lower);
        assertTrue(h.accuracy().conditionNumberStatus().startsWith("not resolved: lambda_min below the resolvable"
                + " floor"), h.accuracy().conditionNumberStatus());
        Finding f = illConditioning(r);
        assertNotNull(f, name + ": no ill_conditioning finding on the lower bound");
        assertTrue(f.evidence().startsWith("condition number >= "), f.evidence());
        System.out.printf("%s: exact kappa %.4g, f32 lower bound %.4g (Ritz lambda_min %.4g, floor %.4g)%n", name,
                exact, lower, h.minEigenvalue(), h.accuracy().floor());
    }

    private static Finding illConditioning(Diagnosis.Report r) {
        List<Finding> all = MeasurementFindings.from(r);
        return all.stream().filter(f -> f.problem().equals("ill_conditioning")).findFirst().orElse(null);
    }
}
