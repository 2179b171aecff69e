package dev.virtiofleet.sim.device;

import dev.virtiofleet.sim.ring.SplitVirtqueue;

/**
 * A queue at run time: its ring, its role and how its device side behaves now. Turns a number of
 * guest-level operations (requests issued, packets received, statistics requests) into ring motion.
 */
final class DeviceQueue {
    private static final int VRING_AVAIL_F_NO_INTERRUPT = 1;

    private final QueueSpec spec;
    private final SplitVirtqueue ring;
    private QueueCondition condition = QueueCondition.HEALTHY;
    private boolean guestPolling;

    DeviceQueue(QueueSpec spec, SplitVirtqueue ring) {
        this.spec = spec;
        this.ring = ring;
    }

    SplitVirtqueue ring() {
        return ring;
    }

    void setCondition(QueueCondition condition) {
        this.condition = condition;
    }

    /** The guest polls this queue with interrupts off (NAPI busy polling): not a fault. */
    void setGuestPolling(boolean polling) {
        this.guestPolling = polling;
        ring.setAvailFlags(polling ? VRING_AVAIL_F_NO_INTERRUPT : 0);
    }

    /**
     * Applies {@code operations} guest-level operations. {@code deviceServes} is false while the
     * device is broken or not set up; {@code driverActive} is false once the driver gave up (FAILED).
     */
    void run(long operations, boolean deviceServes, boolean driverActive) {
        boolean serving = deviceServes && condition != QueueCondition.NOTIFICATION_LOST
                && condition != QueueCondition.VHOST_RING_STOPPED;
        boolean completing = serving && condition != QueueCondition.BACKEND_HUNG;
        boolean signalling = !guestPolling && condition != QueueCondition.COMPLETES_WITHOUT_INTERRUPT;
        switch (spec.role()) {
            case REQUEST -> runRequests(operations, serving, completing, signalling, driverActive);
            case BUFFER_POOL -> runPool(operations, serving, completing, signalling, driverActive);
            case HELD_BUFFER -> runHeld(operations, completing, signalling);
        }
    }

    private void runRequests(long requests, boolean serving, boolean completing, boolean signalling,
            boolean driverActive) {
        if (completing) {
            drain(signalling);
            // A guest that relies on interrupts waits for the one it is owed before submitting more.
            boolean guestWaits = !guestPolling && ring.completionsUnsignalled();
            if (driverActive && !guestWaits) {
                ring.passThrough(requests, signalling);
            }
            return;
        }
        if (driverActive) {
            ring.driverOffer(requests);
        }
        if (serving) {
            ring.deviceTake(Long.MAX_VALUE);
        }
    }

    // Data arrives for the guest: the device fills posted buffers, the driver refills in batches.
    // Data beyond the posted buffers is dropped, as a NIC drops when the guest is out of buffers.
    private void runPool(long arrivals, boolean serving, boolean completing, boolean signalling,
            boolean driverActive) {
        if (completing && ring.devicePush(Long.MAX_VALUE) > 0 && signalling) {
            ring.deviceNotify();
        }
        long remaining = arrivals;
        while (serving && remaining > 0) {
            int taken = ring.deviceTake(remaining);
            if (taken == 0) {
                break;
            }
            remaining -= taken;
            if (completing) {
                ring.devicePush(taken);
                if (signalling) {
                    ring.deviceNotify();
                }
            }
            if (driverActive) {
                refill();
            }
        }
        if (driverActive) {
            refill();
        }
    }

    private void runHeld(long statisticsRequests, boolean completing, boolean signalling) {
        if (!completing) {
            return;
        }
        for (long i = 0; i < statisticsRequests; i++) {
            ring.devicePush(1);
            if (signalling) {
                ring.deviceNotify();
            }
            ring.driverOffer(1);
            ring.deviceTake(1);
        }
    }

    // Completes whatever the device holds or was never told about, and owes no interrupt after.
    private void drain(boolean signalling) {
        ring.deviceTake(Long.MAX_VALUE);
        ring.devicePush(Long.MAX_VALUE);
        if (signalling && ring.completionsUnsignalled()) {
            ring.deviceNotify();
        }
    }

    private void refill() {
        int missing = spec.refill().keepPosted() - (spec.size() - ring.driverFreeSlots());
        if (missing >= spec.refill().whenMissing()) {
            ring.driverOffer(missing);
        }
    }
}
