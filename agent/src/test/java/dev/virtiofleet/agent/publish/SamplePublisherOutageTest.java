package dev.virtiofleet.agent.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.kafka.KafkaBroker;
import dev.virtiofleet.kafka.KafkaBrokerExtension;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.testing.Transcript;
import dev.virtiofleet.testing.TranscriptSamples;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker outage, with an agent restart in the middle of it, loses nothing: every sample
 * arrives exactly once and each device's samples arrive in order.
 */
@ExtendWith(KafkaBrokerExtension.class)
class SamplePublisherOutageTest {
    private static final String TOPIC = "virtio.samples";
    private static final List<String> DEVICES = List.of(
            "/machine/peripheral/blk0/virtio-backend", "/machine/peripheral/net0/virtio-backend",
            "/machine/peripheral/scsi0/virtio-backend", "/machine/peripheral/rng0/virtio-backend");

    @TempDir
    Path spoolDir;

    @Test
    void brokerOutageAndAgentRestartLoseNothing(KafkaBroker broker) throws Exception {
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1))).all().get();
        }
        PublisherConfig config = new PublisherConfig(TOPIC, Map.of("bootstrap.servers", broker.bootstrapServers()),
                40, spoolDir, 8L << 20, 64 << 10, Duration.ofMillis(300), Duration.ofSeconds(2));
        Samples samples = new Samples();

        SamplePublisher first = new SamplePublisher(config);
        samples.publish(first, 200);
        broker.stop();
        samples.publish(first, 400); // the broker is down: memory fills, the rest goes to disk
        Thread.sleep(500);
        first.close(); // agent restart during the outage
        PublisherStats afterClose = first.stats();
        assertTrue(afterClose.spooled() > 300, "samples wait on disk: " + afterClose);

        SamplePublisher second = new SamplePublisher(config);
        samples.publish(second, 100); // the new run keeps polling while the broker is still down
        broker.start();
        samples.publish(second, 100);
        Map<String, List<Long>> received = consume(broker.bootstrapServers(), samples.total());
        second.close();

        assertEquals(samples.total(), received.values().stream().mapToInt(List::size).sum(),
                () -> "every sample, once; missing: " + samples.missingFrom(received) + "; first run " + afterClose);
        received.forEach((device, sequences) -> {
            List<Long> sorted = new ArrayList<>(sequences);
            sorted.sort(null);
            assertEquals(sorted, sequences, device + " in order");
            assertEquals(sequences.stream().distinct().count(), sequences.size(), device + " without duplicates");
        });
        assertEquals(samples.expectedPerDevice(), received);
        assertEquals(Map.of(), second.stats().dropped());
        assertEquals(0, second.stats().spooled());
    }

    private static Map<String, List<Long>> consume(String bootstrap, int expected) {
        Map<String, List<Long>> byDevice = new HashMap<>();
        var deserializer = FleetSerdes.singleObject().sample().deserializer();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "outage-check-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int count = 0;
            while (count < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    VirtioSample sample = deserializer.deserialize(TOPIC, record.value());
                    assertEquals(SamplePublisher.keyOf(sample), record.key());
                    byDevice.computeIfAbsent(sample.getDevicePath(), d -> new ArrayList<>()).add(sample.getAgentSequence());
                    count++;
                }
            }
            // A little longer, to catch duplicates that would arrive after the expected count.
            consumer.poll(Duration.ofMillis(500)).forEach(record -> byDevice
                    .computeIfAbsent(deserializer.deserialize(TOPIC, record.value()).getDevicePath(), d -> new ArrayList<>())
                    .add(-1L));
        }
        return byDevice;
    }

    /** Samples round-robin over four devices with one global sequence, as an agent makes them. */
    private static final class Samples {
        private final VirtioSample template = TranscriptSamples.sampleOf(
                Transcript.named("qemu-7.2-virtio-blk-backend-hung.txt"), "/machine/peripheral/blk0/virtio-backend", false).sample();
        private final Map<String, List<Long>> expected = new HashMap<>();
        private long sequence;

        void publish(SamplePublisher publisher, int count) {
            for (int i = 0; i < count; i++) {
                String device = DEVICES.get((int) (sequence % DEVICES.size()));
                publisher.accept(VirtioSample.newBuilder(template).setAgentSequence(sequence).setDevicePath(device).build());
                expected.computeIfAbsent(device, d -> new ArrayList<>()).add(sequence);
                sequence++;
            }
        }

        int total() {
            return (int) sequence;
        }

        List<Long> missingFrom(Map<String, List<Long>> received) {
            List<Long> missing = new ArrayList<>();
            expected.forEach((device, sequences) -> sequences.stream()
                    .filter(s -> !received.getOrDefault(device, List.of()).contains(s)).forEach(missing::add));
            missing.sort(null);
            return missing;
        }

        Map<String, List<Long>> expectedPerDevice() {
            return expected;
        }
    }
}
