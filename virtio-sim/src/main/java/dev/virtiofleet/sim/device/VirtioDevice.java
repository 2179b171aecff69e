package dev.virtiofleet.sim.device;

import dev.virtiofleet.qapi.VhostDeviceProtocols;
import dev.virtiofleet.qapi.VhostStatus;
import dev.virtiofleet.qapi.VirtQueueStatus;
import dev.virtiofleet.qapi.VirtVhostQueueStatus;
import dev.virtiofleet.qapi.VirtioDeviceFeatures;
import dev.virtiofleet.qapi.VirtioDeviceStatus;
import dev.virtiofleet.qapi.VirtioInfo;
import dev.virtiofleet.qapi.VirtioQueueElement;
import dev.virtiofleet.qapi.VirtioStatus;
import dev.virtiofleet.qapi.features.DecodedBits;
import dev.virtiofleet.qapi.features.FeatureCatalog;
import dev.virtiofleet.sim.ring.GuestMemory;
import dev.virtiofleet.sim.ring.RingCounters;
import dev.virtiofleet.sim.ring.SplitVirtqueue;
import dev.virtiofleet.sim.ring.VringLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One realized virtio device with its queues, answering as QEMU 7.2's device model does. Not
 * thread-safe: the owning VM serialises access. Queue numbers handed in must exist ({@link
 * #hasQueue}); checking what a client asked for is the QMP layer's job.
 */
public final class VirtioDevice {
    private static final int DRIVER_READY = 0x0F; // ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK
    private static final int NEEDS_RESET = 0x40;
    private static final int FAILED = 0x80;
    private static final long HOST_VIRTUAL_BASE = 0x7F3C_0000_0000L;

    private final DeviceSpec spec;
    // Fixed for the device's life; made once, as they are asked for on every query.
    private final String path;
    private final String name;
    private final List<DeviceQueue> queues = new ArrayList<>();
    // QEMU's own VirtQueue counters go stale once a vhost backend runs the ring; this is what they froze at.
    private final VirtQueueStatus[] qemuViewAtVhostStart;
    private DeviceHealth health = DeviceHealth.HEALTHY;
    private long unofferedGuestFeatures;
    private long withheldGuestFeatures;
    private long vhostAckedBeyondGuest;
    // The status last reported and what it was made from, handed out again while those are unchanged.
    private VirtioStatus lastStatus;
    private long lastStatusGuestFeatures;
    private DeviceHealth lastStatusHealth;
    private boolean lastStatusVmRunning;
    private long lastStatusVhostAcked;
    private final Map<Integer, VirtVhostQueueStatus> vhostViews = new HashMap<>();
    private final VirtioInfo info;
    private long changes;

    public VirtioDevice(DeviceSpec spec, GuestMemory memory) {
        this.spec = spec;
        this.path = spec.path();
        this.name = spec.type().qemuName();
        this.info = new VirtioInfo(path, name);
        this.qemuViewAtVhostStart = new VirtQueueStatus[spec.queues().size()];
        for (int q = 0; q < spec.queues().size(); q++) {
            QueueSpec queue = spec.queues().get(q);
            VringLayout layout = memory.placeRing(queue.size());
            SplitVirtqueue ring = new SplitVirtqueue(q, queue.size(), layout, queue.shape());
            ring.restore(queue.boot());
            queues.add(new DeviceQueue(queue, ring));
            if (vhostRuns(q)) {
                // QEMU 7.2 fills last-avail-idx with the return code of vhost_get_vring_base (0 on success).
                qemuViewAtVhostStart[q] = ring.status(name(), Optional.of(0));
            }
        }
    }

    public String id() {
        return spec.id();
    }

    public String path() {
        return path;
    }

    public String name() {
        return name;
    }

    public DeviceSpec spec() {
        return spec;
    }

    public int queueCount() {
        return queues.size();
    }

    public boolean hasQueue(int queue) {
        return queue >= 0 && queue < queues.size();
    }

    public boolean vhostStarted() {
        return spec.vhost().isPresent();
    }

    /** Whether a started vhost backend runs this queue (QEMU's vq-index/nvqs range). */
    public boolean vhostRuns(int queue) {
        return spec.vhost().map(v -> v.runs(queue)).orElse(false);
    }

    public VirtioInfo info() {
        return info;
    }

    /**
     * How many times the device's state may have changed: while the count stays the same, every
     * query answers as before (given the same VM run state). A reader that re-reads only what
     * changed compares it with the count it saw after its previous read, since some queries move
     * state themselves (reading an element refreshes the shadow avail index).
     */
    public long changes() {
        return changes;
    }

    /**
     * {@code x-query-virtio-status}. While nothing it shows changed, the same (immutable) record
     * comes back, which lets a reader skip mapping it again.
     */
    public VirtioStatus status(boolean vmRunning) {
        // Everything else the status shows is fixed when the device is realized (spec, queue count).
        long guest = guestFeatures();
        if (lastStatus == null || lastStatusGuestFeatures != guest || lastStatusHealth != health
                || lastStatusVmRunning != vmRunning || lastStatusVhostAcked != vhostAckedBeyondGuest) {
            lastStatus = freshStatus(vmRunning);
            lastStatusGuestFeatures = guest;
            lastStatusHealth = health;
            lastStatusVmRunning = vmRunning;
            lastStatusVhostAcked = vhostAckedBeyondGuest;
        }
        return lastStatus;
    }

    private VirtioStatus freshStatus(boolean vmRunning) {
        long backendFeatures = spec.vhost().map(v -> spec.hostFeatures() & v.features()).orElse(0L);
        DecodedBits status = FeatureCatalog.decodeStatus(statusByte());
        return new VirtioStatus(name(), spec.type().deviceId(), vhostStarted(), "little",
                features(guestFeatures()), features(spec.hostFeatures()), features(backendFeatures),
                queues.size(),
                new VirtioDeviceStatus(status.deviceTexts(),
                        status.unknownBits() == 0 ? Optional.empty() : Optional.of((int) status.unknownBits())),
                spec.isr(), queues.size() - 1, vmRunning, health == DeviceHealth.BROKEN, false, true, true, false,
                false, spec.busName(), true, spec.vhost().map(this::vhostStatus));
    }

    /**
     * {@code x-query-virtio-queue-status}. On a queue run by a vhost-user backend this costs the
     * backend a GET_VRING_BASE, which stops the ring until it is restarted, as real backends do.
     */
    public VirtQueueStatus queueStatus(int queue) {
        VirtQueueStatus frozen = qemuViewAtVhostStart[queue];
        if (frozen != null) {
            if (spec.vhost().orElseThrow().kind() == VhostKind.USER) {
                setCondition(queue, QueueCondition.VHOST_RING_STOPPED);
            }
            return frozen;
        }
        VirtQueueStatus live = ring(queue).status(name(), Optional.empty());
        if (vhostStarted()) {
            // A queue QEMU runs itself beside a vhost backend (virtio-net's control queue): QEMU 7.2
            // reports neither last-avail-idx nor shadow-avail-idx for it.
            return new VirtQueueStatus(live.name(), live.queueIndex(), live.inuse(), live.vringNum(),
                    live.vringNumDefault(), live.vringAlign(), live.vringDesc(), live.vringAvail(), live.vringUsed(),
                    Optional.empty(), Optional.empty(), live.usedIdx(), live.signalledUsed(), live.signalledUsedValid());
        }
        return live;
    }

    /** {@code x-query-virtio-queue-element}: read from guest memory, so live even under vhost. */
    public VirtioQueueElement queueElement(int queue, Optional<Integer> index) {
        changes++;
        return ring(queue).element(name(), index);
    }

    /** {@code x-query-virtio-vhost-queue-status}; the queue must be one the backend runs. */
    public VirtVhostQueueStatus vhostQueueStatus(int queue) {
        if (!vhostRuns(queue)) {
            throw new IllegalArgumentException("vhost does not run queue " + queue + " of " + id());
        }
        // Made of the ring's size and place only, which never change.
        return vhostViews.computeIfAbsent(queue, this::freshVhostQueueStatus);
    }

    private VirtVhostQueueStatus freshVhostQueueStatus(int queue) {
        SplitVirtqueue ring = ring(queue);
        VirtQueueStatus layout = ring.status(name(), Optional.empty());
        int num = ring.size();
        // QEMU 7.2 reports kick and call as 0: it never fills those vhost_virtqueue members.
        return new VirtVhostQueueStatus(name(), 0, 0,
                HOST_VIRTUAL_BASE + layout.vringDesc(), HOST_VIRTUAL_BASE + layout.vringAvail(),
                HOST_VIRTUAL_BASE + layout.vringUsed(), num,
                layout.vringDesc(), VringLayout.descBytes(num),
                layout.vringAvail(), VringLayout.availBytes(num),
                layout.vringUsed(), VringLayout.usedBytes(num));
    }

    /** Applies {@code operations} guest-level operations to a queue (see {@link QueueRole}). */
    public void run(int queue, long operations) {
        boolean deviceServes = health == DeviceHealth.HEALTHY;
        boolean driverActive = health != DeviceHealth.FAILED;
        changes++;
        queues.get(queue).run(operations, deviceServes, driverActive);
    }

    public RingCounters counters(int queue) {
        return ring(queue).counters();
    }

    public void setCondition(int queue, QueueCondition condition) {
        changes++;
        queues.get(queue).setCondition(condition);
    }

    /** The guest polls a queue with interrupts suppressed (NAPI busy polling), or stops doing so. */
    public void setGuestPolling(int queue, boolean polling) {
        changes++;
        queues.get(queue).setGuestPolling(polling);
    }

    public void setHealth(DeviceHealth health) {
        changes++;
        this.health = health;
    }

    /** The guest acks feature bits the host never offered (a driver or migration bug). */
    public void ackUnoffered(long bits) {
        if ((bits & spec.hostFeatures()) != 0) {
            throw new IllegalArgumentException("bits 0x" + Long.toHexString(bits & spec.hostFeatures())
                    + " are offered by " + id() + "; a violation needs bits the host does not offer");
        }
        changes++;
        unofferedGuestFeatures = bits;
    }

    /** The guest does not ack offered feature bits it normally would (an old or degraded driver). */
    public void withholdFromGuest(long bits) {
        if ((bits & spec.guestFeatures()) != bits) {
            throw new IllegalArgumentException("bits 0x" + Long.toHexString(bits & ~spec.guestFeatures())
                    + " are not acked by the guest of " + id() + " anyway");
        }
        changes++;
        withheldGuestFeatures = bits;
    }

    /** The vhost backend runs with feature bits the guest never acked. */
    public void vhostAckBeyondGuest(long bits) {
        if (spec.vhost().isEmpty()) {
            throw new IllegalStateException(id() + " has no vhost backend to desynchronise");
        }
        changes++;
        vhostAckedBeyondGuest = bits & ~guestFeatures();
    }

    /** Back to what was negotiated at boot: guest, host and vhost agree again. */
    public void restoreNegotiation() {
        changes++;
        unofferedGuestFeatures = 0;
        withheldGuestFeatures = 0;
        vhostAckedBeyondGuest = 0;
    }

    /** Whether the driver acked feature bit {@code bit}. */
    public boolean guestAcked(int bit) {
        return (guestFeatures() & 1L << bit) != 0;
    }

    public long guestFeatures() {
        return spec.guestFeatures() & ~withheldGuestFeatures | unofferedGuestFeatures;
    }

    private int statusByte() {
        return switch (health) {
            case HEALTHY -> DRIVER_READY;
            case BROKEN, NEEDS_RESET -> DRIVER_READY | NEEDS_RESET;
            case FAILED -> DRIVER_READY | FAILED;
        };
    }

    private VhostStatus vhostStatus(VhostSpec vhost) {
        long acked = (guestFeatures() & vhost.features()) | vhostAckedBeyondGuest;
        DecodedBits protocols = FeatureCatalog.decodeProtocols(vhost.protocolFeatures());
        return new VhostStatus(4, 4, vhost.queueCount(), vhost.firstQueue(), features(vhost.features()),
                features(acked), features(0),
                new VhostDeviceProtocols(protocols.deviceTexts(),
                        protocols.unknownBits() == 0 ? Optional.empty() : Optional.of(protocols.unknownBits())),
                vhost.maxQueues(), 0, false, 0);
    }

    private VirtioDeviceFeatures features(long bits) {
        DecodedBits decoded = FeatureCatalog.decodeFeatures(spec.type().deviceId(), bits);
        return new VirtioDeviceFeatures(decoded.transportTexts(), Optional.of(decoded.deviceTexts()),
                decoded.unknownBits() == 0 ? Optional.empty() : Optional.of(decoded.unknownBits()));
    }

    private SplitVirtqueue ring(int queue) {
        return queues.get(queue).ring();
    }
}
