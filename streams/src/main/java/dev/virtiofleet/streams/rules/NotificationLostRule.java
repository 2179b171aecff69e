package dev.virtiofleet.streams.rules;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.QueueRole;
import dev.virtiofleet.streams.observe.DeviceStatusView;
import dev.virtiofleet.streams.observe.QueueView;
import dev.virtiofleet.streams.ring.RingIndex;
import java.util.Map;

/**
 * Notification lost: the driver's live avail index (guest memory, from the queue element) is ahead
 * of last-avail-idx while the device sits idle and takes nothing: the device never saw the kick.
 * Two look-alikes are excluded: if QEMU's shadow avail index already shows the new buffers, the
 * device did look and is stuck (a stall, not a lost kick); if the device holds buffers
 * ({@code inuse > 0}), a hung handler is as likely as a lost kick, and the stall rule speaks for it.
 * The mark is last-avail-idx.
 */
public final class NotificationLostRule implements QueueRule {

    @Override
    public AlertKind kind() {
        return AlertKind.NOTIFICATION_LOST;
    }

    @Override
    public Verdict evaluate(DeviceStatusView status, QueueView queue) {
        if (queue.role() != QueueRole.REQUEST) {
            return Verdict.CLEAR;
        }
        if (queue.liveAvailIdx().isEmpty() || queue.lastAvailIdx().isEmpty()) {
            return Verdict.unknown("avail.idx from the queue element and last-avail-idx from the queue status");
        }
        int live = queue.liveAvailIdx().getAsInt();
        int lastAvail = queue.lastAvailIdx().getAsInt();
        boolean deviceSawThem = queue.shadowAvailIdx().isPresent()
                && RingIndex.isAhead(queue.shadowAvailIdx().getAsInt(), lastAvail, queue.size());
        if (!RingIndex.isAhead(live, lastAvail, queue.size()) || deviceSawThem || queue.inuse().orElse(0) > 0) {
            return Verdict.CLEAR;
        }
        String observation = RingIndex.distance(lastAvail, live) + " buffer(s) in guest memory (avail.idx " + live
                + ") not taken by an idle device (last-avail-idx " + lastAvail + ")";
        return Verdict.holds(new Finding(observation, lastAvail, queue.evidenceValues(), Map.of()));
    }
}
