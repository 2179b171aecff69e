package dev.virtiofleet.sim.device;

/**
 * A device's vhost backend as QEMU reports it in {@code vhost-dev}.
 *
 * @param kind kernel vhost or vhost-user
 * @param features feature word the backend offers ({@code features})
 * @param protocolFeatures vhost-user protocol word; 0 for kernel vhost
 * @param firstQueue {@code vq-index}: the first device queue the backend runs
 * @param queueCount {@code nvqs}: how many queues from {@code firstQueue} it runs
 * @param maxQueues {@code max-queues}
 */
public record VhostSpec(VhostKind kind, long features, long protocolFeatures, int firstQueue, int queueCount, long maxQueues) {
    public VhostSpec {
        if (kind == VhostKind.KERNEL && protocolFeatures != 0) {
            throw new IllegalArgumentException("kernel vhost has no protocol features, got " + protocolFeatures);
        }
        if (firstQueue < 0 || queueCount < 1) {
            throw new IllegalArgumentException("vhost queues must be a non-empty range, got first " + firstQueue
                    + " count " + queueCount);
        }
    }

    public boolean runs(int queue) {
        return queue >= firstQueue && queue < firstQueue + queueCount;
    }
}
