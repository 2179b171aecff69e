package dev.virtiofleet.streams.topology;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.HUNG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.streams.alerts.AlertKey;
import dev.virtiofleet.streams.alerts.Observation;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.detect.DeviceMonitor;
import dev.virtiofleet.streams.detect.DeviceState;
import dev.virtiofleet.streams.detect.Outcome;
import dev.virtiofleet.streams.detect.PublishedHealth;
import dev.virtiofleet.streams.observe.DeviceIdentity;
import dev.virtiofleet.streams.observe.InvalidSampleException;
import dev.virtiofleet.streams.observe.SampleRef;
import dev.virtiofleet.streams.observe.SnapshotReader;
import dev.virtiofleet.streams.testing.Samples;
import dev.virtiofleet.streams.detect.QueueMark;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class DeviceStateSerdeTest {
    private final org.apache.kafka.common.serialization.Serde<DeviceState> serde = DeviceStateSerde.create();

    /** The states a device monitor goes through over four polls of a hung virtio-blk, the last with a firing episode. */
    private static List<DeviceState> statesOfAHungDisk() throws InvalidSampleException {
        DeviceMonitor monitor = new DeviceMonitor(DetectionConfig.defaults());
        List<DeviceState> states = new ArrayList<>();
        Optional<DeviceState> state = Optional.empty();
        for (var sample : Samples.repeated(Samples.of(HUNG, BLK, false), 0, 4)) {
            state = Optional.of(((Outcome.Tracked) monitor.step(state, SnapshotReader.read(Samples.detected(sample)))).state());
            states.add(state.get());
        }
        return states;
    }

    @Test
    void aStateWithPendingClocksAndAFiringEpisodeRoundTrips() throws InvalidSampleException {
        DeviceState firing = statesOfAHungDisk().getLast();
        assertFalse(firing.episodes().isEmpty());
        assertFalse(firing.pending().isEmpty());

        byte[] bytes = serde.serializer().serialize("t", firing);
        assertEquals(firing, serde.deserializer().deserialize("t", bytes));
        DeviceState published = firing.withHealthPublished(new PublishedHealth(-42L, Samples.T0.plusSeconds(30)));
        assertEquals(published, serde.deserializer().deserialize("t", serde.serializer().serialize("t", published)));
    }

    @Test
    void saysWhichStatesReadBackEqual() throws InvalidSampleException {
        List<DeviceState> states = statesOfAHungDisk();
        states.forEach(state -> assertReadsBack(state, true));
        DeviceState s = states.getLast().withHealthPublished(new PublishedHealth(3, Samples.T0.plusSeconds(30)));
        assertReadsBack(s, true);
        var id = s.identity();
        assertReadsBack(new DeviceState(new DeviceIdentity(id.key(), id.vmName(), id.vmUuid(), id.deviceName(), Optional.of(-2), id.group()),
                s.epoch(), s.lastSample(), s.vmRunning(), s.driverOk(), s.numVqs(), s.hostFeaturesDigest(), s.queues(), s.pending(),
                s.episodes(), s.healthPublished()), false);
        var ref = s.lastSample();
        assertReadsBack(new DeviceState(id, s.epoch(), new SampleRef(ref.eventTime().plusNanos(1), ref.agentRunId(), ref.agentSequence()),
                s.vmRunning(), s.driverOk(), s.numVqs(), s.hostFeaturesDigest(), s.queues(), s.pending(), s.episodes(),
                s.healthPublished()), false);
        var pending = s.pending().values().iterator().next();
        assertReadsBack(new DeviceState(id, s.epoch(), ref, s.vmRunning(), s.driverOk(), s.numVqs(), s.hostFeaturesDigest(), s.queues(),
                Map.of(AlertKey.queue(AlertKind.QUEUE_STALLED, -1), pending), s.episodes(), s.healthPublished()), false);
        var episode = s.episodes().values().iterator().next();
        assertReadsBack(new DeviceState(id, s.epoch(), ref, s.vmRunning(), s.driverOk(), s.numVqs(), s.hostFeaturesDigest(), s.queues(),
                s.pending(), Map.of(AlertKey.device(AlertKind.DEVICE_BROKEN), episode.clearingSince(new Observation(
                        new SampleRef(ref.eventTime().plusNanos(5), "run", 1), "clearing", Map.of(), Map.of()))),
                s.healthPublished()), false);
    }

    private void assertReadsBack(DeviceState state, boolean equal) {
        DeviceState read = serde.deserializer().deserialize("t", serde.serializer().serialize("t", state));
        assertEquals(equal, state.equals(read), () -> "read back: " + read);
        assertEquals(equal, DeviceStateSerde.readsBackEqual(state));
    }

    @Test
    void theVersionOneFormatIsStillReadAsNothingPublishedYet() throws Exception {
        DeviceMonitor monitor = new DeviceMonitor(DetectionConfig.defaults());
        Optional<DeviceState> state = Optional.empty();
        for (var sample : Samples.repeated(Samples.of(HUNG, BLK, false), 0, 4)) {
            state = Optional.of(((Outcome.Tracked) monitor.step(state, SnapshotReader.read(Samples.detected(sample)))).state());
        }
        DeviceState firing = state.orElseThrow();
        assertFalse(firing.episodes().isEmpty());

        DeviceState read = serde.deserializer().deserialize("t", version1(firing));
        assertEquals(firing, read);
        assertTrue(read.healthPublished().isEmpty());
    }

    @Test
    void aHealthyDeviceTakesFewerBytesThanInVersionOne() throws Exception {
        DeviceMonitor monitor = new DeviceMonitor(DetectionConfig.defaults());
        Optional<DeviceState> state = Optional.empty();
        for (String device : Samples.RUNNING_DEVICES) {
            state = Optional.empty();
            for (var sample : Samples.repeated(Samples.of(Samples.RUNNING, device, false), 0, 3)) {
                state = Optional.of(((Outcome.Tracked) monitor.step(state, SnapshotReader.read(Samples.detected(sample)))).state());
            }
            DeviceState healthy = state.orElseThrow().withHealthPublished(new PublishedHealth(7, Samples.T0.plusSeconds(10)));
            byte[] compact = serde.serializer().serialize("t", healthy);
            byte[] old = version1(state.orElseThrow());
            System.out.printf("%s: %d queues, %d bytes (version 1: %d)%n", device, healthy.queues().size(), compact.length, old.length);
            assertEquals(healthy, serde.deserializer().deserialize("t", compact));
            assertTrue(compact.length < old.length, device + ": " + compact.length + " bytes, version 1 " + old.length);
        }
    }

    /** {@code state} as the first release wrote it (DeviceStateSerde version 1), field by field. */
    private static byte[] version1(DeviceState state) throws Exception {
        BinaryOut out = new BinaryOut();
        out.writeByte(1);
        StateCodec.writeIdentity(out, state.identity());
        out.writeInt(state.epoch());
        StateCodec.writeRef(out, state.lastSample());
        out.writeBoolean(state.vmRunning());
        out.writeBoolean(state.driverOk());
        out.writeLong(state.numVqs());
        out.writeLong(state.hostFeaturesDigest());
        out.writeInt(state.queues().size());
        for (var queue : state.queues().entrySet()) {
            out.writeInt(queue.getKey());
            QueueMark mark = queue.getValue();
            out.writeBoolean(mark.ringLayout().isPresent());
            out.writeLong(mark.ringLayout().orElse(0));
            out.writeInt(mark.usedIdx().orElse(-1));
            out.writeLong(mark.inuse().orElse(-1));
            out.writeLong(mark.lastProgress().map(Instant::toEpochMilli).orElse(Long.MIN_VALUE));
        }
        out.writeInt(state.pending().size());
        for (var entry : state.pending().entrySet()) {
            out.writeUTF(entry.getKey().kind().name());
            out.writeInt(entry.getKey().queue().orElse(-1));
            out.writeLong(entry.getValue().mark());
            StateCodec.writeObservation(out, entry.getValue().first());
            out.writeLong(entry.getValue().heldMillis());
            out.writeInt(entry.getValue().samples());
        }
        out.writeInt(state.episodes().size());
        for (var entry : state.episodes().entrySet()) {
            out.writeUTF(entry.getKey().kind().name());
            out.writeInt(entry.getKey().queue().orElse(-1));
            StateCodec.writeEpisode(out, entry.getValue());
        }
        return out.toByteArray();
    }

    @Test
    void bytesOfAnotherVersionAreRefusedClearly() {
        SerializationException error = assertThrows(SerializationException.class,
                () -> serde.deserializer().deserialize("t", new byte[] {9, 0, 0}));
        assertEquals("device state version 9 is not readable (this release reads 1 to 2)", error.getMessage());
    }
}
