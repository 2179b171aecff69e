package dev.virtiofleet.agent.poll;

import dev.virtiofleet.qapi.VhostDeviceProtocols;
import dev.virtiofleet.qapi.VirtioStatus;

/**
 * "Never stop a ring by looking at it." On a device whose vhost backend is started,
 * {@code x-query-virtio-queue-status} reads last-avail-idx with GET_VRING_BASE, which the vhost-user
 * protocol defines as stopping the ring. Such queues are followed through
 * {@code x-query-virtio-vhost-queue-status} and the guest-memory indices of
 * {@code x-query-virtio-queue-element} instead.
 */
final class VhostUserRule {
    static final String WHY = "not sent: the device's vhost-user backend is started, and this query would send "
            + "GET_VRING_BASE, which stops the ring; followed via x-query-virtio-vhost-queue-status and "
            + "x-query-virtio-queue-element";

    private VhostUserRule() {}

    /** Whether queue status must not be queried on this device. */
    static boolean forbidsQueueStatus(String listedName, VirtioStatus status) {
        if (!status.vhostStarted()) {
            return false;
        }
        if (listedName.startsWith("vhost-user-") || status.name().startsWith("vhost-user-")) {
            return true;
        }
        // Started without vhost details leaves the backend kind unknown: assume the unsafe kind.
        return status.vhostDev().map(vhost -> negotiatedProtocol(vhost.protocolFeatures())).orElse(true);
    }

    private static boolean negotiatedProtocol(VhostDeviceProtocols protocols) {
        return !protocols.protocols().isEmpty() || protocols.unknownProtocols().orElse(0L) != 0;
    }
}
