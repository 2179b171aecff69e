package dev.virtiofleet.topics;

import java.util.List;
import java.util.Map;

/**
 * The topics of virtio-fleet, declared once: {@code topics apply}, the demo, the compose file and
 * the Kubernetes manifests all take them from here.
 *
 * <p>Samples and health are keyed by device, so their partition counts bound the parallelism of
 * the streams application; alerts and heartbeats are small. Retention is time-based except for the
 * compacted health table.
 */
public final class FleetTopics {
    private static final long DAY_MS = 24L * 60 * 60 * 1000;

    public static final TopicSpec SAMPLES = new TopicSpec("virtio.samples", 12, Map.of(
            "cleanup.policy", "delete",
            "retention.ms", Long.toString(7 * DAY_MS),
            "compression.type", "producer"),
            "Avro VirtioSample per device per poll, keyed host/VM/device");

    public static final TopicSpec HEARTBEATS = new TopicSpec("virtio.heartbeats", 3, Map.of(
            "cleanup.policy", "delete",
            "retention.ms", Long.toString(3 * DAY_MS)),
            "Avro AgentHeartbeat per agent per interval, keyed by host");

    public static final TopicSpec ALERTS = new TopicSpec("virtio.alerts", 3, Map.of(
            "cleanup.policy", "delete",
            "retention.ms", Long.toString(30 * DAY_MS)),
            "Avro VirtioAlert FIRING/RESOLVED transitions, keyed by alert id");

    public static final TopicSpec HEALTH = new TopicSpec("virtio.health", 12, Map.of(
            "cleanup.policy", "compact",
            "min.compaction.lag.ms", "60000",
            "delete.retention.ms", Long.toString(DAY_MS)),
            "Avro DeviceHealth, one per device (compacted), tombstoned when the device disappears");

    public static final TopicSpec SAMPLES_DLQ = new TopicSpec("virtio.samples.dlq", 3, Map.of(
            "cleanup.policy", "delete",
            "retention.ms", Long.toString(14 * DAY_MS)),
            "Samples the streams application could not use, with the reason in headers");

    private FleetTopics() {}

    public static List<TopicSpec> all() {
        return List.of(SAMPLES, HEARTBEATS, ALERTS, HEALTH, SAMPLES_DLQ);
    }
}
