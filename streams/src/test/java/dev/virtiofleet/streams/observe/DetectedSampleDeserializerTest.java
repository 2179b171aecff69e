package dev.virtiofleet.streams.observe;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.CommandError;
import dev.virtiofleet.avro.CommandErrorKind;
import dev.virtiofleet.avro.VirtQueueStatus;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.avro.detection.DetectedErrorKind;
import dev.virtiofleet.avro.detection.DetectedQueueStatus;
import dev.virtiofleet.avro.detection.DetectedSample;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.serde.ShippedSchemas;
import dev.virtiofleet.streams.testing.Samples;
import dev.virtiofleet.testing.FleetRecords;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class DetectedSampleDeserializerTest {
    private static final String TOPIC = "virtio.samples";
    private static final VirtioSample BLK_SAMPLE = Samples.of(RUNNING, BLK, true);

    private final DetectedSampleDeserializer deserializer = new DetectedSampleDeserializer();

    @Test
    void keepsTheFieldsDetectionReadsAsTheAgentWroteThem() {
        DetectedSample read = deserializer.deserialize(TOPIC, bytes(BLK_SAMPLE));

        assertEquals(BLK_SAMPLE.getHostId(), read.getHostId());
        assertEquals(BLK_SAMPLE.getAgentRunId(), read.getAgentRunId());
        assertEquals(BLK_SAMPLE.getAgentSequence(), read.getAgentSequence());
        assertEquals(BLK_SAMPLE.getEventTime(), read.getEventTime());
        assertEquals(BLK_SAMPLE.getVmUuid(), read.getVmUuid());
        assertEquals(BLK_SAMPLE.getDevicePath(), read.getDevicePath());
        assertEquals(BLK_SAMPLE.getStatus().getHostFeatures().getDevFeatures(), read.getStatus().getHostFeatures().getDevFeatures());
        assertEquals(BLK_SAMPLE.getStatus().getGuestFeatures().getTransports(), read.getStatus().getGuestFeatures().getTransports());
        assertEquals(BLK_SAMPLE.getStatus().getStatus().getStatuses(), read.getStatus().getStatus().getStatuses());
        VirtQueueStatus written = BLK_SAMPLE.getQueues().getFirst().getStatus();
        DetectedQueueStatus queue = read.getQueues().getFirst().getStatus();
        assertEquals(written.getUsedIdx(), queue.getUsedIdx());
        assertEquals(written.getLastAvailIdx(), queue.getLastAvailIdx());
        assertEquals(written.getVringNum(), queue.getVringNum());
        assertEquals(written.getVringUsed(), queue.getVringUsed());
        assertEquals(BLK_SAMPLE.getQueues().getFirst().getElement().getAvail().getIdx(),
                read.getQueues().getFirst().getElement().getAvail().getIdx());
    }

    @Test
    void tellsAGoneDeviceFromEveryOtherError() {
        VirtioSample errors = VirtioSample.newBuilder(BLK_SAMPLE).setErrors(List.of(
                error(CommandErrorKind.NOT_A_VIRTIO_DEVICE), error(CommandErrorKind.TIMEOUT))).build();

        DetectedSample read = deserializer.deserialize(TOPIC, bytes(errors));

        assertEquals(List.of(DetectedErrorKind.NOT_A_VIRTIO_DEVICE, DetectedErrorKind.OTHER),
                read.getErrors().stream().map(error -> error.getKind()).toList());
    }

    @Test
    void readsEveryShippedSampleSchema() {
        List<Schema> shipped = ShippedSchemas.versionsOf(VirtioSample.getClassSchema().getFullName());
        assertTrue(!shipped.isEmpty());
        for (Schema writer : shipped) {
            assertEquals(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE,
                    SchemaCompatibility.checkReaderWriterCompatibility(DetectedSample.getClassSchema(), writer).getType(), writer.toString());
        }
    }

    @Test
    void rejectsWhatIsNotASampleAndPassesTombstones() {
        assertThrows(SerializationException.class,
                () -> deserializer.deserialize(TOPIC, "not avro at all".getBytes(StandardCharsets.UTF_8)));
        byte[] heartbeat = FleetSerdes.singleObject().heartbeat().serializer().serialize(TOPIC, FleetRecords.heartbeat());
        SerializationException other = assertThrows(SerializationException.class, () -> deserializer.deserialize(TOPIC, heartbeat));
        assertTrue(other.getMessage().contains("fingerprint"), other.getMessage());
        assertNull(deserializer.deserialize(TOPIC, null));
    }

    private static CommandError error(CommandErrorKind kind) {
        return CommandError.newBuilder().setCommand("x-query-virtio-status").setKind(kind).setDescription("test").build();
    }

    private static byte[] bytes(VirtioSample sample) {
        return FleetSerdes.singleObject().sample().serializer().serialize(TOPIC, sample);
    }
}
