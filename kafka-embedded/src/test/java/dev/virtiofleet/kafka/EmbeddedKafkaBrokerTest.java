package dev.virtiofleet.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerTest {

    @TempDir
    Path dataDir;

    @Test
    void keepsItsDataAndAddressAcrossAStopAndStart() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.launch(dataDir)) {
            String address = broker.bootstrapServers();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", address))) {
                admin.createTopics(List.of(new NewTopic("outage", 1, (short) 1))).all().get();
            }
            produce(address, "before");

            broker.stop();
            assertFalse(broker.isRunning());
            broker.start();

            assertEquals(address, broker.bootstrapServers());
            produce(address, "after");
            assertEquals(List.of("before", "after"), consumeAll(address, 2));
        }
    }

    @Test
    void idempotentTransactionalProducersWorkOnOneNode() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.launch(dataDir)) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("outage", 1, (short) 1))).all().get();
                try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                        ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-test"), new StringSerializer(), new StringSerializer())) {
                    producer.initTransactions();
                    producer.beginTransaction();
                    producer.send(new ProducerRecord<>("outage", "k", "committed"));
                    producer.commitTransaction();
                }
                assertTrue(admin.listTopics().names().get().containsAll(Set.of("outage")));
            }
            assertEquals(List.of("committed"), consumeAll(broker.bootstrapServers(), 1));
        }
    }

    @Test
    void keepsOldRecordsOfTopicsWithoutARetentionOfTheirOwn() throws Exception {
        Map<String, String> frequentChecks = Map.of("log.initial.task.delay.ms", "0", "log.retention.check.interval.ms", "100");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.launch(dataDir, frequentChecks)) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("outage", 1, (short) 1))).all().get();
            }
            long monthAgo = System.currentTimeMillis() - Duration.ofDays(30).toMillis();
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("outage", null, monthAgo, "k", "a month old")).get();
            }
            Thread.sleep(2_000); // twenty retention checks
            assertEquals(List.of("a month old"), consumeAll(broker.bootstrapServers(), 1));
        }
    }

    private static void produce(String bootstrap, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("outage", "k", value)).get();
        }
    }

    private static List<String> consumeAll(String bootstrap, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "reader",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("outage"));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }
}
