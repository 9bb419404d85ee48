package io.ravine.spark;

import io.ravine.train.MetricsEvent;
import io.ravine.train.StepEvent;
import io.ravine.train.TrainingListener;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.TaskContext;

/**
 * Faults injected into chosen trials' first attempts, for the tests of retries and resume (never set in use). Read
 * from the job's local properties ({@code SparkContext.setLocalProperty} on the thread that runs the command, which
 * Spark hands to every task), else from the application's configuration ({@code spark-submit --conf}, for a test
 * that submits the jar): {@value #TRIALS} lists the trials (sweep run names such as {@code lr-0.01-seed-1}), {@value #STEP} the step
 * after which the first attempt dies, and {@value #MODE} how: {@code throw} (the task fails; its executor lives on)
 * or {@code halt} (the executor's JVM ends at once, as under {@code kill -9}: no finally block, no shutdown hook).
 */
final class Faults {
    static final String TRIALS = "spark.ravine.test.failTrials";
    static final String STEP = "spark.ravine.test.failAtStep";
    static final String MODE = "spark.ravine.test.failMode";

    private Faults() {
    }

    private static String property(TaskContext ctx, String key) {
        String v = ctx.getLocalProperty(key);
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        return v != null || env == null ? v : env.conf().get(key, null);
    }

    /** A listener that ends this attempt after the configured step, or null where this trial has no fault. */
    static TrainingListener forTrial(TaskContext ctx, String trial) {
        String list = property(ctx, TRIALS);
        if (list == null || ctx.attemptNumber() > 0) {
            return null;
        }
        Set<String> trials = Arrays.stream(list.split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).collect(Collectors.toSet());
        if (!trials.contains(trial)) {
            return null;
        }
        String at = property(ctx, STEP);
        long step = at == null ? 1 : Long.parseLong(at);
        boolean halt = "halt".equals(property(ctx, MODE));
        return new TrainingListener() {
            @Override
            public void onMetrics(MetricsEvent event) {
            }

            @Override
            public void onStep(StepEvent event) {
                if (event.step() == step) {
                    if (halt) {
                        Runtime.getRuntime().halt(137);
                    }
                    throw new IllegalStateException("injected fault: " + trial + " stopped after step " + step
                            + " (attempt " + (ctx.attemptNumber() + 1) + ")");
                }
            }
        };
    }
}
