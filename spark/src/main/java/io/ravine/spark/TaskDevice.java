package io.ravine.spark;

import io.ravine.backend.Backend;
import io.ravine.backend.Devices;
import java.io.Serializable;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import scala.Option;

/**
 * Which device a task trains on. With GPUs scheduled (spark.task.resource.gpu.amount = 1), the task trains on the
 * GPU Spark assigned it ({@code TaskContext.resources().get("gpu")}: its address is the CUDA device ordinal, as the
 * discovery script lists them); a GPU that cannot be opened fails the task with one line, so that Spark retries it
 * (elsewhere, with spark.excludeOnFailure.enabled), never on the CPU. Without GPUs, tasks train on the CPU with
 * {@code --threads} threads each.
 *
 * @param device the trial's device setting: cpu, cuda or auto (auto: the assigned GPU where GPUs are scheduled,
 *     else the CPU)
 * @param gpus whether the job schedules a GPU per task
 * @param tf32 allow TF32 on the GPU
 * @param threads CPU threads per task (0: all cores of the executor)
 */
record TaskDevice(String device, boolean gpus, boolean tf32, int threads) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Whether the task trains on a GPU. */
    boolean onGpu() {
        return gpus && !device.equals("cpu");
    }

    /** Where the tasks train, for the page's header and the log: a GPU per task, or the CPU's threads per task. */
    String describe() {
        return onGpu() ? "a GPU per task" : "cpu, --threads " + threads + " per task";
    }

    /** The device name recorded for the trial: cuda or cpu. */
    String name() {
        return onGpu() ? "cuda" : "cpu";
    }

    /** Opens the task's backend. */
    Backend open(TaskContext ctx) {
        if (!onGpu()) {
            return Devices.open("cpu", tf32, threads);
        }
        Option<ResourceInformation> gpu = ctx.resources().get(SparkDriver.GPU);
        if (gpu.isEmpty() || gpu.get().addresses().length == 0) {
            throw new IllegalStateException("Spark assigned this task no GPU although spark.task.resource.gpu.amount"
                    + " is set: check spark.executor.resource.gpu.amount and the discovery script");
        }
        String address = gpu.get().addresses()[0];
        int ordinal;
        try {
            ordinal = Integer.parseInt(address.trim());
        } catch (NumberFormatException e) {
            throw new IllegalStateException("the GPU address '" + address + "' that Spark assigned is not a CUDA"
                    + " device ordinal: the discovery script must list ordinals (0, 1, …), as"
                    + " spark/bin/gpu-discovery.sh does");
        }
        try {
            return Devices.openCuda(ordinal, tf32, threads);
        } catch (RuntimeException | LinkageError e) {
            throw new IllegalStateException("cannot open GPU " + ordinal + " that Spark assigned to this task: "
                    + SparkDriver.describe(e), e);
        }
    }
}
