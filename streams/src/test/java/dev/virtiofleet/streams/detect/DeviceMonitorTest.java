package dev.virtiofleet.streams.detect;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.HUNG;
import static dev.virtiofleet.streams.testing.Samples.poll;
import static dev.virtiofleet.streams.testing.Samples.ring;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.observe.InvalidSampleException;
import dev.virtiofleet.streams.observe.SnapshotReader;
import dev.virtiofleet.streams.testing.Samples;
import dev.virtiofleet.qapi.features.FeatureSet;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The detection core without Kafka: state in, sample in, state and alerts out. */
class DeviceMonitorTest {
    private static final VirtioSample HUNG_BLK = Samples.of(HUNG, BLK, false);

    private final DeviceMonitor monitor = new DeviceMonitor(DetectionConfig.defaults());
    private Optional<DeviceState> state = Optional.empty();
    private final List<VirtioAlert> alerts = new ArrayList<>();

    private Outcome step(VirtioSample sample) throws InvalidSampleException {
        Outcome outcome = monitor.step(state, SnapshotReader.read(Samples.detected(sample)));
        if (outcome instanceof Outcome.Tracked tracked) {
            state = Optional.of(tracked.state());
            alerts.addAll(tracked.alerts());
        }
        return outcome;
    }

    @Test
    void aLongStallIsOneFiringNotOnePerSample() throws InvalidSampleException {
        for (int n = 0; n < 100; n++) {
            step(poll(HUNG_BLK, n));
        }
        assertEquals(List.of(AlertState.FIRING), alerts.stream().map(VirtioAlert::getState).toList());
        assertEquals(1, state.orElseThrow().episodes().size());
    }

    @Test
    void aWrapIsNotANewEpochButAllIndicesBackToZeroIs() throws InvalidSampleException {
        step(poll(ring(HUNG_BLK, 0, 65_534, 65_535, 65_535, 1), 0));
        step(poll(ring(HUNG_BLK, 0, 2, 3, 3, 1), 1));
        assertEquals(0, state.orElseThrow().epoch(), "65534 -> 2 is four completions");

        step(poll(ring(HUNG_BLK, 0, 0, 0, 0, 0), 2));
        assertEquals(1, state.orElseThrow().epoch());
    }

    @Test
    void aDuplicateOrOlderSampleIsIgnored() throws InvalidSampleException {
        step(poll(HUNG_BLK, 5));
        assertInstanceOf(Outcome.Ignored.class, step(poll(HUNG_BLK, 5)));
        Outcome older = step(poll(HUNG_BLK, 4));
        assertTrue(((Outcome.Ignored) older).reason().contains("not after"), older.toString());
    }

    @Test
    void hostFeaturesAreReportedToTheGroupOnlyWhenNewOrChanged() throws InvalidSampleException {
        Outcome first = step(poll(HUNG_BLK, 0));
        Outcome second = step(poll(HUNG_BLK, 1));
        assertTrue(((Outcome.Tracked) first).featureReport().isPresent());
        assertTrue(((Outcome.Tracked) second).featureReport().isEmpty());
    }

    @Test
    void theHostFeatureDigestIgnoresOrderAndSeesEveryDifference() {
        FeatureSet set = new FeatureSet(new LinkedHashSet<>(List.of("VIRTIO_F_VERSION_1", "VIRTIO_RING_F_EVENT_IDX", "VIRTIO_BLK_F_FLUSH")),
                0, List.of());
        FeatureSet reordered = new FeatureSet(new LinkedHashSet<>(List.of("VIRTIO_BLK_F_FLUSH", "VIRTIO_F_VERSION_1",
                "VIRTIO_RING_F_EVENT_IDX")), 0, List.of());
        FeatureSet fewer = new FeatureSet(new LinkedHashSet<>(List.of("VIRTIO_F_VERSION_1", "VIRTIO_RING_F_EVENT_IDX")), 0, List.of());
        FeatureSet unknownBit = new FeatureSet(set.symbols(), 1L << 40, List.of());

        assertEquals(DeviceMonitor.digest(set), DeviceMonitor.digest(reordered));
        assertNotEquals(DeviceMonitor.digest(set), DeviceMonitor.digest(fewer));
        assertNotEquals(DeviceMonitor.digest(set), DeviceMonitor.digest(unknownBit));
        assertNotEquals(0, DeviceMonitor.digest(FeatureSet.EMPTY), "0 means nothing reported yet");
    }
}
