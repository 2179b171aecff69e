package dev.virtiofleet.streams.topology;

/**
 * Topic names of the detection application.
 *
 * @param samples input: VirtioSample per device poll
 * @param heartbeats input: AgentHeartbeat per agent
 * @param alerts output: VirtioAlert transitions, keyed by alert id
 * @param health output (compacted): DeviceHealth per device, tombstoned when the device disappears
 * @param deadLetters poison input records (undecodable, or impossible values) with the reason and
 *     source coordinates in Kafka Streams' {@code __streams.errors.*} headers
 */
public record Topics(String samples, String heartbeats, String alerts, String health, String deadLetters) {
    public static final Topics DEFAULT =
            new Topics("virtio.samples", "virtio.heartbeats", "virtio.alerts", "virtio.health", "virtio.samples.dlq");
}
