package io.ravine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ravine.backend.cuda.SimulatedStream.DeviceBuffer;
import io.ravine.backend.cuda.SimulatedStream.Event;
import io.ravine.backend.cuda.SimulatedStream.Host;
import io.ravine.backend.cuda.SimulatedStream.Work;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The staging ring on a simulated stream ({@link SimulatedStream}), as the trainer drives it: per step x and y through
 * the data ring, the 72-byte parameter block through its own ring, then the step's graph, which checks that the
 * device holds exactly this step's bytes. The device is kept a given number of steps behind the host ("lag": 1 = it
 * runs step t while the host enqueues step t + 1). Blocking waits are counted, not timed.
 */
class StagingRingTest {
    private static final int PARAMS_BYTES = 72;
    /** The backend's ring sizes (CudaBackend.STAGING_SLOTS, PARAMS_SLOTS). */
    private static final int SLOTS = CudaBackend.STAGING_SLOTS;
    private static final int PARAM_SLOTS = CudaBackend.PARAMS_SLOTS;

    /** A simulated training loop over one stream, with its two rings. */
    private static final class Loop {
        final SimulatedStream sim;
        final StagingRing<Host, Event, DeviceBuffer> data;
        final StagingRing<Host, Event, DeviceBuffer> params;
        final DeviceBuffer x = new DeviceBuffer(1 << 16);
        final DeviceBuffer y = new DeviceBuffer(1 << 12);
        final DeviceBuffer p = new DeviceBuffer(PARAMS_BYTES);
        final Random random = new Random(11);
        final List<Work> graphs = new ArrayList<>();
        final List<String> wrongBytes = new ArrayList<>();
        int verified;

        /** Rings on {@code stream}, which runs on (or is) {@code sim}. */
        Loop(SimulatedStream sim, StagingRing.Stream<Host, Event, DeviceBuffer> stream, int dataSlots,
                int paramSlots, int initialSlot, int maxSlot) {
            this.sim = sim;
            data = new StagingRing<>(stream, dataSlots, initialSlot, maxSlot);
            params = new StagingRing<>(stream, paramSlots, PARAMS_BYTES, PARAMS_BYTES);
        }

        Loop(int dataSlots, int paramSlots, int initialSlot, int maxSlot) {
            this(new SimulatedStream(), dataSlots, paramSlots, initialSlot, maxSlot);
        }

        private Loop(SimulatedStream sim, int dataSlots, int paramSlots, int initialSlot, int maxSlot) {
            this(sim, sim, dataSlots, paramSlots, initialSlot, maxSlot);
        }

        private byte[] randomBytes(int n) {
            byte[] b = new byte[n];
            random.nextBytes(b);
            return b;
        }

        private static StagingRing.Fill from(byte[] src) {
            return (ByteBuffer slot, long done, int len) -> slot.put(0, src, (int) done, len);
        }

        /** Host side of step t: upload x, y and the parameters, enqueue the graph. */
        void hostStep(int t, int xBytes, int yBytes) {
            byte[] xv = randomBytes(xBytes);
            byte[] yv = randomBytes(yBytes);
            byte[] pv = randomBytes(PARAMS_BYTES);
            data.upload(x, xBytes, from(xv));
            data.upload(y, yBytes, from(yv));
            params.upload(p, PARAMS_BYTES, from(pv));
            Work g = new Work("graph " + t, () -> {
                if (Arrays.equals(x.data, 0, xBytes, xv, 0, xBytes) && Arrays.equals(y.data, 0, yBytes, yv, 0, yBytes)
                        && Arrays.equals(p.data, pv)) {
                    verified++;
                } else {
                    wrongBytes.add("step " + t + " read bytes the host did not write for it");
                }
            });
            graphs.add(g);
            sim.enqueue(g);
        }

        /**
         * {@code steps} steps; after the host enqueued step t the device is made to run step t − lag + 1 (so the host
         * enqueues step t + 1 while the device is busy with step t + 1 − lag); lag 0 leaves the device stalled.
         */
        void run(int steps, IntUnaryOperator xBytes, IntUnaryOperator yBytes, IntUnaryOperator lag) {
            for (int i = 1; i <= steps; i++) {
                int t = graphs.size() + 1;  // steps are numbered across calls
                hostStep(t, xBytes.applyAsInt(t), yBytes.applyAsInt(t));
                int l = lag.applyAsInt(t);
                if (l > 0 && t - l + 1 >= 1) {
                    sim.runUntilStarted(graphs.get(t - l));
                }
            }
        }

        void finish(int steps) {
            sim.drain();
            assertEquals(List.of(), sim.violations(), "staging slots overwritten or freed while in use");
            assertEquals(List.of(), wrongBytes);
            assertEquals(steps, verified, "every step's graph saw its own x, y and parameters");
        }
    }

    @Test
    void theRingNeverBlocksWhileTheDeviceRunsAnyOfTheLastFourSteps() {
        // lag 1: the device runs step t while the host enqueues t + 1 (the trainer's steady state); up to lag 4
        // the 8 slots (2 a step) hold every step in flight.
        for (int lag : new int[] {1, 2, 3, 4}) {
            Loop loop = new Loop(SLOTS, PARAM_SLOTS, 1024, 4096);
            // x: 784 floats; y: 8 floats (a batch of 8 class indices).
            loop.run(10, t -> 3136, t -> 32, t -> lag);
            long allocationsAfterWarmUp = loop.sim.hostAllocations();
            loop.run(200, t -> 3136, t -> 32, t -> lag);
            loop.finish(210);
            assertEquals(0, loop.data.blockingWaits(), "data uploads that waited, lag " + lag);
            assertEquals(0, loop.params.blockingWaits(), "parameter blocks that waited, lag " + lag);
            assertEquals(0, loop.sim.blockingWaits(), "host blocked, lag " + lag);
            assertEquals(allocationsAfterWarmUp, loop.sim.hostAllocations(), "steady state allocates nothing");
        }
    }

    /** Where the ring's size ends: with 5 steps in flight every upload waits for the oldest slot. */
    @Test
    void fiveStepsAheadTheRingPushesBack() {
        Loop loop = new Loop(SLOTS, PARAM_SLOTS, 4096, 4096);
        loop.run(50, t -> 3136, t -> 32, t -> 5);
        loop.finish(50);
        assertEquals(2L * (50 - SLOTS / 2), loop.data.blockingWaits());
    }

    /** The control: the old policy (one staging buffer, one parameter block) is the ring with one slot. */
    @Test
    void theSingleBufferPolicyBlocksEveryStep() {
        Loop loop = new Loop(1, 1, 4096, 4096);
        loop.run(50, t -> 3136, t -> 32, t -> 1);
        loop.finish(50);
        // y waits for the x copy queued behind the previous step's graph, every step (also the first: the device
        // has not run x's copy yet).
        assertEquals(50, loop.data.blockingWaits());
        assertEquals(50, loop.sim.blockingWaits());

        // One parameter block, the host two steps ahead: each block waits for the last one's copy.
        Loop params = new Loop(SLOTS, 1, 4096, 4096);
        params.run(50, t -> 3136, t -> 32, t -> 2);
        params.finish(50);
        assertEquals(0, params.data.blockingWaits());
        assertEquals(49, params.params.blockingWaits());
    }

    @Test
    void everyCopyDeliversTheHostsBytesAcrossVaryingChunkedUploads() {
        Random sizes = new Random(5);
        int steps = 500;
        int[] xs = new int[steps + 1];
        int[] ys = new int[steps + 1];
        int[] lags = new int[steps + 1];
        for (int t = 1; t <= steps; t++) {
            xs[t] = 4 * sizes.nextInt(400);   // 0 to 1596 bytes: up to 7 chunks of 256
            ys[t] = 4 * (1 + sizes.nextInt(40));
            lags[t] = sizes.nextInt(5);       // 0 (device stalled) to 4 steps behind
        }
        Loop loop = new Loop(SLOTS, PARAM_SLOTS, 16, 256);
        loop.run(steps, t -> xs[t], t -> ys[t], t -> lags[t]);
        loop.finish(steps);
        assertTrue(loop.data.allocations() > SLOTS, "slots grew on demand: " + loop.data.allocations());
        assertTrue(loop.data.pinnedBytes() <= (long) SLOTS * 256, "slots stay within their maximum");
        assertTrue(loop.data.blockingWaits() > 0, "chunked uploads larger than the ring must wait for it");
    }

    /** The integrity checks can fail: a ring whose stream claims every event done overwrites slots in flight. */
    @Test
    void aRingThatDoesNotWaitIsCaught() {
        SimulatedStream sim = new SimulatedStream();
        StagingRing.Stream<Host, Event, DeviceBuffer> lying = new StagingRing.Stream<>() {
            @Override public Host allocateHost(long bytes) { return sim.allocateHost(bytes); }
            @Override public ByteBuffer hostBuffer(Host host, long bytes) { return sim.hostBuffer(host, bytes); }
            @Override public void freeHost(Host host) { sim.freeHost(host); }
            @Override public Event createEvent() { return sim.createEvent(); }
            @Override public void destroyEvent(Event event) { sim.destroyEvent(event); }
            @Override public void record(Event event) { sim.record(event); }
            @Override public boolean completed(Event event) { return true; }
            @Override public void synchronize(Event event) { }
            @Override public void copyToDevice(DeviceBuffer dst, long off, Host src, long bytes) {
                sim.copyToDevice(dst, off, src, bytes);
            }
        };
        Loop loop = new Loop(sim, lying, 2, 1, 4096, 4096);
        // The device two steps behind: slots are reused while their copies are still queued.
        loop.run(20, t -> 3136, t -> 32, t -> 2);
        sim.drain();
        assertFalse(sim.violations().isEmpty(), "overwritten staging bytes went unnoticed");
        assertFalse(loop.wrongBytes.isEmpty(), "graphs reading another step's bytes went unnoticed");
    }

    @Test
    void aHostFarAheadWaitsOnTheOldestSlotAndNoLonger() {
        Loop loop = new Loop(SLOTS, PARAM_SLOTS, 4096, 4096);
        int steps = 10;
        loop.run(steps, t -> 3136, t -> 32, t -> 0);  // the device never runs on its own
        // 8 data slots hold 4 steps' x and y; from step 5 on each upload waits once, for the slot used 8 uploads
        // earlier, and the device runs just far enough for it, so the parameter blocks (8 slots, one a step) of
        // those earlier steps are done by the time their slots come round: they never wait.
        assertEquals(2L * (steps - SLOTS / 2), loop.data.blockingWaits());
        assertEquals(0, loop.params.blockingWaits());
        List<Event> waited = loop.sim.waitedOn();
        assertEquals(loop.data.blockingWaits(), waited.size());
        for (int i = 0; i < waited.size(); i++) {
            Event e = waited.get(i);
            assertTrue(e.id < SLOTS, "a data slot's event");  // the data ring made its events first
            Event oldest = loop.sim.pendingAtWait().get(i).stream().filter(p -> p.id < SLOTS).findFirst()
                    .orElseThrow();
            assertSame(oldest, e, "wait " + i + " was not on the oldest slot in flight");
            assertTrue(loop.sim.queuedAfterWait().get(i) > 0, "wait " + i + " drained the whole queue");
        }
        loop.finish(steps);
    }
}
