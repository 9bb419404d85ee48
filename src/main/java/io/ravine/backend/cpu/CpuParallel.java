package io.ravine.backend.cpu;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Splits elementwise loops over a fixed pool of daemon threads. The split is a fixed partition of the index range
 * into contiguous blocks, and each element (or each column of a column sum) is computed by exactly one thread in a
 * fixed order, so results do not depend on scheduling, nor on the thread count: only the wall time does.
 */
final class CpuParallel {
    /** Below this many elements per thread, handing work to another thread costs more than it saves. */
    static final int DEFAULT_GRAIN = 1 << 15;
    /** Block boundaries fall on multiples of this (whole cache lines, whole vector registers). */
    private static final int ALIGN = 64;

    private static volatile int threads = 1;
    private static ExecutorService pool;

    private CpuParallel() {
    }

    /** Uses up to {@code t} threads (the caller's plus t − 1 workers) for the loops that follow. */
    static synchronized void setThreads(int t) {
        int want = Math.max(1, t);
        if (want > 1 && (pool == null || want != threads)) {
            if (pool != null) {
                pool.shutdown();
            }
            pool = Executors.newFixedThreadPool(want - 1, r -> {
                Thread th = new Thread(r, "ravine-cpu-worker");
                th.setDaemon(true);
                return th;
            });
        }
        threads = want;
    }

    static int threads() {
        return threads;
    }

    /** A loop body over the index range [from, to). */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    /** Runs {@code body} over [0, n) in up to {@link #threads()} blocks of at least {@code grain} indices. */
    static void forRange(int n, int grain, RangeBody body) {
        forRange(n, grain, ALIGN, body);
    }

    /**
     * As {@link #forRange(int, int, RangeBody)} with block boundaries on multiples of {@code align} (columns of a
     * row-major matrix: 16 floats are a cache line).
     */
    static void forRange(int n, int grain, int align, RangeBody body) {
        int t = Math.min(threads, n / Math.max(1, grain));
        ExecutorService p = pool;
        if (t <= 1 || p == null) {
            body.run(0, n);
            return;
        }
        int[] bounds = new int[t + 1];
        for (int k = 1; k < t; k++) {
            bounds[k] = (int) ((long) n * k / t) / align * align;
        }
        bounds[t] = n;
        @SuppressWarnings("unchecked")
        Future<?>[] futures = new Future<?>[t - 1];
        for (int k = 1; k < t; k++) {
            int from = bounds[k];
            int to = bounds[k + 1];
            futures[k - 1] = p.submit(() -> body.run(from, to));
        }
        body.run(bounds[0], bounds[1]);
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a CPU worker", e);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException re) {
                    throw re;
                }
                if (c instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException(c);
            }
        }
    }
}
