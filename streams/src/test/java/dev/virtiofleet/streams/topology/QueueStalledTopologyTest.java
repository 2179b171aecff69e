package dev.virtiofleet.streams.topology;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.DRIVER_OK_STATUSES;
import static dev.virtiofleet.streams.testing.Samples.HUNG;
import static dev.virtiofleet.streams.testing.Samples.RUNNING;
import static dev.virtiofleet.streams.testing.Samples.T0;
import static dev.virtiofleet.streams.testing.Samples.editQueue;
import static dev.virtiofleet.streams.testing.Samples.paused;
import static dev.virtiofleet.streams.testing.Samples.poll;
import static dev.virtiofleet.streams.testing.Samples.repeated;
import static dev.virtiofleet.streams.testing.Samples.ring;
import static dev.virtiofleet.streams.testing.Samples.statuses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.ActiveAlert;
import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.Evidence;
import dev.virtiofleet.avro.HealthState;
import dev.virtiofleet.avro.Severity;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.topics.DeviceKey;
import dev.virtiofleet.streams.testing.DetectionDriver;
import dev.virtiofleet.streams.testing.Samples;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Queue stalled, on the real topology: the hung-backend transcript fires; look-alikes do not. */
class QueueStalledTopologyTest {
    /** The hung-backend transcript: virtio-blk queue 0 with inuse 1, used-idx frozen at 6209. */
    private static final VirtioSample HUNG_BLK = Samples.of(HUNG, BLK, false);
    /** The same device healthy and idle (running-guest transcript). */
    private static final VirtioSample IDLE_BLK = Samples.of(RUNNING, BLK, false);

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
    void hungBackendFiresOnceAfterThresholdAndResolvesOnceOnRecovery() {
        driver.pipeAll(repeated(HUNG_BLK, 0, 3));
        assertEquals(List.of(), driver.alerts(), "20 s of no progress is under the 30 s threshold");

        driver.pipe(poll(HUNG_BLK, 3)).pipe(poll(HUNG_BLK, 4));
        assertEquals(1, driver.alerts().size());
        VirtioAlert firing = driver.alerts().getFirst();
        assertEquals(AlertState.FIRING, firing.getState());
        assertEquals(AlertKind.QUEUE_STALLED, firing.getKind());
        assertEquals(Severity.CRITICAL, firing.getSeverity());
        assertEquals(0, firing.getSubject().getQueueIndex());
        assertEquals(BLK, firing.getSubject().getDevicePath());
        assertEquals(T0, firing.getStartedAt(), "the episode starts with the first sample showing the stall");
        assertEquals(T0.plusSeconds(30), firing.getEventTime());
        assertEquals("QUEUE_STALLED/" + DeviceKey.of(HUNG_BLK).asString() + "/0@" + T0.toEpochMilli(), firing.getAlertId());
        Evidence first = firing.getEvidence().getFirst();
        assertEquals(T0, first.getEventTime());
        assertEquals(6209L, first.getValues().get("used-idx"));
        assertEquals(1L, first.getValues().get("inuse"));
        assertEquals(6210L, first.getValues().get("last-avail-idx"));
        assertEquals(T0.plusSeconds(30), firing.getEvidence().getLast().getEventTime());
        DeviceHealth critical = driver.latestHealth(DeviceKey.of(HUNG_BLK).asString());
        assertEquals(HealthState.CRITICAL, critical.getState());
        assertEquals(List.of(firing.getAlertId()), critical.getActiveAlerts().stream().map(ActiveAlert::getAlertId).toList());
        assertEquals("fleet", critical.getGroup());

        VirtioSample recovered = ring(HUNG_BLK, 0, 6210, 6210, 6210, 0);
        driver.pipeAll(repeated(recovered, 5, 3));
        assertEquals(1, driver.alerts().size(), "the 30 s hold-down has not passed yet");
        driver.pipeAll(repeated(recovered, 8, 5));

        assertEquals(2, driver.alerts().size());
        VirtioAlert resolved = driver.alerts().getLast();
        assertEquals(AlertState.RESOLVED, resolved.getState());
        assertEquals(firing.getAlertId(), resolved.getAlertId());
        assertEquals(T0.plusSeconds(50), resolved.getEndedAt(), "ended with the first sample showing progress");
        assertEquals(6210L, resolved.getEvidence().getLast().getValues().get("used-idx"));
        assertEquals(HealthState.HEALTHY, driver.latestHealth(DeviceKey.of(HUNG_BLK).asString()).getState());
    }

    @Test
    void aSlowRequestUnderTheThresholdRaisesNothing() {
        driver.pipeAll(repeated(HUNG_BLK, 0, 3));
        driver.pipeAll(repeated(ring(HUNG_BLK, 0, 6210, 6211, 6211, 1), 3, 3));
        driver.pipeAll(repeated(ring(HUNG_BLK, 0, 6211, 6211, 6211, 0), 6, 10));

        assertEquals(List.of(), driver.alerts());
    }

    @Test
    void pausedTimeDoesNotCountTowardAStall() {
        driver.pipe(poll(HUNG_BLK, 0));
        driver.pipeAll(repeated(paused(HUNG_BLK), 1, 30));
        driver.pipe(poll(HUNG_BLK, 31)).pipe(poll(HUNG_BLK, 32));

        assertEquals(List.of(), driver.alerts(), "5 minutes paused and 10 s running is no stall");
        driver.pipe(poll(paused(HUNG_BLK), 33));
        assertEquals(HealthState.PAUSED, driver.latestHealth(DeviceKey.of(HUNG_BLK).asString()).getState());

        // Intervals that begin or end paused do not count: 31->32 counted 10 s, 34->35 and 35->36 count 20 s more.
        driver.pipeAll(repeated(HUNG_BLK, 34, 2));
        assertEquals(List.of(), driver.alerts(), "20 s of running time so far");
        driver.pipe(poll(HUNG_BLK, 36));
        assertEquals(1, driver.alerts(AlertState.FIRING).size(), "30 s of running time with the queue stuck");
    }

    @Test
    void aWrapFrom65535IsProgress() {
        int used = 65_530;
        for (int n = 0; n < 20; n++) {
            int next = (used + 3) & 0xFFFF;
            driver.pipe(poll(ring(HUNG_BLK, 0, used, (used + 2) & 0xFFFF, (used + 2) & 0xFFFF, 2), n));
            used = next;
        }
        driver.pipe(poll(ring(HUNG_BLK, 0, 65_535, 65_535, 65_535, 0), 20));
        driver.pipe(poll(ring(HUNG_BLK, 0, 0, 1, 1, 1), 21));
        driver.pipe(poll(ring(HUNG_BLK, 0, 1, 1, 1, 0), 22));

        assertEquals(List.of(), driver.alerts());
    }

    @Test
    void aDeviceResetStartsANewEpochAndNeverFires() {
        driver.pipeAll(repeated(HUNG_BLK, 0, 3));
        // The guest driver resets the device between two polls and sets it up again at new addresses;
        // its first request after the reset is outstanding, so in-use is 1 at used-idx 0.
        VirtioSample reinitialised = editQueue(ring(HUNG_BLK, 0, 0, 1, 1, 1), 0, q -> q.setVringDesc(q.getVringDesc() + 65_536));
        driver.pipeAll(repeated(reinitialised, 3, 3));

        assertEquals(List.of(), driver.alerts(), "20 s before the reset and 20 s after are two epochs, neither over 30 s");
    }

    @Test
    void aResetResolvesAFiringStallImmediately() {
        driver.pipeAll(repeated(HUNG_BLK, 0, 4));
        assertEquals(1, driver.alerts(AlertState.FIRING).size());

        driver.pipe(poll(statuses(ring(HUNG_BLK, 0, 0, 0, 0, 0)), 4));
        assertEquals(1, driver.alerts(AlertState.RESOLVED).size(), "no hold-down: the reset ended the episode");
        assertTrue(driver.alerts().getLast().getEvidence().getLast().getObservation().contains("epoch"));

        driver.pipeAll(repeated(statuses(ring(HUNG_BLK, 0, 0, 0, 0, 0), DRIVER_OK_STATUSES), 5, 10));
        assertEquals(2, driver.alerts().size(), "the device came back healthy: nothing more");
    }

    @Test
    void idleBlockDeviceWithNothingOutstandingRaisesNothing() {
        driver.pipeAll(repeated(IDLE_BLK, 0, 60));

        assertEquals(List.of(), driver.alerts());
        assertEquals(HealthState.HEALTHY, driver.latestHealth(DeviceKey.of(IDLE_BLK).asString()).getState());
        assertNull(driver.latestHealth(DeviceKey.of(IDLE_BLK).asString()).getQueues().getFirst().getLastProgressTime());
    }

    @Test
    void lateAndOutOfOrderSamplesChangeNothing() {
        driver.pipeAll(repeated(HUNG_BLK, 0, 3));
        driver.pipe(poll(ring(HUNG_BLK, 0, 6210, 6210, 6210, 0), 1));
        driver.pipe(poll(HUNG_BLK, 3));

        assertEquals(1, driver.alerts(AlertState.FIRING).size(), "a late sample showing progress must not reset the clock");
    }
}
