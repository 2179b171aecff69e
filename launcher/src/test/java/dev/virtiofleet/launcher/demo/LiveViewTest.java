package dev.virtiofleet.launcher.demo;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.HealthState;
import dev.virtiofleet.kafka.KafkaBroker;
import dev.virtiofleet.kafka.KafkaBrokerExtension;
import dev.virtiofleet.launcher.topics.TopicReconciler;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.testing.FleetRecords;
import dev.virtiofleet.topics.FleetTopics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaBrokerExtension.class)
class LiveViewTest {

    @Test
    void showsAlertsWithEvidenceAndTheFleetAtAGlance(KafkaBroker broker) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            new TopicReconciler(admin).apply(FleetTopics.all(), (short) 1, false);
        }
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
        FleetSerdes serdes = FleetSerdes.singleObject();
        try (LiveView view = new LiveView(broker.bootstrapServers(), out, Duration.ofMillis(300));
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                        Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            view.start();
            DeviceHealth critical = FleetRecords.health();
            DeviceHealth healthy = DeviceHealth.newBuilder(critical).setDevicePath("/machine/peripheral/net0/virtio-backend")
                    .setState(HealthState.HEALTHY).setActiveAlerts(java.util.List.of()).build();
            producer.send(new ProducerRecord<>(FleetTopics.HEALTH.name(), "blk0", serdes.health().serializer().serialize("h", critical)));
            producer.send(new ProducerRecord<>(FleetTopics.HEALTH.name(), "net0", serdes.health().serializer().serialize("h", healthy)));
            producer.send(new ProducerRecord<>(FleetTopics.ALERTS.name(), "a",
                    serdes.alert().serializer().serialize("a", FleetRecords.stalledQueueAlert(AlertState.FIRING))));
            producer.flush();

            awaitOutput(printed, text -> text.contains("FIRING   CRITICAL queue stalled"));
            awaitOutput(printed, text -> text.contains("fleet: 2 devices (1 healthy, 1 critical)") && text.contains("alerts firing 1"));

            producer.send(new ProducerRecord<>(FleetTopics.ALERTS.name(), "a",
                    serdes.alert().serializer().serialize("a", FleetRecords.stalledQueueAlert(AlertState.RESOLVED))));
            producer.send(new ProducerRecord<>(FleetTopics.HEALTH.name(), "blk0", null));
            producer.send(new ProducerRecord<>(FleetTopics.ALERTS.name(), "junk", "not avro".getBytes(StandardCharsets.UTF_8)));
            producer.flush();
            awaitOutput(printed, text -> text.contains("RESOLVED CRITICAL queue stalled"));
            awaitOutput(printed, text -> text.contains("fleet: 1 devices (1 healthy)") && text.contains("alerts firing 0"));
        }
        String text = printed.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("hv-0001.example/guest-01 virtio-blk q0 [rack-7]"), text);
        assertTrue(text.contains("evidence") && text.contains("used-idx 6209"), text);
        assertTrue(text.contains("skipped an unreadable record at virtio.alerts"), text);
    }

    private static void awaitOutput(ByteArrayOutputStream printed, Predicate<String> condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.test(printed.toString(StandardCharsets.UTF_8))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("live view never showed it; it printed:\n" + printed.toString(StandardCharsets.UTF_8));
            }
            Thread.sleep(100);
        }
    }
}
