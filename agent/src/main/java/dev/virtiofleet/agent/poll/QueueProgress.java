package dev.virtiofleet.agent.poll;

import dev.virtiofleet.qapi.VirtQueueStatus;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Remembers each queue's used index from the previous sweep, to tell which queues look stuck
 * (outstanding work, or completions never signalled to the guest, and no completion since then;
 * those get the extra element query every sweep), which look idle (in use before, nothing
 * outstanding in QEMU's counters, no completion since: only the guest's avail index in guest
 * memory can show buffers offered to a device that was never kicked, so these get the element
 * query on idle-probe sweeps), and which queues have ever shown activity (only those are read
 * between census sweeps).
 */
final class QueueProgress {
    private record QueueKey(String devicePath, int queue) {}

    /** How a queue looks against the previous sweep. */
    enum Look {
        /** First reading, work completed since, or never used. */
        NOTHING_TO_PROBE,
        /** Outstanding work or unsignalled completions, and nothing completed since. */
        STUCK,
        /** Used before, nothing outstanding as far as QEMU knows, and nothing completed since. */
        IDLE
    }

    private Map<QueueKey, Integer> previous = new HashMap<>();
    private final Map<QueueKey, Integer> current = new HashMap<>();
    private final Set<QueueKey> active = new HashSet<>();

    /** Records this sweep's reading and says how the queue looks. */
    Look record(String devicePath, int queue, VirtQueueStatus status) {
        QueueKey key = new QueueKey(devicePath, queue);
        current.put(key, status.usedIdx());
        Integer before = previous.get(key);
        if (hasEverMoved(status) || (before != null && before != status.usedIdx())) {
            active.add(key);
        }
        if (before == null || before != status.usedIdx()) {
            return Look.NOTHING_TO_PROBE;
        }
        if (hasOutstandingWork(status) || hasUnsignalledCompletions(status)) {
            return Look.STUCK;
        }
        return active.contains(key) ? Look.IDLE : Look.NOTHING_TO_PROBE;
    }

    /**
     * Ends a sweep that listed {@code listedDevices}: their queues read now replace the earlier
     * readings, queues of devices no longer listed are forgotten, and queues this sweep did not get
     * to (it timed out) keep their earlier reading.
     */
    void endSweep(Set<String> listedDevices) {
        Map<QueueKey, Integer> next = new HashMap<>();
        previous.forEach((key, used) -> {
            if (listedDevices.contains(key.devicePath())) {
                next.put(key, used);
            }
        });
        next.putAll(current);
        previous = next;
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
