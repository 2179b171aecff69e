package dev.virtiofleet.launcher.demo;

import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.serde.AvroSerde;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.topics.FleetTopics;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What the demo shows as it happens: every alert firing and resolving with its evidence, and a
 * status line (devices by health, samples per second, alerts firing) at a fixed interval. Reads
 * the output topics like any consumer would; alerts and health from their beginning, samples only
 * as they arrive (counted, not decoded).
 */
final class LiveView implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final PrintStream out;
    private final Duration statusInterval;
    private final AvroSerde<VirtioAlert> alerts;
    private final AvroSerde<DeviceHealth> health;
    private final FleetStatus status = new FleetStatus();
    private final Thread thread;
    private volatile boolean running = true;

    LiveView(String bootstrapServers, PrintStream out, Duration statusInterval) {
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.out = out;
        this.statusInterval = statusInterval;
        FleetSerdes serdes = FleetSerdes.singleObject();
        this.alerts = serdes.alert();
        this.health = serdes.health();
        this.thread = Thread.ofPlatform().name("demo-live-view").daemon(true).unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    private void run() {
        try {
            List<TopicPartition> fromStart = new ArrayList<>(partitions(FleetTopics.ALERTS.name()));
            fromStart.addAll(partitions(FleetTopics.HEALTH.name()));
            List<TopicPartition> fromEnd = partitions(FleetTopics.SAMPLES.name());
            List<TopicPartition> all = new ArrayList<>(fromStart);
            all.addAll(fromEnd);
            consumer.assign(all);
            consumer.seekToBeginning(fromStart);
            consumer.seekToEnd(fromEnd);
            long nextStatus = System.nanoTime() + statusInterval.toNanos();
            while (running) {
                show(consumer.poll(Duration.ofMillis(200)));
                if (System.nanoTime() >= nextStatus) {
                    out.println(status.line(System.nanoTime()));
                    nextStatus = System.nanoTime() + statusInterval.toNanos();
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    private void show(ConsumerRecords<byte[], byte[]> records) {
        int samples = 0;
        for (ConsumerRecord<byte[], byte[]> record : records) {
            String topic = record.topic();
            if (topic.equals(FleetTopics.SAMPLES.name())) {
                samples++;
            } else if (topic.equals(FleetTopics.ALERTS.name())) {
                decode(record, alerts).ifPresent(alert -> {
                    status.alert(alert.getAlertId(), alert.getState() == AlertState.FIRING, alert.getKind().name());
                    AlertText.lines(alert).forEach(out::println);
                });
            } else if (topic.equals(FleetTopics.HEALTH.name())) {
                String key = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
                if (record.value() == null) {
                    status.health(key, null);
                } else {
                    decode(record, health).ifPresent(h -> status.health(key, h));
                }
            }
        }
        status.samples(samples);
    }

    private <T extends SpecificRecordBase> Optional<T> decode(ConsumerRecord<byte[], byte[]> record, AvroSerde<T> serde) {
        try {
            return Optional.ofNullable(serde.deserializer().deserialize(record.topic(), record.value()));
        } catch (SerializationException e) {
            out.println("(skipped an unreadable record at " + record.topic() + "-" + record.partition() + "@" + record.offset()
                    + ": " + e.getMessage() + ")");
            return Optional.empty();
        }
    }

    private List<TopicPartition> partitions(String topic) {
        return consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(info -> new TopicPartition(info.topic(), info.partition()))
                .toList();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(5000);
    }
}
