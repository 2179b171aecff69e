package dev.virtiofleet.agent.qmp;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtiofleet.qapi.QapiReader;
import java.io.IOException;
import java.util.Objects;

/**
 * One QMP command: its name and its arguments (empty when it takes none). The arguments are
 * copied in, so a command cannot change after it was checked against the allowlist.
 */
public record QmpCommand(String execute, ObjectNode arguments) {

    public QmpCommand {
        Objects.requireNonNull(execute, "execute");
        arguments = arguments == null ? JsonNodeFactory.instance.objectNode() : arguments.deepCopy();
    }

    @Override
    public ObjectNode arguments() {
        return arguments.deepCopy();
    }

    public static QmpCommand of(String execute) {
        return new QmpCommand(execute, null);
    }

    /** A per-device virtio query. */
    public static QmpCommand forDevice(String execute, String devicePath) {
        ObjectNode arguments = JsonNodeFactory.instance.objectNode().put("path", devicePath);
        return new QmpCommand(execute, arguments);
    }

    /** A per-queue virtio query. */
    public static QmpCommand forQueue(String execute, String devicePath, int queue) {
        ObjectNode arguments = JsonNodeFactory.instance.objectNode().put("path", devicePath).put("queue", queue);
        return new QmpCommand(execute, arguments);
    }

    /** {@code x-query-virtio-queue-element} of one ring slot ({@code index}: an avail index, taken modulo the queue size). */
    public static QmpCommand forElement(String devicePath, int queue, int index) {
        ObjectNode arguments = JsonNodeFactory.instance.objectNode().put("path", devicePath).put("queue", queue).put("index", index & 0xFFFF);
        return new QmpCommand(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT, arguments);
    }

    /** Writes the wire form with the given id (the arguments without a defensive copy: they are only read). */
    void writeTo(JsonGenerator json, long id) throws IOException {
        json.writeStartObject();
        json.writeStringField("execute", execute);
        if (!arguments.isEmpty()) {
            json.writeFieldName("arguments");
            json.writeTree(arguments);
        }
        json.writeNumberField("id", id);
        json.writeEndObject();
    }

    @Override
    public String toString() {
        return arguments.isEmpty() ? execute : execute + " " + arguments;
    }
}
