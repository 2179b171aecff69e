package dev.virtiofleet.streams.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.streams.config.ConfigException;
import dev.virtiofleet.streams.topology.StreamsSettings;
import dev.virtiofleet.streams.topology.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamsAppConfigTest {

    @Test
    void flatKeysConfigureStreamsTopicsAndDetection() {
        StreamsAppConfig config = StreamsAppConfig.fromProperties(Map.of(
                "bootstrap-servers", "kafka-1:9092,kafka-2:9092",
                "standby-replicas", "1",
                "topics.alerts", "fleet.alerts",
                "detect.rules.queue-stalled.fire-after", "1m"));

        Properties props = config.streams().toProperties(config.topics());
        assertEquals(StreamsConfig.EXACTLY_ONCE_V2, props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        assertEquals("virtio-fleet-streams", props.get(StreamsConfig.APPLICATION_ID_CONFIG));
        assertEquals(1, props.get(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG));
        assertEquals("virtio.samples.dlq", props.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG));
        assertEquals("fleet.alerts", config.topics().alerts());
        assertEquals(8470, config.restListen().getPort());
        assertTrue(config.restListen().getAddress().isLoopbackAddress(), "loopback unless told otherwise");
        assertEquals(Duration.ofMinutes(1), config.detection().rule(AlertKind.QUEUE_STALLED).fireAfter("virtio-blk"));
        assertEquals(500, config.queueSeriesLimit());
    }

    @Test
    void kafkaClientSettingsPassThroughWithoutThePrefix() {
        StreamsAppConfig config = StreamsAppConfig.fromProperties(Map.of(
                "bootstrap-servers", "kafka-1:9093",
                "kafka.security.protocol", "SASL_SSL",
                "kafka.sasl.mechanism", "SCRAM-SHA-512"));

        Properties props = config.streams().toProperties(config.topics());
        assertEquals("SASL_SSL", props.get("security.protocol"));
        assertEquals("SCRAM-SHA-512", props.get("sasl.mechanism"));
        assertEquals(StreamsConfig.EXACTLY_ONCE_V2, props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    }

    @Test
    void passedThroughSettingsCannotOverrideWhatTheApplicationSets() {
        assertMessage(Map.of("bootstrap-servers", "k:9092", "kafka.processing.guarantee", "at_least_once"),
                "kafka.processing.guarantee", "set by the application");
        assertMessage(Map.of("bootstrap-servers", "k:9092", "kafka.bootstrap.servers", "other:9092"),
                "kafka.bootstrap.servers", "set by the application");
    }

    @Test
    void everyKeyTheApplicationSetsIsProtected() {
        StreamsAppConfig config = StreamsAppConfig.fromProperties(Map.of("bootstrap-servers", "k:9092", "state-dir", "/tmp/s",
                "instance-id", "node-1", "rest.advertised", "node-1:8470"));
        Properties props = config.streams().toProperties(config.topics());
        assertEquals(StreamsSettings.APPLICATION_KEYS.size() + StreamsSettings.DEFAULTS.size(), props.size(),
                "every key set, with every optional one given: " + props.keySet());
        for (Object key : props.keySet()) {
            assertTrue(StreamsSettings.APPLICATION_KEYS.contains(key) || StreamsSettings.DEFAULTS.containsKey(key),
                    key + " is set by the application but could be overridden");
        }
    }

    @Test
    void theApplicationsOwnDefaultsCanBeChangedThroughKafkaSettings() {
        Properties defaults = StreamsAppConfig.fromProperties(Map.of("bootstrap-servers", "k:9092")).streams().toProperties(Topics.DEFAULT);
        assertEquals(262_144, defaults.get("producer.batch.size"));
        assertEquals(-1L, defaults.get("max.task.idle.ms"));

        Properties changed = StreamsAppConfig.fromProperties(Map.of("bootstrap-servers", "k:9092", "kafka.producer.batch.size", "65536",
                "kafka.max.task.idle.ms", "0")).streams().toProperties(Topics.DEFAULT);
        assertEquals("65536", changed.get("producer.batch.size"));
        assertEquals("0", changed.get("max.task.idle.ms"));
    }

    @Test
    void theExampleFileLoadsAndSpellsTheDefaults() throws Exception {
        StreamsAppConfig example = StreamsAppConfig.load(Path.of("..", "deploy", "streams", "streams.yaml"));
        StreamsAppConfig defaults = StreamsAppConfig.fromProperties(Map.of("bootstrap-servers", "kafka-1.example.net:9093,kafka-2.example.net:9093"));

        assertEquals(defaults, example, "the example shows the defaults");
    }

    @Test
    void yamlNestingSpellsTheFlatKeys(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("streams.yaml"), """
                bootstrap-servers: k:9092
                rest: {listen: 127.0.0.1:9999}
                detect:
                  required-features: [VIRTIO_F_VERSION_1, VIRTIO_F_ACCESS_PLATFORM]
                  rules:
                    queue-stalled:
                      fire-after.virtio-blk: 5m
                """);
        StreamsAppConfig config = StreamsAppConfig.load(file);

        assertEquals(9999, config.restListen().getPort());
        assertEquals(Set.of("VIRTIO_F_VERSION_1", "VIRTIO_F_ACCESS_PLATFORM"), config.detection().requiredFeatures());
        assertEquals(Duration.ofMinutes(5), config.detection().rule(AlertKind.QUEUE_STALLED).fireAfter("virtio-blk"));
        ConfigException empty = assertThrows(ConfigException.class,
                () -> StreamsAppConfig.load(Files.writeString(dir.resolve("empty.yaml"), "bootstrap-servers:\n")));
        assertTrue(empty.getMessage().contains("'bootstrap-servers'"), empty.getMessage());
    }

    @Test
    void mistakesAreNamed() {
        assertMessage(Map.of(), "bootstrap-servers", "required");
        assertMessage(Map.of("bootstrap-servers", "kafka"), "bootstrap-servers", "host:port");
        assertMessage(Map.of("bootstrap-servers", "k:9092", "standby-replicas", "two"), "standby-replicas", "whole number");
        assertMessage(Map.of("bootstrap-servers", "k:9092", "topics.alerts", "bad topic"), "topics.alerts", "Kafka topic name");
        assertMessage(Map.of("bootstrap-servers", "k:9092", "rest.listen", "8470"), "rest.listen", "host:port");
        assertMessage(Map.of("bootstrap-servers", "k:9092", "rest.advertised", "node-1"), "rest.advertised", "host:port");
        assertMessage(Map.of("bootstrap-servers", "k:9092", "bootstrap.servers", "k:9092"), "bootstrap.servers", "unknown key");
        assertMessage(Map.of("bootstrap-servers", "k:9092", "metrics.queue-series-limit", "-1"), "metrics.queue-series-limit", "whole number");
        assertMessage(Map.of("bootstrap-servers", "k:9092", "detect.rules.queue-stalled.fire-after", "later"),
                "detect.rules.queue-stalled.fire-after", "duration");
    }

    private static void assertMessage(Map<String, String> properties, String key, String mentions) {
        ConfigException error = assertThrows(ConfigException.class, () -> StreamsAppConfig.fromProperties(properties));
        assertTrue(error.getMessage().contains("'" + key + "'") && error.getMessage().contains(mentions), error.getMessage());
    }
}
