package dev.virtiofleet.launcher.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.QueueHealth;
import dev.virtiofleet.kafka.KafkaBroker;
import dev.virtiofleet.kafka.KafkaBrokerExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A healthy fleet of 200 busy VMs on four hosts ({@code e2e/healthy-200.yaml}) through agents, broker
 * and detection for several poll cycles raises no alert at all, and a VM paused with a disk request
 * in flight for several stall thresholds raises no stall.
 */
@ExtendWith(KafkaBrokerExtension.class)
class HealthyFleetEndToEndTest {
    private static final Duration POLL = Duration.ofSeconds(2);
    private static final Duration STALL = Duration.ofSeconds(4);
    private static final int CYCLES = 5;
    private static final String DB = "web.hv-01/db";
    private static final String BLK = Episodes.devicePath("blk0");

    @Test
    void twoHundredHealthyVmsAndAPausedOneRaiseNoAlert(KafkaBroker broker, @TempDir Path work) throws Exception {
        long t0 = System.nanoTime();
        Map<String, String> detect = Map.of(
                "rules.queue-stalled.fire-after", STALL.toMillis() + "ms",
                "rules.notification-lost.fire-after", STALL.toMillis() + "ms",
                "rules.completion-not-signalled.fire-after", STALL.toMillis() + "ms",
                "group-pattern", "^([a-z]+)\\.",
                "device-gone-after", POLL.multipliedBy(10).toMillis() + "ms",
                "agent-silent.poll-intervals", "5");
        try (Pipeline pipeline = Pipeline.start(broker, work, "healthy", detect)) {
            pipeline.simulate(Episodes.scenario("healthy-200"), POLL);
            Set<String> vms = pipeline.scenarioVms();
            assertEquals(200, vms.size());
            pipeline.awaitHealthOfEveryVm();
            System.out.printf("[e2e] 200 VMs on virtio.health after %.1f s%n", (System.nanoTime() - t0) / 1e9);

            // db: a request hangs in the backend and the VM is paused at once.
            pipeline.applyThrough(Duration.ofSeconds(10));
            Duration pausedStuck = STALL.multipliedBy(3);
            await("db paused with a request in flight for " + pausedStuck).atMost(Pipeline.PATIENCE).pollInterval(Duration.ofMillis(500))
                    .until(() -> pausedWithWorkInFlight(pipeline).compareTo(pausedStuck) >= 0);
            pipeline.applyThrough(Duration.ofSeconds(20)); // the backend recovers while the VM is paused
            pipeline.applyThrough(Duration.ofSeconds(30)); // the VM resumes; the request completes
            Instant resumed = Instant.now();

            // Then the whole fleet for several more cycles, processed by detection.
            Instant until = resumed.plus(POLL.multipliedBy(CYCLES));
            await(CYCLES + " more poll cycles of every VM on virtio.health").atMost(Pipeline.PATIENCE).pollInterval(Duration.ofSeconds(1))
                    .until(() -> {
                        Map<String, List<DeviceHealth>> byVm = pipeline.healthByVm();
                        return vms.stream().allMatch(vm -> byVm.getOrDefault(vm, List.of()).stream()
                                .anyMatch(h -> h.getLastSampleTime().isAfter(until)));
                    });

            Map<String, List<DeviceHealth>> byVm = pipeline.healthByVm();
            Set<String> devices = pipeline.health().values().stream()
                    .map(h -> h.getHostId() + "/" + h.getVmName() + "/" + h.getDevicePath()).collect(Collectors.toSet());
            long blkCycles = vms.stream().mapToLong(vm -> byVm.get(vm).stream().filter(h -> h.getDevicePath().equals(BLK)).count())
                    .min().orElse(0);
            System.out.printf("[e2e] %d health records of %d devices of %d VMs; every VM's virtio-blk judged at least %d times;"
                    + " db paused with a request in flight for %s; %.1f s in all%n", pipeline.health().entries().size(), devices.size(),
                    byVm.size(), blkCycles, pausedWithWorkInFlight(pipeline), (System.nanoTime() - t0) / 1e9);
            assertEquals(200 * 7, devices.size(), "seven virtio devices on each VM, every one judged");
            assertTrue(blkCycles >= CYCLES, "several poll cycles of every VM: " + blkCycles);

            DeviceHealth lastOfDb = lastBlk(pipeline).orElseThrow();
            assertTrue(lastOfDb.getVmRunning(), "db runs again: " + lastOfDb);
            assertEquals(0, inuse(lastOfDb), "its request completed after the resume");

            assertEquals(List.of(), pipeline.alerts().entries().stream().map(e -> Episodes.describe(e.value())).toList(),
                    "a healthy fleet and a paused VM raise no alert");
        }
    }

    /** How long db's samples have shown it paused with a disk request in flight (from virtio.health). */
    private static Duration pausedWithWorkInFlight(Pipeline pipeline) {
        List<Instant> times = pipeline.healthByVm().getOrDefault(DB, List.of()).stream()
                .filter(h -> h.getDevicePath().equals(BLK) && !h.getVmRunning() && inuse(h) > 0)
                .map(DeviceHealth::getLastSampleTime).sorted().toList();
        return times.size() < 2 ? Duration.ZERO : Duration.between(times.getFirst(), times.getLast());
    }

    private static Optional<DeviceHealth> lastBlk(Pipeline pipeline) {
        return pipeline.healthByVm().getOrDefault(DB, List.of()).stream().filter(h -> h.getDevicePath().equals(BLK))
                .max(java.util.Comparator.comparing(DeviceHealth::getLastSampleTime));
    }

    /** inuse of the virtio-blk request queue; -1 when the sample did not read it. */
    private static long inuse(DeviceHealth health) {
        return health.getQueues().stream().filter(q -> q.getQueueIndex() == 0).findFirst()
                .map(QueueHealth::getInuse).orElse(-1L);
    }
}
