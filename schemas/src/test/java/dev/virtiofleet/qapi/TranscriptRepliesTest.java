package dev.virtiofleet.qapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static dev.virtiofleet.testing.JsonAssertions.assertSameJson;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtiofleet.testing.QapiSchema;
import dev.virtiofleet.testing.SharedFiles;
import dev.virtiofleet.testing.Transcript;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every reply of real QEMU (the transcripts) and every reply shown in the QAPI schema's examples
 * reads into its record and writes back without losing a member the schema defines.
 */
class TranscriptRepliesTest {
    private static final Set<String> VIRTIO_COMMANDS = Set.of(
            QapiReader.X_QUERY_VIRTIO,
            QapiReader.X_QUERY_VIRTIO_STATUS,
            QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS,
            QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS,
            QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT);

    private final QapiReader reader = new QapiReader();

    @TestFactory
    Stream<DynamicTest> everyTranscriptReplyReadsAndRoundTrips() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Transcript transcript : Transcript.all()) {
            for (Transcript.Exchange exchange : transcript.exchanges()) {
                if (VIRTIO_COMMANDS.contains(exchange.execute()) && !exchange.isError()) {
                    tests.add(DynamicTest.dynamicTest(
                            transcript.name() + ":" + exchange.lineNumber() + " " + exchange.execute(),
                            () -> assertReadsAndRoundTrips(exchange.execute(), exchange.response().get("return"))));
                }
            }
        }
        assertTrue(tests.size() > 300, "expected the transcripts' several hundred virtio replies, found " + tests.size());
        return tests.stream();
    }

    @Test
    void transcriptsCoverEveryCommandThatRealQemuAnswered() {
        Set<String> answered = new TreeSet<>();
        Transcript.all().forEach(t -> t.exchanges().stream()
                .filter(e -> VIRTIO_COMMANDS.contains(e.execute()) && !e.isError())
                .forEach(e -> answered.add(e.execute())));
        // With no vhost backend running, real QEMU only ever answers the vhost queue query with an
        // error; the schema examples below cover its reply.
        assertEquals(new TreeSet<>(Set.of(QapiReader.X_QUERY_VIRTIO, QapiReader.X_QUERY_VIRTIO_STATUS,
                QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT)), answered);
    }

    @TestFactory
    Stream<DynamicTest> everySchemaExampleReplyReadsAndRoundTrips() {
        List<QapiSchema.Example> examples = QapiSchema.read(SharedFiles.qapiSchema()).examples();
        Set<String> covered = new TreeSet<>();
        examples.forEach(e -> covered.add(e.execute()));
        assertEquals(VIRTIO_COMMANDS, covered, "schema examples should cover all five commands");
        return examples.stream().map(example -> DynamicTest.dynamicTest(
                "virtio.json:" + example.lineNumber() + " " + example.execute(),
                () -> assertReadsAndRoundTrips(example.execute(), canonicalSpelling(example.reply().get("return")))));
    }

    @Test
    void errorRepliesCarryClassAndDescription() {
        int errors = 0;
        for (Transcript transcript : Transcript.all()) {
            for (Transcript.Exchange exchange : transcript.exchanges()) {
                if (exchange.isError()) {
                    JsonNode error = exchange.response().get("error");
                    assertTrue(error.path("class").isTextual() && error.path("desc").isTextual(), error.toString());
                    errors++;
                }
            }
        }
        assertTrue(errors >= 4, "the transcripts show at least the four documented error kinds");
    }

    private void assertReadsAndRoundTrips(String command, JsonNode reply) throws QapiDecodeException {
        Object record = switch (command) {
            case QapiReader.X_QUERY_VIRTIO -> reader.virtioDevices(reply);
            case QapiReader.X_QUERY_VIRTIO_STATUS -> assertInstanceOf(VirtioStatus.class, reader.virtioStatus(reply));
            case QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS -> reader.queueStatus(reply);
            case QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS -> reader.vhostQueueStatus(reply);
            case QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT -> reader.queueElement(reply);
            default -> throw new AssertionError("not a virtio command: " + command);
        };
        assertFalse(record instanceof List<?> list && list.isEmpty() && !reply.isEmpty());
        assertSameJson(reply, reader.toJson(record), "re-serialised " + command + " reply differs from what QEMU sent");
    }

    /** The schema's examples misspell one member; QEMU sends {@code disable-legacy-check}. */
    private static JsonNode canonicalSpelling(JsonNode reply) {
        JsonNode copy = reply.deepCopy();
        if (copy instanceof com.fasterxml.jackson.databind.node.ObjectNode object && object.has("disabled-legacy-check")) {
            object.set("disable-legacy-check", object.remove("disabled-legacy-check"));
        }
        return copy;
    }
}
