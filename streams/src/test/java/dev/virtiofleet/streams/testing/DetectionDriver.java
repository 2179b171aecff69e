package dev.virtiofleet.streams.testing;

import dev.virtiofleet.avro.AgentHeartbeat;
import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.topics.DeviceKey;
import dev.virtiofleet.streams.query.FleetStores;
import dev.virtiofleet.streams.topology.DetectionTopology;
import dev.virtiofleet.streams.topology.StreamsSettings;
import dev.virtiofleet.streams.topology.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

/** The real detection topology in a {@link TopologyTestDriver}, with the real serdes and a RocksDB store. */
public final class DetectionDriver implements AutoCloseable {
    private static final FleetSerdes SERDES = FleetSerdes.singleObject();

    private final TopologyTestDriver driver;
    private final TestInputTopic<String, VirtioSample> samples;
    private final TestInputTopic<String, AgentHeartbeat> heartbeats;
    private final TestOutputTopic<String, VirtioAlert> alerts;
    private final TestOutputTopic<String, DeviceHealth> health;
    private final TestInputTopic<byte[], byte[]> rawSamples;
    private final TestOutputTopic<byte[], byte[]> deadLetters;
    private final List<VirtioAlert> alertLog = new ArrayList<>();
    private final List<KeyValue<String, DeviceHealth>> healthLog = new ArrayList<>();

    public DetectionDriver(DetectionConfig config, Path stateDir) {
        this(config, stateDir, Instant.parse("2026-11-25T10:00:00Z"));
    }

    /** @param wallClockStart where the application's wall clock starts */
    public DetectionDriver(DetectionConfig config, Path stateDir, Instant wallClockStart) {
        Topics topics = Topics.DEFAULT;
        Properties props = new StreamsSettings("detection-test", "localhost:9092", Optional.of(stateDir), 0, Duration.ofMillis(100),
                Optional.empty(), Optional.empty(), Map.of())
                .toProperties(topics);
        driver = new TopologyTestDriver(DetectionTopology.build(config, topics, SERDES), props, wallClockStart);
        samples = driver.createInputTopic(topics.samples(), Serdes.String().serializer(), SERDES.sample().serializer());
        rawSamples = driver.createInputTopic(topics.samples(), new ByteArraySerializer(), new ByteArraySerializer());
        deadLetters = driver.createOutputTopic(topics.deadLetters(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        heartbeats = driver.createInputTopic(topics.heartbeats(), Serdes.String().serializer(), SERDES.heartbeat().serializer());
        alerts = driver.createOutputTopic(topics.alerts(), Serdes.String().deserializer(), SERDES.alert().deserializer());
        health = driver.createOutputTopic(topics.health(), Serdes.String().deserializer(), SERDES.health().deserializer());
    }

    public DetectionDriver pipe(VirtioSample sample) {
        samples.pipeInput(DeviceKey.of(sample).asString(), sample, sample.getEventTime());
        return collect();
    }

    /** Pipes bytes as they might arrive from a broken or foreign producer. */
    public DetectionDriver pipeRaw(byte[] key, byte[] value) {
        rawSamples.pipeInput(key, value);
        return collect();
    }

    public List<TestRecord<byte[], byte[]>> deadLetters() {
        return deadLetters.readRecordsToList();
    }

    public DetectionDriver heartbeat(AgentHeartbeat heartbeat) {
        heartbeats.pipeInput(heartbeat.getHostId(), heartbeat, heartbeat.getEventTime());
        return collect();
    }

    /** Moves the application's wall clock on (wall-clock punctuation: agent silence). */
    /** Lets wall-clock time pass for a running application: in steps of its one-second checks. */
    public DetectionDriver advanceWallClock(Duration by) {
        Duration left = by;
        while (left.compareTo(Duration.ofSeconds(1)) > 0) {
            driver.advanceWallClockTime(Duration.ofSeconds(1));
            left = left.minusSeconds(1);
        }
        driver.advanceWallClockTime(left);
        return collect();
    }

    /** Jumps the wall clock at once, as for an application that was not running (stopped, stalled) meanwhile. */
    public DetectionDriver jumpWallClock(Duration by) {
        driver.advanceWallClockTime(by);
        return collect();
    }

    private DetectionDriver collect() {
        alertLog.addAll(alerts.readValuesToList());
        healthLog.addAll(health.readKeyValuesToList());
        return this;
    }

    public DetectionDriver pipeAll(Collection<VirtioSample> batch) {
        batch.forEach(this::pipe);
        return this;
    }

    /** Every alert transition so far, in order. */
    public List<VirtioAlert> alerts() {
        return List.copyOf(alertLog);
    }

    public List<VirtioAlert> alerts(AlertState state) {
        return alertLog.stream().filter(alert -> alert.getState() == state).toList();
    }

    public List<KeyValue<String, DeviceHealth>> health() {
        return List.copyOf(healthLog);
    }

    public DeviceHealth latestHealth(String key) {
        return healthLog.reversed().stream().filter(kv -> kv.key.equals(key)).findFirst().orElseThrow().value;
    }

    /** The driver's state stores, read the way the REST API reads a running application's. */
    public FleetStores stores() {
        return new FleetStores(new FleetStores.Lookup() {
            @Override
            public <V> ReadOnlyKeyValueStore<String, V> store(String name) {
                return driver.getKeyValueStore(name);
            }
        });
    }

    @Override
    public void close() {
        driver.close();
    }
}
