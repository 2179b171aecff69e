package dev.virtiofleet.agent.poll;

import dev.virtiofleet.agent.qmp.QmpCommand;
import dev.virtiofleet.agent.qmp.ReadOnlyCommands;
import dev.virtiofleet.qapi.QapiReader;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The device and queue status queries of one VM, each made once and reused every sweep: a command
 * encodes its wire form when it is made, which was a tenth of a poller's work while every sweep
 * made its commands anew. Holds the devices of the latest list only. Not thread-safe, like its poller.
 */
final class QueryCommands {
    static final QmpCommand QUERY_STATUS = QmpCommand.of(ReadOnlyCommands.QUERY_STATUS);
    static final QmpCommand LIST_DEVICES = QmpCommand.of(QapiReader.X_QUERY_VIRTIO);

    private final Map<String, DeviceQueries> byPath = new HashMap<>();

    /** {@code x-query-virtio-status} of the device at {@code path}. */
    QmpCommand status(String path) {
        return device(path).status;
    }

    /**
     * {@code x-query-virtio-queue-status}, {@code x-query-virtio-vhost-queue-status} or {@code
     * x-query-virtio-queue-element} (of the slot QEMU picks: no index) of one queue.
     */
    QmpCommand queue(String command, String path, int queue) {
        DeviceQueries device = device(path);
        return switch (command) {
            case QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS -> device.queueStatus.get(queue);
            case QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS -> device.vhostQueueStatus.get(queue);
            case QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT -> device.queueElement.get(queue);
            default -> throw new IllegalArgumentException("not a per-queue status query: " + command);
        };
    }

    /** Forgets the devices no longer listed. */
    void retainOnly(Set<String> paths) {
        byPath.keySet().retainAll(paths);
    }

    private DeviceQueries device(String path) {
        return byPath.computeIfAbsent(path, DeviceQueries::new);
    }

    private static final class DeviceQueries {
        private final QmpCommand status;
        private final PerQueue queueStatus;
        private final PerQueue vhostQueueStatus;
        private final PerQueue queueElement;

        DeviceQueries(String path) {
            this.status = QmpCommand.forDevice(QapiReader.X_QUERY_VIRTIO_STATUS, path);
            this.queueStatus = new PerQueue(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, path);
            this.vhostQueueStatus = new PerQueue(QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS, path);
            this.queueElement = new PerQueue(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT, path);
        }
    }

    /** One command for each queue of a device, made when first asked for. */
    private static final class PerQueue {
        private final String command;
        private final String path;
        private QmpCommand[] byQueue = new QmpCommand[0];

        PerQueue(String command, String path) {
            this.command = command;
            this.path = path;
        }

        QmpCommand get(int queue) {
            if (queue >= byQueue.length) {
                byQueue = Arrays.copyOf(byQueue, Math.max(queue + 1, byQueue.length * 2));
            }
            if (byQueue[queue] == null) {
                byQueue[queue] = QmpCommand.forQueue(command, path, queue);
            }
            return byQueue[queue];
        }
    }
}
