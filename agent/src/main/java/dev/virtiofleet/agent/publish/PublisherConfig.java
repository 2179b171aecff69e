package dev.virtiofleet.agent.publish;

import dev.virtiofleet.agent.config.ConfigException;
import dev.virtiofleet.agent.config.Require;
import dev.virtiofleet.topics.FleetTopics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * How samples reach Kafka.
 *
 * @param topic where samples go (default {@code virtio.samples})
 * @param kafka standard Kafka producer properties, passed through: {@code bootstrap.servers}
 *     (required) and any TLS/SASL settings ({@code security.protocol}, {@code ssl.*}, {@code sasl.*})
 * @param memoryQueueRecords samples held in memory before spilling to disk (default 10000)
 * @param spoolDir where samples wait on disk while the broker is unreachable
 * @param spoolMaxBytes disk bound; past it the oldest samples are dropped and counted (default 1 GiB)
 * @param spoolSegmentBytes spool file size (default 64 MiB)
 * @param sendBlockTimeout how long one send may wait for the cluster before it is retried (default 5 s)
 * @param closeTimeout how long shutdown waits for delivery before spooling the rest (default 10 s)
 */
public record PublisherConfig(
        String topic,
        Map<String, String> kafka,
        int memoryQueueRecords,
        Path spoolDir,
        long spoolMaxBytes,
        long spoolSegmentBytes,
        Duration sendBlockTimeout,
        Duration closeTimeout) {

    public static final long GIB = 1L << 30;

    public PublisherConfig {
        if (topic == null || topic.isBlank()) {
            throw new ConfigException("publish.topic", topic, "a topic name");
        }
        kafka = Map.copyOf(kafka);
        if (!kafka.containsKey("bootstrap.servers")) {
            throw new ConfigException("kafka.bootstrap.servers", null, "host:port[,host:port] of the Kafka cluster");
        }
        Require.inRange("publish.memory-queue-records", memoryQueueRecords, 1, 10_000_000);
        if (spoolDir == null) {
            throw new ConfigException("publish.spool-dir", null, "a writable directory");
        }
        if (spoolSegmentBytes < 1024 || spoolMaxBytes < 2 * spoolSegmentBytes) {
            throw new ConfigException("publish.spool-max-bytes", spoolMaxBytes,
                    "at least two spool segments (" + 2 * spoolSegmentBytes + " bytes)");
        }
        Require.positive("publish.send-block-timeout", sendBlockTimeout);
        Require.positive("publish.close-timeout", closeTimeout);
    }

    /** Defaults for everything but where Kafka and the spool are. */
    public static PublisherConfig defaults(String bootstrapServers, Path spoolDir) {
        return new PublisherConfig(FleetTopics.SAMPLES.name(), Map.of("bootstrap.servers", bootstrapServers), 10_000,
                spoolDir, GIB, 64L << 20, Duration.ofSeconds(5), Duration.ofSeconds(10));
    }
}
