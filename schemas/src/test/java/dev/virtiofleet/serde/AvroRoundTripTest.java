package dev.virtiofleet.serde;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.testing.FleetRecords;
import dev.virtiofleet.testing.Transcript;
import dev.virtiofleet.testing.TranscriptSamples;
import java.nio.ByteBuffer;
import java.util.stream.Stream;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AvroRoundTripTest {
    private static final FleetSerdes SERDES = FleetSerdes.singleObject();
    private static final Transcript RUNNING = Transcript.named("qemu-7.2-linux-6.1-guest-running.txt");

    static Stream<Arguments> everyRecord() {
        return Stream.of(
                Arguments.of(SERDES.sample(), TranscriptSamples.sampleOf(RUNNING, "/machine/peripheral/net0/virtio-backend", true).sample()),
                Arguments.of(SERDES.sample(), TranscriptSamples.sampleOf(RUNNING, "/machine/peripheral/ser0/virtio-backend", true).sample()),
                Arguments.of(SERDES.heartbeat(), FleetRecords.heartbeat()),
                Arguments.of(SERDES.alert(), FleetRecords.stalledQueueAlert(AlertState.FIRING)),
                Arguments.of(SERDES.alert(), FleetRecords.stalledQueueAlert(AlertState.RESOLVED)),
                Arguments.of(SERDES.health(), FleetRecords.health()));
    }

    @ParameterizedTest
    @MethodSource("everyRecord")
    <T extends SpecificRecordBase> void recordSurvivesTheWire(AvroSerde<T> serde, T record) {
        byte[] bytes = serde.serializer().serialize("virtio.test", record);
        assertEquals((byte) 0xC3, bytes[0], "single-object encoding marker");
        assertEquals((byte) 0x01, bytes[1], "single-object encoding marker");
        T back = serde.deserializer().deserialize("virtio.test", bytes);
        assertEquals(record, back);
    }

    /** The wire format's own writer (generated encoders, reused buffers) writes Avro's bytes exactly. */
    @ParameterizedTest
    @MethodSource("everyRecord")
    <T extends SpecificRecordBase> void bytesAreAvrosSingleObjectEncoding(AvroSerde<T> serde, T record) throws Exception {
        ByteBuffer reference = new BinaryMessageEncoder<T>(SpecificData.getForSchema(record.getSchema()), record.getSchema())
                .encode(record);
        byte[] expected = new byte[reference.remaining()];
        reference.get(expected);
        assertArrayEquals(expected, serde.serializer().serialize("virtio.test", record));
        // Again, through the buffer the first record left behind: nothing of it may leak into the second.
        assertArrayEquals(expected, serde.serializer().serialize("virtio.test", record));
    }

    @Test
    void unsignedAddressesSurviveExactly() {
        VirtioSample sample = TranscriptSamples.sampleOf(RUNNING, "/machine/peripheral/blk0/virtio-backend", true).sample();
        VirtioSample back = SERDES.sample().deserializer().deserialize("t", SERDES.sample().serializer().serialize("t", sample));
        long addr = back.getQueues().get(0).getElement().getDescs().get(0).getAddr();
        assertEquals("17582272109357747075", Long.toUnsignedString(addr));
    }

    @Test
    void tombstonesPassThrough() {
        assertNull(SERDES.health().serializer().serialize("virtio.health", null));
        assertNull(SERDES.health().deserializer().deserialize("virtio.health", null));
    }

    @Test
    void bytesThatAreNotAvroGiveAClearError() {
        SerializationException e = assertThrows(SerializationException.class,
                () -> SERDES.alert().deserializer().deserialize("virtio.alerts", "{\"json\": true}".getBytes()));
        assertTrue(e.getMessage().contains("virtio.alerts") && e.getMessage().contains("not Avro single-object encoded"), e.getMessage());
    }

    @Test
    void unknownWriterSchemaIsNamedByFingerprint() {
        byte[] bytes = SERDES.alert().serializer().serialize("virtio.alerts", FleetRecords.stalledQueueAlert(AlertState.FIRING));
        bytes[2] ^= 0x55; // a fingerprint no shipped schema has
        SerializationException e = assertThrows(SerializationException.class,
                () -> SERDES.alert().deserializer().deserialize("virtio.alerts", bytes));
        assertTrue(e.getMessage().contains("schema fingerprint") && e.getMessage().contains("VirtioAlert"), e.getMessage());
    }

    @Test
    void recordOfAnotherTypeIsRejected() {
        byte[] heartbeat = SERDES.heartbeat().serializer().serialize("virtio.heartbeats", FleetRecords.heartbeat());
        SerializationException e = assertThrows(SerializationException.class,
                () -> SERDES.alert().deserializer().deserialize("virtio.heartbeats", heartbeat));
        assertTrue(e.getMessage().contains("virtio.heartbeats"), e.getMessage());
    }
}
