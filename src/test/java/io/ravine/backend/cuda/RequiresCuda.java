package io.ravine.backend.cuda;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Marks a GPU test class: tagged {@code gpu}, and skipped as a whole, with the one-line reason from
 * {@link CudaBackend#unavailableReason()}, where CUDA cannot be used. Evaluated once per class, before any
 * {@code @BeforeAll}, so a CPU-only build reports one skipped class and one message.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("gpu")
@ExtendWith(RequiresCuda.Condition.class)
public @interface RequiresCuda {

    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return CudaBackend.unavailableReason()
                    .map(r -> ConditionEvaluationResult.disabled("GPU tests skipped: " + r))
                    .orElseGet(() -> ConditionEvaluationResult.enabled("CUDA available"));
        }
    }
}
