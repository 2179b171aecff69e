package dev.virtiofleet.agent.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtiofleet.qapi.QapiReader;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class QmpCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theWireFormIsOneJsonObjectPerLineWithTheIdLast() throws Exception {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        QmpCommand.forQueue(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, "/machine/peripheral-anon/device[1]/virtio-backend", 3).writeTo(wire, 41);
        QmpCommand.of(ReadOnlyCommands.QUERY_STATUS).writeTo(wire, 42);
        String[] lines = wire.toString(StandardCharsets.UTF_8).split("\n", -1);
        assertEquals(3, lines.length, "two lines, each ended by a newline");
        assertEquals("", lines[2]);
        JsonNode first = JSON.readTree(lines[0]);
        assertEquals(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, first.get("execute").asText());
        assertEquals("/machine/peripheral-anon/device[1]/virtio-backend", first.get("arguments").get("path").asText());
        assertEquals(3, first.get("arguments").get("queue").asInt());
        assertEquals(41, first.get("id").asLong());
        JsonNode second = JSON.readTree(lines[1]);
        assertEquals(ReadOnlyCommands.QUERY_STATUS, second.get("execute").asText());
        assertTrue(second.path("arguments").isMissingNode(), "no arguments member for a command without arguments: " + lines[1]);
        assertEquals(42, second.get("id").asLong());
    }

    @Test
    void argumentsNeedingEscapesSurviveTheWireForm() throws Exception {
        String path = "/odd \"path\" \\ with\ttab and ünïcode";
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        QmpCommand.forDevice(QapiReader.X_QUERY_VIRTIO_STATUS, path).writeTo(wire, Long.MAX_VALUE);
        JsonNode sent = JSON.readTree(wire.toByteArray());
        assertEquals(path, sent.get("arguments").get("path").asText());
        assertEquals(Long.MAX_VALUE, sent.get("id").asLong());
    }

    @Test
    void neitherTheCallersArgumentsNorTheOnesHandedOutChangeTheCommand() {
        ObjectNode arguments = JSON.createObjectNode().put("path", "/a");
        QmpCommand command = new QmpCommand(QapiReader.X_QUERY_VIRTIO_STATUS, arguments);
        arguments.put("path", "/b");
        command.arguments().put("path", "/c");
        assertEquals("/a", command.arguments().get("path").asText());
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        command.writeTo(wire, 1);
        assertTrue(wire.toString(StandardCharsets.UTF_8).contains("\"/a\""), wire.toString(StandardCharsets.UTF_8));
    }

    @Test
    void commandsAreEqualByNameAndArguments() {
        assertEquals(QmpCommand.forDevice(QapiReader.X_QUERY_VIRTIO_STATUS, "/a"),
                new QmpCommand(QapiReader.X_QUERY_VIRTIO_STATUS, JSON.createObjectNode().put("path", "/a")));
        assertEquals(QmpCommand.forDevice(QapiReader.X_QUERY_VIRTIO_STATUS, "/a").hashCode(),
                new QmpCommand(QapiReader.X_QUERY_VIRTIO_STATUS, JSON.createObjectNode().put("path", "/a")).hashCode());
        assertNotEquals(QmpCommand.forDevice(QapiReader.X_QUERY_VIRTIO_STATUS, "/a"), QmpCommand.forDevice(QapiReader.X_QUERY_VIRTIO_STATUS, "/b"));
        assertNotEquals(QmpCommand.forQueue(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, "/a", 0),
                QmpCommand.forQueue(QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS, "/a", 0));
    }
}
