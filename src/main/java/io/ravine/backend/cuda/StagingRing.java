package io.ravine.backend.cuda;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Host-to-device uploads through a ring of pinned staging slots, so that the host never waits for the device except
 * when it has run a whole ring ahead of it.
 *
 * <p>Each upload (or each chunk of one larger than {@code maxSlotBytes}) takes the next slot in ring order, fills it
 * on the host, enqueues an asynchronous copy from it and records the slot's own event behind that copy. A slot is
 * refilled only after its event completed, i.e. after the device consumed its last copy; since slots are taken in
 * ring order and the stream runs in order, the slot waited for is always the oldest one in flight. With {@code n}
 * slots the host may therefore have {@code n} copies in flight before it waits at all: enough for a whole training
 * step's uploads (x and y, each one slot up to {@code maxSlotBytes}) of several consecutive steps while the device is
 * still busy with an earlier one (CudaBackend: 8 slots, 2 per step). The single staging buffer this replaces was the
 * ring with one slot: the y upload waited for the x copy queued behind the previous step's graph, every step.
 *
 * <p>Slots start empty and grow on demand (the pinned block is freed and allocated again, larger: powers of two, at
 * least {@code initialSlotBytes}, at most {@code maxSlotBytes}) when an upload needs more than a slot holds; a slot
 * grows only while idle, so no copy reads freed memory. Allocations are counted, so tests can check that a steady
 * state allocates nothing. Growth allocates, so it must not happen during CUDA graph capture: CudaBackend refuses
 * host transfers inside {@code record()} before they reach the ring.
 *
 * <p>Written against {@link Stream}, a handful of stream and event operations, and free of JCuda: CudaBackend runs it
 * on the driver API ({@link DriverStream}), and StagingRingTest on a simulated device that checks every copy's bytes.
 * Not thread-safe (a backend is used from one thread at a time).
 *
 * @param <H> a pinned host block
 * @param <E> an event
 * @param <D> a device address copies go to
 */
final class StagingRing<H, E, D> implements AutoCloseable {
    /** What the ring needs from one stream: pinned memory, events, and an asynchronous host-to-device copy. */
    interface Stream<H, E, D> {
        /** Pinned (page-locked) host memory of {@code bytes} bytes. */
        H allocateHost(long bytes);

        /** A native-order view of the first {@code bytes} bytes of {@code host}. */
        ByteBuffer hostBuffer(H host, long bytes);

        void freeHost(H host);

        E createEvent();

        void destroyEvent(E event);

        /** Records {@code event} behind everything enqueued so far (cuEventRecord). */
        void record(E event);

        /** True when everything before the event's last record has run, or it was never recorded (cuEventQuery). */
        boolean completed(E event);

        /** Blocks until {@link #completed} would be true (cuEventSynchronize). */
        void synchronize(E event);

        /** Enqueues a copy of the first {@code bytes} bytes of {@code src} to {@code dst + dstOffset} (async). */
        void copyToDevice(D dst, long dstOffset, H src, long bytes);
    }

    /** Writes bytes [done, done + bytes) of an upload into {@code slot}'s first {@code bytes} bytes. */
    @FunctionalInterface
    interface Fill {
        void fill(ByteBuffer slot, long done, int bytes);
    }

    private final class Slot {
        final E event;
        H host;
        ByteBuffer buffer;
        int capacity;

        Slot(E event) {
            this.event = event;
        }
    }

    private final Stream<H, E, D> stream;
    private final List<Slot> slots = new ArrayList<>();
    private final int initialSlotBytes;
    private final int maxSlotBytes;
    private int next;
    private long blockingWaits;
    private long allocations;
    private long pinnedBytes;
    private boolean closed;

    /**
     * @param slotCount slots in the ring, at least 1 (1 is the old single-buffer policy)
     * @param initialSlotBytes the size a slot gets on first use at least
     * @param maxSlotBytes the largest slot; larger uploads go in chunks of this size (a multiple of 8, so chunks of
     *     floats and doubles stay whole)
     */
    StagingRing(Stream<H, E, D> stream, int slotCount, int initialSlotBytes, int maxSlotBytes) {
        if (slotCount < 1 || initialSlotBytes < 1 || maxSlotBytes < initialSlotBytes || maxSlotBytes % 8 != 0) {
            throw new IllegalArgumentException("staging ring of " + slotCount + " slots, " + initialSlotBytes + " to "
                    + maxSlotBytes + " bytes");
        }
        this.stream = stream;
        this.initialSlotBytes = initialSlotBytes;
        this.maxSlotBytes = maxSlotBytes;
        try {
            for (int i = 0; i < slotCount; i++) {
                slots.add(new Slot(stream.createEvent()));
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /**
     * Copies {@code bytes} bytes to {@code dst}, chunk by chunk through the ring: {@code fill} writes each chunk into
     * a slot, then its copy is enqueued. Returns once everything is enqueued; waits only for a slot whose previous
     * copy has not run yet (the oldest in flight).
     */
    void upload(D dst, long bytes, Fill fill) {
        if (closed) {
            throw new IllegalStateException("staging ring is closed");
        }
        for (long done = 0; done < bytes; ) {
            int len = (int) Math.min(bytes - done, maxSlotBytes);
            Slot s = slots.get(next);
            next = (next + 1) % slots.size();
            if (!stream.completed(s.event)) {
                blockingWaits++;
                stream.synchronize(s.event);
            }
            if (s.capacity < len) {
                grow(s, len);
            }
            fill.fill(s.buffer, done, len);
            stream.copyToDevice(dst, done, s.host, len);
            stream.record(s.event);
            done += len;
        }
    }

    /** Replaces an idle slot's pinned block with one of at least {@code needed} bytes. */
    private void grow(Slot s, int needed) {
        int size = Math.max(initialSlotBytes, Integer.highestOneBit(needed - 1) << 1);
        size = Math.min(maxSlotBytes, Math.max(size, needed));
        if (s.host != null) {
            stream.freeHost(s.host);
            pinnedBytes -= s.capacity;
            s.host = null;
            s.buffer = null;
            s.capacity = 0;
        }
        s.host = stream.allocateHost(size);
        s.buffer = stream.hostBuffer(s.host, size);
        s.capacity = size;
        allocations++;
        pinnedBytes += size;
    }

    /** Uploads that found their slot still in flight and waited for it. */
    long blockingWaits() {
        return blockingWaits;
    }

    /** Pinned blocks allocated so far (first use of a slot and every growth). */
    long allocations() {
        return allocations;
    }

    /** Pinned bytes the ring holds now. */
    long pinnedBytes() {
        return pinnedBytes;
    }

    int slotCount() {
        return slots.size();
    }

    /** Frees every slot and event; the caller synchronizes the stream first (no copy may still read a slot). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Slot s : slots) {
            if (s.host != null) {
                stream.freeHost(s.host);
                pinnedBytes -= s.capacity;
            }
            stream.destroyEvent(s.event);
        }
        slots.clear();
    }
}
