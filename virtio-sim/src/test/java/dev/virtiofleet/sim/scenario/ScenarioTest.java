package dev.virtiofleet.sim.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.qapi.VirtQueueStatus;
import dev.virtiofleet.sim.fault.Fault;
import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.workload.ManualClock;
import dev.virtiofleet.sim.workload.Traffic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ScenarioTest {
    private static final String STAGING = """
            seed: 7
            hosts:
              - name: hv-01
                vms:
                  - name: db
                    count: 12
                    blkQueues: 2
                    net: {queuePairs: 2, mrgRxbuf: false, vhost: kernel}
                    traffic:
                      blk0/0: {steady: 30000}
                      net0/0: {bursty: 2000, period: 10s, burst: 2s}
                      net0/1: {diurnal: 500, period: 24h}
              - name: hv-02
                vms:
                  - name: web
            timeline:
              - at: 90s
                recover: backend-hang
                target: hv-01/db-03/blk0/0
              - at: 30s
                inject: backend-hang
                target: hv-01/db-03/blk0/0
              - at: 45s
                inject: feature-violation
                target: hv-02/web/net0
                feature: VIRTIO_F_RING_PACKED
            """;

    private final ScenarioReader reader = new ScenarioReader();
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-25T10:00:00Z"));
    private Path dir;

    @BeforeEach
    void createDir() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "vscn");
    }

    @AfterEach
    void deleteDir() throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void readsHostsVmsTrafficAndAnOrderedTimeline() throws ScenarioException {
        Scenario scenario = reader.parse("staging.yaml", STAGING);

        assertEquals(13, scenario.vmCount());
        HostPlan hv1 = scenario.hosts().getFirst();
        assertEquals("db-00", hv1.vms().getFirst().spec().name());
        assertEquals("db-11", hv1.vms().getLast().spec().name());
        assertEquals(Traffic.steady(30000), hv1.vms().get(5).traffic().get(new QueueRef("blk0", 0)));
        assertEquals(List.of(Duration.ofSeconds(30), Duration.ofSeconds(45), Duration.ofSeconds(90)),
                scenario.timeline().stream().map(TimelineStep::at).toList());
        assertEquals(new Fault.BackendHang(new QueueRef("blk0", 0)), scenario.timeline().getFirst().fault());
    }

    @Test
    void theSameSeedGivesTheSameFleet() throws ScenarioException {
        Scenario once = reader.parse("a", STAGING);
        Scenario again = reader.parse("b", STAGING);
        assertEquals(once.hosts().getFirst().vms().get(3).spec().uuid(), again.hosts().getFirst().vms().get(3).spec().uuid());
        Scenario otherSeed = reader.parse("c", STAGING.replace("seed: 7", "seed: 8"));
        assertFalse(once.hosts().getFirst().vms().get(3).spec().uuid()
                .equals(otherSeed.hosts().getFirst().vms().get(3).spec().uuid()));
    }

    @Test
    void everyProblemIsReportedWithKeyValueAndWhatIsAllowed() {
        String broken = """
                hosts:
                  - name: hv-01
                    vms:
                      - name: db
                        count: 0
                        net: {vhost: dpdk}
                        trafic: {}
                        traffic:
                          blk9/0: {steady: 10}
                          net0/7: {steady: -1}
                timeline:
                  - at: soon
                    inject: disk-on-fire
                    target: hv-01/db
                  - at: 10s
                    inject: backend-hang
                    target: hv-01/db
                """;
        ScenarioException e = assertThrows(ScenarioException.class, () -> reader.parse("broken.yaml", broken));
        String all = String.join("\n", e.problems());
        assertTrue(all.contains("hosts[0].vms[0].count = 0: an integer 1..100000 is required"), all);
        assertTrue(all.contains("hosts[0].vms[0].net.vhost = dpdk: allowed none, kernel, user"), all);
        assertTrue(all.contains("hosts[0].vms[0].trafic: unknown key"), all);
        assertTrue(all.contains("has no device blk9"), all);
        assertTrue(all.contains("net0 has queues 0..2, not 7"), all);
        assertTrue(all.contains("timeline[0].at = \"soon\": a duration"), all);
        assertTrue(all.contains("timeline[0].inject = disk-on-fire: allowed"), all);
        assertTrue(all.contains("timeline[1].target = \"hv-01/db\": backend-hang needs host/vm/device/queue"), all);
        assertTrue(e.getMessage().startsWith("scenario broken.yaml is invalid"), e.getMessage());
    }

    @Test
    void theTimelineInjectsAndRecoversOnTheClock() throws Exception {
        Scenario scenario = reader.parse("staging.yaml", STAGING);
        try (ScenarioRun run = ScenarioRun.start(scenario, dir, clock)) {
            assertTrue(Files.exists(dir.resolve("hv-01").resolve("db-03.qmp")));
            assertEquals(List.of(), run.applyDueSteps());

            clock.advance(Duration.ofSeconds(30));
            assertEquals(1, run.applyDueSteps().size());
            clock.advance(Duration.ofSeconds(20));
            VirtQueueStatus hung = blk(run);
            assertTrue(hung.inuse() > 1, "the hung backend holds what it took: " + hung.inuse());
            int frozen = hung.usedIdx();
            clock.advance(Duration.ofSeconds(10));
            assertEquals(frozen, blk(run).usedIdx());
            assertEquals(1, run.applyDueSteps().size(), "the feature violation due at 45s");

            clock.advance(Duration.ofSeconds(30));
            assertEquals(1, run.applyDueSteps().size());
            assertEquals(0, blk(run).inuse(), "recovered at 90s");
            assertTrue(run.nextStepAt().isEmpty());
        }
    }

    @Test
    void aSchedulerAppliesTheTimelineAsTimePasses() throws Exception {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        try (ScenarioRun run = ScenarioRun.start(reader.parse("staging.yaml", STAGING), dir, clock)) {
            run.runTimelineOn(scheduler, Duration.ofMillis(5));
            clock.advance(Duration.ofSeconds(100));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (run.nextStepAt().isPresent() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(run.nextStepAt().isEmpty(), "every step applied");
        } finally {
            scheduler.shutdownNow();
            assertTrue(scheduler.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    private static VirtQueueStatus blk(ScenarioRun run) {
        return run.host("hv-01").vm("db-03").observe(vm -> vm.device("blk0").queueStatus(0));
    }
}
