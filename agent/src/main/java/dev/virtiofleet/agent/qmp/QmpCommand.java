package dev.virtiofleet.agent.qmp;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtiofleet.qapi.QapiReader;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One QMP command: its name and its arguments (empty when it takes none). Immutable: the arguments
 * are copied in and out, so a command cannot change after it was checked against the allowlist,
 * and its wire form is encoded once, whatever number of times it is sent.
 */
public final class QmpCommand {
    private static final byte[] ID_MEMBER = ",\"id\":".getBytes(StandardCharsets.UTF_8);

    private final String execute;
    private final ObjectNode arguments;
    /** The wire form up to the id's value: {@code {"execute": "...", "arguments": {...}}. */
    private final byte[] wireStart;

    public QmpCommand(String execute, ObjectNode arguments) {
        this(Objects.requireNonNull(execute, "execute"),
                arguments == null ? JsonNodeFactory.instance.objectNode() : arguments.deepCopy(), true);
    }

    /** For arguments nobody else holds: no copy needed. */
    private QmpCommand(String execute, ObjectNode ownArguments, boolean owned) {
        this.execute = execute;
        this.arguments = ownArguments;
        ObjectNode wire = JsonNodeFactory.instance.objectNode().put("execute", execute);
        if (!ownArguments.isEmpty()) {
            wire.set("arguments", ownArguments);
        }
        String json = wire.toString();
        // Without its closing brace: the id goes last, as QEMU's own clients put it.
        this.wireStart = json.substring(0, json.length() - 1).getBytes(StandardCharsets.UTF_8);
    }

    public static QmpCommand of(String execute) {
        return new QmpCommand(execute, null);
    }

    /** A per-device virtio query. */
    public static QmpCommand forDevice(String execute, String devicePath) {
        return new QmpCommand(execute, JsonNodeFactory.instance.objectNode().put("path", devicePath), true);
    }

    /** A per-queue virtio query. */
    public static QmpCommand forQueue(String execute, String devicePath, int queue) {
        return new QmpCommand(execute, JsonNodeFactory.instance.objectNode().put("path", devicePath).put("queue", queue), true);
    }

    /** {@code x-query-virtio-queue-element} of one ring slot ({@code index}: an avail index, taken modulo the queue size). */
    public static QmpCommand forElement(String devicePath, int queue, int index) {
        ObjectNode arguments = JsonNodeFactory.instance.objectNode().put("path", devicePath).put("queue", queue).put("index", index & 0xFFFF);
        return new QmpCommand(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT, arguments, true);
    }

    public String execute() {
        return execute;
    }

    public ObjectNode arguments() {
        return arguments.deepCopy();
    }

    /** Appends the wire form with the given id and its newline. */
    void writeTo(ByteArrayOutputStream wire, long id) {
        wire.writeBytes(wireStart);
        wire.writeBytes(ID_MEMBER);
        wire.writeBytes(Long.toString(id).getBytes(StandardCharsets.US_ASCII));
        wire.write('}');
        wire.write('\n');
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof QmpCommand command && execute.equals(command.execute) && arguments.equals(command.arguments);
    }

    @Override
    public int hashCode() {
        return 31 * execute.hashCode() + arguments.hashCode();
    }

    @Override
    public String toString() {
        return arguments.isEmpty() ? execute : execute + " " + arguments;
    }
}
