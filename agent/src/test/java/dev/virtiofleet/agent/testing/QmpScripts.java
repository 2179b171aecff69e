package dev.virtiofleet.agent.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/** Small monitor scripts for the failure modes a real monitor can show. */
public final class QmpScripts {
    /** QEMU 7.2's greeting, verbatim from the transcripts. */
    public static final String GREETING = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "
            + "\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}";
    private static final ObjectMapper JSON = new ObjectMapper();

    private QmpScripts() {}

    public static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Handshakes, then reads commands and never answers one. */
    public static TestQmpServer.Session neverAnswers() {
        return client -> {
            client.handshake();
            while (client.readCommand().isPresent()) {
                // swallowed: the hung monitor
            }
        };
    }

    /** Handshakes, then answers the first command with {@code line} verbatim and keeps reading. */
    public static TestQmpServer.Session answersFirstCommandWith(String line) {
        return client -> {
            client.handshake();
            if (client.readCommand().isPresent()) {
                client.sendLine(line);
            }
            while (client.readCommand().isPresent()) {
                // nothing more
            }
        };
    }

    /**
     * Handshakes, then answers the first command with raw bytes and stops sending. (A full close
     * with commands still unread would make the kernel reset the connection, and the client might
     * see the reset before the bytes.)
     */
    public static TestQmpServer.Session answersFirstCommandWithRawAndCloses(byte[] bytes) {
        return client -> {
            client.handshake();
            Optional<JsonNode> command = client.readCommand();
            if (command.isPresent()) {
                client.sendRaw(bytes);
            }
            client.shutdownOutput();
            while (client.readCommand().isPresent()) {
                // until the client hangs up
            }
        };
    }
}
