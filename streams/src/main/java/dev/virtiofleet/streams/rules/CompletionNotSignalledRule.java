package dev.virtiofleet.streams.rules;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.QueueRole;
import dev.virtiofleet.streams.observe.DeviceStatusView;
import dev.virtiofleet.streams.observe.QueueView;
import dev.virtiofleet.streams.ring.RingIndex;
import java.util.Map;

/**
 * Completion not signalled: used-idx is ahead of signalled-used (QEMU marks it valid), the guest
 * has not suppressed interrupts (avail flags from the queue element), and neither the used nor the
 * live avail index moves: the device finished work but never interrupted the guest. A guest that
 * polls with interrupts off (NAPI) sets VRING_AVAIL_F_NO_INTERRUPT and is not this; without the
 * queue element the flags are unknown: the verdict is unknown and nothing changes. Applies to
 * request queues and buffer pools alike: an rx completion nobody is told about starves the guest
 * just as a block completion does. The mark combines used-idx and avail.idx.
 */
public final class CompletionNotSignalledRule implements QueueRule {

    @Override
    public AlertKind kind() {
        return AlertKind.COMPLETION_NOT_SIGNALLED;
    }

    @Override
    public Verdict evaluate(DeviceStatusView status, QueueView queue) {
        if (queue.role() == QueueRole.UNKNOWN || queue.signalledUsed().isEmpty()) {
            // signalled-used not valid: QEMU tracks no signal to be behind (no EVENT_IDX, or vhost)
            return Verdict.CLEAR;
        }
        if (queue.usedIdx().isEmpty()) {
            return Verdict.unknown("used-idx (no queue status)");
        }
        int used = queue.usedIdx().getAsInt();
        int signalled = queue.signalledUsed().getAsInt();
        // Every completion signalled: nothing is owed, whatever guest memory says (the agent reads
        // the queue element only while completions are unsignalled, so a recovered queue comes
        // without one and must still resolve).
        if (!RingIndex.isAhead(used, signalled, queue.size())) {
            return Verdict.CLEAR;
        }
        if (queue.availFlags().isEmpty() || queue.liveAvailIdx().isEmpty()) {
            return Verdict.unknown("the queue element (avail flags and index from guest memory)");
        }
        if ((queue.availFlags().getAsInt() & QueueView.AVAIL_F_NO_INTERRUPT) != 0) {
            return Verdict.CLEAR;
        }
        String observation = RingIndex.distance(signalled, used) + " completion(s) (used-idx " + used
                + ") never signalled to the guest (signalled-used " + signalled + "), interrupts not suppressed";
        long mark = ((long) used << 16) | queue.liveAvailIdx().getAsInt();
        return Verdict.holds(new Finding(observation, mark, queue.evidenceValues(), Map.of()));
    }
}
