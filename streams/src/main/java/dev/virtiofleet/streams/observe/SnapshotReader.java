package dev.virtiofleet.streams.observe;

import dev.virtiofleet.topics.DeviceKey;
import dev.virtiofleet.avro.CommandErrorKind;
import dev.virtiofleet.avro.QueueRole;
import dev.virtiofleet.avro.QueueSample;
import dev.virtiofleet.avro.VirtQueueStatus;
import dev.virtiofleet.avro.VirtioDeviceFeatures;
import dev.virtiofleet.avro.VirtioQueueElement;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.avro.VirtioStatus;
import dev.virtiofleet.qapi.features.FeatureSet;
import dev.virtiofleet.streams.ring.RingIndex;
import dev.virtiofleet.streams.roles.QueueRoles;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** Turns an Avro {@link VirtioSample} into a {@link DeviceSnapshot}, rejecting values that cannot be true. */
public final class SnapshotReader {
    /** The virtio spec's largest split-ring size. */
    private static final int MAX_QUEUE_SIZE = 32768;

    private SnapshotReader() {}

    public static DeviceSnapshot read(VirtioSample sample) throws InvalidSampleException {
        Optional<DeviceStatusView> status = Optional.ofNullable(sample.getStatus()).map(SnapshotReader::status);
        List<QueueView> queues = new ArrayList<>();
        for (QueueSample queue : sample.getQueues()) {
            queues.add(queue(queue, status));
        }
        boolean gone = status.isEmpty() && sample.getErrors().stream()
                .anyMatch(error -> error.getKind() == CommandErrorKind.NOT_A_VIRTIO_DEVICE);
        return new DeviceSnapshot(
                DeviceKey.of(sample),
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
    private static boolean vmRunning(VirtioSample sample, Optional<DeviceStatusView> status) {
        Optional<Boolean> queried = Optional.ofNullable(sample.getVmRunning());
        Optional<Boolean> device = status.map(DeviceStatusView::vmRunning);
        if (queried.isEmpty() && device.isEmpty()) {
            return false;
        }
        return queried.orElse(true) && device.orElse(true);
    }

    private static DeviceStatusView status(VirtioStatus status) {
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

    /** The Avro feature word as one {@link FeatureSet}: transport and device symbols, unknown bits, unparseable entries. */
    public static FeatureSet features(VirtioDeviceFeatures features) {
        var symbols = new LinkedHashSet<>(features.getTransports());
        Optional.ofNullable(features.getDevFeatures()).ifPresent(symbols::addAll);
        long unknown = Optional.ofNullable(features.getUnknownDevFeatures()).orElse(0L);
        return new FeatureSet(symbols, unknown, features.getUnparseable());
    }

    private static QueueView queue(QueueSample queue, Optional<DeviceStatusView> status) throws InvalidSampleException {
        int index = queue.getQueueIndex();
        QueueRole role = status
                .map(s -> QueueRoles.roleOf(s.deviceId(), index, s.numVqs(), s.hostFeatures()))
                .orElse(QueueRole.UNKNOWN);
        // While a vhost backend runs the rings, QEMU's own copies of the indices are stale (synced
        // only when vhost stops), so progress is read from guest memory via the queue element.
        boolean vhostRunsRing = status.flatMap(DeviceStatusView::vhost).isPresent();
        Optional<VirtQueueStatus> ring = Optional.ofNullable(queue.getStatus()).filter(r -> !vhostRunsRing);
        Optional<VirtioQueueElement> element = Optional.ofNullable(queue.getElement());
        String where = "queue " + index;

        OptionalInt used = optionalIndex(where, "used-idx", ring.isPresent()
                ? ring.map(VirtQueueStatus::getUsedIdx)
                : element.map(e -> e.getUsed().getIdx()));
        OptionalInt lastAvail = optionalIndex(where, "last-avail-idx", ring.map(VirtQueueStatus::getLastAvailIdx));
        OptionalInt shadowAvail = optionalIndex(where, "shadow-avail-idx", ring.map(VirtQueueStatus::getShadowAvailIdx));
        OptionalInt liveAvail = optionalIndex(where, "avail.idx", element.map(e -> e.getAvail().getIdx()));
        OptionalInt availFlags = element.map(e -> OptionalInt.of(e.getAvail().getFlags())).orElse(OptionalInt.empty());
        long size = ring.map(VirtQueueStatus::getVringNum).orElse((long) MAX_QUEUE_SIZE);
        if (size <= 0 || size > MAX_QUEUE_SIZE) {
            throw new InvalidSampleException(where + ": vring-num " + size + " is not a queue size (1..32768)");
        }
        OptionalLong inuse = ring.map(r -> OptionalLong.of(r.getInuse())).orElse(OptionalLong.empty());
        if (inuse.isPresent() && (inuse.getAsLong() < 0 || inuse.getAsLong() > size)) {
            throw new InvalidSampleException(where + ": inuse " + inuse.getAsLong()
                    + " exceeds the queue size " + size);
        }
        OptionalInt signalled = OptionalInt.empty();
        if (ring.isPresent() && ring.get().getSignalledUsedValid()) {
            signalled = OptionalInt.of(index(where, "signalled-used", ring.get().getSignalledUsed()));
        }
        OptionalLong layout = ring
                .map(r -> OptionalLong.of((r.getVringDesc() * 31 + r.getVringAvail()) * 31 + r.getVringUsed()))
                .orElse(OptionalLong.empty());
        return new QueueView(index, role, used, lastAvail, shadowAvail, inuse, size, signalled, liveAvail, availFlags, layout);
    }

    private static OptionalInt optionalIndex(String where, String member, Optional<Integer> value)
            throws InvalidSampleException {
        if (value.isEmpty()) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(index(where, member, value.get()));
    }

    private static int index(String where, String member, int value) throws InvalidSampleException {
        if (!RingIndex.isValid(value)) {
            throw new InvalidSampleException(where + ": " + member + " " + value + " is not a 16-bit ring index");
        }
        return value;
    }
}
