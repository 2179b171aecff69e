package dev.virtiofleet.streams.observe;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.QueueRole;
import dev.virtiofleet.avro.VhostDeviceProtocols;
import dev.virtiofleet.avro.VhostStatus;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.avro.detection.DetectedFeatures;
import dev.virtiofleet.streams.testing.Samples;
import dev.virtiofleet.qapi.features.FeatureSet;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class SnapshotReaderTest {
    private static final VirtioSample BLK_SAMPLE = Samples.of(RUNNING, BLK, true);

    @Test
    void readsTheRealTranscriptSample() throws InvalidSampleException {
        DeviceSnapshot snapshot = SnapshotReader.read(Samples.detected(BLK_SAMPLE));

        assertTrue(snapshot.vmRunning());
        assertTrue(snapshot.status().orElseThrow().active());
        assertTrue(snapshot.status().orElseThrow().guestFeatures().contains("VIRTIO_F_VERSION_1"));
        QueueView queue = snapshot.queues().getFirst();
        assertEquals(QueueRole.REQUEST, queue.role());
        assertEquals(OptionalInt.of(4801), queue.usedIdx());
        assertEquals(OptionalInt.of(4801), queue.liveAvailIdx());
        assertEquals(OptionalInt.of(0), queue.availFlags());
        assertEquals(256, queue.size());
    }

    @Test
    void aVmThatQueryStatusCallsPausedIsNotRunningWhateverTheDeviceSays() throws InvalidSampleException {
        VirtioSample paused = VirtioSample.newBuilder(BLK_SAMPLE).setVmRunning(false).setVmRunState("paused").build();
        assertFalse(SnapshotReader.read(Samples.detected(paused)).vmRunning());
        VirtioSample unknown = VirtioSample.newBuilder(BLK_SAMPLE).setVmRunning(null).setStatus(null).build();
        assertFalse(SnapshotReader.read(Samples.detected(unknown)).vmRunning(), "unknown run state is not judged as running");
    }

    @Test
    void impossibleValuesAreRejectedWithTheirReason() {
        InvalidSampleException tooMany = assertThrows(InvalidSampleException.class,
                () -> SnapshotReader.read(Samples.detected(Samples.editQueue(BLK_SAMPLE, 0, q -> q.setInuse(257)))));
        assertTrue(tooMany.getMessage().contains("inuse 257"), tooMany.getMessage());
        InvalidSampleException wide = assertThrows(InvalidSampleException.class,
                () -> SnapshotReader.read(Samples.detected(Samples.editQueue(BLK_SAMPLE, 0, q -> q.setUsedIdx(70_000)))));
        assertTrue(wide.getMessage().contains("used-idx 70000"), wide.getMessage());
    }

    @Test
    void whileVhostRunsTheRingProgressComesFromGuestMemory() throws InvalidSampleException {
        VirtioSample vhost = Samples.editQueue(Samples.editStatus(BLK_SAMPLE, s -> s.setVhostStarted(true)
                .setVhostDev(VhostStatus.newBuilder()
                        .setNMemSections(1).setNTmpSections(1).setNvqs(1).setVqIndex(0)
                        .setFeatures(s.getHostFeatures()).setAckedFeatures(s.getGuestFeatures()).setBackendFeatures(s.getBackendFeatures())
                        .setProtocolFeatures(VhostDeviceProtocols.newBuilder().setProtocols(List.of()).build())
                        .setMaxQueues(1).setBackendCap(0).setLogEnabled(false).setLogSize(0).build())),
                0, q -> q.setUsedIdx(17).setInuse(0));

        QueueView queue = SnapshotReader.read(Samples.detected(vhost)).queues().getFirst();
        assertEquals(OptionalInt.of(4801), queue.usedIdx(), "QEMU's own used-idx is stale while vhost runs the ring");
        assertTrue(queue.inuse().isEmpty());
    }

    @Test
    void equalFeatureWordsGiveOneSharedSetAndADifferentWordItsOwn() throws InvalidSampleException {
        DetectedFeatures host = Samples.detected(BLK_SAMPLE).getStatus().getHostFeatures();
        // A copy decoded apart from the first: equal lists, other objects.
        DetectedFeatures copy = DetectedFeatures.newBuilder(host).setTransports(new ArrayList<>(host.getTransports()))
                .setDevFeatures(new ArrayList<>(host.getDevFeatures())).build();
        DetectedFeatures fewer = DetectedFeatures.newBuilder(host)
                .setDevFeatures(host.getDevFeatures().subList(1, host.getDevFeatures().size())).build();
        DetectedFeatures unknownBit = DetectedFeatures.newBuilder(host).setUnknownDevFeatures(host.getUnknownDevFeatures() | 1L << 50).build();

        FeatureSet first = SnapshotReader.features(host);
        assertSame(first, SnapshotReader.features(copy));
        assertEquals(new LinkedHashSet<>(host.getTransports()) {{ addAll(host.getDevFeatures()); }}, first.symbols());
        FeatureSet other = SnapshotReader.features(fewer);
        assertEquals(first.symbols().size() - 1, other.symbols().size());
        assertFalse(other.contains(host.getDevFeatures().getFirst()));
        assertEquals(host.getUnknownDevFeatures() | 1L << 50, SnapshotReader.features(unknownBit).unknownBits());
        assertEquals(host.getUnknownDevFeatures(), first.unknownBits(), "the transcript's unnamed bit 40");
        assertThrows(UnsupportedOperationException.class, () -> first.symbols().add("VIRTIO_F_RING_RESET"), "shared, so immutable");
    }
}
