package dev.virtiofleet.streams.topology;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.HUNG;
import static dev.virtiofleet.streams.testing.Samples.poll;
import static dev.virtiofleet.streams.testing.Samples.repeated;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.testing.DetectionDriver;
import dev.virtiofleet.streams.testing.Samples;
import dev.virtiofleet.testing.FleetRecords;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Poison records land in virtio.samples.dlq with the reason, and processing goes on. */
class DeadLetterTopologyTest {
    private static final VirtioSample HUNG_BLK = Samples.of(HUNG, BLK, false);

    @TempDir
    Path stateDir;

    @Test
    void poisonRecordsDoNotStopDetectionAndImpossibleValuesAreDeadLetteredWithTheReason() {
        byte[] garbage = "not avro at all".getBytes(StandardCharsets.UTF_8);
        byte[] heartbeatOnSamples = FleetSerdes.singleObject().heartbeat().serializer()
                .serialize("virtio.samples", FleetRecords.heartbeat());
        VirtioSample impossible = Samples.editQueue(poll(HUNG_BLK, 1), 0, q -> q.setInuse(4096));
        try (var driver = new DetectionDriver(DetectionConfig.defaults(), stateDir)) {
            driver.pipe(poll(HUNG_BLK, 0));
            driver.pipeRaw("k1".getBytes(StandardCharsets.UTF_8), garbage);
            driver.pipeRaw("k2".getBytes(StandardCharsets.UTF_8), heartbeatOnSamples);
            driver.pipe(impossible);
            driver.pipeAll(repeated(HUNG_BLK, 2, 3));

            List<TestRecord<byte[], byte[]>> dead = driver.deadLetters();
            // TopologyTestDriver does not emit the dead letters of deserialization failures (garbage and
            // the heartbeat above); it does run the handler, so they are skipped, not fatal. The
            // impossible sample fails in the processor and is dead-lettered by Kafka Streams' handler.
            assertEquals(1, dead.size());
            TestRecord<byte[], byte[]> impossibleLetter = dead.getFirst();
            assertArrayEquals(FleetSerdes.singleObject().sample().serializer().serialize("virtio.samples", impossible),
                    impossibleLetter.value(), "the poison record itself, untouched");
            assertEquals("virtio.samples", header(impossibleLetter, "__streams.errors.topic"));
            assertEquals("3", header(impossibleLetter, "__streams.errors.offset"));
            assertTrue(header(impossibleLetter, "__streams.errors.message").contains("inuse 4096 exceeds the queue size 256"),
                    header(impossibleLetter, "__streams.errors.message"));
            assertEquals(1, driver.alerts(AlertState.FIRING).size(), "the stall still fires: 0, 2, 3, 4 is 40 s stuck");
        }
    }

    private static String header(TestRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
    }
}
