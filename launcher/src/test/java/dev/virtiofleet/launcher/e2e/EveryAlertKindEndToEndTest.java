package dev.virtiofleet.launcher.e2e;

import static dev.virtiofleet.launcher.e2e.Episodes.about;
import static dev.virtiofleet.launcher.e2e.Episodes.describe;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.Evidence;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.kafka.KafkaBroker;
import dev.virtiofleet.kafka.KafkaBrokerExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every alert kind of DESIGN.md through the whole pipeline: simulated VMs speaking QMP on unix
 * sockets, real agents polling them every second, a real broker, the detection application. One
 * fleet ({@code e2e/every-alert-kind.yaml}) carries every fault at once, each on its own VM, so the
 * pipeline starts once; each test below then judges one kind from what a read_committed consumer
 * saw on virtio.alerts: it fired for its fault with the right subject and evidence, it resolved on
 * recovery, and nothing else in the fleet alerted.
 */
@ExtendWith(KafkaBrokerExtension.class)
class EveryAlertKindEndToEndTest {
    private static final Duration POLL = Duration.ofSeconds(1);
    /** Short thresholds so an episode takes seconds; the defaults are 30 s. */
    static final Map<String, String> DETECT = Map.ofEntries(
            Map.entry("rules.queue-stalled.fire-after", "3s"),
            Map.entry("rules.notification-lost.fire-after", "3s"),
            Map.entry("rules.completion-not-signalled.fire-after", "3s"),
            Map.entry("rules.queue-stalled.resolve-after", "2s"),
            Map.entry("rules.notification-lost.resolve-after", "2s"),
            Map.entry("rules.completion-not-signalled.resolve-after", "2s"),
            Map.entry("rules.device-broken.resolve-after", "2s"),
            Map.entry("rules.feature-violation.resolve-after", "2s"),
            Map.entry("rules.vhost-desync.resolve-after", "2s"),
            Map.entry("rules.negotiation-degraded.resolve-after", "2s"),
            Map.entry("device-gone-after", "10s"),
            Map.entry("group-pattern", "^([a-z]+)\\."),
            // Five missed heartbeats, not three: on two shared cores a busy stream thread can be a
            // few seconds late with a heartbeat, and this test fails on any alert it did not ask for.
            Map.entry("agent-silent.poll-intervals", "5"));

    private static final String MAIN = "main.hv-01";
    private static final String QUIET = "quiet.hv-01";

    /** What the scenario must raise, and nothing else. */
    private record Expected(AlertKind kind, String host, String vm, String device, Integer queue) {
        boolean matches(VirtioAlert alert) {
            return alert.getKind() == kind && Episodes.matches(alert.getSubject(), host, vm, device, queue);
        }
    }

    private static final List<Expected> EXPECTED = List.of(
            new Expected(AlertKind.QUEUE_STALLED, MAIN, "stall", "blk0", 0),
            new Expected(AlertKind.COMPLETION_NOT_SIGNALLED, MAIN, "cns", "net0", 1),
            new Expected(AlertKind.DEVICE_BROKEN, MAIN, "broken", "blk0", null),
            new Expected(AlertKind.DEVICE_BROKEN, MAIN, "reset", "net0", null),
            new Expected(AlertKind.DEVICE_BROKEN, MAIN, "failed", "scsi0", null),
            new Expected(AlertKind.FEATURE_VIOLATION, MAIN, "violation", "net0", null),
            new Expected(AlertKind.NEGOTIATION_DEGRADED, MAIN, "legacy", "blk0", null),
            new Expected(AlertKind.VHOST_DESYNC, "vhost.hv-01", "nfv-1", "net0", null),
            new Expected(AlertKind.FEATURE_DRIFT, "drift.hv-01", "odd", "net0", null),
            new Expected(AlertKind.AGENT_SILENT, QUIET, null, null, null),
            new Expected(AlertKind.NOTIFICATION_LOST, MAIN, "lost", "blk0", 0));

    private static Pipeline pipeline;
    private static List<VirtioAlert> alerts = List.of();
    private static Instant injectedAt;
    private static Instant recoveredAt;
    private static final List<String> waits = new ArrayList<>();

    @BeforeAll
    static void runTheFleetThroughEveryFault(KafkaBroker broker, @TempDir Path work) throws Exception {
        long t0 = System.nanoTime();
        pipeline = Pipeline.start(broker, work, "kinds", DETECT);
        pipeline.simulate(Episodes.scenario("every-alert-kind"), POLL);
        pipeline.awaitHealthOfEveryVm();
        System.out.printf("[e2e] every VM seen on virtio.health after %.1f s%n", (System.nanoTime() - t0) / 1e9);

        injectedAt = Instant.now();
        pipeline.applyThrough(Duration.ofSeconds(10));
        pipeline.stopAgent(QUIET);
        // The waits give up quietly: each test then says precisely what is missing.
        waitFor("every expected alert FIRING", () -> EXPECTED.stream().allMatch(e -> pipeline.alerts().values().stream()
                .anyMatch(a -> e.matches(a) && a.getState() == AlertState.FIRING)));
        System.out.printf("[e2e] every expected alert firing %.1f s after the faults%n",
                Duration.between(injectedAt, Instant.now()).toMillis() / 1e3);

        recoveredAt = Instant.now();
        pipeline.startAgent(QUIET, pipeline.socketGlob(QUIET), POLL);
        pipeline.applyThrough(Duration.ofSeconds(20));
        waitFor("every alert RESOLVED", () -> {
            List<VirtioAlert> now = pipeline.alerts().values();
            return EXPECTED.stream().allMatch(e -> now.stream().anyMatch(a -> e.matches(a) && a.getState() == AlertState.RESOLVED))
                    && Episodes.allResolved(now);
        });
        System.out.printf("[e2e] every alert resolved %.1f s after recovery%n", Duration.between(recoveredAt, Instant.now()).toMillis() / 1e3);
        // Two more poll cycles of the whole fleet processed, so a late duplicate or a stray alert would show.
        Instant settled = Instant.now().plus(POLL.multipliedBy(2));
        waitFor("two more cycles of every VM", () -> {
            Map<String, List<DeviceHealth>> byVm = pipeline.healthByVm();
            return pipeline.scenarioVms().stream().allMatch(vm -> byVm.getOrDefault(vm, List.of()).stream()
                    .anyMatch(h -> h.getLastSampleTime().isAfter(settled)));
        });
        alerts = pipeline.alerts().values();
        System.out.println("[e2e] alerts on virtio.alerts:" + describe(alerts));
        System.out.printf("[e2e] scenario done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    private static void waitFor(String what, java.util.concurrent.Callable<Boolean> condition) {
        try {
            await(what).atMost(Pipeline.PATIENCE).pollInterval(Duration.ofMillis(200)).until(condition);
        } catch (ConditionTimeoutException e) {
            waits.add("gave up waiting for " + what);
            System.out.println("[e2e] gave up waiting for " + what);
        }
    }

    @AfterAll
    static void stop() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    /** The one episode of {@code expected}: exactly a FIRING and a RESOLVED with one id, after the fault. */
    private static List<VirtioAlert> oneEpisode(Expected expected) {
        List<VirtioAlert> found = about(alerts, expected.kind(), expected.host(), expected.vm(), expected.device(), expected.queue());
        assertEquals(List.of(AlertState.FIRING, AlertState.RESOLVED), found.stream().map(VirtioAlert::getState).toList(),
                expected + " " + waits + describe(found) + "\nall alerts:" + describe(alerts));
        VirtioAlert firing = found.get(0);
        VirtioAlert resolved = found.get(1);
        assertEquals(firing.getAlertId(), resolved.getAlertId());
        assertEquals(firing.getStartedAt(), resolved.getStartedAt());
        assertNull(firing.getEndedAt());
        assertNotNull(resolved.getEndedAt());
        assertTrue(resolved.getEndedAt().isAfter(firing.getStartedAt()), describe(resolved));
        assertFalse(firing.getEvidence().isEmpty(), "FIRING carries evidence");
        assertTrue(resolved.getEvidence().size() > firing.getEvidence().size() - 1, "RESOLVED keeps the evidence and adds its end");
        if (expected.kind() != AlertKind.FEATURE_DRIFT) {
            // Began with the fault, not before it (drift is there from the start), and ended after
            // recovery. A silence begins at the last heartbeat, up to one interval before the stop.
            Instant earliest = expected.kind() == AlertKind.AGENT_SILENT ? injectedAt.minus(POLL.multipliedBy(2)) : injectedAt;
            assertTrue(!firing.getStartedAt().isBefore(earliest.minusMillis(100)), "began after the fault: " + describe(firing));
            assertTrue(!resolved.getEndedAt().isBefore(recoveredAt.minusMillis(100)), "ended after recovery: " + describe(resolved));
        }
        return found;
    }

    private static Evidence firstEvidence(VirtioAlert alert) {
        return alert.getEvidence().getFirst();
    }

    private static String allEvidence(VirtioAlert alert) {
        return alert.getEvidence().stream().map(e -> e.getObservation() + " " + e.getValues() + " " + e.getDetails())
                .collect(Collectors.joining(" | "));
    }

    @Test
    void aHungBackendStallsTheBlockRequestQueue() {
        List<VirtioAlert> episode = oneEpisode(EXPECTED.get(0));
        VirtioAlert firing = episode.getFirst();
        assertEquals("virtio-blk", firing.getSubject().getDeviceName());
        Evidence start = firstEvidence(firing);
        assertTrue(start.getValues().getOrDefault("inuse", 0L) > 0, "work in flight: " + allEvidence(firing));
        assertTrue(start.getValues().containsKey("used-idx"), allEvidence(firing));
        // The evidence spans at least the threshold, with used-idx standing still.
        Evidence last = firing.getEvidence().getLast();
        assertEquals(start.getValues().get("used-idx"), last.getValues().get("used-idx"), allEvidence(firing));
        assertTrue(Duration.between(start.getEventTime(), last.getEventTime()).compareTo(Duration.ofSeconds(3)) >= 0, allEvidence(firing));
        assertTrue(start.getAgentSequence() != null && start.getAgentRunId() != null, "evidence names its samples");
    }

    /**
     * A lost kick leaves QEMU's counters idle; the agent's idle probe (the queue element of queues
     * in use that made no progress) shows the buffers in guest memory, and the device takes none.
     * One alert, not also a stall: nothing was taken, so nothing is in use.
     */
    @Test
    void aLostKickIsANotificationLost() {
        VirtioAlert firing = oneEpisode(EXPECTED.get(10)).getFirst();
        Evidence start = firstEvidence(firing);
        assertTrue(start.getValues().containsKey("last-avail-idx"), allEvidence(firing));
        Evidence last = firing.getEvidence().getLast();
        assertEquals(start.getValues().get("last-avail-idx"), last.getValues().get("last-avail-idx"), "the device takes nothing: "
                + allEvidence(firing));
    }

    @Test
    void aCompletionWithoutInterruptIsCompletionNotSignalled() {
        VirtioAlert firing = oneEpisode(EXPECTED.get(1)).getFirst();
        Evidence start = firstEvidence(firing);
        assertTrue(start.getValues().containsKey("signalled-used"), allEvidence(firing));
        assertTrue(start.getValues().get("used-idx") != null
                && !start.getValues().get("used-idx").equals(start.getValues().get("signalled-used")), allEvidence(firing));
    }

    @Test
    void brokenNeedsResetAndFailedDevicesAreDeviceBroken() {
        List<String> evidence = new ArrayList<>();
        for (Expected expected : EXPECTED.subList(2, 5)) {
            evidence.add(allEvidence(oneEpisode(expected).getFirst()));
        }
        assertTrue(evidence.get(0).toLowerCase().contains("broken"), evidence.get(0));
        assertTrue(evidence.get(1).contains("NEEDS_RESET"), evidence.get(1));
        assertTrue(evidence.get(2).contains("FAILED"), evidence.get(2));
    }

    /** One episode of {@code expected} whose evidence names the feature the fault was about. */
    private static void oneEpisodeNaming(Expected expected, String feature) {
        VirtioAlert firing = oneEpisode(expected).getFirst();
        assertTrue(allEvidence(firing).contains(feature), allEvidence(firing));
    }

    @Test
    void aGuestAckingAnUnofferedFeatureIsAFeatureViolation() {
        oneEpisodeNaming(EXPECTED.get(5), "VIRTIO_F_RING_PACKED");
    }

    @Test
    void aGuestWithoutVersion1IsNegotiationDegraded() {
        oneEpisodeNaming(EXPECTED.get(6), "VIRTIO_F_VERSION_1");
    }

    @Test
    void aVhostBackendWithAnUnackedFeatureIsVhostDesync() {
        oneEpisodeNaming(EXPECTED.get(7), "VIRTIO_NET_F_GSO");
    }

    @Test
    void aVmWithAnotherFeatureProfileDriftsFromItsGroupUntilItsDeviceLeaves() {
        List<VirtioAlert> episode = oneEpisode(EXPECTED.get(8));
        VirtioAlert firing = episode.getFirst();
        assertEquals("drift", firing.getSubject().getGroup());
        assertTrue(allEvidence(firing).contains("VIRTIO_NET_F_MRG_RXBUF"), "names what the odd device lacks: " + allEvidence(firing));
        assertTrue(!episode.get(1).getEndedAt().isBefore(recoveredAt.minusMillis(100)), "resolved when the device left");
        // The unplugged device's health record is tombstoned.
        String key = pipeline.health().entries().stream()
                .filter(e -> e.value() != null && e.value().getVmName().equals("odd") && e.value().getDevicePath().equals(Episodes.devicePath("net0")))
                .map(TopicLog.Entry::key).findFirst().orElseThrow();
        assertTrue(pipeline.health().entries().stream().anyMatch(e -> e.key().equals(key) && e.value() == null),
                "health of the unplugged device is tombstoned: " + key);
    }

    @Test
    void aStoppedAgentIsAgentSilentUntilItComesBack() {
        VirtioAlert firing = oneEpisode(EXPECTED.get(9)).getFirst();
        assertNull(firing.getSubject().getVmName(), "about the host, not a VM");
        assertTrue(allEvidence(firing).contains("heartbeat"), allEvidence(firing));
    }

    @Test
    void nothingElseInTheFleetAlerts() {
        List<VirtioAlert> unexpected = alerts.stream().filter(a -> EXPECTED.stream().noneMatch(e -> e.matches(a))).toList();
        assertEquals(List.of(), unexpected.stream().map(Episodes::describe).toList(),
                "healthy VMs, the guest polling with interrupts off and the untouched devices of faulty VMs raise nothing");
        assertFalse(alerts.isEmpty(), "the scenario ran: " + waits);
    }

    @Test
    void everyEpisodeIsOneFiringAndOneResolved() {
        assertFalse(alerts.isEmpty(), "the scenario ran: " + waits);
        assertEquals(List.of(), Episodes.notOneFiringOneResolved(alerts));
    }
}
