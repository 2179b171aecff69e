package dev.virtiofleet.streams.topology;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.HUNG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.detect.DeviceMonitor;
import dev.virtiofleet.streams.detect.DeviceState;
import dev.virtiofleet.streams.detect.Outcome;
import dev.virtiofleet.streams.detect.PublishedHealth;
import dev.virtiofleet.streams.observe.InvalidSampleException;
import dev.virtiofleet.streams.observe.SnapshotReader;
import dev.virtiofleet.streams.testing.Samples;
import java.util.Arrays;
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
        DeviceState published = firing.withHealthPublished(new PublishedHealth(-42L, Samples.T0.plusSeconds(30)));
        assertEquals(published, serde.deserializer().deserialize("t", serde.serializer().serialize("t", published)));
    }

    @Test
    void theVersionOneFormatIsStillReadAsNothingPublishedYet() throws InvalidSampleException {
        DeviceMonitor monitor = new DeviceMonitor(DetectionConfig.defaults());
        DeviceState state = ((Outcome.Tracked) monitor.step(Optional.empty(), SnapshotReader.read(Samples.of(HUNG, BLK, false)))).state();
        byte[] current = serde.serializer().serialize("t", state);
        assertEquals(2, current[0]);
        assertEquals(0, current[current.length - 1], "no published health: the last byte says so");
        // Version 1 was version 2 without the published-health mark at the end.
        byte[] version1 = Arrays.copyOf(current, current.length - 1);
        version1[0] = 1;

        assertEquals(state, serde.deserializer().deserialize("t", version1));
        assertTrue(serde.deserializer().deserialize("t", version1).healthPublished().isEmpty());
    }

    @Test
    void bytesOfAnotherVersionAreRefusedClearly() {
        SerializationException error = assertThrows(SerializationException.class,
                () -> serde.deserializer().deserialize("t", new byte[] {9, 0, 0}));
        assertEquals("device state version 9 is not readable (this release reads 1 to 2)", error.getMessage());
    }
}
