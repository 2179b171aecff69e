package dev.virtiofleet.sim.device;

import dev.virtiofleet.qapi.VirtioRingDesc;
import dev.virtiofleet.qapi.features.FeatureCatalog;
import dev.virtiofleet.qapi.features.VirtioDeviceType;
import dev.virtiofleet.sim.ring.BufferShape;
import dev.virtiofleet.sim.ring.RingCounters;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Device profiles of QEMU 7.2 driven by a Linux 6.1 guest, with the features, queue sizes,
 * buffer shapes and idle ring positions of the real transcripts in {@code shared/qmp-transcripts}.
 */
public final class LinuxGuestDevices {
    // 2^40 is VIRTIO_F_RING_RESET: QEMU 7.2 offers it without a name for it and Linux 6.x acks it.
    private static final long RING_RESET = 1L << 40;
    // VHOST_USER_F_PROTOCOL_FEATURES as a raw bit, for devices whose QEMU table does not name it.
    private static final long PROTOCOL_FEATURES_BIT = 1L << 30;
    private static final List<String> HOST_TRANSPORTS = List.of("VIRTIO_F_NOTIFY_ON_EMPTY", "VIRTIO_F_ANY_LAYOUT",
            "VIRTIO_F_VERSION_1", "VIRTIO_RING_F_INDIRECT_DESC", "VIRTIO_RING_F_EVENT_IDX");
    private static final List<String> GUEST_TRANSPORTS =
            List.of("VIRTIO_F_VERSION_1", "VIRTIO_RING_F_INDIRECT_DESC", "VIRTIO_RING_F_EVENT_IDX");
    // What Linux 6.1's virtio_net accepts among what QEMU can offer (it never acks GSO or CTRL_RX_EXTRA).
    private static final Set<String> LINUX_NET_DRIVER = Set.of("VIRTIO_NET_F_CSUM", "VIRTIO_NET_F_GUEST_CSUM",
            "VIRTIO_NET_F_CTRL_GUEST_OFFLOADS", "VIRTIO_NET_F_MTU", "VIRTIO_NET_F_MAC", "VIRTIO_NET_F_GUEST_TSO4",
            "VIRTIO_NET_F_GUEST_TSO6", "VIRTIO_NET_F_GUEST_ECN", "VIRTIO_NET_F_GUEST_UFO", "VIRTIO_NET_F_HOST_TSO4",
            "VIRTIO_NET_F_HOST_TSO6", "VIRTIO_NET_F_HOST_ECN", "VIRTIO_NET_F_HOST_UFO", "VIRTIO_NET_F_MRG_RXBUF",
            "VIRTIO_NET_F_STATUS", "VIRTIO_NET_F_CTRL_VQ", "VIRTIO_NET_F_CTRL_RX", "VIRTIO_NET_F_CTRL_VLAN",
            "VIRTIO_NET_F_GUEST_ANNOUNCE", "VIRTIO_NET_F_MQ", "VIRTIO_NET_F_CTRL_MAC_ADDR", "VIRTIO_NET_F_SPEED_DUPLEX");
    // Linux's virtio_net refills its receive ring once more than min(NAPI budget 64, size) / 2 slots are free.
    private static final PoolRefill NET_RX_REFILL = new PoolRefill(256, 33);

    // Buffers as the transcripts show them. A request that went through an indirect table shows
    // the indirect descriptors, last first; the first one's address is a stale guest pointer.
    private static final BufferShape BLOCK_REQUEST = new BufferShape(List.of(
            new VirtioRingDesc(0xF400_C754_1E86_CB83L, 4096, List.of("write")),
            new VirtioRingDesc(48109059, 108, List.of("write", "next")),
            new VirtioRingDesc(48109000, 51, List.of("next"))), true);
    private static final BufferShape NET_CONTROL = new BufferShape(List.of(
            new VirtioRingDesc(0xF402_C754_1E86_CAC3L, 4096, List.of("write")),
            new VirtioRingDesc(48108227, 108, List.of("write", "next")),
            new VirtioRingDesc(48108168, 51, List.of("next"))), true);
    private static final BufferShape NET_RX = BufferShape.single(48444928, 1536, true, false);
    private static final BufferShape NET_TX = BufferShape.single(47073798, 110, false, true);
    private static final BufferShape SCSI_EVENT = BufferShape.single(46524512, 16, true, false);
    private static final BufferShape SCSI_CONTROL = BufferShape.single(46524640, 51, false, true);
    private static final BufferShape INPUT_EVENT = BufferShape.single(43235552, 8, true, false);
    private static final BufferShape INPUT_STATUS = BufferShape.single(43235616, 8, false, true);
    private static final BufferShape BALLOON_PAGES = BufferShape.single(46425600, 1024, false, true);
    private static final BufferShape BALLOON_STATS = BufferShape.single(46425404, 100, false, true);
    private static final BufferShape CONSOLE_RX = BufferShape.single(44896256, 4096, true, false);
    private static final BufferShape CONSOLE_TX = BufferShape.single(43671048, 8, false, true);
    private static final BufferShape ENTROPY = BufferShape.single(44167952, 64, true, true);

    private LinuxGuestDevices() {}

    /** virtio-scsi: control, event (8 event buffers posted), one request queue. */
    public static DeviceSpec scsi(String id) {
        DeviceType t = new DeviceType(VirtioDeviceType.SCSI);
        long host = t.host(PROTOCOL_FEATURES_BIT, "VIRTIO_SCSI_F_CHANGE", "VIRTIO_SCSI_F_HOTPLUG");
        long guest = t.guest(true, "VIRTIO_SCSI_F_CHANGE", "VIRTIO_SCSI_F_HOTPLUG");
        return new DeviceSpec(id, t.type, id + ".0", 1, host, guest, List.of(
                request(256, SCSI_CONTROL, RingCounters.FRESH),
                pool(256, SCSI_EVENT, posted(8), PoolRefill.eachBuffer(8)),
                request(256, BLOCK_REQUEST, settled(5215))), Optional.empty());
    }

    /** virtio-input (keyboard): event queue with 64 buffers posted, status queue. */
    public static DeviceSpec input(String id) {
        DeviceType t = new DeviceType(VirtioDeviceType.INPUT);
        return new DeviceSpec(id, t.type, "", 0, t.host(PROTOCOL_FEATURES_BIT), t.guest(true), List.of(
                pool(64, INPUT_EVENT, posted(64), PoolRefill.eachBuffer(64)),
                request(64, INPUT_STATUS, RingCounters.FRESH)), Optional.empty());
    }

    /** virtio-balloon: inflate, deflate, and the statistics queue holding its one buffer. */
    public static DeviceSpec balloon(String id) {
        DeviceType t = new DeviceType(VirtioDeviceType.BALLOON);
        // QEMU offers bit 30 here too, but the balloon table has no name for it: unknown-dev-features.
        long host = t.host(PROTOCOL_FEATURES_BIT, "VIRTIO_BALLOON_F_PAGE_POISON", "VIRTIO_BALLOON_F_STATS_VQ");
        long guest = t.guest(false, "VIRTIO_BALLOON_F_STATS_VQ");
        return new DeviceSpec(id, t.type, "", 0, host, guest, List.of(
                request(128, BALLOON_PAGES, RingCounters.FRESH),
                request(128, BALLOON_PAGES, RingCounters.FRESH),
                new QueueSpec(QueueRole.HELD_BUFFER, 128, BALLOON_STATS, new RingCounters(1, 1, 1, 0, 0, false), PoolRefill.NONE)),
                Optional.empty());
    }

    /**
     * virtio-serial with 31 ports (64 queues): port 0 rx/tx, control rx (32 buffers posted) and
     * tx, then rx/tx of ports 1..30, no port open. QEMU has signalled every transmit queue once.
     */
    public static DeviceSpec serial(String id) {
        DeviceType t = new DeviceType(VirtioDeviceType.CONSOLE);
        long host = t.host(PROTOCOL_FEATURES_BIT, "VIRTIO_CONSOLE_F_EMERG_WRITE", "VIRTIO_CONSOLE_F_MULTIPORT");
        long guest = t.guest(true, "VIRTIO_CONSOLE_F_MULTIPORT");
        RingCounters signalledOnce = new RingCounters(0, 0, 0, 0, 0, true);
        List<QueueSpec> queues = new ArrayList<>();
        for (int q = 0; q < 64; q++) {
            boolean transmit = q % 2 == 1;
            if (q == 2) {
                queues.add(pool(32, CONSOLE_RX, posted(32), PoolRefill.eachBuffer(32)));
            } else if (q == 3) {
                queues.add(request(32, CONSOLE_TX, settled(1)));
            } else if (transmit) {
                queues.add(request(128, CONSOLE_TX, signalledOnce));
            } else {
                queues.add(pool(128, CONSOLE_RX, RingCounters.FRESH, PoolRefill.eachBuffer(0)));
            }
        }
        return new DeviceSpec(id, t.type, id + ".0", 1, host, guest, queues, Optional.empty());
    }

    /** virtio-rng: one request queue of 8. */
    public static DeviceSpec rng(String id) {
        DeviceType t = new DeviceType(VirtioDeviceType.RNG);
        return new DeviceSpec(id, t.type, "", 1, t.host(PROTOCOL_FEATURES_BIT), t.guest(true), List.of(
                request(8, ENTROPY, settled(9))), Optional.empty());
    }

    /** virtio-blk with {@code queues} request queues (more than one offers VIRTIO_BLK_F_MQ). */
    public static DeviceSpec blk(String id, int queues) {
        return blk(id, queues, false);
    }

    /**
     * vhost-user-blk (an SPDK or qemu-storage-daemon backend): reported as "virtio-blk", with the
     * backend running every queue, so x-query-virtio-queue-status would stop its rings.
     */
    public static DeviceSpec vhostUserBlk(String id, int queues) {
        return blk(id, queues, true);
    }

    private static DeviceSpec blk(String id, int queues, boolean vhostUser) {
        if (queues < 1 || queues > 64) {
            throw new IllegalArgumentException("virtio-blk queues must be 1..64, got " + queues);
        }
        DeviceType t = new DeviceType(VirtioDeviceType.BLOCK);
        List<String> features = new ArrayList<>(List.of("VIRTIO_BLK_F_CONFIG_WCE", "VIRTIO_BLK_F_FLUSH",
                "VIRTIO_BLK_F_WRITE_ZEROES", "VIRTIO_BLK_F_DISCARD", "VIRTIO_BLK_F_TOPOLOGY",
                "VIRTIO_BLK_F_BLK_SIZE", "VIRTIO_BLK_F_GEOMETRY", "VIRTIO_BLK_F_SEG_MAX"));
        if (queues > 1) {
            features.add("VIRTIO_BLK_F_MQ");
        }
        String[] symbols = features.toArray(String[]::new);
        List<QueueSpec> specs = Stream.generate(() -> request(256, BLOCK_REQUEST, settled(4801))).limit(queues).toList();
        long host = t.host(PROTOCOL_FEATURES_BIT, symbols);
        Optional<VhostSpec> vhost = vhostUser
                ? Optional.of(new VhostSpec(VhostKind.USER, host | 1L << 26, SPDK_PROTOCOLS, 0, queues, queues))
                : Optional.empty();
        return new DeviceSpec(id, t.type, "", 1, host, t.guest(true, symbols), specs, vhost);
    }

    /**
     * virtio-net: rx/tx per pair (rx with the ring full of posted buffers, 226 ahead of the
     * device), then the control queue.
     */
    public static DeviceSpec net(String id, NetOptions options) {
        DeviceType t = new DeviceType(VirtioDeviceType.NET);
        List<String> offered = new ArrayList<>(List.of("VIRTIO_NET_F_GSO", "VIRTIO_NET_F_CTRL_MAC_ADDR",
                "VIRTIO_NET_F_GUEST_ANNOUNCE", "VIRTIO_NET_F_CTRL_RX_EXTRA", "VIRTIO_NET_F_CTRL_RX",
                "VIRTIO_NET_F_CTRL_VQ", "VIRTIO_NET_F_STATUS", "VIRTIO_NET_F_MAC", "VIRTIO_NET_F_CTRL_GUEST_OFFLOADS"));
        if (options.ctrlVlan()) {
            offered.add("VIRTIO_NET_F_CTRL_VLAN");
        }
        if (options.mrgRxbuf()) {
            offered.add("VIRTIO_NET_F_MRG_RXBUF");
        }
        if (options.queuePairs() > 1) {
            offered.add("VIRTIO_NET_F_MQ");
        }
        long host = t.host(PROTOCOL_FEATURES_BIT, offered.toArray(String[]::new));
        long guest = t.guest(true, offered.stream().filter(LINUX_NET_DRIVER::contains).toArray(String[]::new));
        List<QueueSpec> queues = new ArrayList<>();
        for (int pair = 0; pair < options.queuePairs(); pair++) {
            queues.add(pool(256, NET_RX, new RingCounters(256, 30, 256, 30, 30, true), NET_RX_REFILL));
            queues.add(request(256, NET_TX, settled(36)));
        }
        queues.add(request(64, NET_CONTROL, settled(9)));
        Optional<VhostSpec> vhost = options.vhost().map(kind -> netVhost(kind, options.queuePairs()));
        return new DeviceSpec(id, t.type, "", 1, host, guest, queues, vhost);
    }

    // QEMU's virtio-net hands x-query-virtio the vhost device of queue pair 0: queues 0 and 1.
    private static VhostSpec netVhost(VhostKind kind, int pairs) {
        return kind == VhostKind.USER
                ? new VhostSpec(kind, DPDK_NET_FEATURES, DPDK_PROTOCOLS, 0, 2, pairs)
                : new VhostSpec(kind, KERNEL_VHOST_NET_FEATURES, 0, 0, 2, 1);
    }

    // Linux vhost-net's VHOST_NET_FEATURES: NOTIFY_ON_EMPTY, LOG_ALL, ANY_LAYOUT (= VIRTIO_NET_HDR),
    // INDIRECT_DESC, EVENT_IDX, VERSION_1, MRG_RXBUF, ACCESS_PLATFORM, RING_RESET.
    private static final long KERNEL_VHOST_NET_FEATURES = 1L << 24 | 1L << 26 | 1L << 27 | 1L << 28 | 1L << 29
            | 1L << 32 | 1L << 15 | 1L << 33 | 1L << 40;
    // DPDK's vhost-user net: checksum and TSO offloads, MRG_RXBUF, CTRL_VQ/RX, GUEST_ANNOUNCE, MQ,
    // LOG_ALL, ANY_LAYOUT, INDIRECT_DESC, PROTOCOL_FEATURES, VERSION_1, IOMMU_PLATFORM.
    private static final long DPDK_NET_FEATURES = 1L | 1L << 1 | 1L << 7 | 1L << 8 | 1L << 11 | 1L << 12
            | 1L << 15 | 1L << 17 | 1L << 18 | 1L << 21 | 1L << 22 | 1L << 26 | 1L << 27 | 1L << 28 | 1L << 30
            | 1L << 32 | 1L << 33;
    // What DPDK's vhost library negotiates: MQ, LOG_SHMFD, RARP, REPLY_ACK, NET_MTU, SLAVE_REQ,
    // SLAVE_SEND_FD, INFLIGHT_SHMFD, CONFIGURE_MEM_SLOTS.
    private static final long DPDK_PROTOCOLS = 1L | 1L << 1 | 1L << 2 | 1L << 3 | 1L << 4 | 1L << 5 | 1L << 10
            | 1L << 12 | 1L << 15;

    // What SPDK's vhost-user-blk target negotiates: MQ, REPLY_ACK, CONFIG, INFLIGHT_SHMFD.
    private static final long SPDK_PROTOCOLS = 1L | 1L << 3 | 1L << 9 | 1L << 12;

    private static QueueSpec request(int size, BufferShape shape, RingCounters boot) {
        return new QueueSpec(QueueRole.REQUEST, size, shape, boot, PoolRefill.NONE);
    }

    private static QueueSpec pool(int size, BufferShape shape, RingCounters boot, PoolRefill refill) {
        return new QueueSpec(QueueRole.BUFFER_POOL, size, shape, boot, refill);
    }

    /** Everything the driver ever offered has been taken, returned and signalled. */
    private static RingCounters settled(int completed) {
        return new RingCounters(completed, completed, completed, completed, completed, true);
    }

    /** Buffers posted by the driver that the device has not yet looked at. */
    private static RingCounters posted(int buffers) {
        return new RingCounters(buffers, 0, 0, 0, 0, false);
    }

    private record DeviceType(VirtioDeviceType type) {
        long host(long rawBits, String... symbols) {
            return FeatureCatalog.encode(type.deviceId(), HOST_TRANSPORTS)
                    | FeatureCatalog.encode(type.deviceId(), List.of(symbols)) | RING_RESET | rawBits;
        }

        long guest(boolean indirect, String... symbols) {
            List<String> transports = indirect ? GUEST_TRANSPORTS
                    : GUEST_TRANSPORTS.stream().filter(s -> !s.equals("VIRTIO_RING_F_INDIRECT_DESC")).toList();
            return FeatureCatalog.encode(type.deviceId(), transports)
                    | FeatureCatalog.encode(type.deviceId(), List.of(symbols)) | RING_RESET;
        }
    }
}
