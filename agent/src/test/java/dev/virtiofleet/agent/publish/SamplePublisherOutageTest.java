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
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker outage, with an agent restart in the middle of it, loses nothing: every sample
 * arrives exactly once for read_committed consumers (as the streams application reads) and each
 * device's samples arrive in order.
 */
@ExtendWith(KafkaBrokerExtension.class)
class SamplePublisherOutageTest {
    private static final List<String> DEVICES = List.of(
            "/machine/peripheral/blk0/virtio-backend", "/machine/peripheral/net0/virtio-backend",
            "/machine/peripheral/scsi0/virtio-backend", "/machine/peripheral/rng0/virtio-backend");

    @TempDir
    Path spoolDir;

    @Test
    void brokerOutageAndAgentRestartLoseNothing(KafkaBroker broker) throws Exception {
        PublisherConfig config = config(broker, "outage", Duration.ofSeconds(1), Map.of());
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
        Map<String, List<Long>> received = consume(broker, config.topic(), samples.total(), READ_COMMITTED);
        second.close();

        samples.assertExactlyOnceInOrder(received, "first run " + afterClose);
        assertEquals(Map.of(), second.stats().dropped());
        assertEquals(0, second.stats().spooled());
    }

    /**
     * The ambiguous case an idempotent producer alone gets wrong: samples are in the log, their
     * transaction is open, and the agent stops while the broker is away. The next run sends them
     * again; read_committed consumers see them once, because the next run's initTransactions
     * aborted the first copy (which read_uncommitted consumers do see: the case really happened).
     */
    @Test
    void samplesInTheLogOfAnUncommittedTransactionArriveOnce(KafkaBroker broker) throws Exception {
        // The agent lingers until the commit; here the records must reach the log before it.
        PublisherConfig config = config(broker, "open-transaction", Duration.ofSeconds(5), Map.of("linger.ms", "0"));
        Samples samples = new Samples();

        SamplePublisher first = new SamplePublisher(config);
        samples.publish(first, 30); // fits the memory queue: one transaction
        // Quick, so that the broker stops within the transaction's 5 s commit interval.
        Map<String, List<Long>> written = consume(broker, config.topic(), samples.total(), READ_UNCOMMITTED, Duration.ZERO, Duration.ofSeconds(4));
        assertEquals(samples.total(), count(written), "sent into the open transaction");
        assertEquals(0, count(consume(broker, config.topic(), 1, READ_COMMITTED, Duration.ZERO, Duration.ofMillis(300))), "not committed yet");
        broker.stop();
        first.close();
        assertEquals(samples.total(), first.stats().spooled(), "the uncommitted transaction is kept for the next run");

        broker.start();
        SamplePublisher second = new SamplePublisher(config);
        Map<String, List<Long>> received = consume(broker, config.topic(), samples.total(), READ_COMMITTED);
        second.close();

        samples.assertExactlyOnceInOrder(received, "second run " + second.stats());
        assertEquals(2 * samples.total(), count(consume(broker, config.topic(), 2 * samples.total(), READ_UNCOMMITTED)),
                "the first copy is in the log, aborted");
    }

    /** A sample the broker refuses for good is dropped and counted; its transaction's others arrive. */
    @Test
    void aSampleRejectedForGoodIsCountedAndTheOthersArrive(KafkaBroker broker) throws Exception {
        PublisherConfig config = config(broker, "rejected", Duration.ofMillis(500), Map.of("max.request.size", "20000", "batch.size", "16384"));
        Samples samples = new Samples();

        try (SamplePublisher publisher = new SamplePublisher(config)) {
            samples.publish(publisher, 30);
            publisher.accept(samples.oversize(40_000));
            samples.publish(publisher, 30);
            Map<String, List<Long>> received = consume(broker, config.topic(), samples.total(), READ_COMMITTED);
            samples.assertExactlyOnceInOrder(received, "stats " + publisher.stats());
            assertEquals(Map.of("rejected-by-kafka", 1L), publisher.stats().dropped());
            assertEquals(samples.total(), publisher.stats().delivered());
        }
    }

    private PublisherConfig config(KafkaBroker broker, String name, Duration commitInterval, Map<String, String> kafka) throws Exception {
        String topic = "virtio.samples." + name;
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
        }
        Map<String, String> properties = new HashMap<>(kafka);
        properties.put("bootstrap.servers", broker.bootstrapServers());
        return new PublisherConfig(topic, properties, "test-agent-" + name, 40, spoolDir.resolve(name), 8L << 20, 64 << 10,
                Duration.ofMillis(300), commitInterval, Duration.ofSeconds(2));
    }

    private static final String READ_COMMITTED = "read_committed";
    private static final String READ_UNCOMMITTED = "read_uncommitted";

    private static int count(Map<String, List<Long>> byDevice) {
        return byDevice.values().stream().mapToInt(List::size).sum();
    }

    /**
     * Sequences by device from the topic's beginning (all partitions assigned, no group: quick),
     * until {@code expected} arrived (or {@code patience} ran out); then {@code linger} longer to
     * catch duplicates.
     */
    private static Map<String, List<Long>> consume(KafkaBroker broker, String topic, int expected, String isolation,
            Duration linger, Duration patience) {
        Map<String, List<Long>> byDevice = new HashMap<>();
        var deserializer = FleetSerdes.singleObject().sample().deserializer();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation),
                new StringDeserializer(), new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + patience.toNanos();
            long end = Long.MAX_VALUE;
            int count = 0;
            while (System.nanoTime() < Math.min(deadline, end)) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    VirtioSample sample = deserializer.deserialize(topic, record.value());
                    assertEquals(SamplePublisher.keyOf(sample), record.key());
                    byDevice.computeIfAbsent(sample.getDevicePath(), d -> new ArrayList<>()).add(sample.getAgentSequence());
                    count++;
                }
                if (count >= expected && end == Long.MAX_VALUE) {
                    end = System.nanoTime() + linger.toNanos();
                }
            }
        }
        return byDevice;
    }

    private static Map<String, List<Long>> consume(KafkaBroker broker, String topic, int expected, String isolation) {
        return consume(broker, topic, expected, isolation, Duration.ofMillis(500), Duration.ofSeconds(60));
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

        /** A sample too large for the producer's max.request.size; not expected anywhere. */
        VirtioSample oversize(int bytes) {
            return VirtioSample.newBuilder(template).setAgentSequence(-2).setDevicePath("/machine/peripheral/" + "x".repeat(bytes)).build();
        }

        void assertExactlyOnceInOrder(Map<String, List<Long>> received, String context) {
            assertEquals(total(), received.values().stream().mapToInt(List::size).sum(),
                    () -> "every sample, once; missing: " + missingFrom(received) + "; " + context);
            received.forEach((device, sequences) -> {
                List<Long> sorted = new ArrayList<>(sequences);
                sorted.sort(null);
                assertEquals(sorted, sequences, device + " in order");
                assertEquals(sequences.stream().distinct().count(), sequences.size(), device + " without duplicates");
            });
            assertEquals(expected, received);
        }
    }
}
