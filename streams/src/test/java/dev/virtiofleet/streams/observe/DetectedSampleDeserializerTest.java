package dev.virtiofleet.streams.observe;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.CommandError;
import dev.virtiofleet.avro.CommandErrorKind;
import dev.virtiofleet.avro.QemuVersion;
import dev.virtiofleet.avro.QueueSample;
import dev.virtiofleet.avro.VhostDeviceProtocols;
import dev.virtiofleet.avro.VhostStatus;
import dev.virtiofleet.avro.VirtQueueStatus;
import dev.virtiofleet.avro.VirtVhostQueueStatus;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.avro.detection.DetectedErrorKind;
import dev.virtiofleet.avro.detection.DetectedQueueStatus;
import dev.virtiofleet.avro.detection.DetectedSample;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.qapi.QapiReader;
import dev.virtiofleet.serde.ShippedSchemas;
import dev.virtiofleet.streams.testing.Samples;
import dev.virtiofleet.testing.FleetRecords;
import dev.virtiofleet.testing.Transcript;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
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

    /**
     * The v1 reader against Avro's own resolution of v1 to DetectedSample, on every device of every
     * transcript with and without queue elements, and with what transcripts lack: a running vhost
     * backend with vhost queue status, errors, a QEMU version, no status at all.
     */
    @Test
    void readsV1ExactlyAsAvroResolvesIt() throws Exception {
        SpecificDatumReader<DetectedSample> avro = new SpecificDatumReader<>(SampleV1Reader.V1, DetectedSample.getClassSchema(),
                SpecificData.getForSchema(DetectedSample.getClassSchema()));
        List<VirtioSample> samples = new ArrayList<>();
        for (Transcript transcript : Transcript.all()) {
            for (String path : devicePaths(transcript)) {
                samples.add(Samples.of(transcript, path, false));
                samples.add(Samples.of(transcript, path, true));
            }
        }
        VirtioSample vhost = Samples.editStatus(BLK_SAMPLE, s -> s.setVhostStarted(true).setVhostDev(VhostStatus.newBuilder()
                .setNMemSections(3).setNTmpSections(1).setNvqs(1).setVqIndex(0)
                .setFeatures(s.getHostFeatures()).setAckedFeatures(s.getGuestFeatures()).setBackendFeatures(s.getBackendFeatures())
                .setProtocolFeatures(VhostDeviceProtocols.newBuilder().setProtocols(List.of("VHOST_USER_PROTOCOL_F_MQ"))
                        .setUnknownProtocols(1L << 60).setUnparseable(List.of("?")).build())
                .setMaxQueues(-1).setBackendCap(7).setLogEnabled(true).setLogSize(1L << 40).build()));
        QueueSample first = vhost.getQueues().getFirst();
        samples.add(VirtioSample.newBuilder(vhost)
                .setQemuVersion(QemuVersion.newBuilder().setMajor(7).setMinor(2).setMicro(22).setPackageName("Debian").build())
                .setVmRunState("running").setPollDurationMicros(-5)
                .setQueues(List.of(QueueSample.newBuilder(first).setVhostStatus(VirtVhostQueueStatus.newBuilder().setName("vq0")
                        .setKick(1).setCall(2).setDesc(-3).setAvail(4).setUsed(5).setNum(256).setDescPhys(6).setDescSize(4096)
                        .setAvailPhys(7).setAvailSize(518).setUsedPhys(8).setUsedSize(2054).build()).build()))
                .setErrors(List.of(error(CommandErrorKind.NOT_A_VIRTIO_DEVICE), error(CommandErrorKind.DECODE_FAILED),
                        CommandError.newBuilder(error(CommandErrorKind.INVALID_QUEUE)).setQueueIndex(3).setErrorClass("GenericError").build()))
                .build());
        samples.add(VirtioSample.newBuilder(BLK_SAMPLE).setStatus(null).setVmName(null).setVmUuid(null).setVmRunning(null).build());

        for (VirtioSample sample : samples) {
            byte[] bytes = bytes(sample);
            DetectedSample expected = avro.read(null, DecoderFactory.get().binaryDecoder(bytes, 10, bytes.length - 10, null));
            assertEquals(expected, deserializer.deserialize(TOPIC, bytes), sample.getDevicePath());
        }
    }

    @Test
    void rejectsATruncatedSample() {
        byte[] bytes = bytes(BLK_SAMPLE);
        SerializationException truncated = assertThrows(SerializationException.class,
                () -> deserializer.deserialize(TOPIC, Arrays.copyOf(bytes, bytes.length - 3)));
        assertTrue(truncated.getMessage().contains("does not decode"), truncated.getMessage());
    }

    private static Set<String> devicePaths(Transcript transcript) {
        Set<String> paths = new TreeSet<>();
        for (Transcript.Exchange exchange : transcript.exchanges()) {
            if (!exchange.isError() && QapiReader.X_QUERY_VIRTIO_STATUS.equals(exchange.execute())) {
                paths.add(exchange.arguments().path("path").asText());
            }
        }
        return paths;
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
