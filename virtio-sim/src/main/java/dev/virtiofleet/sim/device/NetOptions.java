package dev.virtiofleet.sim.device;

import java.util.Optional;

/**
 * The virtio-net properties that change what QEMU offers and how many queues the guest sets up.
 *
 * @param queuePairs rx/tx queue pairs ({@code -device virtio-net-pci,mq=on} with N queues); 1..64
 * @param mrgRxbuf {@code mrg_rxbuf=on|off}
 * @param ctrlVlan {@code ctrl_vlan=on|off}
 * @param vhost a vhost backend for the data path, or none (QEMU's own)
 */
public record NetOptions(int queuePairs, boolean mrgRxbuf, boolean ctrlVlan, Optional<VhostKind> vhost) {
    public NetOptions {
        if (queuePairs < 1 || queuePairs > 64) {
            throw new IllegalArgumentException("virtio-net queuePairs must be 1..64, got " + queuePairs);
        }
    }

    /** QEMU 7.2's defaults with user networking: one pair, merged rx buffers and VLAN control on. */
    public static NetOptions defaults() {
        return new NetOptions(1, true, true, Optional.empty());
    }

    /** As in the mrg_rxbuf-off transcript: {@code mrg_rxbuf=off,ctrl_vlan=off}. */
    public static NetOptions mergedRxBuffersOff() {
        return new NetOptions(1, false, false, Optional.empty());
    }

    public NetOptions withQueuePairs(int pairs) {
        return new NetOptions(pairs, mrgRxbuf, ctrlVlan, vhost);
    }

    public NetOptions withVhost(VhostKind kind) {
        return new NetOptions(queuePairs, mrgRxbuf, ctrlVlan, Optional.of(kind));
    }
}
