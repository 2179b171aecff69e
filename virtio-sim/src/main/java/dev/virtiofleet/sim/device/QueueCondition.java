package dev.virtiofleet.sim.device;

/** How the device side of one queue behaves right now. */
public enum QueueCondition {
    /** Takes what the driver offers and returns it. */
    HEALTHY,
    /** The backend takes requests and never completes them: used-idx freezes, inuse grows. */
    BACKEND_HUNG,
    /**
     * The device returns buffers but never interrupts the guest: used-idx moves ahead of
     * signalled-used, and the guest, waiting for an interrupt, submits nothing more.
     */
    COMPLETES_WITHOUT_INTERRUPT,
    /** The device never saw the driver's kick: avail advances in guest memory, nothing is taken. */
    NOTIFICATION_LOST,
    /** A vhost-user backend stopped the ring on GET_VRING_BASE and waits for it to be restarted. */
    VHOST_RING_STOPPED
}
