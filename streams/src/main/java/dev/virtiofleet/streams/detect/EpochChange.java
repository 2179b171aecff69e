package dev.virtiofleet.streams.detect;

import dev.virtiofleet.streams.observe.DeviceSnapshot;
import dev.virtiofleet.streams.observe.DeviceStatusView;
import dev.virtiofleet.streams.observe.QueueView;
import java.util.Optional;

/**
 * Whether a device was reset (or its VM restarted) between two samples. A reset is recognised by
 * DRIVER_OK being cleared, by a changed queue count, by a queue set up at new ring addresses, or by
 * a queue whose indices all fell back to zero. A wrap of used-idx from 65535 to a small number is
 * none of these: it is progress.
 */
final class EpochChange {
    private EpochChange() {}

    /** The reason for a new epoch, if the device was reset since {@code prior}. */
    static Optional<String> between(DeviceState prior, DeviceSnapshot now) {
        if (now.status().isPresent()) {
            DeviceStatusView status = now.status().get();
            if (prior.driverOk() && !status.driverOk()) {
                return Optional.of("DRIVER_OK cleared (device reset)");
            }
            if (prior.numVqs() >= 0 && prior.numVqs() != status.numVqs()) {
                return Optional.of("queue count changed from " + prior.numVqs() + " to " + status.numVqs());
            }
        }
        for (QueueView queue : now.queues()) {
            QueueMark before = prior.queues().get(queue.index());
            if (before == null) {
                continue;
            }
            if (before.ringLayout().isPresent() && queue.ringLayout().isPresent()
                    && before.ringLayout().getAsLong() != queue.ringLayout().getAsLong()) {
                return Optional.of("queue " + queue.index() + " set up again at new ring addresses");
            }
            if (queue.indicesAllZero() && before.usedIdx().isPresent() && before.usedIdx().getAsInt() != 0) {
                return Optional.of("queue " + queue.index() + " indices back to zero");
            }
        }
        return Optional.empty();
    }
}
