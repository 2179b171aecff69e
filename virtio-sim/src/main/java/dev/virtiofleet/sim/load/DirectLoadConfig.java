package dev.virtiofleet.sim.load;

import dev.virtiofleet.topics.FleetTopics;
import java.util.Map;

/**
 * How the direct-to-Kafka load mode publishes.
 *
 * @param bootstrapServers Kafka bootstrap servers, {@code host:port[,host:port]}
 * @param topic where samples go (default {@code virtio.samples}, {@link FleetTopics#SAMPLES})
 * @param samplesPerSecond the rate to publish at, over all threads; 0 for as fast as possible (default 0)
 * @param threads sweeping threads, each with its own share of the VMs, 1..64 (default 1)
 * @param kafka further producer properties (TLS, SASL), applied over the defaults
 */
public record DirectLoadConfig(String bootstrapServers, String topic, double samplesPerSecond, int threads,
        Map<String, Object> kafka) {
    public DirectLoadConfig {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrap servers are '" + bootstrapServers + "'; host:port[,host:port] is required");
        }
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException("topic is '" + topic + "'; a topic name is required");
        }
        if (!(samplesPerSecond >= 0) || Double.isInfinite(samplesPerSecond)) {
            throw new IllegalArgumentException("samples per second is " + samplesPerSecond + "; allowed 0 (as fast as possible) or more");
        }
        if (threads < 1 || threads > 64) {
            throw new IllegalArgumentException("threads is " + threads + "; allowed 1..64");
        }
        kafka = Map.copyOf(kafka);
    }

    /** To {@code virtio.samples} at {@code samplesPerSecond} (0: as fast as possible), one thread. */
    public static DirectLoadConfig of(String bootstrapServers, double samplesPerSecond) {
        return new DirectLoadConfig(bootstrapServers, FleetTopics.SAMPLES.name(), samplesPerSecond, 1, Map.of());
    }

    public DirectLoadConfig withThreads(int count) {
        return new DirectLoadConfig(bootstrapServers, topic, samplesPerSecond, count, kafka);
    }
}
