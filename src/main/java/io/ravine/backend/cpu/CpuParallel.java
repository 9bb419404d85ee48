package io.ravine.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Splits the CPU backend's loops and matrix-product tiles over a fixed set of daemon threads. Elementwise loops use a
 * fixed partition of the index range into contiguous blocks, and each element (or each column of a column sum) is
 * computed by exactly one thread in a fixed order; the tiles of a product ({@link GemmPartition}) are fixed by its
 * shape and taken by whichever thread is free. Either way results depend neither on scheduling nor on the thread
 * count: only the wall time does.
 *
 * <p>The workers spin for {@link #SPIN_NANOS} after a task before they park: a training step hands them a task every
 * few tens of microseconds, and waking a parked thread takes about as long (a 128×256×784 product split in two ran
 * at 1.37× on two threads with an executor's parked workers, against 1.9× ideal). Only one caller at a time hands
 * work to the workers; another caller meanwhile runs its loop on its own thread, with the same results.
 */
final class CpuParallel {
    /** Below this many elements per thread, handing work to another thread costs more than it saves. */
    static final int DEFAULT_GRAIN = 1 << 15;
    /** Block boundaries fall on multiples of this (whole cache lines, whole vector registers). */
    private static final int ALIGN = 64;
    /** How long an idle worker waits for the next task before it parks. */
    static final long SPIN_NANOS = 200_000;
    /** How long a waiting thread spins before it yields its core at each round. */
    private static final long YIELD_AFTER_NANOS = 20_000;

    private static volatile int threads = 1;
    private static Worker[] workers = new Worker[0];
    private static final ReentrantLock HANDING = new ReentrantLock();

    private CpuParallel() {
    }

    /** One worker thread: runs the task put in its slot, then waits for the next. */
    private static final class Worker implements Runnable {
        private volatile Runnable task;
        private volatile boolean stopped;
        private volatile boolean parked;
        private final Thread thread;

        Worker() {
            thread = new Thread(this, "ravine-cpu-worker");
            thread.setDaemon(true);
            thread.start();
        }

        void give(Runnable r) {
            task = r;
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        void stop() {
            stopped = true;
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            while (!stopped) {
                Runnable r = task;
                if (r == null) {
                    long since = System.nanoTime();
                    while ((r = task) == null && !stopped && System.nanoTime() - since < SPIN_NANOS) {
                        pause(since);
                    }
                    if (r == null) {
                        parked = true;
                        if (task == null && !stopped) {
                            LockSupport.park(this);
                        }
                        parked = false;
                        continue;
                    }
                }
                task = null;
                r.run();
            }
        }
    }

    /**
     * One round of a wait that began at {@code since}: a spin hint for the first {@link #YIELD_AFTER_NANOS}, then a
     * yield, so that with more threads than cores a waiting thread gives its core to the one it waits for.
     */
    private static void pause(long since) {
        if (System.nanoTime() - since < YIELD_AFTER_NANOS) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    /** Uses up to {@code t} threads (the caller's plus t − 1 workers) for the loops that follow. */
    static void setThreads(int t) {
        int want = Math.max(1, t);
        HANDING.lock();
        try {
            if (workers.length != want - 1) {
                for (Worker w : workers) {
                    w.stop();
                }
                Worker[] fresh = new Worker[want - 1];
                for (int i = 0; i < fresh.length; i++) {
                    fresh[i] = new Worker();
                }
                workers = fresh;
            }
            threads = want;
        } finally {
            HANDING.unlock();
        }
    }

    static int threads() {
        return threads;
    }

    /**
     * Runs {@code parts} pieces of work, piece 0 on the calling thread and the others on workers, and returns when all
     * are done, rethrowing the first exception or error a piece threw. Where another caller holds the workers, or
     * there are fewer of them than pieces, the calling thread runs the rest itself.
     */
    private static void run(int parts, java.util.function.IntConsumer piece) {
        // A piece that itself splits work (not done today) runs it on its own thread: the workers are busy.
        if (parts <= 1 || HANDING.isHeldByCurrentThread() || !HANDING.tryLock()) {
            for (int i = 0; i < parts; i++) {
                piece.accept(i);
            }
            return;
        }
        try {
            Worker[] ws = workers;
            int handed = Math.min(parts - 1, ws.length);
            AtomicInteger pending = new AtomicInteger(handed);
            Throwable[] failure = new Throwable[1];
            for (int i = 0; i < handed; i++) {
                int part = i + 1;
                ws[i].give(() -> {
                    try {
                        piece.accept(part);
                    } catch (Throwable e) {
                        synchronized (failure) {
                            if (failure[0] == null) {
                                failure[0] = e;
                            }
                        }
                    } finally {
                        pending.decrementAndGet();
                    }
                });
            }
            Throwable own = null;
            try {
                piece.accept(0);
                for (int i = handed + 1; i < parts; i++) {
                    piece.accept(i);
                }
            } catch (RuntimeException | Error e) {
                own = e;
            }
            long since = System.nanoTime();
            while (pending.get() > 0) {
                pause(since);
            }
            Throwable first = own;
            synchronized (failure) {
                if (first == null) {
                    first = failure[0];
                }
            }
            if (first instanceof RuntimeException re) {
                throw re;
            }
            if (first instanceof Error err) {
                throw err;
            }
            if (first != null) {
                throw new IllegalStateException(first);
            }
        } finally {
            HANDING.unlock();
        }
    }

    /** A body run once for each of a number of independent tasks. */
    @FunctionalInterface
    interface TaskBody {
        void run(int task);
    }

    /**
     * Runs {@code body} for every task in [0, count), on up to {@link #threads()} threads (the caller's and the
     * workers'), each thread taking the next task not yet taken. Which thread runs a task depends on timing, so the
     * tasks must be independent: each writes its own outputs and computes them the same way wherever it runs.
     */
    static void forEachTask(int count, TaskBody body) {
        int t = Math.min(threads, count);
        if (t <= 1) {
            for (int i = 0; i < count; i++) {
                body.run(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        run(t, part -> {
            for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                body.run(i);
            }
        });
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
        if (t <= 1) {
            body.run(0, n);
            return;
        }
        int[] bounds = new int[t + 1];
        for (int k = 1; k < t; k++) {
            bounds[k] = (int) ((long) n * k / t) / align * align;
        }
        bounds[t] = n;
        run(t, k -> body.run(bounds[k], bounds[k + 1]));
    }
}
