package dev.virtiofleet.streams.topology;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.HUNG;
import static dev.virtiofleet.streams.testing.Samples.RUNNING;
import static dev.virtiofleet.streams.testing.Samples.T0;
import static dev.virtiofleet.streams.testing.Samples.editStatus;
import static dev.virtiofleet.streams.testing.Samples.paused;
import static dev.virtiofleet.streams.testing.Samples.poll;
import static dev.virtiofleet.streams.testing.Samples.repeated;
import static dev.virtiofleet.streams.testing.Samples.ring;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.CommandError;
import dev.virtiofleet.avro.CommandErrorKind;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.HealthState;
import dev.virtiofleet.avro.VirtioDeviceFeatures;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.query.DeviceFilter;
import dev.virtiofleet.streams.query.DeviceView;
import dev.virtiofleet.streams.query.FleetQueries;
import dev.virtiofleet.streams.testing.DetectionDriver;
import dev.virtiofleet.streams.testing.Samples;
import dev.virtiofleet.topics.DeviceKey;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The health topic hears of a device when its record's content changes, and renews an unchanged
 * record after {@code health-refresh-after} of sample time (default 1m); the device store, which
 * the REST API and /metrics read, follows every sample; a device that goes is tombstoned.
 */
class HealthPublishingTopologyTest {
    /** The running guest's virtio-blk: healthy, nothing outstanding. */
    private static final VirtioSample IDLE_BLK = Samples.of(RUNNING, BLK, false);
    /** The hung-backend transcript: a request taken and never returned. */
    private static final VirtioSample HUNG_BLK = Samples.of(HUNG, BLK, false);
    private static final String KEY = DeviceKey.of(IDLE_BLK).asString();

    @TempDir
    Path stateDir;
    private DetectionDriver driver;

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
    }

    private DetectionDriver start(Map<String, String> detect) {
        driver = new DetectionDriver(DetectionConfig.fromProperties(detect), stateDir);
        return driver;
    }

    /** The n-th poll of a busy, healthy virtio-blk: 17 requests completed since the last poll, none outstanding. */
    private static VirtioSample busy(int n) {
        int used = (6209 + 17 * n) & 0xFFFF;
        return poll(ring(IDLE_BLK, 0, used, used, used, 0), n);
    }

    @Test
    void anUnchangedDeviceIsPublishedOnceAndRenewedAfterTheRefreshInterval() {
        start(Map.of());
        driver.pipe(busy(0));
        assertEquals(List.of(T0), published(), "the first sample is published");
        driver.pipe(busy(1));
        assertEquals(List.of(T0), published(), "the next sample moved used-idx, changed nothing of the content: not published");

        for (int n = 2; n <= 13; n++) {
            driver.pipe(busy(n));
        }
        assertEquals(List.of(T0, T0.plusSeconds(60), T0.plusSeconds(120)), published(),
                "renewed by the first sample a minute (the default) after the last published one");
        DeviceHealth renewed = driver.latestHealth(KEY);
        assertEquals(HealthState.HEALTHY, renewed.getState());
        assertEquals(T0.plusSeconds(120), renewed.getUpdatedAt());
        assertEquals((6209 + 17 * 12) & 0xFFFF, renewed.getQueues().getFirst().getUsedIdx(),
                "a renewed record carries the ring positions of its own sample");
        assertEquals(T0.plusSeconds(120), renewed.getQueues().getFirst().getLastProgressTime());
        assertEquals(List.of(), driver.alerts());
    }

    @Test
    void theDeviceStoreFollowsEverySampleBetweenPublishedRecords() {
        start(Map.of());
        driver.pipeAll(List.of(busy(0), busy(1), busy(2), busy(3)));
        assertEquals(List.of(T0), published());

        DeviceView device = new FleetQueries(driver.stores()).devices(DeviceFilter.ALL).getFirst();
        assertEquals(T0.plusSeconds(30), device.lastSample(), "what REST /devices and /metrics read is the latest sample");
        assertEquals((6209 + 17 * 3) & 0xFFFF, device.queues().getFirst().usedIdx().orElseThrow());
        assertEquals(T0.plusSeconds(30), device.queues().getFirst().lastProgress().orElseThrow());
    }

    @Test
    void aChangeOfVerdictIsPublishedAtOnceAndOnlyOnce() {
        start(Map.of());
        driver.pipeAll(repeated(IDLE_BLK, 0, 3));
        driver.pipe(poll(paused(IDLE_BLK), 3)).pipe(poll(paused(IDLE_BLK), 4));
        driver.pipe(poll(IDLE_BLK, 5)).pipe(poll(IDLE_BLK, 6));

        assertEquals(List.of(T0, T0.plusSeconds(30), T0.plusSeconds(50)), published(), "first sample, paused, running again");
        assertEquals(List.of(HealthState.HEALTHY, HealthState.PAUSED, HealthState.HEALTHY), states());
    }

    @Test
    void anAlertFiringAndResolvingIsPublishedWithTheSampleThatDidIt() {
        start(Map.of());
        driver.pipeAll(repeated(HUNG_BLK, 0, 6));
        VirtioSample recovered = ring(HUNG_BLK, 0, 6210, 6210, 6210, 0);
        driver.pipeAll(repeated(recovered, 6, 5));

        assertEquals(List.of(AlertState.FIRING, AlertState.RESOLVED), driver.alerts().stream().map(a -> a.getState()).toList());
        Instant fired = driver.alerts().getFirst().getEventTime();
        Instant resolved = driver.alerts().getLast().getEventTime();
        assertEquals(List.of(T0, fired, resolved), published(), "stalled but not yet alerting, firing, resolved; nothing in between");
        assertEquals(List.of(HealthState.HEALTHY, HealthState.CRITICAL, HealthState.HEALTHY), states());
        assertEquals(driver.alerts().getFirst().getAlertId(), health().get(1).getActiveAlerts().getFirst().getAlertId());
    }

    @Test
    void aChangeOfNegotiatedFeaturesIsPublished() {
        start(Map.of());
        driver.pipeAll(repeated(IDLE_BLK, 0, 2));
        VirtioSample renegotiated = editStatus(IDLE_BLK, s -> s.setGuestFeatures(VirtioDeviceFeatures.newBuilder(s.getGuestFeatures())
                .setDevFeatures(s.getGuestFeatures().getDevFeatures().subList(1, s.getGuestFeatures().getDevFeatures().size())).build()));
        driver.pipeAll(repeated(renegotiated, 2, 2));

        assertEquals(List.of(T0, T0.plusSeconds(20)), published());
        assertEquals(renegotiated.getStatus().getGuestFeatures().getDevFeatures().size()
                        + renegotiated.getStatus().getGuestFeatures().getTransports().size(),
                driver.latestHealth(KEY).getGuestFeatures().size());
    }

    @Test
    void aRefreshOfZeroPublishesEverySample() {
        start(Map.of("health-refresh-after", "0s"));
        for (int n = 0; n < 5; n++) {
            driver.pipe(busy(n));
        }

        assertEquals(List.of(T0, T0.plusSeconds(10), T0.plusSeconds(20), T0.plusSeconds(30), T0.plusSeconds(40)), published());
    }

    @Test
    void aShorterRefreshRenewsSooner() {
        start(Map.of("health-refresh-after", "25s"));
        for (int n = 0; n < 7; n++) {
            driver.pipe(busy(n));
        }

        assertEquals(List.of(T0, T0.plusSeconds(30), T0.plusSeconds(60)), published());
    }

    @Test
    void anUnpluggedDeviceIsTombstonedThoughNothingWasPublishedForItLately() {
        start(Map.of());
        driver.pipeAll(List.of(busy(0), busy(1), busy(2)));
        VirtioSample unplugged = VirtioSample.newBuilder(poll(IDLE_BLK, 3)).setStatus(null).setQueues(List.of())
                .setErrors(List.of(new CommandError("x-query-virtio-status", null, CommandErrorKind.NOT_A_VIRTIO_DEVICE,
                        "GenericError", "Path " + BLK + " is not a VirtIODevice")))
                .build();
        driver.pipe(unplugged);

        List<KeyValue<String, DeviceHealth>> records = records();
        assertEquals(2, records.size(), "the first sample's record, then the tombstone: " + records);
        assertNull(records.getLast().value, "tombstone on the compacted health topic");

        driver.pipe(busy(4));
        assertEquals(T0.plusSeconds(40), driver.latestHealth(KEY).getLastSampleTime(), "plugged in again: published at once");
    }

    @Test
    void aDeviceThatFallsSilentIsTombstoned() {
        start(Map.of());
        driver.pipeAll(List.of(busy(0), busy(1), busy(2)));
        VirtioSample other = Samples.of(RUNNING, Samples.NET, true);
        driver.pipeAll(repeated(other, 3, 8));

        List<KeyValue<String, DeviceHealth>> records = records();
        assertEquals(2, records.size(), records.toString());
        assertNull(records.getLast().value, "retired after 60 s without a sample: tombstone");
    }

    /** Event times of the blk device's published (non-tombstone) records. */
    private List<Instant> published() {
        return health().stream().map(DeviceHealth::getLastSampleTime).toList();
    }

    private List<HealthState> states() {
        return health().stream().map(DeviceHealth::getState).toList();
    }

    private List<DeviceHealth> health() {
        return records().stream().map(kv -> kv.value).filter(Objects::nonNull).toList();
    }

    private List<KeyValue<String, DeviceHealth>> records() {
        return new ArrayList<>(driver.health().stream().filter(kv -> kv.key.equals(KEY)).toList());
    }
}
