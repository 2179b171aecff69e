package dev.virtiofleet.streams.topology;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.HUNG;
import static dev.virtiofleet.streams.testing.Samples.NET;
import static dev.virtiofleet.streams.testing.Samples.RUNNING;
import static dev.virtiofleet.streams.testing.Samples.RUNNING_DEVICES;
import static dev.virtiofleet.streams.testing.Samples.editStatus;
import static dev.virtiofleet.streams.testing.Samples.poll;
import static dev.virtiofleet.streams.testing.Samples.repeated;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.CommandError;
import dev.virtiofleet.avro.CommandErrorKind;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.HealthState;
import dev.virtiofleet.avro.QueueHealth;
import dev.virtiofleet.avro.QueueRole;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.topics.DeviceKey;
import dev.virtiofleet.streams.testing.DetectionDriver;
import dev.virtiofleet.streams.testing.Samples;
import java.nio.file.Path;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole-guest behaviour: no false alarms on a healthy idle guest, flapping damped, devices that disappear. */
class FleetLifecycleTopologyTest {
    private static final VirtioSample HUNG_BLK = Samples.of(HUNG, BLK, false);
    private static final VirtioSample IDLE_NET = Samples.of(RUNNING, NET, true);

    @TempDir
    Path stateDir;
    private DetectionDriver driver;

    @BeforeEach
    void start() {
        driver = new DetectionDriver(DetectionConfig.defaults(), stateDir);
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void theHealthyIdleRunningGuestRaisesNothingOverTenMinutes() {
        for (int n = 0; n < 60; n++) {
            for (String device : RUNNING_DEVICES) {
                driver.pipe(poll(Samples.of(RUNNING, device, true), n));
            }
        }

        assertEquals(List.of(), driver.alerts());
        for (String device : RUNNING_DEVICES) {
            DeviceHealth health = driver.latestHealth(DeviceKey.of(Samples.of(RUNNING, device, false)).asString());
            assertEquals(HealthState.HEALTHY, health.getState(), device);
        }
    }

    @Test
    void theHungBackendTranscriptRaisesExactlyTheBlockStall() {
        for (int n = 0; n < 6; n++) {
            for (String device : RUNNING_DEVICES) {
                driver.pipe(poll(Samples.of(HUNG, device, false), n));
            }
        }

        assertEquals(1, driver.alerts().size(), driver.alerts().toString());
        VirtioAlert stall = driver.alerts().getFirst();
        assertEquals(AlertKind.QUEUE_STALLED, stall.getKind());
        assertEquals(BLK, stall.getSubject().getDevicePath());
        assertEquals(0, stall.getSubject().getQueueIndex());
    }

    @Test
    void heldBuffersAreShownAsBufferPoolsInHealth() {
        driver.pipe(poll(Samples.of(RUNNING, "/machine/peripheral/bal0/virtio-backend", false), 0)).pipe(poll(IDLE_NET, 0));

        DeviceHealth balloon = driver.latestHealth(DeviceKey.of(Samples.of(RUNNING, "/machine/peripheral/bal0/virtio-backend", false)).asString());
        QueueHealth stats = balloon.getQueues().get(2);
        assertEquals(QueueRole.BUFFER_POOL, stats.getRole());
        assertEquals(1L, stats.getInuse(), "the stats buffer the guest leaves with the device");
        List<QueueRole> net = driver.latestHealth(DeviceKey.of(IDLE_NET).asString()).getQueues().stream().map(QueueHealth::getRole).toList();
        assertEquals(List.of(QueueRole.BUFFER_POOL, QueueRole.REQUEST, QueueRole.REQUEST), net, "rx, tx, control");
    }

    @Test
    void aFlappingConditionIsOneEpisode() {
        VirtioSample ok = Samples.of(RUNNING, BLK, false);
        VirtioSample broken = editStatus(ok, s -> s.setBroken(true));
        for (int n = 0; n < 12; n++) {
            driver.pipe(poll(n % 2 == 0 ? broken : ok, n));
        }
        assertEquals(List.of(AlertState.FIRING), states(), "flapping every 10 s inside the 30 s hold-down");

        driver.pipeAll(repeated(ok, 12, 4));
        assertEquals(List.of(AlertState.FIRING, AlertState.RESOLVED), states());
    }

    @Test
    void anUnpluggedDeviceResolvesItsAlertsAndTombstonesItsHealth() {
        driver.pipeAll(repeated(HUNG_BLK, 0, 4));
        VirtioSample unplugged = VirtioSample.newBuilder(poll(HUNG_BLK, 4)).setStatus(null).setQueues(List.of())
                .setErrors(List.of(new CommandError("x-query-virtio-status", null, CommandErrorKind.NOT_A_VIRTIO_DEVICE,
                        "GenericError", "Path " + BLK + " is not a VirtIODevice")))
                .build();
        driver.pipe(unplugged);

        assertEquals(List.of(AlertState.FIRING, AlertState.RESOLVED), states());
        assertTrue(driver.alerts().getLast().getEvidence().getLast().getObservation().contains("no longer present"));
        KeyValue<String, DeviceHealth> last = driver.health().getLast();
        assertEquals(DeviceKey.of(HUNG_BLK).asString(), last.key);
        assertNull(last.value, "tombstone on the compacted health topic");

        driver.pipeAll(repeated(HUNG_BLK, 5, 3));
        assertEquals(2, driver.alerts().size(), "a device plugged in again starts from nothing");
    }

    @Test
    void aDeviceThatStopsBeingSampledIsRetiredAfterTheConfiguredSilence() {
        driver.pipeAll(repeated(HUNG_BLK, 0, 4));
        assertEquals(List.of(AlertKind.QUEUE_STALLED), driver.alerts().stream().map(VirtioAlert::getKind).toList());

        driver.pipeAll(repeated(IDLE_NET, 4, 5));
        assertEquals(1, driver.alerts().size(), "50 s silent is not gone yet");
        driver.pipeAll(repeated(IDLE_NET, 9, 4));

        assertEquals(List.of(AlertState.FIRING, AlertState.RESOLVED), states());
        String blkKey = DeviceKey.of(HUNG_BLK).asString();
        assertTrue(driver.health().stream().anyMatch(kv -> kv.key.equals(blkKey) && kv.value == null), "tombstoned");
    }

    private List<AlertState> states() {
        return driver.alerts().stream().map(VirtioAlert::getState).toList();
    }
}
