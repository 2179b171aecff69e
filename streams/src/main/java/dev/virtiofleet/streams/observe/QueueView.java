package dev.virtiofleet.streams.observe;

import dev.virtiofleet.avro.QueueRole;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * One virtqueue of one sample, with what detection needs and nothing QEMU-shaped left in it.
 *
 * @param index queue number
 * @param role request queue, buffer pool or unknown
 * @param usedIdx used-idx: from queue status, or from the used ring in guest memory when queue
 *     status was not sent (vhost-user backends)
 * @param lastAvailIdx last-avail-idx: buffers the device has taken
 * @param shadowAvailIdx QEMU's cached copy of the driver's avail index
 * @param inuse buffers taken and not yet returned
 * @param size queue size (vring-num), the widest possible gap between two indices
 * @param signalledUsed used index at the last interrupt, present only when QEMU marks it valid
 * @param liveAvailIdx the driver's avail index read from guest memory (queue element)
 * @param availFlags the avail ring flags from guest memory (queue element)
 * @param ringLayout the guest addresses of the rings folded into one number; a change means the
 *     driver set the queue up again
 */
public record QueueView(
        int index,
        QueueRole role,
        OptionalInt usedIdx,
        OptionalInt lastAvailIdx,
        OptionalInt shadowAvailIdx,
        OptionalLong inuse,
        long size,
        OptionalInt signalledUsed,
        OptionalInt liveAvailIdx,
        OptionalInt availFlags,
        OptionalLong ringLayout) {

    /** VRING_AVAIL_F_NO_INTERRUPT: the driver asked not to be interrupted (NAPI polling, for one). */
    public static final int AVAIL_F_NO_INTERRUPT = 1;

    /** Whether every index QEMU reports for this queue is zero: a queue that was never used or was reset. */
    public boolean indicesAllZero() {
        return usedIdx.orElse(0) == 0 && lastAvailIdx.orElse(0) == 0
                && shadowAvailIdx.orElse(0) == 0 && inuse.orElse(0) == 0;
    }

    /** The index values of this queue, by QAPI member name, as alert evidence. */
    public Map<String, Long> evidenceValues() {
        Map<String, Long> values = new LinkedHashMap<>();
        usedIdx.ifPresent(v -> values.put("used-idx", (long) v));
        lastAvailIdx.ifPresent(v -> values.put("last-avail-idx", (long) v));
        shadowAvailIdx.ifPresent(v -> values.put("shadow-avail-idx", (long) v));
        inuse.ifPresent(v -> values.put("inuse", v));
        signalledUsed.ifPresent(v -> values.put("signalled-used", (long) v));
        liveAvailIdx.ifPresent(v -> values.put("avail.idx", (long) v));
        availFlags.ifPresent(v -> values.put("avail.flags", (long) v));
        return values;
    }
}
