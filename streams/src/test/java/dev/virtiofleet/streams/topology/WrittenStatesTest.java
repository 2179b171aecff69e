package dev.virtiofleet.streams.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.detect.DeviceMonitor;
import dev.virtiofleet.streams.detect.DeviceState;
import dev.virtiofleet.streams.detect.Outcome;
import dev.virtiofleet.streams.observe.SnapshotReader;
import dev.virtiofleet.streams.testing.Samples;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WrittenStatesTest {
    private final DeviceState state = healthyState();

    @Test
    void givesBackWhatWasWrittenUntilForgotten() {
        WrittenStates written = new WrittenStates(2);
        written.wrote("a", state);
        assertEquals(Optional.of(state), written.get("a"));
        written.forget("a");
        assertTrue(written.get("a").isEmpty());
        written.wrote("b", state);
        written.clear();
        assertTrue(written.get("b").isEmpty());
    }

    @Test
    void onceFullItTakesNoNewDeviceUntilOneIsForgotten() {
        WrittenStates written = new WrittenStates(2);
        written.wrote("a", state);
        written.wrote("b", state);
        written.wrote("c", state);
        assertTrue(written.get("c").isEmpty());
        written.wrote("a", state);
        assertTrue(written.get("a").isPresent(), "a device that has a place keeps it");
        written.forget("b");
        written.wrote("c", state);
        assertTrue(written.get("c").isPresent());
    }

    @Test
    void aLimitBelowOneIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new WrittenStates(0));
    }

    private static DeviceState healthyState() {
        try {
            var snapshot = SnapshotReader.read(Samples.detected(Samples.of(Samples.RUNNING, Samples.BLK, false)));
            return ((Outcome.Tracked) new DeviceMonitor(DetectionConfig.defaults()).step(Optional.empty(), snapshot)).state();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
