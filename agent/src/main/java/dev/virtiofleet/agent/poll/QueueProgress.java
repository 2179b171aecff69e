package dev.virtiofleet.agent.poll;

import dev.virtiofleet.qapi.VirtQueueStatus;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Remembers each queue's used index from the previous sweep, to tell which queues look stuck
 * (outstanding work, or completions never signalled to the guest, and no completion since then;
 * those get the extra element query every sweep), which look idle (in use before, nothing
 * outstanding in QEMU's counters, no completion since: only the guest's avail index in guest
 * memory can show buffers offered to a device that was never kicked, so these get the element
 * query on idle-probe sweeps), and which queues have ever shown activity (only those are read
 * between census sweeps).
 *
 * <p>It also tells which ring slot, if any, an element read may safely look at. QEMU 7.2's
 * {@code x-query-virtio-queue-element} walks the descriptor chain at that slot and calls
 * {@code virtio_error()} on a chain that does not hold together, which marks the device broken
 * (seen on a real guest's virtio-scsi). A chain is intact while the guest cannot have reclaimed
 * it: offered and not yet taken, taken and not yet completed, or completed without the guest being
 * told. QEMU's default slot, last-avail-idx, is such a slot only while buffers are offered; on
 * a queue that took everything it is the slot the guest fills next, whose old chain may be freed.
 */
final class QueueProgress {
    private record QueueKey(String devicePath, int queue) {}

    /** What a sweep remembers of a queue: its indices, and whether slot last-avail - 1 is provably in flight. */
    private record Memo(int used, Optional<Integer> lastAvail, boolean newestTakenInFlight) {}

    /**
     * How the queue looks, and the slot whose chain the guest cannot have reclaimed, if the
     * readings prove one.
     */
    record Reading(Look look, OptionalInt intactSlot) {}

    /** How a queue looks against the previous sweep. */
    enum Look {
        /** First reading, work completed since, or never used. */
        NOTHING_TO_PROBE,
        /** Outstanding work or unsignalled completions, and nothing completed since. */
        STUCK,
        /** Used before, nothing outstanding as far as QEMU knows, and nothing completed since. */
        IDLE
    }

    private final Map<QueueKey, Memo> previous = new HashMap<>();
    private final Map<QueueKey, Memo> current = new HashMap<>();
    private final Set<QueueKey> active = new HashSet<>();

    /** Records this sweep's reading and says how the queue looks. */
    Reading record(String devicePath, int queue, VirtQueueStatus status) {
        QueueKey key = new QueueKey(devicePath, queue);
        Memo before = previous.get(key);
        boolean completedSince = before == null || before.used() != status.usedIdx();
        // Nothing completed since the last sweep: a chain taken since then (last-avail moved) is
        // still in flight, and so is the newest one if it was already proven in flight then.
        boolean newestTakenInFlight = !completedSince && status.inuse() > 0 && status.lastAvailIdx().isPresent()
                && (!before.lastAvail().equals(status.lastAvailIdx()) || before.newestTakenInFlight());
        current.put(key, new Memo(status.usedIdx(), status.lastAvailIdx(), newestTakenInFlight));
        if (hasEverMoved(status) || (before != null && completedSince)) {
            active.add(key);
        }
        if (completedSince) {
            return new Reading(Look.NOTHING_TO_PROBE, OptionalInt.empty());
        }
        if (hasOutstandingWork(status) || hasUnsignalledCompletions(status)) {
            return new Reading(Look.STUCK, intactSlot(status, newestTakenInFlight));
        }
        return new Reading(active.contains(key) ? Look.IDLE : Look.NOTHING_TO_PROBE, OptionalInt.empty());
    }

    private static OptionalInt intactSlot(VirtQueueStatus status, boolean newestTakenInFlight) {
        if (status.lastAvailIdx().isEmpty()) {
            return OptionalInt.empty();
        }
        int lastAvail = status.lastAvailIdx().get();
        if (status.shadowAvailIdx().map(shadow -> shadow.intValue() != lastAvail).orElse(false)) {
            return OptionalInt.of(lastAvail); // offered, not yet taken
        }
        int newestTaken = (lastAvail - 1) & 0xFFFF;
        if (newestTakenInFlight) {
            return OptionalInt.of(newestTaken);
        }
        if (status.inuse() == 0 && hasUnsignalledCompletions(status)) {
            // Completed and never signalled: a guest that was not interrupted has not reclaimed it.
            return OptionalInt.of(newestTaken);
        }
        return OptionalInt.empty();
    }

    /**
     * Ends a sweep that listed {@code listedDevices}: their queues read now replace the earlier
     * readings, queues of devices no longer listed are forgotten, and queues this sweep did not get
     * to (it timed out) keep their earlier reading.
     */
    void endSweep(Set<String> listedDevices) {
        previous.keySet().removeIf(key -> !listedDevices.contains(key.devicePath()));
        previous.putAll(current);
        active.removeIf(key -> !listedDevices.contains(key.devicePath()));
        current.clear();
    }

    /** Whether the queue has shown activity in any sweep so far. */
    boolean isActive(String devicePath, int queue) {
        return active.contains(new QueueKey(devicePath, queue));
    }

    // A queue the driver never used reads all zeros; anything else is a queue in use.
    private static boolean hasEverMoved(VirtQueueStatus status) {
        return status.usedIdx() != 0 || status.inuse() != 0
                || status.lastAvailIdx().orElse(0) != 0 || status.shadowAvailIdx().orElse(0) != 0;
    }

    /**
     * Completions the guest was not interrupted for: used-idx ahead of a valid signalled-used. QEMU's
     * counters show no outstanding work then, yet only the queue element (the guest's avail flags)
     * tells a lost interrupt (completion not signalled) from a guest polling with interrupts off.
     */
    static boolean hasUnsignalledCompletions(VirtQueueStatus status) {
        return status.signalledUsedValid() && ((status.usedIdx() - status.signalledUsed()) & 0xFFFF) != 0;
    }

    // Indices are free-running 16-bit counters: "ahead" means different modulo 65536.
    static boolean hasOutstandingWork(VirtQueueStatus status) {
        int used = status.usedIdx();
        return status.inuse() > 0
                || status.lastAvailIdx().map(lastAvail -> ((lastAvail - used) & 0xFFFF) != 0).orElse(false)
                || status.shadowAvailIdx().map(shadow -> ((shadow - used) & 0xFFFF) != 0).orElse(false);
    }
}
