package dev.virtiofleet.streams.observe;

import dev.virtiofleet.qapi.features.FeatureSet;
import java.util.List;
import java.util.Optional;

/**
 * What {@code x-query-virtio-status} said about a device, reduced to the facts the rules judge.
 *
 * @param deviceId virtio device type number
 * @param numVqs queues in use
 * @param statuses status bit symbols
 * @param brokenFlag QEMU's {@code broken} flag
 * @param started QEMU's {@code started}
 * @param hostFeatures offered features
 * @param guestFeatures acked features
 * @param vhost the acked and backend features of a running vhost backend; empty when none runs
 * @param vmRunning {@code vm-running} of the status reply
 */
public record DeviceStatusView(
        int deviceId,
        long numVqs,
        List<String> statuses,
        boolean brokenFlag,
        boolean started,
        FeatureSet hostFeatures,
        FeatureSet guestFeatures,
        Optional<VhostFeatures> vhost,
        boolean vmRunning) {

    public static final String DRIVER_OK = "VIRTIO_CONFIG_S_DRIVER_OK";
    public static final String NEEDS_RESET = "VIRTIO_CONFIG_S_NEEDS_RESET";
    public static final String FAILED = "VIRTIO_CONFIG_S_FAILED";

    /**
     * Features of a started vhost backend.
     *
     * @param acked what QEMU acked to the backend on the guest's behalf
     * @param backend features the backend itself adds (e.g. VHOST_NET_F_VIRTIO_NET_HDR for a tap
     *     without vnet headers); QEMU puts these into acked-features without a guest ack
     */
    public record VhostFeatures(FeatureSet acked, FeatureSet backend) {}

    public DeviceStatusView {
        statuses = List.copyOf(statuses);
    }

    public boolean driverOk() {
        return statuses.contains(DRIVER_OK);
    }

    /** Broken in any of the three ways the spec and QEMU have to say so. */
    public boolean broken() {
        return brokenFlag || statuses.contains(NEEDS_RESET) || statuses.contains(FAILED);
    }

    /** Started, set up by its driver and not broken: a device whose queues are expected to move. */
    public boolean active() {
        return started && driverOk() && !broken();
    }
}
