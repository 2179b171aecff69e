package dev.virtiofleet.sim.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.qapi.VirtQueueStatus;
import dev.virtiofleet.qapi.VirtioQueueElement;
import dev.virtiofleet.qapi.VirtioStatus;
import dev.virtiofleet.sim.device.VirtioDevice;
import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.workload.ManualClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shipped scenarios are valid, run to the end, and show the ring symptoms they promise. */
class BundledScenariosTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-25T10:00:00Z"));
    private Path dir;

    @BeforeEach
    void createDir() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "vbun");
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
    void everyBundledScenarioRunsItsWholeTimeline() throws Exception {
        for (String name : BundledScenarios.names()) {
            Scenario scenario = BundledScenarios.load(name);
            ManualClock own = new ManualClock(Instant.parse("2026-11-25T10:00:00Z"));
            try (ScenarioRun run = ScenarioRun.start(scenario, dir.resolve(name), own)) {
                int applied = 0;
                while (run.nextStepAt().isPresent()) {
                    own.advance(Duration.ofSeconds(10));
                    applied += run.applyDueSteps().size();
                }
                assertEquals(scenario.timeline().size(), applied, name + ": every step applies cleanly");
            }
        }
    }

    @Test
    void theHealthyFleetKeepsEveryBusyQueueMovingWithNothingStuck() throws Exception {
        try (ScenarioRun run = ScenarioRun.start(BundledScenarios.load("healthy"), dir, clock)) {
            Map<String, Integer> before = usedIndices(run);
            clock.advance(Duration.ofMinutes(10));
            Map<String, Integer> after = usedIndices(run);
            for (HostPlan host : BundledScenarios.load("healthy").hosts()) {
                for (VmPlan vm : host.vms()) {
                    for (QueueRef queue : vm.traffic().keySet()) {
                        String key = host.name() + "/" + vm.spec().name() + "/" + queue.deviceId() + "/" + queue.queue();
                        assertFalse(before.get(key).equals(after.get(key)), key + " moved");
                    }
                }
            }
            for (SimulatedVm vm : run.host("hv-01").vms()) {
                VirtioQueueElement blk = vm.observe(m -> m.device("blk0").queueElement(0, Optional.empty()));
                assertEquals(blk.avail().idx(), blk.used().idx(), vm.name() + ": no request outstanding");
            }
        }
    }

    @Test
    void queueStalledFreezesUsedWithWorkInUseUntilRecovery() throws Exception {
        try (ScenarioRun run = ScenarioRun.start(BundledScenarios.load("queue-stalled"), dir, clock)) {
            clock.advance(Duration.ofSeconds(60));
            run.applyDueSteps();
            clock.advance(Duration.ofSeconds(60));
            VirtQueueStatus stalled = blk(run, "db-1");
            assertTrue(stalled.inuse() > 0);
            clock.advance(Duration.ofSeconds(60));
            assertEquals(stalled.usedIdx(), blk(run, "db-1").usedIdx());
            assertTrue(blk(run, "db-0").usedIdx() != stalled.usedIdx(), "the healthy twin moves on");
            clock.advance(Duration.ofSeconds(120));
            run.applyDueSteps();
            assertEquals(0, blk(run, "db-1").inuse());
        }
    }

    @Test
    void featureDriftOddOneOutOffersDifferentFeatures() throws Exception {
        try (ScenarioRun run = ScenarioRun.start(BundledScenarios.load("feature-drift"), dir, clock)) {
            VirtioStatus odd = run.host("hv-01").vm("odd").observe(m -> m.device("net0").status(true));
            VirtioStatus web = run.host("hv-01").vm("web-3").observe(m -> m.device("net0").status(true));
            assertFalse(odd.hostFeatures().symbols().equals(web.hostFeatures().symbols()));
        }
    }

    @Test
    void aReplugGetsItsTrafficBack() throws Exception {
        try (ScenarioRun run = ScenarioRun.start(BundledScenarios.load("hot-unplug"), dir, clock)) {
            clock.advance(Duration.ofSeconds(300));
            run.applyDueSteps();
            int replugged = blk(run, "app-1").usedIdx();
            clock.advance(Duration.ofSeconds(10));
            assertEquals(replugged + 1000, blk(run, "app-1").usedIdx());
        }
    }

    private static VirtQueueStatus blk(ScenarioRun run, String vm) {
        return run.host("hv-01").vm(vm).observe(m -> m.device("blk0").queueStatus(0));
    }

    private static Map<String, Integer> usedIndices(ScenarioRun run) throws ScenarioException {
        Map<String, Integer> used = new HashMap<>();
        for (HostPlan host : BundledScenarios.load("healthy").hosts()) {
            for (VmPlan plan : host.vms()) {
                SimulatedVm vm = run.host(host.name()).vm(plan.spec().name());
                for (QueueRef queue : plan.traffic().keySet()) {
                    VirtioQueueElement element = vm.observe(m -> {
                        VirtioDevice device = m.device(queue.deviceId());
                        return device.queueElement(queue.queue(), Optional.empty());
                    });
                    used.put(host.name() + "/" + plan.spec().name() + "/" + queue.deviceId() + "/" + queue.queue(),
                            element.used().idx());
                }
            }
        }
        return used;
    }
}
