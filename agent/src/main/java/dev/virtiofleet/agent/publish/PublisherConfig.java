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
 * @param kafka standard Kafka producer properties (not {@code transactional.id}: see below), passed through: {@code bootstrap.servers}
 *     (required) and any TLS/SASL settings ({@code security.protocol}, {@code ssl.*}, {@code sasl.*})
 * @param transactionalId Kafka transactional id of this agent's sample producer: stable across
 *     restarts (a new run aborts what the previous one left uncommitted) and unique per host
 *     (default {@code virtio-fleet-agent-<host-id>}; {@code kafka.transactional.id} overrides it)
 * @param memoryQueueRecords samples held in memory before spilling to disk (default 10000)
 * @param spoolDir where samples wait on disk while the broker is unreachable
 * @param spoolMaxBytes disk bound; past it the oldest samples are dropped and counted (default 1 GiB)
 * @param spoolSegmentBytes spool file size (default 64 MiB)
 * @param sendBlockTimeout how long one send may wait for the cluster before it is retried (default 5 s)
 * @param commitInterval how long samples gather in one transaction before it commits; the latency
 *     read_committed consumers see (default 1 s)
 * @param closeTimeout how long shutdown waits for delivery before spooling the rest (default 10 s)
 */
public record PublisherConfig(
        String topic,
        Map<String, String> kafka,
        String transactionalId,
        int memoryQueueRecords,
        Path spoolDir,
        long spoolMaxBytes,
        long spoolSegmentBytes,
        Duration sendBlockTimeout,
        Duration commitInterval,
        Duration closeTimeout) {

    public static final long GIB = 1L << 30;
    /**
     * How long the cluster keeps a transaction open for an agent that went away: short, because
     * until it is aborted read_committed consumers cannot read past it on its partitions.
     */
    public static final Duration TRANSACTION_TIMEOUT = Duration.ofSeconds(10);

    public PublisherConfig {
        if (topic == null || topic.isBlank()) {
            throw new ConfigException("publish.topic", topic, "a topic name");
        }
        kafka = Map.copyOf(kafka);
        if (!kafka.containsKey("bootstrap.servers")) {
            throw new ConfigException("kafka.bootstrap.servers", null, "host:port[,host:port] of the Kafka cluster");
        }
        if (kafka.containsKey("transactional.id")) {
            throw new IllegalArgumentException("transactional.id goes in transactionalId, not among the producer properties");
        }
        if (transactionalId == null || transactionalId.isBlank()) {
            throw new ConfigException("kafka.transactional.id", transactionalId, "a transactional id unique to this agent");
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
        Require.positive("publish.commit-interval", commitInterval);
        if (commitInterval.compareTo(TRANSACTION_TIMEOUT.dividedBy(2)) > 0) {
            throw new ConfigException("publish.commit-interval", commitInterval,
                    "at most " + TRANSACTION_TIMEOUT.dividedBy(2).toSeconds() + "s (half the transaction timeout)");
        }
        Require.positive("publish.close-timeout", closeTimeout);
    }

    /** Defaults for everything but where Kafka and the spool are and which host this is. */
    public static PublisherConfig defaults(String bootstrapServers, Path spoolDir, String hostId) {
        return new PublisherConfig(FleetTopics.SAMPLES.name(), Map.of("bootstrap.servers", bootstrapServers),
                transactionalIdOf(hostId), 10_000, spoolDir, GIB, 64L << 20, Duration.ofSeconds(5), Duration.ofSeconds(1),
                Duration.ofSeconds(10));
    }

    /** The default transactional id of the agent on {@code hostId}. */
    public static String transactionalIdOf(String hostId) {
        return "virtio-fleet-agent-" + hostId;
    }
}
