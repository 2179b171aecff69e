package dev.virtiofleet.streams.observe;

import dev.virtiofleet.avro.QueueRole;
import dev.virtiofleet.avro.detection.DetectedElement;
import dev.virtiofleet.avro.detection.DetectedErrorKind;
import dev.virtiofleet.avro.detection.DetectedFeatures;
import dev.virtiofleet.avro.detection.DetectedQueue;
import dev.virtiofleet.avro.detection.DetectedQueueStatus;
import dev.virtiofleet.avro.detection.DetectedSample;
import dev.virtiofleet.avro.detection.DetectedStatus;
import dev.virtiofleet.qapi.features.FeatureSet;
import dev.virtiofleet.streams.ring.RingIndex;
import dev.virtiofleet.streams.roles.QueueRoles;
import dev.virtiofleet.topics.DeviceKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Turns a sample, as detection reads it ({@link DetectedSample}: the VirtioSample fields detection
 * uses), into a {@link DeviceSnapshot}, rejecting values that cannot be true.
 */
public final class SnapshotReader {
    /** The virtio spec's largest split-ring size. */
    private static final int MAX_QUEUE_SIZE = 32768;

    private SnapshotReader() {}

    public static DeviceSnapshot read(DetectedSample sample) throws InvalidSampleException {
        Optional<DeviceStatusView> status = Optional.ofNullable(sample.getStatus()).map(SnapshotReader::status);
        List<QueueView> queues = new ArrayList<>();
        for (DetectedQueue queue : sample.getQueues()) {
            queues.add(queue(queue, status));
        }
        boolean gone = status.isEmpty() && sample.getErrors().stream()
                .anyMatch(error -> error.getKind() == DetectedErrorKind.NOT_A_VIRTIO_DEVICE);
        return new DeviceSnapshot(
                DeviceKey.of(sample.getHostId(), Optional.ofNullable(sample.getVmUuid()), Optional.ofNullable(sample.getVmName()),
                        sample.getDevicePath()),
                new SampleRef(sample.getEventTime(), sample.getAgentRunId(), sample.getAgentSequence()),
                Optional.ofNullable(sample.getVmName()),
                Optional.ofNullable(sample.getVmUuid()),
                sample.getDeviceName(),
                vmRunning(sample, status),
                status,
                queues,
                gone);
    }

    /** Running only when every source that answered says so: query-status and the device's vm-running. */
    private static boolean vmRunning(DetectedSample sample, Optional<DeviceStatusView> status) {
        Optional<Boolean> queried = Optional.ofNullable(sample.getVmRunning());
        Optional<Boolean> device = status.map(DeviceStatusView::vmRunning);
        if (queried.isEmpty() && device.isEmpty()) {
            return false;
        }
        return queried.orElse(true) && device.orElse(true);
    }

    private static DeviceStatusView status(DetectedStatus status) {
        Optional<DeviceStatusView.VhostFeatures> vhost = Optional.ofNullable(status.getVhostDev())
                .filter(dev -> status.getVhostStarted())
                .map(dev -> new DeviceStatusView.VhostFeatures(
                        features(dev.getAckedFeatures()), features(dev.getBackendFeatures())));
        return new DeviceStatusView(
                status.getDeviceId(),
                status.getNumVqs(),
                status.getStatus().getStatuses(),
                status.getBroken(),
                status.getStarted(),
                features(status.getHostFeatures()),
                features(status.getGuestFeatures()),
                vhost,
                status.getVmRunning());
    }

    /**
     * The Avro feature word as one {@link FeatureSet}: transport and device symbols, unknown bits,
     * unparseable entries. Equal words give the same (immutable) set: see {@link FeatureSets}.
     */
    public static FeatureSet features(DetectedFeatures features) {
        return FeatureSets.of(features);
    }

    private static QueueView queue(DetectedQueue queue, Optional<DeviceStatusView> status) throws InvalidSampleException {
        int index = queue.getQueueIndex();
        DeviceStatusView device = status.orElse(null);
        QueueRole role = device == null ? QueueRole.UNKNOWN
                : QueueRoles.roleOf(device.deviceId(), index, device.numVqs(), device.hostFeatures());
        // While a vhost backend runs the rings, QEMU's own copies of the indices are stale (synced
        // only when vhost stops), so progress is read from guest memory via the queue element.
        boolean vhostRunsRing = device != null && device.vhost().isPresent();
        DetectedQueueStatus ring = vhostRunsRing ? null : queue.getStatus();
        DetectedElement element = queue.getElement();

        OptionalInt used = ring != null ? index(index, "used-idx", ring.getUsedIdx())
                : element != null ? index(index, "used-idx", element.getUsed().getIdx()) : OptionalInt.empty();
        // Both are null in the queue status when QEMU omitted them.
        OptionalInt lastAvail = ring != null && ring.getLastAvailIdx() != null
                ? index(index, "last-avail-idx", ring.getLastAvailIdx()) : OptionalInt.empty();
        OptionalInt shadowAvail = ring != null && ring.getShadowAvailIdx() != null
                ? index(index, "shadow-avail-idx", ring.getShadowAvailIdx()) : OptionalInt.empty();
        OptionalInt liveAvail = element != null ? index(index, "avail.idx", element.getAvail().getIdx()) : OptionalInt.empty();
        OptionalInt availFlags = element != null ? OptionalInt.of(element.getAvail().getFlags()) : OptionalInt.empty();
        long size = ring != null ? ring.getVringNum() : MAX_QUEUE_SIZE;
        if (size <= 0 || size > MAX_QUEUE_SIZE) {
            throw new InvalidSampleException("queue " + index + ": vring-num " + size + " is not a queue size (1..32768)");
        }
        OptionalLong inuse = ring != null ? OptionalLong.of(ring.getInuse()) : OptionalLong.empty();
        if (inuse.isPresent() && (inuse.getAsLong() < 0 || inuse.getAsLong() > size)) {
            throw new InvalidSampleException("queue " + index + ": inuse " + inuse.getAsLong()
                    + " exceeds the queue size " + size);
        }
        OptionalInt signalled = ring != null && ring.getSignalledUsedValid()
                ? index(index, "signalled-used", ring.getSignalledUsed()) : OptionalInt.empty();
        OptionalLong layout = ring != null
                ? OptionalLong.of((ring.getVringDesc() * 31 + ring.getVringAvail()) * 31 + ring.getVringUsed())
                : OptionalLong.empty();
        return new QueueView(index, role, used, lastAvail, shadowAvail, inuse, size, signalled, liveAvail, availFlags, layout);
    }

    /** A 16-bit ring index of queue {@code queue}, or why it cannot be one. */
    private static OptionalInt index(int queue, String member, int value) throws InvalidSampleException {
        if (!RingIndex.isValid(value)) {
            throw new InvalidSampleException("queue " + queue + ": " + member + " " + value + " is not a 16-bit ring index");
        }
        return OptionalInt.of(value);
    }
}
