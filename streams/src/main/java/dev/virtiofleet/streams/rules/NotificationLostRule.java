package dev.virtiofleet.streams.rules;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.QueueRole;
import dev.virtiofleet.streams.observe.DeviceStatusView;
import dev.virtiofleet.streams.observe.QueueView;
import dev.virtiofleet.streams.ring.RingIndex;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Notification lost: buffers are offered (the driver's avail index is ahead of last-avail-idx) while
 * the device holds none ({@code inuse == 0}) and takes nothing: the device never acted on the kick.
 * The offered index is the live one from guest memory (queue element) where the sample has it,
 * else QEMU's shadow-avail-idx. The shadow cannot tell "the device looked and did nothing" from a
 * lost kick: reading the queue element refreshes it (QEMU's {@code vring_avail_idx} stores what it
 * reads), so after the agent's first element read of such a queue the shadow shows the buffers too,
 * and the verdict must not change because we looked. A device that took buffers and does not
 * return them ({@code inuse > 0}) is a stall, and the stall rule speaks for it; the two never fire
 * for the same condition. The mark is last-avail-idx: any buffer taken ends the condition.
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
        OptionalInt offered = queue.liveAvailIdx().isPresent() ? queue.liveAvailIdx() : queue.shadowAvailIdx();
        if (offered.isEmpty() || queue.lastAvailIdx().isEmpty() || queue.inuse().isEmpty()) {
            return Verdict.unknown("last-avail-idx and inuse from the queue status, and avail.idx or shadow-avail-idx");
        }
        int avail = offered.getAsInt();
        int lastAvail = queue.lastAvailIdx().getAsInt();
        if (!RingIndex.isAhead(avail, lastAvail, queue.size()) || queue.inuse().getAsLong() > 0) {
            return Verdict.CLEAR;
        }
        String source = queue.liveAvailIdx().isPresent() ? "avail.idx " : "shadow-avail-idx ";
        String observation = RingIndex.distance(lastAvail, avail) + " buffer(s) offered (" + source + avail
                + ") and not taken by an idle device (last-avail-idx " + lastAvail + ")";
        return Verdict.holds(new Finding(observation, lastAvail, queue.evidenceValues(), Map.of()));
    }
}
