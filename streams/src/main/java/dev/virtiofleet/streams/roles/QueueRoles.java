package dev.virtiofleet.streams.roles;

import dev.virtiofleet.avro.QueueRole;
import dev.virtiofleet.qapi.features.FeatureSet;
import dev.virtiofleet.qapi.features.VirtioDeviceType;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Which virtqueues are request queues (the driver waits for the device, so outstanding work that
 * does not complete is a stall) and which are buffer pools (the driver posts buffers in advance for
 * the device to fill when it has data, so held buffers are idle capacity). Tables follow the virtio
 * 1.2 specification, section 5, and QEMU's queue layout.
 *
 * <p>Decisions where the spec leaves room:
 * <ul>
 *   <li>virtio-balloon inflate (0) and deflate (1) are request queues: Linux's {@code tell_host}
 *       waits for the device to return each PFN batch. The statistics queue (2) is a buffer pool:
 *       the driver leaves one buffer with the device until the host asks for stats, which the
 *       running-guest transcript shows as {@code inuse: 1} forever. QEMU creates the free-page-hint
 *       queue (3) only when it offers VIRTIO_BALLOON_F_FREE_PAGE_HINT; hints are consumed only
 *       while a migration asks for them, so that queue is {@link QueueRole#UNKNOWN}. The
 *       page-reporting queue that follows is a request queue (the driver waits for each report).
 *   <li>virtio-scsi control queue (0) is a request queue (task management waits for the device),
 *       the event queue (1) a buffer pool, request queues (2..) request queues.
 *   <li>virtio-serial (console) even queues receive (port 0, control, ports 1..) and are buffer
 *       pools; odd queues transmit and are request queues.
 *   <li>A device type not listed, or a queue index the layout does not explain, is
 *       {@link QueueRole#UNKNOWN}: no queue-progress rule is evaluated on it, because raising a
 *       stall on what may be a buffer pool is the false alarm an idle guest would trigger.
 * </ul>
 */
public final class QueueRoles {
    private static final String BALLOON_FREE_PAGE_HINT = "VIRTIO_BALLOON_F_FREE_PAGE_HINT";

    /** Device types by id, looked up once: roleOf runs for every queue of every sample. */
    private static final int TABLE_SIZE = 256;
    private static final List<Optional<VirtioDeviceType>> TYPES = IntStream.range(0, TABLE_SIZE)
            .mapToObj(VirtioDeviceType::fromDeviceId).toList();

    private QueueRoles() {}

    private static Optional<VirtioDeviceType> typeOf(int deviceId) {
        return deviceId >= 0 && deviceId < TABLE_SIZE ? TYPES.get(deviceId) : VirtioDeviceType.fromDeviceId(deviceId);
    }

    /**
     * @param deviceId virtio device type number
     * @param queueIndex the queue
     * @param numVqs {@code num-vqs} of the device (locates virtio-net's control queue)
     * @param hostFeatures what the device offers (locates optional balloon queues)
     */
    public static QueueRole roleOf(int deviceId, int queueIndex, long numVqs, FeatureSet hostFeatures) {
        Optional<VirtioDeviceType> type = typeOf(deviceId);
        if (type.isEmpty() || queueIndex < 0) {
            return QueueRole.UNKNOWN;
        }
        return switch (type.get()) {
            case NET -> net(queueIndex, numVqs);
            case BLOCK, RNG, NINE_P, GPU, CRYPTO, MEM, FS -> QueueRole.REQUEST;
            case CONSOLE -> queueIndex % 2 == 0 ? QueueRole.BUFFER_POOL : QueueRole.REQUEST;
            case BALLOON -> balloon(queueIndex, hostFeatures);
            case SCSI -> queueIndex == 1 ? QueueRole.BUFFER_POOL : QueueRole.REQUEST;
            case INPUT -> queueIndex == 0 ? QueueRole.BUFFER_POOL : QueueRole.REQUEST;
            case VSOCK -> queueIndex == 1 ? QueueRole.REQUEST : QueueRole.BUFFER_POOL;
            case IOMMU -> queueIndex == 0 ? QueueRole.REQUEST : QueueRole.BUFFER_POOL;
            default -> QueueRole.UNKNOWN;
        };
    }

    /** rx0, tx0, rx1, tx1, ..., then the control queue last (QEMU always creates it). */
    private static QueueRole net(int queueIndex, long numVqs) {
        boolean controlQueue = numVqs % 2 == 1 && queueIndex == numVqs - 1;
        if (controlQueue) {
            return QueueRole.REQUEST;
        }
        if (numVqs > 0 && queueIndex >= numVqs) {
            return QueueRole.UNKNOWN;
        }
        return queueIndex % 2 == 0 ? QueueRole.BUFFER_POOL : QueueRole.REQUEST;
    }

    private static QueueRole balloon(int queueIndex, FeatureSet hostFeatures) {
        boolean freePageHintQueue = hostFeatures.contains(BALLOON_FREE_PAGE_HINT);
        return switch (queueIndex) {
            case 0, 1 -> QueueRole.REQUEST;
            case 2 -> QueueRole.BUFFER_POOL;
            case 3 -> freePageHintQueue ? QueueRole.UNKNOWN : QueueRole.REQUEST;
            case 4 -> freePageHintQueue ? QueueRole.REQUEST : QueueRole.UNKNOWN;
            default -> QueueRole.UNKNOWN;
        };
    }
}
