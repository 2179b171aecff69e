package dev.virtiofleet.agent.qmp;

import dev.virtiofleet.qapi.QapiReader;
import java.util.Set;

/**
 * The only commands the agent may send. QMP can stop, kill or reconfigure a VM; this list is the
 * guarantee that the agent cannot, whatever a caller asks for.
 */
public final class ReadOnlyCommands {
    public static final String QMP_CAPABILITIES = "qmp_capabilities";
    public static final String QUERY_STATUS = "query-status";
    public static final String QUERY_NAME = "query-name";
    public static final String QUERY_UUID = "query-uuid";
    public static final String QUERY_VERSION = "query-version";
    public static final String QUERY_COMMANDS = "query-commands";

    /** The x-query-virtio* family; all of them arrived together in QEMU 7.2. */
    public static final Set<String> VIRTIO_QUERIES = Set.of(
            QapiReader.X_QUERY_VIRTIO,
            QapiReader.X_QUERY_VIRTIO_STATUS,
            QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS,
            QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS,
            QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT);

    public static final Set<String> ALLOWED = Set.of(
            QMP_CAPABILITIES, QUERY_STATUS, QUERY_NAME, QUERY_UUID, QUERY_VERSION, QUERY_COMMANDS,
            QapiReader.X_QUERY_VIRTIO,
            QapiReader.X_QUERY_VIRTIO_STATUS,
            QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS,
            QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS,
            QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT);

    private ReadOnlyCommands() {}

    static void require(QmpCommand command) {
        if (!ALLOWED.contains(command.execute())) {
            throw new CommandNotAllowedException(command.execute());
        }
    }
}
