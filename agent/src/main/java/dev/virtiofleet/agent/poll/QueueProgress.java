package dev.virtiofleet.agent.poll;

import dev.virtiofleet.qapi.VirtQueueStatus;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Remembers each queue's used index from the previous sweep, to tell which queues look stuck
 * (outstanding work, or completions never signalled to the guest, and no completion since then;
 * only those get the extra element query), and
 * which queues have ever shown activity (only those are read between census sweeps).
 */
final class QueueProgress {
    private record QueueKey(String devicePath, int queue) {}

    private Map<QueueKey, Integer> previous = new HashMap<>();
    private final Map<QueueKey, Integer> current = new HashMap<>();
    private final Set<QueueKey> active = new HashSet<>();

    /** Records this sweep's reading and says whether the queue looks stuck. */
    boolean recordAndCheckStuck(String devicePath, int queue, VirtQueueStatus status) {
        QueueKey key = new QueueKey(devicePath, queue);
        current.put(key, status.usedIdx());
        Integer before = previous.get(key);
        if (hasEverMoved(status) || (before != null && before != status.usedIdx())) {
            active.add(key);
        }
        return before != null && before == status.usedIdx() && (hasOutstandingWork(status) || hasUnsignalledCompletions(status));
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
