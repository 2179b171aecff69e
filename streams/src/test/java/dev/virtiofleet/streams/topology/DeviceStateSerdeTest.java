package dev.virtiofleet.streams.topology;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.HUNG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.detect.DeviceMonitor;
import dev.virtiofleet.streams.detect.DeviceState;
import dev.virtiofleet.streams.detect.Outcome;
import dev.virtiofleet.streams.observe.InvalidSampleException;
import dev.virtiofleet.streams.observe.SnapshotReader;
import dev.virtiofleet.streams.testing.Samples;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class DeviceStateSerdeTest {
    private final org.apache.kafka.common.serialization.Serde<DeviceState> serde = DeviceStateSerde.create();

    @Test
    void aStateWithPendingClocksAndAFiringEpisodeRoundTrips() throws InvalidSampleException {
        DeviceMonitor monitor = new DeviceMonitor(DetectionConfig.defaults());
        Optional<DeviceState> state = Optional.empty();
        for (var sample : Samples.repeated(Samples.of(HUNG, BLK, false), 0, 4)) {
            state = Optional.of(((Outcome.Tracked) monitor.step(state, SnapshotReader.read(sample))).state());
        }
        DeviceState firing = state.orElseThrow();
        assertFalse(firing.episodes().isEmpty());
        assertFalse(firing.pending().isEmpty());

        byte[] bytes = serde.serializer().serialize("t", firing);
        assertEquals(firing, serde.deserializer().deserialize("t", bytes));
    }

    @Test
    void bytesOfAnotherVersionAreRefusedClearly() {
        SerializationException error = assertThrows(SerializationException.class,
                () -> serde.deserializer().deserialize("t", new byte[] {9, 0, 0}));
        assertEquals("device state version 9 is not readable (this release reads 1)", error.getMessage());
    }
}
