package dev.virtiofleet.agent.schedule;

import static dev.virtiofleet.agent.testing.QmpScripts.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtiofleet.agent.poll.AgentRun;
import dev.virtiofleet.agent.poll.SweepPolicy;
import dev.virtiofleet.agent.qmp.QmpClientConfig;
import dev.virtiofleet.agent.qmp.QmpEndpoint;
import dev.virtiofleet.agent.testing.Await;
import dev.virtiofleet.agent.testing.QmpScripts;
import dev.virtiofleet.agent.testing.SweepGaps;
import dev.virtiofleet.agent.testing.TestQmpServer;
import dev.virtiofleet.agent.testing.TranscriptReplay;
import dev.virtiofleet.avro.MonitorState;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.avro.VmReport;
import dev.virtiofleet.qapi.QapiReader;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FleetSchedulerTest {
    private static final String RUNNING = "qemu-7.2-linux-6.1-guest-running.txt";
    private static final Duration INTERVAL = Duration.ofMillis(50);
    private static final Duration DEADLINE = Duration.ofSeconds(5);

    private final List<TestQmpServer> servers = new ArrayList<>();
    private final List<VirtioSample> samples = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopServers() throws Exception {
        for (TestQmpServer server : servers) {
            server.close();
        }
    }

    /** The running guest cut down to two devices, to keep 20 VMs at a 50 ms interval light. */
    private static TranscriptReplay smallGuest() {
        return TranscriptReplay.of(RUNNING).answer(QapiReader.X_QUERY_VIRTIO, null, json("{\"return\": ["
                + "{\"name\": \"virtio-rng\", \"path\": \"/machine/peripheral/rng0/virtio-backend\"}, "
                + "{\"name\": \"virtio-blk\", \"path\": \"/machine/peripheral/blk0/virtio-backend\"}]}"));
    }

    private TestQmpServer serve(TestQmpServer.Session session) throws Exception {
        TestQmpServer server = TestQmpServer.unix(session);
        servers.add(server);
        return server;
    }

    private FleetScheduler scheduler(PollConfig poll) {
        return new FleetScheduler(poll, QmpClientConfig.defaults().withCommandDeadline(DEADLINE).withHandshakeTimeout(DEADLINE),
                new AgentRun("hv-test", "run-test"), samples::add, Clock.systemUTC(), new Random(7));
    }


    private static VmStatus statusOf(FleetScheduler scheduler, QmpEndpoint endpoint) {
        return scheduler.status().stream().filter(s -> s.endpoint().equals(endpoint)).findFirst().orElseThrow();
    }

    @Test
    void oneHungVmAmongTwentyDoesNotHoldTheOthersBack() throws Exception {
        TestQmpServer hung = serve(QmpScripts.neverAnswers());
        List<TestQmpServer> healthy = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 19; i++) {
            names.add("vm-" + i);
            healthy.add(serve(smallGuest().named("vm-" + i)));
        }
        Set<QmpEndpoint> all = new HashSet<>();
        servers.forEach(s -> all.add(s.endpoint()));
        try (FleetScheduler scheduler = scheduler(PollConfig.every(INTERVAL))) {
            scheduler.reconcile(all);
            Await.until("every healthy VM sampled", () -> healthy.stream()
                    .allMatch(s -> statusOf(scheduler, s.endpoint()).sampledSweeps() >= 1));
            Instant from = Instant.now();
            long missedBefore = statusOf(scheduler, hung.endpoint()).timedOutSweeps();
            // The second of two more missed deadlines began after `from`: a whole deadline lies in the span checked.
            Await.until("the hung VM misses two more deadlines",
                    () -> statusOf(scheduler, hung.endpoint()).timedOutSweeps() >= missedBefore + 2);
            Instant to = Instant.now();
            VmStatus stuck = statusOf(scheduler, hung.endpoint());
            assertEquals(0, stuck.sampledSweeps(), stuck.toString());
            for (TestQmpServer server : healthy) {
                VmStatus status = statusOf(scheduler, server.endpoint());
                assertEquals(MonitorState.CONNECTED, status.state(), status.toString());
                assertEquals(0, status.timedOutSweeps(), status.toString());
                assertEquals(2, status.virtioDevices());
            }
            // Had the healthy VMs waited behind the hung one, each would have gone a deadline without a sample.
            SweepGaps.assertNoGap(samples, names, from, to, DEADLINE);
        }
        Map<String, Long> perDevice = samples.stream().collect(Collectors.groupingBy(VirtioSample::getDevicePath, Collectors.counting()));
        assertEquals(Set.of("/machine/peripheral/rng0/virtio-backend", "/machine/peripheral/blk0/virtio-backend"), perDevice.keySet());
    }

    @Test
    void repeatedTimeoutsOpenTheCircuitAndBackOffExponentially() throws Exception {
        TestQmpServer hung = serve(QmpScripts.neverAnswers());
        Duration shortDeadline = Duration.ofMillis(100);
        PollConfig poll = new PollConfig(INTERVAL, 0, new Backoff(INTERVAL, Duration.ofSeconds(5)), 2,
                new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5)), SweepPolicy.defaults());
        try (FleetScheduler scheduler = new FleetScheduler(poll,
                QmpClientConfig.defaults().withCommandDeadline(shortDeadline), new AgentRun("hv", "run"),
                samples::add, Clock.systemUTC(), new Random(1))) {
            scheduler.reconcile(Set.of(hung.endpoint()));
            Await.until("circuit open", () -> statusOf(scheduler, hung.endpoint()).state() == MonitorState.CIRCUIT_OPEN);
            Await.until("four timed-out sweeps", () -> statusOf(scheduler, hung.endpoint()).timedOutSweeps() >= 4);
            VmStatus status = statusOf(scheduler, hung.endpoint());
            assertEquals(MonitorState.CIRCUIT_OPEN, status.state());
            assertTrue(status.lastError().orElseThrow().contains("consecutive sweeps timed out"), status.lastError().orElseThrow());
            // Each timed-out sweep sent query-status and x-query-virtio and then stopped. The next sweep
            // (after a backoff of 800 ms or more) may have begun since the status was read: one more at most.
            List<String> received = hung.receivedCommandNames();
            long sent = received.stream().filter(QapiReader.X_QUERY_VIRTIO::equals).count();
            assertTrue(sent == status.timedOutSweeps() || sent == status.timedOutSweeps() + 1, status + " " + received);
            assertEquals(Set.of("qmp_capabilities", "query-name", "query-uuid", "query-commands", "query-status", QapiReader.X_QUERY_VIRTIO),
                    Set.copyOf(received), "nothing beyond the first phase");
        }
    }

    @Test
    void circuitBackoffDoublesAndIsCapped() {
        CircuitBreaker breaker = new CircuitBreaker(3, new Backoff(Duration.ofSeconds(10), Duration.ofSeconds(60)));
        assertEquals(java.util.Optional.empty(), breaker.timeout());
        assertEquals(java.util.Optional.empty(), breaker.timeout());
        List<Duration> waits = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            waits.add(breaker.timeout().orElseThrow());
        }
        assertEquals(List.of(Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(40), Duration.ofSeconds(60),
                Duration.ofSeconds(60)), waits);
        breaker.success();
        assertEquals(java.util.Optional.empty(), breaker.timeout());
    }

    @Test
    void reconcileStartsNewMonitorsAndStopsVanishedOnes() throws Exception {
        TestQmpServer first = serve(smallGuest());
        TestQmpServer second = serve(smallGuest());
        try (FleetScheduler scheduler = scheduler(PollConfig.every(INTERVAL))) {
            scheduler.reconcile(Set.of(first.endpoint()));
            Await.until("first sampled", () -> statusOf(scheduler, first.endpoint()).sampledSweeps() >= 2);
            scheduler.reconcile(Set.of(second.endpoint()));
            assertEquals(List.of(second.endpoint()), scheduler.status().stream().map(VmStatus::endpoint).toList());
            int commandsAfterStop = first.received().size();
            Await.until("second sampled", () -> statusOf(scheduler, second.endpoint()).sampledSweeps() >= 3);
            assertEquals(commandsAfterStop, first.received().size(), "a dropped monitor is not polled any more");
        }
    }

    @Test
    void aMonitorThatGoesAwayIsReconnectedAndIdentifiedAgain() throws Exception {
        AtomicLong sessions = new AtomicLong();
        TranscriptReplay replay = smallGuest();
        // The first session hangs up in the middle of the first sweep, like a QEMU restarting its monitor.
        TestQmpServer.Session flaky = client -> {
            if (sessions.incrementAndGet() == 1) {
                client.sendLine(QmpScripts.GREETING);
                for (int i = 0; i < 5; i++) {
                    JsonNode command = client.readCommand().orElseThrow();
                    client.reply(command, json(command.path("execute").asText().equals("query-commands")
                            ? "{\"return\": [{\"name\": \"x-query-virtio\"}, {\"name\": \"x-query-virtio-status\"}, "
                                    + "{\"name\": \"x-query-virtio-queue-status\"}, {\"name\": \"x-query-virtio-vhost-queue-status\"}, "
                                    + "{\"name\": \"x-query-virtio-queue-element\"}]}"
                            : "{\"return\": {}}"));
                }
                client.shutdownOutput();
                while (client.readCommand().isPresent()) {
                    // until the agent hangs up too
                }
                return;
            }
            replay.run(client);
        };
        TestQmpServer server = serve(flaky);
        try (FleetScheduler scheduler = scheduler(PollConfig.every(INTERVAL))) {
            scheduler.reconcile(Set.of(server.endpoint()));
            Await.until("sampled after reconnect", () -> statusOf(scheduler, server.endpoint()).sampledSweeps() >= 2);
            assertTrue(server.connectionsAccepted() >= 2);
            VmStatus status = statusOf(scheduler, server.endpoint());
            assertEquals(MonitorState.CONNECTED, status.state());
            assertEquals(java.util.Optional.of(TranscriptReplay.VM_NAME), status.identity().name());
            assertTrue(status.lastError().orElseThrow().contains("monitor closed the connection"), status.toString());
            VmReport report = status.toReport();
            assertEquals(server.endpoint().describe(), report.getSocket());
            assertEquals(TranscriptReplay.VM_UUID, report.getVmUuid());
            assertEquals(MonitorState.CONNECTED, report.getMonitorState());
            assertEquals(2, report.getVirtioDevices());
            assertEquals(7, report.getQemuVersion().getMajor());
        }
    }
}
