package io.ravine.spark;

import io.ravine.InvalidInputException;
import java.io.IOException;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * The driver's side: the SparkContext (checked before anything is written), and one job whose tasks each run one
 * trial, with each task's result handed to the caller as the task finishes.
 */
final class SparkDriver implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SparkDriver.class);
    /** The Spark resource name of GPUs (spark.task.resource.gpu.amount). */
    static final String GPU = "gpu";

    private final SparkContext sc;
    private final boolean created;

    private SparkDriver(SparkContext sc, boolean created) {
        this.sc = sc;
        this.created = created;
    }

    /**
     * The configuration the job will run with: the active context's, or the one spark-submit passes (system
     * properties), read before a context exists so that settings are checked first.
     */
    static SparkConf conf() {
        SparkContext given = GIVEN.get();
        return given != null ? given.getConf() : new SparkConf();
    }

    /** The context {@link SparkMain#execute(SparkContext, String...)} runs on (this thread), or null. */
    static final ThreadLocal<SparkContext> GIVEN = new ThreadLocal<>();

    /** Whether each task is given a GPU (spark.task.resource.gpu.amount set and positive). */
    static boolean gpuPerTask(SparkConf conf) {
        String amount = conf.get("spark.task.resource." + GPU + ".amount", "0");
        try {
            return Double.parseDouble(amount) > 0;
        } catch (NumberFormatException e) {
            throw new InvalidInputException("spark.task.resource.gpu.amount must be a number, not '" + amount + "'");
        }
    }

    /**
     * The given SparkContext, or a new one from spark-submit's configuration. A master that cannot be reached or
     * parsed is one line, before any output is written.
     */
    static SparkDriver start(String appName) {
        if (GIVEN.get() != null) {
            return new SparkDriver(GIVEN.get(), false);
        }
        SparkConf conf = new SparkConf().setAppName(appName);
        if (!conf.contains("spark.master")) {
            throw new InvalidInputException("no Spark master: run this through spark-submit --master URL (or set"
                    + " spark.master)");
        }
        String master = conf.get("spark.master");
        requireReachable(master);
        try {
            return new SparkDriver(new SparkContext(conf), true);
        } catch (RuntimeException | ExceptionInInitializerError e) {
            throw new InvalidInputException("spark.master " + master + ": Spark could not start on it ("
                    + oneLine(e.getMessage() != null ? e.getMessage() : e.toString()) + ")", e);
        }
    }

    /**
     * A standalone master (spark://host:port[,host:port]) that no one answers at is one line at once: Spark itself
     * retries for a minute and then only logs that all masters are unresponsive.
     */
    static void requireReachable(String master) {
        if (!master.startsWith("spark://")) {
            return;
        }
        List<String> why = new ArrayList<>();
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            int colon = hostPort.lastIndexOf(':');
            if (colon < 0) {
                throw new InvalidInputException("spark.master " + master + ": expected spark://HOST:PORT");
            }
            String host = hostPort.substring(0, colon);
            int port;
            try {
                port = Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new InvalidInputException("spark.master " + master + ": the port of " + hostPort
                        + " is not a number");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 5000);
                return;
            } catch (IOException e) {
                why.add(hostPort + ": " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
            }
        }
        throw new InvalidInputException("spark.master " + master + ": the master cannot be reached ("
                + String.join("; ", why) + ")");
    }

    /** Whether this driver retries a failed task (plain local[N] does not: local[N,F] does). */
    boolean retries() {
        String master = sc.master();
        if (master.equals("local") || master.startsWith("local[")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[[^,\\]]+,\\s*(\\d+)\\]")
                    .matcher(master);
            return m.matches() && Integer.parseInt(m.group(1)) > 1;
        }
        return sc.getConf().getInt("spark.task.maxFailures", 4) > 1;
    }

    /** The application's ID, as Spark's UI and logs name it. */
    String applicationId() {
        return sc.applicationId();
    }

    /** The master URL. */
    String master() {
        return sc.master();
    }

    /**
     * Runs {@code task} over {@code items}, one task per item (one partition each, scheduled in order), and hands
     * each task's result with its item to {@code onResult} on the driver as that task finishes (one at a time).
     * A task that failed every attempt fails the job: one {@link TrialFailedException} naming its trial.
     */
    <T extends Serializable> void run(String description, List<T> items, TrialTask<T> task,
            BiConsumer<T, String> onResult) {
        if (items.isEmpty()) {
            return;
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
        RDD<T> rdd = jsc.parallelize(items, items.size()).rdd();
        sc.setJobDescription(description);
        int[] done = {0};
        try {
            sc.runJob(rdd, new PartitionFunction<>(task), new AbstractFunction2<Object, String, BoxedUnit>() {
                @Override
                public BoxedUnit apply(Object partition, String result) {
                    T item = items.get((Integer) partition);
                    onResult.accept(item, result);
                    done[0]++;
                    LOG.info("{} of {} trials finished on the cluster ({})", done[0], items.size(), item);
                    return BoxedUnit.UNIT;
                }
            }, scala.reflect.ClassTag$.MODULE$.apply(String.class));
        } catch (Exception e) {
            // An exception of onResult (recording or publishing a result on the driver) reaches here wrapped by
            // Spark as an "Execution error": it is the driver's own failure, not a trial's, and is thrown as it was.
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t.getClass().getName().equals("org.apache.spark.SparkDriverExecutionException")
                        && t.getCause() instanceof RuntimeException own) {
                    throw own;
                }
            }
            // SparkException is a checked exception that Scala code throws undeclared.
            throw TrialFailedException.of(e);
        }
    }

    @Override
    public void close() {
        if (created) {
            sc.stop();
        }
    }

    /**
     * Reports a job that failed because a trial failed on every attempt: its one line on stderr, the directory
     * named as given ({@code remote}, null for a path); returns the exit status.
     */
    static int failed(TrialFailedException e, RunDirUri.Mirror remote) {
        System.err.println("ravine: " + oneLine(remote == null ? e.getMessage() : remote.show(e.getMessage())));
        return io.ravine.cli.Main.EXIT_FAILED;
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }

    /** A task's work over its partition (one item). Serializable: Spark ships it to the executors. */
    interface TrialTask<T> extends Serializable {
        /**
         * Runs the item's trial in this task and returns what the driver records (text).
         *
         * @param ctx the task's context: its attempt number and resources (a GPU)
         * @param item the trial
         * @return the result as text
         */
        String run(TaskContext ctx, T item) throws Exception;
    }

    /** Spark's (TaskContext, Iterator) function around a {@link TrialTask}: one item per partition. */
    private static final class PartitionFunction<T> extends AbstractFunction2<TaskContext, scala.collection.Iterator<T>,
            String> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final TrialTask<T> task;

        PartitionFunction(TrialTask<T> task) {
            this.task = task;
        }

        @Override
        public String apply(TaskContext ctx, scala.collection.Iterator<T> it) {
            T item = it.next();
            try {
                return task.run(ctx, item);
            } catch (TrialFailedException e) {
                throw e;
            } catch (Exception | LinkageError e) {
                // One line naming the trial and the cause: what the driver reports if every attempt fails.
                throw new TrialFailedException(item + " (attempt " + (ctx.attemptNumber() + 1) + ", "
                        + hostOf() + "): " + describe(e), e);
            }
        }

        private static String hostOf() {
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                return "unknown host";
            }
        }
    }

    static String describe(Throwable e) {
        String m = e.getMessage();
        return oneLine(m != null && !m.isBlank() ? m : e.getClass().getName());
    }

    /**
     * A trial that failed in its task; on the driver, the job that failed because a trial failed on every attempt
     * (one line).
     */
    static final class TrialFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final String MARK = "ravine trial failed: ";

        TrialFailedException(String message, Throwable cause) {
            super(MARK + message, cause);
        }

        TrialFailedException(String message) {
            super(message);
        }

        /** The job's failure as one line: the trial's own message where Spark's report carries it. */
        static RuntimeException of(Exception e) {
            Throwable t = e;
            while (t != null && !(t instanceof SparkException)) {
                t = t.getCause();
            }
            if (t == null) {
                return e instanceof RuntimeException r ? r : new IllegalStateException(e);
            }
            String m = t.getMessage() == null ? "" : t.getMessage();
            String first = m.lines().findFirst().orElse(m);
            int at = first.indexOf(MARK);
            String attempts = "";
            java.util.regex.Matcher failed = java.util.regex.Pattern.compile("failed (\\d+) times").matcher(first);
            if (failed.find()) {
                attempts = " (" + failed.group(1) + (failed.group(1).equals("1") ? " attempt" : " attempts")
                        + ")";
            }
            String what = at >= 0 ? first.substring(at + MARK.length()) : oneLine(first);
            return new TrialFailedException(String.format(Locale.ROOT, "a trial failed on the cluster%s: %s",
                    attempts, what));
        }
    }
}
