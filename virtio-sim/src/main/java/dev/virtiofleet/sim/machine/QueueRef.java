package dev.virtiofleet.sim.machine;

/** One queue of one device of a VM, by device id and queue index. */
public record QueueRef(String deviceId, int queue) {
    public QueueRef {
        if (deviceId == null || deviceId.isBlank()) {
            throw new IllegalArgumentException("queue reference needs a device id");
        }
        if (queue < 0) {
            throw new IllegalArgumentException("queue index must be >= 0, got " + queue);
        }
    }
}
