package dev.virtiofleet.sim.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A plain QMP client over a real unix socket for tests: a reader thread collects raw lines, so a
 * test can wait for a line with a timeout or check that none arrives.
 */
final class QmpTestClient implements AutoCloseable {
    static final Duration PATIENCE = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS).build();

    private final SocketChannel channel;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread reader;

    /** A command's response with the events that arrived before it. */
    record Answer(List<JsonNode> events, JsonNode response) {}

    QmpTestClient(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                StandardCharsets.ISO_8859_1));
        reader = Thread.ofPlatform().name("qmp-test-reader").daemon().start(() -> {
            try {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException closed) {
                // the test closed the socket
            }
        });
    }

    /** Connects and negotiates capabilities; returns the client ready for commands. */
    static QmpTestClient negotiated(Path socket) throws IOException {
        QmpTestClient client = new QmpTestClient(socket);
        client.nextJson();
        JsonNode reply = client.execute("{\"execute\": \"qmp_capabilities\"}").response();
        if (!reply.has("return")) {
            throw new IllegalStateException("negotiation failed: " + reply);
        }
        return client;
    }

    void send(String text) {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        try {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends one command line and waits for its response, collecting events on the way. */
    Answer execute(String command) {
        send(command + "\n");
        return awaitResponse();
    }

    Answer awaitResponse() {
        List<JsonNode> events = new ArrayList<>();
        while (true) {
            JsonNode message = nextJson();
            if (message.has("event")) {
                events.add(message);
            } else {
                return new Answer(List.copyOf(events), message);
            }
        }
    }

    JsonNode nextJson() {
        String line = nextLine(PATIENCE).orElseThrow(() -> new AssertionError("no QMP message within " + PATIENCE));
        try {
            return JSON.readTree(new String(line.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }

    /** The next raw line (bytes as ISO-8859-1 chars), or empty if none arrives in time. */
    Optional<String> nextLine(Duration wait) {
        try {
            return Optional.ofNullable(lines.poll(wait.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
        try {
            reader.join(PATIENCE.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
