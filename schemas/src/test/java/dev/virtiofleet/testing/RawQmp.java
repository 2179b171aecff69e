package dev.virtiofleet.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The least a QMP client can be: JSON lines over a unix socket, one command at a time, events
 * collected on the side. For tests that need to see exactly what QEMU sends.
 */
public final class RawQmp implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;
    private final JsonNode greeting;
    private final List<JsonNode> events = new ArrayList<>();

    private RawQmp(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(channel);
        this.greeting = JSON.readTree(in.readLine());
    }

    /** Connects and negotiates capabilities. */
    public static RawQmp connect(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        RawQmp qmp = new RawQmp(channel);
        JsonNode reply = qmp.execute(JSON.readTree("{\"execute\": \"qmp_capabilities\"}"));
        if (!reply.has("return")) {
            throw new IOException("capabilities negotiation refused: " + reply);
        }
        return qmp;
    }

    public JsonNode greeting() {
        return greeting;
    }

    /** Sends one command and returns its reply; events that arrive first are kept in {@link #events()}. */
    public JsonNode execute(JsonNode command) throws IOException {
        out.write((command.toString() + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        while (true) {
            String line = in.readLine();
            if (line == null) {
                throw new IOException("QMP connection closed while waiting for the reply to " + command);
            }
            JsonNode message = JSON.readTree(line);
            if (message.has("event")) {
                events.add(message);
            } else {
                return message;
            }
        }
    }

    public List<JsonNode> events() {
        return List.copyOf(events);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
