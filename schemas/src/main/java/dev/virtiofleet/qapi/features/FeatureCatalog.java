package dev.virtiofleet.qapi.features;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.OptionalInt;

/**
 * QEMU 7.2's tables for the feature, status and vhost-user protocol words of
 * {@code x-query-virtio-status}, and the decoding QEMU applies to them. Lets us turn numeric
 * bitmaps into QEMU's {@code "NAME: description"} lists and back.
 *
 * <p>Each table below is written in QEMU's table order; lists handed out are in QEMU's emission
 * order, which is the reverse (QEMU prepends every match). See {@link VirtioDeviceType}.
 */
public final class FeatureCatalog {

    // QEMU 7.2 names neither VIRTIO_F_NOTIFICATION_DATA (38) nor VIRTIO_F_RING_RESET (40). It
    // offers bit 40 and Linux 6.x accepts it, so 2^40 is in unknown-dev-features of every device.
    private static final List<FeatureBit> TRANSPORTS = emissionOrder(
            new FeatureBit(24, "VIRTIO_F_NOTIFY_ON_EMPTY", "Notify when device runs out of avail. descs. on VQ"),
            new FeatureBit(27, "VIRTIO_F_ANY_LAYOUT", "Device accepts arbitrary desc. layouts"),
            new FeatureBit(32, "VIRTIO_F_VERSION_1", "Device compliant for v1 spec (legacy)"),
            new FeatureBit(33, "VIRTIO_F_IOMMU_PLATFORM", "Device can be used on IOMMU platform"),
            new FeatureBit(34, "VIRTIO_F_RING_PACKED", "Device supports packed VQ layout"),
            new FeatureBit(35, "VIRTIO_F_IN_ORDER", "Device uses buffers in same order as made available by driver"),
            new FeatureBit(36, "VIRTIO_F_ORDER_PLATFORM", "Memory accesses ordered by platform"),
            new FeatureBit(37, "VIRTIO_F_SR_IOV", "Device supports single root I/O virtualization"),
            new FeatureBit(28, "VIRTIO_RING_F_INDIRECT_DESC", "Indirect descriptors supported"),
            new FeatureBit(29, "VIRTIO_RING_F_EVENT_IDX", "Used & avail. event fields enabled"));

    // QEMU keys this table by mask (DRIVER_OK = 4, ...); here it is the bit number of that mask.
    private static final List<FeatureBit> STATUSES = emissionOrder(
            new FeatureBit(2, "VIRTIO_CONFIG_S_DRIVER_OK", "Driver setup and ready"),
            new FeatureBit(3, "VIRTIO_CONFIG_S_FEATURES_OK", "Feature negotiation complete"),
            new FeatureBit(1, "VIRTIO_CONFIG_S_DRIVER", "Guest OS compatible with device"),
            new FeatureBit(6, "VIRTIO_CONFIG_S_NEEDS_RESET", "Irrecoverable error, device needs reset"),
            new FeatureBit(7, "VIRTIO_CONFIG_S_FAILED", "Error in guest, device failed"),
            new FeatureBit(0, "VIRTIO_CONFIG_S_ACKNOWLEDGE", "Valid virtio device found"));

    // QEMU 7.2 still uses the SLAVE_* names; later versions renamed them BACKEND_*.
    private static final List<FeatureBit> PROTOCOLS = emissionOrder(
            protocol(0, "MQ", "Multiqueue protocol supported"),
            protocol(1, "LOG_SHMFD", "Shared log memory fd supported"),
            protocol(2, "RARP", "Vhost-user back-end RARP broadcasting supported"),
            protocol(3, "REPLY_ACK", "Requested operation status ack. supported"),
            protocol(4, "NET_MTU", "Expose host MTU to guest supported"),
            protocol(5, "SLAVE_REQ", "Socket fd for back-end initiated requests supported"),
            protocol(6, "CROSS_ENDIAN", "Endianness of VQs for legacy devices supported"),
            protocol(7, "CRYPTO_SESSION", "Session creation for crypto operations supported"),
            protocol(8, "PAGEFAULT", "Request servicing on userfaultfd for accessed pages supported"),
            protocol(9, "CONFIG", "Vhost-user messaging for virtio device configuration space supported"),
            protocol(10, "SLAVE_SEND_FD", "Slave fd communication channel supported"),
            protocol(11, "HOST_NOTIFIER", "Host notifiers for specified VQs supported"),
            protocol(12, "INFLIGHT_SHMFD", "Shared inflight I/O buffers supported"),
            protocol(13, "RESET_DEVICE", "Disabling all rings and resetting internal device state supported"),
            protocol(14, "INBAND_NOTIFICATIONS", "In-band messaging supported"),
            protocol(15, "CONFIGURE_MEM_SLOTS", "Configuration for memory slots supported"));

    private FeatureCatalog() {}

    /** The transport table, in QEMU's emission order of {@code transports}. */
    public static List<FeatureBit> transportFeatures() {
        return TRANSPORTS;
    }

    /** The VIRTIO_CONFIG_S_* table for {@code statuses}, bit numbers 0..7, in emission order. */
    public static List<FeatureBit> deviceStatusBits() {
        return STATUSES;
    }

    /** The VHOST_USER_PROTOCOL_F_* table for {@code protocols}, in emission order. */
    public static List<FeatureBit> vhostUserProtocolFeatures() {
        return PROTOCOLS;
    }

    /**
     * Splits a 64-bit feature word as QEMU does: transport bits first, then the device's table on
     * what is left, the rest unknown. An unknown device id has no device table (QEMU 7.2 asserts
     * on ids it does not list), so all its non-transport bits come back unknown.
     */
    public static DecodedBits decodeFeatures(int deviceId, long bitmap) {
        Split transports = split(TRANSPORTS, bitmap);
        List<FeatureBit> deviceTable = VirtioDeviceType.fromDeviceId(deviceId)
                .map(VirtioDeviceType::deviceFeatures)
                .orElse(List.of());
        Split device = split(deviceTable, transports.rest());
        return new DecodedBits(transports.named(), device.named(), device.rest());
    }

    /** Decodes the device status byte; the named statuses are in {@link DecodedBits#device()}. */
    public static DecodedBits decodeStatus(int statusByte) {
        if (statusByte < 0 || statusByte > 0xFF) {
            throw new IllegalArgumentException("status is a byte, got " + statusByte);
        }
        Split statuses = split(STATUSES, statusByte);
        return new DecodedBits(List.of(), statuses.named(), statuses.rest());
    }

    /** Decodes a vhost-user protocol word; the named ones are in {@link DecodedBits#device()}. */
    public static DecodedBits decodeProtocols(long bitmap) {
        Split protocols = split(PROTOCOLS, bitmap);
        return new DecodedBits(List.of(), protocols.named(), protocols.rest());
    }

    /** The bit of a feature symbol for a device, looked up in the transport table, then the device's. */
    public static OptionalInt bitOf(int deviceId, String symbol) {
        for (FeatureBit feature : TRANSPORTS) {
            if (feature.symbol().equals(symbol)) {
                return OptionalInt.of(feature.bit());
            }
        }
        List<FeatureBit> deviceTable = VirtioDeviceType.fromDeviceId(deviceId)
                .map(VirtioDeviceType::deviceFeatures)
                .orElse(List.of());
        for (FeatureBit feature : deviceTable) {
            if (feature.symbol().equals(symbol)) {
                return OptionalInt.of(feature.bit());
            }
        }
        return OptionalInt.empty();
    }

    /** The feature word with exactly the given symbols set. */
    public static long encode(int deviceId, Collection<String> symbols) {
        long bitmap = 0;
        for (String symbol : symbols) {
            OptionalInt bit = bitOf(deviceId, symbol);
            if (bit.isEmpty()) {
                throw new IllegalArgumentException(
                        "unknown feature symbol " + symbol + " for device id " + deviceId);
            }
            bitmap |= 1L << bit.getAsInt();
        }
        return bitmap;
    }

    private record Split(List<FeatureBit> named, long rest) {}

    // Walks the table in QEMU's order, claiming each matched bit so that a later entry with the
    // same bit (or the device table after the transports) cannot name it again.
    private static Split split(List<FeatureBit> emissionOrder, long bitmap) {
        List<FeatureBit> named = new ArrayList<>();
        long rest = bitmap;
        for (FeatureBit feature : emissionOrder.reversed()) {
            if ((rest & feature.mask()) != 0) {
                named.addFirst(feature);
                rest &= ~feature.mask();
            }
        }
        return new Split(List.copyOf(named), rest);
    }

    private static List<FeatureBit> emissionOrder(FeatureBit... qemuTableOrder) {
        return List.copyOf(Arrays.asList(qemuTableOrder).reversed());
    }

    private static FeatureBit protocol(int bit, String name, String description) {
        return new FeatureBit(bit, "VHOST_USER_PROTOCOL_F_" + name, description);
    }
}
