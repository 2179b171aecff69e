package dev.virtiofleet.qapi.features;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The virtio device types QEMU knows, with the device-feature table QEMU 7.2 uses for
 * {@code dev-features} in {@code x-query-virtio-status}.
 *
 * <p>Tables are written below in the order of QEMU's own tables. QEMU prepends every match to its
 * output list, so what it emits is that order reversed; {@link #deviceFeatures()} returns the
 * emitted order. Texts are QEMU 7.2's byte for byte, typos included ("suppoted", "LEGNTH"),
 * because the simulator has to reproduce them.
 *
 * <p>Types that QEMU 7.2 decodes without a device table (9p, sound, pmem, rpmb, scmi, gpio) have
 * an empty {@link #deviceFeatures()}: every non-transport bit of theirs is unknown, as in QEMU.
 * Newer QEMU grew a gpio table and more bits elsewhere; those are deliberately not here, since
 * one table cannot be byte-exact for two QEMU versions.
 */
public enum VirtioDeviceType {
    NET(1, names("virtio-net"),
            bit(0, "VIRTIO_NET_F_CSUM", "Device handling packets with partial checksum supported"),
            bit(1, "VIRTIO_NET_F_GUEST_CSUM", "Driver handling packets with partial checksum supported"),
            bit(2, "VIRTIO_NET_F_CTRL_GUEST_OFFLOADS", "Control channel offloading reconfig. supported"),
            bit(3, "VIRTIO_NET_F_MTU", "Device max MTU reporting supported"),
            bit(5, "VIRTIO_NET_F_MAC", "Device has given MAC address"),
            bit(7, "VIRTIO_NET_F_GUEST_TSO4", "Driver can receive TSOv4"),
            bit(8, "VIRTIO_NET_F_GUEST_TSO6", "Driver can receive TSOv6"),
            bit(9, "VIRTIO_NET_F_GUEST_ECN", "Driver can receive TSO with ECN"),
            bit(10, "VIRTIO_NET_F_GUEST_UFO", "Driver can receive UFO"),
            bit(11, "VIRTIO_NET_F_HOST_TSO4", "Device can receive TSOv4"),
            bit(12, "VIRTIO_NET_F_HOST_TSO6", "Device can receive TSOv6"),
            bit(13, "VIRTIO_NET_F_HOST_ECN", "Device can receive TSO with ECN"),
            bit(14, "VIRTIO_NET_F_HOST_UFO", "Device can receive UFO"),
            bit(15, "VIRTIO_NET_F_MRG_RXBUF", "Driver can merge receive buffers"),
            bit(16, "VIRTIO_NET_F_STATUS", "Configuration status field available"),
            bit(17, "VIRTIO_NET_F_CTRL_VQ", "Control channel available"),
            bit(18, "VIRTIO_NET_F_CTRL_RX", "Control channel RX mode supported"),
            bit(19, "VIRTIO_NET_F_CTRL_VLAN", "Control channel VLAN filtering supported"),
            bit(20, "VIRTIO_NET_F_CTRL_RX_EXTRA", "Extra RX mode control supported"),
            bit(21, "VIRTIO_NET_F_GUEST_ANNOUNCE", "Driver sending gratuitous packets supported"),
            bit(22, "VIRTIO_NET_F_MQ", "Multiqueue with automatic receive steering supported"),
            bit(23, "VIRTIO_NET_F_CTRL_MAC_ADDR", "MAC address set through control channel"),
            bit(57, "VIRTIO_NET_F_HASH_REPORT", "Hash reporting supported"),
            bit(60, "VIRTIO_NET_F_RSS", "RSS RX steering supported"),
            bit(61, "VIRTIO_NET_F_RSC_EXT", "Extended coalescing info supported"),
            bit(62, "VIRTIO_NET_F_STANDBY",
                    "Device acting as standby for primary device with same MAC addr. supported"),
            bit(63, "VIRTIO_NET_F_SPEED_DUPLEX", "Device set linkspeed and duplex"),
            bit(6, "VIRTIO_NET_F_GSO", "Handling GSO-type packets supported"),
            // Shares bit 27 with the transport VIRTIO_F_ANY_LAYOUT, which QEMU decodes first, so
            // QEMU never prints this one; it stays so that bitOf/encode know the symbol.
            bit(27, "VHOST_NET_F_VIRTIO_NET_HDR", "Virtio-net headers for RX and TX packets supported"),
            logAll(),
            protocolFeatures()),
    // vhost-user-blk reports "virtio-blk" too: since QEMU 7.1 the reported name comes from the
    // device id. The vhost-* aliases here are accepted, never emitted by x-query-virtio.
    BLOCK(2, names("virtio-blk", "vhost-user-blk"),
            bit(1, "VIRTIO_BLK_F_SIZE_MAX", "Max segment size is size_max"),
            bit(2, "VIRTIO_BLK_F_SEG_MAX", "Max segments in a request is seg_max"),
            bit(4, "VIRTIO_BLK_F_GEOMETRY", "Legacy geometry available"),
            bit(5, "VIRTIO_BLK_F_RO", "Device is read-only"),
            bit(6, "VIRTIO_BLK_F_BLK_SIZE", "Block size of disk available"),
            bit(10, "VIRTIO_BLK_F_TOPOLOGY", "Topology information available"),
            bit(12, "VIRTIO_BLK_F_MQ", "Multiqueue supported"),
            bit(13, "VIRTIO_BLK_F_DISCARD", "Discard command supported"),
            bit(14, "VIRTIO_BLK_F_WRITE_ZEROES", "Write zeroes command supported"),
            bit(0, "VIRTIO_BLK_F_BARRIER", "Request barriers supported"),
            bit(7, "VIRTIO_BLK_F_SCSI", "SCSI packet commands supported"),
            bit(9, "VIRTIO_BLK_F_FLUSH", "Flush command supported"),
            bit(11, "VIRTIO_BLK_F_CONFIG_WCE", "Cache writeback and writethrough modes supported"),
            logAll(),
            protocolFeatures()),
    // No vhost-user entries in QEMU's serial and balloon tables: bit 30 is unknown for them.
    CONSOLE(3, names("virtio-serial"),
            bit(0, "VIRTIO_CONSOLE_F_SIZE", "Host providing console size"),
            bit(1, "VIRTIO_CONSOLE_F_MULTIPORT", "Multiple ports for device supported"),
            bit(2, "VIRTIO_CONSOLE_F_EMERG_WRITE", "Emergency write supported")),
    RNG(4, names("virtio-rng", "vhost-user-rng"),
            logAll(),
            protocolFeatures()),
    BALLOON(5, names("virtio-balloon"),
            bit(0, "VIRTIO_BALLOON_F_MUST_TELL_HOST", "Tell host before reclaiming pages"),
            bit(1, "VIRTIO_BALLOON_F_STATS_VQ", "Guest memory stats VQ available"),
            bit(2, "VIRTIO_BALLOON_F_DEFLATE_ON_OOM", "Deflate balloon when guest OOM"),
            bit(3, "VIRTIO_BALLOON_F_FREE_PAGE_HINT", "VQ reporting free pages enabled"),
            bit(4, "VIRTIO_BALLOON_F_PAGE_POISON", "Guest page poisoning enabled"),
            bit(5, "VIRTIO_BALLOON_F_REPORTING", "Page reporting VQ enabled")),
    SCSI(8, names("virtio-scsi", "vhost-scsi", "vhost-user-scsi"),
            bit(0, "VIRTIO_SCSI_F_INOUT", "Requests including read and writable data buffers suppoted"),
            bit(1, "VIRTIO_SCSI_F_HOTPLUG", "Reporting and handling hot-plug events supported"),
            bit(2, "VIRTIO_SCSI_F_CHANGE", "Reporting and handling LUN changes supported"),
            bit(3, "VIRTIO_SCSI_F_T10_PI", "T10 info included in request header"),
            logAll(),
            protocolFeatures()),
    NINE_P(9, names("virtio-9p")),
    GPU(16, names("virtio-gpu", "vhost-user-gpu"),
            bit(0, "VIRTIO_GPU_F_VIRGL", "Virgl 3D mode supported"),
            bit(1, "VIRTIO_GPU_F_EDID", "EDID metadata supported"),
            bit(2, "VIRTIO_GPU_F_RESOURCE_UUID", "Resource UUID assigning supported"),
            bit(3, "VIRTIO_GPU_F_RESOURCE_BLOB", "Size-based blob resources supported"),
            bit(4, "VIRTIO_GPU_F_CONTEXT_INIT", "Context types and synchronization timelines supported"),
            logAll(),
            protocolFeatures()),
    INPUT(18, names("virtio-input", "vhost-user-input"),
            logAll(),
            protocolFeatures()),
    // vhost-user-vsock reports "vhost-vsock" as well (same device id).
    VSOCK(19, names("vhost-vsock", "vhost-user-vsock"),
            bit(1, "VIRTIO_VSOCK_F_SEQPACKET", "SOCK_SEQPACKET supported"),
            logAll(),
            protocolFeatures()),
    CRYPTO(20, names("virtio-crypto"),
            logAll()),
    IOMMU(23, names("virtio-iommu"),
            bit(0, "VIRTIO_IOMMU_F_INPUT_RANGE", "Range of available virtual addrs. available"),
            bit(1, "VIRTIO_IOMMU_F_DOMAIN_RANGE", "Number of supported domains available"),
            bit(2, "VIRTIO_IOMMU_F_MAP_UNMAP", "Map and unmap requests available"),
            bit(3, "VIRTIO_IOMMU_F_BYPASS", "Endpoints not attached to domains are in bypass mode"),
            bit(4, "VIRTIO_IOMMU_F_PROBE", "Probe requests available"),
            bit(5, "VIRTIO_IOMMU_F_MMIO", "VIRTIO_IOMMU_MAP_F_MMIO flag available"),
            bit(6, "VIRTIO_IOMMU_F_BYPASS_CONFIG", "Bypass field of IOMMU config available")),
    // QEMU lists VIRTIO_MEM_F_ACPI_PXM (bit 0) only in builds without ACPI; x86_64 and aarch64
    // builds have ACPI, so there bit 0 is unknown.
    MEM(24, names("virtio-mem"),
            bit(1, "VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE", "Unplugged memory cannot be accessed")),
    SOUND(25, names("virtio-sound", "vhost-user-snd")),
    // QEMU's id-to-name table really says "virtio-user-fs" for the vhost-user-fs device.
    FS(26, names("virtio-user-fs", "vhost-user-fs"),
            logAll(),
            protocolFeatures()),
    PMEM(27, names("virtio-pmem")),
    RPMB(28, names("virtio-rpmb")),
    SCMI(32, names("virtio-scmi", "vhost-user-scmi")),
    I2C(34, names("vhost-user-i2c"),
            bit(0, "VIRTIO_I2C_F_ZERO_LEGNTH_REQUEST", "Zero length requests supported"),
            logAll(),
            protocolFeatures()),
    GPIO(41, names("virtio-gpio", "vhost-user-gpio"));

    private final int deviceId;
    private final Set<String> qemuNames;
    private final List<FeatureBit> deviceFeatures;

    VirtioDeviceType(int deviceId, Set<String> qemuNames, FeatureBit... qemuTableOrder) {
        this.deviceId = deviceId;
        this.qemuNames = qemuNames;
        this.deviceFeatures = List.copyOf(Arrays.asList(qemuTableOrder).reversed());
    }

    /** The virtio device id ({@code device-id} in {@code x-query-virtio-status}). */
    public int deviceId() {
        return deviceId;
    }

    /** The name QEMU 7.2+ reports for this type in {@code x-query-virtio} and {@code name} fields. */
    public String qemuName() {
        return qemuNames.iterator().next();
    }

    /** {@link #qemuName()} first, then device-model names accepted as aliases. */
    public Set<String> qemuNames() {
        return qemuNames;
    }

    /** The device-feature table in the order QEMU emits {@code dev-features}. */
    public List<FeatureBit> deviceFeatures() {
        return deviceFeatures;
    }

    public static Optional<VirtioDeviceType> fromDeviceId(int deviceId) {
        for (VirtioDeviceType type : values()) {
            if (type.deviceId == deviceId) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    public static Optional<VirtioDeviceType> fromQemuName(String name) {
        for (VirtioDeviceType type : values()) {
            if (type.qemuNames.contains(name)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    private static Set<String> names(String reported, String... aliases) {
        var names = new LinkedHashSet<String>();
        names.add(reported);
        names.addAll(List.of(aliases));
        return Collections.unmodifiableSet(names);
    }

    private static FeatureBit bit(int bit, String symbol, String description) {
        return new FeatureBit(bit, symbol, description);
    }

    private static FeatureBit logAll() {
        return bit(26, "VHOST_F_LOG_ALL", "Logging write descriptors supported");
    }

    private static FeatureBit protocolFeatures() {
        return bit(30, "VHOST_USER_F_PROTOCOL_FEATURES", "Vhost-user protocol features negotiation supported");
    }
}
