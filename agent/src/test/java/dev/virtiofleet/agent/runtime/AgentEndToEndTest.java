package dev.virtiofleet.agent.runtime;

import static dev.virtiofleet.agent.testing.QmpScripts.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.agent.publish.SamplePublisher;
import dev.virtiofleet.agent.schedule.VmStatus;
import dev.virtiofleet.agent.testing.Await;
import dev.virtiofleet.agent.testing.QmpScripts;
import dev.virtiofleet.agent.testing.SweepGaps;
import dev.virtiofleet.agent.testing.TestQmpServer;
import dev.virtiofleet.agent.testing.TranscriptReplay;
import dev.virtiofleet.avro.AgentHeartbeat;
import dev.virtiofleet.avro.MonitorState;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.avro.VmReport;
import dev.virtiofleet.kafka.KafkaBroker;
import dev.virtiofleet.kafka.KafkaBrokerExtension;
import dev.virtiofleet.qapi.QapiReader;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.testing.Transcript;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole agent, configured from YAML, against test QMP servers on real unix sockets and a real
 * Kafka broker: what arrives on the topics, what /metrics says, and that a hung VM among a hundred
 * holds no other back.
 */
@ExtendWith(KafkaBrokerExtension.class)
class AgentEndToEndTest {
    private static final String RUNNING = "qemu-7.2-linux-6.1-guest-running.txt";

    @TempDir
    Path spool;

    private Path socketDir;
    private final List<TestQmpServer> servers = new ArrayList<>();

    @AfterEach
    void stopServers() throws IOException {
        for (TestQmpServer server : servers) {
            server.close();
        }
        if (socketDir != null) {
            Files.deleteIfExists(socketDir);
        }
    }

    @Test
    void samplesHeartbeatsAndMetricsOfTwoVmsArrive(KafkaBroker broker) throws Exception {
        Topics topics = Topics.create(broker, "e2e");
        serveVm("vm-a", TranscriptReplay.of(RUNNING));
        // vm-b's rng device was unplugged between list and query: an expected QMP error.
        serveVm("vm-b", TranscriptReplay.of(RUNNING).answer(QapiReader.X_QUERY_VIRTIO_STATUS,
                json("{\"path\": \"/machine/peripheral/rng0/virtio-backend\"}"),
                json("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Path /machine/peripheral/rng0/virtio-backend is not a VirtIODevice\"}}")));
        int devices = Transcript.named(RUNNING).exchanges().stream()
                .filter(e -> e.execute().equals(QapiReader.X_QUERY_VIRTIO)).findFirst().orElseThrow().response().get("return").size();

        AgentHeartbeat last;
        String metrics;
        Agent agent = Agent.start(config(broker, topics, Duration.ofMillis(200), Duration.ofSeconds(5), freePort()), "test-version");
        try {
            Await.until("three sweeps of both VMs, delivered", () -> agent.vms().size() == 2
                    && agent.vms().stream().allMatch(vm -> vm.sampledSweeps() >= 3)
                    && agent.publisherStats().delivered() >= 6L * devices);
            awaitRecord(broker, topics.heartbeats(), FleetSerdes.singleObject().heartbeat().deserializer()::deserialize,
                    heartbeat -> reportsBoth(heartbeat, devices), "a heartbeat reporting both VMs swept");
            metrics = scrape(agent);
            last = agent.heartbeat();
        } finally {
            agent.close();
        }
        // After close: it counts the samples of the sweeps that ran until the stop, too.
        long made = agent.heartbeat().getLastSampleSequence() + 1;

        List<VirtioSample> samples = consume(broker, topics.samples(), FleetSerdes.singleObject().sample().deserializer()::deserialize,
                (key, sample) -> assertEquals(SamplePublisher.keyOf(sample), key), (int) made);
        assertEquals(made, samples.size(), "every sample made arrives, once");
        assertEquals(samples.size(), samples.stream().map(VirtioSample::getAgentSequence).distinct().count());
        Map<String, Set<String>> devicesByVm = samples.stream().collect(Collectors.groupingBy(VirtioSample::getVmName,
                Collectors.mapping(VirtioSample::getDevicePath, Collectors.toSet())));
        assertEquals(Set.of("vm-a", "vm-b"), devicesByVm.keySet());
        devicesByVm.values().forEach(paths -> assertEquals(devices, paths.size()));
        samples.forEach(sample -> assertEquals("hv-e2e", sample.getHostId()));

        List<AgentHeartbeat> heartbeats = consume(broker, topics.heartbeats(), FleetSerdes.singleObject().heartbeat().deserializer()::deserialize,
                (key, heartbeat) -> assertEquals("hv-e2e", key), 2);
        assertTrue(heartbeats.size() >= 2, "a heartbeat every interval: " + heartbeats.size());
        AgentHeartbeat latest = heartbeats.get(heartbeats.size() - 1);
        assertEquals("test-version", latest.getAgentVersion());
        assertEquals(200, latest.getPollIntervalMs());
        assertEquals(last.getAgentRunId(), latest.getAgentRunId());
        assertTrue(latest.getOutcomes().getReplies() > 0, latest.getOutcomes().toString());
        assertTrue(heartbeats.stream().anyMatch(h -> reportsBoth(h, devices)), "VM reports");
        assertEquals(Set.of("vm-a", "vm-b"), last.getVms().stream().map(VmReport::getVmName).collect(Collectors.toSet()));
        Map<String, Long> dropped = new HashMap<>(last.getDroppedSamples());
        long heartbeatsNotSent = dropped.containsKey(Agent.HEARTBEAT_NOT_SENT) ? dropped.remove(Agent.HEARTBEAT_NOT_SENT) : 0;
        assertEquals(Map.of(), dropped, "no sample dropped");
        assertEquals(0, last.getSpooledSamples());

        // Self-metrics after those sweeps.
        assertTrue(value(metrics, "virtiofleet_agent_command_duration_seconds_count{command=\"x-query-virtio\"}") >= 6, metrics);
        assertTrue(value(metrics, "virtiofleet_agent_command_duration_seconds_bucket{command=\"x-query-virtio-status\",le=\"+Inf\"}") >= 6L * devices);
        double statusSeconds = value(metrics, "virtiofleet_agent_command_duration_seconds_sum{command=\"x-query-virtio-status\"}");
        assertTrue(statusSeconds > 0 && statusSeconds < 6L * devices * 5, "plausible latency sum " + statusSeconds);
        assertTrue(value(metrics, "virtiofleet_agent_command_outcomes_total{command=\"x-query-virtio-queue-status\",outcome=\"reply\"}") > 0);
        assertTrue(value(metrics, "virtiofleet_agent_command_outcomes_total{command=\"x-query-virtio-status\","
                + "error_class=\"GenericError\",outcome=\"qmp_error\"}") >= 3, "an expected QMP error, counted by class");
        assertEquals(0, value(metrics, "virtiofleet_agent_dropped_samples_total{reason=\"spool-full\"}"));
        assertEquals(2, value(metrics, "virtiofleet_agent_vms{state=\"connected\"}"));
        assertEquals(0, value(metrics, "virtiofleet_agent_vms{state=\"circuit_open\"}"));
        assertTrue(value(metrics, "virtiofleet_agent_samples_published_total") >= 6L * devices);
        assertTrue(value(metrics, "virtiofleet_agent_samples_polled_total") >= value(metrics, "virtiofleet_agent_samples_published_total"));
        assertEquals(0, value(metrics, "virtiofleet_agent_spooled_samples"));
        assertTrue(value(metrics, "virtiofleet_agent_buffered_samples") >= 0);
        // Heartbeats are best effort: each gives up on the cluster within one interval (200 ms here), which
        // a loaded machine can exceed. Those not sent are counted alike in metrics and the next heartbeat;
        // the metrics were scraped first, and the count only grows.
        assertTrue(value(metrics, "virtiofleet_agent_heartbeats_failed_total") <= heartbeatsNotSent, metrics);
        assertTrue(metrics.contains("# TYPE virtiofleet_agent_command_duration_seconds histogram"), metrics);
        assertTrue(metrics.contains("# TYPE virtiofleet_agent_dropped_samples_total counter"), metrics);
    }

    @Test
    void oneHungVmAmongAHundredHoldsNoOtherBack(KafkaBroker broker) throws Exception {
        Topics topics = Topics.create(broker, "isolation");
        TestQmpServer hung = serveVm("vm-hung", QmpScripts.neverAnswers());
        Set<String> healthy = new HashSet<>();
        for (int i = 0; i < 99; i++) {
            healthy.add("vm-" + i);
            serveVm("vm-" + i, smallGuest());
        }
        // The default deadline: a loaded machine does not make a healthy VM's answers take that long.
        Duration deadline = Duration.ofSeconds(5);
        Map<String, VmStatus> snapshot;
        AgentHeartbeat last;
        Instant from;
        Instant to;
        try (Agent agent = Agent.start(config(broker, topics, Duration.ofMillis(200), deadline, 0), "test-version")) {
            Await.until("every healthy VM sampled", () -> agent.vms().size() == 100 && agent.vms().stream()
                    .filter(vm -> !vm.endpoint().equals(hung.endpoint())).allMatch(vm -> vm.sampledSweeps() >= 1));
            from = Instant.now();
            long missedBefore = statusOf(agent, hung).timedOutSweeps();
            // The second of two more missed deadlines began after `from`: the hung VM spent at least one
            // whole deadline in the span checked below.
            Await.until("the hung VM misses two more deadlines", () -> statusOf(agent, hung).timedOutSweeps() >= missedBefore + 2);
            to = Instant.now();
            snapshot = agent.vms().stream().collect(Collectors.toMap(vm -> vm.endpoint().describe(), vm -> vm));
            agent.close();
            last = agent.heartbeat();
        }
        assertEquals(100, snapshot.size());
        VmStatus stuck = snapshot.remove(hung.endpoint().describe());
        assertEquals(0, stuck.sampledSweeps(), stuck.toString());
        snapshot.values().forEach(vm -> assertEquals(MonitorState.CONNECTED, vm.state(), vm.toString()));

        List<VirtioSample> samples = consume(broker, topics.samples(), FleetSerdes.singleObject().sample().deserializer()::deserialize,
                (key, sample) -> {}, (int) (last.getLastSampleSequence() + 1));
        assertEquals(last.getLastSampleSequence() + 1, samples.size(), "every sample made arrives");
        Map<String, Long> perVm = samples.stream().collect(Collectors.groupingBy(VirtioSample::getVmName, Collectors.counting()));
        assertFalse(perVm.containsKey("vm-hung"));
        assertEquals(healthy, perVm.keySet());
        snapshot.values().forEach(vm -> assertTrue(perVm.get(vm.identity().name().orElseThrow()) >= 2 * vm.sampledSweeps(),
                vm + " delivered " + perVm.get(vm.identity().name().orElseThrow())));
        // A VM held back by the hung one would go a whole deadline without a sample.
        SweepGaps.Gap longest = SweepGaps.assertNoGap(samples, healthy, from, to, deadline);
        System.out.printf("99 healthy VMs at 200 ms beside a hung one over %s: longest gap between samples %s (from %s)%n",
                Duration.between(from, to), longest, from);
    }

    private static VmStatus statusOf(Agent agent, TestQmpServer server) {
        return agent.vms().stream().filter(vm -> vm.endpoint().equals(server.endpoint())).findFirst().orElseThrow();
    }

    /** The running guest cut down to two devices, to keep a hundred VMs at 100 ms light. */
    private static TranscriptReplay smallGuest() {
        return TranscriptReplay.of(RUNNING).answer(QapiReader.X_QUERY_VIRTIO, null, json("{\"return\": ["
                + "{\"name\": \"virtio-rng\", \"path\": \"/machine/peripheral/rng0/virtio-backend\"}, "
                + "{\"name\": \"virtio-blk\", \"path\": \"/machine/peripheral/blk0/virtio-backend\"}]}"));
    }

    private TestQmpServer serveVm(String name, TestQmpServer.Session session) throws IOException {
        if (socketDir == null) {
            socketDir = Files.createTempDirectory(Path.of("/tmp"), "vf-agent-");
        }
        TestQmpServer.Session named = session instanceof TranscriptReplay replay ? replay.named(name) : session;
        TestQmpServer server = TestQmpServer.unixAt(socketDir.resolve(name + ".qmp"), named);
        servers.add(server);
        return server;
    }

    private AgentConfig config(KafkaBroker broker, Topics topics, Duration interval, Duration deadline, int metricsPort)
            throws IOException {
        return AgentConfig.parse("""
                host-id: hv-e2e
                discovery:
                  socket-globs: ["%s/*.qmp"]
                poll:
                  interval: %dms
                qmp:
                  command-deadline: %dms
                  handshake-timeout: 5s
                publish:
                  topic: %s
                  spool-dir: %s
                  close-timeout: 10s
                heartbeat:
                  topic: %s
                metrics:
                  enabled: %s
                  listen: 127.0.0.1:%d
                kafka:
                  bootstrap.servers: %s
                """.formatted(socketDir, interval.toMillis(), deadline.toMillis(), topics.samples(), spool, topics.heartbeats(),
                metricsPort > 0, Math.max(metricsPort, 1), broker.bootstrapServers()), "test.yaml");
    }

    private record Topics(String samples, String heartbeats) {
        static Topics create(KafkaBroker broker, String prefix) throws Exception {
            Topics topics = new Topics(prefix + ".samples", prefix + ".heartbeats");
            try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic(topics.samples(), 3, (short) 1), new NewTopic(topics.heartbeats(), 1, (short) 1)))
                        .all().get();
            }
            return topics;
        }
    }

    @FunctionalInterface
    private interface Decoder<T> {
        T decode(String topic, byte[] bytes);
    }

    @FunctionalInterface
    private interface RecordCheck<T> {
        void check(String key, T value);
    }

    /** Everything on {@code topic}: at least {@code expected} records, plus whatever follows shortly after. */
    private static <T> List<T> consume(KafkaBroker broker, String topic, Decoder<T> decoder, RecordCheck<T> check, int expected) {
        List<T> values = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer(broker)) {
            consumer.subscribe(List.of(topic));
            long giveUp = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int quietPolls = 0;
            while (System.nanoTime() < giveUp && (values.size() < expected || quietPolls < 3)) {
                var records = consumer.poll(Duration.ofMillis(200));
                quietPolls = records.isEmpty() ? quietPolls + 1 : 0;
                for (ConsumerRecord<String, byte[]> record : records) {
                    T value = decoder.decode(topic, record.value());
                    check.check(record.key(), value);
                    values.add(value);
                }
            }
        }
        return values;
    }

    private static boolean reportsBoth(AgentHeartbeat heartbeat, int devices) {
        return heartbeat.getVms().size() == 2 && heartbeat.getVms().stream()
                .allMatch(vm -> vm.getMonitorState() == MonitorState.CONNECTED && vm.getVirtioDevices() == devices);
    }

    /** Reads {@code topic} from the start until a record matches; the agent keeps running meanwhile. */
    private static <T> void awaitRecord(KafkaBroker broker, String topic, Decoder<T> decoder, Predicate<T> wanted, String what) {
        try (KafkaConsumer<String, byte[]> consumer = consumer(broker)) {
            consumer.subscribe(List.of(topic));
            long giveUp = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < giveUp) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (wanted.test(decoder.decode(topic, record.value()))) {
                        return;
                    }
                }
            }
        }
        throw new AssertionError("gave up waiting for " + what + " on " + topic);
    }

    private static KafkaConsumer<String, byte[]> consumer(KafkaBroker broker) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "e2e-" + UUID.randomUUID(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", // samples come in transactions
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static String scrape(Agent agent) throws Exception {
        var address = agent.metricsAddress().orElseThrow();
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + address.getPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
            return response.body();
        }
    }

    /** The value of one exact series line. */
    private static double value(String metrics, String series) {
        Matcher matcher = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        assertTrue(matcher.find(), "no series " + series + " in\n" + metrics);
        return Double.parseDouble(matcher.group(1));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

}
