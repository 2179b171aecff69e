package dev.virtiofleet.sim.device;

/**
 * How a driver keeps a buffer pool stocked.
 *
 * @param keepPosted buffers the driver keeps offered (ring size for a NIC, 8 for SCSI events, 0
 *     for a console port nobody opened)
 * @param whenMissing how many must be missing before it refills (Linux virtio-net waits for more
 *     than half its NAPI budget; other drivers refill each buffer at once)
 */
public record PoolRefill(int keepPosted, int whenMissing) {
    /** For queues that are not buffer pools. */
    public static final PoolRefill NONE = new PoolRefill(0, 1);

    public PoolRefill {
        if (keepPosted < 0 || whenMissing < 1) {
            throw new IllegalArgumentException("keepPosted must be >= 0 and whenMissing >= 1, got "
                    + keepPosted + " and " + whenMissing);
        }
    }

    public static PoolRefill eachBuffer(int keepPosted) {
        return new PoolRefill(keepPosted, 1);
    }
}
