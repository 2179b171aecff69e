package dev.virtiofleet.streams.rules;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.QueueRole;
import dev.virtiofleet.streams.observe.DeviceStatusView;
import dev.virtiofleet.streams.observe.QueueView;
import dev.virtiofleet.streams.ring.RingIndex;
import java.util.Map;

/**
 * Queue stalled: a request queue with outstanding work whose used-idx does not move. Outstanding
 * work is a buffer the device took and has not returned ({@code inuse > 0}). Buffers offered that
 * an idle device never takes ({@code inuse == 0}) are a lost notification, judged by
 * {@link NotificationLostRule}, not a second alert here. Where QEMU's counters are not available (a
 * vhost backend runs the ring) the live avail index ahead of the used index in guest memory is the
 * outstanding work. The mark is used-idx: any movement, a wrap included, is progress.
 */
public final class QueueStalledRule implements QueueRule {

    @Override
    public AlertKind kind() {
        return AlertKind.QUEUE_STALLED;
    }

    @Override
    public Verdict evaluate(DeviceStatusView status, QueueView queue) {
        if (queue.role() != QueueRole.REQUEST) {
            return Verdict.CLEAR;
        }
        if (queue.usedIdx().isEmpty()) {
            return Verdict.unknown("used-idx (no queue status nor queue element)");
        }
        int used = queue.usedIdx().getAsInt();
        long inuse = queue.inuse().orElse(0);
        boolean offeredInGuestMemory = queue.inuse().isEmpty() && queue.liveAvailIdx().isPresent()
                && RingIndex.isAhead(queue.liveAvailIdx().getAsInt(), used, queue.size());
        if (inuse == 0 && !offeredInGuestMemory) {
            return Verdict.CLEAR;
        }
        String observation = inuse > 0
                ? inuse + " buffer(s) taken by the device and not returned, used-idx at " + used
                : "buffers offered and not taken, used-idx at " + used;
        return Verdict.holds(new Finding(observation, used, queue.evidenceValues(), Map.of()));
    }
}
