package io.ravine.backend.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * A CPU stand-in for one CUDA stream and the device behind it, deterministic and step-wise: enqueued operations wait
 * in a FIFO until the test (or a blocking host call) lets the device run them. A copy reads its host bytes when it
 * runs, as DMA does, so a host that overwrites a staging slot too early delivers the wrong bytes; the simulator also
 * compares them with what the host had written when it enqueued the copy, and records every such overwrite, every
 * copy from freed memory and every block of host memory freed while a copy still needs it. Work items (a step's
 * graph) start and finish in two phases, so the test can hold the device "busy with step t".
 *
 * <p>{@link #synchronize} is the only way the host blocks: it counts the wait and runs the device exactly until the
 * event's record has run (not further, and fails rather than spin if that never happens).
 */
final class SimulatedStream implements StagingRing.Stream<SimulatedStream.Host, SimulatedStream.Event,
        SimulatedStream.DeviceBuffer> {

    /** Pinned host memory. */
    static final class Host {
        final ByteBuffer bytes;
        boolean freed;

        Host(int size) {
            bytes = ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
        }
    }

    /** An event: pending from its record until the record runs on the device. */
    static final class Event {
        final int id;
        long recorded;   // generation of the last record
        long completed;  // generation the device has run
        boolean destroyed;

        Event(int id) {
            this.id = id;
        }

        boolean pending() {
            return completed < recorded;
        }
    }

    /** Device memory. */
    static final class DeviceBuffer {
        final byte[] data;

        DeviceBuffer(int size) {
            data = new byte[size];
        }
    }

    private sealed interface Op permits Copy, Record, Work {
    }

    private record Copy(DeviceBuffer dst, long dstOffset, Host src, int bytes, byte[] written) implements Op {
    }

    private record Record(Event event, long generation) implements Op {
    }

    /** Device work, e.g. one step's graph: {@code onStart} checks what it reads. */
    record Work(String name, Runnable onStart) implements Op {
    }

    private final Deque<Op> queue = new ArrayDeque<>();
    private Work running;
    private int events;
    private long blockingWaits;
    private long hostAllocations;
    private final List<String> violations = new ArrayList<>();
    private final List<Event> waitedOn = new ArrayList<>();
    private final List<List<Event>> pendingAtWait = new ArrayList<>();
    private final List<Integer> queuedAfterWait = new ArrayList<>();
    private final List<String> finished = new ArrayList<>();

    // ---- StagingRing.Stream ----

    @Override
    public Host allocateHost(long bytes) {
        hostAllocations++;
        return new Host(Math.toIntExact(bytes));
    }

    @Override
    public ByteBuffer hostBuffer(Host host, long bytes) {
        return host.bytes;
    }

    @Override
    public void freeHost(Host host) {
        for (Op op : queue) {
            if (op instanceof Copy c && c.src() == host) {
                violations.add("host block freed while a copy from it was still queued");
            }
        }
        host.freed = true;
    }

    @Override
    public Event createEvent() {
        return new Event(events++);
    }

    @Override
    public void destroyEvent(Event event) {
        event.destroyed = true;
    }

    @Override
    public void record(Event event) {
        event.recorded++;
        queue.add(new Record(event, event.recorded));
    }

    @Override
    public boolean completed(Event event) {
        return !event.pending();
    }

    @Override
    public void synchronize(Event event) {
        if (!event.pending()) {
            return;
        }
        blockingWaits++;
        waitedOn.add(event);
        pendingAtWait.add(pendingEventsInOrder());
        while (event.pending()) {
            if (!stepDevice()) {
                throw new AssertionError("deadlock: waiting for event " + event.id + " that the device never reaches");
            }
        }
        queuedAfterWait.add(queue.size());
    }

    @Override
    public void copyToDevice(DeviceBuffer dst, long dstOffset, Host src, long bytes) {
        byte[] written = new byte[Math.toIntExact(bytes)];
        src.bytes.get(0, written);
        queue.add(new Copy(dst, dstOffset, src, written.length, written));
    }

    // ---- the device ----

    void enqueue(Work w) {
        queue.add(w);
    }

    /**
     * Runs one thing: finishes the running work item if there is one, else runs the next queued operation (a work
     * item only starts). False when there was nothing to do.
     */
    boolean stepDevice() {
        if (running != null) {
            finished.add(running.name());
            running = null;
            return true;
        }
        Op op = queue.poll();
        if (op == null) {
            return false;
        }
        if (op instanceof Copy c) {
            if (c.src().freed) {
                violations.add("copy from freed host memory");
            }
            byte[] now = new byte[c.bytes()];
            c.src().bytes.get(0, now);
            if (!Arrays.equals(now, c.written())) {
                violations.add("staging bytes overwritten before the device copied them");
            }
            System.arraycopy(now, 0, c.dst().data, Math.toIntExact(c.dstOffset()), c.bytes());
        } else if (op instanceof Record r) {
            r.event().completed = Math.max(r.event().completed, r.generation());
        } else if (op instanceof Work w) {
            running = w;
            w.onStart().run();
        }
        return true;
    }

    /**
     * Runs the device until {@code w} has started, finishing whatever runs before it; nothing if it already started
     * (a blocking wait may have let the device get there first).
     */
    void runUntilStarted(Work w) {
        while (running != w && !finished.contains(w.name())) {
            if (!stepDevice()) {
                throw new AssertionError(w.name() + " is not queued");
            }
        }
    }

    /** Runs everything queued. */
    void drain() {
        while (stepDevice()) {
            // keep going
        }
    }

    Work running() {
        return running;
    }

    long blockingWaits() {
        return blockingWaits;
    }

    long hostAllocations() {
        return hostAllocations;
    }

    List<String> violations() {
        return violations;
    }

    List<Event> waitedOn() {
        return waitedOn;
    }

    /** For each blocking wait, the events then pending, in the order the device would reach them. */
    List<List<Event>> pendingAtWait() {
        return pendingAtWait;
    }

    /** Queued operations left when each blocking wait returned. */
    List<Integer> queuedAfterWait() {
        return queuedAfterWait;
    }

    List<String> finished() {
        return finished;
    }

    /** Events recorded and not yet reached, in the order the device will reach them. */
    List<Event> pendingEventsInOrder() {
        List<Event> out = new ArrayList<>();
        for (Op op : queue) {
            if (op instanceof Record r && r.generation() == r.event().recorded && r.event().pending()) {
                out.add(r.event());
            }
        }
        return out;
    }
}
