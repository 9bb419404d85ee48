package io.ravine.spark;

import io.ravine.InvalidInputException;
import io.ravine.backend.Backend;
import io.ravine.cli.SweepCommand;
import io.ravine.io.DirectoryLock;
import io.ravine.study.LearningRateSweep;
import io.ravine.train.TrainConfig;
import io.ravine.train.TrainingListener;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code sweep lr} on Spark: the local command's flags (its option class is this command's mixin), its sweep
 * directory and files; each run of the grid that is not finished there is one task, which trains it into its run
 * directory (resuming it from its latest checkpoint where an earlier attempt died) exactly as the local sweep does
 * ({@link LearningRateSweep#runTrial}); the driver then reads every run's summary and writes sweep.csv, sweep.json and
 * the chart ({@link LearningRateSweep#gather}).
 */
@Command(name = "lr", sortOptions = false, description = "Learning-rate grid search with random restarts, each run"
        + " a Spark task; the flags and files of the local sweep lr. Rerunning skips finished runs.")
final class SparkSweep implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(SparkSweep.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    SweepCommand.LearningRate local = new SweepCommand.LearningRate();

    /** A run of the grid as a task's item: its index in the plan, and its name for messages. */
    record Item(int index, String name) implements Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public String toString() {
            return name;
        }
    }

    @Override
    public Integer call() {
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        String cwd = Path.of("").toAbsolutePath().toString();
        RunDirUri.Mirror remote = SparkMain.runDir(spec);
        if (remote != null) {
            local.showDirectoryAs(remote.shown());
        }
        // Everything the flags and the sweep directory can get wrong is found here, before Spark starts.
        TrainConfig base = local.baseConfig();
        LearningRateSweep sweep = local.sweep(base);
        SparkConf conf = SparkDriver.conf();
        boolean gpus = SparkDriver.gpuPerTask(conf);
        DriverDir.check(remote, conf);
        if (base.device().equals("cuda") && !gpus) {
            throw new InvalidInputException("--device cuda on Spark trains each run on the GPU Spark assigns its task:"
                    + " set spark.task.resource.gpu.amount=1, spark.executor.resource.gpu.amount and"
                    + " spark.executor.resource.gpu.discoveryScript (docs/spark.md), or give --device cpu");
        }
        TaskDevice device = new TaskDevice(base.device(), gpus, base.tf32(), base.threads());
        boolean replacing = Boolean.TRUE.equals(spec.findOption("--overwrite").getValue());
        try (SparkDriver driver = SparkDriver.start("ravine sweep lr");
                DriverDir published = DriverDir.open(remote, driver.applicationId(), replacing,
                        runNames(sweep)::contains)) {
            try (DirectoryLock lock = sweep.open()) {
                if (replacing) {
                    published.replaceRemote();
                }
                return run(sweep, driver, published, args, cwd, device, base);
            } catch (RuntimeException e) {
                throw published.shown(e);
            }
        } catch (SparkDriver.TrialFailedException e) {
            return SparkDriver.failed(e, remote);
        }
    }

    /** The run directories' names of the sweep's grid. */
    private static java.util.Set<String> runNames(LearningRateSweep sweep) {
        java.util.Set<String> names = new java.util.HashSet<>();
        sweep.plan().forEach(t -> names.add(t.runDir().getFileName().toString()));
        return names;
    }

    private int run(LearningRateSweep sweep, SparkDriver driver, DriverDir published, List<String> args, String cwd,
            TaskDevice device, TrainConfig base) {
        // The sweep page's header: this start, and where its runs train.
        sweep.recordStart("Spark " + driver.master() + ", " + device.describe());
        published.publish();
        List<LearningRateSweep.Trial> plan = sweep.plan();
        List<Item> todo = new ArrayList<>();
        for (int i = 0; i < plan.size(); i++) {
            if (sweep.finished(plan.get(i)) == null) {
                todo.add(new Item(i, plan.get(i).runDir().getFileName().toString()));
            }
        }
        LOG.info("{} of {} runs to train on {} ({}), {} already finished", todo.size(), plan.size(),
                driver.master(), device.describe(), plan.size() - todo.size());
        if (!todo.isEmpty()) {
            // The driver loaded the data to check them (open()); in local mode its JVM is the executor's, whose
            // tasks so share that load instead of making another.
            DATA.putIfAbsent(cwd + "\u0000" + dataKey(base), sweep.data());
        }
        if (!todo.isEmpty() && !driver.retries()) {
            LOG.warn("{} retries no failed task: a run that fails stops the sweep (use local[N,F] or"
                    + " spark.task.maxFailures > 1 to retry it from its checkpoint)", driver.master());
        }
        driver.run("ravine sweep lr: " + todo.size() + " runs", todo,
                new Task(args.toArray(String[]::new), cwd, device), (item, result) -> { });
        published.refresh();
        List<LearningRateSweep.Run> runs = new ArrayList<>();
        List<LearningRateSweep.Run> ranNow = new ArrayList<>();
        for (int i = 0; i < plan.size(); i++) {
            LearningRateSweep.Run r = sweep.finished(plan.get(i));
            if (r == null) {
                throw new InvalidInputException(plan.get(i).runDir() + ": its task finished, but the driver"
                        + " finds no summary.json there: --run-dir must be on a filesystem that the driver and every"
                        + " executor share at the same path");
            }
            runs.add(r);
            int index = i;
            if (todo.stream().anyMatch(t -> t.index() == index)) {
                ranNow.add(r);
            }
        }
        LearningRateSweep.Result result = sweep.gather(runs, ranNow);
        published.publish();
        return local.report(result);
    }

    /** One run of the grid, in a task: the sweep rebuilt from the same flags, the run trained or resumed. */
    record Task(String[] args, String cwd, TaskDevice device) implements SparkDriver.TrialTask<Item> {
        private static final long serialVersionUID = 1L;

        @Override
        public String run(TaskContext ctx, Item item) {
            SparkSweep cmd = SparkMain.parse(args, cwd, SparkSweep.class);
            RunDirUri.Mirror mirror = SparkMain.runDir(cmd.spec);
            try (TaskDir published = TaskDir.open(mirror, item.name(), ctx, true)) {
                LearningRateSweep sweep = cmd.local.sweep(cmd.local.baseConfig());
                LearningRateSweep.Trial t = sweep.plan().get(item.index());
                if (!t.runDir().getFileName().toString().equals(item.name())) {
                    throw new IllegalStateException("the executor planned " + t.runDir().getFileName() + " where"
                            + " the driver planned " + item.name() + ": different Ravine versions?");
                }
                if (sweep.finished(t) != null) {
                    return "finished"; // an earlier attempt finished it and died before reporting
                }
                List<TrainingListener> listeners = new ArrayList<>();
                if (published.listener() != null) {
                    listeners.add(published.listener());
                }
                TrainingListener fault = Faults.forTrial(ctx, item.name());
                if (fault != null) {
                    listeners.add(fault);
                }
                try (Backend backend = device.open(ctx)) {
                    io.ravine.data.TrainTest data = DATA.computeIfAbsent(cwd + "\u0000"
                            + dataKey(cmd.local.baseConfig()), k -> sweep.data());
                    sweep.runTrial(t, backend, data, listeners.toArray(TrainingListener[]::new));
                }
                published.publish();
                return "trained";
            } catch (RuntimeException e) {
                throw TaskDir.shown(mirror, e);
            } finally {
                SparkMain.deleteMirrors(cmd.spec);
            }
        }
    }

    /**
     * The sweep's data set, loaded once per executor JVM and shared by its tasks, as the local sweep loads it once
     * for all its runs (a run reads its data and never changes them; the runs' bits are the local sweep's, which
     * the tests compare). Keyed by what loading depends on, the working directory included (a relative path); an
     * executor JVM serves one application, so a data file does not change under it.
     */
    static final java.util.concurrent.ConcurrentHashMap<String, io.ravine.data.TrainTest> DATA =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static String dataKey(io.ravine.train.TrainConfig c) {
        return c.data() + "\u0000" + c.testData() + "\u0000" + c.loss() + "\u0000" + c.limit();
    }
}
