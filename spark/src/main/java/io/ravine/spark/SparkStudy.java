package io.ravine.spark;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.cli.StudyCommand;
import io.ravine.study.BatchSizeStudy;
import io.ravine.study.BatchSizeStudyConfig;
import io.ravine.study.BatchSizeStudyResult;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code study batch-size} on Spark: the steps-to-target and noise-scale parts, each trial a task, with the local
 * command's flags (its option class is this command's mixin) and files. A task runs its trial exactly as the local
 * study does ({@link BatchSizeStudy#runTrainingTrial}) and returns its row (and a noise trial's series) as text; the
 * driver records each in study.csv as its task finishes ({@link BatchSizeStudy.Session#record}), so a killed driver
 * loses only the trials in flight, and writes study.json, the plots and the report at the end. The hardware part
 * times one device's updates and stays per device: run it with the local command into the same directory.
 */
@Command(name = "batch-size", sortOptions = false, description = "Steps to a target loss against batch size and the"
        + " gradient noise scale, each trial a Spark task; the flags and files of the local study batch-size (the"
        + " hardware part runs locally, per device). Rerunning skips finished trials.")
final class SparkStudy implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(SparkStudy.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    StudyCommand.BatchSize local = new StudyCommand.BatchSize();

    /** A trial as a task's item: its key. */
    record Item(String key) implements Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public String toString() {
            return key;
        }
    }

    @Override
    public Integer call() {
        long start = System.nanoTime();
        List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
        if (!spec.commandLine().getParseResult().hasMatchedOption("--parts")) {
            // The local default includes the hardware part, which does not belong on a cluster.
            args.add("--parts");
            args.add(BatchSizeStudyConfig.STEPS + "," + BatchSizeStudyConfig.NOISE);
        }
        String cwd = Path.of("").toAbsolutePath().toString();
        SparkStudy cmd = SparkMain.parse(args.toArray(String[]::new), cwd, SparkStudy.class);
        try {
            return cmd.drive(args, cwd, start);
        } finally {
            SparkMain.deleteMirrors(cmd.spec);
        }
    }

    /** The study on the cluster, from this (re-parsed) command. */
    private int drive(List<String> args, String cwd, long start) {
        RunDirUri.Mirror remote = SparkMain.runDir(spec);
        if (remote != null) {
            local.showDirectoryAs(remote.shown());
        }
        BatchSizeStudyConfig config = local.buildConfig();
        if (config.runs(BatchSizeStudyConfig.HARDWARE)) {
            throw new InvalidInputException("--parts hardware: the hardware part times one device's updates; run it"
                    + " with the local command on each device (ravine study batch-size --parts hardware, the same"
                    + " --run-dir) and give the Spark study --parts steps,noise (its default)");
        }
        BatchSizeStudy study = local.study(config);
        SparkConf conf = SparkDriver.conf();
        boolean gpus = SparkDriver.gpuPerTask(conf);
        DriverDir.check(remote, conf);
        // The training device as the local study picks it: the first of the devices that can be used, here the CPU
        // or, where Spark schedules a GPU per task, CUDA.
        String device = config.devices().stream().filter(d -> d.equals("cpu") || d.equals("cuda") && gpus)
                .findFirst().orElseThrow(() -> new InvalidInputException("--device " + String.join(",",
                        config.devices()) + ": on Spark the training parts run on cuda only with a GPU per task (set"
                        + " spark.task.resource.gpu.amount=1, spark.executor.resource.gpu.amount and a discovery"
                        + " script; docs/spark.md), or give cpu"));
        TaskDevice taskDevice = new TaskDevice(device, gpus, config.tf32(), config.threads());
        boolean replacing = Boolean.TRUE.equals(spec.findOption("--overwrite").getValue());
        try (SparkDriver driver = SparkDriver.start("ravine study batch-size");
                DriverDir published = DriverDir.open(remote, driver.applicationId(), replacing,
                        // A study's runs and plots, where the directory is a study's (has its configuration).
                        name -> (name.equals("runs") || name.equals("plots")) && remote != null
                                && java.nio.file.Files.exists(remote.local().resolve("study-config.json")))) {
            try (BatchSizeStudy.Session session = study.open()) {
                if (replacing) {
                    published.replaceRemote();
                }
                published.publish();
                List<String> keys = study.trialKeys();
                List<Item> todo = keys.stream().filter(k -> !session.finished(k)).map(Item::new).toList();
                if (!todo.isEmpty()) {
                    // Loaded to check them (open()); in local mode the tasks share this load.
                    SparkSweep.DATA.putIfAbsent(dataKey(cwd, config), study.data());
                }
                LOG.info("{} of {} trials to run on {} ({}), {} already finished", todo.size(), keys.size(),
                        driver.master(), taskDevice.describe(), keys.size() - todo.size());
                driver.run("ravine study batch-size: " + todo.size() + " trials", todo,
                        new Task(args.toArray(String[]::new), cwd, taskDevice), (item, text) -> {
                            session.record(BatchSizeStudy.TrialOutcome.parse(text));
                            published.publish();
                        });
                published.refresh();
                BatchSizeStudyResult result = session.finish(Map.of(), "Spark " + driver.master() + ", "
                        + taskDevice.describe());
                published.publish();
                return local.report(result, start);
            } catch (RuntimeException e) {
                throw published.shown(e);
            }
        } catch (SparkDriver.TrialFailedException e) {
            return SparkDriver.failed(e, remote);
        }
    }

    /** What loading the study's data depends on, the working directory included (a relative --data). */
    private static String dataKey(String cwd, BatchSizeStudyConfig config) {
        return cwd + "\u0000study\u0000" + config.data() + "\u0000" + config.limit();
    }

    /**
     * One trial, in a task: the study rebuilt from the same flags, the trial run from its start (a study's trials
     * keep no checkpoints: a retried trial runs again, with the same result).
     */
    record Task(String[] args, String cwd, TaskDevice device) implements SparkDriver.TrialTask<Item> {
        private static final long serialVersionUID = 1L;

        @Override
        public String run(TaskContext ctx, Item item) {
            SparkStudy cmd = SparkMain.parse(args, cwd, SparkStudy.class);
            RunDirUri.Mirror mirror = SparkMain.runDir(cmd.spec);
            // A study trial runs from its start, so an earlier attempt's files are not copied but removed.
            try (TaskDir published = TaskDir.open(mirror, "runs/"
                    + BatchSizeStudy.runName(item.key()), ctx, false)) {
                BatchSizeStudyConfig config = cmd.local.buildConfig();
                BatchSizeStudy study = cmd.local.study(config);
                // The data, loaded once per executor JVM and shared by its tasks (as SparkSweep's runs share theirs).
                study.optData(SparkSweep.DATA.computeIfAbsent(dataKey(cwd, config), k -> study.data()));
                if (Faults.forTrial(ctx, item.key()) != null) {
                    throw new IllegalStateException("injected fault: " + item.key() + " (attempt "
                            + (ctx.attemptNumber() + 1) + ")");
                }
                String row;
                try (Backend backend = device.open(ctx)) {
                    row = study.runTrainingTrial(item.key(), backend, device.name()).toText();
                }
                published.publish();
                return row;
            } catch (RuntimeException e) {
                throw TaskDir.shown(mirror, e);
            } finally {
                SparkMain.deleteMirrors(cmd.spec);
            }
        }
    }
}
