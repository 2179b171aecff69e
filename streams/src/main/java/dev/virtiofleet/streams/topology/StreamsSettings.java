package dev.virtiofleet.streams.topology;

import dev.virtiofleet.streams.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;

/**
 * How the detection application runs in Kafka Streams. Exactly-once v2 is fixed, not a setting:
 * an alert FIRING twice or a RESOLVED lost on a crash is what this application must not do.
 *
 * @param applicationId Kafka Streams application id (consumer group, changelog topic prefix)
 * @param bootstrapServers Kafka bootstrap servers, host:port[,host:port...]
 * @param stateDir where RocksDB state lives; Kafka Streams' default when empty
 * @param standbyReplicas warm copies of each store on other instances, for fast failover
 * @param commitInterval how often results are committed (and become visible to read_committed readers)
 * @param instanceId a stable name for this instance (e.g. its host name): static group membership,
 *     so that an instance restarted after a crash takes its partitions back at once instead of
 *     after a session timeout and a rebalance
 * @param advertisedRest host:port at which other instances reach this one's REST API
 *     ({@code application.server}); without it the instance answers only for its own partitions
 * @param clientConfig further Kafka client settings passed through verbatim (TLS, SASL, timeouts);
 *     they may not override what the fields above or the application itself set
 */
public record StreamsSettings(String applicationId, String bootstrapServers, Optional<Path> stateDir, int standbyReplicas,
        Duration commitInterval, Optional<String> instanceId, Optional<String> advertisedRest, Map<String, String> clientConfig) {

    /** What {@link #toProperties} sets and {@code clientConfig} therefore may not. */
    public static final Set<String> APPLICATION_KEYS = Set.of(StreamsConfig.APPLICATION_ID_CONFIG, StreamsConfig.BOOTSTRAP_SERVERS_CONFIG,
            StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, StreamsConfig.COMMIT_INTERVAL_MS_CONFIG,
            StreamsConfig.DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG, StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
            StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
            StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
            StreamsConfig.STATE_DIR_CONFIG, StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
            StreamsConfig.APPLICATION_SERVER_CONFIG);

    /**
     * Kafka Streams settings the application chooses but {@code clientConfig} may change:
     * <ul>
     *   <li>{@code producer.batch.size} 256 KiB instead of 16 KiB: the device store's changelog gets a
     *       record per sample, and with 16 KiB batches the stream thread's producer and the brokers
     *       spent more CPU on batches and requests than on the records (the throughput benchmark:
     *       producer thread 0.9 CPU-s for 120,000 samples, 0.2-0.3 with 256 KiB; broker-side CPU
     *       about halved). Batches are still sent at each commit.
     *   <li>{@code max.task.idle.ms} -1: every task of this topology reads one partition, so there is
     *       nothing to wait for; with the default 0, Kafka Streams checks (and formats trace text
     *       about) the readiness of an empty partition on every processing pass.
     * </ul>
     */
    public static final Map<String, Object> DEFAULTS = Map.of(
            StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 256 * 1024,
            StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L);

    public StreamsSettings {
        clientConfig = Map.copyOf(clientConfig);
        for (String key : clientConfig.keySet()) {
            if (APPLICATION_KEYS.contains(key)) {
                throw new ConfigException("kafka." + key, clientConfig.get(key),
                        "set by the application itself (or by its own key); Kafka client settings such as security.protocol, ssl.*, sasl.* pass through");
            }
        }
        if (!applicationId.matches("[A-Za-z0-9._-]+")) {
            throw new ConfigException("application-id", applicationId, "letters, digits, '.', '_' and '-' only, not empty");
        }
        if (!bootstrapServers.matches("[^,\\s]+:\\d+(,[^,\\s]+:\\d+)*")) {
            throw new ConfigException("bootstrap-servers", bootstrapServers, "host:port[,host:port...]");
        }
        if (standbyReplicas < 0) {
            throw new ConfigException("standby-replicas", Integer.toString(standbyReplicas), "0 or more");
        }
        if (instanceId.isPresent() && !instanceId.get().matches("[A-Za-z0-9._-]+")) {
            throw new ConfigException("instance-id", instanceId.get(), "letters, digits, '.', '_' and '-' only, not empty");
        }
        if (advertisedRest.isPresent() && !advertisedRest.get().matches("[^:\\s]+:\\d+")) {
            throw new ConfigException("rest.advertised", advertisedRest.get(), "host:port");
        }
        if (commitInterval.isNegative() || commitInterval.isZero()) {
            throw new ConfigException("commit-interval", commitInterval.toString(), "a positive duration");
        }
    }

    /** @param topics names the dead-letter topic Kafka Streams' own handlers write poison records to (KIP-1034) */
    public Properties toProperties(Topics topics) {
        Properties props = new Properties();
        props.putAll(DEFAULTS);
        props.putAll(clientConfig);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbyReplicas);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitInterval.toMillis());
        props.put(StreamsConfig.DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG, SampleTimestampExtractor.class);
        // Poison records go to the dead-letter topic with the reason; processing continues.
        props.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, topics.deadLetters());
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueProcessingExceptionHandler.class);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        props.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, OutputErrorHandler.class);
        stateDir.ifPresent(dir -> props.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString()));
        instanceId.ifPresent(id -> props.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), id));
        advertisedRest.ifPresent(address -> props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, address));
        return props;
    }
}
