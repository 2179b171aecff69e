package dev.virtiofleet.sim.device;

import dev.virtiofleet.sim.ring.BufferShape;
import dev.virtiofleet.sim.ring.RingCounters;

/**
 * One queue of a device as the guest driver set it up.
 *
 * @param role what the queue is for
 * @param size ring size the driver chose ({@code vring-num})
 * @param shape what one of the driver's buffers looks like
 * @param boot the indices when the simulated VM starts, as a guest that has run a while left them
 * @param refill how the driver restocks a buffer pool ({@link PoolRefill#NONE} for other roles)
 */
public record QueueSpec(QueueRole role, int size, BufferShape shape, RingCounters boot, PoolRefill refill) {
    public QueueSpec {
        if (refill.keepPosted() > size) {
            throw new IllegalArgumentException("cannot keep " + refill.keepPosted() + " buffers posted on a ring of "
                    + size);
        }
    }
}
