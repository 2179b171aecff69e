package dev.virtiofleet.launcher.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.QueueHealth;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.kafka.KafkaBroker;
import dev.virtiofleet.kafka.KafkaBrokerExtension;
import dev.virtiofleet.qemu.RealQemuGuest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real guest under real QEMU (TCG; virtio-net, virtio-blk on an NBD export served by qemu-nbd,
 * virtio-rng, virtio-serial, virtio-balloon, virtio-scsi, virtio-keyboard), polled by a real agent
 * into a real broker and judged by the detection application: several poll cycles of a live, busy
 * guest raise no alert; {@code kill -STOP} of qemu-nbd while the guest reads its disk raises
 * queue-stalled on the virtio-blk request queue within threshold + one poll + commit interval of
 * the first stalled sample; {@code kill -CONT} resolves it.
 */
@ExtendWith(KafkaBrokerExtension.class)
class RealQemuEndToEndTest {
    private static final Duration POLL = Duration.ofSeconds(1);
    private static final Duration STALL = Duration.ofSeconds(5);
    private static final Duration COMMIT = Duration.ofMillis(100);
    private static final int CYCLES = 5;
    private static final String HOST = "qemu.hv-01";
    private static final String BLK = Episodes.devicePath("blk0");

    @Test
    void aLiveGuestIsQuietAndAHungNbdBackendStallsItsDiskQueue(KafkaBroker broker, @TempDir Path work) throws Exception {
        Optional<String> reason = RealQemuGuest.unavailableReason();
        reason.ifPresent(r -> System.out.println("[qemu] RealQemuEndToEndTest skipped: " + r));
        Assumptions.assumeTrue(reason.isEmpty(), () -> "no real QEMU: " + reason.orElse(""));
        Map<String, String> detect = Map.of(
                "rules.queue-stalled.fire-after", STALL.toMillis() + "ms",
                "rules.queue-stalled.resolve-after", "2s",
                "agent-silent.poll-intervals", "5");

        long t0 = System.nanoTime();
        try (RealQemuGuest guest = RealQemuGuest.boot();
                Pipeline pipeline = Pipeline.start(broker, work, "qemu", detect)) {
            System.out.printf("[qemu] guest booted and pipeline running after %.1f s%n", (System.nanoTime() - t0) / 1e9);
            pipeline.startAgent(HOST, guest.qmpSocket().toString(), POLL);

            // A live guest for several poll cycles: every device judged, the disk queue moving, no alert.
            await(CYCLES + " judged samples of the virtio-blk device").atMost(Pipeline.PATIENCE).pollInterval(Duration.ofMillis(250))
                    .until(() -> blkHealth(pipeline).size() >= CYCLES);
            List<DeviceHealth> calm = pipeline.health().values();
            Set<String> devices = calm.stream().map(DeviceHealth::getDevicePath).collect(Collectors.toSet());
            assertEquals(Set.of("blk0", "net0", "rng0", "bal0", "ser0", "scsi0", "kbd0").stream().map(Episodes::devicePath)
                    .collect(Collectors.toSet()), devices, "every virtio device of the guest is judged");
            List<DeviceHealth> blk = blkHealth(pipeline);
            assertNotEquals(usedIdx(blk.getFirst()), usedIdx(blk.getLast()), "the guest does disk I/O: used-idx moves");
            assertEquals(List.of(), pipeline.alerts().entries().stream().map(e -> Episodes.describe(e.value())).toList(),
                    "a live guest raises nothing over " + blk.size() + " poll cycles");
            System.out.printf("[qemu] %d health records over %d cycles, no alert%n", calm.size(), blk.size());

            Instant stopped = Instant.now();
            guest.pauseDiskBackend();
            TopicLog.Entry<VirtioAlert> firing;
            try {
                await("queue-stalled on the virtio-blk request queue").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20))
                        .until(() -> stallAlert(pipeline, AlertState.FIRING).isPresent());
                firing = stallAlert(pipeline, AlertState.FIRING).orElseThrow();
            } finally {
                guest.resumeDiskBackend();
            }
            Instant continued = Instant.now();
            VirtioAlert alert = firing.value();
            Duration latency = Duration.between(alert.getStartedAt(), firing.received());
            Duration bound = STALL.plus(POLL).plus(COMMIT);
            System.out.printf("[qemu] QUEUE_STALLED received %d ms after the first stalled sample (bound %d ms: threshold %d + poll %d"
                    + " + commit %d); %d ms after kill -STOP of qemu-nbd%n", latency.toMillis(), bound.toMillis(), STALL.toMillis(),
                    POLL.toMillis(), COMMIT.toMillis(), Duration.between(stopped, firing.received()).toMillis());
            System.out.println("[qemu] " + Episodes.describe(alert));
            assertEquals(HOST, alert.getSubject().getHostId());
            assertEquals(BLK, alert.getSubject().getDevicePath());
            assertEquals("virtio-blk", alert.getSubject().getDeviceName());
            assertEquals(0, alert.getSubject().getQueueIndex());
            assertTrue(alert.getEvidence().getFirst().getValues().getOrDefault("inuse", 0L) > 0, "a request in flight: "
                    + Episodes.describe(alert));
            // The ideal leaves out what the pipeline itself takes: the firing sweep of a TCG guest (~100-150 ms
            // of monitor time), the producer's 50 ms linger, and this test's own read of the alerts topic.
            Duration allowance = Duration.ofMillis(500);
            assertTrue(latency.compareTo(bound.plus(allowance)) <= 0, "detected within threshold + one poll + commit interval"
                    + " (+ " + allowance.toMillis() + " ms for the sweep, the producer's linger and our read): " + latency);

            await("the stall resolves after kill -CONT").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> stallAlert(pipeline, AlertState.RESOLVED).isPresent());
            TopicLog.Entry<VirtioAlert> resolved = stallAlert(pipeline, AlertState.RESOLVED).orElseThrow();
            System.out.printf("[qemu] RESOLVED received %d ms after kill -CONT; whole test %.1f s%n",
                    Duration.between(continued, resolved.received()).toMillis(), (System.nanoTime() - t0) / 1e9);
            assertEquals(alert.getAlertId(), resolved.value().getAlertId());
            List<VirtioAlert> all = pipeline.alerts().values();
            assertEquals(List.of(AlertState.FIRING, AlertState.RESOLVED), all.stream().map(VirtioAlert::getState).toList(),
                    "one episode and nothing else:" + Episodes.describe(all));
        }
    }

    private static List<DeviceHealth> blkHealth(Pipeline pipeline) {
        return pipeline.health().values().stream().filter(h -> h.getHostId().equals(HOST) && h.getDevicePath().equals(BLK)).toList();
    }

    private static Integer usedIdx(DeviceHealth health) {
        return health.getQueues().stream().filter(q -> q.getQueueIndex() == 0).map(QueueHealth::getUsedIdx).findFirst().orElse(null);
    }

    private static Optional<TopicLog.Entry<VirtioAlert>> stallAlert(Pipeline pipeline, AlertState state) {
        return pipeline.alerts().entries().stream()
                .filter(e -> e.value() != null && e.value().getKind() == AlertKind.QUEUE_STALLED && e.value().getState() == state
                        && Episodes.matches(e.value().getSubject(), HOST, e.value().getSubject().getVmName(), "blk0", 0))
                .findFirst();
    }
}
