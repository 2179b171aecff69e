package dev.virtiofleet.streams.topology;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.HUNG;
import static dev.virtiofleet.streams.testing.Samples.poll;
import static dev.virtiofleet.streams.testing.Samples.ring;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.kafka.EmbeddedKafkaBroker;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.streams.app.DetectionApplication;
import dev.virtiofleet.streams.app.StreamsAppConfig;
import dev.virtiofleet.topics.DeviceKey;
import dev.virtiofleet.streams.testing.DetectionMain;
import dev.virtiofleet.streams.testing.Samples;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole application on a real in-process KRaft broker with exactly-once v2. Whatever happens to
 * the application mid-episode (a restart on an empty state directory, a kill -9 in the middle of
 * its work), a read_committed consumer of virtio.alerts sees exactly one FIRING and one RESOLVED,
 * and poison records land in the dead-letter topic. Each test has its own topics.
 */
class ExactlyOnceBrokerTest {
    private static final FleetSerdes SERDES = FleetSerdes.singleObject();
    private static final VirtioSample HUNG_BLK = Samples.of(HUNG, BLK, false);
    private static final VirtioSample RECOVERED_BLK = ring(HUNG_BLK, 0, 6210, 6210, 6210, 0);
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    static Path brokerDir;
    private static EmbeddedKafkaBroker broker;
    @TempDir
    Path stateDirs;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedKafkaBroker.launch(brokerDir);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void anEpisodeAcrossARestartOnEmptyStateIsOneFiringAndOneResolved() throws Exception {
        Topics topics = createTopics("restart.");
        try (KafkaProducer<byte[], byte[]> producer = producer();
                var alerts = committedConsumer(topics.alerts());
                var deadLetters = committedConsumer(topics.deadLetters())) {
            try (DetectionApplication first = start(topics, stateDirs.resolve("first"))) {
                for (int n = 0; n < 5; n++) {
                    send(producer, topics, poll(HUNG_BLK, n));
                }
                producer.send(new ProducerRecord<>(topics.samples(), "poison".getBytes(StandardCharsets.UTF_8),
                        "not avro".getBytes(StandardCharsets.UTF_8))).get();
                List<VirtioAlert> seen = readUntil(alerts, found -> !found.isEmpty());
                assertEquals(List.of(AlertState.FIRING), states(seen));
                String restAlerts = getUntilOk("http://127.0.0.1:" + first.restPort() + "/alerts");
                assertTrue(restAlerts.contains(seen.getFirst().getAlertId()), "REST serves the firing alert from the store: " + restAlerts);
                String base = "http://127.0.0.1:" + first.restPort();
                assertTrue(getUntilOk(base + "/readyz").contains("RUNNING"));
                String metrics = getUntil(base + "/metrics", body -> body.contains("virtiofleet_streams_dropped_records_total 1"));
                assertTrue(metrics.contains("virtiofleet_streams_running 1"), metrics);
                assertTrue(metrics.contains("virtiofleet_alerts_firing{kind=\"QUEUE_STALLED\",severity=\"CRITICAL\"} 1"), metrics);
                assertTrue(metrics.contains("virtiofleet_streams_output_errors_total 0"), metrics);
            }

            // A new instance on an empty state directory: device state comes back from the changelog.
            try (DetectionApplication second = start(topics, stateDirs.resolve("second"))) {
                for (int n = 5; n < 10; n++) {
                    send(producer, topics, poll(RECOVERED_BLK, n));
                }
                List<VirtioAlert> seen = readUntil(alerts, found -> found.stream().anyMatch(a -> a.getState() == AlertState.RESOLVED));
                seen.addAll(readFor(alerts, Duration.ofSeconds(2)));
                assertEquals(List.of(AlertState.RESOLVED), states(seen), "the FIRING was read before the restart; then only the RESOLVED");
                assertEquals("QUEUE_STALLED/" + DeviceKey.of(HUNG_BLK).asString() + "/0@" + Samples.T0.toEpochMilli(),
                        seen.getFirst().getAlertId());
            }
            List<byte[]> letters = readRawUntil(deadLetters, found -> !found.isEmpty());
            assertEquals("not avro", new String(letters.getFirst(), StandardCharsets.UTF_8), "a deserialization failure, dead-lettered");
        }
    }

    @Test
    void aDeviceThatFallsSilentAcrossARestartIsStillRetired() throws Exception {
        Topics topics = createTopics("silent.");
        // A device of the same guest whose samples go to the hung disk's partition: its samples carry
        // that task's stream time on while the disk says nothing.
        String hungKey = DeviceKey.of(HUNG_BLK).asString();
        VirtioSample neighbour = Samples.RUNNING_DEVICES.stream().filter(path -> !path.equals(BLK))
                .map(path -> Samples.of(HUNG, path, false))
                .filter(sample -> partition(DeviceKey.of(sample).asString()) == partition(hungKey))
                .findFirst().orElseThrow();
        try (KafkaProducer<byte[], byte[]> producer = producer(); var alerts = committedConsumer(topics.alerts());
                var health = committedConsumer(topics.health())) {
            try (DetectionApplication first = start(topics, stateDirs.resolve("silent-first"), "virtio-fleet-silent-test")) {
                for (int n = 0; n < 5; n++) {
                    send(producer, topics, poll(HUNG_BLK, n));
                    send(producer, topics, poll(neighbour, n));
                }
                assertEquals(List.of(AlertState.FIRING), states(readUntil(alerts, found -> !found.isEmpty())));
            }
            // A new instance on an empty state directory: the devices come back from the changelog, and
            // with them what tells a silent one.
            try (DetectionApplication second = start(topics, stateDirs.resolve("silent-second"), "virtio-fleet-silent-test")) {
                for (int n = 5; n < 13; n++) {
                    send(producer, topics, poll(neighbour, n));
                }
                List<VirtioAlert> seen = readUntil(alerts, found -> found.stream().anyMatch(a -> a.getState() == AlertState.RESOLVED));
                assertEquals(List.of(AlertState.RESOLVED), states(seen));
                assertTrue(seen.getFirst().getEvidence().getLast().getObservation().startsWith("no sample since"),
                        seen.getFirst().getEvidence().toString());
                Instant deadline = Instant.now().plus(PATIENCE);
                boolean tombstoned = false;
                while (!tombstoned && Instant.now().isBefore(deadline)) {
                    for (var record : health.poll(Duration.ofMillis(200))) {
                        tombstoned |= record.key().equals(hungKey) && record.value() == null;
                    }
                }
                assertTrue(tombstoned, "the silent device's health record is tombstoned");
            }
        }
    }

    /** The samples partition (of two) the default partitioner gives a device key. */
    private static int partition(String key) {
        return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                key.getBytes(StandardCharsets.UTF_8))) % 2;
    }

    @Test
    void killingTheProcessMidEpisodeAndMidWorkStillGivesOneFiringAndOneResolved() throws Exception {
        Topics topics = createTopics("crash.");
        Path stateDir = Files.createDirectories(stateDirs.resolve("crash"));
        try (KafkaProducer<byte[], byte[]> producer = producer(); var alerts = committedConsumer(topics.alerts())) {
            List<VirtioAlert> seen = new ArrayList<>();
            Process first = launch(stateDir, "crash.");
            try {
                for (int n = 0; n < 4; n++) {
                    send(producer, topics, poll(HUNG_BLK, n));
                }
                seen.addAll(readUntil(alerts, found -> !found.isEmpty()));
                // Recovery begins (the RESOLVED is due at poll 8, after the 30 s hold-down), and the
                // process dies while it may be inside a transaction.
                for (int n = 4; n < 8; n++) {
                    send(producer, topics, poll(n == 4 ? HUNG_BLK : RECOVERED_BLK, n));
                }
            } finally {
                first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
            Process second = launch(stateDir, "crash.");
            try {
                for (int n = 8; n < 11; n++) {
                    send(producer, topics, poll(RECOVERED_BLK, n));
                }
                seen.addAll(readUntil(alerts, found -> found.stream().anyMatch(a -> a.getState() == AlertState.RESOLVED)));
                seen.addAll(readFor(alerts, Duration.ofSeconds(2)));
                assertEquals(List.of(AlertState.FIRING, AlertState.RESOLVED), states(seen));
                assertEquals(seen.get(0).getAlertId(), seen.get(1).getAlertId());
            } finally {
                second.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** The application in a child JVM on this test's classpath, returned once it has started. */
    private static Process launch(Path stateDir, String topicPrefix) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), DetectionMain.class.getName(),
                broker.bootstrapServers(), stateDir.toString(), "crash-test-instance", topicPrefix)
                .redirectErrorStream(true)
                .start();
        var output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = output.readLine()) != null && !line.contains("detection started")) {
            // startup chatter
        }
        Thread.ofVirtual().start(() -> output.lines().forEach(ignored -> { }));
        return process;
    }

    /** GET, retrying while the stores are not yet queryable (503 during a rebalance). */
    private static String getUntilOk(String url) throws Exception {
        return getUntil(url, body -> true);
    }

    /** GETs until a 200 whose body satisfies {@code wanted}; 503 (not ready yet) is waited out. */
    private static String getUntil(String url, Predicate<String> wanted) throws Exception {
        Instant deadline = Instant.now().plus(PATIENCE);
        try (HttpClient http = HttpClient.newHttpClient()) {
            while (true) {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && wanted.test(response.body())) {
                    return response.body();
                }
                if ((response.statusCode() != 503 && response.statusCode() != 200) || Instant.now().isAfter(deadline)) {
                    throw new AssertionError(url + " answered " + response.statusCode() + ": " + response.body());
                }
                Thread.sleep(200);
            }
        }
    }

    private static Topics createTopics(String prefix) throws Exception {
        Topics topics = new Topics(prefix + "virtio.samples", prefix + "virtio.heartbeats", prefix + "virtio.alerts",
                prefix + "virtio.health", prefix + "virtio.samples.dlq");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topics.samples(), 2, (short) 1), new NewTopic(topics.heartbeats(), 1, (short) 1),
                    new NewTopic(topics.alerts(), 1, (short) 1),
                    new NewTopic(topics.health(), 1, (short) 1).configs(Map.of("cleanup.policy", "compact")),
                    new NewTopic(topics.deadLetters(), 1, (short) 1))).all().get();
        }
        return topics;
    }

    private static DetectionApplication start(Topics topics, Path stateDir) throws Exception {
        return start(topics, stateDir, "virtio-fleet-restart-test");
    }

    private static DetectionApplication start(Topics topics, Path stateDir, String applicationId) throws Exception {
        Files.createDirectories(stateDir);
        DetectionApplication application = new DetectionApplication(StreamsAppConfig.fromProperties(Map.of(
                "bootstrap-servers", broker.bootstrapServers(), "application-id", applicationId, "rest.listen", "127.0.0.1:0",
                "state-dir", stateDir.toString(), "topics.samples", topics.samples(), "topics.heartbeats", topics.heartbeats(),
                "topics.alerts", topics.alerts(), "topics.health", topics.health(), "topics.dead-letters", topics.deadLetters())));
        application.start();
        return application;
    }

    private static List<AlertState> states(List<VirtioAlert> alerts) {
        return alerts.stream().filter(a -> a.getKind() == AlertKind.QUEUE_STALLED).map(VirtioAlert::getState).toList();
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, Topics topics, VirtioSample sample) throws Exception {
        producer.send(new ProducerRecord<>(topics.samples(), null, sample.getEventTime().toEpochMilli(),
                DeviceKey.of(sample).asString().getBytes(StandardCharsets.UTF_8),
                SERDES.sample().serializer().serialize(topics.samples(), sample))).get();
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static KafkaConsumer<String, byte[]> committedConsumer(String topic) {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + topic,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    private static List<VirtioAlert> readUntil(KafkaConsumer<String, byte[]> consumer, Predicate<List<VirtioAlert>> done) {
        List<VirtioAlert> found = new ArrayList<>();
        Instant deadline = Instant.now().plus(PATIENCE);
        while (!done.test(found)) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not seen within " + PATIENCE + "; seen: " + found);
            }
            found.addAll(readFor(consumer, Duration.ZERO));
        }
        return found;
    }

    private static List<VirtioAlert> readFor(KafkaConsumer<String, byte[]> consumer, Duration duration) {
        List<VirtioAlert> found = new ArrayList<>();
        Instant end = Instant.now().plus(duration);
        do {
            consumer.poll(Duration.ofMillis(200)).forEach(r -> found.add(SERDES.alert().deserializer().deserialize(r.topic(), r.value())));
        } while (Instant.now().isBefore(end));
        return found;
    }

    private static List<byte[]> readRawUntil(KafkaConsumer<String, byte[]> consumer, Predicate<List<byte[]>> done) {
        List<byte[]> found = new ArrayList<>();
        Instant deadline = Instant.now().plus(PATIENCE);
        while (!done.test(found)) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no dead letter within " + PATIENCE);
            }
            consumer.poll(Duration.ofMillis(200)).forEach(record -> found.add(record.value()));
        }
        return found;
    }
}
