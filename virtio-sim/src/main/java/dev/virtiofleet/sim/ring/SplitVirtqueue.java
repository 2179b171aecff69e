package dev.virtiofleet.sim.ring;

import dev.virtiofleet.qapi.VirtQueueStatus;
import dev.virtiofleet.qapi.VirtioQueueElement;
import dev.virtiofleet.qapi.VirtioRingAvail;
import dev.virtiofleet.qapi.VirtioRingUsed;
import java.util.Optional;

/**
 * One split virtqueue: the guest driver's side in guest memory (avail ring, its {@code idx} and
 * flags) and QEMU's {@code VirtQueue} bookkeeping of it, with every index free-running mod 65536.
 *
 * <p>The driver offers buffers ({@link #driverOffer}); the device looks at the ring, which
 * refreshes its shadow copy of the avail index, and takes what it finds ({@link #deviceTake});
 * it returns buffers ({@link #devicePush}) and interrupts the guest ({@link #deviceNotify}).
 * Not thread-safe: the owning VM serialises access.
 */
public final class SplitVirtqueue {
    private final int queueIndex;
    private final int num;
    private final int numDefault;
    private final VringLayout layout;
    private final BufferShape shape;

    private int availIdx;
    private int availFlags;
    private int lastAvailIdx;
    private int shadowAvailIdx;
    private int usedIdx;
    private int usedFlags;
    private int signalledUsed;
    private boolean signalledUsedValid;
    private int inuse;
    private boolean driverEverWrote;
    // The live status last reported and the indices it shows, handed out again while they are unchanged.
    private VirtQueueStatus lastStatus;
    private String reportedName;
    private int reportedInuse;
    private int reportedLastAvailIdx;
    private int reportedShadowAvailIdx;
    private int reportedUsedIdx;
    private int reportedSignalledUsed;
    private boolean reportedSignalledUsedValid;

    public SplitVirtqueue(int queueIndex, int num, VringLayout layout, BufferShape shape) {
        if (queueIndex < 0 || queueIndex > 1023) {
            throw new IllegalArgumentException("queue index must be 0..1023 (VIRTIO_QUEUE_MAX), got " + queueIndex);
        }
        if (num <= 0 || num > 32768 || Integer.bitCount(num) != 1) {
            throw new IllegalArgumentException("split ring size must be a power of two 1..32768, got " + num);
        }
        this.queueIndex = queueIndex;
        this.num = num;
        this.numDefault = num;
        this.layout = layout;
        this.shape = shape;
    }

    public int size() {
        return num;
    }

    /**
     * Guest driver adds up to {@code count} buffers to the avail ring, as many as free descriptors
     * allow (the ring holds at most {@code num} outstanding buffers). Returns how many it added.
     */
    public int driverOffer(long count) {
        int outstanding = RingIndex.distance(usedIdx, availIdx);
        int added = (int) Math.min(count, num - outstanding);
        if (added > 0) {
            availIdx = RingIndex.advance(availIdx, added);
            driverEverWrote = true;
        }
        return Math.max(added, 0);
    }

    /** Buffers the driver could still add before the ring is full. */
    public int driverFreeSlots() {
        return num - RingIndex.distance(usedIdx, availIdx);
    }

    /** Device reads the avail index (refreshing its shadow copy) and takes up to {@code max} buffers. */
    public int deviceTake(long max) {
        shadowAvailIdx = availIdx;
        int taken = (int) Math.min(max, RingIndex.distance(lastAvailIdx, availIdx));
        lastAvailIdx = RingIndex.advance(lastAvailIdx, taken);
        inuse += taken;
        return taken;
    }

    /** Device returns up to {@code max} of the buffers it holds to the used ring. */
    public int devicePush(long max) {
        int pushed = (int) Math.min(max, inuse);
        usedIdx = RingIndex.advance(usedIdx, pushed);
        inuse -= pushed;
        return pushed;
    }

    /** Device interrupts the guest for what it has pushed so far. */
    public void deviceNotify() {
        signalledUsed = usedIdx;
        signalledUsedValid = true;
    }

    /**
     * The driver offers {@code count} buffers one after another and the device takes, returns and
     * signals each before the next: a healthy request queue. Only valid with nothing outstanding,
     * which keeps every index in step.
     */
    public void passThrough(long count, boolean signal) {
        if (inuse != 0 || availIdx != lastAvailIdx) {
            throw new IllegalStateException("queue " + queueIndex + " has outstanding buffers; drain it first");
        }
        if (count == 0) {
            return;
        }
        availIdx = RingIndex.advance(availIdx, count);
        lastAvailIdx = availIdx;
        shadowAvailIdx = availIdx;
        usedIdx = RingIndex.advance(usedIdx, count);
        driverEverWrote = true;
        if (signal) {
            deviceNotify();
        }
    }

    public int inuse() {
        return inuse;
    }

    /** Whether the device returned buffers it has not interrupted the guest for. */
    public boolean completionsUnsignalled() {
        return usedIdx != (signalledUsedValid ? signalledUsed : 0);
    }

    /** The guest suppresses (1) or allows (0) interrupts: VRING_AVAIL_F_NO_INTERRUPT. */
    public void setAvailFlags(int flags) {
        this.availFlags = RingIndex.require("avail flags", flags);
    }

    /**
     * QEMU's view as {@code x-query-virtio-queue-status} reports it. With a started vhost backend
     * QEMU's own counters are stale and {@code shadow-avail-idx} is absent; {@code vhostLastAvail}
     * is what QEMU then puts in {@code last-avail-idx}. While nothing it reports changed, the same
     * (immutable) record comes back, which lets a reader skip mapping it again.
     */
    public VirtQueueStatus status(String deviceName, Optional<Integer> vhostLastAvail) {
        if (vhostLastAvail.isPresent()) {
            return new VirtQueueStatus(deviceName, queueIndex, inuse, num, numDefault, layout.align(),
                    layout.desc(), layout.avail(), layout.used(), vhostLastAvail, Optional.empty(), usedIdx,
                    signalledUsed, signalledUsedValid);
        }
        VirtQueueStatus last = lastStatus;
        // Size, alignment and addresses never change; the rest it reports is compared here, member by member.
        if (last != null && (reportedName == deviceName || reportedName.equals(deviceName)) && reportedInuse == inuse
                && reportedLastAvailIdx == lastAvailIdx && reportedShadowAvailIdx == shadowAvailIdx
                && reportedUsedIdx == usedIdx && reportedSignalledUsed == signalledUsed
                && reportedSignalledUsedValid == signalledUsedValid) {
            return last;
        }
        lastStatus = new VirtQueueStatus(deviceName, queueIndex, inuse, num, numDefault, layout.align(),
                layout.desc(), layout.avail(), layout.used(), Optional.of(lastAvailIdx), Optional.of(shadowAvailIdx),
                usedIdx, signalledUsed, signalledUsedValid);
        reportedName = deviceName;
        reportedInuse = inuse;
        reportedLastAvailIdx = lastAvailIdx;
        reportedShadowAvailIdx = shadowAvailIdx;
        reportedUsedIdx = usedIdx;
        reportedSignalledUsed = signalledUsed;
        reportedSignalledUsedValid = signalledUsedValid;
        return lastStatus;
    }

    /**
     * The element at {@code position} of the avail ring (QEMU defaults to {@code last-avail-idx}),
     * read from guest memory. Reading the avail index refreshes QEMU's shadow copy, as QEMU's
     * {@code vring_avail_idx()} does.
     */
    public VirtioQueueElement element(String deviceName, Optional<Integer> position) {
        int slot = position.orElse(lastAvailIdx) % num;
        int head = shape.headReused() ? 0 : slot;
        shadowAvailIdx = availIdx;
        return new VirtioQueueElement(deviceName, head,
                driverEverWrote ? shape.descs() : BufferShape.NEVER_WRITTEN,
                new VirtioRingAvail(availFlags, availIdx, head),
                new VirtioRingUsed(usedFlags, usedIdx));
    }

    /** Sets every index as a running guest left them; used to start a VM mid-life. */
    public void restore(RingCounters counters) {
        if (RingIndex.distance(counters.usedIdx(), counters.availIdx()) > num) {
            throw new IllegalArgumentException("queue " + queueIndex + " of size " + num + " cannot hold "
                    + RingIndex.distance(counters.usedIdx(), counters.availIdx()) + " outstanding buffers");
        }
        availIdx = counters.availIdx();
        lastAvailIdx = counters.lastAvailIdx();
        shadowAvailIdx = counters.shadowAvailIdx();
        usedIdx = counters.usedIdx();
        signalledUsed = counters.signalledUsed();
        signalledUsedValid = counters.signalledUsedValid();
        inuse = RingIndex.distance(usedIdx, lastAvailIdx);
        driverEverWrote = availIdx != 0 || usedIdx != 0;
    }

    /** The indices now, for tests and for handing state to a replacement device. */
    public RingCounters counters() {
        return new RingCounters(availIdx, lastAvailIdx, shadowAvailIdx, usedIdx, signalledUsed, signalledUsedValid);
    }
}
